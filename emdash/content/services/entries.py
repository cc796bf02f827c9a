"""Entries: create, edit, publish, schedule, trash, duplicate, revisions.

Every write follows one order: permission check -> validation -> before-hooks ->
write (entry, revision, references, terms, search documents) -> audit -> epoch
bump, all in one transaction; after-hooks run once it commits. A stale
``version`` fails the conditional update, so a conflicting save writes nothing.
"""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from emdash.content import markdown, references, slugs
from emdash.content.fields import FieldSpec, clean_data, search_text
from emdash.content.models import (
    Collection,
    Entry,
    EntryReference,
    Revision,
    SearchDocument,
    Status,
    Visibility,
)
from emdash.content.services import taxonomies
from emdash.content.services.collections import field_specs, load_collection
from emdash.content.text import index_text
from emdash.core import audit, epoch, hooks
from emdash.core.actors import SYSTEM, Actor
from emdash.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
    VersionConflict,
)
from emdash.core.ids import is_ulid
from emdash.media.models import Media

LIVE_STATUSES = (Status.PUBLISHED, Status.SCHEDULED)
SEO_KEYS = frozenset({"title", "description", "image", "canonical", "noindex"})
CREATE_KEYS = frozenset(
    {
        "slug",
        "status",
        "visibility",
        "password",
        "data",
        "seo",
        "terms",
        "locale",
        "scheduled_at",
        "published_at",
    }
)
UPDATE_KEYS = frozenset(
    {"slug", "visibility", "password", "data", "seo", "terms", "version"}
)


def live_q(now: datetime | None = None) -> Q:
    """Entries the public may see right now: published, or scheduled and due."""
    now = now or timezone.now()
    return Q(status=Status.PUBLISHED) | Q(
        status=Status.SCHEDULED, scheduled_at__lte=now
    )


# -- reading --------------------------------------------------------------------------


def get_entry(actor: Actor, collection_slug: str, entry_id: str) -> Entry:
    """The working copy for those who may read drafts; others get live entries only."""
    entry = _load(collection_slug, entry_id)
    if actor.has("content:read_drafts") or (
        entry.author_id is not None and entry.author_id == actor.user_id
    ):
        return entry
    if entry.visibility == Visibility.PUBLIC and is_live(entry):
        return entry
    raise NotFound(
        f"No entry '{entry_id}' in '{collection_slug}'.", code="ENTRY_NOT_FOUND"
    )


def is_live(entry: Entry) -> bool:
    return entry.status == Status.PUBLISHED or (
        entry.status == Status.SCHEDULED
        and entry.scheduled_at is not None
        and entry.scheduled_at <= timezone.now()
    )


def _load(collection_slug: str, entry_id: str) -> Entry:
    """An entry by id, or by its (working) slug: ids are upper-case ULIDs and
    slugs lower-case, so the two never collide. A slug used in several locales
    picks the oldest entry."""
    queryset = Entry.objects.select_related("collection", "author", "live_revision")
    lookup = {"pk": entry_id} if is_ulid(entry_id) else {"slug": entry_id}
    entry = queryset.filter(collection__slug=collection_slug, **lookup).order_by(
        "created_at"
    )
    try:
        return entry[:1].get()
    except Entry.DoesNotExist:
        load_collection(collection_slug)  # a missing collection says so
        raise NotFound(
            f"No entry '{entry_id}' in '{collection_slug}'.", code="ENTRY_NOT_FOUND"
        ) from None


# -- validation helpers ---------------------------------------------------------------


def _check_keys(values: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationFailed(
            f"Unknown {'property' if len(unknown) == 1 else 'properties'}: "
            f"{', '.join(unknown)}.",
            fields=dict.fromkeys(unknown, "unknown property"),
        )


def _clean_seo(collection: Collection, seo: Any) -> dict[str, Any]:
    if seo in (None, {}):
        return {}
    if not collection.supports_feature("seo"):
        raise ValidationFailed(
            f"Collection '{collection.slug}' does not support SEO.",
            fields={"seo": "this collection does not support seo"},
        )
    if not isinstance(seo, dict):
        raise ValidationFailed("Invalid SEO.", fields={"seo": "must be an object"})
    errors: dict[str, str] = {}
    for key in sorted(set(seo) - SEO_KEYS):
        errors[f"seo.{key}"] = "unknown property"
    for key in ("title", "description", "image", "canonical"):
        value = seo.get(key)
        if value is not None and not isinstance(value, str):
            errors[f"seo.{key}"] = "must be a string"
    if len(seo.get("title") or "") > 200:
        errors["seo.title"] = "must be at most 200 characters"
    if len(seo.get("description") or "") > 500:
        errors["seo.description"] = "must be at most 500 characters"
    canonical = seo.get("canonical")
    if (
        isinstance(canonical, str)
        and canonical
        and not canonical.startswith(("https://", "http://", "/"))
    ):
        errors["seo.canonical"] = "must be an absolute http(s) URL or a path"
    if "noindex" in seo and not isinstance(seo["noindex"], bool):
        errors["seo.noindex"] = "must be true or false"
    if errors:
        raise ValidationFailed("Invalid SEO.", fields=errors)
    return {key: seo[key] for key in SEO_KEYS if seo.get(key) not in (None, "")}


def _clean_visibility(
    visibility: Any, password: Any, current_hash: str
) -> tuple[str, str]:
    if visibility not in Visibility.values:
        raise ValidationFailed(
            "Invalid visibility.",
            fields={"visibility": f"must be one of: {', '.join(Visibility.values)}"},
        )
    if visibility != Visibility.PASSWORD:
        return visibility, ""
    if password is None:
        if current_hash:
            return visibility, current_hash
        raise ValidationFailed(
            "A password-protected entry needs a password.",
            fields={"password": "is required when visibility is password"},
        )
    if not isinstance(password, str) or not 1 <= len(password) <= 200:
        raise ValidationFailed(
            "Invalid password.", fields={"password": "must be 1-200 characters"}
        )
    return visibility, make_password(password)


def _clean(
    specs: list[FieldSpec], data: dict[str, Any], existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validated data without empty values: a field with no value is simply absent."""
    cleaned = clean_data(specs, data, existing=existing)
    return {key: value for key, value in cleaned.items() if value is not None}


def _title(collection: Collection, data: dict[str, Any]) -> str:
    value = data.get(collection.title_field)
    return str(value)[:500] if value is not None else ""


def _parse_when(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(
                "Invalid date.", fields={field: "must be an ISO 8601 date-time"}
            ) from None
    else:
        raise ValidationFailed(
            "Invalid date.", fields={field: "must be an ISO 8601 date-time"}
        )
    if timezone.is_naive(when):
        raise ValidationFailed(
            "Dates need a timezone.",
            fields={field: "must include a timezone offset, e.g. Z"},
        )
    return when


def _require_edit(actor: Actor, entry: Entry) -> None:
    actor.require("content:edit", owner_id=entry.author_id)
    # Changing live content needs the right to publish it.
    if entry.status in LIVE_STATUSES:
        actor.require("content:publish", owner_id=entry.author_id)


# -- the write path -------------------------------------------------------------------


def _run_before_save(
    actor: Actor,
    collection: Collection,
    specs: list[FieldSpec],
    entry_id: str | None,
    slug: str | None,
    data: dict,
    seo: dict,
) -> tuple[str | None, dict, dict]:
    """Run the before-save hooks; whatever they hand back is validated again, the
    data and the SEO object each on their own."""
    payload = {
        "collection": collection.slug,
        "id": entry_id,
        "slug": slug,
        "data": data,
        "seo": seo,
    }
    result = hooks.run_before("content:beforeSave", payload, actor)
    hooked_data, hooked_seo = result.get("data", data), result.get("seo", seo)
    if hooked_data is not data:
        data = _clean(specs, hooked_data)
    # A hook's SEO object applies where the collection keeps one (a plugin such as
    # seo-guard cannot tell); where it does not, it is left out, not an error.
    if hooked_seo is not seo and collection.supports_feature("seo"):
        seo = _clean_seo(collection, hooked_seo)
    return result.get("slug", slug), data, seo


def _render(specs: list[FieldSpec], data: dict[str, Any]) -> dict[str, str]:
    fields = [
        s for s in specs if s.type == "markdown" and isinstance(data.get(s.slug), str)
    ]
    if not fields:
        return {}
    wanted = {mid for s in fields for mid in markdown.media_ids(data[s.slug])}
    media = {
        m.id: markdown.MediaInfo(
            id=m.id,
            url=m.file.url if m.file else "",
            width=m.width,
            height=m.height,
            alt=m.alt,
            mime_type=m.mime_type,
        )
        for m in Media.objects.filter(pk__in=wanted)
    }
    rendered: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in fields:
        try:
            rendered[spec.slug] = markdown.render_markdown(data[spec.slug], media=media)
        except (markdown.MarkdownTooLarge, markdown.MarkdownTooComplex) as exc:
            errors[spec.slug] = exc.message
    if errors:
        raise ValidationFailed("Some Markdown cannot be rendered.", fields=errors)
    return rendered


def _snapshot(
    entry: Entry, actor: Actor, specs: list[FieldSpec], note: str = ""
) -> Revision:
    number = (entry.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return Revision.objects.create(
        entry=entry,
        number=number,
        slug=entry.slug,
        title=entry.title,
        data=entry.data,
        seo=entry.seo,
        actor_label=actor.label[:200],
        note=note,
        rendered=_render(specs, entry.data),
    )


def _search_text(specs: list[FieldSpec], data: dict[str, Any]) -> str:
    parts = []
    for spec in specs:
        value = data.get(spec.slug)
        if not spec.searchable or value is None:
            continue
        text = search_text(spec, value)
        parts.append(markdown.plain_text(text) if spec.type == "markdown" else text)
    return "\n".join(p for p in parts if p)


def _sync_search(
    entry: Entry, specs: list[FieldSpec], *, live: Revision | None, live_changed: bool
) -> None:
    """Keep the working document always, and the live one while the entry is live."""
    if not entry.collection.supports_feature("search"):
        return
    if entry.status == Status.TRASH:
        SearchDocument.objects.filter(entry=entry).delete()
        return
    working_body = _search_text(specs, entry.data)
    variants = [(SearchDocument.WORKING, entry.title, working_body)]
    if live_changed and live is None:
        SearchDocument.objects.filter(entry=entry, variant=SearchDocument.LIVE).delete()
    elif live_changed:
        # Publishing makes the working copy live: extract its text once, not twice.
        same = live.data == entry.data
        live_body = working_body if same else _search_text(specs, live.data)
        variants.append((SearchDocument.LIVE, live.title, live_body))
    for variant, title, body in variants:
        SearchDocument.objects.update_or_create(
            entry=entry,
            variant=variant,
            defaults={
                "collection_slug": entry.collection.slug,
                "locale": entry.locale,
                "title": title,
                "body": body,
                "title_folded": index_text(title),
                "body_folded": index_text(body),
            },
        )


def _next_due() -> datetime | None:
    return Entry.objects.filter(
        status=Status.SCHEDULED, scheduled_at__gt=timezone.now()
    ).aggregate(due=Min("scheduled_at"))["due"]


def _bump() -> None:
    epoch.bump(next_due_at=_next_due())


def _insert_with_slug(entry: Entry, *, generated: bool) -> None:
    """Insert, letting the unique index decide; a generated slug gets a suffix."""
    base = entry.slug
    for attempt in range(1, 100):
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
            return
        except IntegrityError as exc:
            if Entry.objects.filter(pk=entry.pk).exists():
                raise
            if not _slug_taken(entry):
                _raise_unique_violation(entry, exc)
            if not generated:
                raise Conflict(
                    f"The slug '{base}' is already used in '{entry.collection.slug}'.",
                    code="SLUG_TAKEN",
                    details={"fields": {"slug": "is already used"}},
                ) from None
            entry.slug = slugs.with_suffix(base, attempt + 1)
    raise Conflict(f"Could not find a free slug for '{base}'.", code="SLUG_TAKEN")


def _slug_taken(entry: Entry) -> bool:
    return (
        Entry.objects.filter(
            collection=entry.collection, locale=entry.locale, slug=entry.slug
        )
        .exclude(pk=entry.pk)
        .exists()
    )


def _raise_unique_violation(entry: Entry, exc: IntegrityError) -> None:
    """Name the unique field whose partial index refused the write."""
    for spec in field_specs(entry.collection):
        value = entry.data.get(spec.slug)
        if not spec.unique or value is None:
            continue
        clash = (
            Entry.objects.filter(
                collection=entry.collection, **{f"data__{spec.slug}": value}
            )
            .exclude(pk=entry.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if clash:
            raise ValidationFailed(
                f"Another entry already has this {spec.slug}.",
                code="UNIQUE_VIOLATION",
                fields={spec.slug: f"must be unique; entry {clash} already uses it"},
            ) from exc
    raise exc


def _flips_due_first[**P, R](write: Callable[P, R]) -> Callable[P, R]:
    """Every write first publishes what is due, so no daemon is needed."""

    @functools.wraps(write)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        publish_due(SYSTEM)
        return write(*args, **kwargs)

    return wrapper


def _assert_can_set_status(actor: Actor, status: str, owner_id: int | None) -> None:
    if status in (Status.PUBLISHED, Status.SCHEDULED):
        actor.require("content:publish", owner_id=owner_id)


@_flips_due_first
@hooks.hooked_write
def create_entry(actor: Actor, collection_slug: str, values: dict[str, Any]) -> Entry:
    """Create an entry. ``values`` takes data, and optionally slug, status (default
    draft), visibility, password, seo, terms, locale, scheduled_at."""
    collection = load_collection(collection_slug)
    actor.require("content:create")
    _check_keys(values, CREATE_KEYS)
    status = values.get("status") or Status.DRAFT
    if status not in {Status.DRAFT, Status.PENDING, Status.PUBLISHED, Status.SCHEDULED}:
        raise ValidationFailed(
            "Invalid status.",
            fields={"status": "must be one of: draft, pending, published, scheduled"},
        )
    author_id = actor.user_id
    _assert_can_set_status(actor, status, author_id)
    specs = field_specs(collection)
    data = values.get("data") if values.get("data") is not None else {}
    if not isinstance(data, dict):
        raise ValidationFailed("Invalid data.", fields={"data": "must be an object"})
    seo = _clean_seo(collection, values.get("seo"))
    data = _clean(specs, data)
    given_slug = values.get("slug")
    slug, data, seo = _run_before_save(
        actor, collection, specs, None, given_slug, data, seo
    )
    generated = not slug
    slug = (
        slugs.clean_slug(slug)
        if slug
        else slugs.slugify(_title(collection, data)) or "untitled"
    )
    if generated and slug in slugs.RESERVED_SLUGS:
        slug = slugs.with_suffix(slug, 2)
    visibility, password_hash = _clean_visibility(
        values.get("visibility", Visibility.PUBLIC), values.get("password"), ""
    )
    scheduled_at = None
    if status == Status.SCHEDULED:
        scheduled_at = _future(values.get("scheduled_at"))
    published_at = None
    if values.get("published_at") is not None:
        # Backdating (imports, seeds, a post written earlier) is for published
        # entries; a future time is what scheduling is for.
        if status != Status.PUBLISHED:
            raise ValidationFailed(
                "Only a published entry takes a publication date.",
                fields={"published_at": "is only for status published"},
            )
        published_at = _parse_when(values["published_at"], "published_at")
        if published_at > timezone.now():
            raise ValidationFailed(
                "A future publication date is a schedule.",
                fields={"published_at": "must not be in the future; schedule instead"},
            )
    locale = values.get("locale") or "en"
    if not isinstance(locale, str) or not 2 <= len(locale) <= 16:
        raise ValidationFailed(
            "Invalid locale.",
            fields={"locale": "must be a language tag like en or pt-BR"},
        )
    entry = Entry(
        collection=collection,
        slug=slug,
        locale=locale,
        status=status,
        visibility=visibility,
        password_hash=password_hash,
        title=_title(collection, data),
        data=data,
        seo=seo,
        author_id=author_id,
        scheduled_at=scheduled_at,
    )
    payload: dict[str, Any]
    with transaction.atomic():
        _insert_with_slug(entry, generated=generated)
        entry.translation_group = entry.pk
        revision = _snapshot(entry, actor, specs, note="created")
        entry.current_revision = revision
        if status in LIVE_STATUSES:
            entry.live_revision = revision
            entry.published_at = scheduled_at or published_at or timezone.now()
        Entry.objects.filter(pk=entry.pk).update(
            translation_group=entry.pk,
            current_revision=revision,
            live_revision=entry.live_revision,
            published_at=entry.published_at,
        )
        references.sync_references(entry, specs)
        if values.get("terms") is not None:
            taxonomies.assign_terms(actor, entry, values["terms"])
        _sync_search(entry, specs, live=entry.live_revision, live_changed=True)
        audit.record(
            actor,
            "entry.create",
            target_type="entry",
            target_id=entry.pk,
            data={"status": status},
        )
        _bump()
        payload = _after_payload(collection.slug, entry.pk, entry.slug, status)
        hooks.run_after("content:afterSave", payload, actor)
        if status == Status.PUBLISHED:
            hooks.run_after("content:afterPublish", payload, actor)
    return _load(collection_slug, entry.pk)


def _after_payload(
    collection_slug: str, entry_id: str, slug: str, status: str
) -> dict[str, Any]:
    """What after-hooks hear about an entry: enough to find it and link to it."""
    return {
        "collection": collection_slug,
        "id": entry_id,
        "slug": slug,
        "status": str(status),
    }


def _future(value: Any) -> datetime:
    if value is None:
        raise ValidationFailed(
            "A scheduled entry needs a time.",
            fields={"scheduled_at": "is required to schedule"},
        )
    when = _parse_when(value, "scheduled_at")
    if when <= timezone.now():
        raise ValidationFailed(
            "The scheduled time has passed; publish instead.",
            fields={"scheduled_at": "must be in the future"},
        )
    return when


def _conditional_update(entry: Entry, version: int, **changes: Any) -> None:
    """Write only if nobody saved since ``version`` was read; bump the version."""
    updated = Entry.objects.filter(pk=entry.pk, version=version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise VersionConflict(
            f"Entry {entry.pk} was changed by someone else (you had version {version}, "
            f"it is now {_stored_version(entry.pk)}). "
            "Reload it and apply your change again.",
            details={"your_version": version},
        )
    for key, value in changes.items():
        setattr(entry, key, value)
    entry.version = version + 1


def _stored_version(entry_id: str) -> int | None:
    return Entry.objects.filter(pk=entry_id).values_list("version", flat=True).first()


def _expect_version(entry: Entry, version: Any) -> int:
    if version is None:
        return entry.version
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationFailed(
            "Invalid version.", fields={"version": "must be an integer"}
        )
    if version != entry.version:
        raise VersionConflict(
            f"Entry {entry.pk} is at version {entry.version}, not {version}. "
            "Reload it and apply your change again.",
            details={"your_version": version, "current_version": entry.version},
        )
    return version


@_flips_due_first
@hooks.hooked_write
def update_entry(
    actor: Actor, collection_slug: str, entry_id: str, values: dict[str, Any]
) -> Entry:
    """Edit the working copy. ``version`` is required; ``data`` is merged over the
    current data. A published entry keeps its live revision until published again."""
    _check_keys(values, UPDATE_KEYS)
    if "version" not in values:
        raise ValidationFailed(
            "Send the version you edited.", fields={"version": "is required"}
        )
    entry = _load(collection_slug, entry_id)
    if entry.status == Status.TRASH:
        raise Conflict(
            "Restore the entry from the trash before editing it.", code="ENTRY_TRASHED"
        )
    _require_edit(actor, entry)
    version = _expect_version(entry, values["version"])
    collection = entry.collection
    specs = field_specs(collection)
    patch = values.get("data") or {}
    if not isinstance(patch, dict):
        raise ValidationFailed("Invalid data.", fields={"data": "must be an object"})
    data = _clean(specs, patch, existing=entry.data)
    seo = _clean_seo(collection, values["seo"]) if "seo" in values else entry.seo
    slug, data, seo = _run_before_save(
        actor, collection, specs, entry.pk, values.get("slug", entry.slug), data, seo
    )
    slug = slugs.clean_slug(slug)
    visibility, password_hash = _clean_visibility(
        values.get("visibility", entry.visibility),
        values.get("password"),
        entry.password_hash,
    )
    changes = {
        "slug": slug,
        "data": data,
        "seo": seo,
        "title": _title(collection, data),
        "visibility": visibility,
        "password_hash": password_hash,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                _conditional_update(entry, version, **changes)
        except IntegrityError as exc:
            if _slug_taken(entry):
                raise Conflict(
                    f"The slug '{slug}' is already used in '{collection.slug}'.",
                    code="SLUG_TAKEN",
                    details={"fields": {"slug": "is already used"}},
                ) from None
            _raise_unique_violation(entry, exc)
        revision = _snapshot(entry, actor, specs)
        Entry.objects.filter(pk=entry.pk).update(current_revision=revision)
        entry.current_revision = revision
        # Visibility is not part of a revision, so it applies to the live view at once.
        references.sync_references(entry, specs)
        if "terms" in values:
            taxonomies.assign_terms(actor, entry, values["terms"])
        _sync_search(entry, specs, live=entry.live_revision, live_changed=False)
        audit.record(
            actor,
            "entry.update",
            target_type="entry",
            target_id=entry.pk,
            data={"version": entry.version},
        )
        _bump()
        hooks.run_after(
            "content:afterSave",
            _after_payload(collection.slug, entry.pk, entry.slug, entry.status),
            actor,
        )
    return _load(collection_slug, entry.pk)


def _transition(
    actor: Actor,
    entry: Entry,
    version: Any,
    action: str,
    *,
    live_changed: bool,
    **changes: Any,
) -> Entry:
    version = _expect_version(entry, version)
    with transaction.atomic():
        _conditional_update(entry, version, **changes)
        specs = field_specs(entry.collection)
        if live_changed:
            _sync_search(entry, specs, live=entry.live_revision, live_changed=True)
        audit.record(
            actor,
            f"entry.{action}",
            target_type="entry",
            target_id=entry.pk,
            data={"status": entry.status},
        )
        _bump()
    return _load(entry.collection.slug, entry.pk)


@_flips_due_first
@hooks.hooked_write
def publish_entry(
    actor: Actor, collection_slug: str, entry_id: str, *, version: int | None = None
) -> Entry:
    """Make the working copy live now."""
    entry = _load(collection_slug, entry_id)
    if entry.status == Status.TRASH:
        raise Conflict(
            "Restore the entry from the trash before publishing it.",
            code="ENTRY_TRASHED",
        )
    actor.require("content:publish", owner_id=entry.author_id)
    payload = {
        "collection": collection_slug,
        "id": entry.pk,
        "slug": entry.slug,
        "data": entry.data,
    }
    hooks.run_before("content:beforePublish", payload, actor)
    with transaction.atomic():
        result = _transition(
            actor,
            entry,
            version,
            "publish",
            live_changed=True,
            status=Status.PUBLISHED,
            live_revision=entry.current_revision,
            published_at=entry.published_at
            if entry.status == Status.PUBLISHED
            else timezone.now(),
            scheduled_at=None,
        )
        hooks.run_after(
            "content:afterPublish",
            _after_payload(collection_slug, entry.pk, entry.slug, Status.PUBLISHED),
            actor,
        )
    return result


@_flips_due_first
def unpublish_entry(
    actor: Actor, collection_slug: str, entry_id: str, *, version: int | None = None
) -> Entry:
    """Take a published or scheduled entry off the site; its content becomes a draft."""
    entry = _load(collection_slug, entry_id)
    if entry.status not in LIVE_STATUSES:
        raise Conflict(
            "Only a published or scheduled entry can be unpublished.",
            code="NOT_PUBLISHED",
        )
    actor.require("content:publish", owner_id=entry.author_id)
    with transaction.atomic():
        result = _transition(
            actor,
            entry,
            version,
            "unpublish",
            live_changed=True,
            status=Status.DRAFT,
            live_revision=None,
            scheduled_at=None,
        )
        hooks.run_after(
            "content:afterUnpublish",
            _after_payload(collection_slug, entry.pk, entry.slug, Status.DRAFT),
            actor,
        )
    return result


@_flips_due_first
@hooks.hooked_write
def schedule_entry(
    actor: Actor,
    collection_slug: str,
    entry_id: str,
    *,
    at: Any,
    version: int | None = None,
) -> Entry:
    """Publish the working copy at ``at`` (a future, timezone-aware time)."""
    entry = _load(collection_slug, entry_id)
    if entry.status == Status.TRASH:
        raise Conflict(
            "Restore the entry from the trash before scheduling it.",
            code="ENTRY_TRASHED",
        )
    if not entry.collection.supports_feature("scheduling"):
        raise ValidationFailed(
            f"Collection '{collection_slug}' does not support scheduling.",
            fields={"scheduled_at": "this collection does not support scheduling"},
        )
    actor.require("content:publish", owner_id=entry.author_id)
    when = _future(at)
    hooks.run_before(
        "content:beforePublish",
        {
            "collection": collection_slug,
            "id": entry.pk,
            "slug": entry.slug,
            "data": entry.data,
        },
        actor,
    )
    return _transition(
        actor,
        entry,
        version,
        "schedule",
        live_changed=True,
        status=Status.SCHEDULED,
        live_revision=entry.current_revision,
        scheduled_at=when,
        published_at=when,
    )


@_flips_due_first
def submit_entry(
    actor: Actor, collection_slug: str, entry_id: str, *, version: int | None = None
) -> Entry:
    """Submit a draft for review (status pending)."""
    entry = _load(collection_slug, entry_id)
    if entry.status != Status.DRAFT:
        raise Conflict("Only a draft can be submitted for review.", code="NOT_A_DRAFT")
    actor.require("content:edit", owner_id=entry.author_id)
    return _transition(
        actor, entry, version, "submit", live_changed=False, status=Status.PENDING
    )


@_flips_due_first
@hooks.hooked_write
def trash_entry(
    actor: Actor, collection_slug: str, entry_id: str, *, version: int | None = None
) -> Entry:
    """Move an entry to the trash; it leaves the site at once and can be restored."""
    entry = _load(collection_slug, entry_id)
    if entry.status == Status.TRASH:
        return entry
    actor.require("content:delete", owner_id=entry.author_id)
    payload = {"collection": collection_slug, "id": entry.pk, "slug": entry.slug}
    hooks.run_before("content:beforeDelete", payload, actor)
    with transaction.atomic():
        result = _transition(
            actor,
            entry,
            version,
            "trash",
            live_changed=True,
            status=Status.TRASH,
            status_before_trash=entry.status,
            live_revision=None,
        )
        hooks.run_after("content:afterDelete", payload, actor)
    return result


@_flips_due_first
def restore_entry(
    actor: Actor, collection_slug: str, entry_id: str, *, version: int | None = None
) -> Entry:
    """Bring an entry back from the trash as a draft, so nothing goes live unseen."""
    entry = _load(collection_slug, entry_id)
    if entry.status != Status.TRASH:
        raise Conflict("The entry is not in the trash.", code="NOT_TRASHED")
    actor.require("content:delete", owner_id=entry.author_id)
    with transaction.atomic():
        result = _transition(
            actor,
            entry,
            version,
            "restore",
            live_changed=False,
            status=Status.DRAFT,
            status_before_trash="",
            scheduled_at=None,
        )
        _sync_search(
            result, field_specs(result.collection), live=None, live_changed=True
        )
    return result


@_flips_due_first
def delete_entry_permanently(actor: Actor, collection_slug: str, entry_id: str) -> None:
    """Delete a trashed entry for good. Refused while other entries reference it."""
    entry = _load(collection_slug, entry_id)
    actor.require("content:delete_permanent")
    if entry.status != Status.TRASH:
        raise Conflict("Move the entry to the trash first.", code="NOT_TRASHED")
    referrers = list(
        EntryReference.objects.filter(target_entry=entry).values_list(
            "entry_id", flat=True
        )
    )
    if referrers:
        raise Conflict(
            f"Entry {entry.pk} is referenced by {len(referrers)} other entr(y/ies).",
            code="ENTRY_IN_USE",
            details={"referenced_by": referrers},
        )
    with transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(
            current_revision=None, live_revision=None
        )
        entry.delete()
        audit.record(actor, "entry.delete", target_type="entry", target_id=entry_id)
        _bump()


def duplicate_entry(actor: Actor, collection_slug: str, entry_id: str) -> Entry:
    """Copy the working copy into a new draft with a fresh slug; unique fields are
    left out, since the copy cannot share their values."""
    source = get_entry(actor, collection_slug, entry_id)
    specs = field_specs(source.collection)
    data = {
        k: v
        for k, v in source.data.items()
        if not any(s.slug == k and s.unique for s in specs)
    }
    terms = taxonomies.entry_terms(source)
    return create_entry(
        actor,
        collection_slug,
        {
            "data": data,
            "seo": source.seo or None,
            "terms": {tax: [t["slug"] for t in items] for tax, items in terms.items()},
            "locale": source.locale,
        },
    )


# -- revisions ------------------------------------------------------------------------


def list_revisions(actor: Actor, collection_slug: str, entry_id: str) -> list[Revision]:
    entry = _load(collection_slug, entry_id)
    actor.require("content:edit", owner_id=entry.author_id)
    return list(entry.revisions.all())


def get_revision(
    actor: Actor, collection_slug: str, entry_id: str, revision_id: str
) -> Revision:
    entry = _load(collection_slug, entry_id)
    actor.require("content:edit", owner_id=entry.author_id)
    try:
        return entry.revisions.get(pk=revision_id)
    except Revision.DoesNotExist:
        raise NotFound(
            f"No revision '{revision_id}' of entry {entry_id}.",
            code="REVISION_NOT_FOUND",
        ) from None


def compare_revisions(
    actor: Actor, collection_slug: str, entry_id: str, from_id: str, to_id: str
) -> dict[str, Any]:
    """Field-by-field differences between two revisions of one entry."""
    old = get_revision(actor, collection_slug, entry_id, from_id)
    new = get_revision(actor, collection_slug, entry_id, to_id)
    changes: dict[str, dict[str, Any]] = {}
    for key in sorted(set(old.data) | set(new.data)):
        if old.data.get(key) != new.data.get(key):
            changes[key] = {"from": old.data.get(key), "to": new.data.get(key)}
    if old.slug != new.slug:
        changes["slug"] = {"from": old.slug, "to": new.slug}
    if old.seo != new.seo:
        changes["seo"] = {"from": old.seo, "to": new.seo}
    return {"from": old.pk, "to": new.pk, "changes": changes}


def restore_revision(
    actor: Actor,
    collection_slug: str,
    entry_id: str,
    revision_id: str,
    *,
    version: int | None = None,
) -> Entry:
    """Make an old revision the working copy again, as a new revision (unpublished)."""
    revision = get_revision(actor, collection_slug, entry_id, revision_id)
    entry = _load(collection_slug, entry_id)
    specs = field_specs(entry.collection)
    known = {s.slug for s in specs}
    data = {k: v for k, v in revision.data.items() if k in known}
    return update_entry(
        actor,
        collection_slug,
        entry_id,
        {
            "version": entry.version if version is None else version,
            "data": _clean(specs, data),
            "slug": revision.slug,
            "seo": revision.seo,
        },
    )


# -- scheduling -----------------------------------------------------------------------


def publish_due(actor: Actor = SYSTEM, *, now: datetime | None = None) -> list[str]:
    """Flip scheduled entries whose time has come to published and run their
    publish hooks. Called by ``emdash publish-due`` and at the start of every write."""
    now = now or timezone.now()
    due = list(
        Entry.objects.filter(
            status=Status.SCHEDULED, scheduled_at__lte=now
        ).values_list("pk", "collection__slug", "slug")
    )
    flipped: list[str] = []
    for entry_id, collection_slug, slug in due:
        with transaction.atomic():
            # The version stays: this flip is the system keeping a promise, not an
            # edit, and must not turn an editor's next save into a conflict.
            updated = Entry.objects.filter(pk=entry_id, status=Status.SCHEDULED).update(
                status=Status.PUBLISHED
            )
            if not updated:
                continue
            audit.record(
                actor, "entry.publish_due", target_type="entry", target_id=entry_id
            )
            hooks.run_after(
                "content:afterPublish",
                _after_payload(collection_slug, entry_id, slug, Status.PUBLISHED),
                actor,
            )
            flipped.append(entry_id)
    if flipped:
        _bump()
    return flipped
