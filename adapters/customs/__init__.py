"""Translators for customs systems: decisions as JSON responses or EDIFACT CUSRES."""
