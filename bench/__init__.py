"""Allot benchmarks: ``make bench`` (see docs/performance.md). Not imported by the app or the tests."""
