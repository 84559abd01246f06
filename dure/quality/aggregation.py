"""Aggregation: one answer per item from several workers' answers (overlap > 1), with a confidence.

The algorithms here are plain numpy on integer-coded arrays, with no database in sight, so the benchmark
(bench/quality) runs them on a million labels as they are; ``answers_for_items`` and ``worker_skills``
are the reads that feed them from the work tables.

Classes (single choice, the choice of a pairwise comparison) — given as parallel arrays ``items``,
``workers``, ``labels`` (codes 0..n-1):

- ``majority_vote``: the most frequent label; confidence = its share of the votes.
- ``wawa`` (worker agreement with aggregate): majority vote, then each worker's skill is their agreement
  with it, then a vote weighted by skill; confidence = the winner's share of the weight.
- ``dawid_skene``: EM with a confusion matrix per worker (Dawid & Skene 1979), started from the majority
  vote's shares; confidence = the posterior of the chosen label. Each step is a few ``np.bincount`` calls
  over all labels at once: no Python loop over labels, items or workers.

Other answer types (per item, each worker weighted by skill):

- boxes and keypoints: ``fuse_shapes`` clusters shapes across workers by IoU (each worker contributes at
  most one shape per cluster, matched by the Hungarian algorithm), averages the coordinates weighted by
  skill, and keeps the clusters that a weighted majority of the workers drew. Polygons are clustered the
  same way, and each kept cluster takes the polygon of its most skilled member (vertex lists cannot be
  averaged). Time segments and transcription regions likewise, with the text of the most skilled member.
- spans, multi choice: each span or option is kept when a weighted majority chose it.
- ratings and numbers: the weighted median.
- free text, transcription, file uploads: ``best_by_skill``, the answer of the most skilled worker;
  confidence = how much the others agree with it (1 - CER for text).

An item's confidence is the lowest of its outputs' confidences: the weakest part decides whether a senior
reviewer must look at it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment

from dure.quality.agreement import SHAPE_TYPES, shape_similarity, symmetric_cer
from dure.quality.scoring import frame_ranges, label_at

#: a worker without measured quality yet
DEFAULT_SKILL = 0.7
_EPS = 1e-12
#: exp(x) keeps full float64 precision for x above this (it underflows to zero below about -745)
_SAFE_EXP = -700.0


@dataclass
class ClassResult:
    """Per item (0..n_items-1): the chosen label code, its confidence and the full label distribution."""

    labels: np.ndarray
    confidence: np.ndarray
    probabilities: np.ndarray
    #: per worker: agreement with the aggregate (Wawa) or accuracy from the confusion matrix (Dawid-Skene)
    skills: np.ndarray | None = None
    iterations: int = 0


def _check(items: np.ndarray, workers: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    items, workers, labels = (np.asarray(a, dtype=np.int64) for a in (items, workers, labels))
    if not items.shape == workers.shape == labels.shape:
        raise ValueError("items, workers and labels must have the same length")
    return items, workers, labels


def _sizes(
    items: np.ndarray, workers: np.ndarray, labels: np.ndarray, n_items: int | None, n_workers: int | None,
    n_classes: int | None,
) -> tuple[int, int, int]:  # fmt: skip
    def size(array: np.ndarray, given: int | None) -> int:
        return given if given is not None else (int(array.max()) + 1 if array.size else 0)

    return size(items, n_items), size(workers, n_workers), size(labels, n_classes)


def _weighted_counts(
    items: np.ndarray, labels: np.ndarray, weights: np.ndarray | None, n_items: int, n_classes: int
) -> np.ndarray:
    counts = np.bincount(items * n_classes + labels, weights=weights, minlength=n_items * n_classes)
    return counts.reshape(n_items, n_classes).astype(np.float64, copy=False)


def _from_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # einsum: numpy's sum(axis=1) along a short class axis is ~10x slower; and an item without labels
    # divides its zeros by 1 rather than going through a masked divide, several times slower
    totals = np.einsum("ij->i", counts)
    shares = counts / np.where(totals > 0, totals, 1.0)[:, None]
    # ties go to the lowest label code, so the result is deterministic
    chosen = shares.argmax(axis=1)
    confidence = shares.ravel()[np.arange(len(chosen)) * counts.shape[1] + chosen]
    return chosen, confidence, shares


def majority_vote(
    items: Any,
    workers: Any,
    labels: Any,
    *,
    n_items: int | None = None,
    n_classes: int | None = None,
    weights: Any = None,
) -> ClassResult:
    """The (optionally weighted) most frequent label per item; confidence is its share of the votes."""
    items, workers, labels = _check(items, workers, labels)
    n_items, _w, n_classes = _sizes(items, workers, labels, n_items, None, n_classes)
    counts = _weighted_counts(
        items, labels, None if weights is None else np.asarray(weights, dtype=float), n_items, n_classes
    )
    chosen, confidence, shares = _from_counts(counts)
    return ClassResult(labels=chosen, confidence=confidence, probabilities=shares)


def wawa(
    items: Any,
    workers: Any,
    labels: Any,
    *,
    n_items: int | None = None,
    n_workers: int | None = None,
    n_classes: int | None = None,
) -> ClassResult:
    """Worker Agreement With Aggregate: skill = share of a worker's labels equal to the majority vote."""
    items, workers, labels = _check(items, workers, labels)
    n_items, n_workers, n_classes = _sizes(items, workers, labels, n_items, n_workers, n_classes)
    first = majority_vote(items, workers, labels, n_items=n_items, n_classes=n_classes)
    agrees = (first.labels[items] == labels).astype(np.float64)
    given = np.bincount(workers, minlength=n_workers).astype(np.float64)
    skills = np.divide(
        np.bincount(workers, weights=agrees, minlength=n_workers),
        given,
        out=np.zeros(n_workers),
        where=given > 0,
    )
    result = majority_vote(
        items, workers, labels, n_items=n_items, n_classes=n_classes, weights=skills[workers]
    )
    result.skills = skills
    return result


def dawid_skene(
    items: Any,
    workers: Any,
    labels: Any,
    *,
    n_items: int | None = None,
    n_workers: int | None = None,
    n_classes: int | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-5,
    smoothing: float = 1.0,
) -> ClassResult:
    """Dawid-Skene EM: per-worker confusion matrices π[w, true, given] and class priors p, alternately
    estimated (M-step) and used to compute each item's posterior over the true label (E-step).

    Stops when the log-likelihood per label improves by less than ``tolerance`` or after
    ``max_iterations``. Worker skill is Σ_k p_k π[w, k, k], the chance their label is right.

    ``smoothing`` adds that many pseudo-counts to the diagonal of every confusion matrix (a weak prior
    that a worker is right more often than not). Without it, a worker seen on one item only has a
    confusion matrix that fits any truth equally well, and EM drifts such items to the majority class
    (a unanimous item can flip). On a real crowd a worker gives hundreds of labels and one pseudo-count
    changes nothing; ``smoothing=0`` is the textbook maximum-likelihood estimate (crowd-kit's).
    """
    items, workers, labels = _check(items, workers, labels)
    n_items, n_workers, n_classes = _sizes(items, workers, labels, n_items, n_workers, n_classes)
    k = n_classes
    posterior = majority_vote(items, workers, labels, n_items=n_items, n_classes=k).probabilities
    # Both steps are sums over labels grouped by (worker, given label) or by item: one sparse
    # (items x worker-label pairs) count matrix, built once, turns each into a single matrix product.
    pair = workers * k + labels
    counts = sparse.csr_matrix(
        (np.ones(len(items)), (items, pair)), shape=(n_items, n_workers * k), dtype=np.float64
    )
    # The M-step multiplies by the transpose as a CSC *view*, not a CSR copy: that product walks the
    # items in order and adds into the small (worker-label x class) table, which stays in cache, where a
    # CSR transpose reads the large posterior in random order (7x slower on 300,000 items x 10 classes).
    by_pair = counts.T
    per_item = np.bincount(items, minlength=n_items)
    answered = per_item > 0
    n_answered = int(answered.sum())
    every_item_answered = n_answered == n_items
    most_labels = int(per_item.max()) if n_items else 0
    previous = -np.inf
    iteration = 0
    priors = np.full(k, 1.0 / k)
    confusion = np.full((n_workers, k, k), 1.0 / k)
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (the count is reported)
        # M-step: π[w, t, l] ∝ Σ over w's labels l of the posterior of t. Reductions along the short
        # class axis go through einsum: numpy's sum(axis=1) on an (items x 10) array is ~10x slower.
        if n_answered:
            priors = np.einsum("ij->j", posterior) / n_answered
        confusion = np.asarray(by_pair @ posterior).reshape(n_workers, k, k).transpose(0, 2, 1)
        if smoothing:
            confusion = confusion + smoothing * np.eye(k)
        row_sums = confusion.sum(axis=2, keepdims=True)
        confusion = np.divide(confusion, row_sums, out=np.full_like(confusion, 1.0 / k), where=row_sums > 0)
        # E-step: log p_t + Σ over the item's labels of log π[w, t, given], normalised per item
        log_confusion = np.log(confusion + _EPS).transpose(0, 2, 1).reshape(n_workers * k, k)
        log_priors = np.log(priors + _EPS)
        posterior = np.asarray(counts @ log_confusion)
        posterior += log_priors
        # Every term is a log of at most 1 + ε, so exp cannot overflow, and while even the least likely
        # class of the item with the most labels stays above -700 it cannot underflow either (float64
        # underflows below -745): then the usual max-subtraction pass (the slowest step, a max along
        # the class axis) is skipped. Beyond that bound, the stable log-sum-exp.
        floor = float(log_priors.min()) + most_labels * min(float(log_confusion.min(initial=0.0)), 0.0)
        top = None
        if floor < _SAFE_EXP:
            top = posterior.max(axis=1, keepdims=True)
            posterior -= top
        np.exp(posterior, out=posterior)
        norm = np.einsum("ij->i", posterior)
        evidence = np.log(norm)
        posterior /= norm[:, None]
        if top is not None:
            evidence += top[:, 0]
        if not every_item_answered:
            posterior[~answered] = 0.0
            evidence = evidence[answered]
        # per label, like crowd-kit's stopping rule, so ``tolerance`` means the same whatever the size
        log_likelihood = float(evidence.sum()) / max(1, len(labels))
        if log_likelihood - previous < tolerance:
            break
        previous = log_likelihood
    chosen = posterior.argmax(axis=1)
    skills = np.einsum("k,wkk->w", priors, confusion)
    return ClassResult(
        labels=chosen,
        confidence=posterior[np.arange(n_items), chosen],
        probabilities=posterior,
        skills=skills,
        iterations=iteration,
    )


# --- per item, other answer types ------------------------------------------------------------------------


@dataclass
class Vote:
    """One worker's answer to one output of one item, with that worker's skill as its weight."""

    worker_id: int
    value: Any
    skill: float = DEFAULT_SKILL


@dataclass
class Aggregate:
    value: Any
    confidence: float
    detail: dict[str, Any] = field(default_factory=dict)


def _weights(votes: Sequence[Vote]) -> np.ndarray:
    # a worker measured as worse than nobody still counts a little: the vote is theirs
    return np.array([max(v.skill, 0.01) for v in votes], dtype=float)


def best_by_skill(votes: Sequence[Vote], *, kind: str = "text") -> Aggregate:
    """The most skilled worker's answer (ties: the lowest worker id); confidence = the others' agreement."""
    best = max(votes, key=lambda v: (v.skill, -v.worker_id))
    others = [v for v in votes if v is not best]
    if not others:
        return Aggregate(best.value, 1.0, {"worker": best.worker_id})
    if kind in {"text", "transcription"}:
        agreement = [1.0 - symmetric_cer(str(best.value or ""), str(v.value or "")) for v in others]
    else:
        agreement = [float(_canonical(v.value) == _canonical(best.value)) for v in others]
    return Aggregate(best.value, float(np.mean(agreement)), {"worker": best.worker_id})


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_canonical(v) for v in value)
    return value


def weighted_vote(votes: Sequence[Vote]) -> Aggregate:
    """The value with the most weight (values compared as JSON); confidence = its share of the weight."""
    weights = _weights(votes)
    totals: dict[Any, float] = {}
    first: dict[Any, Any] = {}
    for vote, weight in zip(votes, weights, strict=True):
        key = _canonical(vote.value)
        totals[key] = totals.get(key, 0.0) + weight
        first.setdefault(key, vote.value)
    key = max(totals, key=lambda k: (totals[k], -list(totals).index(k)))
    return Aggregate(first[key], totals[key] / float(weights.sum()), {"support": round(totals[key], 4)})


def weighted_median(votes: Sequence[Vote], *, integer: bool = False) -> Aggregate:
    """The weighted median; confidence = the weight share of answers equal to it (within 1% for floats)."""
    values = np.array([float(v.value) for v in votes])
    weights = _weights(votes)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    median = float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    close = np.abs(values - median) <= (0 if integer else 0.01 * max(1.0, abs(median)))
    value: Any = round(median) if integer else median
    return Aggregate(value, float(weights[close].sum() / weights.sum()))


def set_vote(votes: Sequence[Vote], key: Any = None) -> Aggregate:
    """Members (options, spans) chosen by a weighted majority; confidence = the least clear decision."""
    weights = _weights(votes)
    total = float(weights.sum())
    support: dict[Any, float] = {}
    example: dict[Any, Any] = {}
    for vote, weight in zip(votes, weights, strict=True):
        # a worker who lists the same member twice is counted once
        mine: dict[Any, Any] = {}
        for member in vote.value if isinstance(vote.value, list) else []:
            mine.setdefault(key(member) if key else member, member)
        for identity, member in mine.items():
            support[identity] = support.get(identity, 0.0) + weight
            example.setdefault(identity, member)
    kept = [example[m] for m, s in support.items() if s / total > 0.5]
    clarity = [max(s / total, 1 - s / total) for s in support.values()]
    return Aggregate(kept, min(clarity, default=1.0), {"candidates": len(support)})


def frame_vote(votes: Sequence[Vote]) -> Aggregate:
    """Video frame classes: each stretch of frames gets the class with the most weight behind it (a worker
    who left it unclassified votes for no class). Confidence is the smallest winning share over the
    stretches anyone classified; works on range boundaries, so a long video costs no more than a clip."""
    weights = _weights(votes)
    answers = [frame_ranges(v.value) for v in votes]
    starts = [[r[0] for r in a] for a in answers]
    points = sorted({p for a in answers for r in a for p in (r[0], r[1] + 1)})
    total = float(weights.sum())
    chosen: list[dict[str, Any]] = []
    clarity = 1.0
    for low, high in itertools.pairwise(points):
        tally: dict[Any, float] = {}
        for answer, first_frames, weight in zip(answers, starts, weights, strict=True):
            label = label_at(answer, first_frames, low)
            tally[label] = tally.get(label, 0.0) + float(weight)
        if set(tally) == {None}:
            continue
        label = max(tally, key=lambda k: (tally[k], k is not None, str(k)))
        clarity = min(clarity, tally[label] / total)
        if label is None:
            continue
        if chosen and chosen[-1]["label"] == label and chosen[-1]["end_frame"] == low - 1:
            chosen[-1]["end_frame"] = high - 1
        else:
            chosen.append({"start_frame": low, "end_frame": high - 1, "label": label})
    return Aggregate(chosen, clarity, {"ranges": len(chosen)})


def _span_key(span: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (span.get("start"), span.get("end"), span.get("label"))


def fuse_shapes(kind: str, votes: Sequence[Vote], *, threshold: float | None = None) -> Aggregate:
    """Clusters shapes across workers by IoU and fuses each cluster a weighted majority drew.

    Workers are taken most skilled first; each worker's shapes are matched to the clusters so far by the
    Hungarian algorithm on IoU with each cluster's current fused shape (same label, IoU ≥ threshold), and
    unmatched shapes start new clusters. Confidence is the least clear keep-or-drop decision:
    min over clusters of max(support, 1 - support), support being the cluster's share of the weight.
    """
    from dure.quality.scoring import MATCH_IOU

    if threshold is None:
        threshold = 1e-9 if kind == "keypoints" else MATCH_IOU
    ordered = sorted(votes, key=lambda v: (-v.skill, v.worker_id))
    weights = dict(zip((v.worker_id for v in ordered), _weights(ordered), strict=True))
    total = float(sum(weights.values()))
    clusters: list[dict[str, Any]] = []
    shape_kind = "boxes" if kind == "transcription_regions" else kind
    for vote in ordered:
        shapes = [s for s in (vote.value or []) if isinstance(s, dict)]
        if not shapes:
            continue
        free = list(range(len(shapes)))
        if clusters:
            fused = [c["shape"] for c in clusters]
            iou = shape_similarity(shape_kind, shapes, fused)
            same = np.array([[s.get("label") == f.get("label") for f in fused] for s in shapes], dtype=bool)
            usable = np.where(same & (iou >= threshold), iou, 0.0)
            rows, cols = linear_sum_assignment(usable, maximize=True)
            for i, j in zip(rows, cols, strict=True):
                if usable[i, j] > 0:
                    clusters[j]["members"].append((vote.worker_id, shapes[i], float(iou[i, j])))
                    clusters[j]["shape"] = _fuse(kind, clusters[j]["members"], weights)
                    free.remove(int(i))
        for i in free:
            clusters.append({"members": [(vote.worker_id, shapes[i], 1.0)], "shape": dict(shapes[i])})
    kept, clarity = [], []
    for cluster in clusters:
        support = sum(weights[w] for w, _s, _v in cluster["members"]) / total
        clarity.append(max(support, 1.0 - support))
        if support > 0.5:
            kept.append(cluster["shape"])
    detail = {"clusters": len(clusters), "kept": len(kept)}
    return Aggregate(kept, min(clarity, default=1.0), detail)


def _fuse(kind: str, members: list[tuple[int, dict[str, Any], float]], weights: dict[int, float]) -> dict:
    """The cluster's shape: skill-weighted mean coordinates, or the most skilled member's polygon/text."""
    weight = np.array([weights[w] for w, _s, _v in members])
    best = members[int(np.argmax(weight))][1]
    fused = dict(best)
    if kind in {"boxes", "transcription_regions"} and all("points" not in s for _w, s, _v in members):
        corners = np.array(
            [[s["x"], s["y"], s["x"] + s["width"], s["y"] + s["height"]] for _w, s, _v in members]
        )
        x0, y0, x1, y1 = (weight @ corners) / weight.sum()
        fused.update(x=round(float(x0), 2), y=round(float(y0), 2))
        fused.update(width=round(float(x1 - x0), 2), height=round(float(y1 - y0), 2))
    elif kind == "keypoints":
        points = np.array([[s["x"], s["y"]] for _w, s, _v in members])
        x, y = (weight @ points) / weight.sum()
        fused.update(x=round(float(x), 2), y=round(float(y), 2))
    elif kind == "time_segments":
        bounds = np.array([[s["start"], s["end"]] for _w, s, _v in members])
        start, end = (weight @ bounds) / weight.sum()
        fused.update(start=round(float(start), 3), end=round(float(end), 3))
    return fused


# --- a whole answer --------------------------------------------------------------------------------------

#: outputs whose answer is a class: aggregated across the project by majority vote, Wawa or Dawid-Skene
CLASS_TYPES = {"single_choice", "pairwise"}


def class_value(kind: str, value: Any) -> Any:
    """The class an answer names (a pairwise answer's choice), or None."""
    if kind == "pairwise":
        return value.get("choice") if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def aggregate_output(output: Any, votes: Sequence[Vote]) -> Aggregate:
    """One output of one item, by the method its answer type calls for (classes: skill-weighted vote)."""
    kind = output.type
    present = [v for v in votes if v.value is not None]
    if not present:
        return Aggregate(None, 1.0)
    if kind == "single_choice":
        return weighted_vote(present)
    if kind == "pairwise":
        choice = weighted_vote([Vote(v.worker_id, class_value(kind, v.value), v.skill) for v in present])
        value: dict[str, Any] = {"choice": choice.value}
        strengths = [
            Vote(v.worker_id, v.value["strength"], v.skill)
            for v in present
            if isinstance(v.value, dict) and v.value.get("choice") == choice.value and "strength" in v.value
        ]
        if strengths:
            value["strength"] = weighted_median(strengths, integer=True).value
        return Aggregate(value, choice.confidence, choice.detail)
    if kind == "multi_choice":
        found = set_vote(present)
        order = {o.value: n for n, o in enumerate(output.options)}
        return Aggregate(sorted(found.value, key=lambda o: order.get(o, 0)), found.confidence, found.detail)
    if kind == "spans":
        found = set_vote(present, key=_span_key)
        return Aggregate(sorted(found.value, key=_span_key), found.confidence, found.detail)
    if kind == "number":
        return weighted_median(present, integer=bool(output.integer))
    if kind == "rating":
        if output.criteria:
            parts = {
                c.value: weighted_median(
                    [Vote(v.worker_id, v.value[c.value], v.skill) for v in present if c.value in v.value],
                    integer=True,
                )
                for c in output.criteria
                if any(isinstance(v.value, dict) and c.value in v.value for v in present)
            }
            return Aggregate(
                {k: p.value for k, p in parts.items()},
                min((p.confidence for p in parts.values()), default=1.0),
            )
        return weighted_median(present, integer=True)
    if kind in SHAPE_TYPES or kind in {"time_segments", "transcription_regions"}:
        return fuse_shapes(kind, present)
    if kind == "frame_labels":
        return frame_vote(present)
    return best_by_skill(present, kind=kind)


def aggregate_answer(
    spec: Any, votes: Sequence[Vote], *, classes: dict[str, Aggregate] | None = None
) -> Aggregate:
    """A whole answer from each worker's answer dict; ``classes`` overrides class outputs (project-level
    Dawid-Skene or Wawa results). Confidence is the lowest output confidence."""
    answer: dict[str, Any] = {}
    confidences: dict[str, float] = {}
    for output in spec.outputs:
        found = aggregate_output(
            output,
            [
                Vote(v.worker_id, v.value.get(output.name), v.skill)
                for v in votes
                if isinstance(v.value, dict)
            ],
        )
        if classes and output.name in classes:
            chosen = classes[output.name]
            if output.type == "pairwise" and isinstance(found.value, dict):
                # the project-level method decides the choice; strength stays the item's own median
                same = found.value.get("choice") == chosen.value.get("choice")
                extra = {k: v for k, v in found.value.items() if k != "choice" and same}
                chosen = Aggregate({**chosen.value, **extra}, chosen.confidence, chosen.detail)
            found = chosen
        if found.value is not None:
            answer[output.name] = found.value
        confidences[output.name] = round(float(found.confidence), 4)
    return Aggregate(answer, min(confidences.values(), default=1.0), {"outputs": confidences})


def encode(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Integer codes for hashable values, and the values in code order."""
    codes: dict[Any, int] = {}
    encoded = np.fromiter(
        (codes.setdefault(v, len(codes)) for v in values), dtype=np.int64, count=len(values)
    )
    return encoded, list(codes)


# --- reads that feed the algorithms ----------------------------------------------------------------------


def worker_skills(*, project_id: int, worker_ids: Sequence[int]) -> dict[int, float]:
    """Each worker's chance of being right on the project, from quality scores in two grouped queries:
    gold accuracy when they answered gold items, else first-pass approval, Laplace-smoothed so a few
    results do not make anybody 0 or 1; ``DEFAULT_SKILL`` for someone with neither yet."""
    from django.db.models import Count, Q

    from dure.quality.models import GoldResult
    from dure.work.models import Decision, Review, ReviewState

    ids = sorted(set(worker_ids))
    gold = {
        row["worker_id"]: (row["passed"], row["total"])
        for row in GoldResult.objects.filter(project_id=project_id, worker_id__in=ids)
        .values("worker_id")
        .annotate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
    }
    first = {
        row["submission__worker_id"]: (row["approved"], row["total"])
        for row in Review.objects.filter(
            project_id=project_id,
            state=ReviewState.DECIDED,
            submission__version=1,
            submission__worker_id__in=ids,
        )
        .values("submission__worker_id")
        .annotate(total=Count("id"), approved=Count("id", filter=Q(decision=Decision.APPROVE)))
    }
    skills = {}
    for worker_id in ids:
        right, total = gold.get(worker_id) or first.get(worker_id) or (0, 0)
        skills[worker_id] = (right + 1) / (total + 2) if total else DEFAULT_SKILL
    return skills


def approved_votes(*, item_ids: Sequence[int]) -> dict[int, list[Vote]]:
    """Item → its approved answers (skill not filled in yet), for items with two or more of them."""
    from dure.work.models import Submission, SubmissionState

    by_item: dict[int, list[Vote]] = {}
    rows = (
        Submission.objects.filter(item_id__in=list(item_ids), state=SubmissionState.APPROVED)
        .order_by("item_id", "worker_id")
        .values_list("item_id", "worker_id", "answer")
    )
    for item_id, worker_id, answer in rows:
        by_item.setdefault(item_id, []).append(Vote(worker_id, answer if isinstance(answer, dict) else {}))
    return {k: v for k, v in by_item.items() if len(v) >= 2}


def project_class_results(
    spec: Any, votes: dict[int, list[Vote]], *, method: str = "dawid_skene"
) -> dict[int, dict[str, Aggregate]]:
    """Item → output name → the project-level result for every class output (Dawid-Skene or Wawa)."""
    results: dict[int, dict[str, Aggregate]] = {item_id: {} for item_id in votes}
    item_ids = list(votes)
    item_code = {item_id: n for n, item_id in enumerate(item_ids)}
    for output in spec.outputs:
        if output.type not in CLASS_TYPES:
            continue
        rows = [
            (item_code[item_id], vote.worker_id, class_value(output.type, vote.value.get(output.name)))
            for item_id, item_votes in votes.items()
            for vote in item_votes
        ]
        rows = [r for r in rows if r[2] is not None]
        if not rows:
            continue
        items = np.array([r[0] for r in rows], dtype=np.int64)
        workers, _worker_ids = encode([r[1] for r in rows])
        labels, classes = encode([r[2] for r in rows])
        run = dawid_skene if method == "dawid_skene" else wawa
        found = run(items, workers, labels, n_items=len(item_ids), n_classes=len(classes))
        answered = np.bincount(items, minlength=len(item_ids)) > 0
        for code in np.flatnonzero(answered):
            label = classes[int(found.labels[code])]
            value: Any = {"choice": label} if output.type == "pairwise" else label
            confidence = float(found.confidence[code])
            results[item_ids[code]][output.name] = Aggregate(value, confidence, {"method": method})
    return results
