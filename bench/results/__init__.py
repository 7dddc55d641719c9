"""Benchmark of the results documents (PDF rendering with the test-day photo)."""
