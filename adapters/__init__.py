"""Pure translators between real-world formats (EDIFACT, DCSA, CEB XML, platform orders) and hub commands."""
