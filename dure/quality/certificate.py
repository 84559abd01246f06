"""The delivery certificate: what a client checks before trusting a batch, as data, an HTML page and a PDF.

The data (``delivery_certificate`` / ``export_certificate``) is plain JSON without sentences, so it can be
frozen when a batch is decided, put in export bundles and worded in the reader's language when shown. Its
``sha256`` is the digest of the canonical JSON of everything else, printed on the PDF.

Contents: counts; the automatic format checks run over every delivered approved answer (``checks``; target
100% valid); the sampled accuracy with its exact Clopper-Pearson 95% interval; agreement figures;
reviewer audit agreement; and how each sample was drawn (seed, method, ids) so the client can draw it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from dure.core import bulkread
from dure.core.lookups import ids_lookup
from dure.projects.models import Project
from dure.projects.selectors import spec_of
from dure.quality import sampling
from dure.quality.models import Audit, AuditState, Delivery, DeliveryItem, DeliveryState, SampleResult
from dure.work.models import Item, ItemState, Submission, SubmissionState

VERSION = 1
#: problems listed on the certificate (the counts cover all of them)
MAX_PROBLEMS = 50


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def digest(certificate: dict[str, Any]) -> str:
    body = {k: v for k, v in certificate.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- the figures ----------------------------------------------------------------------------------------------


def _problem(problem: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(problem) and not isinstance(problem, type):
        return _jsonable(dataclasses.asdict(problem))
    if isinstance(problem, dict):
        return _jsonable(problem)
    return {"message": str(problem)}


def _checker(project: Project) -> tuple[str, Any]:
    """The automatic format checks (``dure.quality.checks``); the interface validation when absent."""
    spec = spec_of(project)
    try:
        from dure.quality.checks import check_answer
    except ImportError:  # pragma: no cover - the checks module lands separately
        from dure.projects.spec import answer_errors

        return "interface", lambda answer, item, slot: answer_errors(spec, answer, item.data)
    return "dure.quality.checks", lambda answer, item, slot: check_answer(
        spec=spec, answer=answer, item=item, slot_id=slot
    )


class _CheckedItem:
    """The three fields the checks read of an item, without building a model instance per answer."""

    __slots__ = ("data", "pk", "project_id")

    def __init__(self, pk: int, project_id: int, data: Any) -> None:
        self.pk, self.project_id, self.data = pk, project_id, data


class FormatChecks:
    """The automatic checks run over approved answers as they are read: counts and the first problems.

    ``format_checks`` feeds it by walking the items itself; an export feeds it the answers it reads anyway
    (``dure.datasets.selectors.export_rows``), so the certificate does not read them a second time. Either
    way the answers come by item id, then by answer id, so the problems listed are the same."""

    def __init__(self, project: Project) -> None:
        self.checker, self._check = _checker(project)
        self.checked = self.invalid = 0
        self.problems: list[dict[str, Any]] = []

    def add(self, *, item_id: int, project_id: int, data: Any, slot_id: int, answer: Any) -> None:
        self.checked += 1
        found = self._check(answer, _CheckedItem(item_id, project_id, data), slot_id)
        if found:
            self.invalid += 1
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(
                    {"item": item_id, "slot": slot_id, "problems": [_problem(p) for p in found][:10]}
                )

    def result(self) -> dict[str, Any]:
        checked, invalid = self.checked, self.invalid
        return {
            "checker": self.checker,
            "answers": checked,
            "valid": checked - invalid,
            "invalid": invalid,
            "valid_rate": round((checked - invalid) / checked, 6) if checked else None,
            "target": 1.0,
            "problems": self.problems,
        }


def format_checks(*, project: Project, items: QuerySet[Item]) -> dict[str, Any]:
    """Runs the automatic checks over every approved answer of the items, a chunk of items at a time.

    The items are walked in id order (``bulkread.chunks``; it held every id once, which grew with the
    export) and the answers fetched by the chunk's ids as plain tuples: a join on the items' own query for
    every chunk made SQLite scan the lot again each time (100,000 items: 25 s of 58), and model instances
    per answer cost more than the checks themselves.
    """
    checks = FormatChecks(project)
    load = bulkread.json_value
    for chunk in bulkread.chunks(items.order_by("pk").values_list("pk"), size=2000):
        item_ids = [row[0] for row in chunk]
        wanted = set(item_ids)
        for answer, slot_id, item_id, project_id, data in bulkread.rows(
            Submission.objects.filter(ids_lookup("item_id", item_ids), state=SubmissionState.APPROVED)
            .order_by("item_id", "id")
            .values_list("answer", "slot_id", "item_id", "item__project_id", "item__data")
        ):
            if item_id not in wanted:  # a range read rows of items the export leaves out
                continue
            checks.add(item_id=item_id, project_id=project_id, data=load(data), slot_id=slot_id,
                       answer=load(answer))  # fmt: skip
    return checks.result()


def agreement(project: Project) -> dict[str, Any] | None:
    """Agreement among workers on overlapping items (``dure.quality.agreement``); None without overlap."""
    try:
        from dure.quality.agreement import project_agreement
    except ImportError:  # pragma: no cover - the agreement module lands separately
        return None
    return _jsonable(project_agreement(project=project))


def audit_agreement(project: Project) -> dict[str, Any]:
    """How often senior reviewers agreed with the reviewers' decisions they re-checked."""
    counts = Audit.objects.filter(project=project, state=AuditState.DONE).aggregate(
        audits=Count("id"), agreed=Count("id", filter=Q(agrees=True))
    )
    audits, agreed = counts["audits"], counts["agreed"]
    return {
        "audits": audits,
        "agreed": agreed,
        "agreement": round(agreed / audits, 6) if audits else None,
        "interval": list(sampling.clopper_pearson(agreed, audits)) if audits else None,
    }


def sample_section(delivery: Delivery) -> dict[str, Any]:
    correct = delivery.checked - delivery.defects
    samples = list(delivery.samples.order_by("position").values("item_id", "position", "result", "reason"))
    return {
        "delivery": delivery.number,
        "state": delivery.state,
        "delivered_at": delivery.delivered_at,
        "decided_at": delivery.decided_at,
        "lot_size": delivery.lot_size,
        "plan": delivery.plan,
        "sample_size": delivery.sample_size,
        "accept_number": delivery.accept_number,
        "reject_number": delivery.reject_number,
        "checked": delivery.checked,
        "defects": delivery.defects,
        "accuracy": round(correct / delivery.checked, 6) if delivery.checked else None,
        "confidence": sampling.CONFIDENCE,
        "interval": list(sampling.clopper_pearson(correct, delivery.checked)) if delivery.checked else None,
        "draw": delivery.draw,
        "results": [
            {"item": s["item_id"], "result": s["result"], "reason": s["reason"]}
            for s in samples
            if s["result"] != SampleResult.PENDING
        ],
    }


def _counts(project: Project, covered: int) -> dict[str, int]:
    items = Item.objects.filter(project=project, gold__isnull=True).aggregate(
        items=Count("id"), approved=Count("id", filter=Q(state=ItemState.DONE))
    )
    delivered = (
        DeliveryItem.objects.filter(delivery__project=project, delivery__state=DeliveryState.ACCEPTED)
        .values("item_id")
        .distinct()
        .count()
    )
    return {
        "items": items["items"],
        "approved": items["approved"],
        "delivered": delivered,
        "covered": covered,
    }


def _base(project: Project, kind: str) -> dict[str, Any]:
    return {
        "version": VERSION,
        "kind": kind,
        "generated_at": timezone.now(),
        "project": {"id": project.pk, "name": project.name},
        "organization": {"id": project.organization_id, "name": project.organization.name},
    }


def _finish(certificate: dict[str, Any]) -> dict[str, Any]:
    certificate = _jsonable(certificate)
    certificate["sha256"] = digest(certificate)
    return certificate


#: what a preview says instead of the format checks, which run once, when the batch is decided
CHECKS_PENDING = {"pending": True}


def delivery_certificate(*, delivery: Delivery, preview: bool = False) -> dict[str, Any]:
    """The batch's certificate; a ``preview`` (while the client inspects) leaves out the format checks, which
    read every delivered answer (100,000 items: about 10 s) and run once, when the batch is decided."""
    project = delivery.project
    items = Item.objects.filter(pk__in=delivery.items.values("item_id"))
    return _finish(
        {
            **_base(project, "delivery"),
            "delivery": {
                "id": delivery.pk,
                "number": delivery.number,
                "state": delivery.state,
                "delivered_at": delivery.delivered_at,
                "decided_at": delivery.decided_at,
                "resubmission_of": delivery.resubmission_of.number if delivery.resubmission_of else None,
                "lot_size": delivery.lot_size,
            },
            "counts": _counts(project, delivery.lot_size),
            "format_checks": CHECKS_PENDING if preview else format_checks(project=project, items=items),
            "sampling": [sample_section(delivery)],
            "agreement": agreement(project),
            "audits": audit_agreement(project),
        }
    )


def export_certificate(
    *, project: Project, items: QuerySet[Item], checks: FormatChecks | None = None
) -> dict[str, Any]:
    """The certificate of an export: the exported items' checks, and every delivery of the project.

    ``checks`` are the format checks the export already ran over the items' approved answers (else they
    are run here)."""
    deliveries = list(Delivery.objects.filter(project=project).order_by("-number")[:20])
    return _finish(
        {
            **_base(project, "export"),
            "delivery": None,
            "counts": _counts(project, items.count()),
            "format_checks": checks.result() if checks else format_checks(project=project, items=items),
            "sampling": [
                d.certificate["sampling"][0] if d.certificate else sample_section(d) for d in deliveries
            ],
            "agreement": agreement(project),
            "audits": audit_agreement(project),
        }
    )


def current(delivery: Delivery) -> dict[str, Any]:
    """The frozen certificate of a decided batch; a live preview while the client is still inspecting."""
    return delivery.certificate or delivery_certificate(delivery=delivery, preview=True)


# --- wording: HTML and PDF ------------------------------------------------------------------------------------


def _percent(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def agreement_rows(figures: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not figures:
        return []
    rows = [
        (_("Items answered by several workers"), str(figures.get("items", 0))),
        (_("Worker pairs compared"), str(figures.get("pairs_total", 0))),
    ]
    for output in figures.get("outputs") or []:
        value = output.get("value")
        metric = output.get("metric") or ""
        shown = "—" if value is None else f"{value:.3f}"
        rows.append((f"{output.get('name')} ({output.get('type')}{', ' + metric if metric else ''})", shown))
    return rows


def context(certificate: dict[str, Any]) -> dict[str, Any]:
    """What the templates and the PDF print, with the interval and rates already formatted."""
    samples = []
    for section in certificate.get("sampling") or []:
        interval = section.get("interval")
        plan = section.get("plan") or {}
        samples.append(
            {
                **section,
                "accuracy_text": _percent(section.get("accuracy")),
                "interval_text": f"[{_percent(interval[0])}, {_percent(interval[1])}]" if interval else "—",
                "plan_text": plan_text(plan),
            }
        )
    checks = certificate.get("format_checks") or {}
    audits = certificate.get("audits") or {}
    audit_interval = audits.get("interval")
    return {
        "certificate": certificate,
        "samples": samples,
        "checks": checks,
        "valid_text": _percent(checks.get("valid_rate")),
        "audits": audits,
        "audit_text": _percent(audits.get("agreement")),
        "audit_interval_text": (
            f"[{_percent(audit_interval[0])}, {_percent(audit_interval[1])}]" if audit_interval else "—"
        ),
        "agreement_rows": agreement_rows(certificate.get("agreement")),
    }


def plan_text(plan: dict[str, Any]) -> str:
    if plan.get("method") == "iso2859":
        letter = plan.get("code_letter", "")
        used = plan.get("plan_letter", "")
        letters = letter if letter == used else f"{letter} → {used}"
        return _(
            "ISO 2859-1 single sampling, normal inspection, level II, AQL %(aql)s%%: code letter %(letters)s, "
            "n = %(n)s, Ac = %(ac)s, Re = %(re)s"
        ) % {
            "aql": plan.get("aql"),
            "letters": letters,
            "n": plan.get("sample_size"),
            "ac": plan.get("accept"),
            "re": plan.get("reject"),
        }
    if plan.get("method") == "confidence":
        return _(
            "Smallest sample whose exact %(confidence)s%% lower bound reaches %(target)s%% accuracy with "
            "%(ac)s defects: n = %(n)s, Ac = %(ac)s, Re = %(re)s"
        ) % {
            "confidence": round((plan.get("confidence") or 0.95) * 100),
            "target": _trim(plan.get("target")),
            "n": plan.get("sample_size"),
            "ac": plan.get("accept"),
            "re": plan.get("reject"),
        }
    return ""


def _trim(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:g}"


def standalone_html(certificate: dict[str, Any]) -> str:
    """A self-contained HTML file (styles inside, no links out) for export bundles."""
    return render_to_string("quality/certificate_file.html", context(certificate))


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    # Built-in CID fonts: the PDF names them and the reader supplies the Korean glyphs, so no font file ships.
    for name in ("HYSMyeongJo-Medium", "HYGothic-Medium"):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(name))
    return "HYGothic-Medium", "HYSMyeongJo-Medium"


def pdf(certificate: dict[str, Any]) -> bytes:
    """The certificate as a PDF (A4), worded in the active language."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _gothic, serif = _fonts()
    data = context(certificate)
    # The Myeongjo face spaces Latin letters proportionally (the Gothic one does not): it sets every line.
    title_style = ParagraphStyle("title", fontName=serif, fontSize=20, leading=26, spaceAfter=4)
    heading = ParagraphStyle("heading", fontName=serif, fontSize=13, leading=17, spaceBefore=10, spaceAfter=4)
    body = ParagraphStyle("body", fontName=serif, fontSize=9.5, leading=13)
    small = ParagraphStyle(
        "small", fontName=serif, fontSize=7.5, leading=10, textColor=colors.HexColor("#444")
    )

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        # The CID fonts have no glyph for the middle dot the pages put between names.
        plain = str(text).replace("·", "|")
        escaped = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    def table(rows: Iterable[tuple[Any, Any]]) -> Table:
        made = Table([[p(a), p(b)] for a, b in rows], colWidths=[70 * mm, 100 * mm])
        made.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbb")),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f4f7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return made

    counts = certificate.get("counts") or {}
    checks = data["checks"]
    story: list[Any] = [
        p(_("Delivery certificate"), title_style),
        p(f"{certificate['organization']['name']} · {certificate['project']['name']}", heading),
    ]
    delivery = certificate.get("delivery")
    head = [(_("Issued"), certificate.get("generated_at", "")[:19].replace("T", " ") + " UTC")]
    if delivery:
        head += [
            (_("Delivery"), f"#{delivery['number']} · {_state(delivery['state'])}"),
            (_("Delivered"), (delivery.get("delivered_at") or "")[:19].replace("T", " ")),
        ]
    head += [
        (_("Items in the project"), counts.get("items", 0)),
        (_("Approved items"), counts.get("approved", 0)),
        (_("Items delivered and accepted"), counts.get("delivered", 0)),
        (_("Items this certificate covers"), counts.get("covered", 0)),
    ]
    story += [table(head), p(_("Automatic format checks"), heading)]
    story.append(
        p(_("The format checks run when the client's inspection decides the batch."), body)
        if checks.get("pending")
        else table(
            [
                (_("Approved answers checked"), checks.get("answers", 0)),
                (_("Valid"), f"{checks.get('valid', 0)} ({data['valid_text']})"),
                (_("With problems"), checks.get("invalid", 0)),
            ]
        )
    )
    for section in data["samples"]:
        story.append(p(_("Sampled accuracy, delivery #%(n)s") % {"n": section["delivery"]}, heading))
        story.append(
            table(
                [
                    (_("Plan"), section["plan_text"]),
                    (_("Lot size"), section["lot_size"]),
                    (_("Checked / defective"), f"{section['checked']} / {section['defects']}"),
                    (_("Accuracy in the sample"), section["accuracy_text"]),
                    (
                        _("Exact %(level)s interval (Clopper-Pearson)") % {"level": "95%"},
                        section["interval_text"],
                    ),
                    (_("Decision"), _state(section["state"])),
                    (_("Seed"), section["draw"].get("seed")),
                    (_("Lot digest (sha256 of sorted ids)"), section["draw"].get("population_sha256")),
                ]
            )
        )
        story.append(
            p(
                _("How to draw the sample again: %(method)s (numpy %(numpy)s).")
                % {"method": section["draw"].get("method"), "numpy": section["draw"].get("numpy")},
                small,
            )
        )
        ids = section["draw"].get("sample_ids") or []
        story.append(p(_("Sampled items: %(ids)s") % {"ids": ", ".join(str(i) for i in ids)}, small))
    story.append(p(_("Agreement between workers"), heading))
    rows = data["agreement_rows"]
    story.append(table(rows) if rows else p(_("No item was answered by several workers."), body))
    audits = data["audits"]
    story += [
        p(_("Reviewer audits"), heading),
        table(
            [
                (_("Decisions re-checked by senior reviewers"), audits.get("audits", 0)),
                (_("Agreement"), data["audit_text"]),
                (
                    _("Exact %(level)s interval (Clopper-Pearson)") % {"level": "95%"},
                    data["audit_interval_text"],
                ),
            ]
        ),
        Spacer(1, 6 * mm),
        p(_("Certificate digest (sha256): %(digest)s") % {"digest": certificate.get("sha256", "")}, small),
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=str(_("Delivery certificate")),
        author="Dure",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    document.build(story)
    return out.getvalue()


def _state(state: str) -> str:
    return str(dict(DeliveryState.choices).get(state, state))
