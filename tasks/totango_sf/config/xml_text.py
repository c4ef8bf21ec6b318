"""Which characters a config string may hold: those an XML 1.0 document can carry.

Every config string may end up in a metadata file (labels, descriptions, page
and profile names, picklist values) or in a SOQL query. XML 1.0 cannot hold most
C0 control characters, lone surrogates or U+FFFE/U+FFFF at all, not even
escaped ("Extensible Markup Language (XML) 1.0", section 2.2 Characters:
``Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]``),
so such a value would fail deep inside rendering, after the org was contacted.
Checking the raw data once, before the model is built, covers every key,
including keys added later and mapping keys such as ``widget.pages`` objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# The complement of ``Char`` within Unicode, spelt as the few small ranges it is: the
# same set as ``[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]``, which ``re``
# compiles into a table over every code point (about 10 ms at every start of the CLI).
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def bad_xml_char(text: str) -> str | None:
    """The first character XML 1.0 cannot hold, as ``U+XXXX``, or None."""
    match = _NOT_XML_CHAR.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def _walk(data: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield child, key
            yield from _walk(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, f"{path}[{index}]")


def xml_text_problems(data: Any) -> list[str]:
    """``key.path: ...`` for every string (or key) holding a character XML cannot hold."""
    problems = []
    for path, text in _walk(data, ""):
        char = bad_xml_char(text)
        if char is not None:
            # The key path itself may hold the character; never echo it raw to a terminal.
            shown = _NOT_XML_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", path)
            problems.append(
                f"{shown or '(top level)'}: holds the control character {char}, which"
                " XML metadata cannot carry"
            )
    return problems
