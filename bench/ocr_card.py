"""ID card OCR: seconds per card, fields read right, and whether the gevent loop keeps serving.

1. Accuracy and time: --cards generated fictional cards (tests/fixtures/id_card_image.py, half
   of them as a phone photo: tilted on a desk, blurred), both sides read exactly as the endpoint
   reads them (backend.workforce.ocr + id_card). A card counts as right when name, number,
   valid_from and valid_to all equal what was drawn. Seconds per card = both sides, engine warm
   (the first, model-loading call is timed apart as `cold_start_s`), wall clock and the process's
   CPU time (the wall clock grows with the machine's load, the CPU time much less).
2. The event loop (--loop-probe, in a child process with gevent's monkey patching, as in the
   gunicorn gevent worker): a greenlet that asks to wake every 10 ms records its worst lateness
   while one card is read (a) through ocr.read_lines, which hands the work to a native thread,
   and (b) called straight on the loop. If ONNX Runtime held the GIL, (a) would stall like (b).

Prints one JSON object, with the load average before and after.

    .venv/bin/python bench/ocr_card.py [--cards 10] [--seed 100] [--hard]

--hard turns every photo by 0, 90, 180 or 270 degrees (card by card), shrinks it to 60% and
saves it as JPEG of quality 50.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10)
    parser.add_argument("--seed", type=int, default=100, help="first card's seed; cards use seed, seed+1, ...")
    parser.add_argument("--hard", action="store_true", help="turn the photos 0/90/180/270 degrees, 60%% size, JPEG q50")
    parser.add_argument("--loop-probe", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def read_card(card, today):
    from backend.workforce import id_card, ocr

    front = ocr.read_lines(ocr.open_photo(card.front_png))
    back = ocr.read_lines(ocr.open_photo(card.back_png))
    return id_card.read_card(front, back, today).as_dict()


def harder(card, turn: int):
    """The card's photos turned by `turn` degrees, at 60% size, as JPEG of quality 50."""
    import dataclasses
    import io

    from PIL import Image

    def worse(png: bytes) -> bytes:
        image = Image.open(io.BytesIO(png)).convert("RGB").rotate(turn, expand=True)
        image = image.resize((image.width * 3 // 5, image.height * 3 // 5))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=50)
        return out.getvalue()

    return dataclasses.replace(card, front_png=worse(card.front_png), back_png=worse(card.back_png))


def accuracy(cards: int, seed: int, hard: bool) -> dict:
    from backend.workforce import ocr
    from tests.fixtures.id_card_image import make_card

    today = date.today()
    started = time.perf_counter()
    ocr.read_lines(ocr.open_photo(make_card(seed - 1).front_png))  # loads the models
    cold = time.perf_counter() - started
    seconds, cpu, wrong_fields, right = [], [], {}, 0
    for i in range(cards):
        card = make_card(seed + i, camera=i % 2 == 1)
        card = harder(card, 90 * (i % 4)) if hard else card
        started, cpu_started = time.perf_counter(), time.process_time()
        got = read_card(card, today)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        misses = [key for key, value in card.expected().items() if got[key] != value]
        right += not misses
        for key in misses:
            wrong_fields[key] = wrong_fields.get(key, 0) + 1
    return {
        "cards": cards,
        "cards_all_fields_right": right,
        "wrong_fields": wrong_fields,
        "cold_start_s": round(cold, 2),
        "s_per_card": {
            "median": round(statistics.median(seconds), 2),
            "min": round(min(seconds), 2),
            "max": round(max(seconds), 2),
        },
        # CPU seconds of the process (all threads) per card: what the card costs whatever the load
        "cpu_s_per_card_median": round(statistics.median(cpu), 2),
    }


def loop_probe() -> dict:
    """Runs in a child with gevent patched: the loop's worst lateness while a card is read."""
    from gevent import monkey

    monkey.patch_all()
    import gevent

    from backend.workforce import ocr
    from tests.fixtures.id_card_image import make_card

    image = ocr.open_photo(make_card(7).front_png)
    ocr.read_lines(image)  # warm: the models load outside the measurement

    def lateness_while(work) -> dict:
        late, running = [], True

        def ticker():
            while running:
                asked = time.perf_counter()
                gevent.sleep(0.01)
                late.append(time.perf_counter() - asked - 0.01)

        probe = gevent.spawn(ticker)
        gevent.sleep(0.05)
        started = time.perf_counter()
        work()
        took = time.perf_counter() - started
        running = False
        probe.join()
        return {"ocr_s": round(took, 2), "ticks": len(late), "worst_late_ms": round(max(late) * 1000, 1)}

    in_thread = lateness_while(lambda: ocr.read_lines(image))
    on_loop = lateness_while(lambda: ocr._recognize(image))
    return {"native_thread": in_thread, "on_the_loop": on_loop}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main():
    args = parse_args()
    if args.loop_probe:
        print(json.dumps(loop_probe()))
        return
    before = load_average()
    result = {"hard": args.hard, "accuracy": accuracy(args.cards, args.seed, args.hard)}
    child = subprocess.run(
        [sys.executable, __file__, "--loop-probe"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    result["gevent_loop"] = json.loads(child.stdout.strip().splitlines()[-1])
    result["load_average_before"], result["load_average_after"] = before, load_average()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
