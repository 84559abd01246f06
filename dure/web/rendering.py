"""Guideline Markdown → safe HTML (Markdown, then nh3 removes anything a browser could run)."""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe


def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    # nh3 has just removed scripts, event handlers and unsafe URLs.
    return mark_safe(nh3.clean(html))
