"""The published forms of a draw: the pool shown before the ceremony and the public record after it.

:func:`draw_public_record` is exactly DESIGN §4's record (``algorithm``, ``seed``, ``strata``,
``inspectors``) plus keys the verifier ignores: the hashes published before the ceremony, the
nonce (revealed once drawn), the witness input and the draw's reference. ``algorithm`` is the draw's own
(``Draw.algorithm``: ``ssj-draw-2`` for new draws, ``ssj-draw-1`` for those drawn before it). ``python -m
sampling.verify`` replays it to the stored result; docs/draw-algorithm.md is the algorithms' published text.
"""

from __future__ import annotations

import json
import re

from .draws import draw_record
from .enums import DrawStatus
from .models import Draw, DrawData

RECORD_VERSION = 1

# ``{short name}抽查〔{year}〕{n}号-{task}-{year}Q{quarter}-{seq}``; the task and the draw's seq may be left out.
DRAW_NUMBER = re.compile(
    r"^(?P<short>.+?)抽查〔(?P<year>\d{4})〕(?P<plan>\d+)号"
    r"(?:-(?P<task>\d+))?-(?P<dyear>\d{4})Q(?P<quarter>[1-4])(?:-(?P<seq>\d+))?$"
)


class DrawNotFound(LookupError):
    """No draw, or more than one, answers to a number; the message says which."""


def draws_numbered(number: str):
    """The draws answering to ``number`` (a full draw number, or one without its task or its seq)."""
    match = DRAW_NUMBER.match(number.strip())
    if match is None:
        return Draw.objects.none()
    parts = match.groupdict()
    draws = Draw.objects.filter(
        task__plan__bureau__short_name=parts["short"],
        task__plan__year=int(parts["year"]),
        task__plan__seq=int(parts["plan"]),
        year=int(parts["dyear"]),
        quarter=int(parts["quarter"]),
    )
    if parts["task"]:
        draws = draws.filter(task__seq=int(parts["task"]))
    if parts["seq"]:
        draws = draws.filter(seq=int(parts["seq"]))
    return draws.select_related("bureau", "task__plan__bureau").order_by("task__seq", "seq")


def draw_by_number(number: str) -> Draw:
    """The one run draw answering to ``number``; of several, the only approved one. Else :class:`DrawNotFound`."""
    if DRAW_NUMBER.match(number.strip()) is None:
        raise DrawNotFound(
            f"{number!r} is not a draw number like 建环抽查〔2026〕1号-1-2026Q1-1 "
            "(the task and the last part may be left out)"
        )
    found = [draw for draw in draws_numbered(number) if draw.seed]
    if not found:
        raise DrawNotFound(f"no draw that has been run answers to {number}")
    if len(found) > 1:
        approved = [draw for draw in found if draw.status == DrawStatus.APPROVED]
        if len(approved) != 1:
            raise DrawNotFound(
                f"{len(found)} draws answer to {number}: " + ", ".join(f"{d.number} ({d.status})" for d in found)
            )
        found = approved
    return found[0]


def draw_pool(draw: Draw, data: DrawData | None = None) -> dict:
    """What is published before the ceremony: the strata, the inspectors and their hashes."""
    data = data or draw.data
    return {
        "algorithm": draw.algorithm,
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
        **draw_record(draw, data, draw.seed),
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
