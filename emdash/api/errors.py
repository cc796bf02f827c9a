"""One error shape for every failure under /_emdash/api/:
``{"error": {"code": "SCREAMING_SNAKE", "message": "...", "details": {...}}}``.

Domain errors carry their own code and status; everything else that can go wrong
in a request (validation, unreadable or oversized bodies, unknown paths, wrong
methods, bugs) is translated here, once.
"""

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from pydantic import BaseModel

from emdash.core.errors import (
    BadRequest,
    EmDashError,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from emdash.core.ratelimit import RateLimited

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

# Codes for the HTTP errors django-ninja raises itself.
HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "RATE_LIMITED",
}

# Kinder words for the pydantic messages agents meet most, matching the services'.
FIELD_MESSAGES = {
    "extra_forbidden": "unknown property",
    "missing": "is required",
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(BaseModel):
    error: ErrorBody


class MalformedJSON(BadRequest):
    code = "MALFORMED_JSON"


class MethodNotAllowed(EmDashError):
    code = "METHOD_NOT_ALLOWED"
    status = 405


class InternalError(EmDashError):
    code = "INTERNAL_ERROR"
    status = 500


class HttpFailure(EmDashError):
    """An HTTP error raised by django-ninja itself, with the status it chose."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, code=HTTP_ERROR_CODES.get(status, "ERROR"))
        self.status = status


def error_response(
    api: "NinjaAPI", request: HttpRequest, error: EmDashError
) -> HttpResponse:
    response = api.create_response(
        request, {"error": error.as_dict()}, status=error.status
    )
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


def field_path(location: tuple[int | str, ...]) -> str:
    """``("body", "payload", "data", "title")`` -> ``"data.title"``; ``("query",
    "limit")`` -> ``"limit"``. A body parameter's own name is not the caller's."""
    source, *rest = location
    if source == "body":
        rest = rest[1:]
    return ".".join(str(part) for part in rest) or str(source)


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":  # our own validators' words, without a prefix
        return str(error["ctx"]["error"])
    return FIELD_MESSAGES.get(error["type"], error["msg"])


def request_validation_error(errors: list[dict[str, Any]]) -> ValidationFailed:
    fields: dict[str, str] = {}
    for error in errors:
        path = field_path(tuple(error["loc"]))
        fields.setdefault(path, _message(error))
    listed = "; ".join(f"{path}: {message}" for path, message in fields.items())
    return ValidationFailed(f"The request is invalid ({listed}).", fields=fields)


def install(api: "NinjaAPI") -> None:
    """Register the translations on ``api``; the most specific class wins."""

    def domain_error(request: HttpRequest, exc: EmDashError) -> HttpResponse:
        return error_response(api, request, exc)

    def invalid_request(
        request: HttpRequest, exc: RequestValidationError
    ) -> HttpResponse:
        return error_response(api, request, request_validation_error(exc.errors))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # django-ninja wraps errors raised while parsing the body (MalformedJSON).
        if isinstance(exc.__cause__, EmDashError):
            return error_response(api, request, exc.__cause__)
        return error_response(api, request, HttpFailure(exc.status_code, exc.message))

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        error = NotFound(
            f"No API route at {request.path}.", details={"path": request.path}
        )
        return error_response(api, request, error)

    def body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        error = PayloadTooLarge(
            f"The request body is larger than {limit} bytes.",
            details={"max_bytes": limit},
        )
        return error_response(api, request, error)

    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return error_response(api, request, BadRequest("The request was refused."))

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error(
            "Unhandled error in %s %s", request.method, request.path, exc_info=exc
        )
        error = InternalError("Something went wrong on our side; it has been logged.")
        return error_response(api, request, error)

    api.add_exception_handler(EmDashError, domain_error)
    api.add_exception_handler(RequestValidationError, invalid_request)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(RequestDataTooBig, body_too_large)
    api.add_exception_handler(SuspiciousOperation, suspicious)
    api.add_exception_handler(Exception, unexpected)
