"""The consoles print values as written: no markup, emoji codes or highlighting (no org).

The same values through org commands are in tests/e2e/test_output_verbatim.py."""

from __future__ import annotations

import pytest

from tasks.totango_sf.cli.output import _LazyConsole, err, out, styled

HOSTILE = "[/] [red]x[/red] :thumbs_up: 42 /tmp/x https://example.com"


@pytest.mark.parametrize(
    "console", [out, err, _LazyConsole(stderr=True)], ids=["out", "err", "built-now"]
)
def test_consoles_read_no_markup_emoji_codes_or_highlighting(console):
    text = console.render_str(HOSTILE)
    assert text.plain == HOSTILE
    assert text.spans == []  # no highlighter recoloured the number, path or address


def test_styled_keeps_its_styles_and_the_value_verbatim():
    text = styled(("error:", "bold red"), " ", HOSTILE)
    assert text.plain == f"error: {HOSTILE}"
    assert [(s.start, s.end, str(s.style)) for s in text.spans] == [(0, 6, "bold red")]


def test_a_terminal_progress_bar_shows_the_org_status_verbatim(monkeypatch):
    """Progress columns read markup on their own, whatever the console says."""
    import io
    from types import SimpleNamespace

    from tasks.totango_sf.cli.progress import progress_display

    screen = io.StringIO()
    monkeypatch.setattr(out, "_file", screen)  # restored to None, not to pytest's capture
    monkeypatch.setattr(out, "_force_terminal", True)
    monkeypatch.setenv("TERM", "xterm-256color")  # a terminal that draws a live bar
    monkeypatch.setattr(out, "is_interactive", True)
    status = "[/] In[red]Progress :thumbs_up:"
    with progress_display(False, "deploy [/]") as update:
        update(SimpleNamespace(total=4, deployed=1, status=status))
        shown = screen.getvalue()  # the bar is drawn while the deploy runs, then goes
    assert status in shown
    assert "deploy [/]" in shown
