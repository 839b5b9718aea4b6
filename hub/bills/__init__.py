"""Multimodal through bills: legs, containers, cargo, parties, and the negotiable title."""
