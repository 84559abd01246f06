"""Reads for the quality dashboards: accuracy and rejection reasons per day, and reviewers' quality.

Every figure comes from a fixed number of grouped queries (days are grouped by the database), so the page
costs the same for a large project as for a small one; the charts are inline SVG whose coordinates are
computed here, as on the other pages (no chart library).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from dure.accounts.models import User
from dure.projects.models import Project
from dure.quality.models import Audit, AuditState, GoldResult
from dure.work.models import Decision, Event, Review, ReviewState, Submission

#: days shown on the charts, ending today
DAYS = 30
#: rejection reasons drawn as their own colour; the rest are "other"
TOP_REASONS = 5
#: rejections read to count reasons (the newest first); a bound so a huge project's page stays quick
REASON_ROWS = 20_000
#: chart size in SVG units (the SVG scales to the page width)
WIDTH, HEIGHT, PAD = 720, 180, 6


def _days(today: date, days: int) -> list[date]:
    return [today - timedelta(days=days - 1 - n) for n in range(days)]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def daily_accuracy(
    *, project: Project, days: int = DAYS, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Per local day: gold accuracy and first-pass approval (version-1 answers whose final decision was an
    approval, over all version-1 answers decided that day), oldest first; ``None`` on a day without data."""
    today = timezone.localdate(now or timezone.now())
    start = _day_start(today - timedelta(days=days - 1))
    gold: dict[date, tuple[int, int]] = {
        row["day"]: (row["passed"], row["total"])
        for row in GoldResult.objects.filter(project=project, created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
    }
    # "approved" and "rejected" events are final decisions ("approved_first_stage" is not): with a 2nd
    # review, first pass means the answer survived both stages.
    first: dict[date, tuple[int, int]] = {
        row["day"]: (row["approved"], row["total"])
        for row in Event.objects.filter(
            project=project, created_at__gte=start, kind__in=["approved", "rejected"], data__version=1
        )
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(total=Count("id"), approved=Count("id", filter=Q(kind="approved")))
    }
    rows = []
    for day in _days(today, days):
        passed, gold_total = gold.get(day, (0, 0))
        approved, decided = first.get(day, (0, 0))
        rows.append(
            {
                "day": day,
                "gold_accuracy": _rate(passed, gold_total),
                "gold_results": gold_total,
                "first_pass_approval": _rate(approved, decided),
                "first_decisions": decided,
            }
        )
    return rows


def daily_rejection_reasons(
    *, project: Project, days: int = DAYS, now: datetime | None = None
) -> dict[str, Any]:
    """Rejections per local day split by reason (the ``TOP_REASONS`` most common, then "other")."""
    today = timezone.localdate(now or timezone.now())
    start = _day_start(today - timedelta(days=days - 1))
    rows = list(
        Review.objects.filter(
            project=project, state=ReviewState.DECIDED, decision=Decision.REJECT, decided_at__gte=start
        )
        .order_by("-decided_at")
        .values_list("decided_at", "reasons")[:REASON_ROWS]
    )
    totals: Counter[str] = Counter()
    for _at, reasons in rows:
        totals.update(_reasons(reasons))
    top = [reason for reason, _n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]]
    per_day: dict[date, Counter[str]] = {}
    for at, reasons in rows:
        counted = per_day.setdefault(timezone.localdate(at), Counter())
        for reason in _reasons(reasons):
            counted[reason if reason in top else ""] += 1
    keys = [*top, ""] if any("" in c for c in per_day.values()) else top
    return {
        "reasons": keys,
        "totals": {
            key: (totals[key] if key else sum(n for r, n in totals.items() if r not in top)) for key in keys
        },
        "days": [
            {"day": day, "counts": [per_day.get(day, Counter())[k] for k in keys]}
            for day in _days(today, days)
        ],
    }


def _reasons(value: Any) -> list[str]:
    """A rejection without a listed reason still counts once, under "comment only"."""
    reasons = [str(r) for r in value if str(r).strip()] if isinstance(value, list) else []
    return reasons or ["—"]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def reviewer_quality(*, project: Project) -> list[dict[str, Any]]:
    """Per reviewer: decisions, approval share, audit agreement (audits by seniors and 2nd reviews), and how
    often a 2nd reviewer overturned their approvals. Three grouped queries."""
    decisions = {
        row["reviewer_id"]: row
        for row in Review.objects.filter(project=project, state=ReviewState.DECIDED)
        .values("reviewer_id")
        .annotate(
            decisions=Count("id"),
            approvals=Count("id", filter=Q(decision=Decision.APPROVE)),
            second_stage=Count("id", filter=Q(stage=2)),
        )
    }
    audits = {
        row["reviewer_id"]: row
        for row in Audit.objects.filter(project=project, state=AuditState.DONE)
        .values("reviewer_id")
        .annotate(total=Count("id"), agreed=Count("id", filter=Q(agrees=True)))
    }
    first_reviewer = Review.objects.filter(
        submission_id=OuterRef("submission_id"), stage=1, state=ReviewState.DECIDED
    ).values("reviewer_id")[:1]
    checked = {
        row["first"]: row
        for row in Review.objects.filter(project=project, stage=2, state=ReviewState.DECIDED)
        .annotate(first=Subquery(first_reviewer))
        .values("first")
        .annotate(total=Count("id"), overturned=Count("id", filter=Q(decision=Decision.REJECT)))
    }
    names = dict(
        (pk, display or username)
        for pk, username, display in User.objects.filter(pk__in=decisions).values_list(
            "pk", "username", "display_name"
        )
    )
    rows = []
    for reviewer_id, row in decisions.items():
        audit = audits.get(reviewer_id, {"total": 0, "agreed": 0})
        second = checked.get(reviewer_id, {"total": 0, "overturned": 0})
        rows.append(
            {
                "user_id": reviewer_id,
                "name": names.get(reviewer_id, ""),
                "decisions": row["decisions"],
                "approval_rate": _rate(row["approvals"], row["decisions"]),
                "second_stage_reviews": row["second_stage"],
                "audits": audit["total"],
                "audit_agreement": _rate(audit["agreed"], audit["total"]),
                "second_checked": second["total"],
                "overturn_rate": _rate(second["overturned"], second["total"]),
            }
        )
    rows.sort(key=lambda r: (-r["decisions"], r["name"]))
    return rows


def checks_summary(*, project: Project) -> dict[str, Any]:
    """Submissions that went through the automatic checks (all since they exist: a failing one is refused)."""
    counts = Submission.objects.filter(project=project).aggregate(
        total=Count("id"), checked=Count("id", filter=Q(checks_passed=True))
    )
    return {**counts, "share": _rate(counts["checked"], counts["total"])}


# --- charts ----------------------------------------------------------------------------------------------


def accuracy_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Two lines on a 0 to 100% scale; a day without data is skipped (the line joins the days around it)
    rather than drawn at zero, and every measured day has a dot."""
    step = (WIDTH - 2 * PAD) / max(1, len(rows) - 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD - value * (HEIGHT - 2 * PAD), 1)

    series = []
    for key in ("first_pass_approval", "gold_accuracy"):
        segments: list[list[str]] = [[]]
        points = []
        for index, row in enumerate(rows):
            value = row[key]
            if value is None:
                continue
            x = round(PAD + index * step, 1)
            segments[-1].append(f"{x},{y(value)}")
            points.append({"x": x, "y": y(value), "value": value, "day": row["day"]})
        series.append({"key": key, "lines": [" ".join(s) for s in segments if s], "points": points})
    grid = [{"y": y(level), "label": f"{round(level * 100)}%"} for level in (0.0, 0.5, 0.9, 1.0)]
    return {"width": WIDTH, "height": HEIGHT, "series": series, "grid": grid, "ticks": _ticks(rows, step)}


def reasons_chart(data: dict[str, Any]) -> dict[str, Any]:
    """Stacked bars per day, one colour per reason."""
    days = data["days"]
    top = max((sum(d["counts"]) for d in days), default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(1, len(days))
    bars = []
    for index, day in enumerate(days):
        base = HEIGHT - PAD
        for colour, (reason, n) in enumerate(zip(data["reasons"], day["counts"], strict=True)):
            if not n:
                continue
            height = round(n / top * (HEIGHT - 2 * PAD), 1)
            base = round(base - height, 1)
            bars.append(
                {
                    "x": round(PAD + index * slot + 1, 1),
                    "y": base,
                    "w": round(max(1.0, slot - 2), 1),
                    "h": height,
                    "colour": colour if reason else "other",
                    "reason": reason,
                    "n": n,
                    "day": day["day"],
                }
            )
    legend = [
        {"colour": i if reason else "other", "reason": reason, "total": data["totals"][reason]}
        for i, reason in enumerate(data["reasons"])
    ]
    centre = [{"day": d["day"]} for d in days]
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "legend": legend, "top": top,
            "ticks": _ticks(centre, slot, offset=slot / 2)}  # fmt: skip


def _ticks(rows: list[dict[str, Any]], step: float, offset: float = 0.0) -> list[dict[str, Any]]:
    """A date label every week, so 30 days stay readable on a phone."""
    return [
        {"x": round(PAD + offset + index * step, 1), "day": row["day"]}
        for index, row in enumerate(rows)
        if (len(rows) - 1 - index) % 7 == 0
    ]


def quality_dashboards(*, project: Project, now: datetime | None = None) -> dict[str, Any]:
    accuracy = daily_accuracy(project=project, now=now)
    reasons = daily_rejection_reasons(project=project, now=now)
    return {
        "accuracy": accuracy,
        "accuracy_chart": accuracy_chart(accuracy),
        "has_accuracy": any(r["gold_results"] or r["first_decisions"] for r in accuracy),
        "reasons_chart": reasons_chart(reasons),
        "has_rejections": bool(reasons["reasons"]),
        "reviewers": reviewer_quality(project=project),
        "checks": checks_summary(project=project),
    }
