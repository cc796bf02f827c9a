"""Typed domain errors with SCREAMING_SNAKE codes; HTTP status is mapped once, here."""

from typing import Any


class EmDashError(Exception):
    code = "ERROR"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequest(EmDashError):
    code = "BAD_REQUEST"
    status = 400


class Unauthenticated(EmDashError):
    code = "UNAUTHENTICATED"
    status = 401


class PermissionDenied(EmDashError):
    code = "FORBIDDEN"
    status = 403


class NotFound(EmDashError):
    code = "NOT_FOUND"
    status = 404


class Conflict(EmDashError):
    code = "CONFLICT"
    status = 409


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


class PayloadTooLarge(EmDashError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class ValidationFailed(EmDashError):
    """Input that cannot be accepted; ``fields`` maps each bad field to its problem."""

    code = "VALIDATION_ERROR"
    status = 422

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        merged = dict(details or {})
        if fields:
            merged["fields"] = fields
        super().__init__(message, code=code, details=merged)
        self.fields = fields or {}
