"""The tier rule (DESIGN §3 rule 1): city-controlled key emitters are key; special and general criteria win."""

import itertools

import pytest

from core.errors import DomainError
from enterprises.enums import Tier
from enterprises.services import classify_tier, resolve_tier, tier_conflict


@pytest.mark.parametrize(
    ("special", "general", "key", "city", "expected"),
    [
        (False, False, False, False, Tier.GENERAL),
        (False, False, True, False, Tier.KEY),
        (False, False, False, True, Tier.KEY),
        (False, False, True, True, Tier.KEY),
        (False, True, True, True, Tier.GENERAL),
        (False, True, False, False, Tier.GENERAL),
        (True, False, True, True, Tier.SPECIAL),
        (True, True, False, False, Tier.SPECIAL),
        (True, False, False, False, Tier.SPECIAL),
    ],
)
def test_classify_tier(special, general, key, city, expected):
    assert (
        classify_tier(special_criteria=special, general_criteria=general, key_criteria=key, city_controlled_key=city)
        == expected
    )


def test_classify_tier_special_and_general_always_win_over_key():
    for key, city in itertools.product([False, True], repeat=2):
        assert (
            classify_tier(special_criteria=True, general_criteria=False, key_criteria=key, city_controlled_key=city)
            == Tier.SPECIAL
        )
        assert (
            classify_tier(special_criteria=False, general_criteria=True, key_criteria=key, city_controlled_key=city)
            == Tier.GENERAL
        )


NONE = {
    "special_criteria": False,
    "general_criteria": False,
    "key_criteria": False,
    "city_controlled_key": False,
    "positive_list": False,
}


def test_tier_conflict_city_controlled_key_emitter_filed_as_general():
    assert tier_conflict(tier=Tier.GENERAL, **{**NONE, "city_controlled_key": True}) == (
        "A city-controlled or higher key emitter is in the key tier unless it meets the special or the general criteria."
    )


def test_tier_conflict_city_controlled_general_allowed_with_general_criteria():
    assert tier_conflict(tier=Tier.GENERAL, **{**NONE, "city_controlled_key": True, "general_criteria": True}) is None


def test_tier_conflict_positive_list_counts_as_general_criterion():
    assert tier_conflict(tier=Tier.GENERAL, **{**NONE, "city_controlled_key": True, "positive_list": True}) is None
    assert "general-tier criteria" in tier_conflict(tier=Tier.KEY, **{**NONE, "positive_list": True})


def test_tier_conflict_special_criteria_beat_a_chosen_key_tier():
    assert tier_conflict(tier=Tier.KEY, **{**NONE, "special_criteria": True}) == (
        "It meets the special-tier criteria, which win over the others: its tier must be special."
    )


def test_tier_conflict_chosen_tier_counts_as_its_own_criterion():
    assert tier_conflict(tier=Tier.KEY, **NONE) is None
    assert tier_conflict(tier=Tier.SPECIAL, **{**NONE, "city_controlled_key": True}) is None
    assert tier_conflict(tier=Tier.GENERAL, **NONE) is None


def test_tier_conflict_key_criteria_filed_as_general():
    assert tier_conflict(tier=Tier.GENERAL, **{**NONE, "key_criteria": True}) == (
        "It meets the key-tier criteria and neither the special nor the general ones: its tier must be key."
    )


def test_resolve_tier_without_a_choice_follows_the_criteria():
    assert resolve_tier(tier=None, **{**NONE, "city_controlled_key": True}) == Tier.KEY
    assert resolve_tier(tier="", **{**NONE, "city_controlled_key": True, "positive_list": True}) == Tier.GENERAL
    assert resolve_tier(tier=None, **NONE) == Tier.GENERAL


def test_resolve_tier_refuses_a_conflict():
    with pytest.raises(DomainError, match="city-controlled"):
        resolve_tier(tier=Tier.GENERAL, **{**NONE, "city_controlled_key": True})
    with pytest.raises(DomainError, match="Unknown tier"):
        resolve_tier(tier="top", **NONE)
