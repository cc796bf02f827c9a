"""One client, two transports. An operation is declared once (``operations.py``:
HTTP method, path, output model, in-process handler); the local transport runs
the handler against the services as the system actor, the remote one sends the
request to the REST API and parses the answer into the same pydantic model, so
a command prints the same bytes either way."""

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from pydantic import BaseModel

from emdash.cli.operations import Operation, operation
from emdash.core.errors import EmDashError

if TYPE_CHECKING:
    import httpx

API_PREFIX = "/_emdash/api"


class ApiError(Exception):
    """An error as the REST API reports it: ``{"error": {code, message, details}}``."""

    def __init__(
        self, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    @classmethod
    def from_domain(cls, error: EmDashError) -> "ApiError":
        """The error the API would answer for a domain error (``EmDashError``)."""
        return cls(error.code, error.message, error.details)

    def line(self) -> str:
        """``error: CODE: message (field: problem; ...)`` on one line."""
        text = f"error: {self.code}: {self.message}"
        fields = self.details.get("fields")
        if isinstance(fields, dict) and fields:
            listed = "; ".join(f"{name}: {problem}" for name, problem in fields.items())
            if listed not in text:
                text += f" ({listed})"
        return " ".join(text.split())

    def as_json(self) -> str:
        body = {"code": self.code, "message": self.message, "details": self.details}
        return json.dumps({"error": body}, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Request:
    """One call: path parameters, query parameters (as the API reads them) and body.
    With ``files`` (field -> file name and bytes) it is a multipart form upload, and
    the body's properties are the form's other fields."""

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


class Transport(Protocol):
    def send(self, op: Operation, request: Request) -> BaseModel: ...

    def close(self) -> None: ...


class LocalTransport:
    """In-process: the operation's handler calls the services as the system actor."""

    def __init__(self) -> None:
        from emdash.cli.runtime import setup_django

        setup_django()

    def send(self, op: Operation, request: Request) -> BaseModel:
        try:
            return op.local(request)
        except EmDashError as error:
            raise ApiError.from_domain(error) from None

    def close(self) -> None:
        """Nothing to release: Django's connections belong to the process."""


class RemoteTransport:
    """Over HTTP to ``<url>/_emdash/api``, with the bearer token when one is given."""

    def __init__(self, url: str, token: str | None) -> None:
        import httpx

        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url + API_PREFIX, headers=headers, timeout=30.0
        )

    def send(self, op: Operation, request: Request) -> BaseModel:
        import httpx

        path = op.path.format(
            **{name: quote(value, safe="") for name, value in request.path.items()}
        )
        content: dict[str, Any] = {"json": request.body}
        if request.files:
            content = {
                "data": _form_fields(request.body or {}),
                "files": {
                    name: (filename, data, "application/octet-stream")
                    for name, (filename, data) in request.files.items()
                },
            }
        try:
            response = self.http.request(
                op.method,
                path,
                params={k: v for k, v in request.query.items() if v is not None},
                **content,
            )
        except httpx.HTTPError as error:
            raise ApiError(
                "UNREACHABLE", f"Could not reach {self.base_url}: {error}"
            ) from None
        payload = _json_or_none(response)
        if response.is_error:
            error = payload.get("error") if isinstance(payload, dict) else None
            if isinstance(error, dict) and "code" in error:
                raise ApiError(
                    str(error["code"]),
                    str(error.get("message", "")),
                    error.get("details"),
                )
            raise ApiError(
                f"HTTP_{response.status_code}",
                f"{op.method} {response.url} answered {response.status_code} "
                f"{response.reason_phrase}",
            )
        if response.status_code == httpx.codes.NO_CONTENT:
            # The operation's output is then the empty model (models.NoContent).
            return op.output.model_validate({})
        if payload is None:
            raise ApiError(
                "NOT_JSON",
                f"{response.url} did not answer with JSON; is {self.base_url} "
                "an EmDash site?",
            )
        return op.output.model_validate(payload)

    def close(self) -> None:
        self.http.close()


def _form_fields(body: dict[str, Any]) -> dict[str, str | list[str]]:
    """A body as form fields, the way the API reads them: booleans as true or
    false, a list as the field repeated; None leaves the field out."""
    fields: dict[str, str | list[str]] = {}
    for name, value in body.items():
        if isinstance(value, bool):
            fields[name] = "true" if value else "false"
        elif isinstance(value, list):
            fields[name] = [str(item) for item in value]
        elif value is not None:
            fields[name] = str(value)
    return fields


def _json_or_none(response: "httpx.Response") -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Client:
    """Calls operations by name on whichever transport the command chose."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @classmethod
    def connect(cls, *, url: str | None, token: str | None) -> "Client":
        return cls(RemoteTransport(url, token) if url else LocalTransport())

    def call(
        self,
        name: str,
        *,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        **path: str,
    ) -> Any:
        """Run the operation ``name`` and return its output model; with ``files``
        (field -> file name and bytes) the request is a form upload."""
        request = Request(path=path, query=query or {}, body=body, files=files or {})
        return self.transport.send(operation(name), request)

    def close(self) -> None:
        self.transport.close()
