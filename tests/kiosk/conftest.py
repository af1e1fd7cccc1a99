"""Fixtures for the kiosk and display tests (defined in tests/kiosk/fixtures.py)."""

from tests.kiosk.fixtures import browser, hall, printer_states, quick_hall, slip_hall

__all__ = ["browser", "hall", "printer_states", "quick_hall", "slip_hall"]
