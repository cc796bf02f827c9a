"""Public URLs of entries: each collection's ``url_pattern`` (``/posts/{slug}/``,
``/{slug}/``) matched against the request path."""

import re
from collections.abc import Iterable
from functools import cache

from emdash.content.queries import PublicEntry, public_entry

SLUG = "{slug}"


@cache
def compile_pattern(url_pattern: str) -> re.Pattern[str]:
    """``/posts/{slug}/`` -> a regex whose ``slug`` group is one path segment, so
    ``/{slug}/`` never matches a path with more segments."""
    before, _, after = url_pattern.partition(SLUG)
    return re.compile(f"{re.escape(before)}(?P<slug>[^/]+){re.escape(after)}")


def _specificity(route: tuple[str, str]) -> int:
    return len(route[1]) - len(SLUG)


def candidates(path: str, routes: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(collection, slug) pairs ``path`` may name, the most literal pattern first."""
    found = []
    for collection, url_pattern in sorted(routes, key=_specificity, reverse=True):
        match = compile_pattern(url_pattern).fullmatch(path)
        if match:
            found.append((collection, match["slug"]))
    return found


def resolve_entry(path: str, routes: Iterable[tuple[str, str]]) -> PublicEntry | None:
    """The public entry at ``path``: one query per pattern that matches."""
    for collection, slug in candidates(path, routes):
        entry = public_entry(collection, slug)
        if entry is not None:
            return entry
    return None
