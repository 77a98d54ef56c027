"""The BIN table: dated data, longest prefix wins, every major bank present."""

from datetime import date

import pytest

from backend.workforce import banks

BANKS = "# date: 2026-01-02\nbank_code,bank_name,bank_name_en\nAAA,甲银行,A Bank\nBBB,乙银行,B Bank\n"


def _table(tmp_path, rows: str, header="# date: 2025-06-30\n"):
    (tmp_path / "bins.csv").write_text(header + "prefix,bank_code,card_type,card_length\n" + rows, encoding="utf-8")
    (tmp_path / "banks.csv").write_text(BANKS, encoding="utf-8")
    return banks.load(tmp_path / "bins.csv", tmp_path / "banks.csv")


def test_the_longest_prefix_wins_and_the_table_is_dated(tmp_path):
    table = _table(tmp_path, "622202,AAA,debit,19\n62220212,BBB,credit,16\n")
    assert table.lookup("6222021234567").bank.code == "BBB"
    match = table.lookup("6222029999999")
    found = (match.bank.name, match.prefix, match.card_type, match.table_date)
    assert found == ("甲银行", "622202", "debit", date(2025, 6, 30))
    assert table.lookup("4111111111111111") is None
    assert table.lookup("6222") is None, "a number shorter than every prefix matches nothing"


def test_an_undated_table_or_an_unknown_bank_is_refused(tmp_path):
    with pytest.raises(ValueError, match="date"):
        _table(tmp_path, "622202,AAA,debit,19\n", header="")
    with pytest.raises(ValueError, match="bad row"):
        _table(tmp_path, "622202,ZZZ,debit,19\n")


def test_a_card_type_the_table_does_not_know_is_none(tmp_path):
    assert _table(tmp_path, "622820,AAA,,16\n").lookup("6228201234").card_type is None


@pytest.mark.parametrize(
    ("prefix", "code"),
    [
        ("622202", "ICBC"),
        ("621226", "ICBC"),
        ("621700", "CCB"),
        ("436742", "CCB"),
        ("622848", "ABC"),
        ("621661", "BOC"),
        ("622262", "BOCOM"),
        ("622588", "CMB"),
        ("621799", "PSBC"),
        ("622690", "CITIC"),
        ("622660", "CEB"),
        ("622622", "CMBC"),
        ("622298", "PAB"),
        ("622521", "SPDB"),
        ("622908", "CIB"),
        ("622630", "HXB"),
        ("622568", "GDB"),
    ],
)
def test_the_shipped_table_knows_the_major_banks(prefix, code):
    match = banks.lookup(prefix + "0000000000000")
    assert match is not None and match.bank.code == code and match.table_date == date(2026, 12, 1)
