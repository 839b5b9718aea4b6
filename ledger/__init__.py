"""Chain-side code: contracts, chain client, Merkle trees, the anchoring worker and the verifier."""
