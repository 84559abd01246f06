"""Pre-label throughput of the shipped backends, and what assistance costs the work loop.

    python bench/assist/run.py                       # OCR images/s, MiniLM sentences/s, submit cost (SQLite)
    python bench/assist/run.py --images 30 --sentences 5000 --cycles 400

- OCR: RapidOCR over generated images (Pillow text): receipts of 800x300 px with 3 lines, and A4 pages
  at 100 dpi (827x1169 px) with 25 lines. Images/s and lines found per image.
- Embeddings: all-MiniLM-L6-v2 in numpy over generated sentences (8-30 words), batched as the pre-label
  job does (sorted by length, 64 a batch); sentences/s, and one sentence alone (the latency floor).
- Work loop: lease → submit cycles on a fresh SQLite database, without assistance and with it (the model's
  suggestion on every item, the worker's history kept, flags computed in the submit transaction).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

WORDS = [
    "the",
    "a",
    "customer",
    "delivery",
    "order",
    "invoice",
    "package",
    "arrived",
    "late",
    "early",
    "today",
    "yesterday",
    "quickly",
    "slowly",
    "restaurant",
    "food",
    "tasty",
    "cold",
    "warm",
    "service",
    "staff",
    "friendly",
    "rude",
    "price",
    "cheap",
    "expensive",
    "quality",
    "broken",
    "working",
    "phone",
    "battery",
    "screen",
    "camera",
    "weather",
    "rain",
    "sunny",
    "wind",
    "game",
    "team",
    "player",
    "scored",
    "match",
    "city",
    "bus",
    "train",
    "station",
    "ticket",
    "hotel",
    "room",
    "clean",
    "dirty",
    "night",
    "morning",
    "small",
    "large",
    "new",
    "old",
    "great",
    "terrible",
]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."


def _image(rng: random.Random, size: tuple[int, int], lines: int, font_size: int) -> object:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, font_size)
    step = (size[1] - 40) // lines
    for i in range(lines):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
        draw.text((30, 20 + i * step), f"{words} {rng.randint(1, 9999)}", fill="black", font=font)
    return image


def bench_ocr(count: int) -> None:
    from dure.assist.backends.ocr import engine, read_lines

    rng = random.Random(1)
    engine()  # loading the ONNX sessions is a once-per-process cost, reported apart
    for name, size, lines, font_size in [("receipt 800x300, 3 lines", (800, 300), 3, 32),
                                          ("A4 page 827x1169, 25 lines", (827, 1169), 25, 22)]:  # fmt: skip
        images = [_image(rng, size, lines, font_size) for _ in range(count)]
        read_lines(images[0])  # warm-up
        started = time.perf_counter()
        found = sum(len(read_lines(image)) for image in images)
        seconds = time.perf_counter() - started
        print(f"OCR {name}: {count / seconds:.2f} images/s ({1000 * seconds / count:.0f} ms each), "
              f"{found / count:.1f} text regions per image")  # fmt: skip


def bench_embeddings(count: int) -> None:
    from dure.assist.minilm import model

    rng = random.Random(2)
    sentences = [_sentence(rng) for _ in range(count)]
    started = time.perf_counter()
    encoder = model()
    print(f"MiniLM load: {time.perf_counter() - started:.2f} s")
    encoder.encode(sentences[:64])
    for batch in (16, 64):
        started = time.perf_counter()
        encoder.encode(sentences, batch_size=batch)
        seconds = time.perf_counter() - started
        print(f"MiniLM batch {batch}: {count / seconds:.0f} sentences/s over {count} sentences of 8-30 words")
    started = time.perf_counter()
    for sentence in sentences[:50]:
        encoder.encode([sentence])
    print(f"MiniLM one sentence alone: {1000 * (time.perf_counter() - started) / 50:.1f} ms")


def bench_loop(cycles: int) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dure.accounts.services import create_organization, create_user, set_membership
    from dure.assist import services as assist
    from dure.projects.services import create_project, set_project_member
    from dure.work.services import add_items, lease_next_item, submit

    spec = {"inputs": [{"name": "text", "type": "text"}],
            "outputs": [{"name": "topic", "type": "single_choice", "options": ["a", "b", "c"]}]}  # fmt: skip
    organization = create_organization(name="bench")
    manager = create_user(username="bench-manager", password="x-bench-password-1")
    set_membership(organization=organization, user=manager, role="manager")
    for label, assisted in (
        ("without assistance", False),
        ("with assistance", True),
        ("without (again)", False),
    ):
        project = create_project(organization=organization, actor=manager, name=label, spec=spec)
        project.status = "open"
        project.save()
        worker = create_user(username=f"bench-{label.replace(' ', '-')}", password="x-bench-password-1")
        set_membership(organization=organization, user=worker, role="worker")
        set_project_member(project=project, user=worker, role="worker")
        add_items(project=project, records=[{"text": f"item {i} {label}"} for i in range(cycles)])
        if assisted:
            assist.configure(project=project, backend="minilm")
            assist.store_prelabels(project=project, backend="minilm", outputs=[
                assist.PreLabelOut(pk, {"topic": "a"}, 0.9)
                for pk in project.items.values_list("id", flat=True)
            ])  # fmt: skip
        started = time.perf_counter()
        for i in range(cycles):
            assignment = lease_next_item(worker=worker, project=project)
            submit(worker=worker, assignment_id=assignment.pk, answer={"topic": "ab"[i % 2]})
        seconds = time.perf_counter() - started
        print(
            f"lease+submit {label}: {cycles / seconds:.1f} cycles/s ({1000 * seconds / cycles:.2f} ms each)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--only", default="ocr,embeddings,loop")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dure-bench-assist-"))
    os.environ["DURE_VAR_DIR"] = str(scratch)
    os.environ.pop("DURE_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    import django

    django.setup()
    only = set(args.only.split(","))
    if "ocr" in only:
        bench_ocr(args.images)
    if "embeddings" in only:
        bench_embeddings(args.sentences)
    if "loop" in only:
        bench_loop(args.cycles)


if __name__ == "__main__":
    main()
