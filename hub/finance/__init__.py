"""Supply-chain finance: receivables backed by trade evidence, verified by banks and financed once."""
