"""Container tracking on the DCSA Track & Trace model: containers, equipment and transport events."""
