"""Slugs: Unicode allowed, NFKC-normalised, lowercase, hyphen-separated, ≤ 200 chars."""

import re
import unicodedata

from emdash.core.errors import ValidationFailed

MAX_SLUG_LENGTH = 200

# Words that would shadow a site route or read as an instruction rather than a name.
RESERVED_SLUGS = frozenset(
    {
        "_emdash",
        "admin",
        "api",
        "category",
        "edit",
        "feed",
        "feed.xml",
        "media",
        "new",
        "robots.txt",
        "search",
        "sitemap.xml",
        "static",
        "tag",
        "wp-admin",
        "wp-login.php",
    }
)

_SEPARATORS = re.compile(r"[^\w]+|_+")
_VALID = re.compile(r"^[^\W_]+(?:-[^\W_]+)*$")


def normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).lower()


def slugify(text: str) -> str:
    """Turn a title into a slug: "Ça va? Déjà 2024!" -> "ça-va-déjà-2024"."""
    slug = _SEPARATORS.sub("-", normalise(text)).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rstrip("-")
    return slug


def clean_slug(
    value: object, *, field: str = "slug", reserved: frozenset[str] = RESERVED_SLUGS
) -> str:
    """Validate a slug given by a user; returns its normalised form. ``reserved``
    defaults to the words that would shadow site routes (entry slugs); term and
    menu slugs live under their own prefixes and pass ``frozenset()``."""
    if not isinstance(value, str):
        raise ValidationFailed("Invalid slug.", fields={field: "must be a string"})
    slug = normalise(value.strip())
    problem = None
    if not slug:
        problem = "must not be empty"
    elif len(slug) > MAX_SLUG_LENGTH:
        problem = f"must be at most {MAX_SLUG_LENGTH} characters"
    elif not _VALID.match(slug):
        problem = "may contain only letters, digits and single hyphens between them"
    elif slug in reserved:
        problem = f"'{slug}' is reserved"
    if problem:
        raise ValidationFailed(f"Invalid slug: {problem}.", fields={field: problem})
    return slug


def with_suffix(slug: str, n: int) -> str:
    suffix = f"-{n}"
    return slug[: MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
