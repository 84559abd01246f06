from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpRequest, HttpResponse

from dure.accounts.models import User
from dure.core.errors import NotAuthenticated, PermissionDenied


def user_of(request: HttpRequest) -> User:
    """The signed-in user of an authenticated endpoint, typed."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user


def operator_of(request: HttpRequest) -> User:
    """The signed-in platform operator (Django staff): payouts and settlements are theirs, not a client's."""
    user = user_of(request)
    if not user.is_staff:
        raise PermissionDenied()
    return user


def csv_response(rows: list[dict[str, Any]], filename: str) -> HttpResponse:
    """A CSV download that Excel opens with Korean intact (UTF-8 with a byte-order mark)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
