from django.db import models

from emdash.core.ids import new_id


class Media(models.Model):
    """A stored file. The media issue adds uploads, variants and storage backends;
    the content core needs the table so entries can reference media with a
    foreign key."""

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    file = models.FileField(upload_to="uploads/%Y/%m/", max_length=500)
    filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    size = models.BigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename
