"""Fit between people and projects as array arithmetic (numpy), never a query per project.

A worker is one row of per-data-type numbers and a certification bitset; the open projects are one
matrix. Ranking one worker against every open project is a handful of vector operations, and ranking the
candidates for one project is the same arithmetic the other way round. Everything here is pure: the
selectors load the rows, this module scores them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dure.matching.datatypes import DATA_TYPES, TYPE_INDEX

K = len(DATA_TYPES)
#: approved items on a data type before its own numbers count fully (Bayesian shrinkage towards neutral)
PRIOR_ITEMS = 10.0
NEUTRAL_QUALITY = 0.5
#: approved items on a data type before we call someone measured on it
MEASURED_ITEMS = 5
#: hourly pay that scores full marks (about twice the Korean minimum wage of 2026)
REFERENCE_HOURLY = 20_000.0
LANGUAGES = ["ko", "en", "ja", "zh", "vi", "th", "id", "es", "fr", "de"]
LANGUAGE_INDEX = {code: index for index, code in enumerate(LANGUAGES)}
#: a missing certification, a language the person does not have, a device they do not use: still shown
#: (they can qualify, or borrow a phone), but below everything they can start today
PENALTY_CERTIFICATION = 0.6
PENALTY_LANGUAGE = 0.3
PENALTY_DEVICE = 0.5
WEIGHTS = {"skill": 0.5, "experience": 0.2, "pay": 0.3}


def _words(ids: list[int] | set[int], width: int) -> np.ndarray:
    """Certification ids as a bitset of ``width`` 64-bit words."""
    bits = np.zeros(width, dtype=np.uint64)
    for cid in ids:
        word, bit = divmod(int(cid), 64)
        if word < width:
            bits[word] |= np.uint64(1) << np.uint64(bit)
    return bits


@dataclass
class WorkerVector:
    approved: np.ndarray  # (K,) approved items per data type
    quality: np.ndarray  # (K,) nan where unmeasured
    seconds: np.ndarray  # (K,) median active seconds, nan where unmeasured
    percentile: np.ndarray  # (K,) share of peers better, nan where unmeasured
    certifications: set[int]
    languages: set[str]
    devices: set[str]
    #: private projects this person may see: member of, or invited to
    private_access: set[int] = field(default_factory=set)

    @classmethod
    def from_features(
        cls,
        *,
        skills: dict[str, list[Any]],
        certifications: list[int],
        languages: list[str],
        devices: list[str],
        private_access: set[int] | None = None,
    ) -> WorkerVector:
        approved = np.zeros(K)
        quality = np.full(K, np.nan)
        seconds = np.full(K, np.nan)
        percentile = np.full(K, np.nan)
        for name, row in skills.items():
            index = TYPE_INDEX.get(name)
            if index is None:
                continue
            approved[index] = row[0] or 0
            quality[index] = np.nan if row[1] is None else row[1]
            seconds[index] = np.nan if row[2] is None else row[2]
            percentile[index] = np.nan if row[3] is None else row[3]
        return cls(
            approved=approved,
            quality=quality,
            seconds=seconds,
            percentile=percentile,
            certifications=set(certifications),
            languages=set(languages),
            devices=set(devices),
            private_access=set(private_access or ()),
        )


@dataclass
class ProjectMatrix:
    """The open projects, one row each, as arrays (built once per change, shared by every request)."""

    ids: np.ndarray
    public: np.ndarray
    data_type: np.ndarray
    language: np.ndarray  # index into LANGUAGES, -1: any
    needs_microphone: np.ndarray
    needs_camera: np.ndarray
    phone_ok: np.ndarray
    micro: np.ndarray
    price: np.ndarray
    expected_seconds: np.ndarray
    certification_bits: np.ndarray  # (P, W) uint64
    rows: Sequence[Mapping[str, Any]]  # the source rows, for wording the reasons of the few shown

    @classmethod
    def build(cls, rows: Sequence[Mapping[str, Any]]) -> ProjectMatrix:
        width = max(1, max((max(r["certifications"], default=0) for r in rows), default=0) // 64 + 1)
        return cls(
            ids=np.array([r["project_id"] for r in rows], dtype=np.int64),
            public=np.array([r["visibility"] == "public" for r in rows], dtype=bool),
            data_type=np.array([TYPE_INDEX.get(r["data_type"], K - 1) for r in rows], dtype=np.int64),
            language=np.array([LANGUAGE_INDEX.get(r["language"], -1) for r in rows], dtype=np.int64),
            needs_microphone=np.array([r["needs_microphone"] for r in rows], dtype=bool),
            needs_camera=np.array([r["needs_camera"] for r in rows], dtype=bool),
            phone_ok=np.array([r["phone_ok"] for r in rows], dtype=bool),
            micro=np.array([r["micro"] for r in rows], dtype=bool),
            price=np.array([r["price_per_item"] for r in rows], dtype=np.float64),
            expected_seconds=np.array([max(1.0, r["expected_seconds"]) for r in rows], dtype=np.float64),
            certification_bits=_bitsets([r["certifications"] for r in rows], width),
            rows=rows,
        )

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Scored:
    fit: np.ndarray
    visible: np.ndarray
    certified: np.ndarray
    language_ok: np.ndarray
    device_ok: np.ndarray
    measured: np.ndarray
    hourly: np.ndarray
    own_speed: np.ndarray


def _shrunk(quality: np.ndarray, approved: np.ndarray) -> np.ndarray:
    return (np.nan_to_num(quality, nan=NEUTRAL_QUALITY) * approved + NEUTRAL_QUALITY * PRIOR_ITEMS) / (
        approved + PRIOR_ITEMS
    )


def _experience(approved: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, np.log1p(approved) / math.log1p(1000))


def _device_ok(
    devices: set[str], needs_microphone: np.ndarray, needs_camera: np.ndarray, phone_ok: np.ndarray
) -> np.ndarray:
    # Nobody told us and no sign-in showed a phone: assume a computer, the common case for labelling.
    phone = "phone" in devices
    computer = "computer" in devices or not devices
    recording = needs_microphone | needs_camera
    return np.where(recording, phone, True) & np.where(~phone_ok, computer, True)


def score_projects(worker: WorkerVector, matrix: ProjectMatrix) -> Scored:
    """Fit of one worker to every open project (higher is better; -inf where they may not see it)."""
    dt = matrix.data_type
    approved = worker.approved[dt]
    skill = _shrunk(worker.quality[dt], approved)
    experience = _experience(approved)
    own = np.isfinite(worker.seconds[dt]) & (approved >= MEASURED_ITEMS)
    seconds = np.where(own, worker.seconds[dt], matrix.expected_seconds)
    hourly = matrix.price * 3600.0 / np.maximum(seconds, 1.0)
    pay = np.minimum(hourly / REFERENCE_HOURLY, 1.5) / 1.5
    held = _words(worker.certifications, matrix.certification_bits.shape[1])
    certified = np.all((matrix.certification_bits & ~held) == 0, axis=1)
    known = np.array([LANGUAGE_INDEX[code] for code in worker.languages if code in LANGUAGE_INDEX])
    language_ok = (matrix.language < 0) | np.isin(matrix.language, known)
    device_ok = _device_ok(worker.devices, matrix.needs_microphone, matrix.needs_camera, matrix.phone_ok)
    visible = matrix.public | np.isin(matrix.ids, np.fromiter(worker.private_access, dtype=np.int64))
    fit = WEIGHTS["skill"] * skill + WEIGHTS["experience"] * experience + WEIGHTS["pay"] * pay
    fit *= np.where(certified, 1.0, PENALTY_CERTIFICATION)
    fit *= np.where(language_ok, 1.0, PENALTY_LANGUAGE)
    fit *= np.where(device_ok, 1.0, PENALTY_DEVICE)
    fit = np.where(visible, fit, -np.inf)
    return Scored(
        fit=fit,
        visible=visible,
        certified=certified,
        language_ok=language_ok,
        device_ok=device_ok,
        measured=approved >= MEASURED_ITEMS,
        hourly=hourly,
        own_speed=own,
    )


def top(values: np.ndarray, n: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Indices of the n largest values (where mask), best first, without sorting everything."""
    candidates = np.flatnonzero(np.isfinite(values) if mask is None else (mask & np.isfinite(values)))
    if len(candidates) > n:
        part = np.argpartition(-values[candidates], n - 1)[:n]
        candidates = candidates[part]
    return candidates[np.argsort(-values[candidates], kind="stable")]


@dataclass
class Candidates:
    """Workers as columns of arrays for one data type (talent search, notifications)."""

    user_ids: np.ndarray
    approved: np.ndarray
    quality: np.ndarray
    seconds: np.ndarray
    certification_bits: np.ndarray  # (N, W)
    language_bits: np.ndarray  # (N,) bit per LANGUAGES entry
    phone: np.ndarray
    computer: np.ndarray

    @classmethod
    def build(cls, rows: Sequence[Mapping[str, Any]], *, width: int) -> Candidates:
        def language_bits(codes: list[str]) -> int:
            return sum(1 << LANGUAGE_INDEX[c] for c in codes if c in LANGUAGE_INDEX)

        return cls(
            user_ids=np.array([r["user_id"] for r in rows], dtype=np.int64),
            approved=np.array([r["approved"] or 0 for r in rows], dtype=np.float64),
            quality=np.array([np.nan if r["quality"] is None else r["quality"] for r in rows]),
            seconds=np.array([np.nan if r["median_seconds"] is None else r["median_seconds"] for r in rows]),
            certification_bits=_bitsets([r["certifications"] for r in rows], width),
            language_bits=np.array([language_bits(r["languages"]) for r in rows], dtype=np.int64),
            phone=np.array(["phone" in r["devices"] for r in rows], dtype=bool),
            computer=np.array(["computer" in r["devices"] or not r["devices"] for r in rows], dtype=bool),
        )


def _bitsets(id_lists: Sequence[Sequence[int]], width: int) -> np.ndarray:
    """Many id lists as an (N, width) bitset, built from Python integers (no array per row)."""
    masks = [sum(1 << int(c) for c in set(ids) if int(c) < 64 * width) for ids in id_lists]
    out = np.zeros((len(masks), width), dtype=np.uint64)
    for word in range(width):
        out[:, word] = np.array([(m >> (64 * word)) & 0xFFFFFFFFFFFFFFFF for m in masks], dtype=np.uint64)
    return out


def score_workers(candidates: Candidates, project: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Fit of every candidate to one project (quality on its data type first, then volume and speed), and
    whether each could start today (certified, reads the language, has the device)."""
    width = candidates.certification_bits.shape[1]
    needed = _words(project["certifications"], width)
    certified = np.all((candidates.certification_bits & needed) == needed, axis=1)
    language = LANGUAGE_INDEX.get(project["language"], -1)
    language_ok = (
        np.ones(len(candidates.user_ids), dtype=bool)
        if language < 0
        else (candidates.language_bits >> language) & 1 == 1
    )
    recording = project["needs_microphone"] or project["needs_camera"]
    device_ok = (candidates.phone if recording else True) & (
        candidates.computer if not project["phone_ok"] else True
    )
    skill = _shrunk(candidates.quality, candidates.approved)
    expected = max(1.0, float(project["expected_seconds"]))
    speed = np.where(
        np.isfinite(candidates.seconds),
        np.clip(expected / np.maximum(candidates.seconds, 1.0), 0.0, 2.0) / 2.0,
        0.5,
    )
    fit = 0.6 * skill + 0.25 * _experience(candidates.approved) + 0.15 * speed
    fit *= np.where(certified, 1.0, PENALTY_CERTIFICATION)
    fit *= np.where(language_ok, 1.0, PENALTY_LANGUAGE)
    fit *= np.where(device_ok, 1.0, PENALTY_DEVICE)
    return np.asarray(fit), np.asarray(certified & language_ok & device_ok)


def top_share(percentile: float) -> int:
    """A percentile as the round share people understand: top 1, 5, 10, 25 or 50%."""
    for share in (1, 5, 10, 25, 50):
        if percentile < share / 100:
            return share
    return 100
