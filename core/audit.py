"""The audit trail: append-only and hash-chained.

Every service that changes state calls :func:`audit_log` inside its own transaction, so the entry
commits or rolls back with the change. Each entry's hash covers its content and the previous
entry's hash; ``manage.py verify_audit`` recomputes the chain and names the first broken entry.

An entry that records a transition of a protected row (a draw, its frozen data, a publication, an
exemption: models with ``STATE_FIELDS``) carries, under ``data["state"]``, a digest of each of those
fields as stored after the change (:func:`audit_log`'s ``state``). :func:`verify_rows` compares every
such row with the latest digest the chain holds for it, so a row changed behind the services' back (a raw
``UPDATE`` by the app's role) is reported with its table, id and fields.

The chain's head is anchored outside the database (:func:`anchor_write`: an append-only file and the
public site); :func:`verify_chain` given anchors finds a chain truncated, shortened or rehashed since.
"""

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from . import bulk
from .models import AuditAnchor, AuditEntry

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


STATE_KEY = "state"


# Values that JSON gives back unchanged: their canonical form needs no round trip through the encoder.
_JSON_SCALARS = (str, int, float, bool, type(None))


def _canonical_digest(value) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def field_digest(value) -> str:
    """SHA-256 (128 bits shown) of a field's value in canonical JSON."""
    if type(value) in _JSON_SCALARS:  # a text of megabytes (a draw's pool) is not copied three times
        return _canonical_digest(value)
    return _canonical_digest(_normalise({"v": value})["v"])


def json_text_digest(text: str | None) -> str:
    """:func:`field_digest` of the value a column of JSON text holds, computed from the text itself.

    What ``json.loads`` gives is JSON-native, so the value :func:`field_digest` would normalise comes back
    from the encoder unchanged: one decode and one canonical encode, rather than the decode of the field
    and the encoder's round trip (a province draw's documents run to megabytes).
    """
    return _canonical_digest(None if text is None else json.loads(text))


def state_key(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _row_values(model, pks, names) -> dict:
    """{pk as text: {name: value}} of the rows ``pks`` of ``model``, read from the database.

    A field that keeps JSON as text (``stores_json_text``, e.g. ``sampling.models.JSONTextField``) is read
    undecoded, as a :class:`_StoredJSON`, which :func:`_value_digest` digests with :func:`json_text_digest`.
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    as_text = [name for name in names if getattr(fields.get(name), "stores_json_text", False)]
    plain = [name for name in names if name not in as_text]
    texts = {f"{_TEXT_PREFIX}{name}": Cast(name, output_field=models.TextField()) for name in as_text}
    found = {}
    for row in model._base_manager.filter(pk__in=list(pks)).values("pk", *plain, **texts):
        values = {name: row[name] for name in plain}
        values.update({name: _StoredJSON(row[f"{_TEXT_PREFIX}{name}"]) for name in as_text})
        found[str(row["pk"])] = values
    return found


_TEXT_PREFIX = "stored_text_of_"


class _StoredJSON:
    """The JSON text of a ``stores_json_text`` column as stored (``None`` for NULL)."""

    __slots__ = ("text",)

    def __init__(self, text: str | None):
        self.text = text


def _value_digest(value) -> str:
    """:func:`field_digest` of a value read by :func:`_row_values`."""
    if isinstance(value, _StoredJSON):
        return json_text_digest(value.text)
    return field_digest(value)


def state_digests(objs, carried: dict | None = None) -> dict:
    """{"app.model:pk": {field: digest}} of each object's ``STATE_FIELDS`` as stored now (read back).

    ``carried`` ({"app.model:pk": {field: digest}}) gives, for fields the transition did not change, the digest
    an earlier entry recorded from the stored row (:func:`recorded_digests`): those fields are not read again.
    """
    digests = {}
    for obj in objs:
        model = obj._meta.concrete_model
        key = state_key(obj)
        known = (carried or {}).get(key, {})
        names = [name for name in model.STATE_FIELDS if name not in known]
        row = _row_values(model, [obj.pk], names)[str(obj.pk)] if names else {}
        digests[key] = {name: known[name] if name in known else _value_digest(row[name]) for name in model.STATE_FIELDS}
    return digests


def recorded_digests(obj, *, action: str, about) -> dict:
    """{field: digest} of ``obj`` as the latest entry of ``action`` on ``about`` recorded it ({} if none did).

    For a transition that leaves fields of a protected row unchanged (a draw's frozen pool, which a trigger
    also guards): :func:`audit_log` carries their digests into its entry instead of reading megabytes again.
    Should they have been changed behind the services' back meanwhile, the row no longer matches the new entry
    either, and :func:`verify_rows` names them.
    """
    key = state_key(obj)
    entries = AuditEntry.objects.filter(
        action=action, object_type=about._meta.label_lower, object_id=str(about.pk)
    ).order_by("-id")
    for data in entries.values_list("data", flat=True):
        found = ((data or {}).get(STATE_KEY) or {}).get(key)
        if found:
            return dict(found)
    return {}


def audit_log(
    *, actor, action: str, obj=None, bureau=None, data=None, object_repr: str | None = None, state=(), carried=None
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction.

    ``state``: the protected rows (models with ``STATE_FIELDS``) the transition changed; the digest of
    each as now stored goes into ``data["state"]``, for :func:`verify_rows`. ``carried``: digests of fields the
    transition did not change, as an earlier entry recorded them (see :func:`state_digests`).
    """
    if state:
        data = {**(data or {}), STATE_KEY: state_digests(state, carried)}
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


# The fields that make two refusals the same refusal (one entry per object, these fields and local day).
REFUSAL_KEY = ("step", "inspector", "enterprise", "rule")


def audit_refusal(*, actor, action: str, refusal) -> list[AuditEntry]:
    """Write a refused step (a :class:`core.errors.StepRefused`) to the trail: one entry per inspector refused,
    naming the step, the inspector, the enterprise and the rule. Call it after the refused transaction rolled
    back: it runs in its own. An identical refusal of the same object on the same (local) day is written once,
    so a repeated attempt does not flood the trail. Returns the entries written.
    """
    obj = refusal.obj
    uscc, enterprise_name = refusal.enterprise
    written = []
    with transaction.atomic():
        # Serialises identical refusals of one object: the second sees the first's entry.
        list(type(obj).objects.select_for_update().filter(pk=obj.pk).values_list("pk", flat=True))
        day_start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
        earlier = AuditEntry.objects.filter(
            action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk), created_at__gte=day_start
        ).values_list("data", flat=True)
        seen = {tuple(data.get(name) for name in REFUSAL_KEY) for data in earlier}
        for code, name, rule in refusal.inspectors:
            data = {
                "step": refusal.step,
                "inspector": code,
                "inspector_name": name,
                "enterprise": uscc,
                "enterprise_name": enterprise_name,
                "rule": rule,
                "day": refusal.day,
                "draw": refusal.draw_id,
            }
            key = tuple(_normalise(data).get(name) for name in REFUSAL_KEY)
            if key in seen:
                continue
            seen.add(key)
            written.append(audit_log(actor=actor, action=action, obj=obj, data=data))
    return written


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
    # The latest entry recording each protected row's state: {"app.model:pk": entry id}.
    states: dict = field(default_factory=dict, repr=False)
    # Anchors the chain does not hold: [(anchor, what is wrong)].
    anchor_errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.anchor_errors


def verify_chain(anchors=()) -> ChainReport:
    """Recompute every hash in order; report the first entry whose hash or link does not match.

    ``anchors`` (``{"entry": id, "hash": hex}``, e.g. :func:`read_anchors`) are heads of the chain recorded
    outside the database: each must still be in the chain, with its hash. A chain truncated, shortened or
    rehashed after an anchor was taken recomputes cleanly but fails its anchors.
    """
    prev = GENESIS_HASH
    report = ChainReport(0)
    wanted = {}
    for anchor in anchors:
        wanted.setdefault(int(anchor["entry"]), []).append(anchor)
    with transaction.atomic():
        for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
            if entry.prev_hash != prev:
                report.broken_id, report.reason = entry.pk, "its link to the previous entry does not match"
                break
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
                report.broken_id, report.reason = entry.pk, "its content does not match its hash"
                break
            for anchor in wanted.pop(entry.pk, ()):
                if anchor["hash"] != entry.hash:
                    report.anchor_errors.append((anchor, "the entry's hash differs from the anchored hash"))
            for key in (entry.data or {}).get(STATE_KEY) or {}:
                report.states[key] = entry.pk
            prev = entry.hash
            report.checked += 1
    if report.broken_id is None:
        for entry_id, missing in sorted(wanted.items()):
            for anchor in missing:
                if entry_id == 0 and anchor["hash"] == GENESIS_HASH:
                    continue  # anchored while the chain was empty
                report.anchor_errors.append((anchor, "the chain holds no such entry"))
    return report


@dataclass
class RowMismatch:
    table: str
    pk: str
    entry_id: int
    fields: list[str]  # empty: the row is gone

    def __str__(self) -> str:
        what = "fields " + ", ".join(self.fields) if self.fields else "the row is missing"
        return f"{self.table} #{self.pk} does not match audit entry #{self.entry_id}: {what}"


def verify_rows(states: dict, *, batch: int = 500) -> list[RowMismatch]:
    """Compare each protected row with the latest digest of it in the chain (``ChainReport.states``)."""
    by_model: dict[str, dict[str, int]] = {}
    for key, entry_id in states.items():
        label, pk = key.rsplit(":", 1)
        by_model.setdefault(label, {})[pk] = entry_id
    mismatches = []
    for label, entries in sorted(by_model.items()):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # a model since removed: nothing to compare with
        pks = sorted(entries, key=lambda pk: (len(pk), pk))
        for start in range(0, len(pks), batch):
            chunk = pks[start : start + batch]
            data = dict(AuditEntry.objects.filter(pk__in={entries[pk] for pk in chunk}).values_list("id", "data"))
            recorded = {pk: data[entries[pk]][STATE_KEY][f"{label}:{pk}"] for pk in chunk}
            names = sorted({name for digests in recorded.values() for name in digests})
            known = {f.attname for f in model._meta.concrete_fields}
            rows = _row_values(model, chunk, [name for name in names if name in known])
            for pk in chunk:
                row = rows.get(pk)
                if row is None:
                    mismatches.append(RowMismatch(model._meta.db_table, pk, entries[pk], []))
                    continue
                differ = [
                    name
                    for name, digest in recorded[pk].items()
                    if name not in row or _value_digest(row[name]) != digest
                ]
                if differ:
                    mismatches.append(RowMismatch(model._meta.db_table, pk, entries[pk], differ))
    return mismatches


def read_anchors(path) -> list[dict]:
    """The anchors of an anchor file (one JSON object a line: entry, hash, at); refuses a malformed line."""
    anchors = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                anchor = json.loads(line)
                anchor["entry"], anchor["hash"] = int(anchor["entry"]), str(anchor["hash"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}, line {number}: not an anchor ({exc})") from exc
            anchors.append(anchor)
    return anchors


def anchor_write(*, path=None) -> AuditAnchor:
    """Record the chain's head now: a row (published at /public/audit-anchors/) and a line appended to
    ``path`` (``settings.AUDIT_ANCHOR_FILE`` by default; none if empty), both or neither."""
    path = settings.AUDIT_ANCHOR_FILE if path is None else path
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first() or (0, GENESIS_HASH)
        anchor = AuditAnchor(entry_id=head[0], hash=head[1], created_at=timezone.now())
        anchor.save()
        if path:
            line = json.dumps(anchor.as_line(), ensure_ascii=False) + "\n"
            with open(path, "a", encoding="utf-8") as handle:  # O_APPEND: a line is never rewritten
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
    return anchor


def published_anchors(limit: int = 400) -> list[dict]:
    """The latest anchors, oldest first, as lines of an anchor file."""
    anchors = list(AuditAnchor.objects.order_by("-id")[:limit])
    return [anchor.as_line() for anchor in reversed(anchors)]
