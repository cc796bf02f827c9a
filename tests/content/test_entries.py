"""Entries through the content services: the write path every door shares."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emdash.content import queries
from emdash.content.models import Entry, Revision, Status
from emdash.content.services import entries
from emdash.core import epoch, hooks
from emdash.core.actors import SYSTEM
from emdash.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from emdash.core.models import AuditEvent
from tests.factories import actor_for, make_collection, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts():
    return make_collection("posts")


@pytest.fixture
def editor():
    return actor_for(make_user("editor"))


def create(actor, title="Hello world", **values):
    return entries.create_entry(actor, "posts", {"data": {"title": title}, **values})


def test_new_entry_is_a_draft_with_a_generated_slug_and_first_revision(posts, editor):
    entry = create(editor, "Ça va? Déjà 2024!")

    assert entry.status == "draft"
    assert entry.slug == "ça-va-déjà-2024"
    assert entry.version == 1
    assert entry.title == "Ça va? Déjà 2024!"
    assert list(entry.revisions.values_list("number", flat=True)) == [1]
    assert entry.current_revision_id == entry.revisions.get().pk
    assert entry.live_revision_id is None
    assert (
        AuditEvent.objects.filter(action="entry.create", target_id=entry.pk).count()
        == 1
    )


def test_generated_slugs_get_a_suffix_but_a_chosen_taken_slug_is_refused(posts, editor):
    first = create(editor, "Same title")
    second = create(editor, "Same title")

    assert (first.slug, second.slug) == ("same-title", "same-title-2")
    with pytest.raises(Conflict) as taken:
        create(editor, "Other", slug="same-title")
    assert taken.value.code == "SLUG_TAKEN"
    assert Entry.objects.count() == 2


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        (
            "has space",
            "may contain only letters, digits and single hyphens between them",
        ),
        ("admin", "'admin' is reserved"),
        ("x" * 201, "must be at most 200 characters"),
        (
            "double--hyphen",
            "may contain only letters, digits and single hyphens between them",
        ),
    ],
)
def test_invalid_slugs_are_refused_and_nothing_is_written(posts, editor, slug, problem):
    with pytest.raises(ValidationFailed) as invalid:
        create(editor, slug=slug)

    assert invalid.value.fields == {"slug": problem}
    assert Entry.objects.count() == 0


def test_unicode_slug_is_normalised(posts, editor):
    entry = create(editor, slug="ＨＥＬＬＯ-Wörld")

    assert entry.slug == "hello-wörld"


def test_bad_field_values_name_every_field_and_write_nothing(posts, editor):
    with pytest.raises(ValidationFailed) as invalid:
        entries.create_entry(editor, "posts", {"data": {"excerpt": 5, "colour": "red"}})

    assert set(invalid.value.fields) == {"title", "excerpt", "colour"}
    assert invalid.value.status == 422
    assert Entry.objects.count() == 0
    assert Revision.objects.count() == 0


def test_unknown_top_level_keys_are_refused(posts, editor):
    with pytest.raises(ValidationFailed) as invalid:
        entries.create_entry(editor, "posts", {"data": {"title": "x"}, "colour": 1})

    assert invalid.value.fields == {"colour": "unknown property"}


def test_every_save_makes_a_revision_and_bumps_the_version(posts, editor):
    entry = create(editor)
    entry = entries.update_entry(
        editor, "posts", entry.pk, {"version": 1, "data": {"excerpt": "One"}}
    )
    entry = entries.update_entry(
        editor, "posts", entry.pk, {"version": 2, "data": {"excerpt": "Two"}}
    )

    assert entry.version == 3
    assert entry.data == {"title": "Hello world", "excerpt": "Two"}
    assert [r.number for r in entries.list_revisions(editor, "posts", entry.pk)] == [
        3,
        2,
        1,
    ]


def test_a_stale_version_gets_409_and_writes_nothing(posts, editor):
    entry = create(editor)
    entries.update_entry(
        editor, "posts", entry.pk, {"version": 1, "data": {"excerpt": "A"}}
    )

    with pytest.raises(VersionConflict) as stale:
        entries.update_entry(
            editor, "posts", entry.pk, {"version": 1, "data": {"excerpt": "B"}}
        )

    assert stale.value.status == 409
    entry.refresh_from_db()
    assert entry.data["excerpt"] == "A"
    assert entry.version == 2
    assert entry.revisions.count() == 2


def test_update_requires_a_version(posts, editor):
    entry = create(editor)

    with pytest.raises(ValidationFailed) as invalid:
        entries.update_entry(editor, "posts", entry.pk, {"data": {"excerpt": "x"}})

    assert invalid.value.fields == {"version": "is required"}


def test_draft_edits_of_a_published_entry_stay_invisible_until_published(posts, editor):
    entry = create(editor, "Live title")
    entry = entries.publish_entry(editor, "posts", entry.pk)
    live_revision = entry.live_revision_id

    entry = entries.update_entry(
        editor,
        "posts",
        entry.pk,
        {"version": entry.version, "data": {"title": "Draft title"}, "slug": "renamed"},
    )

    assert entry.has_draft is True
    assert entry.live_revision_id == live_revision
    assert entry.data["title"] == "Draft title"
    public = queries.public_entry("posts", "live-title")
    assert public is not None
    assert public.title == "Live title"
    assert queries.public_entry("posts", "renamed") is None

    entry = entries.publish_entry(editor, "posts", entry.pk)

    assert entry.has_draft is False
    assert queries.public_entry("posts", "live-title") is None
    assert queries.public_entry("posts", "renamed").title == "Draft title"


def test_revisions_compare_and_restore(posts, editor):
    entry = create(editor, "First")
    entry = entries.update_entry(
        editor, "posts", entry.pk, {"version": 1, "data": {"title": "Second"}}
    )
    first, second = sorted(entry.revisions.all(), key=lambda r: r.number)

    diff = entries.compare_revisions(editor, "posts", entry.pk, first.pk, second.pk)
    restored = entries.restore_revision(editor, "posts", entry.pk, first.pk)

    assert diff["changes"] == {"title": {"from": "First", "to": "Second"}}
    assert restored.data["title"] == "First"
    assert restored.version == 3
    assert restored.revisions.count() == 3
    assert restored.status == "draft"


def test_trash_hides_and_restore_returns_a_draft(posts, editor):
    entry = entries.publish_entry(editor, "posts", create(editor).pk)

    trashed = entries.trash_entry(editor, "posts", entry.pk)

    assert trashed.status == "trash"
    assert queries.public_entry("posts", "hello-world") is None
    restored = entries.restore_entry(editor, "posts", entry.pk)
    assert restored.status == "draft"
    assert restored.data == {"title": "Hello world"}
    assert queries.public_entry("posts", "hello-world") is None


def test_permanent_delete_needs_trash_and_administrator(posts, editor):
    entry = create(editor)
    with pytest.raises(Conflict):
        entries.delete_entry_permanently(SYSTEM, "posts", entry.pk)
    entries.trash_entry(editor, "posts", entry.pk)
    with pytest.raises(PermissionDenied):
        entries.delete_entry_permanently(editor, "posts", entry.pk)

    entries.delete_entry_permanently(SYSTEM, "posts", entry.pk)

    assert not Entry.objects.filter(pk=entry.pk).exists()


def test_duplicate_makes_a_new_draft_with_a_fresh_slug(posts, editor):
    source = entries.publish_entry(editor, "posts", create(editor).pk)

    copy = entries.duplicate_entry(editor, "posts", source.pk)

    assert copy.pk != source.pk
    assert copy.slug == "hello-world-2"
    assert copy.status == "draft"
    assert copy.data == source.data


def test_a_contributor_cannot_publish_and_edits_only_their_own_drafts(posts, editor):
    contributor = actor_for(make_user("contributor"))
    mine = create(contributor, "Mine")
    theirs = create(editor, "Theirs")

    with pytest.raises(PermissionDenied):
        entries.publish_entry(contributor, "posts", mine.pk)
    with pytest.raises(PermissionDenied):
        create(contributor, "Straight to live", status="published")
    with pytest.raises(PermissionDenied):
        entries.update_entry(
            contributor, "posts", theirs.pk, {"version": 1, "data": {"title": "x"}}
        )
    submitted = entries.submit_entry(contributor, "posts", mine.pk)

    assert submitted.status == "pending"
    assert Entry.objects.get(pk=theirs.pk).data["title"] == "Theirs"
    assert Entry.objects.filter(status="published").count() == 0


def test_an_author_publishes_their_own_but_not_others(posts, editor):
    author = actor_for(make_user("author"))
    mine = create(author, "Mine")
    theirs = create(editor, "Theirs")

    assert entries.publish_entry(author, "posts", mine.pk).status == "published"
    with pytest.raises(PermissionDenied):
        entries.publish_entry(author, "posts", theirs.pk)


def test_a_scheduled_entry_goes_live_on_time_without_a_write(posts, editor):
    entry = create(editor)
    entries.schedule_entry(
        editor, "posts", entry.pk, at=timezone.now() + timedelta(seconds=1)
    )
    assert queries.public_entry("posts", "hello-world") is None
    due = epoch.current().next_due_at
    assert due is not None

    time.sleep(1.1)  # no process runs in between
    with CaptureQueriesContext(connection) as ctx:
        public = queries.public_entry("posts", "hello-world")

    assert public is not None
    assert public.title == "Hello world"
    assert all(
        q["sql"].lstrip().upper().startswith("SELECT") for q in ctx.captured_queries
    )
    assert Entry.objects.get(pk=entry.pk).status == "scheduled"


def test_publish_due_flips_status_and_runs_publish_hooks(
    posts, editor, django_capture_on_commit_callbacks
):
    entry = create(editor)
    entries.schedule_entry(
        editor, "posts", entry.pk, at=timezone.now() + timedelta(hours=1)
    )
    Entry.objects.filter(pk=entry.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )
    seen: list[str] = []

    with (
        hooks.registered(
            "content:afterPublish",
            lambda name, payload, actor: seen.append(payload["id"]),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        flipped = entries.publish_due(SYSTEM)

    assert flipped == [entry.pk]
    assert seen == [entry.pk]
    assert Entry.objects.get(pk=entry.pk).status == "published"


def test_scheduling_in_the_past_is_refused(posts, editor):
    entry = create(editor)

    with pytest.raises(ValidationFailed) as invalid:
        entries.schedule_entry(
            editor, "posts", entry.pk, at=timezone.now() - timedelta(minutes=1)
        )

    assert invalid.value.fields == {"scheduled_at": "must be in the future"}
    assert Entry.objects.get(pk=entry.pk).status == "draft"


def test_naive_schedule_times_are_refused(posts, editor):
    entry = create(editor)

    with pytest.raises(ValidationFailed) as invalid:
        entries.schedule_entry(editor, "posts", entry.pk, at="2999-01-01T10:00:00")

    assert invalid.value.fields == {
        "scheduled_at": "must include a timezone offset, e.g. Z"
    }


def test_before_save_hook_can_modify_and_reject(posts, editor):
    def shout(name, payload, actor):
        return {
            **payload,
            "data": {**payload["data"], "title": payload["data"]["title"].upper()},
        }

    with hooks.registered("content:beforeSave", shout):
        entry = create(editor, "quiet")
    assert entry.data["title"] == "QUIET"

    def refuse(name, payload, actor):
        raise ValidationFailed("No thanks.", code="PLUGIN_REJECTED")

    with (
        hooks.registered("content:beforeSave", refuse),
        pytest.raises(ValidationFailed),
    ):
        create(editor, "refused")
    assert Entry.objects.count() == 1


def test_after_save_hooks_run_after_commit(
    posts, editor, django_capture_on_commit_callbacks
):
    seen: list[str] = []
    with (
        hooks.registered("content:afterSave", lambda n, p, a: seen.append(p["id"])),
        django_capture_on_commit_callbacks(execute=True),
    ):
        entry = create(editor)

    assert seen == [entry.pk]


def test_every_write_bumps_the_content_epoch(posts, editor):
    before = epoch.current().value
    entry = create(editor)
    entries.publish_entry(editor, "posts", entry.pk)

    assert epoch.current().value == before + 2


def test_unique_fields_are_enforced_by_the_database(editor):
    make_collection(
        "products",
        fields=[
            {"slug": "title", "type": "string", "required": True},
            {"slug": "sku", "type": "string", "unique": True},
        ],
    )
    entries.create_entry(editor, "products", {"data": {"title": "A", "sku": "X1"}})

    with pytest.raises(ValidationFailed) as clash:
        entries.create_entry(editor, "products", {"data": {"title": "B", "sku": "X1"}})

    assert clash.value.code == "UNIQUE_VIOLATION"
    assert list(clash.value.fields) == ["sku"]
    assert Entry.objects.filter(collection__slug="products").count() == 1


def test_references_must_point_at_existing_entries(editor):
    make_collection("authors", fields=[{"slug": "title", "type": "string"}])
    make_collection(
        "books",
        fields=[
            {"slug": "title", "type": "string"},
            {
                "slug": "writer",
                "type": "reference",
                "validation": {"collection": "authors"},
            },
        ],
    )
    ada = entries.create_entry(editor, "authors", {"data": {"title": "Ada"}})

    book = entries.create_entry(
        editor, "books", {"data": {"title": "Notes", "writer": ada.pk}}
    )
    with pytest.raises(ValidationFailed) as missing:
        entries.create_entry(
            editor,
            "books",
            {"data": {"title": "Ghost", "writer": "01JAAAAAAAAAAAAAAAAAAAAAAA"}},
        )

    assert list(book.references.values_list("target_entry_id", flat=True)) == [ada.pk]
    assert list(missing.value.fields) == ["writer"]
    assert Entry.objects.filter(collection__slug="books").count() == 1


def test_seo_is_validated_and_only_for_collections_that_support_it(posts, editor):
    entry = create(editor, seo={"title": "T", "noindex": True})
    assert entry.seo == {"title": "T", "noindex": True}
    with pytest.raises(ValidationFailed) as invalid:
        create(editor, "x", seo={"noindex": "yes", "colour": 1})
    assert invalid.value.fields == {
        "seo.colour": "unknown property",
        "seo.noindex": "must be true or false",
    }
    make_collection("notes", supports=["drafts"])
    with pytest.raises(ValidationFailed):
        entries.create_entry(
            editor, "notes", {"data": {"title": "n"}, "seo": {"title": "x"}}
        )


def test_private_entries_are_not_public(posts, editor):
    entry = create(editor, visibility="private")
    entries.publish_entry(editor, "posts", entry.pk)

    assert queries.public_entry("posts", "hello-world") is None
    with pytest.raises(NotFound):
        entries.get_entry(actor_for(make_user("subscriber")), "posts", entry.pk)


def test_password_visibility_requires_a_password(posts, editor):
    with pytest.raises(ValidationFailed) as invalid:
        create(editor, visibility="password")

    assert invalid.value.fields == {
        "password": "is required when visibility is password"
    }
    entry = create(editor, visibility="password", password="s3cret")
    assert entry.password_hash.startswith("scrypt$")


def test_statuses_are_listed_and_filtered(posts, editor):
    create(editor, "Draft one")
    entries.publish_entry(editor, "posts", create(editor, "Published one").pk)

    page = queries.list_entries(
        editor, "posts", filters=queries.EntryFilters(status=Status.PUBLISHED)
    )

    assert [e.title for e in page.items] == ["Published one"]


def test_any_write_publishes_what_is_due_without_changing_its_version(posts, editor):
    entry = create(editor, "Scheduled")
    entry = entries.schedule_entry(
        editor, "posts", entry.pk, at=timezone.now() + timedelta(hours=1)
    )
    Entry.objects.filter(pk=entry.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )

    create(editor, "Unrelated write")

    flipped = Entry.objects.get(pk=entry.pk)
    assert flipped.status == "published"
    assert flipped.version == entry.version


def test_a_published_entry_can_be_backdated_but_not_future_dated(posts, editor):
    earlier = timezone.now() - timedelta(days=3)

    entry = create(editor, status="published", published_at=earlier.isoformat())

    assert entry.published_at == earlier
    with pytest.raises(ValidationFailed) as future:
        create(editor, "Later", status="published", published_at="2999-01-01T00:00:00Z")
    assert future.value.fields == {
        "published_at": "must not be in the future; schedule instead"
    }
    with pytest.raises(ValidationFailed) as draft:
        create(editor, "Draft", published_at=earlier.isoformat())
    assert draft.value.fields == {"published_at": "is only for status published"}


def test_markdown_too_complex_to_render_names_the_field(posts, editor):
    with pytest.raises(ValidationFailed) as invalid:
        entries.create_entry(
            editor, "posts", {"data": {"title": "Deep", "body": "<div>" * 600}}
        )

    assert list(invalid.value.fields) == ["body"]
    assert Entry.objects.count() == 0


def test_entry_counts_per_status_and_per_collection(posts, editor):
    first = entries.create_entry(editor, "posts", {"data": {"title": "One"}})
    entries.create_entry(editor, "posts", {"data": {"title": "Two"}})
    third = entries.create_entry(editor, "posts", {"data": {"title": "Three"}})
    entries.publish_entry(editor, "posts", first.id)
    entries.trash_entry(editor, "posts", third.id)

    counts = queries.entry_counts(editor)

    assert dict(counts.by_status) == {"draft": 1, "published": 1, "trash": 1}
    assert dict(counts.by_collection) == {"posts": 2}
    with pytest.raises(PermissionDenied):
        queries.entry_counts(actor_for(make_user("subscriber")))
