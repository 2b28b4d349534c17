"""Loopback fakes of the messaging platforms, for the tests and the benchmarks."""
