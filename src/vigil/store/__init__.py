"""Storage: engine, tables and migrations (SQLite by default, PostgreSQL in production)."""
