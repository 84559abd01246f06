"""CPU per request of the HTTP server itself: ``dure serve`` under each configuration, driven with one cheap
authenticated API request (``GET /api/v1/me``: token, one query, a small JSON answer) over keep-alive
connections. The CPU seconds of the server's processes (main + workers, from /proc) divided by requests
does not depend much on what else the machine runs; configurations are interleaved round by round so drift
hits them alike.

    .venv/bin/python bench/dispatch/server_cpu.py --configs gunicorn:4x2,granian:4x2,granian:2x1 \
        [--requests 4000] [--concurrency 16] [--rounds 3] [--path /api/v1/me]

A configuration is SERVER:WORKERSxTHREADS, with ``-nolog`` appended to switch the access log off.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

import run  # noqa: E402  (bench/dispatch/run.py: the server, the environment and CPU accounting)


async def drive(base: str, path: str, token: str, requests: int, concurrency: int) -> tuple[int, float]:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    remaining = requests
    failures = 0

    async def one_connection(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            async with session.get(base + path, headers=headers) as response:
                await response.read()
                failures += response.status != 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(one_connection(session) for _ in range(concurrency)))
        return failures, time.perf_counter() - started


def measure(config: str, args: argparse.Namespace, env: dict[str, str], token: str) -> dict[str, Any]:
    server, _, shape = config.partition(":")
    shape, _, flag = shape.partition("-")
    workers, _, threads = shape.partition("x")
    env = {**env, "DURE_SERVER": server, "DURE_ACCESS_LOG": "0" if flag else "1"}
    options = argparse.Namespace(
        port=args.port, server=server, web_workers=int(workers), web_threads=int(threads)
    )
    process = run.Server(options, env)
    try:
        asyncio.run(drive(process.base, args.path, token, 200, args.concurrency))  # warm every worker
        before = run.cpu_snapshot(process.process.pid, None)
        client_before = time.process_time()
        failures, elapsed = asyncio.run(
            drive(process.base, args.path, token, args.requests, args.concurrency)
        )
        client = time.process_time() - client_before
        time.sleep(0.3)
        server_cpu = run.cpu_used(before, run.cpu_snapshot(process.process.pid, None))["server"]
    finally:
        process.stop()
    return {
        "config": config,
        "server_ms": 1000 * server_cpu / args.requests,
        "client_ms": 1000 * client / args.requests,
        "per_second": args.requests / elapsed,
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configs", default="gunicorn:4x2,granian:4x2")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--path", default="/api/v1/me")
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--var-dir", default="/tmp/dure-server-cpu")
    args = parser.parse_args()
    env = run.prepare_environment(
        argparse.Namespace(db="sqlite", var_dir=args.var_dir, keep_db=False, server="granian")
    )
    import django

    django.setup()
    import data
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    token = data.people(workers=1, reviewers=0).workers[0][1]
    connections.close_all()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
    print(f"{args.requests} x GET {args.path}, {args.concurrency} connections, {args.rounds} rounds")
    for round_ in range(args.rounds):
        for config in configs:
            with open("/proc/loadavg") as f:
                load = f.read().split()[0]
            result = measure(config, args, env, token)
            results[config].append(result)
            print(
                f"  round {round_ + 1} {config:<22} server {result['server_ms']:.3f} ms/request  client "
                f"{result['client_ms']:.3f}  {result['per_second']:.0f}/s  failures {result['failures']}  load {load}",
                flush=True,
            )
    print("\nmedian server CPU per request:")
    for config, rows in results.items():
        print(
            f"  {config:<22} {statistics.median(r['server_ms'] for r in rows):.3f} ms  "
            f"({statistics.median(r['per_second'] for r in rows):.0f} requests/s)"
        )


if __name__ == "__main__":
    main()
