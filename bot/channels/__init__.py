"""Channels turn platform updates into `Incoming` and `Reply` objects into platform calls."""
