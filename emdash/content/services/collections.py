"""Collections and their fields, defined at run time."""

import re
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction

from emdash.content import indexes, references
from emdash.content.fields import (
    FieldSpec,
    FieldValueError,
    check_definition,
    clean_value,
    convert_value,
    index_kind,
)
from emdash.content.models import Collection, Entry, EntryReference, Field
from emdash.core import audit, epoch
from emdash.core.actors import Actor
from emdash.core.errors import Conflict, NotFound, ValidationFailed

COLLECTION_SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
RESERVED_COLLECTION_SLUGS = frozenset(
    {
        "admin",
        "api",
        "content",
        "feed",
        "media",
        "menus",
        "revisions",
        "schema",
        "search",
        "settings",
        "static",
        "taxonomies",
        "users",
    }
)
FEATURES = frozenset(
    {"drafts", "revisions", "scheduling", "search", "seo", "comments", "paywall"}
)
URL_PLACEHOLDERS = re.compile(r"\{(\w+)\}")
COLLECTION_KEYS = frozenset(
    {"label", "label_singular", "description", "url_pattern", "supports", "title_field"}
)
FIELD_KEYS = frozenset(
    {
        "slug",
        "label",
        "type",
        "required",
        "unique",
        "indexed",
        "searchable",
        "default",
        "validation",
        "help_text",
    }
)


def field_specs(collection: Collection) -> list[FieldSpec]:
    return [FieldSpec.from_model(f) for f in collection.fields.all()]


def list_collections(actor: Actor) -> list[Collection]:
    actor.require("content:read")
    return list(Collection.objects.prefetch_related("fields"))


def get_collection(actor: Actor, slug: str) -> Collection:
    actor.require("content:read")
    return load_collection(slug)


def load_collection(slug: str) -> Collection:
    """Fetch a collection with its fields; no permission check (for services)."""
    try:
        return Collection.objects.prefetch_related("fields").get(slug=slug)
    except Collection.DoesNotExist:
        raise NotFound(
            f"No collection '{slug}'.", code="COLLECTION_NOT_FOUND"
        ) from None


def _check_collection(values: dict[str, Any], errors: dict[str, str]) -> None:
    unknown = set(values) - COLLECTION_KEYS - {"slug", "fields"}
    for key in sorted(unknown):
        errors[key] = "unknown property"
    if "label" in values and (
        not isinstance(values["label"], str) or not values["label"]
    ):
        errors["label"] = "must be a non-empty string"
    supports = values.get("supports")
    if supports is not None:
        if not isinstance(supports, list) or not all(
            isinstance(s, str) for s in supports
        ):
            errors["supports"] = "must be a list of feature names"
        elif bad := sorted(set(supports) - FEATURES):
            errors["supports"] = (
                f"unknown feature(s) {', '.join(bad)}; "
                f"expected {', '.join(sorted(FEATURES))}"
            )
    pattern = values.get("url_pattern")
    if pattern:
        if not isinstance(pattern, str) or not pattern.startswith("/"):
            errors["url_pattern"] = "must start with '/'"
        elif "{slug}" not in pattern:
            errors["url_pattern"] = "must contain {slug}"
        elif set(URL_PLACEHOLDERS.findall(pattern)) - {"slug"}:
            errors["url_pattern"] = "only the {slug} placeholder is supported"
    for key in ("label_singular", "description", "title_field"):
        if key in values and not isinstance(values[key], str):
            errors[key] = "must be a string"


def _spec_from_definition(
    definition: dict[str, Any], errors: dict[str, str], prefix: str
) -> FieldSpec | None:
    if not isinstance(definition, dict):
        errors[prefix] = "must be an object"
        return None
    for key in sorted(set(definition) - FIELD_KEYS):
        errors[f"{prefix}.{key}"] = "unknown property"
    try:
        spec = FieldSpec(
            slug=definition.get("slug", ""),
            type=definition.get("type", ""),
            label=definition.get("label")
            or str(definition.get("slug", "")).replace("_", " ").title(),
            required=definition.get("required", False),
            unique=definition.get("unique", False),
            indexed=definition.get("indexed", False),
            searchable=definition.get("searchable", False),
            default=definition.get("default"),
            validation=definition.get("validation") or {},
            help_text=definition.get("help_text", ""),
        )
    except (TypeError, ValueError) as exc:
        errors[prefix] = str(exc)
        return None
    for key, message in check_definition(spec).items():
        errors[f"{prefix}.{key}"] = message
    return spec


def _save_field(collection: Collection, spec: FieldSpec, sort_order: int) -> Field:
    return Field.objects.create(
        collection=collection,
        slug=spec.slug,
        label=spec.label,
        type=spec.type,
        required=spec.required,
        unique=spec.unique,
        indexed=spec.indexed,
        searchable=spec.searchable,
        default=spec.default,
        validation=dict(spec.validation),
        help_text=spec.help_text,
        sort_order=sort_order,
    )


def create_collection(actor: Actor, values: dict[str, Any]) -> Collection:
    """Create a collection (and its fields, if given) from a plain definition."""
    actor.require("schema:manage")
    errors: dict[str, str] = {}
    slug = values.get("slug")
    if not isinstance(slug, str) or not COLLECTION_SLUG.match(slug):
        errors["slug"] = (
            "must be lowercase letters, digits, '-' or '_', starting with a letter"
        )
    elif slug in RESERVED_COLLECTION_SLUGS:
        errors["slug"] = f"'{slug}' is reserved"
    if not values.get("label"):
        errors["label"] = "is required"
    _check_collection(values, errors)
    definitions = values.get("fields") or []
    if not isinstance(definitions, list):
        errors["fields"] = "must be a list"
        definitions = []
    specs = [
        spec
        for index, definition in enumerate(definitions)
        if (spec := _spec_from_definition(definition, errors, f"fields.{index}"))
        is not None
    ]
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        if spec.slug in seen:
            errors[f"fields.{index}.slug"] = f"duplicate field '{spec.slug}'"
        seen.add(spec.slug)
    if errors:
        raise ValidationFailed("The collection definition is invalid.", fields=errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                collection = Collection.objects.create(
                    slug=slug,
                    label=values["label"],
                    label_singular=values.get("label_singular", ""),
                    description=values.get("description", ""),
                    url_pattern=values.get("url_pattern") or f"/{slug}/{{slug}}/",
                    supports=values.get("supports", ["drafts", "revisions", "search"]),
                    title_field=values.get("title_field", "title"),
                )
        except IntegrityError:
            raise Conflict(
                f"A collection '{slug}' already exists.", code="COLLECTION_EXISTS"
            ) from None
        for order, spec in enumerate(specs):
            _save_field(collection, spec, order)
            indexes.create_field_indexes(collection.id, spec)
        audit.record(
            actor,
            "collection.create",
            target_type="collection",
            target_id=slug,
            data={"fields": [s.slug for s in specs]},
        )
        epoch.bump()
    return load_collection(slug)


def update_collection(actor: Actor, slug: str, changes: dict[str, Any]) -> Collection:
    actor.require("schema:manage")
    collection = load_collection(slug)
    errors: dict[str, str] = {}
    for key in sorted(set(changes) - COLLECTION_KEYS):
        errors[key] = (
            "unknown property"
            if key not in {"slug", "fields"}
            else "cannot be changed here"
        )
    _check_collection(
        {k: v for k, v in changes.items() if k in COLLECTION_KEYS}, errors
    )
    if errors:
        raise ValidationFailed("The collection changes are invalid.", fields=errors)
    with transaction.atomic():
        for key, value in changes.items():
            setattr(collection, key, value)
        collection.save()
        audit.record(
            actor,
            "collection.update",
            target_type="collection",
            target_id=slug,
            data=changes,
        )
        epoch.bump()
    return load_collection(slug)


def delete_collection(actor: Actor, slug: str, *, delete_entries: bool = False) -> None:
    """Delete a collection. Refused while it holds entries unless ``delete_entries``."""
    actor.require("schema:manage")
    collection = load_collection(slug)
    count = Entry.objects.filter(collection=collection).count()
    if count and not delete_entries:
        raise Conflict(
            f"Collection '{slug}' still has {count} entries; delete them first or "
            "pass delete_entries.",
            code="COLLECTION_NOT_EMPTY",
            details={"entries": count},
        )
    with transaction.atomic():
        for spec in field_specs(collection):
            indexes.drop_field_indexes(collection.id, spec.slug)
        Entry.objects.filter(collection=collection).update(
            current_revision=None, live_revision=None
        )
        Entry.objects.filter(collection=collection).delete()
        collection.delete()
        audit.record(
            actor,
            "collection.delete",
            target_type="collection",
            target_id=slug,
            data={"entries": count},
        )
        epoch.bump()


def add_field(actor: Actor, collection_slug: str, definition: dict[str, Any]) -> Field:
    """Add a field. Existing entries get the field's default (or no value); a
    required field without a default is refused while entries exist."""
    actor.require("schema:manage")
    collection = load_collection(collection_slug)
    errors: dict[str, str] = {}
    spec = _spec_from_definition(definition, errors, "field")
    errors = {key.removeprefix("field."): message for key, message in errors.items()}
    if spec and collection.fields.filter(slug=spec.slug).exists():
        errors["slug"] = f"the collection already has a field '{spec.slug}'"
    if spec and spec.required and spec.default is None and collection.entries.exists():
        errors["required"] = (
            "a required field needs a default while the collection has entries"
        )
    if errors or spec is None:
        raise ValidationFailed("The field definition is invalid.", fields=errors)
    with transaction.atomic():
        order = max((f.sort_order for f in collection.fields.all()), default=-1) + 1
        created = _save_field(collection, spec, order)
        if spec.default is not None:
            _backfill_default(collection, spec)
        _create_indexes(collection.id, spec)
        audit.record(
            actor,
            "field.create",
            target_type="collection",
            target_id=collection_slug,
            data=spec.as_dict(),
        )
        epoch.bump()
    return created


def _create_indexes(collection_id: int, spec: FieldSpec) -> None:
    """The field's index; a unique one the stored values already break is refused."""
    try:
        with transaction.atomic():
            indexes.create_field_indexes(collection_id, spec)
    except IntegrityError:
        raise ValidationFailed(
            "Existing entries share a value, so the field cannot be unique.",
            fields={"unique": "existing values are not unique"},
        ) from None


def _backfill_default(collection: Collection, spec: FieldSpec) -> None:
    default = clean_value(replace(spec, required=False), spec.default)
    for entry in Entry.objects.filter(collection=collection).only("id", "data"):
        if spec.slug not in entry.data:
            entry.data[spec.slug] = default
            Entry.objects.filter(pk=entry.pk).update(data=entry.data)


@dataclass
class FieldChangeReport:
    """What a field change did (or, for a dry run, would do) to stored values."""

    field: str
    converted: int = 0
    cleared: list[str] = field(default_factory=list)
    removed: int = 0
    applied: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "converted": self.converted,
            "cleared": self.cleared,
            "removed": self.removed,
            "applied": self.applied,
        }


def update_field(
    actor: Actor,
    collection_slug: str,
    field_slug: str,
    changes: dict[str, Any],
    *,
    force: bool = False,
    dry_run: bool = False,
) -> FieldChangeReport:
    """Change a field's definition. A type change converts every stored value
    (working copies; revisions keep history as it was). Values that cannot be
    converted make the change fail with their entry ids, unless ``force``, which
    clears them. ``dry_run`` reports without writing."""
    actor.require("schema:manage")
    collection = load_collection(collection_slug)
    row = _get_field(collection, field_slug)
    old = FieldSpec.from_model(row)
    if "slug" in changes and changes["slug"] != field_slug:
        raise ValidationFailed(
            "A field cannot be renamed; add a new field instead.",
            fields={"slug": "cannot be changed"},
        )
    errors: dict[str, str] = {}
    new = _spec_from_definition({**old.as_dict(), **changes}, errors, "field")
    errors = {key.removeprefix("field."): message for key, message in errors.items()}
    if errors or new is None:
        raise ValidationFailed("The field changes are invalid.", fields=errors)
    report = FieldChangeReport(field=field_slug)
    updates: dict[str, Any] = {}
    needs_conversion = old.type != new.type or dict(old.validation) != dict(
        new.validation
    )
    if needs_conversion:
        for entry_id, data in Entry.objects.filter(collection=collection).values_list(
            "id", "data"
        ):
            if data.get(field_slug) is None:
                continue
            try:
                updates[entry_id] = convert_value(data[field_slug], old, new)
                report.converted += 1
            except FieldValueError:
                updates[entry_id] = None
                report.cleared.append(entry_id)
    if report.cleared and not force:
        report.applied = False
        if dry_run:
            return report
        raise ValidationFailed(
            f"{len(report.cleared)} stored value(s) cannot be converted to {new.type}; "
            "fix them or pass force to clear them.",
            code="FIELD_CONVERSION_FAILED",
            details=report.as_dict(),
        )
    if dry_run:
        report.applied = False
        return report
    with transaction.atomic():
        indexes.drop_field_indexes(collection.id, field_slug)
        for entry_id, value in updates.items():
            entry = Entry.objects.only("data").get(pk=entry_id)
            if value is None:
                entry.data.pop(field_slug, None)
            else:
                entry.data[field_slug] = value
            Entry.objects.filter(pk=entry_id).update(data=entry.data)
        for key in FIELD_KEYS - {"slug"}:
            value = getattr(new, key)
            setattr(row, key, dict(value) if key == "validation" else value)
        row.save()
        # Converted values may point at different entries or media now.
        specs = field_specs(load_collection(collection_slug))
        for entry in Entry.objects.filter(pk__in=list(updates)).select_related(
            "collection"
        ):
            references.sync_references(entry, specs)
        _create_indexes(collection.id, new)
        audit.record(
            actor,
            "field.update",
            target_type="collection",
            target_id=collection_slug,
            data={"field": field_slug, "changes": changes, "report": report.as_dict()},
        )
        epoch.bump()
    return report


def remove_field(
    actor: Actor, collection_slug: str, field_slug: str
) -> FieldChangeReport:
    """Remove a field. Its values are deleted from every entry's working copy;
    revisions keep them, so restoring an old revision brings back only what the
    current fields accept."""
    actor.require("schema:manage")
    collection = load_collection(collection_slug)
    row = _get_field(collection, field_slug)
    report = FieldChangeReport(field=field_slug)
    with transaction.atomic():
        indexes.drop_field_indexes(collection.id, field_slug)
        EntryReference.objects.filter(
            entry__collection=collection, field=field_slug
        ).delete()
        for entry in Entry.objects.filter(collection=collection).only("id", "data"):
            if field_slug in entry.data:
                del entry.data[field_slug]
                Entry.objects.filter(pk=entry.pk).update(data=entry.data)
                report.removed += 1
        row.delete()
        audit.record(
            actor,
            "field.delete",
            target_type="collection",
            target_id=collection_slug,
            data=report.as_dict(),
        )
        epoch.bump()
    return report


def _get_field(collection: Collection, field_slug: str) -> Field:
    for row in collection.fields.all():
        if row.slug == field_slug:
            return row
    raise NotFound(
        f"Collection '{collection.slug}' has no field '{field_slug}'.",
        code="FIELD_NOT_FOUND",
    )


def indexed_kinds(collection: Collection) -> dict[str, str]:
    """Field slug -> index kind for the fields queries may filter and sort on."""
    return {
        spec.slug: kind
        for spec in field_specs(collection)
        if (spec.indexed or spec.unique) and (kind := index_kind(spec)) is not None
    }
