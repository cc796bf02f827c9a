"""Fixtures for the admin pages, driven through Django's test client against the
real services and database."""

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from emdash.accounts.models import Passkey, User
from emdash.content.models import Collection
from tests.factories import make_collection, make_user

ADMIN = "/_emdash/admin/"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str | bytes, tag: str, **wanted: str) -> list[dict[str, str]]:
    """Attributes of every ``tag`` whose attributes include ``wanted`` (write
    ``data_action`` for ``data-action``)."""
    parser = _Collector()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    expected = {name.replace("_", "-"): value for name, value in wanted.items()}
    return [
        attrs
        for name, attrs in parser.elements
        if name == tag and all(attrs.get(k) == v for k, v in expected.items())
    ]


def error_list(html: str | bytes, errors_id: str) -> str:
    """The text of the field-error list with this id ("" when there is none)."""
    text = html.decode() if isinstance(html, bytes) else html
    _, found, rest = text.partition(f'<ul class="field-errors" id="{errors_id}">')
    return rest.split("</ul>", 1)[0] if found else ""


def make_passkey(user: User, name: str) -> Passkey:
    """A stored passkey row (no ceremony: these pages only list, rename, remove)."""
    return Passkey.objects.create(
        credential_id=f"cred-{user.pk}-{Passkey.objects.count() + 1}",
        public_key=b"not-a-real-key",
        user=user,
        user_handle=bytes(user.passkey_handle),
        name=name,
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def administrator(db: None) -> User:
    user = make_user("administrator", "ada@example.com")
    user.display_name = "Ada Lovelace"
    user.save()
    return user


@pytest.fixture
def admin_client(administrator: User) -> Client:
    return signed_in(administrator)


@pytest.fixture
def posts(db: None) -> Collection:
    return make_collection("posts")


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]
