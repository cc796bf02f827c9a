from django.conf import settings
from django.db import models
from django.db.models import Q

from emdash.core.ids import new_id


class Collection(models.Model):
    """A content type defined at run time: posts, pages, products, ..."""

    slug = models.SlugField(max_length=63, unique=True)
    label = models.CharField(max_length=100)
    label_singular = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    url_pattern = models.CharField(max_length=200, blank=True)
    # Feature switches: drafts, revisions, scheduling, search, seo, comments, paywall.
    supports = models.JSONField(default=list)
    title_field = models.CharField(max_length=63, default="title")
    sort_order = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "slug"]

    def __str__(self) -> str:
        return self.slug

    def supports_feature(self, feature: str) -> bool:
        return feature in self.supports


class Field(models.Model):
    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="fields"
    )
    slug = models.CharField(max_length=63)
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=32)
    required = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    indexed = models.BooleanField(default=False)
    searchable = models.BooleanField(default=False)
    default = models.JSONField(null=True, blank=True)
    # min/max/min_length/max_length/pattern/options/collection/multiple/sub_fields/...
    validation = models.JSONField(default=dict, blank=True)
    help_text = models.CharField(max_length=500, blank=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "slug"], name="field_unique_slug"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collection_id}.{self.slug}"


class Status(models.TextChoices):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    TRASH = "trash"


class Visibility(models.TextChoices):
    PUBLIC = "public"
    PRIVATE = "private"
    PASSWORD = "password"  # noqa: S105 - a visibility name, not a secret


class Entry(models.Model):
    """The working copy of a piece of content. What the public sees is
    ``live_revision`` (set while published or scheduled), so edits to a published
    entry stay invisible until it is published again."""

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    collection = models.ForeignKey(
        Collection, on_delete=models.PROTECT, related_name="entries"
    )
    slug = models.CharField(max_length=200)
    locale = models.CharField(max_length=16, default="en")
    translation_group = models.CharField(max_length=26, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    password_hash = models.CharField(max_length=128, blank=True)
    title = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict)
    seo = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    version = models.PositiveIntegerField(default=1)
    current_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    live_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_before_trash = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "locale", "slug"], name="entry_unique_slug"
            ),
        ]
        indexes = [
            models.Index(
                fields=["collection", "status", "published_at"], name="entry_listing"
            ),
            models.Index(fields=["status", "scheduled_at"], name="entry_due"),
            # The default listing order (newest first), so a page is read in
            # index order instead of sorting the whole collection.
            models.Index(
                fields=["collection", "created_at", "id"], name="entry_recent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collection_id}/{self.slug}"

    @property
    def has_draft(self) -> bool:
        return (
            self.live_revision_id is not None
            and self.current_revision_id != self.live_revision_id
        )


class Revision(models.Model):
    """A snapshot of an entry's editable state, made on every save."""

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    # Indexed: the public site finds live content by its live revision's slug.
    slug = models.CharField(max_length=200, db_index=True)
    title = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict)
    seo = models.JSONField(default=dict, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=200, blank=True)
    # Rendered Markdown fields of this snapshot, filled on first render.
    rendered = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "number"], name="revision_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}#{self.number}"


class EntryReference(models.Model):
    """Side table of what an entry's data points at, kept in step on every save,
    so a reference to a missing entry or file is caught by a foreign key."""

    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="references"
    )
    field = models.CharField(max_length=63)
    target_entry = models.ForeignKey(
        Entry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referenced_by",
    )
    target_media = models.ForeignKey(
        "media.Media", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(target_entry__isnull=False) ^ Q(target_media__isnull=False),
                name="reference_has_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}.{self.field}"


class SearchDocument(models.Model):
    """Text of one entry for full-text search, one row per variant: ``live`` (what
    the public may find) and ``working`` (what editors may find). The engine index
    (FTS5 on SQLite, tsvector on PostgreSQL) is kept in step by the database."""

    LIVE = "live"
    WORKING = "working"

    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="search_documents"
    )
    variant = models.CharField(max_length=8)
    collection_slug = models.CharField(max_length=63)
    locale = models.CharField(max_length=16, default="en")
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # Accent-folded, lowercased copies: both engines index these, so tokenisation
    # is the same on SQLite and PostgreSQL.
    title_folded = models.TextField(blank=True)
    body_folded = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "variant"], name="search_unique_variant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.variant}"


class Taxonomy(models.Model):
    slug = models.SlugField(max_length=63, unique=True)
    label = models.CharField(max_length=100)
    label_singular = models.CharField(max_length=100, blank=True)
    hierarchical = models.BooleanField(default=False)
    collections = models.ManyToManyField(
        Collection, blank=True, related_name="taxonomies"
    )

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.slug


class Term(models.Model):
    taxonomy = models.ForeignKey(
        Taxonomy, on_delete=models.CASCADE, related_name="terms"
    )
    slug = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["taxonomy", "slug"], name="term_unique_slug"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.taxonomy_id}:{self.slug}"


class EntryTerm(models.Model):
    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="entry_terms"
    )
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="entry_terms")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "term"], name="entry_term_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}->{self.term_id}"


class Menu(models.Model):
    slug = models.SlugField(max_length=63, unique=True)
    label = models.CharField(max_length=100)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class MenuItem(models.Model):
    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    label = models.CharField(max_length=200)
    url = models.CharField(max_length=500, blank=True)
    entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.CharField(max_length=16, blank=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label
