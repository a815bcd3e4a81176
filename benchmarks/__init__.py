"""Vigil's benchmarks: intake through the HTTP API and bbox + day queries, SQLite and PostgreSQL.

Run them with `make bench` or `python -m benchmarks.run --help`; docs/benchmarks.md has the figures.
"""
