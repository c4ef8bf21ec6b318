"""The product recognises an org's answer by its status code or by words orgs were
recorded using, never by words of our own (the emulator's included).

Every string the package looks for inside something (``"X" in answer``) and every
regular expression with words in it is listed here: a status code (capitals and
underscores), text that is not an org's answer at all, or a recorded phrase with its
public source.
"""

from __future__ import annotations

import ast
import re

from tests.support.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "tasks" / "totango_sf"
STATUS_CODE = re.compile(r"^[A-Z][A-Z_]+$")
# Looked for in our own files, not in an org's answer.
NOT_AN_ANSWER = {
    "componentInstances>",  # a FlexiPage's own markup (metadata/validation.py)
    "quick_deploy_of",  # a key of our snapshot manifest (org/reattach.py)
}
# Recorded phrases, each with where an org was recorded saying it.
RECORDED = {
    # urllib3/OpenSSL's words for an untrusted certificate, not an org's.
    "certificate verify failed": "OpenSSL's verify error, as requests raises it",
    "Average test coverage across all Apex Classes and Triggers is": (
        "akohan91/libak-salesforce-ci, a failed production validation"
    ),
    "Test only deployment cannot update": "sfdx-hardis deployment tips",
}


def _looked_for() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                isinstance(op, (ast.In, ast.NotIn)) for op in node.ops
            ):
                left = node.left
                if isinstance(left, ast.Constant) and isinstance(left.value, (str, bytes)):
                    text = left.value.decode() if isinstance(left.value, bytes) else left.value
                    if len(text) >= 8:
                        found.append((path.name, node.lineno, text))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "compile"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", node.args[0].value)
            ):
                found.append((path.name, node.lineno, node.args[0].value))
    return found


def _known(text: str) -> bool:
    if STATUS_CODE.match(text) or text in NOT_AN_ANSWER:
        return True
    return any(phrase in text for phrase in RECORDED)


def test_every_phrase_the_product_looks_for_is_a_code_or_recorded():
    strays = [f"{name}:{line} {text!r}" for name, line, text in _looked_for() if not _known(text)]
    assert strays == []


def test_the_scan_sees_the_codes_it_should():
    texts = {text for _, _, text in _looked_for()}
    assert {"INVALID_ID_FIELD", "REQUEST_LIMIT_EXCEEDED"} <= texts
