"""``dure orgs create NAME [--slug S] [--owner USERNAME]``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dure.accounts import provisioning
from dure.accounts.models import Organization, User


class Command(BaseCommand):
    help = "Create organizations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("name")
        create.add_argument("--slug", default="")
        create.add_argument("--owner", default="", help="username of the first owner")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = None
        if options["owner"]:
            owner = User.objects.filter(username__iexact=options["owner"]).first()
            if owner is None:
                raise CommandError(f"no user {options['owner']!r}")
        if options["slug"] and Organization.objects.filter(slug=options["slug"]).exists():
            organization = Organization.objects.get(slug=options["slug"])
            self.stdout.write(
                json.dumps({"id": organization.pk, "slug": organization.slug, "result": "skipped"})
            )
            return
        organization = provisioning.create_organization_for(
            actor=None, name=options["name"], slug=options["slug"], owner=owner
        )
        self.stdout.write(json.dumps({"id": organization.pk, "slug": organization.slug, "result": "created"}))
