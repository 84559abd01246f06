"""Aggregation on a synthetic crowd with known truth: Dure's majority vote, Wawa and Dawid-Skene against
crowd-kit's, time and accuracy.

    .venv/bin/python bench/quality/run.py [--items 100000 --per-item 10 --workers 1000 --classes 5]

crowd-kit runs in its own virtualenv (var/bench-quality-venv, made with --system-site-packages), never in
the project's: pass ``--install`` once to create it and ``pip install crowd-kit 'scikit-learn<1.6'`` there (crowd-kit 1.4's Wawa fails with
scikit-learn 1.6+), or do it by hand
(the command is printed when it is missing). The crowd is written to var/bench-quality/crowd.npz and both
sides read the same arrays; crowd-kit gets them as the pandas DataFrame it expects (building it is not
timed). Results go to bench/results/quality.json.

The crowd: every item has ``--per-item`` labels from distinct workers. Workers are of three kinds, each
with its own confusion matrix: 70% honest (accuracy 0.55-0.95, errors spread evenly), 20% biased (right
half the time, otherwise mostly one favourite wrong class), 10% spammers (uniformly random).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dure.quality.aggregation import dawid_skene, majority_vote, wawa  # noqa: E402

VENV = ROOT / "var" / "bench-quality-venv"
DATA = ROOT / "var" / "bench-quality" / "crowd.npz"
RESULTS = ROOT / "bench" / "results" / "quality.json"
RUNNER = Path(__file__).with_name("crowdkit_runner.py")


def make_crowd(items: int, per_item: int, workers: int, classes: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, items)
    kinds = rng.choice(3, size=workers, p=[0.7, 0.2, 0.1])
    confusion = np.empty((workers, classes, classes))
    accuracy = np.where(kinds == 0, rng.uniform(0.55, 0.95, workers), 0.5)
    off = (1 - accuracy) / (classes - 1)
    confusion[:] = off[:, None, None]
    diagonal = np.arange(classes)
    confusion[:, diagonal, diagonal] = accuracy[:, None]
    biased = np.flatnonzero(kinds == 1)
    favourite = rng.integers(0, classes, len(biased))
    # a biased worker puts 80% of their errors on one favourite class
    for row, (worker, fav) in enumerate(zip(biased, favourite, strict=True)):
        del row
        confusion[worker] = 0.5 * 0.2 / max(1, classes - 2)
        confusion[worker, :, fav] = 0.5 * 0.8
        confusion[worker, diagonal, diagonal] = 0.5
        confusion[worker, fav, fav] = 0.5 + 0.5 * 0.8
        confusion[worker] /= confusion[worker].sum(axis=1, keepdims=True)
    confusion[kinds == 2] = 1.0 / classes
    item_of = np.repeat(np.arange(items), per_item)
    # distinct workers per item: a random start and a stride below workers / per_item never wrap onto
    # themselves within one item
    start = rng.integers(0, workers, items)
    stride = rng.integers(1, max(2, workers // per_item), items)
    worker_of = (start[:, None] + np.arange(per_item)[None, :] * stride[:, None]).ravel() % workers
    cumulative = confusion[worker_of, truth[item_of]].cumsum(axis=1)
    draw = rng.random(len(item_of))
    label_of = np.minimum((draw[:, None] > cumulative).sum(axis=1), classes - 1)
    return {"truth": truth, "items": item_of, "workers": worker_of, "labels": label_of}


def ours(crowd: dict[str, np.ndarray], classes: int, repeat: int) -> dict[str, Any]:
    out = {}
    truth = crowd["truth"]
    for name, method in (("MajorityVote", majority_vote), ("Wawa", wawa), ("DawidSkene", dawid_skene)):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            result = method(crowd["items"], crowd["workers"], crowd["labels"], n_classes=classes)
            times.append(time.perf_counter() - started)
        out[name] = {
            "seconds": min(times),
            "accuracy": float(np.mean(result.labels == truth)),
            "iterations": result.iterations,
        }
    return out


def crowdkit(classes: int, install: bool) -> dict[str, Any] | None:
    python = VENV / "bin" / "python"
    if (
        not python.exists()
        or subprocess.run([python, "-c", "import crowdkit"], capture_output=True).returncode
    ):
        command = f"python3 -m venv --system-site-packages {VENV} && {VENV}/bin/pip install crowd-kit 'scikit-learn<1.6'"
        if not install:
            print(f"crowd-kit is not installed for the benchmark; run with --install, or:\n  {command}")
            return None
        subprocess.run(command, shell=True, check=True)
    found = subprocess.run(
        [python, RUNNER, str(DATA)], capture_output=True, text=True, check=True
    ).stdout.strip()
    return json.loads(found.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-item", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="our runs per method (the fastest counts)")
    parser.add_argument("--install", action="store_true", help="create the crowd-kit venv if missing")
    parser.add_argument("--skip-crowdkit", action="store_true")
    args = parser.parse_args()
    crowd = make_crowd(args.items, args.per_item, args.workers, args.classes, args.seed)
    DATA.parent.mkdir(parents=True, exist_ok=True)
    np.savez(DATA, **crowd)
    print(
        f"{len(crowd['labels']):,} labels: {args.items:,} items x {args.per_item}, "
        f"{args.workers:,} workers, {args.classes} classes"
    )
    mine = ours(crowd, args.classes, args.repeat)
    theirs = None if args.skip_crowdkit else crowdkit(args.classes, args.install)
    print(f"{'method':<14}{'Dure s':>10}{'Dure acc':>10}{'crowd-kit s':>13}{'ck acc':>9}{'speed-up':>10}")
    for name, row in mine.items():
        other = (theirs or {}).get(name)
        line = f"{name:<14}{row['seconds']:>10.3f}{row['accuracy']:>10.4f}"
        if other:
            line += f"{other['seconds']:>13.2f}{other['accuracy']:>9.4f}{other['seconds'] / row['seconds']:>9.0f}x"
        print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"args": vars(args), "dure": mine, "crowdkit": theirs}, indent=2))


if __name__ == "__main__":
    main()
