"""Loopback fakes of the chat platforms, for tests and benchmarks."""
