"""ID card fields from OCR lines, without an OCR engine: the lines are what RapidOCR answers on
real and generated cards (labels and values in one box or in boxes side by side, digits misread
as letters, full-width characters, a number split over two boxes)."""

from datetime import date

import pytest
from stdnum.cn import ric

from backend.workforce.id_card import OcrLine, line_from_box, looks_like_back, looks_like_front, read_card

TODAY = date(2026, 12, 1)
NUMBER = "11010519900307" + "123"
NUMBER += ric.calc_check_digit(NUMBER + "0")


EXPIRED = {"code": "card_expired", "message": "the ID card expired on 2016-05-06", "date": "2016-05-06"}


def codes(reading) -> list[str]:
    return [problem["code"] for problem in reading.problems]


def at(text, x, y, confidence=0.99, h=30):
    return OcrLine(text, confidence, x, y, h)


FRONT = [
    at("姓名", 80, 70),
    at("张样本", 200, 66),
    at("性别", 80, 135),
    at("男", 170, 133),
    at("民族汉", 300, 133),
    at("出生", 80, 195),
    at("1990年3月7日", 260, 195),
    at("住址", 80, 255),
    at("测试省示例市示例路1号", 330, 255),
    at("公民身份号码", 130, 460),
    at(NUMBER, 420, 462, 0.97),
]
BACK = [
    at("中华人民共和国", 400, 100),
    at("居民身份证", 400, 190),
    at("有效期限", 180, 460),
    at("2020.05.06-2040.05.06", 380, 458),
]


def test_fields_beside_their_labels_are_read():
    reading = read_card(FRONT, BACK, TODAY).as_dict()
    assert reading["name"] == "张样本" and reading["id_number"] == NUMBER and reading["id_number_valid"]
    assert (reading["valid_from"], reading["valid_to"]) == ("2020-05-06", "2040-05-06")
    assert reading["confidence"] == {"name": 0.99, "id_number": 0.97, "validity": 0.99}
    assert reading["problems"] == []


def test_values_read_in_one_box_with_their_label_and_without_positions():
    front = [OcrLine("姓名 欧阳·样本"), OcrLine(f"公民身份号码 {NUMBER}")]
    back = [OcrLine("有效期限2020.05.06-长期")]
    reading = read_card(front, back, TODAY)
    assert (reading.name, reading.id_number, reading.valid_to) == ("欧阳·样本", NUMBER, "long_term")


def test_without_positions_the_name_is_the_line_after_its_label():
    reading = read_card([OcrLine("姓名"), OcrLine("李测试"), OcrLine("性别男"), OcrLine(NUMBER)], None, TODAY)
    assert reading.name == "李测试"


def test_the_label_of_the_next_row_is_never_taken_for_the_name():
    reading = read_card([OcrLine("姓名"), OcrLine("性别"), OcrLine("男"), OcrLine(NUMBER)], None, TODAY)
    assert reading.name is None and "no_name" in codes(reading)


@pytest.mark.parametrize(
    "printed",
    [
        NUMBER.replace("0", "O", 1),  # a zero read as the letter O
        NUMBER.replace("1", "l", 1),
        " ".join([NUMBER[:6], NUMBER[6:14], NUMBER[14:]]),
        "".join(chr(ord(c) + 0xFEE0) for c in NUMBER),  # full-width digits and X
        NUMBER[:-1] + NUMBER[-1].lower(),
    ],
    ids=["O-for-0", "l-for-1", "spaced", "full-width", "lower-x"],
)
def test_the_number_survives_common_misreadings(printed):
    front = [at("公民身份号码", 130, 460), at(printed, 420, 462)]
    assert read_card(front, None, TODAY).id_number == NUMBER


def test_a_number_split_over_two_boxes_of_one_row_is_joined():
    front = [at("公民身份号码", 130, 460), at(NUMBER[:9], 330, 461), at(NUMBER[9:], 520, 459)]
    reading = read_card(front, None, TODAY)
    assert reading.id_number == NUMBER and reading.id_number_valid


def test_a_number_failing_the_check_digit_is_answered_but_flagged():
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    reading = read_card([at("公民身份号码", 130, 460), at(wrong, 420, 462)], None, TODAY)
    assert reading.id_number == wrong and not reading.id_number_valid
    assert "id_number_check_failed" in codes(reading)


def test_the_valid_number_wins_over_a_misread_one():
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    front = [at(wrong, 420, 300, 0.99), at(NUMBER, 420, 462, 0.9)]
    assert read_card(front, None, TODAY).id_number == NUMBER


def test_a_birth_date_differing_from_the_numbers_says_a_digit_was_misread():
    front = [*FRONT[:6], at("1991年3月7日", 260, 195), *FRONT[7:]]
    assert "birth_date_mismatch" in codes(read_card(front, BACK, TODAY))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020.05.06-2040.05.06", ("2020-05-06", "2040-05-06")),
        ("2020.05.06\uff0d2040.05.06", ("2020-05-06", "2040-05-06")),  # full-width hyphen
        ("2020.05.06—长期", ("2020-05-06", "long_term")),
        ("20200506-20400506", ("2020-05-06", "2040-05-06")),
        ("2020.05.06 - 2040.05.06", ("2020-05-06", "2040-05-06")),
    ],
)
def test_the_validity_period_in_its_printed_forms(text, expected):
    reading = read_card(FRONT, [OcrLine("有效期限"), OcrLine(text)], TODAY)
    assert (reading.valid_from, reading.valid_to) == expected


def test_an_expired_card_is_read_and_flagged():
    reading = read_card(FRONT, [OcrLine("有效期限 2006.05.06-2016.05.06")], TODAY)
    assert reading.valid_to == "2016-05-06" and EXPIRED in reading.problems


@pytest.mark.parametrize("text", ["2020.13.06-2040.05.06", "2020.05.06-2019.05.06"])
def test_an_impossible_validity_is_not_answered(text):
    reading = read_card(FRONT, [OcrLine("有效期限"), OcrLine(text)], TODAY)
    assert reading.valid_from is None and reading.valid_to is None and reading.problems


def test_the_sides_are_told_from_text_that_is_no_card():
    assert looks_like_front(FRONT) and looks_like_back(BACK)
    noise = [OcrLine("SALE 50%"), OcrLine("12345")]
    assert not looks_like_front(noise) and not looks_like_back(noise)
    assert not looks_like_front([]) and not looks_like_back([])


def _boxed(line: OcrLine, turns: int) -> OcrLine:
    """The line as an engine reports it on a photo turned `turns` quarter turns."""
    half_w, half_h = 16 * len(line.text), line.h / 2
    corners = [(line.x - half_w, line.y - half_h), (line.x + half_w, line.y - half_h)]
    corners += [(line.x + half_w, line.y + half_h), (line.x - half_w, line.y + half_h)]
    for _ in range(turns):
        corners = [(-y, x) for x, y in corners]
    return line_from_box(corners, line.text, line.confidence)


@pytest.mark.parametrize("turns", [0, 1, 2, 3], ids=["upright", "90", "180", "270"])
def test_a_card_photographed_sideways_or_upside_down_is_read(turns):
    # The engine lists boxes top to bottom, left to right in the photo, whatever the card's turn.
    photographed = sorted((_boxed(line, turns) for line in FRONT), key=lambda line: (round(line.y / 20), line.x))
    reading = read_card(photographed, BACK, TODAY)
    assert (reading.name, reading.id_number, reading.problems) == ("张样本", NUMBER, [])


@pytest.mark.parametrize(("text", "confidence"), [("2由光", 0.95), ("张样本", 0.6)], ids=["stray-digit", "unsure"])
def test_a_doubtful_name_is_answered_with_a_word_to_check_it(text, confidence):
    front = [at("姓名", 80, 70), at(text, 200, 66, confidence), at("公民身份号码", 130, 460), at(NUMBER, 420, 462)]
    reading = read_card(front, BACK, TODAY)
    assert reading.name == text.lstrip("2") and "name_unsure" in codes(reading)
