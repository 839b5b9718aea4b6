"""Organisations, API keys, principals and permission checks."""
