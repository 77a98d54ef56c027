"""Which bank issued a card: the longest BIN prefix of a dated table kept as data.

Pure (no Flask, no database): the CSV files in data/ are read once per process. The
table's date comes from its header comment (`# date: YYYY-MM-DD`) and is answered with
every match, so a reader knows how current the table is.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from stdnum import luhn
from stdnum.exceptions import ValidationError

DATA = Path(__file__).resolve().parent / "data"
BINS_FILE = DATA / "bank_bins.csv"
BANKS_FILE = DATA / "banks.csv"
CARD_TYPES = ("debit", "credit")


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class BinMatch:
    bank: Bank
    prefix: str
    card_type: str | None  # debit, credit, or None when the table does not say
    card_length: int | None
    table_date: date


@dataclass(frozen=True)
class BinTable:
    prefixes: dict[str, tuple[str, str | None, int | None]]
    banks: dict[str, Bank]
    table_date: date
    longest: int

    def lookup(self, card_number: str) -> BinMatch | None:
        """The entry of the longest prefix that starts `card_number` (digits only), or None."""
        for length in range(min(self.longest, len(card_number)), 0, -1):
            entry = self.prefixes.get(card_number[:length])
            if entry is not None:
                code, card_type, card_length = entry
                return BinMatch(self.banks[code], card_number[:length], card_type, card_length, self.table_date)
        return None


def _data_lines(path: Path) -> tuple[list[str], date]:
    """The CSV lines without the comment header, and the header's date."""
    lines = path.read_text(encoding="utf-8").splitlines()
    dated = [line.split(":", 1)[1].strip() for line in lines if line.startswith("# date:")]
    if not dated:
        raise ValueError(f"{path.name} has no '# date:' header line")
    return [line for line in lines if line and not line.startswith("#")], date.fromisoformat(dated[0])


def load(bins_file: Path = BINS_FILE, banks_file: Path = BANKS_FILE) -> BinTable:
    bank_lines, _ = _data_lines(banks_file)
    rows = csv.DictReader(bank_lines)
    banks = {row["bank_code"]: Bank(row["bank_code"], row["bank_name"], row["bank_name_en"]) for row in rows}
    bin_lines, table_date = _data_lines(bins_file)
    prefixes = {}
    for row in csv.DictReader(bin_lines):
        if row["bank_code"] not in banks or not row["prefix"].isdigit():
            raise ValueError(f"{bins_file.name}: bad row {row}")
        card_type = row["card_type"] if row["card_type"] in CARD_TYPES else None
        prefixes[row["prefix"]] = (row["bank_code"], card_type, int(row["card_length"] or 0) or None)
    return BinTable(prefixes, banks, table_date, max(map(len, prefixes)))


@cache
def table() -> BinTable:
    """The table, read once per process."""
    return load()


def lookup(card_number: str) -> BinMatch | None:
    return table().lookup(card_number)


def check_card_number(raw: str | None) -> tuple[str, str | None]:
    """The card number without spaces or dashes, and the rule it breaks (None for a card number:
    12 to 19 digits passing Luhn). Callers raise their own error naming their field."""
    number = re.sub(r"[\s-]", "", raw or "")
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return number, "a bank card number has 12 to 19 digits"
    try:
        luhn.validate(number)
    except ValidationError:
        return number, "the card number fails the Luhn check"
    return number, None
