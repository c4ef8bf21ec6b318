"""``totango-sf`` as a person meets it: in a terminal of a given width (a pty), or piped
into a CI log, and what either shows.

``in_pty`` runs the command on a pseudo-terminal whose window is ``columns`` wide, so rich
sees a real terminal (live displays, colour, its width from the window); ``piped`` runs it
with stdout and stderr on pipes and ``COLUMNS`` set, as a CI job does. Both return the
text a person reads, escape sequences removed, one screen line per line.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import TOTANGO_SF

WIDTHS = (80, 120, 200)
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]")
BOX = re.compile(r"[\u2500-\u257f]")


@dataclass(frozen=True)
class Run:
    code: int
    text: str  # everything shown, one screen line per line
    raw: bytes = b""
    stdout: str = ""
    stderr: str = ""

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def screen_text(raw: bytes) -> str:
    """The bytes a terminal got, as lines: escapes removed, each carriage return a new line
    (a live display redraws its line after one)."""
    text = _ESCAPE.sub("", raw.decode("utf-8", "replace"))
    return "\n".join(part for part in re.split(r"\r\n|\r|\n", text))


def _environment(columns: int, env: dict[str, str] | None) -> dict[str, str]:
    merged = dict(os.environ if env is None else env)
    merged.pop("NO_COLOR", None)
    merged.update({"COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"})
    return merged


def in_pty(
    args: Iterable[str],
    columns: int,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    answer: str | None = None,
    timeout: float = 240,
) -> Run:
    """One ``totango-sf`` run on a terminal ``columns`` wide; ``answer`` is typed at a prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the terminal
        try:
            os.chdir(cwd or os.getcwd())
            os.execve(str(TOTANGO_SF), [str(TOTANGO_SF), *args], _environment(columns, env))
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    raw = b""
    deadline = time.monotonic() + timeout
    answered = answer is None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
            if not answered and b"[y/N]" in raw:
                os.write(fd, answer.encode() + b"\r")  # type: ignore[union-attr]
                answered = True
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return Run(os.waitstatus_to_exitcode(status), screen_text(raw), raw)


def piped(
    args: Iterable[str],
    columns: int = 80,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 240,
) -> Run:
    """One ``totango-sf`` run with stdout and stderr piped, as in a CI log."""
    done = subprocess.run(
        [str(TOTANGO_SF), *args],
        cwd=cwd,
        env={**_environment(columns, env), "CI": "true"},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(done.returncode, done.stdout + done.stderr, b"", done.stdout, done.stderr)


def cut_names(text: str, names: Iterable[str]) -> list[str]:
    """The names that appear on no single line of ``text`` (cut, folded or wrapped)."""
    lines = text.splitlines()
    return sorted({name for name in names if name and not any(name in line for line in lines)})


def wide_table_lines(text: str, width: int) -> list[str]:
    """Lines of a drawn table that are wider than the terminal (a table must fit; a list
    line may be longer, as the terminal folds it)."""
    return [line for line in text.splitlines() if BOX.search(line) and len(line) > width]


def bar_left_on_screen(raw: bytes) -> bool:
    """Whether a progress bar's last drawing stays on screen: after it, the terminal gets
    no erase of that line before the next text."""
    last = raw.rfind("━".encode())
    if last < 0:
        return False
    after = raw[last:]
    line_end = after.find(b"\n")
    erased = after.find(b"\x1b[2K")
    return erased < 0 or (0 <= line_end < erased and b"\x1b[1A" not in after[:erased])


def no_ellipsis(text: str) -> bool:
    return "\u2026" not in text
