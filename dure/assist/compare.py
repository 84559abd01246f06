"""How far a final answer is from the suggestion it started from.

``compare`` gives a similarity (1.0: the suggestion was kept as it was, 0.0: nothing of it), the number of
regions added, removed, moved or retyped, and the characters edited. Regions are matched greedily by the
overlap (IoU) of their bounding boxes; a region counts as kept when the overlap is at least 0.5.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REGION_TYPES = {"boxes", "polygons", "keypoints", "transcription_regions"}
INTERVAL_TYPES = {"spans", "time_segments"}
MATCH_IOU = 0.5
#: above this many characters the exact edit distance is estimated (the exact one is quadratic)
EXACT_UP_TO = 2000


@dataclass(frozen=True)
class Difference:
    similarity: float
    changed_regions: int
    edit_distance: int


def edit_distance(a: str, b: str) -> int:
    if a == b:
        return 0
    if len(a) > EXACT_UP_TO or len(b) > EXACT_UP_TO:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        kept = sum(block.size for block in matcher.get_matching_blocks())
        return max(len(a), len(b)) - kept
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def text_similarity(a: str, b: str) -> tuple[float, int]:
    distance = edit_distance(a, b)
    longest = max(len(a), len(b))
    return (1.0 - distance / longest if longest else 1.0), distance


def _bounds(region: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(region, dict):
        return None
    try:
        if isinstance(region.get("points"), list) and region["points"]:
            xs = [float(p[0]) for p in region["points"]]
            ys = [float(p[1]) for p in region["points"]]
            return min(xs), min(ys), max(xs), max(ys)
        if "width" in region:
            x, y = float(region["x"]), float(region["y"])
            return x, y, x + float(region["width"]), y + float(region["height"])
        x, y = float(region["x"]), float(region["y"])
        return x - 5, y - 5, x + 5, y + 5  # a keypoint matches one within a few pixels
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _regions(suggested: list[Any], final: list[Any]) -> Difference:
    if not suggested and not final:
        return Difference(1.0, 0, 0)
    pairs = []
    for i, s in enumerate(suggested):
        sb = _bounds(s)
        for j, f in enumerate(final):
            fb = _bounds(f)
            if sb is not None and fb is not None:
                overlap = _iou(sb, fb)
                if overlap >= MATCH_IOU:
                    pairs.append((overlap, i, j))
    pairs.sort(reverse=True)
    used_s: set[int] = set()
    used_f: set[int] = set()
    kept = 0.0
    changed = 0
    distance = 0
    for _overlap, i, j in pairs:
        if i in used_s or j in used_f:
            continue
        used_s.add(i)
        used_f.add(j)
        s, f = suggested[i], final[j]
        quality = 1.0
        if isinstance(s.get("text"), str) or isinstance(f.get("text"), str):
            quality, chars = text_similarity(str(s.get("text") or ""), str(f.get("text") or ""))
            distance += chars
        if s.get("label") != f.get("label"):
            quality = 0.0
        if quality < 1.0 or _bounds(s) != _bounds(f):
            changed += 1
        kept += quality
    changed += (len(suggested) - len(used_s)) + (len(final) - len(used_f))
    for j, f in enumerate(final):
        if j not in used_f and isinstance(f, dict) and isinstance(f.get("text"), str):
            distance += len(f["text"])
    return Difference(2 * kept / (len(suggested) + len(final)), changed, distance)


def _intervals(suggested: list[Any], final: list[Any]) -> Difference:
    def key(entry: Any) -> tuple[Any, ...]:
        if not isinstance(entry, dict):
            return (repr(entry),)
        return (entry.get("start"), entry.get("end"), entry.get("label"), entry.get("text"))

    s = [key(e) for e in suggested]
    f = [key(e) for e in final]
    if not s and not f:
        return Difference(1.0, 0, 0)
    common = len(set(s) & set(f))
    return Difference(2 * common / (len(s) + len(f)), len(s) + len(f) - 2 * common, 0)


def compare_output(kind: str, suggested: Any, final: Any) -> Difference:
    if kind in REGION_TYPES and isinstance(suggested, list) and isinstance(final, list):
        return _regions(suggested, final)
    if kind in INTERVAL_TYPES and isinstance(suggested, list) and isinstance(final, list):
        return _intervals(suggested, final)
    if kind in {"text", "transcription"} and isinstance(suggested, str) and isinstance(final, str):
        similarity, distance = text_similarity(suggested, final)
        return Difference(similarity, 0, distance)
    if kind == "multi_choice" and isinstance(suggested, list) and isinstance(final, list):
        a, b = {str(v) for v in suggested}, {str(v) for v in final}
        union = a | b
        return Difference(len(a & b) / len(union) if union else 1.0, 0, 0)
    return Difference(1.0 if suggested == final else 0.0, 0, 0)


def compare(types: Mapping[str, str], suggestion: dict[str, Any], answer: dict[str, Any]) -> Difference:
    """Over the outputs the suggestion fills: the mean similarity, the summed changes."""
    parts = [
        compare_output(types[name], value, answer.get(name))
        for name, value in suggestion.items()
        if name in types
    ]
    if not parts:
        return Difference(1.0, 0, 0)
    return Difference(
        round(sum(p.similarity for p in parts) / len(parts), 4),
        sum(p.changed_regions for p in parts),
        sum(p.edit_distance for p in parts),
    )
