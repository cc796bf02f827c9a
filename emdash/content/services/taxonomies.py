"""Taxonomies (hierarchical like categories, flat like tags, custom) and their terms."""

import re
from typing import Any

from django.db import IntegrityError, transaction

from emdash.content import slugs
from emdash.content.models import Collection, Entry, EntryTerm, Taxonomy, Term
from emdash.core import audit, epoch
from emdash.core.actors import Actor
from emdash.core.errors import Conflict, NotFound, ValidationFailed

TAXONOMY_SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
TAXONOMY_KEYS = frozenset(
    {"slug", "label", "label_singular", "hierarchical", "collections"}
)
TERM_KEYS = frozenset({"slug", "name", "description", "parent", "sort_order"})


def list_taxonomies(actor: Actor) -> list[Taxonomy]:
    actor.require("taxonomies:read")
    return list(Taxonomy.objects.prefetch_related("collections"))


def get_taxonomy(actor: Actor, slug: str) -> Taxonomy:
    actor.require("taxonomies:read")
    return _taxonomy(slug)


def _taxonomy(slug: str) -> Taxonomy:
    try:
        return Taxonomy.objects.prefetch_related("collections").get(slug=slug)
    except Taxonomy.DoesNotExist:
        raise NotFound(f"No taxonomy '{slug}'.", code="TAXONOMY_NOT_FOUND") from None


def _collections(slugs_: Any) -> list[Collection]:
    if not isinstance(slugs_, list) or not all(isinstance(s, str) for s in slugs_):
        raise ValidationFailed(
            "Invalid collections.",
            fields={"collections": "must be a list of collection slugs"},
        )
    found = list(Collection.objects.filter(slug__in=slugs_))
    missing = sorted(set(slugs_) - {c.slug for c in found})
    if missing:
        raise ValidationFailed(
            "Unknown collections.",
            fields={"collections": f"no such collection: {', '.join(missing)}"},
        )
    return found


def create_taxonomy(actor: Actor, values: dict[str, Any]) -> Taxonomy:
    actor.require("schema:manage")
    unknown = sorted(set(values) - TAXONOMY_KEYS)
    if unknown:
        raise ValidationFailed(
            "Unknown properties.", fields=dict.fromkeys(unknown, "unknown property")
        )
    slug = values.get("slug")
    if not isinstance(slug, str) or not TAXONOMY_SLUG.match(slug):
        raise ValidationFailed(
            "Invalid taxonomy slug.",
            fields={"slug": "must be lowercase letters, digits, '-' or '_'"},
        )
    label = values.get("label")
    if not isinstance(label, str) or not label:
        raise ValidationFailed(
            "A taxonomy needs a label.", fields={"label": "is required"}
        )
    collections = _collections(values.get("collections", []))
    with transaction.atomic():
        try:
            with transaction.atomic():
                taxonomy = Taxonomy.objects.create(
                    slug=slug,
                    label=label,
                    label_singular=values.get("label_singular", ""),
                    hierarchical=bool(values.get("hierarchical", False)),
                )
        except IntegrityError:
            raise Conflict(
                f"A taxonomy '{slug}' already exists.", code="TAXONOMY_EXISTS"
            ) from None
        taxonomy.collections.set(collections)
        audit.record(actor, "taxonomy.create", target_type="taxonomy", target_id=slug)
        epoch.bump()
    return _taxonomy(slug)


def update_taxonomy(actor: Actor, slug: str, values: dict[str, Any]) -> Taxonomy:
    actor.require("schema:manage")
    taxonomy = _taxonomy(slug)
    unknown = sorted(set(values) - (TAXONOMY_KEYS - {"slug", "hierarchical"}))
    if unknown:
        raise ValidationFailed(
            "These properties cannot be changed.",
            fields=dict.fromkeys(unknown, "cannot be changed"),
        )
    with transaction.atomic():
        for key in ("label", "label_singular"):
            if key in values:
                setattr(taxonomy, key, str(values[key]))
        taxonomy.save()
        if "collections" in values:
            taxonomy.collections.set(_collections(values["collections"]))
        audit.record(
            actor,
            "taxonomy.update",
            target_type="taxonomy",
            target_id=slug,
            data=values,
        )
        epoch.bump()
    return _taxonomy(slug)


def delete_taxonomy(actor: Actor, slug: str) -> None:
    actor.require("schema:manage")
    taxonomy = _taxonomy(slug)
    with transaction.atomic():
        Term.objects.filter(taxonomy=taxonomy).update(parent=None)
        taxonomy.delete()
        audit.record(actor, "taxonomy.delete", target_type="taxonomy", target_id=slug)
        epoch.bump()


def list_terms(actor: Actor, taxonomy_slug: str) -> list[Term]:
    actor.require("taxonomies:read")
    return list(_taxonomy(taxonomy_slug).terms.select_related("parent"))


def _term(taxonomy: Taxonomy, slug: str) -> Term:
    try:
        return taxonomy.terms.get(slug=slug)
    except Term.DoesNotExist:
        raise NotFound(
            f"No term '{slug}' in '{taxonomy.slug}'.", code="TERM_NOT_FOUND"
        ) from None


def _parent(taxonomy: Taxonomy, value: Any, term: Term | None = None) -> Term | None:
    if value in (None, ""):
        return None
    if not taxonomy.hierarchical:
        raise ValidationFailed(
            f"'{taxonomy.slug}' is flat: its terms have no parents.",
            fields={"parent": "not allowed in a flat taxonomy"},
        )
    parent = _term(taxonomy, str(value))
    ancestor: Term | None = parent
    while ancestor is not None:
        if term is not None and ancestor.pk == term.pk:
            raise ValidationFailed(
                "A term cannot be its own ancestor.",
                fields={"parent": "would make a loop"},
            )
        ancestor = ancestor.parent
    return parent


def create_term(actor: Actor, taxonomy_slug: str, values: dict[str, Any]) -> Term:
    actor.require("taxonomies:manage")
    taxonomy = _taxonomy(taxonomy_slug)
    unknown = sorted(set(values) - TERM_KEYS)
    if unknown:
        raise ValidationFailed(
            "Unknown properties.", fields=dict.fromkeys(unknown, "unknown property")
        )
    name = values.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("A term needs a name.", fields={"name": "is required"})
    slug = (
        slugs.clean_slug(values["slug"], reserved=frozenset())
        if values.get("slug")
        else slugs.slugify(name)
    )
    if not slug:
        raise ValidationFailed(
            "Invalid slug.", fields={"slug": "could not be made from the name"}
        )
    parent = _parent(taxonomy, values.get("parent"))
    with transaction.atomic():
        try:
            with transaction.atomic():
                term = Term.objects.create(
                    taxonomy=taxonomy,
                    slug=slug,
                    name=name.strip(),
                    description=str(values.get("description", "")),
                    parent=parent,
                    sort_order=int(values.get("sort_order", 0)),
                )
        except IntegrityError:
            raise Conflict(
                f"'{taxonomy_slug}' already has a term '{slug}'.", code="TERM_EXISTS"
            ) from None
        audit.record(
            actor,
            "term.create",
            target_type="term",
            target_id=f"{taxonomy_slug}:{slug}",
        )
        epoch.bump()
    return term


def update_term(
    actor: Actor, taxonomy_slug: str, term_slug: str, values: dict[str, Any]
) -> Term:
    actor.require("taxonomies:manage")
    taxonomy = _taxonomy(taxonomy_slug)
    term = _term(taxonomy, term_slug)
    unknown = sorted(set(values) - TERM_KEYS)
    if unknown:
        raise ValidationFailed(
            "Unknown properties.", fields=dict.fromkeys(unknown, "unknown property")
        )
    with transaction.atomic():
        if "name" in values:
            term.name = str(values["name"]).strip()
        if "slug" in values:
            term.slug = slugs.clean_slug(values["slug"], reserved=frozenset())
        if "description" in values:
            term.description = str(values["description"])
        if "parent" in values:
            term.parent = _parent(taxonomy, values["parent"], term)
        if "sort_order" in values:
            term.sort_order = int(values["sort_order"])
        try:
            with transaction.atomic():
                term.save()
        except IntegrityError:
            raise Conflict(
                f"'{taxonomy_slug}' already has a term '{term.slug}'.",
                code="TERM_EXISTS",
            ) from None
        audit.record(
            actor,
            "term.update",
            target_type="term",
            target_id=f"{taxonomy_slug}:{term.slug}",
            data=values,
        )
        epoch.bump()
    return term


def delete_term(actor: Actor, taxonomy_slug: str, term_slug: str) -> None:
    """Delete a term; its children move up to its parent, entries simply lose it."""
    actor.require("taxonomies:manage")
    taxonomy = _taxonomy(taxonomy_slug)
    term = _term(taxonomy, term_slug)
    with transaction.atomic():
        Term.objects.filter(parent=term).update(parent=term.parent)
        term.delete()
        audit.record(
            actor,
            "term.delete",
            target_type="term",
            target_id=f"{taxonomy_slug}:{term_slug}",
        )
        epoch.bump()


def assign_terms(actor: Actor, entry: Entry, assignment: Any) -> None:
    """Replace an entry's terms for each taxonomy named in ``assignment``
    ({taxonomy: [term slugs]}). Unknown terms of a flat taxonomy are created
    (as tags are); a hierarchical taxonomy's terms must exist."""
    if not isinstance(assignment, dict):
        raise ValidationFailed(
            "Invalid terms.",
            fields={"terms": "must map taxonomy slugs to lists of term slugs"},
        )
    allowed = {
        t.slug: t for t in Taxonomy.objects.filter(collections=entry.collection_id)
    }
    errors: dict[str, str] = {}
    chosen: list[Term] = []
    for taxonomy_slug, term_slugs in assignment.items():
        taxonomy = allowed.get(taxonomy_slug)
        if taxonomy is None:
            errors[f"terms.{taxonomy_slug}"] = (
                f"taxonomy not available for '{entry.collection.slug}'"
            )
            continue
        if not isinstance(term_slugs, list) or not all(
            isinstance(s, str) for s in term_slugs
        ):
            errors[f"terms.{taxonomy_slug}"] = "must be a list of term slugs"
            continue
        wanted = [slugs.normalise(s.strip()) for s in term_slugs]
        existing = {t.slug: t for t in taxonomy.terms.filter(slug__in=wanted)}
        for slug in dict.fromkeys(wanted):
            if slug in existing:
                chosen.append(existing[slug])
            elif taxonomy.hierarchical:
                errors[f"terms.{taxonomy_slug}"] = f"no such term: {slug}"
            else:
                clean = slugs.slugify(slug)
                if not clean:
                    errors[f"terms.{taxonomy_slug}"] = f"invalid term: {slug!r}"
                    continue
                term, _ = Term.objects.get_or_create(
                    taxonomy=taxonomy, slug=clean, defaults={"name": slug}
                )
                chosen.append(term)
    if errors:
        raise ValidationFailed("Invalid terms.", fields=errors)
    EntryTerm.objects.filter(
        entry=entry, term__taxonomy__slug__in=list(assignment)
    ).delete()
    EntryTerm.objects.bulk_create(
        [EntryTerm(entry=entry, term=t) for t in chosen], ignore_conflicts=True
    )


def entry_terms(entry: Entry) -> dict[str, list[dict[str, str]]]:
    """The entry's terms grouped by taxonomy: {"tag": [{"slug", "name"}]}."""
    return terms_for_entries([entry.pk]).get(entry.pk, {})


def terms_for_entries(
    entry_ids: list[str],
) -> dict[str, dict[str, list[dict[str, str]]]]:
    """Terms for many entries in one query."""
    result: dict[str, dict[str, list[dict[str, str]]]] = {}
    rows = (
        EntryTerm.objects.filter(entry_id__in=entry_ids)
        .order_by("term__sort_order", "term__name")
        .values_list("entry_id", "term__taxonomy__slug", "term__slug", "term__name")
    )
    for entry_id, taxonomy, slug, name in rows:
        result.setdefault(entry_id, {}).setdefault(taxonomy, []).append(
            {"slug": slug, "name": name}
        )
    return result
