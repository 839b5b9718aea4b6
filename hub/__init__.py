"""The port and trade single-window hub: one GraphQL API over bills, tracking, customs, commerce and finance."""

__version__ = "0.1.0"
