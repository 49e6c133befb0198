"""Benchmarks and long-running checks; `tests/` imports their building blocks so there is one implementation."""
