"""Assistance fixtures: jobs run at once, media in a temporary storage, images and sounds made here."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

OCR_SPEC = {
    "inputs": [{"name": "image", "type": "image"}],
    "outputs": [{"name": "lines", "type": "transcription_regions"}],
}
TOPIC_SPEC = {
    "inputs": [{"name": "text", "type": "text"}],
    "outputs": [{"name": "topic", "type": "single_choice", "options": ["sports", "food", "weather"]}],
}


@pytest.fixture(autouse=True)
def _temporary_media(media_root: Path) -> Path:
    return media_root


def font(size: int, cjk: bool = False) -> Any:
    path = CJK_FONT if cjk else FONT
    if not path.exists():
        return None
    return ImageFont.truetype(str(path), size)


def text_image(lines: list[tuple[str, bool]], width: int = 720) -> bytes:
    """A white PNG with one line of black text per entry ((text, needs a CJK font))."""
    image = Image.new("RGB", (width, 90 * len(lines) + 40), "white")
    draw = ImageDraw.Draw(image)
    for i, (text, cjk) in enumerate(lines):
        draw.text((30, 30 + 90 * i), text, fill="black", font=font(40, cjk) or ImageFont.load_default(40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def store(path: str, content: bytes) -> str:
    return default_storage.save(path, ContentFile(content))


def tone_wav(frequencies: list[float], seconds: float = 2.0, rate: int = 16000, gain: float = 0.3,
             noise: float = 0.0, seed: int = 0) -> bytes:  # fmt: skip
    t = np.arange(int(seconds * rate)) / rate
    # a melody: each frequency for an equal share of the time, so the spectrum changes over time
    parts = np.array_split(t, len(frequencies))
    signal = np.concatenate([np.sin(2 * np.pi * f * p) + 0.5 * np.sin(2 * np.pi * 2.7 * f * p)
                             for f, p in zip(frequencies, parts, strict=True)])  # fmt: skip
    signal = gain * signal / np.abs(signal).max()
    if noise:
        signal = signal + np.random.default_rng(seed).normal(0, noise, len(signal))
    pcm = (np.clip(signal, -1, 1) * 32767).astype(np.int16)
    out = io.BytesIO()
    with wave.open(out, "wb") as stream:
        stream.setnchannels(1)
        stream.setsampwidth(2)
        stream.setframerate(rate)
        stream.writeframes(pcm.tobytes())
    return out.getvalue()
