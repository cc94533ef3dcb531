"""The published forms of a draw: the pool shown before the ceremony and the public record after it.

:func:`draw_public_record` is exactly DESIGN §4's record (``algorithm``, ``seed``, ``strata``,
``inspectors``) plus keys the verifier ignores: the hashes published before the ceremony, the
nonce (revealed once drawn), the witness input and the draw's reference. ``python -m sampling.verify``
replays it to the stored result.
"""

from __future__ import annotations

import json

from . import algorithm
from .models import Draw, DrawData

RECORD_VERSION = 1


def draw_pool(draw: Draw, data: DrawData | None = None) -> dict:
    """What is published before the ceremony: the strata, the inspectors and their hashes."""
    data = data or draw.data
    return {
        "algorithm": algorithm.ALGORITHM,
        "draw": draw.number,
        "pool_hash": draw.pool_hash,
        "inspectors_hash": draw.inspectors_hash,
        "nonce_hash": draw.nonce_hash,
        "strata": json.loads(data.pool_json),
        "inspectors": data.inspectors,
    }


def draw_public_record(draw: Draw, data: DrawData | None = None) -> dict:
    """The public record of a drawn draw; replaying it gives the stored result."""
    if not draw.seed:
        raise ValueError("the draw has not been run")
    data = data or draw.data
    return {
        "algorithm": algorithm.ALGORITHM,
        "seed": draw.seed,
        "strata": json.loads(data.pool_json),
        "inspectors": data.inspectors,
        "draw": draw.number,
        "bureau": draw.bureau.name,
        "pool_hash": draw.pool_hash,
        "inspectors_hash": draw.inspectors_hash,
        "nonce_hash": draw.nonce_hash,
        "nonce": draw.nonce,
        "witness_input": draw.witness_input,
        "seed_rule": "seed = SHA-256(pool_hash + '|' + nonce + '|' + witness_input), lowercase hex",
        "record_version": RECORD_VERSION,
    }


def record_json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=1)
