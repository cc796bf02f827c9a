"""Fixtures for driving the REST API through Django's test client, against the
real services and database."""

import json
from datetime import datetime
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils.crypto import get_random_string
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


# -- accounts: sessions as the admin's JavaScript has them ----------------------------


def session_client(user: User, *, enforce_csrf_checks: bool = False) -> Client:
    """A client signed in as ``user`` (a session cookie, as the admin has), holding
    a CSRF cookie that ``csrf_header`` echoes."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    client.cookies["csrftoken"] = get_random_string(32)
    return client


def csrf_header(client: Client) -> dict[str, str]:
    """The header a cookie caller sends on writes: the csrftoken cookie's value."""
    return {"X-CSRFToken": client.cookies["csrftoken"].value}


def link_token(url: str) -> str:
    """The token of a one-time link's URL (``.../<token>/``)."""
    return url.rstrip("/").rsplit("/", 1)[1]


def user_json(user: User) -> dict[str, Any]:
    """``user`` as the API shows it (UserOut), read fresh from the database."""
    user.refresh_from_db()
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "is_active": user.is_active,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
    }
