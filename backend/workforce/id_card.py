"""Fields of a Chinese resident ID card from the text lines an OCR engine read on it.

Pure: no OCR engine, no Flask, no database; tested with hand-written lines. The portrait
side gives the name (after 姓名) and the number (after 公民身份号码, GB 11643: 17 digits and a
MOD 11-2 check digit); the emblem side gives the validity (有效期限 2020.01.01-2040.01.01 or
…-长期). Lines carry the engine's confidence and, when known, where they sit, so a value
printed beside its label (a separate box on the same row) is found as well as one the engine
read together with its label.

The number is never logged here, nor anywhere it passes (PII).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

FRONT_LABELS = ("姓名", "性别", "民族", "出生", "住址", "公民身份号码")
BACK_LABELS = ("中华人民共和国", "居民身份证", "签发机关", "有效期限")
LONG_TERM = "long_term"
UNSURE = 0.8  # an engine confidence below this is worth a second look by the technician
# Characters an OCR engine confuses with digits, read as the digit inside a number.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "x": "X", "\u00d7": "X"})
_ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9X])")
_DATE = r"(\d{4})[.\-/年]?(\d{2})[.\-/月]?(\d{2})日?"
_VALIDITY_RE = re.compile(_DATE + "[-~\u2013\u2014至一]+(?:" + _DATE + r"|(长期))")
_BIRTH_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_NAME_CHARS = re.compile(r"[\u3400-\u9fff·•]+")
_NOT_A_NAME = set("".join(FRONT_LABELS + BACK_LABELS)) | {"男", "女"}


# What the technician is asked to check or retake: a code the app translates, and the English
# sentence for any other caller ({date} filled from the problem's fields).
PROBLEMS = {
    "no_id_number": "no ID number found (公民身份号码): retake the portrait side in focus",
    "id_number_check_failed": "the ID number read fails the GB 11643 check: compare it with the card",
    "birth_date_mismatch": "the birth date printed (出生) differs from the one in the ID number",
    "name_unsure": "the name may be misread: compare it with the card",
    "no_name": "no name found (姓名): retake the portrait side",
    "no_validity": "no validity period found (有效期限): retake the emblem side",
    "validity_not_a_date": "the validity period read is not a real date: compare it with the card",
    "validity_ends_before_start": "the validity period read ends before it starts: compare it with the card",
    "validity_starts_in_future": "the validity period starts in the future: compare it with the card",
    "back_side_missing": "send the emblem side too to read the validity period (有效期限)",
    "card_expired": "the ID card expired on {date}",
}


@dataclass(frozen=True)
class OcrLine:
    """One box of text: what was read, the engine's confidence (0-1), and its box's centre and
    height in pixels when known (x, y, h)."""

    text: str
    confidence: float = 1.0
    x: float | None = None
    y: float | None = None
    h: float | None = None
    box: tuple | None = None  # the four corners ((x, y), ...) when known

    @property
    def clean(self) -> str:
        # NFKC folds full-width digits and letters to ASCII; OCR spacing means nothing here.
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", self.text))


@dataclass
class CardReading:
    name: str | None = None
    id_number: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    id_number_valid: bool = False
    confidence: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def problem(self, code: str, **fields):
        self.problems.append({"code": code, "message": PROBLEMS[code].format(**fields), **fields})

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "id_number": self.id_number,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "id_number_valid": self.id_number_valid,
            "confidence": {key: round(value, 3) for key, value in self.confidence.items()},
            "problems": list(self.problems),
        }


def line_from_box(box, text: str, confidence: float) -> OcrLine:
    """An OcrLine from an engine's quadrilateral [[x, y] x 4]."""
    corners = tuple((float(x), float(y)) for x, y in box)
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return OcrLine(text, float(confidence), sum(xs) / 4, sum(ys) / 4, max(ys) - min(ys), corners)


def _quarter_turn(line: OcrLine) -> OcrLine:
    # (x, y) -> (y, -x): the picture turned by 90 degrees; rows and heights follow the new axes.
    return line_from_box([(y, -x) for x, y in line.box], line.text, line.confidence)


def _reads_upright(lines: list[OcrLine]) -> bool | None:
    """On an upright card the number's line lies below and right of 姓名; None when either is missing."""
    label = next((line for line in lines if "姓名" in line.clean), None)
    number = next((line for line in lines if _id_candidates([line])), None)
    if label is None or number is None:
        return None
    return number.x > label.x and number.y > label.y


def upright(lines: list[OcrLine]) -> list[OcrLine]:
    """The lines of a card photographed sideways or upside down, turned so that it reads left to
    right and top to bottom (the engine reads each box's text in any orientation, but where the
    boxes sit is the photo's)."""
    if not lines or any(line.box is None for line in lines):
        return lines
    turned = lines
    for _ in range(4):
        if _reads_upright(turned) is not False:
            return turned
        turned = [_quarter_turn(line) for line in turned]
    return lines


def looks_like_front(lines: list[OcrLine]) -> bool:
    text = "".join(line.clean for line in lines)
    return any(label in text for label in FRONT_LABELS) or _id_candidates(lines) != []


def looks_like_back(lines: list[OcrLine]) -> bool:
    text = "".join(line.clean for line in lines)
    return any(label in text for label in BACK_LABELS) or _VALIDITY_RE.search(text) is not None


# --- the number ------------------------------------------------------------------------------


def _id_candidates(lines: list[OcrLine]) -> list[tuple[str, float]]:
    """Every 18-character run that could be the number, with its line's confidence; runs split
    over two boxes of one row are tried joined."""
    found = []
    for text, confidence in _texts_and_rows(lines):
        digits = text.replace("公民身份号码", "").translate(_DIGIT_LOOKALIKES)
        found.extend((match.group(0), confidence) for match in _ID_RE.finditer(digits))
    return found


def _texts_and_rows(lines: list[OcrLine]):
    """Each line alone, then each row of lines (same height on the card) joined left to right."""
    for line in lines:
        yield line.clean, line.confidence
    for row in _rows(lines):
        if len(row) > 1:
            yield "".join(line.clean for line in row), min(line.confidence for line in row)


def _rows(lines: list[OcrLine]) -> list[list[OcrLine]]:
    placed = sorted((line for line in lines if line.y is not None), key=lambda line: line.y)
    rows: list[list[OcrLine]] = []
    for line in placed:
        if rows and _same_row(rows[-1][0], line):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda line: line.x) for row in rows]


def _same_row(a: OcrLine, b: OcrLine) -> bool:
    return abs(a.y - b.y) < 0.6 * max(a.h or 0, b.h or 0, 1)


def is_valid_id_number(number: str) -> bool:
    """GB 11643-1999: length, real birth date, region code, MOD 11-2 check digit."""
    try:
        ric.validate(number)
    except ValidationError:
        return False
    return True


def _read_number(lines: list[OcrLine], reading: CardReading):
    candidates = _id_candidates(lines)
    if not candidates:
        reading.problem("no_id_number")
        return
    # A number that passes the check digit beats one that does not; then the surer reading.
    number, confidence = max(candidates, key=lambda c: (is_valid_id_number(c[0]), c[1]))
    reading.id_number, reading.confidence["id_number"] = number, confidence
    reading.id_number_valid = is_valid_id_number(number)
    if not reading.id_number_valid:
        reading.problem("id_number_check_failed")


def _check_birth(lines: list[OcrLine], reading: CardReading):
    # The printed birth date must be the one inside the number; a mismatch means a misread digit.
    match = _BIRTH_RE.search("".join(line.clean for line in lines))
    if not (match and reading.id_number_valid):
        return
    try:
        printed = date(*map(int, match.groups()))
    except ValueError:
        return
    if printed != ric.get_birth_date(reading.id_number):
        reading.problem("birth_date_mismatch")


# --- the name --------------------------------------------------------------------------------


def _clean_name(text: str) -> str | None:
    name = "".join(_NAME_CHARS.findall(text)).replace("•", "·").strip("·")
    if not name or set(name) <= _NOT_A_NAME or any(label in name for label in FRONT_LABELS):
        return None
    return name if 2 <= len(name) <= 20 else None


def _read_name(lines: list[OcrLine], reading: CardReading):
    for index, line in enumerate(lines):
        if "姓名" not in line.clean:
            continue
        after = line.clean.split("姓名", 1)[1]
        for text, confidence in [(after, line.confidence), *_right_of(line, lines), *_next_lines(lines, index)]:
            name = _clean_name(text)
            if name:
                reading.name, reading.confidence["name"] = name, confidence
                if name != text or confidence < UNSURE:
                    # Stray digits or letters beside a name are a misreading the name may share.
                    reading.problem("name_unsure")
                return
    reading.problem("no_name")


def _right_of(label: OcrLine, lines: list[OcrLine]) -> list[tuple[str, float]]:
    """Boxes on the label's row to its right, nearest first."""
    if label.y is None:
        return []
    row = [line for line in lines if line.y is not None and line.x > label.x and _same_row(label, line)]
    return [(line.clean, line.confidence) for line in sorted(row, key=lambda line: line.x)]


def _next_lines(lines: list[OcrLine], index: int) -> list[tuple[str, float]]:
    # Without positions the engine's own order is the reading order: the name follows its label.
    following = lines[index + 1 : index + 2]
    return [(line.clean, line.confidence) for line in following if "性别" not in line.clean]


# --- the validity ----------------------------------------------------------------------------


def _read_validity(lines: list[OcrLine], reading: CardReading, today: date):
    joined, spans = "", []
    for line in lines:
        spans.append((len(joined), len(joined) + len(line.clean), line.confidence))
        joined += line.clean
    match = _VALIDITY_RE.search(joined)
    if match is None:
        reading.problem("no_validity")
        return
    try:
        start = date(*map(int, match.group(1, 2, 3)))
        end = None if match.group(7) else date(*map(int, match.group(4, 5, 6)))
    except ValueError:
        reading.problem("validity_not_a_date")
        return
    if end is not None and end <= start:
        reading.problem("validity_ends_before_start")
        return
    reading.valid_from, reading.valid_to = start.isoformat(), end.isoformat() if end else LONG_TERM
    reading.confidence["validity"] = min(c for s, e, c in spans if s < match.end() and e > match.start())
    if end is not None and end < today:
        reading.problem("card_expired", date=end.isoformat())
    if start > today:
        reading.problem("validity_starts_in_future")


def read_card(front: list[OcrLine], back: list[OcrLine] | None, today: date) -> CardReading:
    """Name, number and validity from the lines of the portrait side and, when sent, the emblem
    side; `problems` tells the technician what to check or retake."""
    reading = CardReading()
    front = upright(front)
    _read_name(front, reading)
    _read_number(front, reading)
    _check_birth(front, reading)
    if back is None:
        reading.problem("back_side_missing")
    else:
        _read_validity(back, reading, today)
    return reading
