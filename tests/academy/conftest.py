from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_dispatch_profiles() -> None:
    """Rolled-back tests reuse ids on SQLite: a cached eligibility answer must not leak into the next test."""
    from dure.quality import services
    from dure.quality.selectors import forget_profiles

    forget_profiles()
    services._audit_watermark.clear()
