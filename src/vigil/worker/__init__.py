"""Background jobs that run inside the server process."""
