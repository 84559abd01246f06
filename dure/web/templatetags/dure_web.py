"""Small template filters for the pages: percentages, JSON answers, durations."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)


@register.filter
def minutes(seconds: float | int | None) -> str:
    if not seconds:
        return "0:00"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
