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


def read_lines(image: Any) -> list[tuple[list[list[float]], str, float]]:
    """(polygon, text, score) per detected line, top to bottom then left to right."""
    with _lock:  # one ONNX session per process, already using the cores
        result, _elapsed = engine()(np.asarray(image))
    lines = []
    for points, text, score in result or []:
        polygon = [[float(x), float(y)] for x, y in points]
        lines.append((polygon, str(text), float(score)))
    lines.sort(key=lambda line: (round(min(p[1] for p in line[0]) / 10), min(p[0] for p in line[0])))
    return lines


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
