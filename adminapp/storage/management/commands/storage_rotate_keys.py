"""``manage.py storage_rotate_keys``: re-encrypt every bucket config's secrets under the
first key of ADMINAPP_ENCRYPTION_KEYS.

Rotation: put the new key first in ADMINAPP_ENCRYPTION_KEYS (keep the old ones after it),
restart, run this command, then drop the old keys. Each config is re-encrypted in its own
short transaction under a row lock; running it twice is harmless.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from adminapp.audit.services import audit_record
from adminapp.core import crypto
from adminapp.core.principal import SYSTEM
from adminapp.storage.models import BucketConfig


class Command(BaseCommand):
    help = "Re-encrypt every bucket config's secrets under the newest ADMINAPP_ENCRYPTION_KEYS key."

    def handle(self, *args, **options) -> None:
        ids = list(
            BucketConfig.objects.exclude(secrets="").order_by("id").values_list("id", flat=True)
        )
        done = 0
        for config_id in ids:
            with transaction.atomic():
                config = BucketConfig.objects.select_for_update().filter(id=config_id).first()
                if config is None or not config.secrets:
                    continue
                try:
                    config.secrets = crypto.rotate(config.secrets)
                except InvalidToken as exc:
                    raise CommandError(
                        f"Bucket config {config.id} ({config.nickname}): no key of "
                        "ADMINAPP_ENCRYPTION_KEYS decrypts its secrets; put the old key back."
                    ) from exc
                config.save(update_fields=["secrets", "updated_at"])
                audit_record(
                    actor=SYSTEM,
                    org_id=config.organization_id,
                    action="bucket_config.rotate_keys",
                    target_type="bucket_config",
                    target_id=config.id,
                    details={"nickname": config.nickname},
                )
                done += 1
        self.stdout.write(f"Re-encrypted the secrets of {done} bucket config(s).")
