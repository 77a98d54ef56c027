"""Reading cards during onboarding: the resident ID card by OCR, a payout card's bank by its BIN.
Both only read: the technician confirms what was read and saves it with the onboarding routes."""

from backend.accounts.auth import current_actor, requires
from backend.errors import fail
from backend.rate_limit import hit
from backend.workforce import card_reading, ocr
from backend.workforce.schemas import BankLookupIn, BankOut, IdCardPhotosIn, IdCardReadingOut
from mobile_api import mobile

SECURITY = [{"BearerAuth": []}]
OCR_PER_HOUR = (30, 3600)  # seconds of CPU each: enough for retakes, not for a scraper
LOOKUPS_PER_HOUR = (120, 3600)
BUSY_RETRY_S = 5


@mobile.post("/me/identity/ocr")
@requires("profile:self")
@mobile.input(IdCardPhotosIn, location="form_and_files", arg_name="form")
@mobile.output(IdCardReadingOut)
@mobile.doc(
    summary="Read my ID card's photos (OCR)",
    tags=["mobile: onboarding"],
    security=SECURITY,
    responses={503: "too many cards being read by this server; retry after `retry_after` seconds"},
)
def read_id_card(form):
    """Read name, ID number and validity from photos of the ID card's two sides; nothing is
    stored. Confirm or correct the fields, then save them with PUT /me/identity."""
    hit(f"ocr:{current_actor().id}", *OCR_PER_HOUR, what="ID card readings")
    if ocr.busy():
        # Readings queue one at a time per process; past a few, asking again soon beats waiting.
        fail(503, "too many ID cards being read; try again in a few seconds", kind="busy", retry_after=BUSY_RETRY_S)
    back = form["back"].read() if form["back"] is not None else None
    return card_reading.read_id_card(form["front"].read(), back)


@mobile.get("/banks/lookup")
@requires("profile:self")
@mobile.input(BankLookupIn, location="query", arg_name="query")
@mobile.output(BankOut)
@mobile.doc(summary="The bank of a card number (BIN table)", tags=["mobile: onboarding"], security=SECURITY)
def bank_lookup(query):
    """The issuing bank of a bank card number, from its BIN (longest prefix of a dated table)."""
    hit(f"bin:{current_actor().id}", *LOOKUPS_PER_HOUR, what="bank lookups")
    return card_reading.bank_of(query["card_number"])
