"""Reading cards for a technician's onboarding: the resident ID card's fields from photos (OCR),
and the bank of a payout card from its BIN. Nothing here is stored: the technician confirms or
corrects what was read and sends it with PUT /me/identity and PUT /me/payout-account.

Raises domain errors naming the field (backend.errors); never reads the request, never commits,
never logs what was read (PII).
"""

from backend.errors import NotFound, ValidationFailed, field_error
from backend.workforce import banks, id_card, ocr
from backend.workforce.service import today

FILES = "files"


def _refuse(field: str, message: str, location: str = FILES):
    raise ValidationFailed(f"invalid {field}: {message}", errors=[field_error(field, message, location)])


def _lines(field: str, data: bytes) -> list[id_card.OcrLine]:
    try:
        image = ocr.open_photo(data)
    except ocr.ImageRefused as exc:
        _refuse(field, str(exc))
    return ocr.read_lines(image)


def read_id_card(front: bytes, back: bytes | None) -> dict:
    """Name, number and validity read from the photos, with confidences and problems to check.
    A photo with no card text at all is refused (422 naming `front` or `back`)."""
    front_lines = _lines("front", front)
    if not id_card.looks_like_front(front_lines):
        _refuse("front", "no ID card text found: photograph the portrait side (姓名, 公民身份号码) filling the frame")
    back_lines = None
    if back is not None:
        back_lines = _lines("back", back)
        if not id_card.looks_like_back(back_lines):
            _refuse("back", "no ID card text found: photograph the emblem side (有效期限) filling the frame")
    return id_card.read_card(front_lines, back_lines, today()).as_dict()


# --- bank cards ------------------------------------------------------------------------------


def card_digits(raw: str, field: str = "card_number", location: str = "query") -> str:
    """A bank card number: 12 to 19 digits (spaces and dashes ignored) passing Luhn."""
    number, problem = banks.check_card_number(raw)
    if problem:
        _refuse(field, problem, location)
    return number


def bank_of(raw: str) -> dict:
    """The issuing bank of a card number by its BIN (404 when the table does not know it)."""
    match = banks.lookup(card_digits(raw))
    if match is None:
        raise NotFound("bank for this card number", table_date=banks.table().table_date.isoformat())
    return bin_out(match)


def bin_out(match: banks.BinMatch) -> dict:
    return {
        "bank_code": match.bank.code,
        "bank_name": match.bank.name,
        "bank_name_en": match.bank.name_en,
        "card_type": match.card_type,
        "bin": match.prefix,
        "table_date": match.table_date.isoformat(),
    }
