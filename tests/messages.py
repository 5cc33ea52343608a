"""The catalogs' messages as a pattern, and a check that every message the
app flashes is one of them: so the pseudo-locale, which transforms each of
them (tests/test_pseudo_locale.py), would show it transformed, on every path
any test reaches."""

import re
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from flask import message_flashed

TRANSLATIONS = Path(__file__).resolve().parent.parent / "app" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@cache
def catalog_texts() -> frozenset[str]:
    """Each message of the code, in English and in every shipped language;
    not those that are little but placeholders ("%(browser)s on
    %(system)s"), which would match almost any sentence: none is flashed."""
    texts = set()
    for path in [TRANSLATIONS / "messages.pot", *TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")]:
        with path.open("rb") as f:
            for message in read_po(f):
                for value in (message.id, message.string):
                    texts.update(t for t in (value if isinstance(value, tuple) else (value,)) if t)
    return frozenset(t for t in texts if re.search(r"\w{3}", PLACEHOLDER.sub("", t)))


def message_pattern(texts) -> re.Pattern:
    """What ``texts`` match with their placeholders filled in, and nothing else."""
    parts = (
        ".+?".join(re.escape(part.replace("%%", "%")) for part in PLACEHOLDER.split(text))
        for text in sorted(texts, key=len, reverse=True)
    )
    return re.compile("|".join(parts), re.DOTALL)


@cache
def catalog_message() -> re.Pattern:
    return message_pattern(catalog_texts())


@contextmanager
def flashes_checked(pattern: re.Pattern):
    """Fail, on leaving, if any app flashed a message ``pattern`` does not match."""
    flashed = []

    def record(app, message, category):
        flashed.append(str(message))

    message_flashed.connect(record)
    try:
        yield
    finally:
        message_flashed.disconnect(record)
    untranslated = [m for m in flashed if not pattern.fullmatch(m)]
    assert not untranslated, f"flashed without the catalog: {untranslated}"
