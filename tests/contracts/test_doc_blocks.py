"""Every shell block in the README and docs/ says how it can be run, and the ones a reader
can run here are run as written (their /tmp paths moved under the test's tmp folder).

The marks are listed in tests/support/doc_blocks.py: ``runs`` blocks run here,
``clients`` blocks (sf CLI) run in tests/clients, the ``live`` block (the live tier's
rehearsal) runs in tests/e2e/test_live_mode.py with write mode added, and ``real-org``
and ``project`` ones are not run by a test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.doc_blocks import BLOCK, KINDS, MARK, blocks, of_kind, run_block


def test_every_shell_block_says_how_it_runs():
    unmarked = [where for where, kind, _ in blocks() if kind not in KINDS | {"walkthrough"}]
    assert unmarked == [], (
        "mark each block with <!-- block: runs|clients|live|real-org|project --> on the line"
        " above it"
    )
    assert any(kind == "runs" for _, kind, _ in blocks())


def test_the_marker_is_read_from_the_line_above_the_block():
    text = "<!-- block: runs -->\n```sh\necho hi\n```\nprose\n```bash\nls\n```\n"
    kinds = [
        "" if (m := MARK.fullmatch(b.group("before").strip())) is None else m.group("kind")
        for b in BLOCK.finditer(text)
    ]
    assert kinds == ["runs", ""]


@pytest.mark.parametrize(("where", "body"), of_kind("runs"), ids=[w for w, _ in of_kind("runs")])
def test_a_runnable_block_runs_as_written(where: str, body: str, tmp_path: Path):
    run_block(where, body, tmp_path)
