"""Named errors for refused actions. Views turn them into a Chinese message, the API
into a JSON error with the same code."""


class ActionError(Exception):
    """An action was refused; ``code`` is stable for programs, ``message`` for people."""

    code = "refused"
    status = 400

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class IllegalTransition(ActionError):
    code = "illegal_transition"
    status = 409


class Conflict(ActionError):
    """Someone else changed the object first."""

    code = "conflict"
    status = 409


class NotPermitted(ActionError):
    code = "not_permitted"
    status = 403
