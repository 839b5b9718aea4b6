"""Customs declarations and decisions, container holds, vessels, port calls and the yard."""
