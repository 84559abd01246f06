"""Agreement between workers who answered the same item (overlap > 1), per output and per worker pair.

Inputs are the approved answers of items that two or more workers answered. Each output of the interface
spec gets the measure that fits its answer type:

- single choice, pairwise: Krippendorff's alpha, nominal.
- multi choice: Krippendorff's alpha with the Jaccard distance between the chosen sets.
- rating (each criterion), number: Krippendorff's alpha, interval (ratings also ordinal).
- boxes, polygons, keypoints, time segments: F1 of shapes matched one-to-one by the Hungarian algorithm on
  IoU (a match needs IoU ≥ ``MATCH_IOU`` and the same label), averaged over every pair of answers.
- transcription regions: the same F1 on the regions, and the character error rate of matched texts.
- spans: span F1 of exact (start, end, label) matches, averaged over pairs.
- text, transcription: character error rate, averaged over pairs (each answer taken as the reference in
  turn, since CER is not symmetric).
- file uploads: nothing to compare.

Alpha is 1 for perfect agreement, 0 for agreement at chance level, and negative below it; it is None when
there is no variation at all to measure against (every answer the same value). Per worker pair the figure
is the mean per-item agreement in [0, 1] (share of equal choices, 1 - scaled difference, F1, 1 - CER), on
the items both answered.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from dure.projects.spec import InterfaceSpec
from dure.quality.scoring import (
    KEYPOINT_RADIUS,
    MATCH_IOU,
    character_error_rate,
    frame_agreement,
    interval_iou,
    polygon_iou,
    score_output,
    span_f1,
)

if TYPE_CHECKING:
    # The measures import no Django models, so the benchmark can run them without a configured project.
    from dure.projects.models import Project

Metric = Literal["nominal", "ordinal", "interval", "jaccard"]

#: the newest items considered by ``project_agreement``; enough for a stable figure, bounded in cost
DEFAULT_MAX_ITEMS = 5000
#: worker pairs listed (most shared items first); the total count is reported too
MAX_PAIRS = 200

SHAPE_TYPES = {"boxes", "polygons", "keypoints"}


# --- Krippendorff's alpha --------------------------------------------------------------------------------


def krippendorff_alpha(units: Sequence[Sequence[Any]], *, metric: Metric = "nominal") -> float | None:
    """Krippendorff's alpha of reliability data given as units (items), each the list of values coders gave.

    Missing values are simply absent from a unit; units with fewer than two values are not pairable and
    are dropped. Values are numbers for ``interval``/``ordinal``, hashable for ``nominal`` and iterables of
    hashables (sets of chosen options) for ``jaccard``. Returns None when there is nothing to measure: no
    pairable unit, or no variation at all (expected disagreement 0).
    """
    pairable = [list(u) for u in units if len(u) >= 2]
    if not pairable:
        return None
    if metric == "jaccard":
        pairable = [[frozenset(v) for v in unit] for unit in pairable]
    if metric == "interval":
        return _alpha_interval(pairable)
    values: dict[Any, int] = {}
    codes = [[values.setdefault(v, len(values)) for v in unit] for unit in pairable]
    lengths = np.fromiter((len(u) for u in codes), dtype=np.int64, count=len(codes))
    flat = np.fromiter(itertools.chain.from_iterable(codes), dtype=np.int64, count=int(lengths.sum()))
    unit_of = np.repeat(np.arange(len(codes)), lengths)
    # counts[u, c]: how often value c occurs in unit u
    counts = np.zeros((len(codes), len(values)), dtype=np.float64)
    np.add.at(counts, (unit_of, flat), 1.0)
    weights = 1.0 / (lengths - 1)
    if metric == "nominal":
        # Closed forms: no value x value matrix, whatever the number of distinct values.
        observed = float(np.sum(weights * (lengths.astype(float) ** 2 - np.sum(counts**2, axis=1))))
        totals = counts.sum(axis=0)
        n = float(totals.sum())
        expected = float((n**2 - np.sum(totals**2)) / (n - 1))
        return _alpha(observed, expected)
    coincidence = (counts * weights[:, None]).T @ counts - np.diag((counts * weights[:, None]).sum(axis=0))
    totals = coincidence.sum(axis=0)
    n = float(totals.sum())
    distance = _distance_matrix(list(values), totals, metric)
    observed = float(np.sum(coincidence * distance))
    expected = float(np.sum(np.outer(totals, totals) * distance) / (n - 1))
    return _alpha(observed, expected)


def _alpha_interval(units: list[list[Any]]) -> float | None:
    """Interval alpha from sums of squares, so any number of distinct values costs O(values)."""
    lengths = np.fromiter((len(u) for u in units), dtype=np.int64, count=len(units))
    flat = np.fromiter(
        (float(v) for v in itertools.chain.from_iterable(units)), dtype=np.float64, count=int(lengths.sum())
    )
    unit_of = np.repeat(np.arange(len(units)), lengths)
    sums = np.bincount(unit_of, weights=flat, minlength=len(units))
    squares = np.bincount(unit_of, weights=flat**2, minlength=len(units))
    # Σ_{i≠j} (x_i - x_j)² within a unit is 2·m·Σx² - 2·(Σx)²
    observed = float(np.sum((2 * lengths * squares - 2 * sums**2) / (lengths - 1)))
    n = float(len(flat))
    expected = float((2 * n * np.sum(flat**2) - 2 * np.sum(flat) ** 2) / (n - 1))
    return _alpha(observed, expected)


def _alpha(observed: float, expected: float) -> float | None:
    if expected <= 1e-12:
        return None
    return float(1.0 - observed / expected)


def _distance_matrix(values: list[Any], totals: np.ndarray, metric: Metric) -> np.ndarray:
    if metric == "ordinal":
        order = np.argsort(np.asarray(values, dtype=float), kind="stable")
        ranked = totals[order]
        cumulative = np.cumsum(ranked)
        ranks = np.arange(len(values))
        low, high = np.minimum.outer(ranks, ranks), np.maximum.outer(ranks, ranks)
        # δ²(c, k) = (Σ_{g=c..k} n_g - (n_c + n_k)/2)², over ranks c ≤ k
        between = cumulative[high] - cumulative[low] + ranked[low]
        squared = (between - (ranked[:, None] + ranked[None, :]) / 2) ** 2
        distance = np.empty_like(squared)
        distance[np.ix_(order, order)] = squared
        return distance
    if metric == "jaccard":
        size = len(values)
        distance = np.zeros((size, size))
        for i, j in itertools.combinations(range(size), 2):
            a, b = values[i], values[j]
            union = len(a | b)
            distance[i, j] = distance[j, i] = 1.0 - (len(a & b) / union if union else 1.0)
        return distance
    raise ValueError(f"unknown metric {metric!r}")


# --- shapes: Hungarian matching on IoU -------------------------------------------------------------------


@dataclass
class ShapeMatch:
    #: (index in a, index in b, IoU) of matched shapes
    pairs: list[tuple[int, int, float]]
    f1: float
    mean_iou: float | None


def box_iou_matrix(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> np.ndarray:
    """IoU of every box of ``a`` with every box of ``b``, vectorised."""
    if not a or not b:
        return np.zeros((len(a), len(b)))
    first = np.array([[s["x"], s["y"], s["x"] + s["width"], s["y"] + s["height"]] for s in a], dtype=float)
    second = np.array([[s["x"], s["y"], s["x"] + s["width"], s["y"] + s["height"]] for s in b], dtype=float)
    width = np.clip(
        np.minimum(first[:, None, 2], second[None, :, 2]) - np.maximum(first[:, None, 0], second[None, :, 0]),
        0,
        None,
    )
    height = np.clip(
        np.minimum(first[:, None, 3], second[None, :, 3]) - np.maximum(first[:, None, 1], second[None, :, 1]),
        0,
        None,
    )
    inter = width * height
    area_a = (first[:, 2] - first[:, 0]) * (first[:, 3] - first[:, 1])
    area_b = (second[:, 2] - second[:, 0]) * (second[:, 3] - second[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _pairwise_matrix(
    a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]], similarity: Callable[[Any, Any], float]
) -> np.ndarray:
    matrix = np.zeros((len(a), len(b)))
    for i, first in enumerate(a):
        for j, second in enumerate(b):
            matrix[i, j] = similarity(first, second)
    return matrix


def shape_similarity(kind: str, a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> np.ndarray:
    """The IoU matrix for a kind of shape (keypoints: 1 - distance / radius, floored at 0)."""
    if kind == "boxes" and all("points" not in s for s in itertools.chain(a, b)):
        return box_iou_matrix(a, b)
    if kind == "keypoints":
        return _pairwise_matrix(
            a,
            b,
            lambda p, q: max(0.0, 1.0 - float(np.hypot(p["x"] - q["x"], p["y"] - q["y"])) / KEYPOINT_RADIUS),
        )
    if kind == "time_segments":
        return _pairwise_matrix(
            a, b, lambda p, q: interval_iou((p["start"], p["end"]), (q["start"], q["end"]))
        )
    return _pairwise_matrix(a, b, lambda p, q: polygon_iou(_points(p), _points(q)))


def _points(shape: dict[str, Any]) -> list[list[float]]:
    if "points" in shape:
        return shape["points"]
    x, y, w, h = shape["x"], shape["y"], shape["width"], shape["height"]
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def match_shapes(
    kind: str,
    a: Sequence[dict[str, Any]],
    b: Sequence[dict[str, Any]],
    *,
    threshold: float | None = None,
    similarity: np.ndarray | None = None,
) -> ShapeMatch:
    """One-to-one matching maximising total IoU (Hungarian); labels must agree and IoU reach the threshold.

    F1 is 2·matches / (|a| + |b|); two empty answers agree fully ("nothing here" is an answer).
    """
    if not a and not b:
        return ShapeMatch(pairs=[], f1=1.0, mean_iou=None)
    if not a or not b:
        return ShapeMatch(pairs=[], f1=0.0, mean_iou=None)
    if threshold is None:
        threshold = 1e-9 if kind == "keypoints" else MATCH_IOU
    iou = shape_similarity(kind, a, b) if similarity is None else similarity
    labels_a = [s.get("label") for s in a]
    labels_b = [s.get("label") for s in b]
    same = np.array([[x == y for y in labels_b] for x in labels_a], dtype=bool)
    usable = np.where(same & (iou >= threshold), iou, 0.0)
    rows, cols = linear_sum_assignment(usable, maximize=True)
    pairs = [
        (int(i), int(j), round(float(iou[i, j]), 4))
        for i, j in zip(rows, cols, strict=True)
        if usable[i, j] > 0
    ]
    f1 = 2 * len(pairs) / (len(a) + len(b))
    mean = float(np.mean([p[2] for p in pairs])) if pairs else None
    return ShapeMatch(pairs=pairs, f1=f1, mean_iou=mean)


# --- per pair of answers ---------------------------------------------------------------------------------


def symmetric_cer(a: str, b: str) -> float:
    """The character error rate with each text as the reference in turn, averaged, capped at 1."""
    return (min(1.0, character_error_rate(a, b)) + min(1.0, character_error_rate(b, a))) / 2


def _as_list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def pair_agreement(output: Any, a: Any, b: Any) -> dict[str, float]:
    """How far two answers to one output agree: ``agreement`` in [0, 1] and the measure's own numbers."""
    kind = output.type
    if kind in SHAPE_TYPES or kind == "time_segments":
        found = match_shapes(kind, _as_list(a), _as_list(b))
        out = {"agreement": found.f1, "f1": found.f1}
        if found.mean_iou is not None:
            out["iou"] = found.mean_iou
        return out
    if kind == "transcription_regions":
        first, second = _as_list(a), _as_list(b)
        found = match_shapes("boxes", first, second)
        cers = [
            symmetric_cer(str(first[i].get("text", "")), str(second[j].get("text", "")))
            for i, j, _v in found.pairs
        ]
        cer = float(np.mean(cers)) if cers else (0.0 if found.f1 == 1.0 else 1.0)
        return {"agreement": found.f1 * (1.0 - cer), "f1": found.f1, "cer": cer}
    if kind == "spans":
        _p, _r, f1 = span_f1(_as_list(a), _as_list(b))
        return {"agreement": f1, "f1": f1}
    if kind in {"text", "transcription"}:
        cer = symmetric_cer(a if isinstance(a, str) else "", b if isinstance(b, str) else "")
        return {"agreement": 1.0 - cer, "cer": cer}
    if kind == "frame_labels":
        frames = frame_agreement(a, b)
        accuracy = frames["same"] / frames["union"] if frames["union"] else 1.0
        return {"agreement": accuracy, "accuracy": accuracy}
    if kind == "file_upload":
        return {}
    # Choices, numbers and ratings: the Academy's scoring, taken both ways (number tolerance is relative).
    score = (score_output(output, a, b).score + score_output(output, b, a).score) / 2
    return {"agreement": score}


# --- the project -----------------------------------------------------------------------------------------


@dataclass
class Answer:
    item_id: int
    worker_id: int
    answer: dict[str, Any]


def approved_overlap_answers(*, project: Project, max_items: int = DEFAULT_MAX_ITEMS) -> list[Answer]:
    """Approved answers of the newest ``max_items`` items that two or more workers answered."""
    from dure.work.models import Item, Submission, SubmissionState

    # the loop's own counter, newest first: no count over the submissions of every item of the project
    items = list(
        Item.objects.filter(project=project, approved_count__gte=2)
        .order_by("-id")
        .values_list("id", flat=True)[:max_items]
    )
    rows = (
        Submission.objects.filter(item_id__in=items, state=SubmissionState.APPROVED)
        .order_by("item_id", "worker_id")
        .values_list("item_id", "worker_id", "answer")
    )
    return [Answer(item_id=i, worker_id=w, answer=a if isinstance(a, dict) else {}) for i, w, a in rows]


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, dict | list) else value


def _alpha_outputs(output: Any, units: list[list[Any]]) -> dict[str, Any]:
    """Krippendorff figures for one output from its per-item answer lists."""
    kind = output.type
    if kind in {"single_choice"}:
        values = [[_hashable(v) for v in u if v is not None] for u in units]
        return {"metric": "krippendorff_alpha_nominal", "value": krippendorff_alpha(values)}
    if kind == "pairwise":
        values = [[v.get("choice") for v in u if isinstance(v, dict) and v.get("choice")] for u in units]
        return {"metric": "krippendorff_alpha_nominal", "value": krippendorff_alpha(values)}
    if kind == "multi_choice":
        values = [[v for v in u if isinstance(v, list)] for u in units]
        return {"metric": "krippendorff_alpha_jaccard", "value": krippendorff_alpha(values, metric="jaccard")}
    if kind == "number":
        values = [[v for v in u if _number(v)] for u in units]
        return {
            "metric": "krippendorff_alpha_interval",
            "value": krippendorff_alpha(values, metric="interval"),
        }
    # rating, with or without criteria
    criteria = [c.value for c in output.criteria] or [None]
    per_criterion: dict[str, Any] = {}
    intervals, ordinals = [], []
    for criterion in criteria:
        values = [
            [x for x in ((v.get(criterion) if isinstance(v, dict) else None) if criterion else v for v in u)
             if _number(x)]
            for u in units
        ]  # fmt: skip
        interval = krippendorff_alpha(values, metric="interval")
        ordinal = krippendorff_alpha(values, metric="ordinal")
        intervals.append(interval)
        ordinals.append(ordinal)
        if criterion is not None:
            per_criterion[criterion] = {"interval": _round(interval), "ordinal": _round(ordinal)}
    out: dict[str, Any] = {
        "metric": "krippendorff_alpha_interval",
        "value": _mean(intervals),
        "ordinal": _round(_mean(ordinals)),
    }
    if per_criterion:
        out["criteria"] = per_criterion
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


ALPHA_TYPES = {"single_choice", "pairwise", "multi_choice", "number", "rating"}
_PAIR_METRIC = {
    "boxes": "f1_iou",
    "polygons": "f1_iou",
    "keypoints": "f1_distance",
    "time_segments": "f1_iou",
    "transcription_regions": "f1_iou_cer",
    "spans": "span_f1",
    "text": "cer",
    "transcription": "cer",
    "frame_labels": "frame_accuracy",
}


def answers_agreement(spec: InterfaceSpec, answers: Sequence[Answer]) -> dict[str, Any]:
    """Agreement figures from approved answers (several per item); see the module docstring."""
    by_item: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_item[answer.item_id].append(answer)
    by_item = {k: v for k, v in by_item.items() if len(v) >= 2}
    outputs_out = []
    # (worker a, worker b) → output name → [agreement per shared item]
    pair_scores: dict[tuple[int, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for output in spec.outputs:
        if output.type == "file_upload":
            outputs_out.append(
                {"name": output.name, "type": output.type, "metric": None, "value": None, "items": 0}
            )
            continue
        per_pair_values: list[dict[str, float]] = []
        units = []
        for group in by_item.values():
            units.append([a.answer.get(output.name) for a in group])
            for first, second in itertools.combinations(group, 2):
                measured = pair_agreement(
                    output, first.answer.get(output.name), second.answer.get(output.name)
                )
                if not measured:
                    continue
                per_pair_values.append(measured)
                key = (min(first.worker_id, second.worker_id), max(first.worker_id, second.worker_id))
                pair_scores[key][output.name].append(measured["agreement"])
        entry: dict[str, Any] = {"name": output.name, "type": output.type, "items": len(units)}
        if output.type in ALPHA_TYPES:
            entry |= _alpha_outputs(output, units)
            entry["value"] = _round(entry["value"])
        else:
            entry["metric"] = _PAIR_METRIC[output.type]
            main = {"cer": "cer", "frame_accuracy": "accuracy"}.get(entry["metric"], "f1")
            entry["value"] = _round(_mean([p.get(main) for p in per_pair_values]))
            if output.type == "transcription_regions":
                entry["cer"] = _round(_mean([p.get("cer") for p in per_pair_values]))
            if output.type in SHAPE_TYPES or output.type == "time_segments":
                entry["mean_iou"] = _round(_mean([p.get("iou") for p in per_pair_values]))
        entry["pairs"] = len(per_pair_values)
        entry["observed_agreement"] = _round(_mean([p["agreement"] for p in per_pair_values]))
        outputs_out.append(entry)
    pairs_out: list[dict[str, Any]] = []
    for (first_id, second_id), by_output in pair_scores.items():
        shared = max(len(v) for v in by_output.values())
        per_output = {name: _round(_mean(values)) for name, values in by_output.items()}
        pairs_out.append(
            {
                "workers": [first_id, second_id],
                "items": shared,
                "agreement": _round(_mean(list(per_output.values()))),
                "outputs": per_output,
            }
        )
    pairs_out.sort(key=lambda p: (-p["items"], p["workers"]))
    return {
        "items": len(by_item),
        "answers": sum(len(v) for v in by_item.values()),
        "workers": len({a.worker_id for group in by_item.values() for a in group}),
        "outputs": outputs_out,
        "pairs_total": len(pairs_out),
        "pairs": pairs_out[:MAX_PAIRS],
    }


def project_agreement(*, project: Project, max_items: int = DEFAULT_MAX_ITEMS) -> dict[str, Any]:
    """Agreement of the project's approved overlapping answers: per output (answer type) and per worker pair.

    JSON-serialisable::

        {"project": id, "items": n, "answers": n, "workers": n, "max_items": n,
         "outputs": [{"name", "type", "metric", "value", "items", "pairs", "observed_agreement", …}],
         "pairs_total": n, "pairs": [{"workers": [a, b], "items": n, "agreement": x, "outputs": {name: x}}]}
    """
    from dure.projects.selectors import spec_of

    answers = approved_overlap_answers(project=project, max_items=max_items)
    result = answers_agreement(spec_of(project), answers)
    return {"project": project.pk, "max_items": max_items, **result}
