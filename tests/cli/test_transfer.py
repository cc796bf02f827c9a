"""`emdash export`, `emdash import-json` and `emdash seed`."""

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from emdash.content import seed
from emdash.content.models import Collection, Entry, Menu, Taxonomy, Term
from emdash.content.services import entries, menus
from emdash.core.actors import SYSTEM
from tests.cli.conftest import emdash, fails, json_of, ok, sample_seed

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "collections": Collection.objects.count(),
        "taxonomies": Taxonomy.objects.count(),
        "terms": Term.objects.count(),
        "entries": Entry.objects.count(),
        "menus": Menu.objects.count(),
    }


def without_dates(document: dict[str, Any]) -> dict[str, Any]:
    """The export minus what an import cannot carry over: publication dates."""
    for entry in document["entries"]:
        entry.pop("published_at", None)
    return document


# Committed transactions, so that the database can be emptied in the middle.
@pytest.mark.django_db(transaction=True)
def test_export_then_import_into_an_empty_site_reproduces_it(tmp_path: Path) -> None:
    seed.apply_seed(sample_seed())
    exported = tmp_path / "site.json"
    ok("export", "--output", str(exported))
    before = json.loads(exported.read_text())

    call_command("flush", interactive=False, verbosity=0)
    assert counts() == dict.fromkeys(counts(), 0)
    report = json_of("import-json", str(exported))

    # Published ones in the order of their dates, then the rest in file order.
    assert report["created"]["entries"] == [
        "posts/first-frost",
        "posts/heron-at-dawn",
        "pages/about",
        "posts/kingfisher",
        "posts/owls",
    ]
    assert without_dates(json.loads(ok("export"))) == without_dates(before)


def test_the_export_is_a_seed_document(tmp_path: Path) -> None:
    seed.apply_seed(sample_seed())

    exported = json.loads(ok("export"))

    assert list(exported) == [
        "settings",
        "collections",
        "taxonomies",
        "entries",
        "menus",
    ]
    assert exported["settings"]["title"] == "Field Notes"
    assert [c["slug"] for c in exported["collections"]] == ["pages", "posts"]
    assert exported["taxonomies"][1] == {
        "slug": "topics",
        "label": "Topics",
        "label_singular": "",
        "hierarchical": True,
        "collections": ["posts"],
        "terms": [
            {"slug": "birds", "name": "Birds", "description": "", "parent": "nature"},
            {"slug": "nature", "name": "Nature", "description": ""},
        ],
    }
    heron = next(e for e in exported["entries"] if e["slug"] == "heron-at-dawn")
    assert set(heron) == {"collection", "slug", "status", "data", "terms", "seo",
                          "published_at"}  # fmt: skip
    assert heron["terms"] == {"tags": ["river"], "topics": ["birds"]}
    owls = next(e for e in exported["entries"] if e["slug"] == "owls")
    assert (owls["status"], owls["scheduled_at"]) == (
        "scheduled",
        "2099-01-01T09:00:00+00:00",
    )
    assert exported["menus"][0]["items"][1] == {
        "label": "About",
        "entry": {"collection": "pages", "slug": "about"},
        "children": [
            {"label": "Elsewhere", "url": "https://example.com/", "target": "_blank"}
        ],
    }
    assert seed.parse_seed(exported).entries[0].collection == "pages"


def test_export_to_a_file_says_what_it_wrote(tmp_path: Path) -> None:
    seed.apply_seed(sample_seed())
    target = tmp_path / "site.json"

    plain = ok("export", "-o", str(target))
    summary = json_of("export", "-o", str(target))

    assert plain == (
        f"Exported to {target} (collections: 2, taxonomies: 2, entries: 5, menus: 1).\n"
    )
    assert summary == {
        "output": str(target),
        "collections": 2,
        "taxonomies": 2,
        "entries": 5,
        "menus": 1,
    }


def test_a_menu_link_to_a_trashed_entry_is_left_out_with_a_warning() -> None:
    seed.apply_seed(sample_seed())
    about = Entry.objects.get(slug="about")
    entries.trash_entry(SYSTEM, "pages", about.pk)

    result = emdash("export")

    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: menu primary: left out 'About', which links to entry {about.pk} "
        "(in the trash)\n"
    )
    assert json.loads(result.stdout)["menus"][0]["items"] == [
        {"label": "Home", "url": "/"}
    ]
    assert menus.menu_tree(menus.get_menu(SYSTEM, "primary"))[1]["entry"] == about.pk


def test_importing_twice_creates_nothing_the_second_time(tmp_path: Path) -> None:
    document = tmp_path / "site.json"
    document.write_text(json.dumps(sample_seed()))
    json_of("import-json", str(document))
    before = counts()

    second = json_of("import-json", str(document))

    assert second["created"] == {kind: [] for kind in seed.KINDS}
    assert counts() == before
    assert ok("import-json", str(document)).splitlines()[0].split() == [
        "KIND",
        "CREATED",
        "ALREADY",
        "THERE",
    ]


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    document = tmp_path / "broken.json"
    document.write_text('{"collections": [')

    result = fails("import-json", str(document))

    assert result.stderr == (
        f"error: INVALID_INPUT: {document} is not valid JSON: Expecting value: "
        "line 1 column 18 (char 17)\n"
    )
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_malformed_export_names_the_problem_and_writes_nothing(
    tmp_path: Path,
) -> None:
    document = sample_seed()
    document["entries"][3]["data"] = "not an object"
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document))

    result = fails("import-json", str(path))

    assert result.stderr == (
        "error: VALIDATION_ERROR: The seed file is invalid. "
        "(entries.3.data: Input should be a valid dictionary)\n"
    )
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_failure_halfway_through_an_import_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    document = sample_seed()
    # The collections and taxonomies go in first; this last entry is refused.
    document["entries"][4]["data"] = {"title": "About", "subtitle": "no such field"}
    path = tmp_path / "site.json"
    path.write_text(json.dumps(document))

    result = fails("import-json", str(path), "--json")

    assert json.loads(result.stderr)["error"]["code"] == "VALIDATION_ERROR"
    assert counts() == dict.fromkeys(counts(), 0)


def test_an_export_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]")

    result = fails("import-json", str(path))

    assert result.stderr == (
        f"error: INVALID_INPUT: {path} must hold a JSON object (a seed or an export)\n"
    )


def test_seed_applies_a_file(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(sample_seed()))

    report = json_of("seed", str(path))

    assert report["created"]["collections"] == ["posts", "pages"]
    assert counts() == {
        "collections": 2,
        "taxonomies": 2,
        "terms": 3,
        "entries": 5,
        "menus": 1,
    }


def test_seed_without_a_file_loads_the_default_themes_demo_content() -> None:
    demo = json.loads(seed.demo_seed_path().read_text(encoding="utf-8"))

    report = json_of("seed")

    assert len(report["created"]["entries"]) == len(demo["entries"])
