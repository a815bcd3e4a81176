"""Vigil's benchmarks: intake through the HTTP API and bbox + day queries, on SQLite and PostgreSQL.

Run them with `make bench` or `python -m benchmarks.run --help`; docs/benchmarks.md records the figures.
"""
