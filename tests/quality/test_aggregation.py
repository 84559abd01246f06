"""Aggregation algorithms: Dawid-Skene against values computed by hand, majority vote and Wawa, properties
(hypothesis), box fusion, set votes, medians and best-by-skill. crowd-kit is compared in bench/quality."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dure.projects.spec import parse_spec
from dure.quality.aggregation import (
    Vote,
    aggregate_answer,
    best_by_skill,
    dawid_skene,
    fuse_shapes,
    majority_vote,
    set_vote,
    wawa,
    weighted_median,
)

# Three workers A, B, C (0, 1, 2) on three items, two classes:
#   item 0: A=0 B=0 C=1    item 1: A=1 B=1 C=1    item 2: A=0 B=1 C=0
ITEMS = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
WORKERS = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
LABELS = np.array([0, 0, 1, 1, 1, 1, 0, 1, 0])


def test_majority_vote_and_shares():
    result = majority_vote(ITEMS, WORKERS, LABELS)
    assert result.labels.tolist() == [0, 1, 0]
    assert result.confidence == pytest.approx([2 / 3, 1, 2 / 3])


def test_wawa_weights_workers_by_agreement_with_the_majority():
    """A agrees with the majority on all 3 items, B on 2 (not item 2), C on 2 (not item 0).
    Item 0: label 0 has A+B = 1 + 2/3, label 1 has C = 2/3 → share 5/7."""
    result = wawa(ITEMS, WORKERS, LABELS)
    assert result.skills == pytest.approx([1, 2 / 3, 2 / 3])
    assert result.labels.tolist() == [0, 1, 0]
    assert result.confidence[0] == pytest.approx((1 + 2 / 3) / (1 + 4 / 3))


def test_dawid_skene_one_step_by_hand():
    """Start: the majority vote's shares T = [2/3, 1/3], [0, 1], [2/3, 1/3]; priors p = [4/9, 5/9].
    M-step (rows: true class, columns: given label, each row normalised):
        A: t=0 → [4/3, 0] = [1, 0];      t=1 → [2/3, 1] = [2/5, 3/5]
        B: t=0 → [2/3, 2/3] = [1/2, 1/2]; t=1 → [1/3, 4/3] = [1/5, 4/5]
        C: t=0 → [2/3, 2/3] = [1/2, 1/2]; t=1 → [1/3, 4/3] = [1/5, 4/5]
    E-step, item 0 (A=0, B=0, C=1): t=0: 4/9·1·1/2·1/2 = 1/9; t=1: 5/9·2/5·1/5·4/5 = 8/225
        → posterior of class 0 = (25/225) / (33/225) = 25/33. Item 2 (A=0, B=1, C=0) is the same product.
    Item 1: A never gives label 1 when the truth is 0, so class 1 has posterior 1.
    (``smoothing=0``: the textbook estimate, without the pseudo-counts Dure adds by default.)"""
    result = dawid_skene(ITEMS, WORKERS, LABELS, max_iterations=1, smoothing=0)
    assert result.iterations == 1
    assert result.probabilities[0] == pytest.approx([25 / 33, 8 / 33], abs=1e-9)
    assert result.probabilities[1] == pytest.approx([0, 1], abs=1e-9)
    assert result.probabilities[2] == pytest.approx([25 / 33, 8 / 33], abs=1e-9)
    assert result.labels.tolist() == [0, 1, 0]
    assert result.confidence[0] == pytest.approx(25 / 33)


def test_smoothing_keeps_workers_seen_once_from_flipping_unanimous_items():
    """Item 0: worker 1 says 0; item 1: worker 0 says 1, and neither worker is seen elsewhere. Plain
    maximum likelihood cannot tell class 1 from class 0 for item 1 and drifts to the majority class."""
    plain = dawid_skene([0, 1], [1, 0], [0, 1], n_classes=5, smoothing=0)
    smoothed = dawid_skene([0, 1], [1, 0], [0, 1], n_classes=5)
    assert plain.labels.tolist() == [0, 0]
    assert smoothed.labels.tolist() == [0, 1]


def test_dawid_skene_finds_truth_a_majority_misses():
    """Two reliable workers outvoted by three who always say 0: Dawid-Skene learns that "0" from the
    three carries no information and follows the reliable pair."""
    rng = np.random.default_rng(3)
    items, workers, labels = [], [], []
    truth = rng.integers(0, 2, 300)
    for item, true in enumerate(truth):
        for worker in range(5):
            items.append(item)
            workers.append(worker)
            if worker < 2:
                labels.append(true if rng.random() < 0.95 else 1 - true)
            else:
                labels.append(0)
    vote = majority_vote(items, workers, labels)
    ds = dawid_skene(items, workers, labels)
    assert np.mean(vote.labels == truth) < 0.6
    assert np.mean(ds.labels == truth) > 0.9
    assert ds.skills is not None and ds.skills[0] > ds.skills[2]


unanimous_items = st.lists(
    st.tuples(st.integers(0, 4), st.lists(st.integers(0, 30), min_size=1, max_size=6, unique=True)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(unanimous_items)
def test_unanimous_labels_win_with_full_confidence(rows):
    """Whatever the crowd, an item every worker labelled the same gets that label, confidence 1."""
    items, workers, labels = [], [], []
    for item, (label, crowd) in enumerate(rows):
        for worker in crowd:
            items.append(item)
            workers.append(worker)
            labels.append(label)
    expected = [label for label, _crowd in rows]
    for method in (majority_vote, wawa, dawid_skene):
        result = method(items, workers, labels, n_classes=5)
        assert result.labels.tolist() == expected, method.__name__
        assert result.confidence == pytest.approx(1.0, abs=1e-6), method.__name__


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 19), st.integers(0, 9), st.integers(0, 3)), min_size=1, max_size=120)
)
def test_results_are_distributions_and_votes_pick_a_given_label(rows):
    items, workers, labels = (np.array(column) for column in zip(*rows, strict=True))
    for method in (majority_vote, wawa, dawid_skene):
        result = method(items, workers, labels, n_items=20, n_classes=4)
        answered = np.bincount(items, minlength=20) > 0
        assert np.all((result.confidence >= 0) & (result.confidence <= 1 + 1e-9))
        assert result.probabilities[answered].sum(axis=1) == pytest.approx(np.ones(answered.sum()))
        if method is not dawid_skene:
            for item in np.flatnonzero(answered):
                assert result.labels[item] in labels[items == item]


# --- other answer types ----------------------------------------------------------------------------------


def _box(x: float, y: float, w: float, h: float, label: str = "car") -> dict:
    return {"x": x, "y": y, "width": w, "height": h, "label": label}


def test_box_fusion_weights_by_skill_and_drops_minority_boxes():
    votes = [
        Vote(1, [_box(10, 10, 100, 50), _box(300, 300, 20, 20, "person")], skill=0.9),
        Vote(2, [_box(14, 10, 100, 50)], skill=0.6),
        Vote(3, [_box(12, 12, 100, 50)], skill=0.5),
    ]
    fused = fuse_shapes("boxes", votes)
    assert len(fused.value) == 1
    box = fused.value[0]
    total = 0.9 + 0.6 + 0.5
    assert box["x"] == pytest.approx((10 * 0.9 + 14 * 0.6 + 12 * 0.5) / total, abs=0.01)
    assert box["y"] == pytest.approx((10 * 0.9 + 10 * 0.6 + 12 * 0.5) / total, abs=0.01)
    assert box["label"] == "car"
    # the person box has 0.9 / 2.0 of the weight: dropped, and that was the least clear decision
    assert fused.confidence == pytest.approx(1 - 0.9 / total)
    assert fused.detail == {"clusters": 2, "kept": 1}


def test_box_fusion_keeps_one_box_per_worker_per_cluster_and_empty_agreement():
    votes = [Vote(1, [_box(0, 0, 10, 10), _box(1, 0, 10, 10)]), Vote(2, [_box(0, 0, 10, 10)])]
    fused = fuse_shapes("boxes", votes)
    # worker 1's second, overlapping box is its own cluster with half the weight: not a majority
    assert len(fused.value) == 1
    assert fuse_shapes("boxes", [Vote(1, []), Vote(2, [])]).value == []
    assert fuse_shapes("boxes", [Vote(1, []), Vote(2, [])]).confidence == 1.0


def test_keypoints_and_polygons():
    points = fuse_shapes("keypoints", [Vote(1, [{"x": 10, "y": 10}]), Vote(2, [{"x": 12, "y": 10}])])
    assert points.value == [{"x": 11.0, "y": 10.0}]
    square = {"points": [[0, 0], [10, 0], [10, 10], [0, 10]], "label": "car"}
    shifted = {"points": [[1, 0], [11, 0], [11, 10], [1, 10]], "label": "car"}
    polygons = fuse_shapes("polygons", [Vote(1, [square], 0.6), Vote(2, [shifted], 0.9)])
    assert polygons.value == [shifted]


def test_set_votes_medians_and_best_by_skill():
    spans = set_vote(
        [
            Vote(1, [{"start": 0, "end": 4, "label": "ORG"}, {"start": 9, "end": 12, "label": "ORG"}]),
            Vote(2, [{"start": 0, "end": 4, "label": "ORG"}]),
            Vote(3, [{"start": 0, "end": 4, "label": "ORG"}]),
        ],
        key=lambda s: (s["start"], s["end"], s["label"]),
    )
    assert spans.value == [{"start": 0, "end": 4, "label": "ORG"}]
    assert spans.confidence == pytest.approx(2 / 3)
    assert weighted_median([Vote(1, 2), Vote(2, 4), Vote(3, 5)], integer=True).value == 4
    assert weighted_median([Vote(1, 2, 0.9), Vote(2, 4, 0.2), Vote(3, 5, 0.2)], integer=True).value == 2
    text = best_by_skill([Vote(1, "a car", 0.6), Vote(2, "a cat", 0.9), Vote(3, "a cat", 0.5)])
    assert text.value == "a cat"
    assert text.confidence == pytest.approx((0.8 + 1.0) / 2)


def test_a_whole_answer_takes_its_weakest_output_as_confidence():
    spec = parse_spec(
        {
            "inputs": [{"name": "text", "type": "text"}],
            "outputs": [
                {"name": "label", "type": "single_choice", "options": ["a", "b"]},
                {"name": "tags", "type": "multi_choice", "options": ["x", "y"]},
                {"name": "stars", "type": "rating", "min": 1, "max": 5},
                {"name": "pick", "type": "pairwise", "strength": True},
            ],
        }
    )
    votes = [
        Vote(1, {"label": "a", "tags": ["x"], "stars": 4, "pick": {"choice": "a", "strength": 2}}),
        Vote(2, {"label": "a", "tags": ["x", "y"], "stars": 4, "pick": {"choice": "a", "strength": 3}}),
        Vote(3, {"label": "b", "tags": ["x"], "stars": 5, "pick": {"choice": "b", "strength": 1}}),
    ]
    result = aggregate_answer(spec, votes)
    assert result.value == {"label": "a", "tags": ["x"], "stars": 4, "pick": {"choice": "a", "strength": 2}}
    assert result.confidence == pytest.approx(2 / 3, abs=1e-4)
    assert set(result.detail["outputs"]) == {"label", "tags", "stars", "pick"}
