"""The side table of what an entry's data points at (entries and media), kept in
step on every save so a dangling reference is caught by a foreign key."""

from emdash.content.fields import FieldSpec, referenced_ids
from emdash.content.models import Entry, EntryReference, Status
from emdash.core.errors import ValidationFailed
from emdash.media.models import Media


def sync_references(entry: Entry, specs: list[FieldSpec]) -> None:
    """Replace the entry's reference rows with what its data points at now;
    raise ValidationFailed naming each field that points at something missing."""
    EntryReference.objects.filter(entry=entry).delete()
    rows: list[EntryReference] = []
    missing: dict[str, str] = {}
    for spec in specs:
        value = entry.data.get(spec.slug)
        if value is None:
            continue
        entry_ids, media_ids = referenced_ids(spec, value)
        if entry_ids:
            target_collection = spec.validation.get("collection")
            found = Entry.objects.filter(pk__in=entry_ids).exclude(status=Status.TRASH)
            if target_collection:
                found = found.filter(collection__slug=target_collection)
            found_ids = set(found.values_list("pk", flat=True))
            if absent := [i for i in entry_ids if i not in found_ids]:
                missing[spec.slug] = f"no such entry: {', '.join(absent)}"
            rows += [
                EntryReference(entry=entry, field=spec.slug, target_entry_id=i)
                for i in found_ids
            ]
        if media_ids:
            found_media = set(
                Media.objects.filter(pk__in=media_ids).values_list("pk", flat=True)
            )
            if absent := [i for i in media_ids if i not in found_media]:
                missing[spec.slug] = f"no such media: {', '.join(absent)}"
            rows += [
                EntryReference(entry=entry, field=spec.slug, target_media_id=i)
                for i in found_media
            ]
    if missing:
        raise ValidationFailed(
            "Entry data points at things that do not exist.", fields=missing
        )
    EntryReference.objects.bulk_create(rows)
