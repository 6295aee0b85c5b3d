"""Errors the case services raise. Each carries a user-facing message and an HTTP status for the API."""


class TransitionError(Exception):
    """An event cannot be applied. Nothing has been written when this is raised."""

    code = "invalid"
    status_code = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class NotPermitted(TransitionError):
    code = "not_permitted"
    status_code = 403


class WrongState(TransitionError):
    code = "wrong_state"
    status_code = 409


class GuardFailed(TransitionError):
    code = "guard_failed"
    status_code = 409


class InvalidPayload(TransitionError):
    code = "invalid_payload"
    status_code = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}
