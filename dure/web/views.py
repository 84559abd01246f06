from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dure.accounts import selectors as account_selectors
from dure.accounts import services as account_services
from dure.core.http import user_of
from dure.web.forms import SignupForm, TokenForm


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.DURE_SIGNUP_OPEN:
        raise Http404
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.locale = (get_language() or "ko")[:2]
        user.save()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])  # the password backend
        return redirect("web:home")
    return render(request, "web/signup.html", {"form": form})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _token, new_token = account_services.issue_token(
            user=user_of(request), name=form.cleaned_data["name"]
        )
    return render(
        request,
        "web/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": account_selectors.active_tokens(user=user_of(request)),
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    account_services.revoke_token(user=user_of(request), token_id=token_id)
    messages.success(request, _("The token was revoked."))
    return redirect("web:tokens")
