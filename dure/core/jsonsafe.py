"""JSON that parses is not always JSON a database can store.

Python's parser accepts ``NaN``, ``Infinity`` and ``1e400`` (infinite), lone surrogates (``"\\ud800"``)
and NUL characters (``"\\u0000"``). PostgreSQL's jsonb and SQLite's JSON checks refuse them, and UTF-8
cannot encode a lone surrogate, so letting them through turns a caller's mistake into a 500 at save time.
Every JSON document from outside is checked here first, without recursion so depth cannot crash us.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

#: Deeper documents are refused: nothing Dure stores needs it, and encoders recurse.
MAX_DEPTH = 64


def storage_problem(value: Any, *, path: str = "", max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """The first place where ``value`` cannot be stored as JSON, as ``(path, reason)``, or ``None``."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        current, where, depth = stack.pop()
        if isinstance(current, str):
            reason = _text_problem(current)
            if reason:
                return where, reason
        elif isinstance(current, float):
            if not math.isfinite(current):
                return where, _("Numbers must be finite.")
        elif isinstance(current, dict | list):
            if depth >= max_depth:
                return where, _("Nested more than %(n)d levels deep.") % {"n": max_depth}
            if isinstance(current, dict):
                for key, child in current.items():
                    if not isinstance(key, str):
                        return where, _("Object keys must be text.")
                    reason = _text_problem(key)
                    if reason:
                        return where, reason
                    stack.append((child, f"{where}.{key}" if where else key, depth + 1))
            else:
                for index, child in enumerate(current):
                    stack.append((child, f"{where}[{index}]", depth + 1))
        elif not (current is None or isinstance(current, bool | int)):
            return where, _("Not a JSON value.")
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return _("Text cannot contain NUL characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text is not valid Unicode.")
    return None
