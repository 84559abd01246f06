"""The ``dure`` command: serve, worker, demo, import/export (later), and ``manage`` for Django's commands."""

from __future__ import annotations

import os
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    import django

    django.setup()


def _manage(args: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dure manage", *args])


USAGE = """usage: dure <command> [options]

commands:
  serve [--bind HOST:PORT] [--workers N]   serve the web app and API (gunicorn)
  worker                                   run background jobs and sweep expired leases
  demo                                     load idempotent demo data and print the logins
  import <project> [file] --format F       import into a running server ($DURE_URL, $DURE_TOKEN)
  export <project> --format F -o FILE      export from a running server
  users create USERNAME [--email E --name N --password P --org SLUG --role R]
  users import people.csv [--org SLUG]     create accounts in bulk (idempotent; prints a report)
  orgs create NAME [--slug S --owner USERNAME]
  check [--deploy]                         Django's and Dure's checks; --deploy warns about unsafe settings
  manage <django command> [...]            any Django management command (migrate, createsuperuser, …)
"""


def serve(args: list[str]) -> None:
    bind = "127.0.0.1:8000"
    workers = os.environ.get("DURE_WEB_WORKERS", str(min(8, (os.cpu_count() or 1) * 2 + 1)))
    rest: list[str] = []
    iterator = iter(args)
    for arg in iterator:
        if arg == "--bind":
            bind = next(iterator)
        elif arg == "--workers":
            workers = next(iterator)
        else:
            rest.append(arg)
    _manage(["collectstatic", "--noinput", "-v", "0"])
    command = [
        sys.executable, "-m", "gunicorn", "dure.wsgi:application",
        "--bind", bind, "--workers", workers, "--threads", os.environ.get("DURE_WEB_THREADS", "4"),
        "--access-logfile", "-", "--graceful-timeout", "10", *rest,
    ]  # fmt: skip
    print(f"Dure is serving at http://{bind}", flush=True)
    os.execv(sys.executable, command)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return
    command, args = argv[0], argv[1:]
    if command == "manage":
        _manage(args)
    elif command == "serve":
        serve(args)
    elif command == "worker":
        _manage(["dure_worker", *args])
    elif command == "demo":
        _manage(["demo", *args])
    elif command in {"users", "orgs"}:
        _manage([f"dure_{command}", *args])
    elif command == "check":
        _manage(["check", *args])
    elif command in {"import", "export"}:
        from dure import client  # talks HTTP only: no Django set-up needed

        raise SystemExit((client.import_command if command == "import" else client.export_command)(args))
    else:
        print(USAGE, file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main()
