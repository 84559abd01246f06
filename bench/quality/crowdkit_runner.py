"""crowd-kit's side of bench/quality/run.py; runs inside var/bench-quality-venv, prints one JSON line."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
from crowdkit.aggregation import DawidSkene, MajorityVote, Wawa


def main() -> None:
    crowd = np.load(sys.argv[1])
    truth = crowd["truth"]
    frame = pd.DataFrame({"task": crowd["items"], "worker": crowd["workers"], "label": crowd["labels"]})
    out = {}
    for name, method in (("MajorityVote", MajorityVote()), ("Wawa", Wawa()), ("DawidSkene", DawidSkene(100))):
        started = time.perf_counter()
        labels = method.fit_predict(frame)
        seconds = time.perf_counter() - started
        predicted = labels.reindex(np.arange(len(truth))).to_numpy()
        out[name] = {
            "seconds": seconds,
            "accuracy": float(np.mean(predicted == truth)),
            "iterations": len(getattr(method, "loss_history_", []) or []),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
