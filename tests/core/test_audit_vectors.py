"""Known answers for the audit chain's hash (docs/audit-chain.md), computed without the code under test."""

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.audit import GENESIS_HASH, entry_hash

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-chain.md"


def documented_examples() -> list[tuple[str, str]]:
    """(serialisation, digest) pairs, in the order the document gives them."""
    blocks = re.findall(r"```text\n(.*?)\n```", DOC.read_text(), re.S)
    return list(zip(blocks[0::2], blocks[1::2], strict=True))


def fields_of(line: str) -> dict:
    payload = json.loads(line)
    return {
        "prev_hash": payload["prev"],
        "created_at": datetime.fromisoformat(payload["time"]).astimezone(UTC),
        "bureau_id": payload["bureau"],
        "actor_id": payload["actor"],
        "actor_name": payload["actor_name"],
        "action": payload["action"],
        "object_type": payload["object_type"],
        "object_id": payload["object_id"],
        "object_repr": payload["object_repr"],
        "data": payload["data"],
    }


def test_the_documented_digests_are_the_sha256_of_the_documented_bytes():
    examples = documented_examples()
    assert len(examples) == 2
    for line, digest in examples:
        assert hashlib.sha256(line.encode("utf-8")).hexdigest() == digest


def test_entry_hash_gives_the_documented_digests():
    for line, digest in documented_examples():
        assert entry_hash(**fields_of(line)) == digest


def test_the_documented_chain_links_its_second_entry_to_the_first():
    (first, first_digest), (second, _digest) = documented_examples()
    assert json.loads(first)["prev"] == GENESIS_HASH
    assert json.loads(second)["prev"] == first_digest


@pytest.mark.parametrize(
    "field, other",
    [
        ("prev_hash", "1" * 64),
        ("created_at", datetime(2026, 11, 23, 2, 30, 1, tzinfo=UTC)),
        ("bureau_id", 2),
        ("actor_id", 8),
        ("actor_name", "王组长"),
        ("action", "draw.rejected"),
        ("object_type", "sampling.plan"),
        ("object_id", "13"),
        ("object_repr", "另一个抽查"),
        ("data", {"after": "approved", "before": "drawn", "tasks": 19}),
    ],
)
def test_every_field_is_covered_by_the_hash(field, other):
    line, digest = documented_examples()[0]
    assert entry_hash(**{**fields_of(line), field: other}) != digest


@pytest.mark.django_db(transaction=False)
def test_a_long_object_name_is_stored_cut_at_255_characters_and_still_verifies():
    from django.db import transaction

    from core.audit import audit_log, verify_chain

    with transaction.atomic():
        entry = audit_log(actor="test", action="demo.named", object_repr="名" * 300)
    entry.refresh_from_db()
    assert entry.object_repr == "名" * 255
    assert verify_chain().ok
