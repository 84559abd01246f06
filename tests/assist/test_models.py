"""The models themselves on generated data: MiniLM against sentence-transformers, OCR on rendered text,
class suggestions from a few examples, near-duplicate texts, perceptual hashes of images and sounds."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from dure.assist import fingerprints
from dure.assist.backends.embeddings import class_centroids, near_duplicate_pairs, suggest
from dure.assist.backends.ocr import read_lines
from dure.assist.compare import compare
from dure.assist.minilm import model
from tests.assist.conftest import CJK_FONT, text_image, tone_wav

DATA = Path(__file__).parent / "data"


def test_minilm_matches_sentence_transformers():
    """Reference vectors were computed with the real sentence-transformers on this machine."""
    reference = json.loads((DATA / "minilm_ref.json").read_text())
    ours = model().encode(reference["sentences"])
    theirs = np.asarray(reference["embeddings"], dtype=np.float32)
    assert ours.shape == theirs.shape == (5, 384)
    cosines = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert all(c > 0.999 for c in cosines), cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # a batch padded to its longest sentence gives every sentence its own answer
    alone = model().encode([reference["sentences"][0]])
    assert float(alone[0] @ ours[0]) > 0.9999


def test_ocr_reads_rendered_english_text():
    image = Image.open(io.BytesIO(text_image([("Invoice number 4711", False), ("Total due 52 EUR", False)])))
    lines = read_lines(image)
    text = " ".join(t for _p, t, _s in lines).lower().replace(" ", "")
    assert "invoice" in text and "4711" in text and "total" in text
    assert all(len(p) == 4 and 0 < s <= 1 for p, _t, s in lines)
    # one region per printed line: pieces the detector cut a line into are read again as one
    assert [t.lower().replace(" ", "") for _p, t, _s in lines] == ["invoicenumber4711", "totaldue52eur"]
    first = lines[0][0]
    assert min(y for _x, y in first) < 80  # the first line is at the top


@pytest.mark.skipif(not CJK_FONT.exists(), reason="fonts-noto-cjk is not installed")
def test_ocr_with_a_korean_line_still_reads_the_english_one(settings):
    image = Image.open(io.BytesIO(text_image([("Hello 2026", False), ("안녕하세요", True)])))
    lines = read_lines(image)
    assert lines[0][1].replace(" ", "") == "Hello2026"
    if not settings.DURE_ASSIST["OCR_OPTIONS"]["rec_model_path"]:
        # the bundled PP-OCRv3 recognizer knows Chinese and English only: Hangul is dropped, never misread
        assert len(lines) == 1
    else:
        assert "안녕" in "".join(t for _p, t, _s in lines)


SPORTS = [
    "The striker scored twice in the final match.",
    "Our team won the basketball game last night.",
    "The tennis player served an ace to win the set.",
    "Fans cheered as the runner crossed the line.",
]
FOOD = [
    "This pasta with garlic and basil tastes wonderful.",
    "She baked fresh bread and a chocolate cake.",
    "The soup needs more salt and pepper.",
    "We grilled vegetables and fish for dinner.",
]
WEATHER = ["Heavy rain and strong winds are expected tomorrow.", "It will be sunny and warm all weekend.",
           "Snow is falling in the mountains tonight.", "A thunderstorm is coming this afternoon."]  # fmt: skip


def test_nearest_centroid_suggests_the_right_class_from_a_few_examples():
    texts = SPORTS[:3] + FOOD[:3] + WEATHER[:3]
    labels = ["sports"] * 3 + ["food"] * 3 + ["weather"] * 3
    classes, centroids = class_centroids(model().encode(texts), labels)
    unseen = [SPORTS[3], FOOD[3], WEATHER[3], "The goalkeeper saved a penalty.", "Cloudy with light showers."]
    suggested = suggest(model().encode(unseen), classes, centroids)
    assert [s[0] for s in suggested] == ["sports", "food", "weather", "sports", "weather"]
    assert all(0.34 < s[1] <= 1 for s in suggested)


def test_near_duplicate_texts_are_paired_and_different_ones_are_not():
    texts = [
        "The delivery arrived two days late and the box was damaged.",
        "The delivery arrived 2 days late, and the box was damaged!",
        "I love the colour of this jacket.",
        "the delivery arrived two days late and the box was damaged",
        "Please cancel my subscription.",
    ]
    pairs = near_duplicate_pairs(list(range(10, 15)), model().encode(texts))
    found = {(a, b) for a, b, _s in pairs}
    assert {(10, 11), (10, 13), (11, 13)} <= found
    assert not any(12 in p or 14 in p for p in found)


def _png(image: Image.Image, format: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def test_image_hash_survives_resizing_and_jpeg_but_tells_pictures_apart():
    rng = np.random.default_rng(7)
    picture = Image.fromarray((rng.random((120, 160, 3)) * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(6)
    )
    other = Image.open(io.BytesIO(text_image([("A different picture", False)])))
    original = fingerprints.image_hash(_png(picture))
    resized = fingerprints.image_hash(_png(picture.resize((400, 300)), "JPEG", quality=70))
    different = fingerprints.image_hash(_png(other))
    assert fingerprints.hamming(original, resized) <= 3
    assert fingerprints.hamming(original, different) > 10


def test_audio_hash_survives_volume_and_noise_but_tells_melodies_apart():
    def hashed(content: bytes) -> int:
        samples = fingerprints.read_wav(content)
        assert samples is not None
        value = fingerprints.audio_hash(*samples)
        assert value is not None
        return value

    melody = hashed(tone_wav([440, 660, 550, 880, 330, 495, 740, 392]))
    louder_noisy = hashed(tone_wav([440, 660, 550, 880, 330, 495, 740, 392], gain=0.9, noise=0.01))
    other = hashed(tone_wav([300, 900, 260, 1200, 520, 610, 350, 800]))
    assert fingerprints.hamming(melody, louder_noisy) <= 3
    assert fingerprints.hamming(melody, other) > 10
    assert fingerprints.unsigned(fingerprints.signed(melody)) == melody


def test_compare_counts_kept_changed_and_added_regions():
    suggestion = {"lines": [
        {"points": [[10, 10], [200, 10], [200, 50], [10, 50]], "text": "Invoice 4711"},
        {"points": [[10, 60], [200, 60], [200, 100], [10, 100]], "text": "Total 52"},
    ]}  # fmt: skip
    types = {"lines": "transcription_regions"}
    same = compare(types, suggestion, suggestion)
    assert (same.similarity, same.changed_regions, same.edit_distance) == (1.0, 0, 0)
    edited = {"lines": [dict(suggestion["lines"][0], text="Invoice 4712"), suggestion["lines"][1],
                        {"x": 300, "y": 300, "width": 50, "height": 20, "text": "new"}]}  # fmt: skip
    difference = compare(types, suggestion, edited)
    assert difference.changed_regions == 2 and difference.edit_distance == 1 + 3
    assert 0.5 < difference.similarity < 1
    assert compare({"topic": "single_choice"}, {"topic": "food"}, {"topic": "sports"}).similarity == 0
