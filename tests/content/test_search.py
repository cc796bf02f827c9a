"""Full-text search: the same matches, ranking order and snippets on SQLite (FTS5)
and PostgreSQL (tsvector); the database tests here run on both."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emdash.content.models import Entry, SearchDocument, Status
from emdash.content.search import (
    MAX_TERMS,
    make_snippet,
    query_terms,
    rebuild_index,
    search,
)
from emdash.content.services import entries
from emdash.core.actors import ANONYMOUS, SYSTEM, Actor
from emdash.core.errors import ValidationFailed
from tests.factories import make_collection, make_role_actor

# The title is the document title only; the body is the one searchable field, so
# title and body columns never share text unless a test puts it there.
ARTICLE_FIELDS: list[dict[str, Any]] = [
    {"slug": "title", "type": "string", "required": True},
    {"slug": "body", "type": "text", "searchable": True},
]


@pytest.fixture
def articles(db: None) -> str:
    return make_collection("articles", fields=ARTICLE_FIELDS).slug


def add(
    title: str,
    body: str = "",
    *,
    status: str = "published",
    collection: str = "articles",
    **values: Any,
) -> Entry:
    return entries.create_entry(
        SYSTEM,
        collection,
        {"data": {"title": title, "body": body}, "status": status, **values},
    )


def titles(actor: Actor, query: str, **options: Any) -> list[str]:
    return [hit.title for hit in search(actor, query, **options)]


def index_matches(term: str) -> set[int]:
    """Document ids the engine's own index finds for ``term``, bypassing search()."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT id FROM content_searchdocument "
                "WHERE search_vector @@ to_tsquery('simple', %s)",
                [term],
            )
        else:
            cursor.execute(
                "SELECT rowid FROM content_searchdocument_fts "
                "WHERE content_searchdocument_fts MATCH %s",
                [term],
            )
        return {row[0] for row in cursor.fetchall()}


# -- query parsing (no database) -------------------------------------------------------


def test_query_terms_are_folded_words():
    assert query_terms("Crème BRÛLÉE, s'il-vous_plaît!") == [
        "creme",
        "brulee",
        "s",
        "il",
        "vous",
        "plait",
    ]


def test_query_terms_are_capped_in_number_and_length():
    many = " ".join(f"w{number}" for number in range(20))

    assert query_terms(many) == [f"w{number}" for number in range(MAX_TERMS)]
    assert query_terms("x" * 300) == ["x" * 200]


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_refused(query: str):
    with pytest.raises(ValidationFailed) as caught:
        query_terms(query)

    assert caught.value.fields == {"q": "must not be empty"}


def test_punctuation_alone_gives_no_terms():
    assert query_terms('"*:&|!()') == []


# -- snippets (no database) ------------------------------------------------------------


def test_snippet_is_a_window_of_words_around_the_first_match():
    text = " ".join(f"w{number}" for number in range(1, 101))

    snippet = make_snippet(text, ["w50"])

    words = [f"w{number}" for number in range(40, 70)]
    words[10] = "<mark>w50</mark>"
    assert snippet == "…" + " ".join(words) + "…"


def test_snippet_near_the_start_has_no_leading_ellipsis():
    text = " ".join(f"w{number}" for number in range(1, 101))

    snippet = make_snippet(text, ["w3"])

    words = [f"w{number}" for number in range(1, 31)]
    words[2] = "<mark>w3</mark>"
    words[29] = "<mark>w30</mark>"  # the last term is also a prefix
    assert snippet == " ".join(words) + "…"


def test_snippet_escapes_html_and_marks_folded_matches():
    text = "Meet at the Café <b>du</b>\n\n  Monde & Cafe\u0301 (café)."

    snippet = make_snippet(text, ["cafe"])

    assert snippet == (
        "Meet at the <mark>Café</mark> &lt;b&gt;du&lt;/b&gt; Monde &amp; "
        "<mark>Cafe\u0301</mark> (<mark>café</mark>)."
    )


def test_snippet_marks_only_the_last_term_as_a_prefix():
    snippet = make_snippet("Pythons eat python; pyth is short.", ["pyth", "python"])

    assert snippet == (
        "<mark>Pythons</mark> eat <mark>python</mark>; <mark>pyth</mark> is short."
    )
    assert make_snippet("Pythons and pythonic code", ["pyth", "zebra"]) is None


def test_snippet_cuts_text_without_spaces_by_characters():
    text = "x" * 1000 + "/needle/" + "y" * 1000

    snippet = make_snippet(text, ["needle"])

    assert snippet == "…" + "x" * 105 + "/<mark>needle</mark>/" + "y" * 207 + "…"


# -- matching and ranking --------------------------------------------------------------


def test_a_title_match_outranks_a_body_only_match(articles: str):
    for number in range(3):
        add(f"Filler {number}", "Unrelated words.")
    add("Gardening notes", "Python, python and more python.")
    add("Python tips", "Nothing else here.")

    hits = search(ANONYMOUS, "python")

    assert [hit.title for hit in hits] == ["Python tips", "Gardening notes"]
    assert hits[0].score > hits[1].score > 0


def test_more_occurrences_rank_higher(articles: str):
    add("Once", "a python sat by the river and a snake slept by the tree")
    add("Thrice", "a python sat by the river and a python slept by the python")

    hits = search(ANONYMOUS, "python")

    assert [hit.title for hit in hits] == ["Thrice", "Once"]
    assert hits[0].score > hits[1].score > 0


def test_the_last_term_matches_as_a_prefix(articles: str):
    add("Python tips", "Short and useful.")

    assert titles(ANONYMOUS, "pyth") == ["Python tips"]
    assert titles(ANONYMOUS, "tips pyth") == ["Python tips"]
    # Only the last term is a prefix: "pyth" elsewhere must be a whole word.
    assert titles(ANONYMOUS, "pyth tips") == []


def test_accents_fold_both_ways(articles: str):
    add("Café culture", "Espresso.")
    add("Cafe racer", "Motorbikes.")

    assert sorted(titles(ANONYMOUS, "cafe")) == ["Cafe racer", "Café culture"]
    assert sorted(titles(ANONYMOUS, "CAFÉ")) == ["Cafe racer", "Café culture"]
    assert sorted(titles(ANONYMOUS, "cafe\u0301")) == ["Cafe racer", "Café culture"]


def test_every_term_must_match(articles: str):
    add("Red apples", "Crisp and sweet.")
    add("Green apples", "Sour and crisp.")

    assert sorted(titles(ANONYMOUS, "apples crisp")) == ["Green apples", "Red apples"]
    assert titles(ANONYMOUS, "red apples") == ["Red apples"]
    assert titles(ANONYMOUS, "red sour") == []


def test_search_can_be_scoped_to_collections(articles: str):
    make_collection("notes", fields=ARTICLE_FIELDS)
    add("Article on otters", "Otters hold hands.")
    add("Note on otters", "Otters again.", collection="notes")

    assert titles(ANONYMOUS, "otters", collections=["notes"]) == ["Note on otters"]
    both = search(ANONYMOUS, "otters", collections=["articles", "notes"])
    assert sorted((hit.collection, hit.title) for hit in both) == [
        ("articles", "Article on otters"),
        ("notes", "Note on otters"),
    ]
    assert titles(ANONYMOUS, "otters", collections=[]) == []


def test_search_can_be_scoped_to_a_locale(articles: str):
    add("Lisbon trams", "Yellow trams.", locale="en")
    add("Elétricos de Lisboa", "Trams amarelos.", locale="pt")

    assert titles(ANONYMOUS, "trams", locale="pt") == ["Elétricos de Lisboa"]
    assert titles(ANONYMOUS, "trams", locale="en") == ["Lisbon trams"]


def test_limit_caps_the_hits(articles: str):
    for number in range(25):
        add(f"Heron {number}", "Herons wade.")

    assert len(search(ANONYMOUS, "herons")) == 20
    assert len(search(ANONYMOUS, "herons", limit=3)) == 3
    for bad in (0, 101):
        with pytest.raises(ValidationFailed) as caught:
            search(ANONYMOUS, "herons", limit=bad)
        assert caught.value.fields == {"limit": "must be between 1 and 100"}


def test_a_hit_carries_the_entry_and_an_escaped_snippet(articles: str):
    entry = add(
        "Safety", "Never run <script>alert('x')</script> from a stranger & friends."
    )

    [hit] = search(ANONYMOUS, "stranger")

    assert (hit.id, hit.collection, hit.slug, hit.title) == (
        entry.pk,
        "articles",
        "safety",
        "Safety",
    )
    assert hit.snippet == (
        "Never run &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; from a "
        "<mark>stranger</mark> &amp; friends."
    )
    [script_hit] = search(ANONYMOUS, "script")
    assert script_hit.snippet.startswith("Never run &lt;<mark>script</mark>&gt;")


def test_snippet_falls_back_to_the_title_then_to_the_opening(articles: str):
    entry = add("Python tips", "Nothing relevant in this body.")

    [hit] = search(ANONYMOUS, "python")
    assert hit.snippet == "<mark>Python</mark> tips"

    # A document whose stored text no longer contains the word the engine
    # matched (as when an engine splits words differently) shows its opening.
    SearchDocument.objects.filter(entry=entry).update(
        title="Elsewhere", body="Words the snippet rules cannot place."
    )
    [hit] = search(ANONYMOUS, "python")
    assert hit.snippet == "Words the snippet rules cannot place."


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', []),
        ("*", []),
        ("AND OR NOT", []),
        (":*", []),
        ("&|!", []),
        ("NEAR(", []),
        ("NEAR(python input)", []),
        ("col:term", []),
        ("title_folded:python", []),
        ("(((", []),
        (")", []),
        ("\\", []),
        ("%_", []),
        ("\x00", []),
        ('"python', ["Python tips"]),
        ("python'", ["Python tips"]),
        ("python*", ["Python tips"]),
        ("-python", ["Python tips"]),
        ("NOT python", []),
        ("python & !input", ["Python tips"]),
        ("python | zebra", []),
        ("pyth:*", ["Python tips"]),
        ("user:* <-> input", ["Python tips"]),
        ("python) (input", ["Python tips"]),
        ("python) AND (input", []),
    ],
)
def test_query_syntax_is_never_interpreted(
    articles: str, query: str, expected: list[str]
):
    add("Python tips", "Never trust user input.")

    assert titles(ANONYMOUS, query) == expected
    assert titles(make_role_actor("editor"), query) == expected


def test_empty_query_raises_validation_failed(articles: str):
    with pytest.raises(ValidationFailed) as caught:
        search(ANONYMOUS, " ")

    assert caught.value.fields == {"q": "must not be empty"}


def test_markdown_bodies_are_searched_as_plain_text(db: None):
    make_collection("posts")
    entries.create_entry(
        SYSTEM,
        "posts",
        {
            "status": "published",
            "data": {
                "title": "Markup",
                "body": "Some **bold** claims, [a link](https://example.com/hidden).",
            },
        },
    )

    [hit] = search(ANONYMOUS, "bold")

    assert hit.snippet == "Markup Some <mark>bold</mark> claims, a link."
    assert titles(ANONYMOUS, "hidden") == []


# -- who sees what ---------------------------------------------------------------------


def test_anonymous_search_sees_only_live_public_content(articles: str):
    add("Zebra draft", "Zebras in a draft.", status="draft")
    add("Zebra pending", "Zebras awaiting review.", status="pending")
    add("Zebra private", "Zebras for editors.", visibility="private")
    add("Zebra password", "Zebras hidden.", visibility="password", password="pw")
    published = add("Zebra facts", "Zebras are striped.")
    entries.update_entry(
        SYSTEM,
        "articles",
        published.pk,
        {"version": published.version, "data": {"body": "Okapi text in a draft edit."}},
    )
    subscriber = make_role_actor("subscriber")
    editor = make_role_actor("editor")

    assert titles(ANONYMOUS, "zebras") == ["Zebra facts"]
    assert titles(subscriber, "zebras") == ["Zebra facts"]
    assert titles(ANONYMOUS, "okapi") == []
    assert titles(subscriber, "okapi") == []
    assert titles(editor, "okapi") == ["Zebra facts"]
    assert sorted(titles(editor, "zebra")) == [
        "Zebra draft",
        "Zebra facts",
        "Zebra password",
        "Zebra pending",
        "Zebra private",
    ]
    # The editor searches the working copy, whose body no longer says "striped".
    assert titles(editor, "striped") == []
    assert titles(ANONYMOUS, "striped") == ["Zebra facts"]


def test_the_public_sees_the_live_slug_and_title_editors_the_working_ones(
    articles: str,
):
    entry = add("Original title", "Kingfishers dive.")
    entries.update_entry(
        SYSTEM,
        "articles",
        entry.pk,
        {"version": entry.version, "slug": "renamed", "data": {"title": "New title"}},
    )

    [public] = search(ANONYMOUS, "kingfishers")
    [working] = search(make_role_actor("editor"), "kingfishers")

    assert (public.id, public.slug, public.title) == (
        entry.pk,
        "original-title",
        "Original title",
    )
    assert (working.id, working.slug, working.title) == (
        entry.pk,
        "renamed",
        "New title",
    )


def test_a_scheduled_entry_is_found_once_its_time_has_passed(articles: str):
    entry = add(
        "Launch day",
        "The rocket launches.",
        status="scheduled",
        scheduled_at=timezone.now() + timedelta(hours=1),
    )
    assert titles(ANONYMOUS, "rocket") == []

    # Time passing is simulated by moving scheduled_at into the past in the
    # database directly, so no service runs and nothing flips the status.
    Entry.objects.filter(pk=entry.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )

    assert titles(ANONYMOUS, "rocket") == ["Launch day"]
    assert Entry.objects.get(pk=entry.pk).status == Status.SCHEDULED


def test_trashed_entries_vanish_and_come_back_as_drafts(articles: str):
    entry = add("Walrus news", "Walruses everywhere.")
    editor = make_role_actor("editor")

    trashed = entries.trash_entry(SYSTEM, "articles", entry.pk)

    assert titles(ANONYMOUS, "walruses") == []
    assert titles(editor, "walruses") == []

    entries.restore_entry(SYSTEM, "articles", entry.pk, version=trashed.version)

    assert titles(ANONYMOUS, "walruses") == []
    assert titles(editor, "walruses") == ["Walrus news"]


def test_an_unpublished_entry_leaves_public_search(articles: str):
    entry = add("Puffin guide", "Puffins nest on cliffs.")

    entries.unpublish_entry(SYSTEM, "articles", entry.pk)

    assert titles(ANONYMOUS, "puffins") == []
    assert titles(make_role_actor("editor"), "puffins") == ["Puffin guide"]


def test_anonymous_search_takes_two_queries(
    articles: str, django_assert_num_queries: Any
):
    for number in range(5):
        add(f"Badger {number}", "Badgers dig setts.")

    with django_assert_num_queries(2):
        hits = search(ANONYMOUS, "badgers")

    assert len(hits) == 5


# -- the engine index ------------------------------------------------------------------


def test_the_engine_index_follows_every_write(articles: str):
    entry = add("Lynx", "Lynxes hunt hares.")
    [document_id] = SearchDocument.objects.filter(
        entry=entry, variant=SearchDocument.WORKING
    ).values_list("id", flat=True)
    live_id = SearchDocument.objects.get(entry=entry, variant=SearchDocument.LIVE).pk

    assert index_matches("hares") == {document_id, live_id}

    entries.update_entry(
        SYSTEM,
        "articles",
        entry.pk,
        {"version": entry.version, "data": {"body": "Lynxes hunt voles."}},
    )
    assert index_matches("hares") == {live_id}
    assert index_matches("voles") == {document_id}

    entries.trash_entry(SYSTEM, "articles", entry.pk)
    assert index_matches("lynxes") == set()


def test_ranking_query_uses_the_engine_index(articles: str):
    add("Marmot", "Marmots whistle.")

    with CaptureQueriesContext(connection) as captured:
        search(ANONYMOUS, "marmots")
    ranking_sql = captured.captured_queries[0]["sql"]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assert "WHERE d.search_vector @@ q AND EXISTS" in ranking_sql
            # On a table this small the planner prefers reading it whole; forbid
            # that to see the GIN index answer the match.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                "EXPLAIN SELECT id FROM content_searchdocument "
                "WHERE search_vector @@ to_tsquery('simple', 'marmots')"
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Bitmap Index Scan on content_searchdocument_vector" in plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {ranking_sql}")
            plan = [row[-1] for row in cursor.fetchall()]
            # FTS5 finds the matches ("M" = MATCH); each is then checked by key.
            assert plan[0] == "SCAN content_searchdocument_fts VIRTUAL TABLE INDEX 0:M2"
            assert (
                "SEARCH content_searchdocument USING INTEGER PRIMARY KEY (rowid=?)"
                in plan
            )


def test_rebuild_index_repopulates_the_engine_index(articles: str):
    add("Ibis", "Ibises probe mud.")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO content_searchdocument_fts(content_searchdocument_fts) "
                "VALUES ('delete-all')"
            )
        assert titles(ANONYMOUS, "ibises") == []

    assert rebuild_index() == 2
    assert titles(ANONYMOUS, "ibises") == ["Ibis"]
