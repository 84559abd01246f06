"""Dispatch load benchmark: starts ``dure serve``, sets up data, drives it over HTTP, checks the database.

    .venv/bin/python bench/dispatch/run.py --db sqlite --concurrency 1,16,64,256 --items 1000

Scenarios (each on a fresh project in one database that the harness recreates):

* closed loop at each ``--concurrency`` C: C workers and max(1, C // 4) reviewers, no think time;
* open loop (``--open-workers``, default 1000; a list gives a load curve): exponential think time (mean
  ``--think`` s) per item, and a quarter as many reviewers with ``--review-think`` s per review;
* project size (``--size-items``, e.g. 1000,1000000) at ``--size-concurrency`` workers.

After each scenario the database is checked for duplicates and consistent approval counts. Results are
printed as a table and written as JSON to bench/results/. The client, the server and the database all run
on this machine, so they compete for the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/dure_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a scratch database; it is dropped first")
    parser.add_argument("--var-dir", default=None, help="default /tmp/dure-bench-<db>")
    parser.add_argument("--concurrency", default="1,16,64,256", help="closed-loop worker counts; '' skips")
    parser.add_argument("--items", type=int, default=1000, help="items per closed-loop project")
    parser.add_argument(
        "--price",
        type=int,
        default=0,
        help="item price in won (0: unpaid; >0: ledger writes and budget checks)",
    )
    parser.add_argument("--duration", type=float, default=30, help="seconds per closed-loop run (at most)")
    parser.add_argument(
        "--open-workers", default="1000", help="open-loop worker counts, e.g. 250,500,1000; 0 or '' skips"
    )
    parser.add_argument(
        "--open-reviewers", type=int, default=0, help="open-loop reviewers (0: a quarter of the workers)"
    )
    parser.add_argument(
        "--review-think",
        type=float,
        default=2.5,
        help="mean seconds a reviewer spends per submission (open loop)",
    )
    parser.add_argument("--open-duration", type=float, default=60)
    parser.add_argument("--open-items", type=int, default=20_000)
    parser.add_argument("--think", type=float, default=10.0, help="mean think time per item (open loop)")
    parser.add_argument("--size-items", default="", help="e.g. 1000,1000000; '' skips")
    parser.add_argument(
        "--warm-up", type=float, default=5, help="seconds of unmeasured closed loop after the server starts"
    )
    parser.add_argument("--size-concurrency", type=int, default=64)
    parser.add_argument("--size-duration", type=float, default=20)
    parser.add_argument(
        "--reviewers-ratio",
        type=float,
        default=1.0,
        help="closed-loop reviewers per worker (at least 1); 0.25 gives the C // 4 of the issue",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=120,
        help="before each scenario, wait up to this many seconds for the machine to be idle",
    )
    parser.add_argument(
        "--server",
        choices=["granian", "gunicorn"],
        default=os.environ.get("DURE_SERVER", "granian"),
        help="what `dure serve` runs (DURE_SERVER)",
    )
    parser.add_argument(
        "--web-workers", type=int, default=None, help="server worker processes (default: dure serve's)"
    )
    parser.add_argument(
        "--web-threads",
        type=int,
        default=None,
        help="threads per worker (granian: blocking threads; default: dure serve's)",
    )
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--keep-db", action="store_true", help="reuse the database instead of recreating it")
    parser.add_argument("--label", default="", help="added to the results file name")
    return parser.parse_args(argv)


def _numbers(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[3] + fields[4], sum(fields)  # idle + iowait, total


def idle_percent(seconds: float = 1.0) -> float:
    idle0, total0 = _cpu_times()
    time.sleep(seconds)
    idle1, total1 = _cpu_times()
    return round(100 * (idle1 - idle0) / max(1, total1 - total0), 1)


def wait_quiet(limit: float, threshold: float = 90.0) -> float:
    """Other work on the machine (a test run, say) would steal the cores the server needs: wait it out."""
    deadline = time.monotonic() + limit
    idle = idle_percent()
    while idle < threshold and time.monotonic() < deadline:
        idle = idle_percent(2.0)
    return idle


def reviewers_for(workers: int, ratio: float) -> int:
    return max(1, round(workers * ratio))


# --- environment and database ----------------------------------------------------------------------------


def prepare_environment(args: argparse.Namespace) -> dict[str, str]:
    var_dir = Path(args.var_dir or f"/tmp/dure-bench-{args.db}")
    env = os.environ.copy()
    env.update(
        DURE_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="dure.settings",
        DURE_SECRET_KEY="bench-" + "x" * 50,
        DURE_LOG_LEVEL="WARNING",
        DURE_SERVER=args.server,
    )
    if args.db == "sqlite":
        env.pop("DURE_DATABASE_URL", None)
        if not args.keep_db:
            for path in var_dir.glob("dure.sqlite3*"):
                path.unlink()
    else:
        url = urlparse(args.pg_url)
        name = url.path.lstrip("/")
        if name.startswith("test") or name in {"postgres", "template0", "template1"}:
            raise SystemExit(f"refusing to drop database {name!r}: the test suite or the server uses it")
        env["DURE_DATABASE_URL"] = args.pg_url
        if not args.keep_db:
            connect = [
                "-h",
                url.hostname or "127.0.0.1",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "",
            ]
            subprocess.run(["dropdb", *connect, "--if-exists", "--force", name], check=True)
            subprocess.run(["createdb", *connect, name], check=True)
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.clear()
    os.environ.update(env)
    return env


def machine(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "db": args.db,
        "db_version": db_version,
        "server": f"{args.server} {version(args.server)}",  # the shape is added once the server runs
        "commit": commit,
        "dure": str(Path(__import__("dure").__file__).parent),
        "command": " ".join([".venv/bin/python", "bench/dispatch/run.py", *sys.argv[1:]]),
    }


# --- CPU accounting --------------------------------------------------------------------------------------
# Other work on a shared machine distorts throughput and latency, but not the CPU time each cycle costs: the
# harness adds up the CPU seconds of the server's processes, the database's backends and itself.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _pids(match: Any) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if match(int(entry.name), int(stat.rsplit(")", 1)[1].split()[1]), cmdline):
            pids.append(int(entry.name))
    return pids


def cpu_snapshot(server_pid: int, database: str | None) -> dict[str, dict[int, float]]:
    """CPU seconds so far per process: the server's main process and workers, and (PostgreSQL) its backends."""
    server = _pids(lambda pid, ppid, _cmd: pid == server_pid or ppid == server_pid)
    backends = (
        _pids(lambda _pid, _ppid, cmd: cmd.startswith("postgres: ") and f" {database} " in cmd)
        if database
        else []
    )
    return {
        "server": {pid: _process_cpu(pid) for pid in server},
        "database": {pid: _process_cpu(pid) for pid in backends},
    }


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    return {
        part: round(sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items()), 2)
        for part in after
    }


# --- server ----------------------------------------------------------------------------------------------


def version(server: str) -> str:
    from importlib.metadata import version as installed

    return installed(server)


#: per server: the options that make its access log lines ``access METHOD PATH STATUS DURATION`` (on the
#: server's standard output), and the duration's unit in seconds
ACCESS_LOG = {
    "gunicorn": (["--access-logformat", "access %(m)s %(U)s %(s)s %(D)s"], 1e-6),
    "granian": (["--access-log-fmt", "access %(method)s %(path)s %(status)d %(dt_ms).3f"], 1e-3),
}


class Server:
    """``dure serve`` in its own process group; its access log gives server-side request times."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str]) -> None:
        self.base = f"http://127.0.0.1:{args.port}"
        var_dir = Path(env["DURE_VAR_DIR"])
        self.access_log = var_dir / "server.log"
        self.output = self.access_log.open("w")
        options, self.duration_unit = ACCESS_LOG[args.server]
        command = [
            sys.executable, "-m", "dure", "serve", "--bind", f"127.0.0.1:{args.port}",
            *(["--workers", str(args.web_workers)] if args.web_workers else []),
            *(["--threads", str(args.web_threads)] if args.web_threads else []), *options,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited; see {var_dir / 'server.log'}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("the server did not answer within 90 s")
            time.sleep(0.3)

    def shape(self) -> str:
        """``N workers x T threads``, as ``dure serve`` announced it."""
        for line in self.access_log.read_text().splitlines():
            if line.startswith("Dure is serving at "):
                return line.rsplit(", ", 1)[-1].rstrip(")")
        return "?"

    def log_position(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times(self, since: int) -> dict[str, Any]:
        """Server-side request time per operation from the access log, written since ``since``."""
        from load import percentiles

        times: dict[str, list[float]] = {}
        with self.access_log.open() as log:
            log.seek(since)
            for line in log:
                parts = line.split()
                if len(parts) != 5 or parts[0] != "access" or parts[1] != "POST":
                    continue
                path = parts[2]
                op = (
                    "next"
                    if path.endswith("/assignments/next")
                    else "submit"
                    if path.endswith("/submit")
                    else "review_next"
                    if path.endswith("/reviews/next")
                    else "decision"
                    if path.endswith("/decision")
                    else None
                )
                if op is not None:
                    times.setdefault(op, []).append(float(parts[4]) * self.duration_unit)
        return {op: percentiles(values) for op, values in sorted(times.items())}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.output.close()


# --- scenarios -------------------------------------------------------------------------------------------


def warm_up(server: Server, crew: Any, seconds: float) -> None:
    """A short closed loop on a project of its own, not measured: every server process has imported its
    modules, built its per-process caches and opened its database connection before the scenarios."""
    if seconds <= 0:
        return
    import data
    import load
    from django.db import connections

    workers, reviewers = min(16, len(crew.workers)), min(16, len(crew.reviewers))
    project = data.project(
        crew=crew, name="warm-up", items=2000, workers=workers, reviewers=reviewers, price=PRICE
    )
    connections.close_all()
    asyncio.run(
        load.run(
            base=server.base + "/api/v1",
            project_id=project.pk,
            worker_tokens=[raw for _, raw in crew.workers[:workers]],
            reviewer_tokens=[raw for _, raw in crew.reviewers[:reviewers]],
            duration=seconds,
        )
    )


def open_reviewers(workers: int, asked: int) -> int:
    """Open loop: as many reviewers as asked, else a quarter of the workers (with the default think times,
    10 s per item and 2.5 s per review, they keep up with the submissions)."""
    return asked or max(1, workers // 4)


def scenario(
    *,
    server: Server,
    crew: Any,
    kind: str,
    items: int,
    workers: int,
    reviewers: int,
    duration: float,
    think: float | None = None,
    review_think: float | None = None,
    wait: float = 0,
) -> dict[str, Any]:
    import data
    import load
    from django.db import connections

    started = time.perf_counter()
    idle_before = wait_quiet(wait) if wait else idle_percent()
    project = data.project(
        crew=crew,
        name=f"{kind} {workers}w {items}i",
        items=items,
        workers=workers,
        reviewers=reviewers,
        price=PRICE,
    )
    setup_seconds = time.perf_counter() - started
    connections.close_all()  # the server gets the database to itself while the load runs
    position = server.log_position()
    database = (
        urlparse(os.environ["DURE_DATABASE_URL"]).path.lstrip("/")
        if os.environ.get("DURE_DATABASE_URL")
        else None
    )
    cpu_before, client_before = cpu_snapshot(server.process.pid, database), time.process_time()
    result = asyncio.run(
        load.run(
            base=server.base + "/api/v1",
            project_id=project.pk,
            worker_tokens=[raw for _, raw in crew.workers[:workers]],
            reviewer_tokens=[raw for _, raw in crew.reviewers[:reviewers]],
            duration=duration,
            think=think,
            review_think=review_think,
        )
    )
    time.sleep(0.5)  # the access log is written after the response
    cpu = cpu_used(cpu_before, cpu_snapshot(server.process.pid, database))
    cpu["client"] = round(time.process_time() - client_before, 2)
    cycles = max(1, result["cycles"])
    result["cpu_seconds"] = cpu
    #: CPU milliseconds one approved item cost, per part: what throughput on idle cores would follow from
    result["cpu_ms_per_cycle"] = {part: round(1000 * seconds / cycles, 1) for part, seconds in cpu.items()}
    result["server"] = server.server_times(position)
    result["db_check"] = data.check(project)
    result.update(
        kind=kind,
        items=items,
        setup_seconds=round(setup_seconds, 1),
        project_id=project.pk,
        idle_percent_before=idle_before,
    )
    check = result["db_check"]
    result["duplicates"] = (
        check["slots_leased_twice"]
        + check["submissions_by_other_worker"]
        + check["submissions_decided_twice"]
        + result["items_handed_out_twice"]
    )
    print(line(result), flush=True)
    return result


HEADER = (
    f"{'scenario':<10} {'items':>8} {'W':>5} {'R':>4} {'cycles':>7} {'cyc/s':>7} {'subm/s':>7} {'next p50':>9} "
    f"{'next p99':>9} {'srv p50':>8} {'srv p99':>8} {'errors':>6} {'dups':>4} {'approved ok':>11} {'idle%':>6} {'cpu ms/cyc':>10}"
)


def line(r: dict[str, Any]) -> str:
    next_, server_next = r.get("next", {}), r["server"].get("next", {})
    return (
        f"{r['kind']:<10} {r['items']:>8} {r['workers']:>5} {r['reviewers']:>4} {r['cycles']:>7} "
        f"{r['cycles_per_second']:>7.1f} {r['submitted_per_second']:>7.1f} {next_.get('p50_ms', 0):>7.1f}ms {next_.get('p99_ms', 0):>7.1f}ms "
        f"{server_next.get('p50_ms', 0):>6.1f}ms {server_next.get('p99_ms', 0):>6.1f}ms {r['errors']:>6} "
        f"{r['duplicates']:>4} {'yes' if r['db_check']['approved_consistent'] else 'NO':>11} "
        f"{r['idle_percent_before']:>6.0f} {sum(r['cpu_ms_per_cycle'].values()):>10.1f}"
    )


#: item price of the benchmark projects (``--price``)
PRICE = 0


def main(argv: list[str] | None = None) -> None:
    global PRICE
    args = parse_args(argv)
    PRICE = args.price
    env = prepare_environment(args)
    # The tree this file is in, not whatever the virtualenv's editable install points at.
    sys.path[:0] = [str(HERE), str(ROOT)]
    import django

    django.setup()
    import data
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    concurrency, sizes = _numbers(args.concurrency), _numbers(args.size_items)
    opens = [n for n in _numbers(args.open_workers) if n > 0]
    most_workers = max([*concurrency, *opens, args.size_concurrency if sizes else 0, 1])
    most_reviewers = max(
        [reviewers_for(c, args.reviewers_ratio) for c in [*concurrency, args.size_concurrency]]
        + [open_reviewers(n, args.open_reviewers) for n in opens]
    )
    crew = data.people(workers=most_workers, reviewers=most_reviewers)
    info = machine(args)
    connections.close_all()
    print(f"{info['date']}  {info['db']} {info['db_version'][:40]}  {info['server']}  cpus={info['cpus']}")
    print(HEADER, flush=True)
    results: list[dict[str, Any]] = []
    server = Server(args, env)
    info["server"] += f": {server.shape()}"
    print(f"server: {info['server']}", flush=True)
    try:
        warm_up(server, crew, args.warm_up)
        for c in concurrency:
            results.append(
                scenario(
                    server=server,
                    crew=crew,
                    kind="closed",
                    items=args.items,
                    workers=c,
                    reviewers=reviewers_for(c, args.reviewers_ratio),
                    duration=args.duration,
                    wait=args.wait_quiet,
                )
            )
        for size in sizes:
            c = args.size_concurrency
            results.append(
                scenario(
                    server=server,
                    crew=crew,
                    kind="size",
                    items=size,
                    workers=c,
                    reviewers=reviewers_for(c, args.reviewers_ratio),
                    duration=args.size_duration,
                    wait=args.wait_quiet,
                )
            )
        for n in opens:
            results.append(
                scenario(
                    server=server,
                    crew=crew,
                    kind="open",
                    items=args.open_items,
                    workers=n,
                    reviewers=open_reviewers(n, args.open_reviewers),
                    duration=args.open_duration,
                    think=args.think,
                    review_think=args.review_think,
                    wait=args.wait_quiet,
                )
            )
    finally:
        server.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"dispatch-{args.db}{'-' + args.label if args.label else ''}-{stamp}.json"
    path.write_text(json.dumps({"machine": info, "results": results}, indent=2, ensure_ascii=False))
    print(f"\n{info['command']}\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
