"""The portal's and the console's text: one catalogue per language with the same keys, and every
key the pages name literally (data-i18n attributes, GW.t("...") calls) present in both, so no page
shows a bare key in either language."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "backend"
CATALOGUES = {lang: ROOT / "static" / "i18n" / f"{lang}.json" for lang in ("zh-CN", "en")}
PAGES = [ROOT / "portal_page" / "templates" / "portal.html", ROOT / "console_page" / "templates" / "console.html"]
SCRIPTS = [*(ROOT / "static" / "portal").glob("*.js"), *(ROOT / "static" / "console").glob("*.js")]
ATTRIBUTE = re.compile(r'data-i18n(?:-placeholder|-title)?="([^"]+)"')
CALL = re.compile(r'GW\.t\("([^"]+)"')


def catalogue(lang: str) -> dict:
    return json.loads(CATALOGUES[lang].read_text(encoding="utf-8"))


def named_keys() -> set[str]:
    keys = set()
    for page in PAGES:
        keys |= set(ATTRIBUTE.findall(page.read_text(encoding="utf-8")))
    for script in SCRIPTS:
        keys |= set(CALL.findall(script.read_text(encoding="utf-8")))
    return keys


def test_both_languages_have_the_same_keys():
    assert set(catalogue("zh-CN")) == set(catalogue("en"))


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_key_a_page_names_is_in_the_catalogue(lang):
    missing = sorted(named_keys() - set(catalogue(lang)))
    assert not missing, f"{lang} lacks {missing}"


def test_chinese_text_is_chinese():
    """Chinese first: the zh-CN catalogue is not an English copy (a few codes and units may match)."""
    zh, en = catalogue("zh-CN"), catalogue("en")
    same = [k for k in zh if zh[k] == en[k] and re.search(r"[A-Za-z]{4,}", zh[k])]
    assert len(same) <= 5, same
