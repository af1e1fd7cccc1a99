"""The kiosk's settings: the [kiosk] table of the configuration, read into this class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# A page that died (crash, cable pulled) is wiped by the server this long after its own
# idle wipe should have happened: a page in use tells the server every TOUCH_EVERY (5 s)
# at most, and the request may take a moment.
SWEEP_GRACE_SECONDS = 8.0
SWEEP_EVERY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class KioskSettings:
    idle_seconds: float = 60.0  # without a touch, then "Are you still there?"
    idle_warning_seconds: float = 15.0  # the warning's countdown, then everything is wiped
    # How often a page showing a slip's status asks again (the printer may stop or recover).
    slip_refresh_seconds: float = 5.0

    @property
    def quiet(self) -> timedelta:
        """How long a session may stay silent before the server wipes it."""
        seconds = self.idle_seconds + self.idle_warning_seconds + SWEEP_GRACE_SECONDS
        return timedelta(seconds=seconds)
