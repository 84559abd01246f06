"""What the request path costs around the service functions: cycles (or ``GET /me``) called through the WSGI
application exactly as a server calls it, no HTTP and no test client, with CPU per request, a profile
grouped by layer, and the cost of each middleware measured by leaving it out.

    rm -rf /tmp/dure-path; DURE_VAR_DIR=/tmp/dure-path .venv/bin/python bench/dispatch/request_path.py \
        [--what cycle|me] [--cycles 300] [--profile] [--ablate]

A server's own cost per request is what ``bench/dispatch/run.py`` measures in the server processes minus
what this measures for the same requests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")

Application = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(method: str, path: str, token: str, body: Any = None) -> dict[str, Any]:
    """What gunicorn and granian hand the application for one keep-alive request of the load client."""
    payload = b"" if body is None else json.dumps(body).encode()
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8100",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "CONTENT_TYPE": "application/json" if body is not None else "",
        "CONTENT_LENGTH": str(len(payload)) if body is not None else "",
        "HTTP_HOST": "127.0.0.1:8100",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_ACCEPT_LANGUAGE": "en",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_USER_AGENT": "Python/3.13 aiohttp/3",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(payload),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app: Application, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        status.append(line)

    chunks = app(environ(method, path, token, body), start_response)
    content = b"".join(chunks)
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
    code = int(status[0].split(" ", 1)[0])
    return code, json.loads(content) if content else None


# --- profile grouped by layer ----------------------------------------------------------------------------

LAYERS = [
    ("django/core/handlers", "django handler"),
    ("django/middleware", "django middlewares"),
    ("django/contrib/sessions", "sessions"),
    ("django/contrib/auth", "django auth"),
    ("django/contrib/messages", "messages"),
    ("whitenoise", "whitenoise"),
    ("django/urls", "url resolving"),
    ("django/http", "django http (request/response)"),
    ("django/utils/translation", "translation"),
    ("django/utils/csp", "csp"),
    ("django/db/models", "ORM (models, queries)"),
    ("django/db/backends", "db backend"),
    ("django/db", "ORM (transactions, other)"),
    ("django/dispatch", "signals"),
    ("django/utils", "django utils"),
    ("django/", "django other"),
    ("ninja/", "ninja"),
    ("pydantic", "pydantic"),
    ("psycopg", "psycopg"),
    ("dure/core", "dure.core"),
    ("dure/audit", "dure.audit"),
    ("dure/accounts", "dure.accounts"),
    ("dure/work", "dure.work"),
    ("dure/projects", "dure.projects"),
    ("dure/payments", "dure.payments"),
    ("dure/quality", "dure.quality"),
    ("dure/", "dure other"),
    ("json/", "json (stdlib)"),
    ("logging", "logging"),
]


def layer_of(filename: str, function: str) -> str:
    for fragment, name in LAYERS:
        if fragment in filename:
            return name
    if filename == "~":
        if "sqlite3" in function or "execute" in function:
            return "db driver (C)"
        return "builtins " + function.split(" of ")[0].strip("<>{} ")[:40]
    return "stdlib " + Path(filename).stem


def by_layer(profile: cProfile.Profile, requests: int) -> list[tuple[str, float]]:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        totals[layer_of(filename, function)] += tottime
    return sorted(((k, 1000 * v / requests) for k, v in totals.items()), key=lambda kv: -kv[1])


#: left out together: authentication needs sessions, messages need one of them
TOGETHER = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]


def ablations(middleware: list[str]) -> list[list[str]]:
    return [[m] for m in middleware if m not in TOGETHER] + [[m for m in TOGETHER if m in middleware]]


# --- main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--what", choices=["cycle", "me"], default="cycle")
    parser.add_argument("--cycles", type=int, default=300, help="cycles (or GET /me requests x 4)")
    parser.add_argument("--profile", action="store_true", help="cProfile, self time grouped by layer")
    parser.add_argument("--ablate", action="store_true", help="CPU without each middleware in turn")
    parser.add_argument("--top", type=int, default=0, help="also print the top N functions by self time")
    parser.add_argument("--dump", default="", help="write the cProfile statistics to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test.utils import override_settings

    from bench.dispatch import data
    from dure.payments.services import deposit

    call_command("migrate", verbosity=0)
    crew = data.people(workers=1, reviewers=1)
    rounds = 2 + args.profile + (len(ablations(settings.MIDDLEWARE)) + 1 if args.ablate else 0)
    project = data.project(
        crew=crew, name="request path", items=rounds * (args.cycles + 10) + 10, workers=1, reviewers=1
    )
    project.price_per_item, project.review_price = (
        100,
        10,
    )  # a priced cycle writes the ledger, as in the bench
    project.save()
    deposit(project=project, amount=100_000_000, actor=crew.manager)
    (_, worker), (_, reviewer) = crew.workers[0], crew.reviewers[0]
    base = "/api/v1"

    def cycle(app: Application) -> None:
        code, answer = call(app, "POST", f"{base}/projects/{project.pk}/assignments/next", worker)
        assert code == 200, answer
        code, answer = call(
            app,
            "POST",
            f"{base}/assignments/{answer['assignment']['id']}/submit",
            worker,
            {"answer": data.ANSWER},
        )
        assert code == 201, answer
        code, answer = call(app, "POST", f"{base}/projects/{project.pk}/reviews/next", reviewer)
        assert code == 200, answer
        code, answer = call(
            app,
            "POST",
            f"{base}/reviews/{answer['review']['id']}/decision",
            reviewer,
            {"decision": "approve"},
        )
        assert code == 200, answer

    def me(app: Application) -> None:
        for _ in range(4):
            code, answer = call(app, "GET", f"{base}/me", worker)
            assert code == 200, answer

    step = cycle if args.what == "cycle" else me

    def measure(app: Application, profile: cProfile.Profile | None = None) -> float:
        for _ in range(5):
            step(app)
        started = time.process_time()
        if profile:
            profile.enable()
        for _ in range(args.cycles):
            step(app)
        if profile:
            profile.disable()
        return 1000 * (time.process_time() - started) / (4 * args.cycles)

    app = WSGIHandler()
    per_request = measure(app)
    unit = "cycle" if args.what == "cycle" else "4 requests"
    print(f"{args.what}: {per_request:.2f} ms CPU per request, {4 * per_request:.1f} ms per {unit}")
    if args.profile:
        profile = cProfile.Profile(time.process_time)  # CPU, not wall clock: the machine is shared
        measure(app, profile)
        print("\nself time per request by layer (cProfile inflates Python-heavy layers):")
        for name, ms in by_layer(profile, 4 * args.cycles):
            if ms >= 0.005:
                print(f"  {name:<40} {ms:6.3f} ms")
        if args.dump:
            profile.dump_stats(args.dump)
        if args.top:
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    if args.ablate:
        print("\nwithout one middleware (the saving per request; noise is about ±0.05 ms):")
        for group in ablations(settings.MIDDLEWARE):
            with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m not in group]):
                without = measure(WSGIHandler())
            print(f"  {' + '.join(m.rsplit('.', 1)[1] for m in group):<60} {per_request - without:+.3f} ms")
        print(f"  (the full stack again: {measure(WSGIHandler()):.2f} ms per request)")


if __name__ == "__main__":
    main()
