"""Quota rules and exclusions, continued: a further draw in the quarter (``already``, ``exceed``), selections
in open draws (``pending``), the per-stratum facts a draw stores, and the sentences shown for them.

Every expected number is worked out by hand in the comments (DESIGN §3 rule 5); tests/sampling/test_quota.py
has the first draw of a quarter.
"""

from decimal import Decimal

from django.utils import translation

from sampling.quota import (
    Candidate,
    GeneralTarget,
    QuotaRules,
    build_population,
    exclusion_for,
    exclusion_text,
    rule_text,
    tier_quota,
)


def cand(i, tier="general", status="operating", positive_list=False, uscc=None):
    return Candidate(i, uscc or f"U{i:02d}", f"企业{i}", tier, status, positive_list)


def pool(tier, ids, **fields):
    return [cand(i, tier, **fields) for i in ids]


def only_stratum(population):
    (stratum,) = population.strata
    return stratum


def english(function, *args):
    with translation.override("en"):
        return function(*args)


# --------------------------------------------------------------------------- what a draw stores per stratum


def test_quotas_list_every_stratum_with_its_part_population_rules_target_and_what_is_in_the_record():
    """Key 50 % with coverage, Q1: 40 key units, 10 not inspected yet; special has no rule.

    key: 50 % of 40 = 20 (coverage: ceil(10 / 4) = 3, not applied); the 10 uncovered first, 10 from the others.
    special: no rule, quota 0, so its stratum stays out of the record.
    """
    special = pool("special", range(3))
    key = pool("key", range(10, 50))
    inspected = dict.fromkeys(range(20, 50), 1)
    rules = QuotaRules(key_ratio=Decimal(50), key_once_a_year=True)
    population = build_population(
        special + key, rules=rules, year=2026, quarter=1, tiers=["key", "special"], inspections=inspected
    )
    key_rules = [
        {"rule": "ratio", "value": 20, "params": {"ratio": "50", "population": 40}, "applied": True},
        {"rule": "coverage", "value": 3, "params": {"uncovered": 10, "quarters_left": 4}, "applied": False},
    ]
    assert population.quotas() == [
        {
            "label": "2026Q1/special",
            "tier": "special",
            "part": "all",
            "population": 3,
            "quota": 0,
            "in_record": False,
            "rules": [{"rule": "none", "value": 0, "params": {}, "applied": True}],
            "target": 0,
            "already": 0,
            "within": 0,
        },
        {
            "label": "2026Q1/key/uncovered",
            "tier": "key",
            "part": "uncovered",
            "population": 10,
            "quota": 10,
            "in_record": True,
            "rules": key_rules,
            "target": 20,
            "already": 0,
            "within": 10,
        },
        {
            "label": "2026Q1/key",
            "tier": "key",
            "part": "covered",
            "population": 30,
            "quota": 10,
            "in_record": True,
            "rules": key_rules,
            "target": 20,
            "already": 0,
            "within": 10,
        },
    ]
    assert [(s["label"], s["count"]) for s in population.record_strata()] == [
        ("2026Q1/key/uncovered", 10),
        ("2026Q1/key", 10),
    ]
    assert (population.total_quota, population.total_within) == (20, 20)
    assert population.tier_targets() == {"special": (0, 0), "key": (20, 0)}


def test_the_population_keeps_its_year_quarter_tiers_in_draw_order_and_counts_already_drawn():
    population = build_population(
        pool("general", range(4)) + pool("key", range(10, 13)),
        rules=QuotaRules(general_ratio=Decimal(50), key_ratio=Decimal(50)),
        year=2025,
        quarter=3,
        tiers=["general", "key"],
        drawn_this_quarter={1: 9, 2: 9, 3: 9, 11: 9},
    )
    assert (population.year, population.quarter, population.tiers) == (2025, 3, ("key", "general"))
    assert population.already == {"key": 1, "general": 3}


def test_a_tier_whose_quota_is_one_is_drawn_and_recorded():
    """0.5 % of 150 = 0.75, rounded up to 1: a ratio below 1 % still applies, and a quota of 1 is recorded."""
    population = build_population(
        pool("general", range(150)),
        rules=QuotaRules(general_ratio=Decimal("0.50")),
        year=2026,
        quarter=1,
        tiers=["general"],
    )
    general = only_stratum(population)
    assert general.quota == 1
    assert general.rules == [
        {"rule": "ratio", "value": 1, "params": {"ratio": "0.5", "population": 150}, "applied": True}
    ]
    assert [(s["label"], s["count"]) for s in population.record_strata()] == [("2026Q1/general", 1)]
    assert english(rule_text, general.rules[0]) == "0.5% of 150 eligible, rounded up = 1"


def test_candidates_of_tiers_not_targeted_are_skipped_wherever_they_come():
    candidates = [cand(0, "key"), cand(1), cand(2, "special"), cand(3), cand(4)]
    population = build_population(
        candidates, rules=QuotaRules(general_ratio=Decimal(100)), year=2026, quarter=1, tiers=["general"]
    )
    assert [m[0] for m in only_stratum(population).members] == ["U01", "U03", "U04"]


# --------------------------------------------------------------------------- a further draw in the quarter


def test_a_further_draw_counts_the_already_drawn_back_in_and_draws_only_what_remains():
    """Key 50 %, 10 units, 2 drawn by draw #5: target 50 % of (8 + 2) = 5, 5 - 2 = 3 left to draw."""
    key = pool("key", range(10))
    population = build_population(
        key,
        rules=QuotaRules(key_ratio=Decimal(50)),
        year=2026,
        quarter=2,
        tiers=["key"],
        drawn_this_quarter={0: 5, 1: 5},
    )
    stratum = only_stratum(population)
    assert (stratum.population, stratum.target, stratum.already, stratum.quota, stratum.within) == (8, 5, 2, 3, 3)
    assert stratum.rules == [
        {"rule": "ratio", "value": 5, "params": {"ratio": "50", "population": 10, "already": 2}, "applied": True}
    ]
    assert population.already == {"key": 2}
    assert (population.total_quota, population.total_within) == (3, 3)
    assert population.tier_targets() == {"key": (5, 2)}
    assert english(rule_text, stratum.rules[0]) == (
        "50% of 10 eligible, rounded up = 5; 2 already drawn for this task this quarter (counted in)"
    )


def test_exceeding_draws_the_full_target_again_and_keeps_the_part_within_apart():
    """As above with a written reason to exceed: the full target 5 from the 8 left; 3 of them within."""
    key = pool("key", range(10))
    population = build_population(
        key,
        rules=QuotaRules(key_ratio=Decimal(50)),
        year=2026,
        quarter=2,
        tiers=["key"],
        drawn_this_quarter={0: 5, 1: 5},
        exceed=True,
    )
    stratum = only_stratum(population)
    assert (stratum.target, stratum.already, stratum.quota, stratum.within) == (5, 2, 5, 3)
    assert (population.total_quota, population.total_within) == (5, 3)


def test_a_target_already_met_draws_nothing_unless_exceeded_and_then_no_more_than_are_left():
    """Key 50 %, 10 units, 7 already drawn: target 5 is met (5 - 7 < 0); exceeding asks 5 of the 3 left: 3."""
    key = pool("key", range(10))
    drawn = dict.fromkeys(range(7), 4)
    kwargs = {"rules": QuotaRules(key_ratio=Decimal(50)), "year": 2026, "quarter": 1, "tiers": ["key"]}
    met = build_population(key, drawn_this_quarter=drawn, **kwargs)
    stratum = only_stratum(met)
    assert (stratum.population, stratum.target, stratum.already, stratum.quota, stratum.within) == (3, 5, 7, 0, 0)
    assert met.record_strata() == []
    exceeded = build_population(key, drawn_this_quarter=drawn, exceed=True, **kwargs)
    stratum = only_stratum(exceeded)
    assert (stratum.population, stratum.target, stratum.already, stratum.quota, stratum.within) == (3, 5, 7, 3, 0)
    assert (exceeded.total_quota, exceeded.total_within) == (3, 0)


def test_coverage_counts_the_already_drawn_as_not_yet_inspected():
    """Key once a year, Q3 (2 quarters left): 20 units, 10 inspected; 2 of the 8 others + 2 drawn already.

    uncovered = 8 + 2 = 10, ceil(10 / 2) = 5 for the quarter, 5 - 2 = 3 left: all 3 from the uncovered.
    Exceeding: 5 from the uncovered, 3 of them within.
    """
    key = pool("key", range(20))
    inspected = dict.fromkeys(range(10, 20), 1)
    kwargs = {
        "rules": QuotaRules(key_once_a_year=True),
        "year": 2026,
        "quarter": 3,
        "tiers": ["key"],
        "inspections": inspected,
        "drawn_this_quarter": {0: 4, 1: 4},
    }
    population = build_population(key, **kwargs)
    assert [(s.label, s.population, s.quota, s.within, s.target, s.already) for s in population.strata] == [
        ("2026Q3/key/uncovered", 8, 3, 3, 5, 2),
        ("2026Q3/key", 10, 0, 0, 5, 2),
    ]
    rule = population.strata[0].rules[0]
    assert rule == {
        "rule": "coverage",
        "value": 5,
        "params": {"uncovered": 10, "quarters_left": 2, "already": 2},
        "applied": True,
    }
    assert english(rule_text, rule) == (
        "Every unit at least once a year: 10 not yet inspected ÷ 2 quarters left, rounded up = 5, drawn first; "
        "2 already drawn for this task this quarter (counted in)"
    )
    exceeded = build_population(key, exceed=True, **kwargs)
    assert [(s.quota, s.within) for s in exceeded.strata] == [(5, 3), (0, 0)]


def test_the_one_to_n_rule_counts_the_already_drawn_back_into_what_remains_of_the_year():
    """1:10 with 2 officers = 20 a year, 8 inspected: 12 remain + 3 drawn this quarter = 15, Q4 → 15 (> 10 % of 50)."""
    general = pool("general", range(50))
    population = build_population(
        general,
        rules=QuotaRules(general_ratio=Decimal(10), general_per_inspector_per_year=10),
        year=2026,
        quarter=4,
        tiers=["general"],
        general_target=GeneralTarget(per_inspector=10, inspectors=2, inspected_this_year=8),
        drawn_this_quarter={0: 8, 1: 8, 2: 8},
    )
    stratum = only_stratum(population)
    assert (stratum.population, stratum.target, stratum.already, stratum.quota) == (47, 15, 3, 12)
    ratio, per_inspector = stratum.rules
    assert ratio == {
        "rule": "ratio",
        "value": 5,
        "params": {"ratio": "10", "population": 50, "already": 3},
        "applied": False,
    }
    assert per_inspector == {
        "rule": "per_inspector",
        "value": 15,
        "params": {
            "per_inspector": 10,
            "inspectors": 2,
            "annual": 20,
            "inspected": 8,
            "remaining": 15,
            "quarters_left": 1,
            "already": 3,
        },
        "applied": True,
    }
    # the "already drawn" note goes with the applied rule only
    assert english(rule_text, ratio) == "10% of 50 eligible, rounded up = 5"
    assert english(rule_text, per_inspector) == (
        "1:10 rule: 10 × 2 on-duty enforcement officers = 20 a year, 8 inspected so far, 15 ÷ 1 quarters left, "
        "rounded up = 15; 3 already drawn for this task this quarter (counted in)"
    )


# --------------------------------------------------------------------------- the rules of one tier


def test_when_two_rules_give_the_same_quota_the_first_considered_is_applied():
    """25 % of 40 = 10 and ceil(40 uncovered / 4 quarters) = 10: the ratio, considered first, is applied."""
    rules = QuotaRules(key_ratio=Decimal(25), key_once_a_year=True)
    quota, found = tier_quota("key", eligible=40, uncovered=40, rules=rules, quarter=1)
    assert quota == 10
    assert [(r["rule"], r["value"], r["applied"]) for r in found] == [("ratio", 10, True), ("coverage", 10, False)]


def test_every_quarter_takes_the_whole_tier_and_a_rule_equal_to_the_eligible_is_not_capped():
    rules = QuotaRules(special_every_quarter=True)
    assert tier_quota("special", eligible=6, uncovered=0, rules=rules, quarter=2) == (
        6,
        [{"rule": "every_quarter", "value": 6, "params": {"population": 6}, "applied": True}],
    )
    rule = {"rule": "every_quarter", "value": 6, "params": {"population": 6}, "applied": True}
    assert english(rule_text, rule) == "Every unit at least once a quarter: all 6"


def test_no_rule_gives_a_quota_of_zero_and_says_so():
    assert tier_quota("general", eligible=5, uncovered=0, rules=QuotaRules(), quarter=1) == (
        0,
        [{"rule": "none", "value": 0, "params": {}, "applied": True}],
    )
    assert english(rule_text, {"rule": "none", "value": 0, "params": {}, "applied": True}) == (
        "No quota rule for this tier: nothing is drawn"
    )
    # a rule stored without its params still reads
    assert english(rule_text, {"rule": "none", "value": 0}) == "No quota rule for this tier: nothing is drawn"


def test_a_capped_rule_reads_as_the_rule_then_the_cap():
    rule = {
        "rule": "per_inspector",
        "value": 50,
        "params": {
            "per_inspector": 10,
            "inspectors": 5,
            "annual": 50,
            "inspected": 0,
            "remaining": 50,
            "quarters_left": 1,
        },
        "applied": True,
        "capped_at": 12,
    }
    assert english(rule_text, rule) == (
        "1:10 rule: 10 × 5 on-duty enforcement officers = 50 a year, 0 inspected so far, 50 ÷ 1 quarters left, "
        "rounded up = 50 (capped at the 12 eligible)"
    )


def test_coverage_applies_to_key_and_special_only_and_answers_true_or_false():
    rules = QuotaRules(key_once_a_year=True, special_once_a_year=False)
    assert rules.coverage("key") is True
    assert rules.coverage("special") is False
    assert rules.coverage("general") is False
    assert QuotaRules(special_once_a_year=True).coverage("special") is True


# --------------------------------------------------------------------------- exclusions


def test_each_exclusion_names_the_enterprise_its_tier_and_the_facts_of_its_reason():
    candidates = [
        cand(1, status="closed"),
        cand(2, positive_list=True),
        cand(3),
        cand(4),
        cand(5),
    ]
    population = build_population(
        candidates,
        rules=QuotaRules(general_ratio=Decimal(100), exclude_positive_list=True, yearly_cap=2),
        year=2026,
        quarter=1,
        tiers=["general"],
        inspections={4: 2, 5: 1},
        drawn_this_quarter={3: 12},
    )
    # ordered by reason, then USCC
    assert population.exclusions == [
        {
            "id": 3,
            "uscc": "U03",
            "name": "企业3",
            "tier": "general",
            "reason": "drawn_this_quarter",
            "params": {"draw": 12},
        },
        {
            "id": 1,
            "uscc": "U01",
            "name": "企业1",
            "tier": "general",
            "reason": "not_operating",
            "params": {"status": "closed"},
        },
        {"id": 2, "uscc": "U02", "name": "企业2", "tier": "general", "reason": "positive_list", "params": {}},
        {
            "id": 4,
            "uscc": "U04",
            "name": "企业4",
            "tier": "general",
            "reason": "yearly_cap",
            "params": {"count": 2, "cap": 2},
        },
    ]
    assert [m[0] for m in only_stratum(population).members] == ["U05"]


def test_an_operating_enterprise_under_the_cap_or_without_a_cap_is_not_excluded():
    operating = cand(1)
    assert exclusion_for(operating, QuotaRules(), {1: 9}, {}) is None
    assert exclusion_for(operating, QuotaRules(yearly_cap=2), {1: 1}, {}) is None
    assert exclusion_for(operating, QuotaRules(yearly_cap=2), {1: 1}, {}, {1: 1}) == {
        "reason": "yearly_cap",
        "params": {"count": 1, "cap": 2, "pending": 1},
    }


def test_selections_in_open_draws_count_against_the_yearly_cap():
    """Cap 2: 1 inspected + 1 pending and 0 + 2 pending reach it; 1 + 0 and 0 + 1 do not."""
    candidates = [cand(0, uscc="G0"), cand(1, uscc="G1"), cand(2, uscc="G2"), cand(3, uscc="G3"), cand(4, uscc="G4")]
    population = build_population(
        candidates,
        rules=QuotaRules(general_ratio=Decimal(100), yearly_cap=2),
        year=2026,
        quarter=2,
        tiers=["general"],
        inspections={0: 1, 2: 1},
        pending={0: 1, 1: 2, 3: 1},
    )
    assert population.exclusions == [
        {
            "id": 0,
            "uscc": "G0",
            "name": "企业0",
            "tier": "general",
            "reason": "yearly_cap",
            "params": {"count": 1, "cap": 2, "pending": 1},
        },
        {
            "id": 1,
            "uscc": "G1",
            "name": "企业1",
            "tier": "general",
            "reason": "yearly_cap",
            "params": {"count": 0, "cap": 2, "pending": 2},
        },
    ]
    assert [m[0] for m in only_stratum(population).members] == ["G2", "G3", "G4"]
    assert english(exclusion_text, population.exclusions[0]) == (
        "Inspected 1 times this year and selected 1 times in draws awaiting approval (cap 2)"
    )
    assert english(exclusion_text, population.exclusions[1]) == (
        "Inspected 0 times this year and selected 2 times in draws awaiting approval (cap 2)"
    )


def test_a_status_without_a_label_is_shown_as_stored():
    exclusion = {"reason": "not_operating", "params": {"status": "relocated"}}
    assert english(exclusion_text, exclusion) == "Not operating: relocated"
    assert english(exclusion_text, exclusion, {"closed": "Closed"}) == "Not operating: relocated"
    assert english(exclusion_text, exclusion, {"relocated": "Moved away"}) == "Not operating: Moved away"


def test_an_exclusion_stored_without_params_still_reads():
    assert english(exclusion_text, {"reason": "positive_list"}) == "On the positive list (supervised off-site)"
    assert english(exclusion_text, {"reason": "not_operating"}) == "Not operating: None"


# --------------------------------------------------------------------------- weights


def test_without_risk_weights_every_member_holds_one_ticket():
    population = build_population(
        [cand(0), cand(1)], rules=QuotaRules(general_ratio=Decimal(100)), year=2026, quarter=1, tiers=["general"]
    )
    assert population.record_json() == (
        '[{"count":2,"label":"2026Q1/general","members":[{"id":"U00","weight":1},{"id":"U01","weight":1}]}]'
    )


def test_a_member_missing_from_the_weights_holds_one_ticket_and_fractions_are_cut_to_whole_tickets():
    """The pool is hashed as written: a weight must be a whole number in the JSON (2.5 → 2, True → 1)."""
    population = build_population(
        [cand(0), cand(1), cand(2)],
        rules=QuotaRules(general_ratio=Decimal(100)),
        year=2026,
        quarter=1,
        tiers=["general"],
        weights={0: Decimal("2.5"), 1: True},
    )
    assert population.record_json() == (
        '[{"count":3,"label":"2026Q1/general","members":'
        '[{"id":"U00","weight":2},{"id":"U01","weight":1},{"id":"U02","weight":1}]}]'
    )
