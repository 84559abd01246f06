"""Acceptance sampling: ISO 2859-1 single sampling plans, confidence-bound sample sizes, the exact
Clopper-Pearson interval, and a uniform random sample a client can draw again from the recorded seed.

The ISO tables are data, written out as printed in ISO 2859-1:1999 (identical to ANSI/ASQ Z1.4): Table 1
(lot size → sample size code letter, general inspection level II), and Table 2-A (single sampling plans for
normal inspection, the master table) for the AQLs 0.065 … 6.5 percent nonconforming. An arrow in the master
table means "use the first sampling plan below (↓) or above (↑) the arrow"; the plan found there brings its
own code letter and sample size with it, which is how the standard is read.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import beta

# --- ISO 2859-1 Table 1: sample size code letters, general inspection level II -----------------------------

#: (largest lot size of the range, code letter); the last range is open-ended
LEVEL_II_CODE_LETTERS: list[tuple[int | None, str]] = [
    (8, "A"),
    (15, "B"),
    (25, "C"),
    (50, "D"),
    (90, "E"),
    (150, "F"),
    (280, "G"),
    (500, "H"),
    (1_200, "J"),
    (3_200, "K"),
    (10_000, "L"),
    (35_000, "M"),
    (150_000, "N"),
    (500_000, "P"),
    (None, "Q"),
]

# --- ISO 2859-1 Table 2-A: sample size per code letter ------------------------------------------------------

SAMPLE_SIZES: dict[str, int] = {
    "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50,
    "J": 80, "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000,
}  # fmt: skip
CODE_LETTERS = list(SAMPLE_SIZES)

# --- ISO 2859-1 Table 2-A: the master table, normal inspection, single sampling -----------------------------

#: the AQL columns kept here (percent nonconforming items)
AQLS: list[str] = ["0.065", "0.10", "0.15", "0.25", "0.40", "0.65", "1.0", "1.5", "2.5", "4.0", "6.5"]

#: code letter → one cell per AQL column: "Ac Re", "↓" or "↑"
MASTER_TABLE: dict[str, list[str]] = {
    #      0.065   0.10   0.15   0.25   0.40   0.65    1.0    1.5    2.5    4.0    6.5
    "A": ["↓",    "↓",   "↓",   "↓",   "↓",   "↓",    "↓",   "↓",   "↓",   "↓",   "0 1"],
    "B": ["↓",    "↓",   "↓",   "↓",   "↓",   "↓",    "↓",   "↓",   "↓",   "0 1", "↑"],
    "C": ["↓",    "↓",   "↓",   "↓",   "↓",   "↓",    "↓",   "↓",   "0 1", "↑",   "↓"],
    "D": ["↓",    "↓",   "↓",   "↓",   "↓",   "↓",    "↓",   "0 1", "↑",   "↓",   "1 2"],
    "E": ["↓",    "↓",   "↓",   "↓",   "↓",   "↓",    "0 1", "↑",   "↓",   "1 2", "2 3"],
    "F": ["↓",    "↓",   "↓",   "↓",   "↓",   "0 1",  "↑",   "↓",   "1 2", "2 3", "3 4"],
    "G": ["↓",    "↓",   "↓",   "↓",   "0 1", "↑",    "↓",   "1 2", "2 3", "3 4", "5 6"],
    "H": ["↓",    "↓",   "↓",   "0 1", "↑",   "↓",    "1 2", "2 3", "3 4", "5 6", "7 8"],
    "J": ["↓",    "↓",   "0 1", "↑",   "↓",   "1 2",  "2 3", "3 4", "5 6", "7 8", "10 11"],
    "K": ["↓",    "0 1", "↑",   "↓",   "1 2", "2 3",  "3 4", "5 6", "7 8", "10 11", "14 15"],
    "L": ["0 1",  "↑",   "↓",   "1 2", "2 3", "3 4",  "5 6", "7 8", "10 11", "14 15", "21 22"],
    "M": ["↑",    "↓",   "1 2", "2 3", "3 4", "5 6",  "7 8", "10 11", "14 15", "21 22", "↑"],
    "N": ["↓",    "1 2", "2 3", "3 4", "5 6", "7 8",  "10 11", "14 15", "21 22", "↑",  "↑"],
    "P": ["1 2",  "2 3", "3 4", "5 6", "7 8", "10 11", "14 15", "21 22", "↑",   "↑",   "↑"],
    "Q": ["2 3",  "3 4", "5 6", "7 8", "10 11", "14 15", "21 22", "↑",  "↑",   "↑",   "↑"],
    "R": ["3 4",  "5 6", "7 8", "10 11", "14 15", "21 22", "↑",  "↑",   "↑",   "↑",   "↑"],
}  # fmt: skip

#: the two-sided confidence of every interval on the certificate
CONFIDENCE = 0.95


class NotAnAql(ValueError):
    pass


def code_letter(lot_size: int) -> str:
    """ISO 2859-1 Table 1, general inspection level II."""
    if lot_size < 2:
        return "A"
    for largest, letter in LEVEL_II_CODE_LETTERS:
        if largest is None or lot_size <= largest:
            return letter
    raise AssertionError("unreachable: the last range is open-ended")


def aql_column(aql: float | str) -> int:
    for index, label in enumerate(AQLS):
        if math.isclose(float(label), float(aql)):
            return index
    raise NotAnAql(str(aql))


@dataclass(frozen=True)
class Plan:
    """A single sampling plan: inspect ``sample_size`` items, accept with at most ``accept`` defects."""

    method: str  # "iso2859" or "confidence"
    lot_size: int
    sample_size: int
    accept: int
    reject: int
    #: ISO: the lot's code letter and the letter whose plan was used (they differ when an arrow was followed)
    code_letter: str = ""
    plan_letter: str = ""
    aql: str = ""
    #: confidence-bound plans: the accuracy the lower bound must reach
    target: float | None = None
    confidence: float = CONFIDENCE
    #: the sample is the whole lot (the plan asked for at least as many items as the lot holds)
    full_inspection: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def iso_plan(*, lot_size: int, aql: float | str) -> Plan:
    """The normal-inspection single sampling plan of ISO 2859-1 for the lot, at level II and this AQL."""
    if lot_size < 1:
        raise ValueError("a lot holds at least one item")
    column = aql_column(aql)
    letter = code_letter(lot_size)
    row = CODE_LETTERS.index(letter)
    while True:
        cell = MASTER_TABLE[CODE_LETTERS[row]][column]
        if cell == "↓":
            row += 1
        elif cell == "↑":
            row -= 1
        else:
            break
    accept, reject = (int(part) for part in cell.split())
    plan_letter = CODE_LETTERS[row]
    size = SAMPLE_SIZES[plan_letter]
    return Plan(
        method="iso2859",
        lot_size=lot_size,
        sample_size=min(size, lot_size),
        accept=accept,
        reject=reject,
        code_letter=letter,
        plan_letter=plan_letter,
        aql=AQLS[column],
        full_inspection=size >= lot_size,
    )


# --- exact binomial intervals ---------------------------------------------------------------------------------


def clopper_pearson(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact (Clopper-Pearson) two-sided interval for a binomial proportion, from the beta quantiles."""
    if trials <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and trials")
    alpha = 1 - confidence
    lower = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    upper = 1.0 if successes == trials else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return (lower, upper)


def confidence_sample_size(
    *, target: float, defects: int = 0, confidence: float = CONFIDENCE, limit: int = 1_000_000
) -> int:
    """The smallest n for which a sample with ``defects`` wrong items still proves accuracy ≥ ``target``:
    the lower end of the two-sided Clopper-Pearson interval of (n - defects) / n reaches the target."""
    if not 0 < target < 1:
        raise ValueError("the target accuracy lies strictly between 0 and 1")
    if defects < 0:
        raise ValueError("defects cannot be negative")
    alpha = 1 - confidence
    if defects == 0:
        # The lower bound of n/n successes is (alpha/2)^(1/n): solved in closed form.
        n = max(1, math.ceil(math.log(alpha / 2) / math.log(target)))
        while clopper_pearson(n, n, confidence)[0] < target:  # guards against rounding at the boundary
            n += 1
        return n
    # The bound grows with n for a fixed number of defects: find the first n by doubling, then bisection.
    low, high = defects + 1, defects + 1
    while clopper_pearson(high - defects, high, confidence)[0] < target:
        low, high = high, high * 2
        if high > limit:
            raise ValueError("no sample up to the limit reaches the target")
    while low < high:
        middle = (low + high) // 2
        if clopper_pearson(middle - defects, middle, confidence)[0] >= target:
            high = middle
        else:
            low = middle + 1
    return low


def confidence_plan(
    *, lot_size: int, target: float, defects: int = 0, confidence: float = CONFIDENCE
) -> Plan:
    size = confidence_sample_size(target=target, defects=defects, confidence=confidence)
    return Plan(
        method="confidence",
        lot_size=lot_size,
        sample_size=min(size, lot_size),
        accept=defects,
        reject=defects + 1,
        target=target,
        confidence=confidence,
        full_inspection=size >= lot_size,
    )


# --- the random draw ------------------------------------------------------------------------------------------

DRAW_METHOD = (
    "numpy.random.Generator(numpy.random.PCG64(seed)).choice(sorted(item_ids), size=n, replace=False); "
    "the sample is the returned ids in the order drawn"
)


def population_digest(item_ids: list[int]) -> str:
    """sha256 of the sorted ids written as decimal numbers joined by commas: proves which lot was sampled."""
    return hashlib.sha256(",".join(str(i) for i in sorted(item_ids)).encode()).hexdigest()


def draw_sample(item_ids: list[int], size: int, seed: int) -> list[int]:
    """A uniform random sample without replacement; anyone with numpy, the seed and the ids draws the same."""
    population = np.array(sorted(item_ids), dtype=np.int64)
    size = min(size, len(population))
    generator = np.random.Generator(np.random.PCG64(seed))
    return [int(i) for i in generator.choice(population, size=size, replace=False)]


def draw_record(item_ids: list[int], sample: list[int], seed: int) -> dict[str, Any]:
    """How the sample was drawn, for the certificate: enough to draw it again and compare."""
    return {
        "method": DRAW_METHOD,
        "seed": seed,
        "numpy": np.__version__,
        "population_size": len(item_ids),
        "population_sha256": population_digest(item_ids),
        "sample_ids": sample,
    }
