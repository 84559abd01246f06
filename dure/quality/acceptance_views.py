"""Acceptance pages: a project's deliveries (deliver a batch), one delivery with its sample, the inspection
of one sampled item, and the delivery certificate as a page and a PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dure.core.errors import DureError
from dure.core.http import user_of
from dure.projects.selectors import Access, project_access
from dure.quality import acceptance, certificate, sampling
from dure.quality.models import DeliveryState, SampleResult
from dure.quality.selectors import settings_of
from dure.web.workspace_views import REVIEW_REASONS
from dure.work.selectors import pseudonym


def _access(request: HttpRequest, project_id: int) -> Access:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(acceptance.can_read(access))
    return access


@login_required
def deliveries(request: HttpRequest, project_id: int) -> HttpResponse:
    access = _access(request, project_id)
    project = access.project
    if request.method == "POST":
        access.require(access.can_manage)
        try:
            limit = int(request.POST.get("limit") or 0) or None
            delivery = acceptance.deliver_batch(
                project=project,
                actor=user_of(request),
                limit=limit,
                method=request.POST.get("method") or None,
                aql=request.POST.get("aql") or None,
                target=float(request.POST["target"]) / 100 if request.POST.get("target") else None,
                defects=int(request.POST["defects"]) if request.POST.get("defects") else None,
            )
        except (DureError, ValueError) as error:
            messages.error(request, str(getattr(error, "message", error)))
            return redirect("quality:deliveries", project_id=project.pk)
        messages.success(
            request,
            _("Delivery #%(number)s: %(items)s items, %(n)s of them sampled for the client's inspection.")
            % {"number": delivery.number, "items": delivery.lot_size, "n": delivery.sample_size},
        )
        return redirect("quality:delivery", project_id=project.pk, delivery_id=delivery.pk)
    quality = settings_of(project)
    waiting = acceptance.deliverable_items(project=project).count()
    preview = None
    if waiting:
        choice = acceptance.plan_choice(project=project)
        preview = certificate.plan_text(acceptance.make_plan(choice, waiting).as_dict())
    return render(
        request,
        "quality/deliveries.html",
        {
            "project": project,
            "access": access,
            "deliveries": acceptance.project_deliveries(project=project)[:200],
            "waiting": waiting,
            "preview": preview,
            "quality": quality,
            "aqls": sampling.AQLS,
            "target_percent": f"{quality.acceptance_target * 100:g}",
        },
    )


@login_required
def delivery(request: HttpRequest, project_id: int, delivery_id: int) -> HttpResponse:
    access = _access(request, project_id)
    project = access.project
    found = acceptance.delivery_of(project=project, delivery_id=delivery_id)
    if request.method == "POST":
        access.require(access.can_manage)
        try:
            again = acceptance.deliver_again(project=project, actor=user_of(request), delivery_id=found.pk)
        except DureError as error:
            messages.error(request, str(error.message))
            return redirect("quality:delivery", project_id=project.pk, delivery_id=found.pk)
        messages.success(request, _("The batch was delivered again with a fresh sample."))
        return redirect("quality:delivery", project_id=project.pk, delivery_id=again.pk)
    return render(
        request,
        "quality/delivery.html",
        {
            "project": project,
            "access": access,
            "delivery": found,
            "summary": acceptance.delivery_summary(found),
            "plan_text": certificate.plan_text(found.plan),
            "samples": found.samples.order_by("position"),
            "inspector": acceptance.can_inspect(access),
            "inspecting": found.state == DeliveryState.INSPECTING,
            "returned": found.state == DeliveryState.RETURNED and not found.resubmissions.exists(),
        },
    )


@login_required
def inspect_next(request: HttpRequest, project_id: int, delivery_id: int) -> HttpResponse:
    access = _access(request, project_id)
    access.require(acceptance.can_inspect(access))
    found = acceptance.delivery_of(project=access.project, delivery_id=delivery_id)
    check = acceptance.next_sample(delivery=found, user=user_of(request))
    if check is None or found.state != DeliveryState.INSPECTING:
        if found.state == DeliveryState.INSPECTING:
            messages.info(
                request, _("No sampled item is left for you: the rest is somebody else's to check.")
            )
        return redirect("quality:delivery", project_id=access.project.pk, delivery_id=found.pk)
    return redirect(
        "quality:sample", project_id=access.project.pk, delivery_id=found.pk, item_id=check.item_id
    )


@login_required
def sample(request: HttpRequest, project_id: int, delivery_id: int, item_id: int) -> HttpResponse:
    """The inspection of one sampled item: its data and approved answers, correct or defective with a reason."""
    access = _access(request, project_id)
    project = access.project
    found = acceptance.delivery_of(project=project, delivery_id=delivery_id)
    check = acceptance.sample_of(delivery=found, item_id=item_id)
    user = user_of(request)
    if request.method == "POST":
        access.require(acceptance.can_inspect(access))
        passed = request.POST.get("verdict") == "pass"
        reasons = [r for r in request.POST.getlist("reason") if r in REVIEW_REASONS]
        words = [str(_reason_label(r)) for r in reasons]
        if request.POST.get("comment", "").strip():
            words.append(request.POST["comment"].strip())
        try:
            acceptance.check_sample(
                project=project,
                actor=user,
                delivery_id=found.pk,
                item_id=item_id,
                passed=passed,
                reason="; ".join(words),
                wrong_slots=[int(s) for s in request.POST.getlist("wrong_slot") if s.isdigit()] or None,
            )
        except DureError as error:
            messages.error(request, str(error.message))
            return redirect("quality:sample", project_id=project.pk, delivery_id=found.pk, item_id=item_id)
        found.refresh_from_db()
        if found.state != DeliveryState.INSPECTING:
            return redirect("quality:delivery_certificate", project_id=project.pk, delivery_id=found.pk)
        return redirect("quality:inspect", project_id=project.pk, delivery_id=found.pk)
    slots = acceptance.approved_slots(item_id)
    return render(
        request,
        "quality/sample.html",
        {
            "project": project,
            "access": access,
            "delivery": found,
            "check": check,
            "item": check.item,
            "answers": [
                {
                    "slot": s.pk,
                    "index": s.index + 1,
                    "answer": s.submission.answer if s.submission else None,
                    "worker": pseudonym(s.worker_id),
                }
                for s in slots
            ],
            "several": len(slots) > 1,
            "may_check": acceptance.can_inspect(access)
            and found.state == DeliveryState.INSPECTING
            and not acceptance.worked_on(user=user, item_id=item_id),
            "own_work": acceptance.worked_on(user=user, item_id=item_id),
            "reasons": [(r, _reason_label(r)) for r in REVIEW_REASONS],
            "pending": SampleResult.PENDING,
        },
    )


def _reason_label(code: str) -> str:
    labels = {
        "wrong_label": _("Wrong label or choice"),
        "missed": _("Something was missed"),
        "extra": _("Marked something that is not there"),
        "boundary": _("Inaccurate boundary or timing"),
        "transcription": _("Transcription mistakes"),
        "guideline": _("Does not follow the guideline"),
        "incomplete": _("Incomplete or low-effort answer"),
    }
    return labels.get(code, code)


@login_required
def certificate_page(request: HttpRequest, project_id: int, delivery_id: int) -> HttpResponse:
    access = _access(request, project_id)
    found = acceptance.delivery_of(project=access.project, delivery_id=delivery_id)
    data = certificate.current(found)
    return render(
        request,
        "quality/certificate.html",
        {"project": access.project, "access": access, "delivery": found, **certificate.context(data)},
    )


@login_required
def certificate_pdf(request: HttpRequest, project_id: int, delivery_id: int) -> HttpResponse:
    access = _access(request, project_id)
    found = acceptance.delivery_of(project=access.project, delivery_id=delivery_id)
    response = HttpResponse(certificate.pdf(certificate.current(found)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{found.project_id}-{found.number}.pdf"'
    return response
