"""The GraphQL API (strawberry)."""
