"""Every shipped catalog is complete and current: each message of the code
and templates translated (every plural form), none fuzzy, the placeholders
kept; and the catalogs hold exactly what extraction finds today."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from config import Config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
SHIPPED = [code for code in Config.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def ids(catalog) -> set:
    return {message.id for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """The messages in the code and templates now, extracted as
    `make translations` does (its keywords read from the Makefile)."""
    keywords = re.search(r"^KEYWORDS := (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         *keywords.split(), "-o", str(pot), "app"],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return ids(read(pot))


def test_english_and_three_more_languages_ship():
    assert Config.LANGUAGES[0] == "en"
    assert set(SHIPPED) >= {"de", "es", "ar"}


def test_the_template_catalog_is_current(extracted):
    assert ids(read(TRANSLATIONS / "messages.pot")) == extracted


@pytest.mark.parametrize("language", SHIPPED)
def test_the_catalog_holds_exactly_the_messages_of_the_code(language, extracted):
    catalog = read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    assert ids(catalog) - extracted == set(), "messages the code no longer has"
    assert extracted - ids(catalog) == set(), "messages missing: run make translations"


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_is_translated_in_every_plural_form_and_none_is_fuzzy(language):
    catalog = read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(("fuzzy", message.id))
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append((f"not {catalog.num_plurals} plural forms", message.id))
        if not all(s.strip() for s in strings):
            problems.append(("empty", message.id))
    assert problems == []


@pytest.mark.parametrize("language", SHIPPED)
def test_every_translation_keeps_the_placeholders_of_its_message(language):
    catalog = read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        msgids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        known = set(PLACEHOLDER.findall(" ".join(msgids)))
        # A plural form may leave the number to its word ("يومين", two days;
        # "its one post"): only what both English forms say is required.
        needed = set.intersection(*(set(PLACEHOLDER.findall(i)) for i in msgids)) - {"%(num)d"}
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            if found - known or needed - found:
                problems.append((message.id, string))
        problems += [(message.id, str(error)) for error in message.check(catalog)]
    assert problems == []
