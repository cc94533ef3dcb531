"""The browser fixtures live in tests/browser/fixtures.py (imported by tests/conftest.py)."""

from tests.browser.fixtures import login

__all__ = ["login"]
