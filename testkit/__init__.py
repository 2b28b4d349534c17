"""Loopback fakes of the messaging platforms, shared by tests/ and bench/."""
