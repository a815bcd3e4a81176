"""Fixtures shared by the integration tests."""

from tests.integration.test_cli import site  # noqa: F401  (a fixture: a fresh Vigil site)
