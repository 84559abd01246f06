"""Agreement: Krippendorff's alpha against hand-computed values and the ``krippendorff`` package, Hungarian
IoU matching, and the project's figures from answers given through the real work loop, per role."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest

from dure.projects.spec import parse_spec
from dure.quality.agreement import (
    Answer,
    answers_agreement,
    krippendorff_alpha,
    match_shapes,
    pair_agreement,
    project_agreement,
    symmetric_cer,
)
from dure.work.services import add_items
from tests.quality.crowd import make_crowd, work_through

MIXED_SPEC = {
    "inputs": [{"name": "text", "type": "text"}, {"name": "image", "type": "image"}],
    "outputs": [
        {"name": "label", "type": "single_choice", "options": ["pos", "neg", "mixed"]},
        {"name": "tags", "type": "multi_choice", "options": ["a", "b", "c"]},
        {"name": "stars", "type": "rating", "min": 1, "max": 5},
        {"name": "objects", "type": "boxes", "labels": ["car", "person"], "source": "image"},
        {"name": "entities", "type": "spans", "labels": ["ORG"], "source": "text"},
        {"name": "note", "type": "text"},
    ],
}


def _units(matrix: np.ndarray) -> list[list[float]]:
    return [[v for v in matrix[:, u] if not np.isnan(v)] for u in range(matrix.shape[1])]


# --- alpha -----------------------------------------------------------------------------------------------


def test_nominal_alpha_by_hand():
    """Units (a,a), (a,b), (b,b), (b,b): o_ab = o_ba = 1, n_a = 3, n_b = 5, n = 8.
    alpha = 1 - (n - 1)·(o_ab + o_ba) / (2·n_a·n_b) = 1 - 7·2/30 = 16/30."""
    assert krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]) == pytest.approx(16 / 30)


def test_interval_alpha_by_hand():
    """Units (1,2), (3,3): D_o ∝ Σ_u Σ_{i≠j} (x_i - x_j)² / (m_u - 1) = 2; n = 4, values 1,2,3,3:
    D_e ∝ Σ_{i≠j} (x_i - x_j)² / (n - 1) = 2·(1 + 4 + 4 + 1 + 1 + 0) / 3 = 22/3; alpha = 1 - 2/(22/3) = 8/11."""
    assert krippendorff_alpha([[1, 2], [3, 3]], metric="interval") == pytest.approx(8 / 11)


def test_unanimous_and_unmeasurable():
    assert krippendorff_alpha([["a", "a"], ["b", "b", "b"]]) == pytest.approx(1.0)
    # no variation at all: nothing to measure agreement against
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None
    # a unit with one value is not pairable
    assert krippendorff_alpha([["a"], ["b"]]) is None


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", range(4))
def test_alpha_matches_the_krippendorff_package(metric, seed):
    rng = np.random.default_rng(seed)
    coders, units = 5, 60
    truth = rng.integers(1, 6, size=units)
    noisy = rng.integers(1, 6, size=(coders, units))
    data = np.where(rng.random((coders, units)) < 0.6, truth, noisy).astype(float)
    data[rng.random(data.shape) < 0.35] = np.nan
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=metric)
    assert krippendorff_alpha(_units(data), metric=metric) == pytest.approx(expected, abs=1e-9)


def test_jaccard_alpha_sees_partial_overlap():
    same = krippendorff_alpha([[["a"], ["a"]], [["b", "c"], ["c", "b"]]], metric="jaccard")
    near = krippendorff_alpha([[["a"], ["a", "b"]], [["b", "c"], ["c"]]], metric="jaccard")
    far = krippendorff_alpha([[["a"], ["b"]], [["b", "c"], ["a"]]], metric="jaccard")
    assert same == pytest.approx(1.0)
    assert far is not None and near is not None and far < near < 1.0


# --- shapes and pairs ------------------------------------------------------------------------------------


def _box(x0: float, x1: float, label: str = "car") -> dict:
    return {"x": x0, "y": 0, "width": x1 - x0, "height": 10, "label": label}


def test_hungarian_matching_finds_the_assignment_greedy_misses():
    """Greedy takes A1-B1 (IoU 0.9) and leaves A2-B2 (0.31) unmatched; the best assignment matches both
    crosswise (0.7 and 0.58), so the answers agree fully at IoU ≥ 0.5."""
    first = [_box(3, 13), _box(0, 10)]
    second = [_box(3, 12), _box(6, 13)]
    found = match_shapes("boxes", first, second)
    assert sorted((i, j) for i, j, _v in found.pairs) == [(0, 1), (1, 0)]
    assert found.f1 == pytest.approx(1.0)
    assert found.mean_iou == pytest.approx((0.7 + 7 / 12) / 2, abs=1e-3)


def test_labels_must_agree_and_empty_answers_agree():
    assert match_shapes("boxes", [_box(0, 10)], [_box(0, 10, "person")]).f1 == 0.0
    assert match_shapes("boxes", [], []).f1 == 1.0
    assert match_shapes("boxes", [_box(0, 10)], []).f1 == 0.0
    square = {"points": [[0, 0], [10, 0], [10, 10], [0, 10]], "label": "car"}
    assert match_shapes("polygons", [square], [dict(square)]).f1 == pytest.approx(1.0)


def test_pair_agreement_per_type():
    spec = parse_spec(MIXED_SPEC)
    outputs = {o.name: o for o in spec.outputs}
    assert pair_agreement(outputs["label"], "pos", "pos") == {"agreement": 1.0}
    assert pair_agreement(outputs["label"], "pos", "neg") == {"agreement": 0.0}
    assert pair_agreement(outputs["stars"], 2, 4)["agreement"] == pytest.approx(0.5)
    assert pair_agreement(outputs["tags"], ["a", "b"], ["b"])["agreement"] == pytest.approx(0.5)
    spans = pair_agreement(
        outputs["entities"],
        [{"start": 0, "end": 4, "label": "ORG"}, {"start": 9, "end": 12, "label": "ORG"}],
        [{"start": 0, "end": 4, "label": "ORG"}],
    )
    assert spans["f1"] == pytest.approx(2 / 3)
    # "kitten" → "sitting": 3 edits over 6 and over 7 characters
    assert symmetric_cer("kitten", "sitting") == pytest.approx((3 / 6 + 3 / 7) / 2)
    assert pair_agreement(outputs["note"], "kitten", "sitting")["cer"] == pytest.approx((3 / 6 + 3 / 7) / 2)


def test_answers_agreement_shape_and_pairs():
    spec = parse_spec(
        {
            "inputs": [{"name": "text", "type": "text"}],
            "outputs": [{"name": "label", "type": "single_choice", "options": ["a", "b"]}],
        }
    )
    answers = [
        Answer(1, 10, {"label": "a"}),
        Answer(1, 11, {"label": "a"}),
        Answer(2, 10, {"label": "a"}),
        Answer(2, 11, {"label": "b"}),
        Answer(3, 10, {"label": "b"}),
        Answer(3, 11, {"label": "b"}),
        Answer(3, 12, {"label": "b"}),
        Answer(4, 12, {"label": "a"}),  # one answer: not an overlapping item
    ]
    result = answers_agreement(spec, answers)
    json.dumps(result)
    assert result["items"] == 3
    assert result["answers"] == 7
    label = result["outputs"][0]
    expected = krippendorff.alpha(
        reliability_data=[[0, 0, 1], [0, 1, 1], [np.nan, np.nan, 1]], level_of_measurement="nominal"
    )
    assert label["metric"] == "krippendorff_alpha_nominal"
    assert label["value"] == pytest.approx(expected, abs=1e-4)
    pairs = {tuple(p["workers"]): p for p in result["pairs"]}
    assert pairs[(10, 11)]["items"] == 3
    assert pairs[(10, 11)]["agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert pairs[(10, 12)] == {"workers": [10, 12], "items": 1, "agreement": 1.0, "outputs": {"label": 1.0}}


# --- the project, through the work loop ------------------------------------------------------------------


def _answer(worker_index: int, item_index: int) -> dict:
    """Three workers: the first two agree on everything, the third differs on odd items."""
    odd = worker_index == 2 and item_index % 2 == 1
    return {
        "label": "neg" if odd else "pos",
        "tags": ["a", "c"] if odd else ["a"],
        "stars": 1 if odd else 4 + (item_index % 2),
        "objects": [_box(10, 60, "person" if odd else "car")],
        "entities": [] if odd else [{"start": 0, "end": 4, "label": "ORG"}],
        "note": "a cat" if odd else "a car",
    }


@pytest.fixture
def overlapping(org, people, make_project):
    project = make_project(spec=MIXED_SPEC, overlap=3)
    add_items(
        project=project,
        records=[
            {"external_id": f"i{n}", "data": {"text": f"Acme item {n}", "image": f"img/{n}.png"}}
            for n in range(4)
        ],
    )
    crowd = make_crowd(org, project, 3)
    index = {w.pk: n for n, w in enumerate(crowd)}
    work_through(
        project,
        crowd,
        lambda worker, item: _answer(index[worker.pk], int(item.external_id[1:])),
        reviewer=people["reviewer"],
    )
    return project, crowd


@pytest.mark.django_db
def test_project_agreement_from_the_work_loop(overlapping):
    project, crowd = overlapping
    result = project_agreement(project=project)
    json.dumps(result)
    assert (result["items"], result["answers"], result["workers"]) == (4, 12, 3)
    outputs = {o["name"]: o for o in result["outputs"]}
    labels = [[_answer(w, i)["label"] for i in range(4)] for w in range(3)]
    codes = {"pos": 0, "neg": 1}
    expected = krippendorff.alpha(
        reliability_data=[[codes[v] for v in row] for row in labels], level_of_measurement="nominal"
    )
    assert outputs["label"]["value"] == pytest.approx(expected, abs=1e-4)
    stars = [[_answer(w, i)["stars"] for i in range(4)] for w in range(3)]
    assert outputs["stars"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=stars, level_of_measurement="interval"), abs=1e-4
    )
    assert outputs["stars"]["ordinal"] == pytest.approx(
        krippendorff.alpha(reliability_data=stars, level_of_measurement="ordinal"), abs=1e-4
    )
    # 12 answer pairs; the 4 pairs with the third worker on odd items disagree on the box label
    assert outputs["objects"]["metric"] == "f1_iou"
    assert outputs["objects"]["value"] == pytest.approx(8 / 12, abs=1e-4)
    assert outputs["entities"]["value"] == pytest.approx(8 / 12, abs=1e-4)
    assert outputs["note"]["metric"] == "cer"
    assert outputs["note"]["value"] == pytest.approx(4 * 0.2 / 12, abs=1e-4)
    pairs = {tuple(p["workers"]): p for p in result["pairs"]}
    first, second, third = (w.pk for w in crowd)
    assert pairs[(first, second)]["agreement"] == 1.0
    assert pairs[(first, second)]["items"] == 4
    assert pairs[(first, third)]["agreement"] < 1.0


ROLES = ["owner", "manager", "reviewer", "worker", "viewer", "outsider", "anonymous"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_agreement_endpoint_by_role(overlapping, api, role):
    project, _crowd = overlapping
    response = api(role).get(f"/projects/{project.pk}/agreement")
    expected = {"owner": 200, "manager": 200, "outsider": 404, "anonymous": 401}.get(role, 403)
    assert response.status_code == expected, response.content
    if expected == 200:
        body = response.json()
        assert body["items"] == 4
        assert {o["name"] for o in body["outputs"]} == {o["name"] for o in MIXED_SPEC["outputs"]}
    else:
        assert response.json()["code"]
