"""Text lines from a photo with RapidOCR (PP-OCR models in ONNX, shipped in the wheel; CPU only,
no network), loaded once per process on first use.

OCR is seconds of CPU-bound C++ per photo. In the gunicorn gevent worker a call on the
event loop would freeze every other connection of the process for that long, so when gevent
has patched threading the work runs on a native thread of a one-thread gevent pool: ONNX
Runtime and OpenCV release the GIL while they compute, and the loop keeps serving (measured by
bench/ocr_card.py, which also times a card). One thread in the pool, and one ONNX Runtime thread
per inference, so that a web process spends at most one core on OCR and the other connections
and processes keep the rest; a second photo waits for the first. Outside gevent (tests, CLI, RQ
workers) it simply runs in the caller, one at a time.

The photo is checked here (type sniffed from its bytes, size, pixel count, EXIF rotation) and
never written anywhere; nothing read is logged.
"""

import io
import threading
import warnings
from functools import cache

from PIL import Image, ImageOps, UnidentifiedImageError

from backend.workforce.id_card import OcrLine, line_from_box

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40 MP photo is more than any phone camera gives
MAX_SIDE = 1600  # px: a card filling the frame is read as well at this size, and twice as fast


class ImageRefused(ValueError):
    """The upload is not a photo we can read (its message says why, for the technician)."""


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def open_photo(data: bytes) -> Image.Image:
    """The photo upright (EXIF orientation applied), RGB, at most MAX_SIDE px on its long side."""
    if not data:
        raise ImageRefused("the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageRefused(f"the file is larger than {MAX_BYTES} bytes")
    if sniff(data) not in IMAGE_TYPES:
        raise ImageRefused("not a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused(f"the image has more than {MAX_PIXELS} pixels")
            image = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageRefused("the image cannot be decoded") from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image


# One ONNX Runtime thread per inference: on a shared 2-core machine two threads spin against
# each other and the other processes (2.4x the CPU per card, measured); text detection on the
# long side scaled to 960 px instead of the short side raised to 736 reads a card filling the
# photo as well, with less work (bench/ocr_card.py).
ENGINE_PARAMS = {
    "intra_op_num_threads": 1,
    "inter_op_num_threads": 1,
    "det_limit_type": "max",
    "det_limit_side_len": 960,
}


@cache
def _engine():
    from rapidocr_onnxruntime import RapidOCR  # heavy import (onnxruntime, cv2): only where OCR runs

    return RapidOCR(**ENGINE_PARAMS)


_direct_lock = threading.Lock()  # outside gevent: one OCR at a time per process, like the pool


def _recognize(image: Image.Image) -> list[OcrLine]:
    result, _ = _engine()(image)
    return [line_from_box(box, text, score) for box, text, score in result or []]


@cache
def _gevent_pool():
    from gevent.threadpool import ThreadPool

    return ThreadPool(maxsize=1)


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


MAX_IN_FLIGHT = 6  # photos read or waiting in one process: beyond, the last would wait ~20 s
_in_flight = 0


def busy() -> bool:
    """Whether this process already has as many photos to read as it should queue."""
    return _in_flight >= MAX_IN_FLIGHT


def read_lines(image: Image.Image) -> list[OcrLine]:
    """The text boxes of a photo, in the engine's reading order, off the event loop under gevent."""
    global _in_flight
    _in_flight += 1
    try:
        if _gevent_patched():
            return _gevent_pool().apply(_recognize, (image,))
        with _direct_lock:
            return _recognize(image)
    finally:
        _in_flight -= 1
