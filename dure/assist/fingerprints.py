"""Perceptual fingerprints of uploads: 64-bit hashes that survive re-encoding, resizing and volume.

Images: the difference hash (dHash) — the picture shrunk to 9x8 grey pixels, one bit per horizontally
adjacent pair (is the right one brighter?). Audio: a log-spectrogram pooled into 8 time slices x 9
log-spaced frequency bands, one bit per adjacent band pair per slice (is the higher band louder?), with
bands far below the loudest one flattened to a floor; a
volume change adds the same offset to every log band and cancels out. Near-duplicates are hashes within a
few bits (Hamming distance).
"""

from __future__ import annotations

import io
import itertools
import wave
from typing import Any

import numpy as np
from numpy.typing import NDArray

BITS = 64


def _pack(bits: NDArray[np.bool_]) -> int:
    value = 0
    for bit in bits.flatten().tolist():
        value = (value << 1) | int(bit)
    return value


def image_hash(content: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(content))
    image.draft("L", (64, 64))
    pixels = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.float32)
    return _pack(pixels[:, 1:] > pixels[:, :-1])


def read_wav(content: bytes) -> tuple[NDArray[np.float32], int] | None:
    """Mono samples in [-1, 1] and the rate, for 8/16/32-bit PCM WAV; None for anything else."""
    try:
        with wave.open(io.BytesIO(content)) as stream:
            width, channels, rate = stream.getsampwidth(), stream.getnchannels(), stream.getframerate()
            frames = stream.readframes(min(stream.getnframes(), rate * 600))
    except (wave.Error, EOFError):
        return None
    dtype: Any = {1: np.uint8, 2: np.int16, 4: np.int32}.get(width)
    if dtype is None or rate <= 0:
        return None
    samples = np.frombuffer(frames, dtype=dtype).astype(np.float32)
    if width == 1:
        samples = samples - 128.0
    samples /= float(2 ** (8 * width - 1))
    if channels > 1:
        samples = samples[: len(samples) - len(samples) % channels].reshape(-1, channels).mean(axis=1)
    return samples, rate


def audio_hash(samples: NDArray[np.float32], rate: int) -> int | None:
    frame, hop = 2048, 1024
    if len(samples) < frame * 2:
        return None
    count = 1 + (len(samples) - frame) // hop
    index = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    spectrum = np.abs(np.fft.rfft(samples[index] * np.hanning(frame), axis=1)) ** 2
    frequencies = np.fft.rfftfreq(frame, 1.0 / rate)
    edges = np.geomspace(100.0, min(8000.0, rate / 2), 10)
    bands = np.stack(
        [
            spectrum[:, (frequencies >= lo) & (frequencies < hi)].sum(axis=1)
            for lo, hi in itertools.pairwise(edges)
        ],
        axis=1,
    )
    log_bands = np.log(bands + 1e-10)
    slices = np.array_split(log_bands, 8, axis=0)
    pooled = np.stack([s.mean(axis=0) for s in slices])  # 8 x 9
    # bands 30 dB below a slice's loudest hold only noise: flattened to one floor they compare equal
    # (bit 0) whatever the noise does, instead of flipping bits at random
    pooled = np.maximum(pooled, pooled.max(axis=1, keepdims=True) - np.log(1000.0))
    return _pack(pooled[:, 1:] > pooled[:, :-1])


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(value: int) -> list[int]:
    """The four 16-bit bands, most significant first."""
    return [(value >> shift) & 0xFFFF for shift in (48, 32, 16, 0)]


def signed(value: int) -> int:
    """A 64-bit hash as the signed integer a BIGINT column holds."""
    return value - (1 << 64) if value >= 1 << 63 else value


def unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
