"""The README stays short, and the README and docs/ hold no dead link.

The README says what the toolkit is, how to start and where to read on; the manual is in
docs/, one file per topic, each reachable from the README or the docs index. Links are
checked as GitHub renders them: relative to the file, with heading anchors slugged as
GitHub does (lower case, punctuation dropped, spaces to hyphens).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
PACKAGE = REPO_ROOT / "tasks" / "totango_sf"

FENCE = re.compile(r"^```.*?^```[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)
# A file a page names in a code span: a test, a bench script, a workflow, or a module of
# the package (written from tasks/totango_sf/ or from its stage folder).
NAMED_FILE = re.compile(r"`((?:tests|bench|\.github|tasks|[a-z]+)/[\w./-]+\.py)`")


def prose(path: Path) -> str:
    """The page without its fenced code blocks (shell `[ ... ]` is not a link)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    text = CODE_SPAN.sub(lambda m: m.group(0).strip("`"), heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in HEADING.findall(prose(path))}


def relative_links(path: Path) -> list[str]:
    targets = LINK.findall(CODE_SPAN.sub("", prose(path)))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_the_readme_stays_under_200_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines < 200, f"README.md has {lines} lines; move the detail into docs/"


def test_the_two_commands_come_first():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"^```\w*\n(.*?)^```", text, re.M | re.S).group(1)
    assert [line.split()[0:2] for line in first_block.splitlines()] == [
        ["./dev", "plan"],
        ["./dev", "test"],
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_every_relative_link_resolves(page: Path):
    dead = []
    for target in relative_links(page):
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists():
            dead.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            dead.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert dead == []


def test_every_docs_page_is_linked_from_the_readme_or_the_docs_index():
    linked = set()
    for page in (README, DOCS / "README.md"):
        for target in relative_links(page):
            linked.add((page.parent / target.partition("#")[0]).resolve())
    unlinked = [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked]
    assert unlinked == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_every_python_file_a_page_names_exists(page: Path):
    missing = []
    for name in NAMED_FILE.findall(page.read_text(encoding="utf-8")):
        if not ((REPO_ROOT / name).is_file() or (PACKAGE / name).is_file()):
            missing.append(name)
    assert missing == [], "moved or renamed? update the page"


def test_the_checks_catch_a_dead_link_a_missing_anchor_and_an_unslugged_heading(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Applying to a team's repository\n\n"
        "[ok](#applying-to-a-teams-repository) [gone](missing.md) [bad](#nowhere)\n"
        "```sh\n[ -s file ] && echo no link here](not-a-link)\n```\n"
        "`[code](not-a-link-either)` [web](https://example.com)\n",
        encoding="utf-8",
    )
    assert relative_links(page) == ["#applying-to-a-teams-repository", "missing.md", "#nowhere"]
    assert anchors(page) == {"applying-to-a-teams-repository"}
    assert slug("The `totango-sf` command, step by step") == "the-totango-sf-command-step-by-step"
