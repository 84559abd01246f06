"""Cursor pagination by descending primary key: stable under inserts, cheap at any depth."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase


class CursorPagination(PaginationBase):
    class Input(Schema):
        cursor: int | None = Field(default=None, description="the `next` value of the previous page")
        limit: int = Field(default=50, ge=1, le=500)

    class Output(Schema):
        items: list[Any]
        next: int | None

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Any, request: HttpRequest | None = None, **params: Any
    ) -> dict[str, Any]:
        queryset = queryset.order_by("-pk")
        if pagination.cursor is not None:
            queryset = queryset.filter(pk__lt=pagination.cursor)
        page = list(queryset[: pagination.limit + 1])
        more = len(page) > pagination.limit
        page = page[: pagination.limit]
        return {"items": page, "next": page[-1].pk if more and page else None}
