"""Our change spliced into a file's own text, so every other line stays byte-identical.

The merges work on a parsed tree and return Salesforce's canonical form. A team's
repository holds files as they were retrieved or hand-edited: CRLF line endings,
comments, ``&apos;``/``&quot;`` or literal quotes, odd indentation. Writing the
canonical form back would touch every such line and bury our change in a noisy git
diff. So the change is computed as a line diff between the canonical forms before and
after the merge, and only those hunks are carried into the original text; lines the
merge did not change are copied from the original, byte for byte.

When the original's lines cannot be lined up with its canonical form around a hunk
(a file written on one line, say), the canonical form is written instead and the
caller is told, so it can say so.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# Entity spellings that name the same character; lines are compared after folding them.
_EQUIVALENT_ENTITIES = (
    ("&apos;", "'"),
    ("&#39;", "'"),
    ("&#x27;", "'"),
    ("&quot;", '"'),
    ("&#34;", '"'),
    ("&#x22;", '"'),
)
_EMPTY_PAIR = re.compile(r"<([A-Za-z_][\w.:-]*)([^<>]*)></\1>")


@dataclass(frozen=True)
class Spliced:
    data: bytes
    # False when the canonical form had to be written (the original's lines did not line up).
    preserved: bool


def _comparable(line: str) -> str:
    folded = line.rstrip("\r\n").strip()
    for entity, char in _EQUIVALENT_ENTITIES:
        folded = folded.replace(entity, char)
    # <a></a> and <a/> are the same element; lxml writes the short form.
    return _EMPTY_PAIR.sub(r"<\1\2/>", folded)


def _common_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """Lengths of the common prefix and (not overlapping it) the common suffix."""
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(a), len(b)) - prefix and a[len(a) - 1 - suffix] == b[len(b) - 1 - suffix]
    ):
        suffix += 1
    return prefix, suffix


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, with the common ends matched first.

    Metadata files repeat lines (``</layoutItems>``) hundreds of times, which makes
    difflib slow; the change is one region, so only the middle is compared.
    """
    prefix, suffix = _common_ends(a, b)
    codes: list[tuple[str, int, int, int, int]] = []
    if prefix:
        codes.append(("equal", 0, prefix, 0, prefix))
    middle = difflib.SequenceMatcher(
        None, a[prefix : len(a) - suffix], b[prefix : len(b) - suffix], False
    )
    for tag, i1, i2, j1, j2 in middle.get_opcodes():
        codes.append((tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix))
    if suffix:
        codes.append(("equal", len(a) - suffix, len(a), len(b) - suffix, len(b)))
    return codes


def _line_map(canonical: list[str], original: list[str]) -> dict[int, int]:
    """Canonical line index -> original line index, for lines that match one to one."""
    a = [_comparable(x) for x in canonical]
    b = [_comparable(x) for x in original]
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, _ in _opcodes(a, b):
        if tag == "equal":
            for k in range(i2 - i1):
                mapping[i1 + k] = j1 + k
    return mapping


def _newline(original: bytes) -> str:
    return "\r\n" if b"\r\n" in original else "\n"


def splice(original: bytes, canonical_before: bytes, canonical_after: bytes) -> Spliced:
    """``original`` with the change from ``canonical_before`` to ``canonical_after`` applied.

    Every original line outside the changed hunks is kept byte for byte, comments and
    entity spellings included; inserted lines take the original's line ending.
    """
    if canonical_before == canonical_after:
        return Spliced(original, True)
    try:
        text = original.decode("utf-8")
    except UnicodeDecodeError:
        return Spliced(canonical_after, False)
    before = canonical_before.decode("utf-8").splitlines()
    after = canonical_after.decode("utf-8").splitlines()
    lines = text.splitlines(keepends=True)
    newline = _newline(original)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
        trailing_newline = False
    else:
        trailing_newline = True
    mapping = _line_map(before, lines)

    # (start, end, new lines) edits on the original, from the canonical hunks.
    edits: list[tuple[int, int, list[str]]] = []
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        if tag == "equal":
            continue
        new_lines = [line + newline for line in after[j1:j2]]
        if tag in ("replace", "delete"):
            if any(i not in mapping for i in range(i1, i2)):
                return Spliced(canonical_after, False)
            start, end = mapping[i1], mapping[i2 - 1] + 1
        elif i1 > 0 and (i1 - 1) in mapping:
            start = end = mapping[i1 - 1] + 1
        elif i1 in mapping:
            start = end = mapping[i1]
        else:
            return Spliced(canonical_after, False)
        edits.append((start, end, new_lines))

    for start, end, new_lines in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:end] = new_lines
    result = "".join(lines)
    if not trailing_newline and result.endswith(newline):
        result = result[: -len(newline)]
    return Spliced(result.encode("utf-8"), True)
