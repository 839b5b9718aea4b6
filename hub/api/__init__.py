"""The hub's edges: GraphQL and REST."""
