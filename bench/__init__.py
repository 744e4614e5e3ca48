"""Benchmarks: speed and memory, measured here rather than asserted by tests."""
