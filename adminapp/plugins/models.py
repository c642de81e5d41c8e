"""Installed plugins and their stored versions.

- A plugin's manifest id is unique case-insensitively (a unique index on ``Lower``): two
  installs of one new id race on it, and the loser's job fails with a conflict.
- ``current`` is the version in use; switching it is one UPDATE of one row, so a reader sees
  the old version or the new one, never a half-written one. Versions are kept as rows (with
  their stored archive) until the plugin is deleted.
- ``source`` says where the current version came from, never with a credential in it.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from adminapp.core.models import BaseModel, public_id

PLUGIN_ID_MAX = 64
VERSION_MAX = 64


class Plugin(BaseModel):
    id = public_id("plg")
    plugin_id = models.CharField(max_length=PLUGIN_ID_MAX)  # the manifest's id
    enabled = models.BooleanField(default=True)
    current = models.ForeignKey(
        "plugins.PluginVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.JSONField(default=dict, blank=True)  # client.types.plugins.PluginSource

    class Meta:
        constraints = [models.UniqueConstraint(Lower("plugin_id"), name="plugin_id_unique_ci")]
        indexes = [models.Index(fields=["created_at", "id"], name="plugin_time")]

    def __str__(self) -> str:
        return self.plugin_id


class PluginVersion(BaseModel):
    id = public_id("plv")
    plugin = models.ForeignKey(Plugin, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=VERSION_MAX)
    manifest = models.JSONField()
    sha256 = models.CharField(max_length=64)  # of the stored archive's bytes
    archive = models.CharField(max_length=255)  # its name in Django's default storage
    size = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["plugin", "created_at", "id"], name="plugin_version_time")]

    def __str__(self) -> str:
        return f"{self.plugin_id} {self.version}"
