"""Fixtures for driving the REST API through Django's test client, against the
real services and database."""

import json
from datetime import datetime
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from pydantic import TypeAdapter

from emdash.accounts.models import User
from emdash.accounts.tokens import create_token
from emdash.core.actors import SYSTEM

API = "/_emdash/api"

_DATETIME = TypeAdapter(datetime)


def send(
    client: Client,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """A JSON request to ``API + path``; no ``body`` sends an empty one."""
    return client.generic(
        method,
        API + path,
        b"" if body is None else json.dumps(body),
        content_type="application/json",
        headers=headers or {},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(*scopes: str, user: User | None = None) -> str:
    """A fresh token's plaintext: an operator token, or ``user``'s."""
    return create_token(SYSTEM, name="test", scopes=list(scopes), user=user).plaintext


def iso(moment: datetime | None) -> str | None:
    """A datetime as the API writes it (pydantic's JSON form)."""
    return None if moment is None else _DATETIME.dump_python(moment, mode="json")


def error(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


@pytest.fixture
def admin(db: None) -> dict[str, str]:
    """Headers of an operator token with every scope."""
    return bearer(token_for("admin"))
