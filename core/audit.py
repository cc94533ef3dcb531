"""The audit trail: append-only and hash-chained.

Every service that changes state calls :func:`audit_log` inside its own transaction, so the entry
commits or rolls back with the change. Each entry's hash covers its content and the previous
entry's hash; ``manage.py verify_audit`` recomputes the chain and names the first broken entry.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from . import bulk
from .models import AuditEntry

GENESIS_HASH = "0" * 64
# Any constant: serialises writers of the chain on PostgreSQL for the length of a transaction.
_CHAIN_LOCK_KEY = 5_318_008_2026


def _normalise(data) -> dict:
    """Make data JSON-native (dates, decimals, UUIDs become strings) so its hash is reproducible."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def entry_hash(
    *, prev_hash, created_at, bureau_id, actor_id, actor_name, action, object_type, object_id, object_repr, data
) -> str:
    payload = {
        "prev": prev_hash,
        "time": created_at.astimezone(UTC).isoformat(),
        "bureau": bureau_id,
        "actor": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "data": data,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def actor_display(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return user.get_full_name() or user.get_username()


def _chain_head(writer: str) -> str:
    """The hash of the chain's last entry (the genesis hash if none), holding the chain until commit."""
    if not connection.in_atomic_block:
        raise RuntimeError(f"{writer} must be called inside the transaction of the change it records")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    return AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH


def _actor_fields(actor) -> dict:
    """The actor as stored: a user (FK and display name), or a label such as a command's name."""
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    return {
        "actor_id": actor_user.pk if actor_user is not None else None,
        "actor_name": actor_display(actor_user) if actor_user else (actor if isinstance(actor, str) else ""),
    }


def _entry_fields(*, prev_hash, created_at, bureau, actor_fields, action, obj, data, object_repr) -> dict:
    """An entry's fields with its hash, linked to ``prev_hash``."""
    if bureau is None and obj is not None:
        bureau = getattr(obj, "bureau", None)
    fields = {
        "prev_hash": prev_hash,
        "created_at": created_at,
        "bureau_id": bureau.pk if bureau is not None else None,
        **actor_fields,
        "action": action,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "object_repr": (object_repr if object_repr is not None else str(obj) if obj is not None else "")[:255],
        "data": _normalise(data),
    }
    return {**fields, "hash": entry_hash(**fields)}


def audit_log(*, actor, action: str, obj=None, bureau=None, data=None, object_repr: str | None = None) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction."""
    fields = _entry_fields(
        prev_hash=_chain_head("audit_log"),
        created_at=timezone.now(),
        bureau=bureau,
        actor_fields=_actor_fields(actor),
        action=action,
        obj=obj,
        data=data,
        object_repr=object_repr,
    )
    entry = AuditEntry(**fields)
    entry.save()
    return entry


def audit_log_many(*, actor, bureau, entries) -> None:
    """Append many entries at once: ``entries`` is a list of (action, object or None, data).

    The same chain as :func:`audit_log` (same lock, same hash), continued from its last entry, but written
    with one bulk insert instead of three queries per entry, for imports that change thousands of rows.
    Each entry's bureau is ``bureau``. Must run inside the caller's transaction.
    """
    prev_hash = _chain_head("audit_log_many")
    if not entries:
        return
    created_at = timezone.now()
    actor_fields = _actor_fields(actor)
    names = bulk.columns(AuditEntry)
    rows = []
    for action, obj, data in entries:
        fields = _entry_fields(
            prev_hash=prev_hash,
            created_at=created_at,
            bureau=bureau,
            actor_fields=actor_fields,
            action=action,
            obj=obj,
            data=data,
            object_repr=None,
        )
        prev_hash = fields["hash"]
        rows.append(tuple(fields[name] for name in names))
    bulk.insert(AuditEntry, names, rows)


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first entry whose hash or link does not match."""
    prev = GENESIS_HASH
    checked = 0
    with transaction.atomic():
        for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
            if entry.prev_hash != prev:
                return ChainReport(checked, entry.pk, "its link to the previous entry does not match")
            expected = entry_hash(
                prev_hash=entry.prev_hash,
                created_at=entry.created_at,
                bureau_id=entry.bureau_id,
                actor_id=entry.actor_id,
                actor_name=entry.actor_name,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                object_repr=entry.object_repr,
                data=entry.data,
            )
            if expected != entry.hash:
                return ChainReport(checked, entry.pk, "its content does not match its hash")
            prev = entry.hash
            checked += 1
    return ChainReport(checked)
