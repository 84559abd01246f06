"""``python -m tests.accounts.oidc_provider.serve PORT REDIRECT_URI``: migrate, add people and the client, serve."""

import os
import sys

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_provider.settings"

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

port, redirect_uri = sys.argv[1], sys.argv[2]
call_command("migrate", verbosity=0)
for username, groups in [
    ("alice", ["dure-managers", "staff"]),
    ("bob", ["visitors"]),
    ("carol", ["labelers"]),
]:
    user = User.objects.create_user(
        username, f"{username}@corp.example", "provider-pass-1", first_name=username.title()
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
Application.objects.create(
    name="dure",
    client_id="dure-client",
    client_secret="dure-secret",
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=redirect_uri,
    skip_authorization=True,
    algorithm=Application.RS256_ALGORITHM,
)
call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True, verbosity=0)
