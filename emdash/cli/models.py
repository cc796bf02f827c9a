"""Answers of the REST API that have no shared model in a domain's ``schemas.py``."""

from typing import Any

from pydantic import BaseModel, RootModel


class SettingsOut(RootModel[dict[str, Any]]):
    """The site settings, key by key (the API builds its model from the defaults)."""


class NoContent(BaseModel):
    """The empty answer of a route that replies 204 No Content."""
