"""Data files: exercises (≥25, complete, illustrated), rules with citations, settings validation."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from strideback.coach import service
from strideback.exercises.library import EVIDENCE_LABELS
from strideback.plan.rules import rule_catalogue


def test_at_least_25_complete_exercises_with_svg():
    exercises = service.load_exercises()
    assert len(exercises) >= 25
    for ex in exercises:
        assert ex.name and ex.steps and ex.dosage and ex.progression and ex.regression
        assert ex.evidence_label in EVIDENCE_LABELS and ex.evidence_citation
        root = ET.fromstring(ex.svg)
        assert root.tag.endswith("svg")
        assert root.find("{http://www.w3.org/2000/svg}title").text == ex.name
    categories = {ex.category for ex in exercises}
    assert {"strength", "release", "cross_training"} <= categories


def test_strength_exercises_pair_with_an_opposing_group():
    for ex in service.load_exercises():
        if ex.category == "strength":
            assert ex.opposing, ex.id
            if ex.pair_with:
                partner = service.get_exercise(ex.pair_with)
                assert partner.category == "strength"


def test_article_claims_are_labelled_in_the_library():
    hip_flexor = service.get_exercise("hip_flexor_stretch")
    assert hip_flexor.honesty and "no evidence" in hip_flexor.honesty.lower()
    assert service.get_exercise("piriformis_stretch").evidence_label == "NO EVIDENCE"


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(KeyError, match="no exercise"):
        service.get_exercise("moonwalk")


def test_every_rule_has_a_citation_and_a_valid_default():
    for key, info in rule_catalogue().items():
        assert info.citation and "evidence.md" in info.citation, key
        assert info.minimum <= info.default <= info.maximum, key


def test_settings_round_trip_and_validation(db):
    assert service.get_settings(db)["pain_ok_max"] == 3
    assert service.update_settings(db, {"pain_ok_max": "5"})["pain_ok_max"] == 5
    assert service.get_settings(db)["pain_ok_max"] == 5
    with pytest.raises(ValueError, match="between 2 and 5"):
        service.update_settings(db, {"pain_ok_max": 7})
    with pytest.raises(ValueError, match="unknown setting"):
        service.update_settings(db, {"pain_max": 3})
    with pytest.raises(ValueError, match="whole number"):
        service.update_settings(db, {"completions_to_progress": 2.5})
    assert service.update_settings(db, {"pain_ok_max": 3})["pain_ok_max"] == 3


def test_honesty_notes_cover_the_article_differences():
    topics = " ".join(h["topic"].lower() for h in service.honesty())
    for word in ("hip flexors", "softer", "ice", "recovery", "quadriceps"):
        assert word in topics
