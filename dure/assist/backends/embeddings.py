"""Sentence embeddings (all-MiniLM-L6-v2, run in numpy): class suggestions and near-duplicate texts.

Classes are suggested by the nearest centroid of a few labelled examples: the approved answers of the
project (and any examples given in the options). A suggestion's confidence is the softmax weight of the
best class over cosine similarities scaled by ``SCALE``, so two classes equally close give 0.5, not 0.9.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from dure.assist import minilm
from dure.assist.backends.base import BaseBackend, ItemInput, PreLabelOut
from dure.assist.backends.media import input_of
from dure.work.models import Submission, SubmissionState

SCALE = 20.0
#: at most this many approved answers per class are used as examples
EXAMPLES_PER_CLASS = 200
#: cosine similarity at or above which two texts count as near-duplicates
NEAR_DUPLICATE = 0.92


def text_of(data: dict[str, Any], name: str | None) -> str:
    value = data.get(name) if name else None
    return value if isinstance(value, str) else ""


def class_centroids(
    vectors: NDArray[np.float32], labels: Sequence[str]
) -> tuple[list[str], NDArray[np.float32]]:
    classes = sorted(set(labels))
    centroids = np.zeros((len(classes), vectors.shape[1]), dtype=np.float32)
    for row, value in enumerate(classes):
        mean = vectors[[i for i, label in enumerate(labels) if label == value]].mean(axis=0)
        centroids[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return classes, centroids


def suggest(
    vectors: NDArray[np.float32], classes: list[str], centroids: NDArray[np.float32]
) -> list[tuple[str, float]]:
    """The nearest class and its softmax confidence, per vector."""
    scores = vectors @ centroids.T * SCALE
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=1, keepdims=True)
    best = weights.argmax(axis=1)
    return [(classes[b], round(float(weights[i, b]), 4)) for i, b in enumerate(best)]


def near_duplicate_pairs(
    ids: Sequence[int], vectors: NDArray[np.float32], threshold: float = NEAR_DUPLICATE, limit: int = 1000
) -> list[tuple[int, int, float]]:
    """Pairs of items whose texts are near-duplicates, most similar first (blockwise, memory bounded)."""
    pairs: list[tuple[int, int, float]] = []
    block = 1024
    for start in range(0, len(ids), block):
        similarity = vectors[start : start + block] @ vectors.T
        rows, cols = np.nonzero(similarity >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if start + r < c:
                pairs.append((ids[start + r], ids[c], round(float(similarity[r, c]), 4)))
    pairs.sort(key=lambda p: -p[2])
    return pairs[:limit]


class EmbeddingBackend(BaseBackend):
    name: ClassVar[str] = "minilm"
    kinds: ClassVar[frozenset[str]] = frozenset({"single_choice"})
    batch_size: ClassVar[int] = 64

    def prepare(self) -> None:
        self.model = minilm.model()
        self.text_input = input_of(self.context.spec, None, {"text", "prompt"})
        self.centroids: dict[str, tuple[list[str], NDArray[np.float32]]] = {}
        for output in self.outputs:
            texts, labels = self._examples(output.name)
            if len(set(labels)) >= 2:
                self.centroids[output.name] = class_centroids(self.model.encode(texts), labels)

    def _examples(self, output: str) -> tuple[list[str], list[str]]:
        """Approved answers of the project, and examples given in the options ({"text", "label"})."""
        texts: list[str] = []
        labels: list[str] = []
        per_class: dict[str, int] = {}
        for example in self.context.options.get("examples", []):
            if isinstance(example, dict) and isinstance(example.get("text"), str):
                texts.append(example["text"])
                labels.append(str(example.get("label")))
        approved = (
            Submission.objects.filter(project=self.context.project, state=SubmissionState.APPROVED)
            .select_related("item")
            .order_by("-id")
            .only("answer", "item__data")[:5000]
        )
        for submission in approved:
            value = submission.answer.get(output) if isinstance(submission.answer, dict) else None
            text = text_of(submission.item.data, self.text_input)
            if not isinstance(value, str) or not text or per_class.get(value, 0) >= EXAMPLES_PER_CLASS:
                continue
            per_class[value] = per_class.get(value, 0) + 1
            texts.append(text)
            labels.append(value)
        return texts, labels

    def embed(self, items: Sequence[ItemInput]) -> NDArray[np.float32]:
        return self.model.encode([text_of(item.data, self.text_input) for item in items])

    def predict(self, items: Sequence[ItemInput]) -> list[PreLabelOut]:
        if not self.centroids or self.text_input is None:
            return []
        vectors = self.embed(items)
        answers: list[dict[str, Any]] = [{} for _ in items]
        confidences: list[list[float]] = [[] for _ in items]
        for output, (classes, centroids) in self.centroids.items():
            for i, (value, confidence) in enumerate(suggest(vectors, classes, centroids)):
                answers[i][output] = value
                confidences[i].append(confidence)
        return [
            PreLabelOut(item.id, answers[i], min(confidences[i]))
            for i, item in enumerate(items)
            if answers[i]
        ]
