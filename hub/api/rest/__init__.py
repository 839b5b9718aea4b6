"""REST endpoints: health, readiness, metrics, and (later) ingest and DCSA."""
