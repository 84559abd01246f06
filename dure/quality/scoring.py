"""Scoring an answer against a known answer, per output type, with feedback a person can read.

Used by the Academy (practice feedback, exams) and by gold items. Every output gets a score in [0, 1] and a
``correct`` flag; the numbers behind them (IoU, span F1, character error rate, difference) come along so a
page can show what was right and what was wrong.

- boxes, polygons, keypoints, transcription regions: shapes are matched one-to-one, best IoU first (a
  match needs IoU ≥ ``MATCH_IOU`` and the same label); the score is Σ IoU of matches / max(#expected,
  #given), so a missed shape and an extra shape both cost. Keypoints match within ``KEYPOINT_RADIUS``.
- spans: F1 of exact (start, end, label) matches.
- text and transcription: 1 - character error rate (Levenshtein distance / expected length), after
  collapsing whitespace; correct when CER ≤ ``MAX_CER``.
- single choice, pairwise: exact match. Multi choice: Jaccard of the sets; correct only when equal.
- number: correct within ``tolerance`` (absolute; default 0, or 1% of the expected value for floats).
- rating: correct within ``rating_tolerance`` steps (default 0); score falls linearly over the scale.
- time segments: like boxes on the time axis (1-D IoU), with CER on the text when transcribed.
- frame labels (video frame classification): the share of frames given the same class, among the frames
  that either answer classifies; the frames classified wrongly or left out come back as ranges.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from dure.projects.spec import InterfaceSpec

MATCH_IOU = 0.5
MAX_CER = 0.1
KEYPOINT_RADIUS = 10.0
#: an output scoring at least this is counted right
CORRECT_SCORE = 0.8


@dataclass
class OutputScore:
    name: str
    type: str
    score: float
    correct: bool
    metric: str
    value: float | None
    expected: Any
    given: Any
    #: per-shape or per-span detail: matched pairs, misses and extras
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AnswerScore:
    score: float
    correct: bool
    outputs: list[OutputScore]

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "correct": self.correct,
            "outputs": [o.as_dict() for o in self.outputs],
        }


# --- geometry --------------------------------------------------------------------------------------------


def box_iou(a: dict[str, Any], b: dict[str, Any]) -> float:
    ax2, ay2 = a["x"] + a["width"], a["y"] + a["height"]
    bx2, by2 = b["x"] + b["width"], b["y"] + b["height"]
    iw = max(0.0, min(ax2, bx2) - max(a["x"], b["x"]))
    ih = max(0.0, min(ay2, by2) - max(a["y"], b["y"]))
    inter = iw * ih
    union = a["width"] * a["height"] + b["width"] * b["height"] - inter
    return float(inter / union) if union > 0 else 0.0


def _polygon_mask(points: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Even-odd rule point-in-polygon for every grid point (vectorised over the grid)."""
    px, py = xs[None, :], ys[:, None]
    inside = np.zeros((len(ys), len(xs)), dtype=bool)
    x1, y1 = points[:, 0], points[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    for i in range(len(points)):
        if y1[i] == y2[i]:
            continue
        crosses = (y1[i] > py) != (y2[i] > py)
        x_at = x1[i] + (py - y1[i]) * (x2[i] - x1[i]) / (y2[i] - y1[i])
        inside ^= crosses & (px < x_at)
    return inside


def polygon_iou(a: list[list[float]], b: list[list[float]], resolution: int = 256) -> float:
    """IoU of two simple polygons by rasterising both on one grid over their joint bounds (±1%)."""
    pa, pb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = np.vstack([pa, pb])
    low, high = both.min(axis=0), both.max(axis=0)
    if np.any(high - low <= 0):
        return 0.0
    xs = low[0] + (np.arange(resolution) + 0.5) * (high[0] - low[0]) / resolution
    ys = low[1] + (np.arange(resolution) + 0.5) * (high[1] - low[1]) / resolution
    ma, mb = _polygon_mask(pa, xs, ys), _polygon_mask(pb, xs, ys)
    union = np.count_nonzero(ma | mb)
    return float(np.count_nonzero(ma & mb) / union) if union else 0.0


def _shape_iou(kind: str, a: dict[str, Any], b: dict[str, Any]) -> float:
    if kind == "polygons" or ("points" in a and "points" in b):
        return polygon_iou(a["points"], b["points"])
    if kind == "keypoints":
        distance = math.hypot(a["x"] - b["x"], a["y"] - b["y"])
        return max(0.0, 1.0 - distance / KEYPOINT_RADIUS)
    if "points" in a or "points" in b:
        return polygon_iou(_as_points(a), _as_points(b))
    return box_iou(a, b)


def _as_points(shape: dict[str, Any]) -> list[list[float]]:
    if "points" in shape:
        return shape["points"]
    x, y, w, h = shape["x"], shape["y"], shape["width"], shape["height"]
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def interval_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def _match(
    expected: list[dict[str, Any]], given: list[dict[str, Any]], iou: Any, threshold: float
) -> tuple[list[tuple[int, int, float]], list[int], list[int]]:
    """Greedy one-to-one matching, best IoU first; labels must agree."""
    pairs = []
    for i, e in enumerate(expected):
        for j, g in enumerate(given):
            if e.get("label") != g.get("label"):
                continue
            value = iou(e, g)
            if value >= threshold:
                pairs.append((value, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_e: set[int] = set()
    used_g: set[int] = set()
    matches = []
    for value, i, j in pairs:
        if i in used_e or j in used_g:
            continue
        used_e.add(i)
        used_g.add(j)
        matches.append((i, j, round(value, 4)))
    missed = [i for i in range(len(expected)) if i not in used_e]
    extra = [j for j in range(len(given)) if j not in used_g]
    return matches, missed, extra


# --- frames ----------------------------------------------------------------------------------------------


def frame_ranges(value: Any) -> list[tuple[int, int, Any]]:
    """An answer's well-formed frame ranges as sorted ``(first, last, label)``."""
    out = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict):
            start, end = entry.get("start_frame"), entry.get("end_frame")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end:
                out.append((start, end, entry.get("label")))
    return sorted(out, key=lambda r: (r[0], r[1]))


def label_at(ranges: list[tuple[int, int, Any]], starts: list[int], frame: int) -> Any:
    """The class of ``frame`` in sorted, non-overlapping ranges (``starts``: their first frames), or None."""
    i = bisect.bisect_right(starts, frame) - 1
    return ranges[i][2] if i >= 0 and ranges[i][1] >= frame else None


def frame_agreement(expected: Any, given: Any) -> dict[str, Any]:
    """Frames both answers classify alike, frames either classifies, and where they differ, as ranges
    ``[first, last, expected label, given label]``: ``missed`` (not classified), ``wrong`` (another class)
    and ``extra`` (classified where the expected answer has no class).

    Works on the ranges' boundaries, never frame by frame, so an hour of video costs no more than a clip.
    """
    e, g = frame_ranges(expected), frame_ranges(given)
    e_starts, g_starts = [r[0] for r in e], [r[0] for r in g]
    points = sorted({p for r in e + g for p in (r[0], r[1] + 1)})
    same = union = 0
    differ: dict[str, list[list[Any]]] = {"missed": [], "wrong": [], "extra": []}
    for low, high in itertools.pairwise(points):
        want, got = label_at(e, e_starts, low), label_at(g, g_starts, low)
        if want is None and got is None:
            continue
        length = high - low
        union += length
        if want == got:
            same += length
            continue
        bucket = differ["missed" if got is None else "extra" if want is None else "wrong"]
        if bucket and bucket[-1][1] == low - 1 and bucket[-1][2:] == [want, got]:
            bucket[-1][1] = high - 1
        else:
            bucket.append([low, high - 1, want, got])
    return {"same": same, "union": union, **differ}


# --- text ------------------------------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    """Edit distance, one row at a time with numpy (O(len(a)·len(b)) time, O(len(b)) memory)."""
    if a == b:
        return 0
    if not a:
        return len(b)
    if not b:
        return len(a)
    target = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    previous = np.arange(len(b) + 1, dtype=np.int64)
    for i, char in enumerate(a, start=1):
        substitution = previous[:-1] + (target != ord(char))
        deletion = previous[1:] + 1
        row = np.empty_like(previous)
        row[0] = i
        row[1:] = np.minimum(substitution, deletion)
        # insertions run left to right: a running minimum of row[k] - k, shifted back
        offsets = np.arange(len(b) + 1)
        row = np.minimum.accumulate(row - offsets) + offsets
        previous = row
    return int(previous[-1])


def normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def character_error_rate(expected: str, given: str) -> float:
    """Levenshtein distance over the expected length (whitespace collapsed); may exceed 1."""
    e, g = normalise_text(expected), normalise_text(given)
    if not e:
        return 0.0 if not g else 1.0
    return levenshtein(e, g) / len(e)


def span_f1(expected: list[dict[str, Any]], given: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of exact (start, end, label) matches. Two empty lists agree fully."""
    e = {(s["start"], s["end"], s.get("label")) for s in expected}
    g = {(s["start"], s["end"], s.get("label")) for s in given}
    if not e and not g:
        return 1.0, 1.0, 1.0
    hits = len(e & g)
    precision = hits / len(g) if g else 0.0
    recall = hits / len(e) if e else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- per output ------------------------------------------------------------------------------------------


def _shapes_score(kind: str, expected: list, given: list) -> tuple[float, dict[str, Any]]:
    if not expected and not given:
        return 1.0, {"matches": [], "missed": [], "extra": []}
    threshold = 1e-9 if kind == "keypoints" else MATCH_IOU
    matches, missed, extra = _match(expected, given, lambda a, b: _shape_iou(kind, a, b), threshold)
    total = sum(value for _i, _j, value in matches)
    score = total / max(len(expected), len(given))
    mean_iou = total / len(matches) if matches else 0.0
    return score, {
        "matches": [{"expected": i, "given": j, "iou": v} for i, j, v in matches],
        "missed": missed,
        "extra": extra,
        "mean_iou": round(mean_iou, 4),
    }


def score_output(
    output: Any, expected: Any, given: Any, *, options: dict[str, Any] | None = None
) -> OutputScore:
    options = options or {}
    kind = output.type
    name = output.name

    def result(score: float, metric: str, value: float | None, correct: bool | None = None, **detail: Any):
        score = float(min(1.0, max(0.0, score)))
        return OutputScore(
            name=name,
            type=kind,
            score=round(score, 4),
            correct=bool(score >= CORRECT_SCORE if correct is None else correct),
            metric=metric,
            value=None if value is None else round(float(value), 4),
            expected=expected,
            given=given,
            detail=detail,
        )

    empty = given is None or given == "" or given == []
    if expected in (None, "", []) and empty:
        return result(1.0, "exact", 1.0, True)
    if kind in {"single_choice"}:
        same = given == expected
        return result(float(same), "exact", float(same), same)
    if kind == "pairwise":
        same = isinstance(given, dict) and given.get("choice") == (expected or {}).get("choice")
        return result(float(same), "exact", float(same), same)
    if kind == "multi_choice":
        e, g = set(expected or []), set(given or []) if isinstance(given, list) else set()
        jaccard = len(e & g) / len(e | g) if e | g else 1.0
        return result(jaccard, "jaccard", jaccard, e == g, missing=sorted(e - g), extra=sorted(g - e))
    if kind in {"text", "transcription"}:
        cer = character_error_rate(str(expected or ""), given if isinstance(given, str) else "")
        limit = options.get("max_cer", MAX_CER)
        return result(1.0 - cer, "cer", cer, cer <= limit)
    if kind == "number":
        if not isinstance(given, int | float) or isinstance(given, bool):
            return result(0.0, "difference", None, False)
        tolerance = options.get("tolerance")
        if tolerance is None:
            tolerance = 0.0 if isinstance(expected, int) else abs(expected) * 0.01
        difference = abs(float(given) - float(expected))
        ok = difference <= tolerance + 1e-12
        scale = max(abs(float(expected)), 1.0)
        return result(1.0 if ok else max(0.0, 1.0 - difference / scale), "difference", difference, ok)
    if kind == "rating":
        tolerance = options.get("rating_tolerance", 0)
        span = max(1, output.max - output.min)
        if isinstance(expected, dict):
            given_map = given if isinstance(given, dict) else {}
            differences = {
                k: abs(given_map[k] - v) if isinstance(given_map.get(k), int) else span
                for k, v in expected.items()
            }
            worst = max(differences.values(), default=0)
            mean = sum(differences.values()) / max(1, len(differences))
            return result(
                1.0 - mean / span, "difference", worst, worst <= tolerance, per_criterion=differences
            )
        difference = abs(given - expected) if isinstance(given, int) else span
        return result(1.0 - difference / span, "difference", difference, difference <= tolerance)
    if kind in {"boxes", "polygons", "keypoints"}:
        score, detail = _shapes_score(kind, list(expected or []), list(given or []))
        correct = not detail["missed"] and not detail["extra"] and score >= options.get("min_score", 0.7)
        return result(score, "iou", detail.get("mean_iou", 1.0), correct, **detail)
    if kind == "transcription_regions":
        e_list, g_list = list(expected or []), list(given or [])
        score, detail = _shapes_score("boxes", e_list, g_list)
        cers = [
            character_error_rate(e_list[m["expected"]].get("text", ""), g_list[m["given"]].get("text", ""))
            for m in detail["matches"]
        ]
        mean_cer = sum(cers) / len(cers) if cers else (0.0 if not e_list else 1.0)
        detail["cer"] = [round(c, 4) for c in cers]
        combined = score * (1.0 - min(1.0, mean_cer))
        correct = not detail["missed"] and not detail["extra"] and mean_cer <= MAX_CER
        return result(combined, "iou_cer", mean_cer, correct, **detail)
    if kind == "spans":
        precision, recall, f1 = span_f1(list(expected or []), list(given or []))
        e = {(s["start"], s["end"], s.get("label")) for s in expected or []}
        g = {(s["start"], s["end"], s.get("label")) for s in given or []}
        return result(
            f1,
            "f1",
            f1,
            e == g,
            precision=round(precision, 4),
            recall=round(recall, 4),
            missed=[list(s) for s in sorted(e - g, key=str)],
            extra=[list(s) for s in sorted(g - e, key=str)],
        )
    if kind == "time_segments":
        e_list, g_list = list(expected or []), list(given or [])
        if not e_list and not g_list:
            return result(1.0, "iou", 1.0, True)
        matches, missed, extra = _match(
            e_list,
            g_list,
            lambda a, b: interval_iou((a["start"], a["end"]), (b["start"], b["end"])),
            MATCH_IOU,
        )
        total = sum(v for _i, _j, v in matches)
        score = total / max(len(e_list), len(g_list))
        cers = [
            character_error_rate(e_list[i].get("text", ""), g_list[j].get("text", ""))
            for i, j, _v in matches
            if "text" in e_list[i]
        ]
        if cers:
            score *= 1.0 - min(1.0, sum(cers) / len(cers))
        correct = not missed and not extra and score >= CORRECT_SCORE
        return result(
            score,
            "iou",
            total / len(matches) if matches else 0.0,
            correct,
            matches=[{"expected": i, "given": j, "iou": v} for i, j, v in matches],
            missed=missed,
            extra=extra,
        )
    if kind == "frame_labels":
        found = frame_agreement(expected, given)
        accuracy = found["same"] / found["union"] if found["union"] else 1.0
        return result(
            accuracy,
            "frame_accuracy",
            accuracy,
            accuracy >= CORRECT_SCORE,
            missed=found["missed"],
            wrong=found["wrong"],
            extra=found["extra"],
        )
    # Uploaded files have no known answer to compare with: present counts as right.
    return result(0.0 if empty else 1.0, "present", 0.0 if empty else 1.0)


def score_answer(
    spec: InterfaceSpec, expected: dict[str, Any], given: Any, *, options: dict[str, Any] | None = None
) -> AnswerScore:
    """Scores every output the known answer names (outputs it leaves out are not graded)."""
    given = given if isinstance(given, dict) else {}
    outputs = [
        score_output(output, expected.get(output.name), given.get(output.name), options=options)
        for output in spec.outputs
        if output.name in expected
    ]
    if not outputs:
        return AnswerScore(score=1.0, correct=True, outputs=[])
    score = round(sum(o.score for o in outputs) / len(outputs), 4)
    return AnswerScore(score=score, correct=all(o.correct for o in outputs), outputs=outputs)
