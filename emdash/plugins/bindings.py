"""The host functions of ABI ``emdash/0``: what a plugin can ask the site for.

Each function takes the call's context and the plugin's JSON request (an object)
and answers a JSON value, which the sandbox hands back as ``{"ok": value}``. An
ordinary failure (not found, refused, too large) raises an EmDashError, which the
plugin receives as ``{"error": {"code", "message"}}``; the message names the
function and the field.

A plugin's identity is bound when it is loaded, never read from a request: its kv
store and documents are keyed by the call context's plugin id, so another
plugin's data is unreachable by construction. Content goes through the content
services with the plugin as the actor, whose permissions follow its capabilities
(``permissions_for``); publishing is not among them, so a plugin writes drafts
and cannot change what is live.
"""

import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from emdash.content.schemas import EntryOut
from emdash.core.actors import Actor, plugin_actor
from emdash.core.errors import (
    BadRequest,
    EmDashError,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from emdash.plugins.manifest import Manifest, email_validator
from emdash.plugins.models import PluginDocument, PluginValue
from emdash.plugins.runtime import CONTENT_WRITABLE
from emdash.plugins.sandbox.calls import CallContext

if TYPE_CHECKING:
    from emdash.accounts.models import User
    from emdash.plugins.sandbox.host import HostImpl

KiB = 1024

MAX_KEY_CHARS = 200
MAX_VALUE_BYTES = 64 * KiB
MAX_KEYS_PER_PLUGIN = 10_000
MAX_DOCUMENT_ID_CHARS = 200
MAX_DOCUMENT_BYTES = 256 * KiB
MAX_DOCUMENTS_PER_COLLECTION = 100_000
DEFAULT_PAGE = 50
MAX_PAGE = 100
MAX_RECIPIENTS = 10
MAX_EMAILS_PER_CALL = 10
MAX_SUBJECT_CHARS = 200
MAX_EMAIL_BODY_BYTES = 256 * KiB
MAX_IDENTIFIER_CHARS = 200

# capability -> the permissions the plugin's actor holds with it. Publishing is
# deliberately absent: a plugin's content writes are drafts, and an entry that is
# live needs the right to publish to be changed.
PERMISSIONS_BY_CAPABILITY: dict[str, frozenset[str]] = {
    "content:read": frozenset({"content:read", "content:read_drafts"}),
    "content:write": frozenset(
        {
            "content:read",
            "content:read_drafts",
            "content:create",
            "content:edit_any",
            "content:delete_any",
        }
    ),
    "taxonomies:read": frozenset({"taxonomies:read"}),
    "media:read": frozenset({"media:read"}),
    "media:write": frozenset(
        {"media:read", "media:upload", "media:edit_any", "media:delete_any"}
    ),
    "users:read": frozenset({"users:read"}),
}

# content_create and content_update accept CONTENT_WRITABLE; any other property of
# an entry (status, author, dates, title...) is a system column the site keeps.
ENTRY_COLUMNS = frozenset(EntryOut.model_fields) | {"author_id", "password"}


class NotWritable(EmDashError):
    code = "NOT_WRITABLE"
    status = 422


class QuotaExceeded(EmDashError):
    code = "QUOTA_EXCEEDED"
    status = 422


class Unavailable(EmDashError):
    code = "UNAVAILABLE"
    status = 503


class DeadlinePassed(EmDashError):
    code = "TIMEOUT"
    status = 504


class EmailFailed(EmDashError):
    code = "EMAIL_FAILED"
    status = 502


class EmailCancelled(EmDashError):
    """An ``email:beforeSend`` hook of another plugin refused the mail."""

    code = "EMAIL_CANCELLED"
    status = 422


def permissions_for(capabilities: frozenset[str]) -> frozenset[str]:
    """The permissions of a plugin's actor, from its (effective) capabilities."""
    granted: set[str] = set()
    for capability in capabilities:
        granted |= PERMISSIONS_BY_CAPABILITY.get(capability, frozenset())
    return frozenset(granted)


@dataclass(frozen=True)
class PluginIdentity:
    """Who calls: bound into a plugin's host functions when it is loaded."""

    id: str
    manifest: Manifest
    capabilities: frozenset[str]  # granted, with what they imply
    actor: Actor = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "actor", plugin_actor(self.id, permissions_for(self.capabilities))
        )


@dataclass
class CallBudget:
    """What one hook call has used of the allowances that are not the sandbox's
    (pass one as ``LoadedPlugin.call(context=...)``)."""

    emails_sent: int = 0


Binding = Callable[[PluginIdentity, CallContext, dict[str, Any]], Any]


def host_functions(plugin: PluginIdentity) -> dict[str, "HostImpl"]:
    """Every host function (but ``log``, which the sandbox implements), bound to
    ``plugin``; the sandbox links only those its module imports."""
    return {name: partial(binding, plugin) for name, binding in BINDINGS.items()}


# -- reading requests -----------------------------------------------------------------


class _Request:
    """A host function's request, read field by field; every problem names the
    function and the field."""

    def __init__(
        self,
        function: str,
        request: Mapping[str, Any],
        allowed: tuple[str, ...],
        *,
        not_writable: frozenset[str] = frozenset(),
    ) -> None:
        self.function = function
        self.request = request
        for key in request:
            if key in allowed:
                continue
            if key in not_writable:
                raise NotWritable(
                    f"{function}: '{key}' is kept by the site and plugins cannot "
                    f"write it (send only {', '.join(allowed)})"
                )
            takes = ", ".join(allowed) or "nothing"
            raise BadRequest(f"{function}: unknown property '{key}' (it takes {takes})")

    def problem(self, key: str, text: str) -> BadRequest:
        return BadRequest(f"{self.function}: '{key}' {text}")

    def has(self, key: str) -> bool:
        return key in self.request

    def string(
        self,
        key: str,
        *,
        required: bool = True,
        max_chars: int = MAX_IDENTIFIER_CHARS,
    ) -> str:
        if key not in self.request:
            if required:
                raise self.problem(key, "is required")
            return ""
        value = self.request[key]
        if not isinstance(value, str):
            raise self.problem(key, "must be a string")
        if required and not value:
            raise self.problem(key, "must not be empty")
        if len(value) > max_chars:
            raise self.problem(key, f"must be at most {max_chars} characters")
        return value

    def integer(
        self, key: str, *, low: int, high: int, default: int | None = None
    ) -> int | None:
        if key not in self.request:
            return default
        value = self.request[key]
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON numbers from AssemblyScript are f64
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.problem(key, "must be an integer")
        if not low <= value <= high:
            raise self.problem(key, f"must be between {low} and {high}")
        return value

    def limit(self) -> int:
        limit = self.integer("limit", low=1, high=MAX_PAGE, default=DEFAULT_PAGE)
        assert limit is not None  # noqa: S101 - it has a default
        return limit

    def object(self, key: str, *, required: bool = True) -> dict[str, Any]:
        if key not in self.request:
            if required:
                raise self.problem(key, "is required")
            return {}
        value = self.request[key]
        if not isinstance(value, dict):
            raise self.problem(key, "must be an object")
        return value


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


@contextmanager
def _fields_in_messages() -> Iterator[None]:
    """The plugin sees only a code and a message, so a validation error's
    per-field problems go into its message."""
    try:
        yield
    except ValidationFailed as error:
        if not error.fields:
            raise
        listed = "; ".join(f"{name}: {text}" for name, text in error.fields.items())
        raise type(error)(
            f"{error.message.rstrip('.')} ({listed}).",
            code=error.code,
            fields=error.fields,
        ) from error


# -- always available -----------------------------------------------------------------


def site_info(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{}`` -> ``{"title", "tagline", "url", "language"}``."""
    from emdash.core import site_settings

    _Request("site_info", request, ())
    return site_json(site_settings.public_settings())


def site_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """The site as plugins see it, from its public settings ``values``."""
    return {
        "title": values["title"],
        "tagline": values["tagline"],
        "url": settings.SITE_URL,
        "language": values["language"],
    }


def _upsert(
    model: type[PluginValue | PluginDocument],
    scope: dict[str, str],
    name: dict[str, str],
    changes: dict[str, Any],
    *,
    most: int,
    quota_message: str,
) -> None:
    """Update the row of ``model`` within ``scope`` that ``name`` picks with
    ``changes``, or create it unless ``scope`` holds ``most`` rows already
    (QuotaExceeded, saying ``quota_message``)."""
    rows = model.objects.filter(**scope)
    if rows.filter(**name).update(**changes, updated_at=timezone.now()):
        return
    if rows.count() >= most:
        raise QuotaExceeded(quota_message)
    try:
        with transaction.atomic():
            model.objects.create(**scope, **name, **changes)
    except IntegrityError:  # created by a concurrent call since the update
        rows.filter(**name).update(**changes, updated_at=timezone.now())


def _key(request: _Request) -> str:
    return request.string("key", max_chars=MAX_KEY_CHARS)


def kv_get(plugin: PluginIdentity, call: CallContext, request: dict[str, Any]) -> Any:
    """``{"key"}`` -> the stored value, or null when the key is unset."""
    key = _key(_Request("kv_get", request, ("key",)))
    row = PluginValue.objects.filter(plugin_id=call.plugin_id, key=key).first()
    return None if row is None else row.value


def kv_set(plugin: PluginIdentity, call: CallContext, request: dict[str, Any]) -> None:
    """``{"key", "value"}`` -> null. The value is any JSON up to MAX_VALUE_BYTES;
    a plugin keeps at most MAX_KEYS_PER_PLUGIN keys."""
    fields = _Request("kv_set", request, ("key", "value"))
    key = _key(fields)
    if not fields.has("value"):
        raise fields.problem("value", "is required")
    value = request["value"]
    size = _json_size(value)
    if size > MAX_VALUE_BYTES:
        raise PayloadTooLarge(
            f"kv_set: the value of '{key}' is {size} bytes as JSON, over the "
            f"{MAX_VALUE_BYTES}-byte limit"
        )
    _upsert(
        PluginValue,
        {"plugin_id": call.plugin_id},
        {"key": key},
        {"value": value},
        most=MAX_KEYS_PER_PLUGIN,
        quota_message=f"kv_set: the plugin already keeps {MAX_KEYS_PER_PLUGIN} "
        f"keys, the most it may; delete some before adding '{key}'",
    )


def kv_delete(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, bool]:
    """``{"key"}`` -> ``{"deleted": bool}``."""
    key = _key(_Request("kv_delete", request, ("key",)))
    deleted, _ = PluginValue.objects.filter(plugin_id=call.plugin_id, key=key).delete()
    return {"deleted": bool(deleted)}


def kv_list(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"prefix"?, "limit"?, "cursor"?}`` -> ``{"items": [{"key", "value"}],
    "next_cursor"}`` in key order; pass ``next_cursor`` back as ``cursor``."""
    fields = _Request("kv_list", request, ("prefix", "limit", "cursor"))
    prefix = fields.string("prefix", required=False, max_chars=MAX_KEY_CHARS)
    cursor = fields.string("cursor", required=False, max_chars=MAX_KEY_CHARS)
    limit = fields.limit()
    rows = PluginValue.objects.filter(plugin_id=call.plugin_id).order_by("key")
    if prefix:
        rows = rows.filter(key__startswith=prefix)
    if cursor:
        rows = rows.filter(key__gt=cursor)
    found = list(rows.values_list("key", "value")[: limit + 1])
    page = found[:limit]
    return {
        "items": [{"key": key, "value": value} for key, value in page],
        "next_cursor": page[-1][0] if len(found) > limit else None,
    }


def _collection(plugin: PluginIdentity, fields: _Request) -> tuple[str, list[str]]:
    """The request's storage collection, which the manifest must declare; with
    its indexes."""
    name = fields.string("collection", max_chars=64)
    spec = plugin.manifest.storage.get(name)
    if spec is None:
        declared = ", ".join(plugin.manifest.storage) or "none"
        raise NotFound(
            f"{fields.function}: collection '{name}' is not declared in the "
            f"manifest's storage (declared: {declared})",
            code="COLLECTION_NOT_DECLARED",
        )
    return name, list(spec.indexes)


def _document_id(fields: _Request) -> str:
    return fields.string("id", max_chars=MAX_DOCUMENT_ID_CHARS)


def storage_get(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any] | None:
    """``{"collection", "id"}`` -> ``{"id", "data"}``, or null when there is no
    such document."""
    fields = _Request("storage_get", request, ("collection", "id"))
    collection, _ = _collection(plugin, fields)
    document_id = _document_id(fields)
    data = (
        PluginDocument.objects.filter(
            plugin_id=call.plugin_id, collection=collection, document_id=document_id
        )
        .values_list("data", flat=True)
        .first()
    )
    return None if data is None else {"id": document_id, "data": data}


def storage_put(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, str]:
    """``{"collection", "id", "data"}`` -> ``{"id"}``: creates or replaces the
    document. ``data`` is an object up to MAX_DOCUMENT_BYTES; a collection holds
    at most MAX_DOCUMENTS_PER_COLLECTION documents."""
    fields = _Request("storage_put", request, ("collection", "id", "data"))
    collection, _ = _collection(plugin, fields)
    document_id = _document_id(fields)
    data = fields.object("data")
    size = _json_size(data)
    if size > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(
            f"storage_put: document '{document_id}' is {size} bytes as JSON, over "
            f"the {MAX_DOCUMENT_BYTES}-byte limit"
        )
    _upsert(
        PluginDocument,
        {"plugin_id": call.plugin_id, "collection": collection},
        {"document_id": document_id},
        {"data": data},
        most=MAX_DOCUMENTS_PER_COLLECTION,
        quota_message=f"storage_put: collection '{collection}' already holds "
        f"{MAX_DOCUMENTS_PER_COLLECTION} documents, the most it may",
    )
    return {"id": document_id}


def storage_delete(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, bool]:
    """``{"collection", "id"}`` -> ``{"deleted": bool}``."""
    fields = _Request("storage_delete", request, ("collection", "id"))
    collection, _ = _collection(plugin, fields)
    deleted, _ = PluginDocument.objects.filter(
        plugin_id=call.plugin_id,
        collection=collection,
        document_id=_document_id(fields),
    ).delete()
    return {"deleted": bool(deleted)}


def storage_query(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"collection", "where"?, "limit"?, "cursor"?}`` -> ``{"items": [{"id",
    "data"}], "next_cursor"}`` in id order. ``where`` maps declared index fields
    to the values they must equal (a string, number or boolean)."""
    fields = _Request(
        "storage_query", request, ("collection", "where", "limit", "cursor")
    )
    collection, indexes = _collection(plugin, fields)
    where = fields.object("where", required=False)
    cursor = fields.string("cursor", required=False, max_chars=MAX_DOCUMENT_ID_CHARS)
    limit = fields.limit()
    documents = PluginDocument.objects.filter(
        plugin_id=call.plugin_id, collection=collection
    ).order_by("document_id")
    for position, (name, value) in enumerate(where.items()):
        if name not in indexes:
            raise fields.problem(
                f"where.{name}",
                f"is not an index of collection '{collection}' "
                f"(its indexes: {', '.join(indexes) or 'none'})",
            )
        if not isinstance(value, str | int | float | bool) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise fields.problem(
                f"where.{name}", "must be a string, a number or a boolean"
            )
        # A key transform, not a lookup string: a field named like a lookup
        # ("contains") must still mean the field.
        alias = f"index_{position}"
        documents = documents.alias(**{alias: KeyTransform(name, "data")}).filter(
            **{alias: value}
        )
    if cursor:
        documents = documents.filter(document_id__gt=cursor)
    found = list(documents.values_list("document_id", "data")[: limit + 1])
    page = found[:limit]
    return {
        "items": [{"id": document_id, "data": data} for document_id, data in page],
        "next_cursor": page[-1][0] if len(found) > limit else None,
    }


# -- content:read, content:write ------------------------------------------------------


def _entry_json(entry: Any) -> dict[str, Any]:
    from emdash.content.schemas import entry_out

    return entry_out(entry).model_dump(mode="json")


def content_get(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"collection", "id"}`` (an id or a slug) -> the entry's working copy, as
    the REST API shows it."""
    from emdash.content.services import entries

    fields = _Request("content_get", request, ("collection", "id"))
    with _fields_in_messages():
        entry = entries.get_entry(
            plugin.actor, fields.string("collection"), fields.string("id")
        )
    return _entry_json(entry)


def content_list(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"collection", "status"?, "limit"?, "cursor"?}`` -> ``{"items",
    "next_cursor"}``, newest first."""
    from emdash.content import queries
    from emdash.content.schemas import entry_page_out

    fields = _Request(
        "content_list", request, ("collection", "status", "limit", "cursor")
    )
    status = fields.string("status", required=False) or None
    with _fields_in_messages():
        page = queries.list_entries(
            plugin.actor,
            fields.string("collection"),
            filters=queries.EntryFilters(status=status),
            cursor=fields.string("cursor", required=False, max_chars=1000) or None,
            limit=fields.limit(),
        )
    return entry_page_out(page).model_dump(mode="json")


def _content_values(fields: _Request) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, kind in CONTENT_WRITABLE.items():
        if fields.has(key):
            values[key] = fields.string(key) if kind is str else fields.object(key)
    return values


def content_create(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"collection", "data"?, "seo"?, "slug"?}`` -> the new entry, a draft
    authored by nobody. Every other property of an entry is refused."""
    from emdash.content.services import entries

    fields = _Request(
        "content_create",
        request,
        ("collection", *CONTENT_WRITABLE),
        not_writable=ENTRY_COLUMNS,
    )
    collection = fields.string("collection")
    with _fields_in_messages():
        entry = entries.create_entry(plugin.actor, collection, _content_values(fields))
    return _entry_json(entry)


def content_update(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"collection", "id", "data"?, "seo"?, "slug"?, "version"?}`` -> the
    entry. ``data`` is merged over the current data. With ``version``, a save
    since that version is a VERSION_CONFLICT; without it the change applies to
    whatever is current."""
    from emdash.content.services import entries

    fields = _Request(
        "content_update",
        request,
        ("collection", "id", *CONTENT_WRITABLE, "version"),
        not_writable=ENTRY_COLUMNS,
    )
    collection, entry_id = fields.string("collection"), fields.string("id")
    version = fields.integer("version", low=1, high=2**62)
    with _fields_in_messages():
        if version is None:
            version = entries.get_entry(plugin.actor, collection, entry_id).version
        entry = entries.update_entry(
            plugin.actor,
            collection,
            entry_id,
            {**_content_values(fields), "version": version},
        )
    return _entry_json(entry)


def content_delete(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"collection", "id", "version"?}`` -> the entry, moved to the trash
    (it can be restored; deleting for good is for administrators)."""
    from emdash.content.services import entries

    fields = _Request("content_delete", request, ("collection", "id", "version"))
    with _fields_in_messages():
        entry = entries.trash_entry(
            plugin.actor,
            fields.string("collection"),
            fields.string("id"),
            version=fields.integer("version", low=1, high=2**62),
        )
    return _entry_json(entry)


# -- taxonomies:read ------------------------------------------------------------------


def taxonomy_list(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{}`` -> ``{"items": [taxonomy]}``; ``{"taxonomy"}`` -> ``{"items":
    [term]}``, the terms of that taxonomy."""
    from emdash.content.schemas import taxonomy_out, term_out
    from emdash.content.services import taxonomies

    fields = _Request("taxonomy_list", request, ("taxonomy",))
    taxonomy = fields.string("taxonomy", required=False)
    if taxonomy:
        items = [
            term_out(term).model_dump(mode="json")
            for term in taxonomies.list_terms(plugin.actor, taxonomy)
        ]
    else:
        items = [
            taxonomy_out(found).model_dump(mode="json")
            for found in taxonomies.list_taxonomies(plugin.actor)
        ]
    return {"items": items}


# -- media:read, media:write ----------------------------------------------------------


def media_unavailable(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> None:
    raise Unavailable(
        "the media host functions are not available yet: the media library "
        "arrives with the media issue"
    )


# -- users:read -----------------------------------------------------------------------


def user_summary(user: "User") -> dict[str, Any]:
    """``{"id", "display_name", "role"}``: a user as any plugin may see them (a
    route's caller); the display name falls back to the email."""
    return {
        "id": user.pk,
        "display_name": user.display_name or user.email,
        "role": user.role,
    }


def _user_json(user: Any) -> dict[str, Any]:
    return {**user_summary(user), "email": user.email}


def user_get(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"id"}`` (a number, or its digits) -> ``{"id", "display_name", "role",
    "email"}``."""
    from emdash.accounts import users

    fields = _Request("user_get", request, ("id",))
    raw = request.get("id")
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        user_id: int | None = int(raw)
    else:
        user_id = fields.integer("id", low=1, high=2**62)
    if user_id is None:
        raise fields.problem("id", "is required")
    return _user_json(users.get_user(plugin.actor, user_id))


def user_list(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"role"?, "limit"?, "cursor"?}`` -> ``{"items", "next_cursor"}`` in id
    order; active users only."""
    from emdash.accounts import users

    fields = _Request("user_list", request, ("role", "limit", "cursor"))
    role = fields.string("role", required=False, max_chars=32) or None
    cursor = fields.integer("cursor", low=0, high=2**62, default=0)
    limit = fields.limit()
    found = list(
        users.list_users(plugin.actor, users.UserFilters(role=role, active=True))
        .filter(pk__gt=cursor)
        .order_by("pk")[: limit + 1]
    )
    page = found[:limit]
    return {
        "items": [_user_json(user) for user in page],
        "next_cursor": page[-1].pk if len(found) > limit else None,
    }


# -- email:send -----------------------------------------------------------------------


def email_send(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, int]:
    """``{"to", "subject", "text", "html"?}`` -> ``{"recipients": n}``. ``to`` is
    an address or a list of up to MAX_RECIPIENTS; the sender is the site's. The
    send may take only what is left of the hook's time. The other plugins'
    ``email:beforeSend`` hooks may change its subject and text, or cancel it
    (EMAIL_CANCELLED); ``email:afterSend`` runs once it went."""
    from django.core.mail import EmailMultiAlternatives, mailers

    from emdash.core import hooks
    from emdash.plugins.runtime import PluginRejected

    fields = _Request("email_send", request, ("to", "subject", "text", "html"))
    recipients = _recipients(fields)
    subject = fields.string("subject", max_chars=MAX_SUBJECT_CHARS)
    if "\n" in subject or "\r" in subject:
        raise fields.problem("subject", "must be one line")
    text = fields.string("text", required=False, max_chars=MAX_EMAIL_BODY_BYTES)
    html = fields.string("html", required=False, max_chars=MAX_EMAIL_BODY_BYTES)
    if not text and not html:
        raise fields.problem("text", "is required (or html), and must not be empty")
    size = len(text.encode()) + len(html.encode())
    if size > MAX_EMAIL_BODY_BYTES:
        raise PayloadTooLarge(
            f"email_send: the body is {size} bytes, over the "
            f"{MAX_EMAIL_BODY_BYTES}-byte limit"
        )
    budget = call.context if isinstance(call.context, CallBudget) else CallBudget()
    if budget.emails_sent >= MAX_EMAILS_PER_CALL:
        raise QuotaExceeded(
            f"email_send: a hook call may send at most {MAX_EMAILS_PER_CALL} emails"
        )
    payload: dict[str, Any] = {
        "to": recipients,
        "subject": subject,
        "text": text,
        "source": f"plugin:{plugin.id}",
    }
    try:
        payload = hooks.run_before("email:beforeSend", payload, plugin.actor)
    except PluginRejected as cancelled:
        raise EmailCancelled(
            f"email_send: the mail was cancelled: {cancelled.message}",
            details=cancelled.details,
        ) from cancelled
    remaining = call.remaining_seconds()
    if remaining <= 0:
        raise DeadlinePassed("email_send: the hook's time is up")
    message = EmailMultiAlternatives(
        payload["subject"],
        payload["text"],
        settings.DEFAULT_FROM_EMAIL,
        payload["to"],
        headers={"X-EmDash-Plugin": plugin.id},
    )
    if html:
        message.attach_alternative(html, "text/html")
    mailer = mailers.default
    # Blocking outside wasm escapes the epoch deadline: bound each wait by it.
    if hasattr(mailer, "timeout"):
        mailer.timeout = min(mailer.timeout or remaining, remaining)
    try:
        mailer.send_messages([message])
    except OSError as error:  # smtplib's errors are OSErrors, as are timeouts
        raise EmailFailed(
            f"email_send: the mail server did not take the message "
            f"({type(error).__name__}: {error})"
        ) from error
    budget.emails_sent += 1
    hooks.run_after("email:afterSend", payload, plugin.actor)
    return {"recipients": len(recipients)}


def _recipients(fields: _Request) -> list[str]:
    raw = fields.request.get("to")
    addresses = [raw] if isinstance(raw, str) else raw
    if not isinstance(addresses, list) or not addresses:
        raise fields.problem("to", "must be an address or a non-empty list of them")
    if len(addresses) > MAX_RECIPIENTS:
        raise fields.problem("to", f"may name at most {MAX_RECIPIENTS} recipients")
    for address in addresses:
        try:
            if not isinstance(address, str):
                raise ValidationError("not a string")
            email_validator(address)
        except ValidationError:
            raise fields.problem(
                "to", f"holds {address!r}, not an email address"
            ) from None
    return addresses


# -- network:request ------------------------------------------------------------------


def http_fetch(
    plugin: PluginIdentity, call: CallContext, request: dict[str, Any]
) -> dict[str, Any]:
    """``{"url", "method"?, "headers"?, "body"?}`` -> ``{"status", "headers",
    "url", "body"}`` (see ``emdash.plugins.network.fetch``): only to the
    manifest's ``allowed_hosts`` (any public host with
    ``network:request:unrestricted``), within what is left of the hook's time."""
    from emdash.plugins import network

    return network.fetch(
        request,
        plugin_id=call.plugin_id,
        allowed_hosts=plugin.manifest.allowed_hosts,
        unrestricted="network:request:unrestricted" in call.capabilities,
        deadline_seconds=call.remaining_seconds(),
    )


BINDINGS: dict[str, Binding] = {
    "site_info": site_info,
    "kv_get": kv_get,
    "kv_set": kv_set,
    "kv_delete": kv_delete,
    "kv_list": kv_list,
    "storage_get": storage_get,
    "storage_put": storage_put,
    "storage_delete": storage_delete,
    "storage_query": storage_query,
    "content_get": content_get,
    "content_list": content_list,
    "content_create": content_create,
    "content_update": content_update,
    "content_delete": content_delete,
    "taxonomy_list": taxonomy_list,
    "media_get": media_unavailable,
    "media_list": media_unavailable,
    "media_upload": media_unavailable,
    "media_delete": media_unavailable,
    "user_get": user_get,
    "user_list": user_list,
    "email_send": email_send,
    "http_fetch": http_fetch,
}
