"""Graded data governance: the class of every field, grants at a class, and cross-border transfers."""

# Where a session carries the hub's country (HUB_COUNTRY), set by HubState.session.
HOME_KEY = "hub.country"
