"""Start-up warnings for defaults that are fine on a laptop and unsafe in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register("dure", deploy=True)
def insecure_defaults(app_configs: Any, **kwargs: Any) -> list[Warning]:
    warnings = []
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY:
        warnings.append(Warning("DURE_SECRET_KEY is not set; the development key is public.", id="dure.W001"))
    if str(settings.DATABASES["default"]["ENGINE"]).endswith("sqlite3"):
        warnings.append(
            Warning(
                "SQLite is fine for one machine; set DURE_DATABASE_URL=postgres://… to run several app servers.",
                id="dure.W002",
            )
        )
    return warnings
