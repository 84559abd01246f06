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
  serve [--bind HOST:PORT] [--workers N] [--threads N] [--server granian|gunicorn] [--no-access-log]
                                           serve the web app and API (granian; DURE_SERVER=gunicorn)
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


#: what ``dure serve`` can run (DURE_SERVER or --server); the first is the default. granian parses HTTP and
#: keeps connections in Rust, outside the GIL: on 2 cores at 64 concurrent workers a work-loop cycle costs the
#: server 30-45 % less CPU than under gunicorn's gthread workers (docs/performance.md).
SERVERS = ("granian", "gunicorn")


def _split_bind(bind: str) -> tuple[str, str]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6) → host, port."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"dure serve: --bind wants HOST:PORT, not {bind!r}")
    return host.strip("[]"), port


def server_command(
    *, server: str, bind: str, workers: str, threads: str, access_log: bool, rest: list[str]
) -> list[str]:
    """The command line that serves ``dure.wsgi:application``; ``rest`` goes to the server as it is."""
    if server == "gunicorn":
        return [
            sys.executable, "-m", "gunicorn", "dure.wsgi:application",
            "--bind", bind, "--workers", workers, "--threads", threads, "--graceful-timeout", "10",
            *(["--access-logfile", "-"] if access_log else []), *rest,
        ]  # fmt: skip
    if server != "granian":
        raise SystemExit(f"dure serve: DURE_SERVER must be one of {', '.join(SERVERS)}, not {server!r}")
    host, port = _split_bind(bind)
    return [
        sys.executable, "-m", "granian", "dure.wsgi:application", "--interface", "wsgi",
        "--host", host, "--port", port, "--workers", workers, "--blocking-threads", threads,
        # like gunicorn: a worker that dies is replaced, and a stop waits for requests in flight (10 s)
        "--respawn-failed-workers", "--workers-kill-timeout", "10", "--no-ws",
        *(["--access-log"] if access_log else []), *rest,
    ]  # fmt: skip


def serve(args: list[str]) -> None:
    server = os.environ.get("DURE_SERVER", SERVERS[0])
    bind = "127.0.0.1:8000"
    workers = os.environ.get("DURE_WEB_WORKERS", "")
    threads = os.environ.get("DURE_WEB_THREADS", "")
    access_log = os.environ.get("DURE_ACCESS_LOG", "1").lower() not in {"0", "false", "no"}
    rest: list[str] = []
    iterator = iter(args)
    for arg in iterator:
        if arg == "--bind":
            bind = next(iterator)
        elif arg == "--workers":
            workers = next(iterator)
        elif arg == "--threads":
            threads = next(iterator)
        elif arg == "--server":
            server = next(iterator)
        elif arg == "--no-access-log":
            access_log = False
        else:
            rest.append(arg)
    cores = os.cpu_count() or 1
    if server == "gunicorn":
        workers, threads = workers or str(min(8, cores * 2 + 1)), threads or "4"
    else:
        # One process per core: more cost CPU per request (each has its own caches and SQLite page cache).
        # Four threads per process, though one costs least, because a thread is held for as long as a slow
        # client takes to read its answer (a long download, a paused video): one would stall the process.
        workers, threads = workers or str(min(8, cores)), threads or "4"
    command = server_command(
        server=server, bind=bind, workers=workers, threads=threads, access_log=access_log, rest=rest
    )
    _manage(["collectstatic", "--noinput", "-v", "0"])
    print(f"Dure is serving at http://{bind} ({server}, {workers} workers x {threads} threads)", flush=True)
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
