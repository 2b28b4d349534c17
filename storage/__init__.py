"""Persistence: models, engine, and queries grouped by what they serve."""
