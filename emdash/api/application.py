"""The NinjaAPI the routers mount on, adjusted so every byte it answers follows
the API's contracts: JSON in and out the way pydantic writes it, and the one
error shape even for paths and methods no operation handles."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

import pydantic_core
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.types import DictStrAny

from emdash.api import errors

View = Callable[..., HttpResponse]


def parse_json(body: bytes) -> Any:
    """A request body as JSON, or MalformedJSON saying where it goes wrong."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise errors.MalformedJSON(
            f"The request body is not valid JSON: {exc}.",
            details={"line": exc.lineno, "column": exc.colno},
        ) from exc
    except UnicodeDecodeError as exc:
        raise errors.MalformedJSON(
            "The request body is not valid JSON: it is not UTF-8 text."
        ) from exc


class JSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        return parse_json(request.body)


class PydanticJSONRenderer(JSONRenderer):
    """Write responses exactly as ``model_dump(mode="json")`` would (full
    microseconds, ``Z`` for UTC), so the CLI's in-process output matches."""

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return pydantic_core.to_json(data)


class EmDashAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        patterns = [
            URLPattern(p.pattern, self._json_errors(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in super()._get_urls()
        ]
        return [*patterns, re_path(r"^.*$", self._json_errors(self._unknown_path))]

    def _json_errors(self, view: View) -> View:
        """Answer the 404s and 405s Django would render as HTML in the error shape."""

        @csrf_exempt  # bearer tokens are not ambient credentials
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                response = view(request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - handed to the API's error handlers
                return self.on_exception(request, exc)
            if isinstance(response, HttpResponseNotAllowed):
                allowed = sorted(m.strip() for m in response["Allow"].split(","))
                error = errors.MethodNotAllowed(
                    f"{request.method} is not allowed here; use {', '.join(allowed)}.",
                    details={"allowed": allowed},
                )
                response = errors.error_response(self, request, error)
                response["Allow"] = ", ".join(allowed)
            return response

        return wrapper

    def _unknown_path(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> NoReturn:
        raise Http404

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Ninja's schema plus the error shape as each operation's default response."""
        schema = super().get_openapi_schema(**kwargs)
        error_schema = errors.ErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(error_schema.pop("$defs"))
        components["ErrorOut"] = error_schema
        default = {
            "description": "Error (see the codes in docs/api.md)",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorOut"}
                }
            },
        }
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                # String keys, as JSON has them, so the document sorts (make openapi).
                responses = {str(code): r for code, r in operation["responses"].items()}
                operation["responses"] = {**responses, "default": default}
        return schema
