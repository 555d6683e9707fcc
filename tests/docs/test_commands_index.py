"""docs/commands/index.md lists every command of divcli, each as a link to its own page, and links no
command that is gone."""

from __future__ import annotations

import re

from divcli.cli import cli
from helpers.doc_examples import ROOT

FOLDER = ROOT / "docs" / "commands"
PAGE = FOLDER / "index.md"
#: A link such as [`divcli kl P Q`](kl.md): its text (which may hold brackets, [R …]) and its target.
LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])+)\]\(([^)#\s]+)\)")


def command_links() -> dict[str, str]:
    """The page's links to a page of this folder: target → text."""
    return {target: text for text, target in LINK.findall(PAGE.read_text(encoding="utf-8"))
            if "/" not in target and target.endswith(".md") and target != "index.md"}


def test_every_command_is_linked_from_the_index():
    links = command_links()
    missing = [name for name in cli.commands if not re.search(rf"\bdivcli {name}\b", links.get(f"{name}.md", ""))]
    assert not missing, f"docs/commands/index.md has no link [divcli NAME …](NAME.md) for: {', '.join(missing)}"


def test_every_command_has_its_page():
    assert not [name for name in cli.commands if not (FOLDER / f"{name}.md").is_file()]


def test_the_index_links_no_command_that_is_gone():
    gone = [target for target in command_links() if target.removesuffix(".md") not in cli.commands]
    assert not gone, f"docs/commands/index.md links pages of no command: {gone}"
