"""Who may be drawn, and how many: strata, exclusions and quotas (DESIGN §3 rule 5).

Pure functions over plain values (no database): :mod:`sampling.eligibility` gathers the facts,
this module decides. Everything it returns is JSON-ready and stored on the draw as it was decided,
so the page, the PDF and the public record show the same numbers later.

* Each targeted tier is one stratum, or two when a coverage rule applies to it ("every unit at
  least once a year"): ``…/tier/uncovered`` (not inspected yet this year, drawn first) and
  ``…/tier`` (the others).
* A tier's quota is the largest of the rules that apply, never more than its eligible population;
  it is filled from the not-yet-covered stratum first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from operator import itemgetter
from typing import NamedTuple

from django.utils.translation import gettext as _

from .algorithm import MAX_WEIGHT
from .enums import ExclusionReason, QuotaRule

TIERS_IN_DRAW_ORDER = ("special", "key", "general")
OPERATING = "operating"


class Candidate(NamedTuple):
    """One enterprise of the targeted tiers (and matching the task's tag conditions)."""

    id: int
    uscc: str
    name: str
    tier: str
    status: str
    positive_list: bool


@dataclass(frozen=True)
class QuotaRules:
    """A bureau's quota policy for a year, as the draw applies it (percentages per quarter)."""

    key_ratio: Decimal = Decimal(0)
    special_ratio: Decimal = Decimal(0)
    general_ratio: Decimal = Decimal(0)
    general_per_inspector_per_year: int | None = None
    key_once_a_year: bool = False
    special_once_a_year: bool = False
    special_every_quarter: bool = False
    yearly_cap: int | None = None
    exclude_positive_list: bool = False
    quarters: int = 4
    task_ratio: Decimal | None = None

    def ratio(self, tier: str) -> Decimal:
        return Decimal(getattr(self, f"{tier}_ratio"))

    def coverage(self, tier: str) -> bool:
        """Must every unit of the tier be inspected at least once a year?"""
        return {"key": self.key_once_a_year, "special": self.special_once_a_year}.get(tier, False)

    def quarters_left(self, quarter: int) -> int:
        """Quarters left in the year including this one (at least 1)."""
        return max(1, self.quarters - quarter + 1)


@dataclass(frozen=True)
class GeneralTarget:
    """The 1:N rule's inputs: general units a year per on-duty enforcement officer."""

    per_inspector: int
    inspectors: int
    inspected_this_year: int


@dataclass
class Stratum:
    label: str
    tier: str
    part: str  # "all", "uncovered" or "covered"
    members: list[tuple[str, int, int]] = field(default_factory=list)  # (uscc, weight, enterprise id)
    quota: int = 0
    rules: list[dict] = field(default_factory=list)
    target: int = 0  # the tier's target for the quarter, counting those already drawn for the task
    already: int = 0  # the tier's enterprises already drawn for the task this quarter (earlier draws)
    within: int = 0  # the part of ``quota`` within what remained of the target (= quota unless exceeded)

    @property
    def population(self) -> int:
        return len(self.members)


@dataclass
class Population:
    year: int
    quarter: int
    strata: list[Stratum]
    exclusions: list[dict]
    tiers: tuple[str, ...]
    already: dict[str, int] = field(default_factory=dict)  # tier → drawn for the task this quarter before

    def drawn_strata(self) -> list[Stratum]:
        """The strata that go into the record: every non-empty stratum of a tier with a quota."""
        tiers_with_quota = {s.tier for s in self.strata if s.quota > 0}
        return [s for s in self.strata if s.members and s.tier in tiers_with_quota]

    def record_strata(self) -> list[dict]:
        """The ``strata`` of the public record (DESIGN §4): members ordered by id."""
        return [
            {
                "label": s.label,
                "count": s.quota,
                "members": [{"id": uscc, "weight": weight} for uscc, weight, _pk in s.members],
            }
            for s in self.drawn_strata()
        ]

    def record_json(self) -> str:
        """``canonical_json(self.record_strata())``, written out directly (a province pool has 200,000 members)."""
        encode = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for strings
        parts = []
        for s in self.drawn_strata():
            parts.append(f'{{"count":{s.quota},"label":{encode(s.label)},"members":[{_members_json(s.members)}]}}')
        return "[" + ",".join(parts) + "]"

    def quotas(self) -> list[dict]:
        """Per stratum: population, quota and the rules considered (the applied one marked)."""
        drawn = {s.label for s in self.drawn_strata()}
        return [
            {
                "label": s.label,
                "tier": s.tier,
                "part": s.part,
                "population": s.population,
                "quota": s.quota,
                "in_record": s.label in drawn,
                "rules": s.rules,
                "target": s.target,
                "already": s.already,
                "within": s.within,
            }
            for s in self.strata
        ]

    @property
    def total_quota(self) -> int:
        return sum(s.quota for s in self.drawn_strata())

    @property
    def total_within(self) -> int:
        """What the draw takes within the quarter's remaining quota (less than total_quota if exceeded)."""
        return sum(s.within for s in self.drawn_strata())

    def tier_targets(self) -> dict[str, tuple[int, int]]:
        """{tier: (the quarter's target, already drawn for the task this quarter)}."""
        return {s.tier: (s.target, s.already) for s in self.strata}


_USCC, _WEIGHT, _ID = itemgetter(0), itemgetter(1), itemgetter(2)


def _members_json(members: list[tuple[str, int, int]]) -> str:
    """The members of a stratum as in ``canonical_json``: ``{"id":…,"weight":…}`` joined by commas."""
    encode = json.encoder.encode_basestring
    usccs = list(map(_USCC, members))
    # The common case, in one join: every weight 1 and no USCC with a character JSON escapes (escaping is
    # character by character: the USCCs end to end come out of the encoder unchanged only then).
    together = "".join(usccs)
    if set(map(_WEIGHT, members)) == {1} and encode(together) == f'"{together}"':
        return '{"id":"' + '","weight":1},{"id":"'.join(usccs) + '","weight":1}'
    return ",".join([f'{{"id":{encode(uscc)},"weight":{weight}}}' for uscc, weight, _pk in members])


def _in_pool_order(members: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Sort ``(uscc, weight, id)`` members in place as tuples (by USCC: a registry's USCCs are unique)."""
    members.sort(key=_USCC)  # strings compare much faster than tuples of them
    if len(set(map(_USCC, members))) != len(members):
        members.sort()  # equal USCCs: by weight, then id, as the tuples order
    return members


def percent_text(ratio: Decimal) -> str:
    """``Decimal("10.00")`` → ``"10"``, ``Decimal("2.50")`` → ``"2.5"`` (never an exponent)."""
    return format(Decimal(ratio).normalize(), "f")


def ceil_percent(ratio: Decimal, population: int) -> int:
    """ceil(ratio% × population), exactly (no binary floating point)."""
    return int((Decimal(ratio) * population / 100).to_integral_value(rounding=ROUND_CEILING))


def exclusion_for(
    candidate: Candidate,
    rules: QuotaRules,
    inspections: Mapping[int, int],
    drawn_this_quarter: Mapping[int, int],
    pending: Mapping[int, int] | None = None,
) -> dict | None:
    """Why ``candidate`` may not be drawn, or None. The first reason that applies is given."""
    if candidate.status != OPERATING:
        return {"reason": ExclusionReason.NOT_OPERATING.value, "params": {"status": candidate.status}}
    if rules.exclude_positive_list and candidate.positive_list:
        return {"reason": ExclusionReason.POSITIVE_LIST.value, "params": {}}
    if candidate.id in drawn_this_quarter:
        draw_id = drawn_this_quarter[candidate.id]
        return {"reason": ExclusionReason.DRAWN_THIS_QUARTER.value, "params": {"draw": draw_id}}
    done = inspections.get(candidate.id, 0)
    waiting = (pending or {}).get(candidate.id, 0)
    if rules.yearly_cap is not None and done + waiting >= rules.yearly_cap:
        params = {"count": done, "cap": rules.yearly_cap}
        if waiting:
            params["pending"] = waiting
        return {"reason": ExclusionReason.YEARLY_CAP.value, "params": params}
    return None


def tier_quota(
    tier: str,
    *,
    eligible: int,
    uncovered: int,
    rules: QuotaRules,
    quarter: int,
    general_target: GeneralTarget | None = None,
    already: int = 0,
) -> tuple[int, list[dict]]:
    """A tier's target for the quarter and every rule considered: ``(target, rules)``.

    ``already`` is how many of the tier this task already drew this quarter (earlier approved draws):
    they are counted back in (population, not yet covered, remaining of the 1:N rule), so a further draw
    in the quarter sees the quarter's target as the first one did, and draws only what remains of it
    (:func:`build_population`). The target is the largest rule's value, capped at ``eligible + already``.
    Each rule is ``{"rule", "value", "params", "applied"}``; exactly one is marked applied.
    """
    eligible += already
    if rules.coverage(tier):
        uncovered += already
    left = rules.quarters_left(quarter)
    found: list[dict] = []
    if rules.task_ratio is not None:
        ratio = Decimal(rules.task_ratio)
        found.append(
            {
                "rule": QuotaRule.TASK_RATIO.value,
                "value": ceil_percent(ratio, eligible),
                "params": {"ratio": percent_text(ratio), "population": eligible},
            }
        )
    elif rules.ratio(tier) > 0:
        ratio = rules.ratio(tier)
        found.append(
            {
                "rule": QuotaRule.RATIO.value,
                "value": ceil_percent(ratio, eligible),
                "params": {"ratio": percent_text(ratio), "population": eligible},
            }
        )
    if tier == "special" and rules.special_every_quarter:
        found.append({"rule": QuotaRule.EVERY_QUARTER.value, "value": eligible, "params": {"population": eligible}})
    if rules.coverage(tier):
        found.append(
            {
                "rule": QuotaRule.COVERAGE.value,
                "value": math.ceil(uncovered / left),
                "params": {"uncovered": uncovered, "quarters_left": left},
            }
        )
    if tier == "general" and general_target is not None:
        annual = general_target.per_inspector * general_target.inspectors
        remaining = max(0, annual - general_target.inspected_this_year) + already
        found.append(
            {
                "rule": QuotaRule.PER_INSPECTOR.value,
                "value": math.ceil(remaining / left),
                "params": {
                    "per_inspector": general_target.per_inspector,
                    "inspectors": general_target.inspectors,
                    "annual": annual,
                    "inspected": general_target.inspected_this_year,
                    "remaining": remaining,
                    "quarters_left": left,
                },
            }
        )
    if not found:
        found.append({"rule": QuotaRule.NONE.value, "value": 0, "params": {}})
    best = max(range(len(found)), key=lambda i: (found[i]["value"], -i))  # first of the largest
    quota = min(found[best]["value"], eligible)
    for i, rule in enumerate(found):
        rule["applied"] = i == best
        if i == best and rule["value"] > eligible:
            rule["capped_at"] = eligible
        if already:
            rule["params"]["already"] = already
    return quota, found


def build_population(
    candidates: Iterable[Candidate],
    *,
    rules: QuotaRules,
    year: int,
    quarter: int,
    tiers: Iterable[str],
    inspections: Mapping[int, int] | None = None,
    drawn_this_quarter: Mapping[int, int] | None = None,
    weights: Mapping[int, int] | None = None,
    general_target: GeneralTarget | None = None,
    pending: Mapping[int, int] | None = None,
    exceed: bool = False,
) -> Population:
    """Split the candidates into strata and exclusions, and compute each stratum's quota.

    ``inspections`` maps enterprise id → inspections this year (not cancelled) and decides both
    coverage and the yearly cap; ``drawn_this_quarter`` maps enterprise id → the draw that already
    took it for this task this quarter (they count against the quarter's target: a further draw takes
    only what remains of it, or, with ``exceed`` (a team lead's written reason), the full target again
    from those left); ``pending`` maps enterprise id → its selections in open draws not yet approved
    (counted against the yearly cap like inspections, not as coverage); ``weights`` maps enterprise id →
    risk weight (default 1, bounded to the algorithm's 1..MAX_WEIGHT).
    The result does not depend on the candidates' order.
    """
    inspections = inspections or {}
    drawn_this_quarter = drawn_this_quarter or {}
    pending = pending or {}
    weights = weights or {}
    wanted = tuple(t for t in TIERS_IN_DRAW_ORDER if t in set(tiers))
    prefix = f"{year}Q{quarter}"
    eligible: dict[str, list[tuple[str, int, int]]] = {t: [] for t in wanted}
    uncovered: dict[str, list[tuple[str, int, int]]] = {t: [] for t in wanted}
    exclusions: list[dict] = []
    already = dict.fromkeys(wanted, 0)
    covered_tiers = {t for t in wanted if rules.coverage(t)}
    cap = rules.yearly_cap
    skip_positive = rules.exclude_positive_list
    # A province registry runs to 200,000 candidates: the common case (operating, not excluded) is
    # decided inline; exclusion_for gives the reason of the others.
    for cid, uscc, name, tier, status, positive_list in candidates:
        if tier not in eligible:
            continue
        done = inspections.get(cid, 0)
        if cid in drawn_this_quarter:
            already[tier] += 1
        if (
            status != OPERATING
            or (skip_positive and positive_list)
            or cid in drawn_this_quarter
            or (cap is not None and done + pending.get(cid, 0) >= cap)
        ):
            excluded = exclusion_for(
                Candidate(cid, uscc, name, tier, status, positive_list),
                rules,
                inspections,
                drawn_this_quarter,
                pending,
            )
            exclusions.append({"id": cid, "uscc": uscc, "name": name, "tier": tier, **excluded})
            continue
        if weights:
            weight = weights.get(cid, 1)
            member = (uscc, weight if weight.__class__ is int and 1 <= weight <= MAX_WEIGHT else _bounded(weight), cid)
        else:
            member = (uscc, 1, cid)
        if not done and tier in covered_tiers:
            uncovered[tier].append(member)
        else:
            eligible[tier].append(member)

    strata: list[Stratum] = []
    for tier in wanted:
        rest = _in_pool_order(eligible[tier])
        first = _in_pool_order(uncovered[tier]) if rules.coverage(tier) else []
        eligible_count = len(first) + len(rest)
        target, found = tier_quota(
            tier,
            eligible=eligible_count,
            uncovered=len(first),
            rules=rules,
            quarter=quarter,
            general_target=general_target,
            already=already[tier],
        )
        within = min(max(0, target - already[tier]), eligible_count)
        total = min(target, eligible_count) if exceed else within
        tier_facts = {"target": target, "already": already[tier]}
        if rules.coverage(tier):
            from_uncovered, within_uncovered = min(total, len(first)), min(within, len(first))
            strata.append(
                Stratum(
                    f"{prefix}/{tier}/uncovered",
                    tier,
                    "uncovered",
                    first,
                    from_uncovered,
                    found,
                    within=within_uncovered,
                    **tier_facts,
                )
            )
            strata.append(
                Stratum(
                    f"{prefix}/{tier}",
                    tier,
                    "covered",
                    rest,
                    total - from_uncovered,
                    found,
                    within=within - within_uncovered,
                    **tier_facts,
                )
            )
        else:
            strata.append(Stratum(f"{prefix}/{tier}", tier, "all", rest, total, found, within=within, **tier_facts))
    tier_order = {tier: index for index, tier in enumerate(TIERS_IN_DRAW_ORDER)}
    exclusions.sort(key=lambda e: (tier_order[e["tier"]], e["reason"], e["uscc"]))
    return Population(year, quarter, strata, exclusions, wanted, already)


def _bounded(weight) -> int:
    return min(MAX_WEIGHT, max(1, int(weight)))


# --------------------------------------------------------------------------- texts


def rule_text(rule: dict) -> str:
    """A rule of :func:`tier_quota` as a sentence for the page and the PDF."""
    p = rule.get("params", {})
    code = rule["rule"]
    if code in (QuotaRule.RATIO, QuotaRule.TASK_RATIO):
        text = _("%(ratio)s%% of %(population)s eligible, rounded up = %(value)s") % {**p, "value": rule["value"]}
        if code == QuotaRule.TASK_RATIO:
            text = _("Task's own ratio: %(text)s") % {"text": text}
    elif code == QuotaRule.EVERY_QUARTER:
        text = _("Every unit at least once a quarter: all %(population)s") % p
    elif code == QuotaRule.COVERAGE:
        text = _(
            "Every unit at least once a year: %(uncovered)s not yet inspected ÷ %(quarters_left)s quarters left, "
            "rounded up = %(value)s, drawn first"
        ) % {**p, "value": rule["value"]}
    elif code == QuotaRule.PER_INSPECTOR:
        text = _(
            "1:%(per_inspector)s rule: %(per_inspector)s × %(inspectors)s on-duty enforcement officers = %(annual)s "
            "a year, %(inspected)s inspected so far, %(remaining)s ÷ %(quarters_left)s quarters left, "
            "rounded up = %(value)s"
        ) % {**p, "value": rule["value"]}
    else:
        text = _("No quota rule for this tier: nothing is drawn")
    if "capped_at" in rule:
        text += _(" (capped at the %(n)s eligible)") % {"n": rule["capped_at"]}
    if p.get("already") and rule.get("applied"):
        text += _("; %(already)s already drawn for this task this quarter (counted in)") % p
    return text


def applied_rule(rules: list[dict]) -> dict:
    return next(r for r in rules if r.get("applied"))


def exclusion_text(exclusion: dict, status_labels: Mapping[str, str] | None = None) -> str:
    """An exclusion's reason as a sentence."""
    p = exclusion.get("params", {})
    reason = exclusion["reason"]
    if reason == ExclusionReason.NOT_OPERATING:
        status = (status_labels or {}).get(p.get("status"), p.get("status"))
        return _("Not operating: %(status)s") % {"status": status}
    if reason == ExclusionReason.POSITIVE_LIST:
        return str(ExclusionReason.POSITIVE_LIST.label)
    if reason == ExclusionReason.DRAWN_THIS_QUARTER:
        return _("Already drawn for this task this quarter (draw #%(draw)s)") % p
    if reason == ExclusionReason.YEARLY_CAP:
        if p.get("pending"):
            return (
                _(
                    "Inspected %(count)s times this year and selected %(pending)s times in draws awaiting approval "
                    "(cap %(cap)s)"
                )
                % p
            )
        return _("Already inspected %(count)s times this year (cap %(cap)s)") % p
    return reason
