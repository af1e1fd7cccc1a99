"""Fixtures for the kiosk and display tests (defined in tests/kiosk/fixtures.py)."""

from tests.kiosk.fixtures import browser, hall, quick_hall

__all__ = ["browser", "hall", "quick_hall"]
