"""Simulated workers and reviewers talking HTTP to a running Dure server (aiohttp, one shared pool).

Closed loop: every worker does next → submit back to back, every reviewer does next review → approve back
to back; a cycle is one approved item. Open loop: each worker takes an item, "thinks" for an exponentially
distributed time, submits, and asks for the next one, so the arrival rate does not depend on the server;
reviewers likewise look at each submission for an exponentially distributed time before deciding, and a
reviewer who finds the queue empty looks again a second later (as a person would), instead of polling.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ANSWER = {"label": "pos"}
#: how long a reviewer waits before asking again when the review queue is momentarily empty
REVIEW_POLL_SECONDS = 0.02


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    #: item id → how many times a worker was handed it (client-side duplicate check)
    handed_out: Counter[int] = field(default_factory=Counter)
    decided_at: list[float] = field(default_factory=list)
    submitted: int = 0
    empty_next: int = 0

    def summary(self, elapsed: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "elapsed_seconds": round(elapsed, 2),
            "cycles": len(self.decided_at),
            "cycles_per_second": round(len(self.decided_at) / elapsed, 2) if elapsed else 0.0,
            "submitted": self.submitted,
            "submitted_per_second": round(self.submitted / elapsed, 2) if elapsed else 0.0,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "items_handed_out": len(self.handed_out),
            "items_handed_out_twice": sum(1 for n in self.handed_out.values() if n > 1),
            "empty_next": self.empty_next,
        }
        for op, values in sorted(self.latencies.items()):
            out[op] = percentiles(values)
        return out


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "n": len(ordered),
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


class Client:
    def __init__(self, session: aiohttp.ClientSession, base: str, token: str, recorder: Recorder) -> None:
        self.session, self.base, self.recorder = session, base, recorder
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    async def post(self, op: str, path: str, body: Any = None) -> tuple[int, Any]:
        started = time.perf_counter()
        try:
            async with self.session.post(self.base + path, json=body, headers=self.headers) as response:
                payload = await response.json() if response.status not in (204,) else None
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            self.recorder.errors[f"{op}:{type(error).__name__}"] += 1
            return 0, None
        self.recorder.latencies[op].append(time.perf_counter() - started)
        if status >= 400:
            code = payload.get("code") if isinstance(payload, dict) else ""
            self.recorder.errors[f"{op}:{status}:{code}"] += 1
        return status, payload


async def _work_one(client: Client, project_id: int) -> Any:
    """Leases one item: the assignment; False when nothing is left; None after an error (try again)."""
    status, payload = await client.post("next", f"/projects/{project_id}/assignments/next")
    if status == 204:
        client.recorder.empty_next += 1
        return False
    if status != 200:
        return None
    assignment = payload["assignment"]
    client.recorder.handed_out[assignment["item"]["id"]] += 1
    return assignment


async def closed_worker(client: Client, project_id: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        assignment = await _work_one(client, project_id)
        if assignment is False:
            return
        if assignment is None:
            await asyncio.sleep(0.05)
            continue
        await submit(client, assignment)


async def submit(client: Client, assignment: dict[str, Any]) -> None:
    status, _ = await client.post("submit", f"/assignments/{assignment['id']}/submit", {"answer": ANSWER})
    if status == 201:
        client.recorder.submitted += 1


#: open loop: how long a reviewer who found the queue empty waits before asking again
REVIEW_IDLE_SECONDS = 1.0


async def reviewer(
    client: Client,
    project_id: int,
    stop: asyncio.Event,
    workers_done: asyncio.Event,
    think: float | None = None,
    rng: random.Random | None = None,
) -> None:
    if think is not None and rng is not None:
        await asyncio.sleep(rng.uniform(0, think))  # reviewers arrive spread out too
    while not stop.is_set():
        status, payload = await client.post("review_next", f"/projects/{project_id}/reviews/next")
        if status == 204:
            if workers_done.is_set():
                # Every worker is finished; one more empty answer means the queue is drained.
                status, payload = await client.post("review_next", f"/projects/{project_id}/reviews/next")
                if status == 204:
                    return
            else:
                await asyncio.sleep(REVIEW_POLL_SECONDS if think is None else REVIEW_IDLE_SECONDS)
                continue
        if status != 200:
            await asyncio.sleep(0.05)
            continue
        if think is not None and rng is not None:
            await asyncio.sleep(rng.expovariate(1 / think))
            if stop.is_set():
                return
        status, _ = await client.post(
            "decision", f"/reviews/{payload['review']['id']}/decision", {"decision": "approve"}
        )
        if status == 200:
            client.recorder.decided_at.append(time.perf_counter())


async def open_worker(
    client: Client, project_id: int, stop: asyncio.Event, think: float, rng: random.Random
) -> None:
    # Start spread out, as people arrive over time rather than all in the same millisecond.
    await asyncio.sleep(rng.expovariate(1 / think))
    while not stop.is_set():
        assignment = await _work_one(client, project_id)
        if assignment is False or assignment is None:
            await asyncio.sleep(rng.expovariate(1 / think))
            continue
        await asyncio.sleep(rng.expovariate(1 / think))
        if stop.is_set():
            return
        await submit(client, assignment)


async def run(
    *,
    base: str,
    project_id: int,
    worker_tokens: list[str],
    reviewer_tokens: list[str],
    duration: float,
    think: float | None = None,
    review_think: float | None = None,
    seed: int = 1,
) -> dict[str, Any]:
    """Runs until ``duration`` passes or (closed loop) every item is approved; returns the measurements."""
    recorder = Recorder()
    stop, workers_done = asyncio.Event(), asyncio.Event()
    pool = min(len(worker_tokens) + len(reviewer_tokens), 512)
    connector = aiohttp.TCPConnector(limit=pool, limit_per_host=pool, keepalive_timeout=30)
    timeout = aiohttp.ClientTimeout(total=120)
    rng = random.Random(seed)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        clients = [Client(session, base, t, recorder) for t in worker_tokens]
        reviewers_ = [Client(session, base, t, recorder) for t in reviewer_tokens]
        started = time.perf_counter()
        if think is None:
            worker_tasks = [asyncio.create_task(closed_worker(c, project_id, stop)) for c in clients]
        else:
            worker_tasks = [
                asyncio.create_task(open_worker(c, project_id, stop, think, random.Random(rng.random())))
                for c in clients
            ]
        review_tasks = [
            asyncio.create_task(
                reviewer(
                    c,
                    project_id,
                    stop,
                    workers_done,
                    think=review_think if think is not None else None,
                    rng=random.Random(rng.random()),
                )
            )
            for c in reviewers_
        ]

        async def all_workers() -> None:
            await asyncio.gather(*worker_tasks)
            workers_done.set()

        waiter = asyncio.create_task(all_workers())
        await asyncio.wait([waiter, *review_tasks], timeout=duration)
        drained = waiter.done() and all(t.done() for t in review_tasks)
        stop.set()
        ended = time.perf_counter()
        # Let in-flight requests finish so the database check sees a quiet project.
        await asyncio.wait(
            [*worker_tasks, *review_tasks, waiter], timeout=30, return_when=asyncio.ALL_COMPLETED
        )
    # Throughput is measured up to the last decision when the queue drained before the deadline.
    last = recorder.decided_at[-1] if recorder.decided_at else ended
    elapsed = (min(ended, last) if drained else ended) - started
    result = recorder.summary(elapsed)
    result["workers"], result["reviewers"] = len(worker_tokens), len(reviewer_tokens)
    result["drained"] = drained
    return result
