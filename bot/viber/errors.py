"""Why the Viber bot could not start, in words an operator can act on."""

from __future__ import annotations


class ViberStartError(Exception):
    """The bot could not start; the message says why and what to do."""


class InvalidViberToken(ViberStartError):
    """Viber refused the bot token (status 2, invalidAuthToken)."""


class ViberUnreachable(ViberStartError):
    """Viber's API did not answer."""


class ViberSettingsError(ViberStartError, ValueError):
    """The [viber] settings are missing or malformed."""


class ViberRefused(Exception):
    """Viber answered a request with a failure status our code cannot act on (bad data,
    the account blocked or suspended...): a fault to fix, logged without the content."""

    def __init__(self, method: str, status: int, message: str) -> None:
        super().__init__(f"{method}: Viber status {status} ({message})")
        self.method = method
        self.status = status
        self.status_message = message
