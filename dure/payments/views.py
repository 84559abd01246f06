"""Money pages: a person's earnings and payouts, a project's budget, the operator's payout batches."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dure.core.errors import DureError
from dure.core.http import csv_response, operator_of, user_of
from dure.payments import selectors, services
from dure.payments.models import BankAccount, Payout, PayoutBatch, PayoutState
from dure.projects.selectors import project_access


class BankAccountForm(forms.ModelForm):
    class Meta:
        model = BankAccount
        fields = ("bank", "number", "holder")


class PayoutForm(forms.Form):
    amount = forms.IntegerField(label=gettext_lazy("Amount (KRW)"), min_value=1, required=False)


class DepositForm(forms.Form):
    amount = forms.IntegerField(label=gettext_lazy("Amount (KRW)"), min_value=1, max_value=100_000_000_000)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=200, required=False)


def bar_chart(
    points: list[dict[str, Any]], *, value: str, label: str, width: int = 720, height: int = 160
) -> dict:
    """Bars for an inline SVG (no chart library, no CDN): positions computed here, drawn by the template."""
    top = max((p[value] for p in points), default=0) or 1
    slot = width / max(1, len(points))
    bars = []
    for index, point in enumerate(points):
        bar_height = round(point[value] / top * (height - 20), 1)
        bars.append(
            {
                "x": round(index * slot + 1, 1),
                "y": round(height - bar_height, 1),
                "w": round(max(1.0, slot - 2), 1),
                "h": bar_height,
                "value": point[value],
                "label": point[label],
            }
        )
    return {"bars": bars, "width": width, "height": height, "top": top}


@login_required
def earnings(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    bank = BankAccount.objects.filter(user=user).first()
    bank_form = BankAccountForm(instance=bank, prefix="bank")
    payout_form = PayoutForm(prefix="payout")
    if request.method == "POST" and "bank-bank" in request.POST:
        bank_form = BankAccountForm(request.POST, instance=bank, prefix="bank")
        if bank_form.is_valid():
            try:
                services.set_bank_account(user=user, **bank_form.cleaned_data)
                messages.success(request, _("Your bank account was saved."))
                return redirect("payments:earnings")
            except DureError as error:
                bank_form.add_error(None, str(error.message))
    elif request.method == "POST":
        payout_form = PayoutForm(request.POST, prefix="payout")
        if payout_form.is_valid():
            try:
                payout = services.request_payout(
                    user=user, amount=payout_form.cleaned_data["amount"], key=request.POST.get("key") or None
                )
                messages.success(
                    request,
                    _("Payout requested: %(net)s won will be transferred (%(tax)s won withheld).")
                    % {"net": f"{payout.net:,}", "tax": f"{payout.income_tax + payout.local_tax:,}"},
                )
                return redirect("payments:earnings")
            except DureError as error:
                payout_form.add_error(None, str(error.message))
    summary = selectors.earnings(user=user)
    chart = bar_chart(summary["daily"], value="amount", label="date")
    return render(
        request,
        "payments/earnings.html",
        {
            "summary": summary,
            "chart": chart,
            "bank": bank,
            "bank_form": bank_form,
            "payout_form": payout_form,
            "payouts": Payout.objects.filter(user=user).order_by("-requested_at")[:50],
            "idempotency_key": f"{user.pk}-{timezone.now().timestamp()}",
        },
    )


@login_required
def budget(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_export)
    form = DepositForm()
    if request.method == "POST":
        access.require(access.can_manage)
        form = DepositForm(request.POST)
        if form.is_valid():
            services.deposit(
                project=access.project,
                amount=form.cleaned_data["amount"],
                actor=user_of(request),
                reference=form.cleaned_data["reference"],
                key=request.POST.get("key") or None,
            )
            messages.success(request, _("The deposit was added to the budget."))
            return redirect("payments:budget", project_id=project_id)
    month = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    try:
        statement = selectors.statement(project=access.project, month=month)
    except ValueError:
        month = timezone.localdate().strftime("%Y-%m")
        statement = selectors.statement(project=access.project, month=month)
    fair_pay = selectors.fair_pay_report(project=access.project)
    return render(
        request,
        "payments/budget.html",
        {
            "project": access.project,
            "can_manage": access.can_manage,
            "budget": selectors.budget(project=access.project),
            "advice": selectors.price_advice(project=access.project) if access.can_manage else None,
            "fair_pay": fair_pay,
            "fair_pay_chart": bar_chart(fair_pay["histogram"], value="hours", label="from"),
            "statement": statement,
            "form": form,
            "idempotency_key": f"{access.project.pk}-{timezone.now().timestamp()}",
        },
    )


@login_required
def payouts(request: HttpRequest) -> HttpResponse:
    operator_of(request)
    fair_pay = selectors.fair_pay_report()
    return render(
        request,
        "payments/payouts.html",
        {
            "waiting": Payout.objects.filter(state=PayoutState.REQUESTED).select_related("user")[:500],
            "batches": PayoutBatch.objects.order_by("-created_at").prefetch_related("payouts__user")[:20],
            "fair_pay": fair_pay,
            "fair_pay_chart": bar_chart(fair_pay["histogram"], value="hours", label="from"),
        },
    )


@login_required
@require_POST
def payout_action(request: HttpRequest, action: str, payout_id: int = 0) -> HttpResponse:
    operator = operator_of(request)
    try:
        if action == "batch":
            batch = services.create_payout_batch(actor=operator)
            messages.success(
                request, _("A transfer batch was made.") if batch else _("No payouts are waiting.")
            )
        elif action == "paid":
            services.mark_paid(payout_id=payout_id, actor=operator)
        elif action == "failed":
            services.mark_failed(
                payout_id=payout_id, actor=operator, reason=request.POST.get("reason") or _("Transfer failed")
            )
        elif action == "settle":
            start, end = services.last_week()
            summary = services.settle_fair_pay(start=start, end=end, actor=operator)
            messages.success(
                request,
                _("Fair pay settled for %(start)s to %(end)s: %(count)s top-ups, %(total)s won.")
                % {
                    "start": start,
                    "end": end,
                    "count": summary.topped_up,
                    "total": f"{summary.top_up_total:,}",
                },
            )
    except DureError as error:
        messages.error(request, str(error.message))
    return redirect("payments:payouts")


@login_required
def batch_csv(request: HttpRequest, batch_id: int) -> HttpResponse:
    operator_of(request)
    batch = get_object_or_404(PayoutBatch, pk=batch_id)
    rows = selectors.transfer_rows(batch=batch)
    return csv_response(rows, f"dure-transfers-{batch.pk}.csv")


@login_required
def statement_csv(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return csv_response(selectors.statement_lines(user=user), f"dure-earnings-{user.username}.csv")
