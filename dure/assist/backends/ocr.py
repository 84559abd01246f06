"""OCR pre-labels with RapidOCR (PaddleOCR's models in ONNX, shipped inside the package).

Fills ``transcription_regions`` (a four-point polygon and the text per line), ``polygons``/``boxes``
(the regions only) and ``text``/``transcription`` (all lines, top to bottom) on image items.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

import numpy as np

from dure.assist.backends.base import BaseBackend, ItemInput, PreLabelOut
from dure.assist.backends.media import input_of, open_image, read_media
from dure.projects.spec import image_bounds

_lock = threading.Lock()


@cache
def engine() -> Any:
    from django.conf import settings
    from rapidocr_onnxruntime import RapidOCR

    # The bundled recognizer (PP-OCRv3) reads Chinese and English; an operator who has a Korean
    # recognizer as ONNX points DURE_ASSIST_OCR_REC_MODEL and _KEYS at the files (never downloaded).
    options = {k: v for k, v in settings.DURE_ASSIST["OCR_OPTIONS"].items() if v}
    return RapidOCR(**options)


Line = tuple[list[list[float]], str, float]
#: pieces of one line closer than this many line heights are read again as one region
MERGE_GAP = 0.6


def read_lines(image: Any) -> list[Line]:
    """(polygon, text, score) per detected line, top to bottom then left to right."""
    pixels = np.asarray(image)
    with _lock:  # one ONNX session per process, already using the cores
        result, _elapsed = engine()(pixels)
        lines = [
            ([[float(x), float(y)] for x, y in points], str(text), float(score))
            for points, text, score in result or []
        ]
        lines = _merge_pieces(pixels, lines)
    lines.sort(key=lambda line: (round(min(p[1] for p in line[0]) / 10), min(p[0] for p in line[0])))
    return lines


def _box(line: Line) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in line[0]], [p[1] for p in line[0]]
    return min(xs), min(ys), max(xs), max(ys)


def _same_line(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    height = min(a[3] - a[1], b[3] - b[1])
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return height > 0 and overlap >= 0.5 * height and b[0] - a[2] <= MERGE_GAP * height


def _merge_pieces(pixels: Any, lines: list[Line]) -> list[Line]:
    """The detector sometimes cuts one line into overlapping pieces ("Invoice" + "e number"), whose texts
    repeat letters; pieces side by side on one line are read again as one region. Columns further apart
    than ``MERGE_GAP`` line heights stay separate."""
    if len(lines) < 2:
        return lines
    ordered = sorted(lines, key=lambda line: (_box(line)[1], _box(line)[0]))
    groups: list[list[Line]] = []
    for line in sorted(ordered, key=lambda line: _box(line)[0]):
        box = _box(line)
        for group in groups:
            if _same_line(_box(group[-1]), box):
                group.append(line)
                break
        else:
            groups.append([line])
    out: list[Line] = []
    for group in groups:
        if len(group) == 1:
            out.append(group[0])
            continue
        boxes = [_box(line) for line in group]
        x0, y0 = int(min(b[0] for b in boxes)), int(min(b[1] for b in boxes))
        x1, y1 = int(max(b[2] for b in boxes)) + 1, int(max(b[3] for b in boxes)) + 1
        crop = pixels[max(y0, 0) : y1, max(x0, 0) : x1]
        if crop.size == 0:
            out.extend(group)
            continue
        (text, score), *_rest = engine().text_recognizer([crop])[0]
        if float(score) < min(line[2] for line in group):
            out.extend(group)  # the joined read is worse: keep the pieces
            continue
        corners = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
        out.append(([[float(x), float(y)] for x, y in corners], str(text), float(score)))
    return out


def _clamp(polygon: list[list[float]], width: float, height: float) -> list[list[float]]:
    return [[round(min(max(x, 0.0), width), 1), round(min(max(y, 0.0), height), 1)] for x, y in polygon]


class OcrBackend(BaseBackend):
    name: ClassVar[str] = "ocr"
    kinds: ClassVar[frozenset[str]] = frozenset(
        {"transcription_regions", "polygons", "boxes", "text", "transcription"}
    )
    batch_size: ClassVar[int] = 4

    def prepare(self) -> None:
        engine()

    def predict(self, items: Sequence[ItemInput]) -> list[PreLabelOut]:
        out = []
        spec = self.context.spec
        for item in items:
            answer: dict[str, Any] = {}
            scores: list[float] = []
            cache_by_input: dict[str, Any] = {}
            for output in self.outputs:
                name = input_of(spec, output.source, {"image"})
                if name is None:
                    continue
                if name not in cache_by_input:
                    content = read_media(item.data.get(name))
                    if content is None:
                        cache_by_input[name] = None
                    else:
                        image = open_image(content)
                        bounds = image_bounds(item.data) or (float(image.width), float(image.height))
                        cache_by_input[name] = (read_lines(image), bounds)
                found = cache_by_input[name]
                if found is None:
                    continue
                lines, (width, height) = found
                scores.extend(score for _p, _t, score in lines)
                answer[output.name] = self._fill(output.type, lines, width, height)
            if answer:
                confidence = round(sum(scores) / len(scores), 4) if scores else None
                out.append(PreLabelOut(item.id, answer, confidence))
        return out

    @staticmethod
    def _fill(
        kind: str, lines: list[tuple[list[list[float]], str, float]], width: float, height: float
    ) -> Any:
        if kind in {"text", "transcription"}:
            return "\n".join(text for _p, text, _s in lines)
        regions: list[dict[str, Any]] = []
        for polygon, text, _score in lines:
            points = _clamp(polygon, width, height)
            if kind == "boxes":
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                box = {"x": min(xs), "y": min(ys), "width": max(xs) - min(xs), "height": max(ys) - min(ys)}
                if box["width"] > 0 and box["height"] > 0:
                    regions.append(box)
            elif kind == "polygons":
                regions.append({"points": points})
            else:
                regions.append({"points": points, "text": text})
        return regions
