"""The full-text index over ``content_searchdocument``, one per database engine.

SQLite: an FTS5 external-content table over ``title_folded`` and ``body_folded``,
kept in step by triggers. PostgreSQL: a stored generated ``search_vector`` column
with a GIN index. Neither is part of Django's model state: the model never reads
them, and ``emdash.content.search`` queries them with SQL.

The text is already folded (accents removed, casefolded) in Python, so neither
engine folds again: FTS5 uses ``unicode61 remove_diacritics 0`` and PostgreSQL the
``simple`` configuration (no stemming, no stop words), after replacing ASCII
punctuation with spaces so that e-mail addresses, URLs, paths, numbers and
hyphenated words split into the same words FTS5 sees.

Django rebuilds a SQLite table to alter it, which drops its triggers: a later
migration that alters ``SearchDocument`` must run this migration's SQL again.
"""

from django.db import NotSupportedError, OperationalError, migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_CREATE = [
    """
    CREATE VIRTUAL TABLE content_searchdocument_fts USING fts5(
        title_folded,
        body_folded,
        content='content_searchdocument',
        content_rowid='id',
        tokenize='unicode61 remove_diacritics 0'
    )
    """,
    # The external-content trigger pattern from the FTS5 documentation: the
    # 'delete' command needs the old values to remove their tokens.
    """
    CREATE TRIGGER content_searchdocument_fts_insert
    AFTER INSERT ON content_searchdocument BEGIN
        INSERT INTO content_searchdocument_fts(rowid, title_folded, body_folded)
        VALUES (new.id, new.title_folded, new.body_folded);
    END
    """,
    """
    CREATE TRIGGER content_searchdocument_fts_delete
    AFTER DELETE ON content_searchdocument BEGIN
        INSERT INTO content_searchdocument_fts(
            content_searchdocument_fts, rowid, title_folded, body_folded
        )
        VALUES ('delete', old.id, old.title_folded, old.body_folded);
    END
    """,
    """
    CREATE TRIGGER content_searchdocument_fts_update
    AFTER UPDATE ON content_searchdocument BEGIN
        INSERT INTO content_searchdocument_fts(
            content_searchdocument_fts, rowid, title_folded, body_folded
        )
        VALUES ('delete', old.id, old.title_folded, old.body_folded);
        INSERT INTO content_searchdocument_fts(rowid, title_folded, body_folded)
        VALUES (new.id, new.title_folded, new.body_folded);
    END
    """,
    # Index any rows written before this migration.
    """
    INSERT INTO content_searchdocument_fts(content_searchdocument_fts)
    VALUES ('rebuild')
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS content_searchdocument_fts_update",
    "DROP TRIGGER IF EXISTS content_searchdocument_fts_delete",
    "DROP TRIGGER IF EXISTS content_searchdocument_fts_insert",
    "DROP TABLE IF EXISTS content_searchdocument_fts",
]

# Every ASCII character that is not a letter or digit. Written as escapes so the
# class means the same under any database locale.
ASCII_SEPARATORS = r"[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+"

# A tsvector holds at most 1 MB of words and positions, about 4 bytes per
# character of input at worst (short unique words in a 3-byte script), so only
# the start of a longer body is indexed, rather than a long body failing its save.
POSTGRESQL_MAX_BODY_CHARS = 200_000

POSTGRESQL_CREATE = [
    f"""
    ALTER TABLE content_searchdocument ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(
            to_tsvector(
                'simple'::regconfig,
                regexp_replace(title_folded, '{ASCII_SEPARATORS}', ' ', 'g')
            ),
            'A'
        )
        || setweight(
            to_tsvector(
                'simple'::regconfig,
                regexp_replace(
                    left(body_folded, {POSTGRESQL_MAX_BODY_CHARS}),
                    '{ASCII_SEPARATORS}',
                    ' ',
                    'g'
                )
            ),
            'B'
        )
    ) STORED
    """,
    """
    CREATE INDEX content_searchdocument_vector
    ON content_searchdocument USING gin (search_vector)
    """,
]

POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS content_searchdocument_vector",
    "ALTER TABLE content_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _statements(schema_editor: BaseDatabaseSchemaEditor, *, create: bool) -> list[str]:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRESQL_CREATE if create else POSTGRESQL_DROP
    raise NotSupportedError(
        f"EmDash search runs on SQLite and PostgreSQL, not on {vendor}."
    )


def create_search_index(
    apps: StateApps, schema_editor: BaseDatabaseSchemaEditor
) -> None:
    statements = _statements(schema_editor, create=True)
    try:
        for statement in statements:
            schema_editor.execute(statement)
    except OperationalError as exc:
        if "no such module: fts5" not in str(exc):
            raise
        raise NotSupportedError(
            "This SQLite library was built without FTS5, which EmDash search needs. "
            "Use a Python whose sqlite3 module includes FTS5 (the python.org and "
            "most distribution builds do)."
        ) from exc


def drop_search_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in _statements(schema_editor, create=False):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index),
    ]
