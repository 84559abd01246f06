"""``dure users create …`` and ``dure users import people.csv``: accounts in bulk, idempotent, with a report.

CSV columns (header row; only ``username`` is required): username, email, name, role, organization
(a slug), locale, password. Without a password the person gets an invitation link to set one.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dure.accounts import provisioning
from dure.accounts.models import Membership, Organization, Role, User
from dure.core.errors import DureError

ROLES = {str(r) for r in Role}


class Command(BaseCommand):
    help = "Create or import user accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--email", default="")
        create.add_argument("--name", default="")
        create.add_argument("--password", default=None)
        create.add_argument("--locale", default="ko", choices=["ko", "en"])
        create.add_argument("--org", default="", help="organization slug")
        create.add_argument("--role", default="worker", choices=sorted(ROLES))
        importing = sub.add_parser("import")
        importing.add_argument("csv_path")
        importing.add_argument("--org", default="", help="default organization slug for rows without one")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            row = {k: options[k] for k in ["username", "email", "name", "password", "locale", "role"]}
            row["organization"] = options["org"]
            outcome = provision_row(row)
            self.stdout.write(json.dumps(outcome, ensure_ascii=False))
            if outcome["result"] == "error":
                raise CommandError(outcome["reason"])
            return
        report = {"created": 0, "skipped": 0, "errors": 0}
        try:
            with open(options["csv_path"], encoding="utf-8-sig", newline="") as handle:
                for line, row in enumerate(csv.DictReader(handle), start=2):
                    row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                    row.setdefault("organization", options["org"])
                    row["organization"] = row["organization"] or options["org"]
                    outcome = provision_row(row)
                    outcome["line"] = line
                    key = {"created": "created", "skipped": "skipped"}.get(outcome["result"], "errors")
                    report[key] += 1
                    self.stdout.write(json.dumps(outcome, ensure_ascii=False))
        except FileNotFoundError as missing:
            raise CommandError(str(missing)) from None
        self.stdout.write(json.dumps({"summary": report}))


def provision_row(row: dict[str, Any]) -> dict[str, Any]:
    """One person: created, skipped (exists already; membership ensured) or error, with the reason."""
    username = str(row.get("username") or "").strip()
    if not username:
        return {"username": "", "result": "error", "reason": "username is empty"}
    role = str(row.get("role") or "worker")
    if role not in ROLES:
        return {"username": username, "result": "error", "reason": f"unknown role {role!r}"}
    organization = None
    slug = str(row.get("organization") or "")
    if slug:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            return {"username": username, "result": "error", "reason": f"no organization {slug!r}"}
    existing = User.objects.filter(username__iexact=username).first()
    if existing is not None:
        reason = "exists"
        if (
            organization is not None
            and not Membership.objects.filter(organization=organization, user=existing).exists()
        ):
            provisioning.add_member(organization=organization, user=existing, role=role)
            reason = "exists; added to the organization"
        return {"username": username, "result": "skipped", "reason": reason}
    try:
        done = provisioning.provision_user(
            actor=None,
            username=username,
            email=str(row.get("email") or ""),
            display_name=str(row.get("name") or ""),
            password=row.get("password") or None,
            locale=str(row.get("locale") or "ko") if row.get("locale") in {"ko", "en"} else "ko",
            organization=organization,
            role=role,
        )
    except DureError as error:
        return {
            "username": username,
            "result": "error",
            "reason": f"{error.code}: {error.details or error.message}",
        }
    outcome: dict[str, Any] = {"username": username, "result": "created", "id": done.user.pk}
    if done.invitation_key:
        outcome["invitation_url"] = provisioning.invitation_url(done.invitation_key)
    return outcome
