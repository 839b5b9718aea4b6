"""Translators for what sellers' platforms send when they do not speak a customs format."""
