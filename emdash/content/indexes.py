"""Database indexes for ``indexed`` and ``unique`` fields of run-time collections.

Entry data is one JSON column, so each such field gets an expression index over
its JSON value, partial to its collection (``WHERE collection_id = N``). Unique
fields get a partial unique index: the database refuses a duplicate at insert
time, so there is no check-then-insert race. The ORM expressions built here are
the same ones ``filter_expression`` gives queries, so the planner can use them.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models
from django.db.backends.utils import CursorWrapper
from django.db.models import Q
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from emdash.content.fields import FieldSpec, index_kind
from emdash.content.models import Entry


def filter_expression(field_slug: str, kind: str) -> Combinable:
    """The expression an indexed field is stored under and queried by."""
    text = KT(f"data__{field_slug}")
    if kind == "number":
        return Cast(text, models.FloatField())
    return text


def index_name(collection_id: int, field_slug: str, *, unique: bool) -> str:
    digest = hashlib.sha256(f"{collection_id}:{field_slug}".encode()).hexdigest()[:10]
    return f"entry_{'uq' if unique else 'ix'}_{collection_id}_{digest}"


def _objects(
    collection_id: int, spec: FieldSpec
) -> list[models.Index | models.UniqueConstraint]:
    kind = index_kind(spec)
    if kind is None or not (spec.indexed or spec.unique):
        return []
    expression = filter_expression(spec.slug, kind)
    condition = Q(collection_id=collection_id)
    if spec.unique:
        return [
            models.UniqueConstraint(
                expression,
                condition=condition,
                name=index_name(collection_id, spec.slug, unique=True),
            )
        ]
    return [
        models.Index(
            expression,
            condition=condition,
            name=index_name(collection_id, spec.slug, unique=False),
        )
    ]


@contextmanager
def _ddl_cursor() -> Iterator[CursorWrapper]:
    """A cursor for DDL inside the caller's transaction. PostgreSQL refuses DDL on
    a table with deferred foreign-key checks pending, so run them first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def create_field_indexes(collection_id: int, spec: FieldSpec) -> None:
    """Create the index (or unique index) a field asks for. Raises IntegrityError
    when existing values already break uniqueness."""
    # The editor is only used to compile SQL, not entered: entering it on SQLite
    # toggles foreign-key checks, which cannot happen inside the caller's
    # transaction, and the index must be created in that transaction.
    editor = connection.schema_editor(atomic=False)
    with _ddl_cursor() as cursor:
        for obj in _objects(collection_id, spec):
            cursor.execute(str(obj.create_sql(Entry, editor)))


def drop_field_indexes(collection_id: int, field_slug: str) -> None:
    """Drop whatever index a field had (both names are tried; absent ones are fine)."""
    quote = connection.ops.quote_name
    with _ddl_cursor() as cursor:
        for unique in (True, False):
            name = index_name(collection_id, field_slug, unique=unique)
            cursor.execute(f"DROP INDEX IF EXISTS {quote(name)}")  # noqa: S608
