"""The documented examples are run, and their output must be what the page shows, number by number.

The pages are README.md and every Markdown page of the documentation site (``docs/**/*.md``). Each
```console block holds commands (lines starting with ``$ ``) each followed by its output. They run
in the repository root through bash, with the installed ``divcli`` first on PATH, ``COLUMNS=100``
and ``NO_COLOR=1`` so tables are the same everywhere. Output and page are compared by value
(tests/helpers/doc_examples.py: numbers within a relative 1e-12, every other word exactly, column padding
of any width), because numpy's last digits differ from CPU to CPU. Commands that cannot run here (a
Dask cluster, ``s3://``) belong in ```sh blocks, which are not run.

Pictures: each ``<!-- svg: COMMAND --svg FILE -->`` comment on a page names a command whose
``--svg`` picture is committed as FILE (a path from the repository root); the test makes it again
and compares the text it shows, the same way, and its styles.

After changing an example or the output format: ``python tests/docs/test_readme.py --update`` rewrites
the outputs on every page and the pictures (then read the diff).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

if __name__ == "__main__":  # as a script (--update): the helpers package is in tests/, one folder up
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.doc_examples import BLOCK, ROOT, assert_agrees, differences, examples, picture_text, run_example
from helpers.extras import needs

#: every documented example, each a whole program in a subprocess (slow), and their numbers, computed with
#: numpy's exp and log (numeric: make test runs them again with AVX-512 off)
pytestmark = [pytest.mark.numeric, pytest.mark.slow]

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
PICTURE = re.compile(r"<!-- svg: (.*?) -->")


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


EXAMPLES = [(_name(page), command, expected) for page in PAGES for command, expected in examples(_text(page))]
PICTURES = [(_name(page), command) for page in PAGES for command in PICTURE.findall(_text(page))]


def make_picture(command: str, into: Path | None = None) -> tuple[Path, str]:
    """Run a picture's command (writing to ``into`` instead of its FILE); return FILE and the SVG."""
    target = ROOT / command.split("--svg ")[1].split()[0]
    written = into or target
    run_example(command.replace(f"--svg {target.relative_to(ROOT)}", f"--svg {written}"))
    return target, written.read_text(encoding="utf-8")


def test_the_readme_has_examples():
    readme = examples(_text(README))
    assert len(readme) >= 8
    assert any("make" not in command and "divcli kl" in command for command, _ in readme)


def test_the_readme_states_the_accuracy_bounds():
    text = _text(README)
    assert "1e-14" in text and "1e-12" in text


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_page_with_commands_shows_them_in_console_blocks(page):
    """A shell line in a page's ``console`` block that is not a ``$ `` command would be taken as the
    output of the command before it; a ``$ divcli`` outside one would never be run."""
    outside = BLOCK.sub("", _text(page))
    stray = [line for line in outside.splitlines() if line.startswith("$ ")]
    assert not stray, f"{_name(page)}: commands outside a console block: {stray}"


@pytest.mark.parametrize("page, command, expected", EXAMPLES, ids=[f"{p}: {c}" for p, c, _ in EXAMPLES])
def test_documented_example(page, command, expected):
    if command.startswith("divcli mi "):  # its G-test's p-value is SciPy's (the stats extra): the output says so without it
        needs("scipy")
    assert_agrees(expected, run_example(command), f"{page}: {command}")


def test_the_pages_have_pictures():
    assert len(PICTURES) >= 3
    referenced = "\n".join(_text(page) for page in PAGES)
    for svg in (ROOT / "docs").glob("*.svg"):
        assert svg.name in referenced, f"docs/{svg.name} is shown on no page"


@pytest.mark.parametrize("page, command", PICTURES, ids=[c for _, c in PICTURES])
def test_picture_is_current(page, command, tmp_path):
    target, made = make_picture(command, tmp_path / "picture.svg")
    assert made.startswith("<svg")
    shown = picture_text(made)
    assert shown.count("\n") > 5, "no text found in the picture: has Rich's SVG changed?"
    assert_agrees(picture_text(target.read_text(encoding="utf-8")), shown, f"{target.name} ({page}) is out of date")


def update() -> None:
    """Rewrite the output of every example on every page, then every picture: only those that no
    longer agree with the page (so a page does not change with the CPU's last digits)."""

    def fill(match: re.Match) -> str:
        lines = []
        for command, shown in examples(match.group(0)):
            lines.append(f"$ {command}")
            output = run_example(command)
            output = shown if not differences(shown, output) else output
            if output:
                lines.append(output)
        return "```console\n" + "\n".join(lines) + "\n```"

    for page in PAGES:
        text = _text(page)
        updated = BLOCK.sub(fill, text)
        if updated != text:
            page.write_text(updated, encoding="utf-8")
            print(f"updated {_name(page)}")
        for command in PICTURE.findall(text):
            target = ROOT / command.split("--svg ")[1].split()[0]
            with tempfile.TemporaryDirectory() as scratch:
                _, made = make_picture(command, Path(scratch) / "picture.svg")
            if not target.exists() or differences(picture_text(target.read_text(encoding="utf-8")), picture_text(made)):
                make_picture(command)
                print(f"updated {_name(target)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        sys.exit("usage: python tests/docs/test_readme.py --update")


#: What the public pages never name: the team's files (SPEC.md, or SPEC alone, in capitals) and its
#: issue tracker.
INTERNAL = re.compile(r"(?-i:\bSPEC\b)|\bseed notebook\b|\bthe seed\b|\bissues? #?\d+", re.IGNORECASE)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_pages_speak_to_users(page):
    found = [f"{page.name}:{number}: {line.strip()}" for number, line in enumerate(page.read_text().splitlines(), 1)
             if INTERNAL.search(line)]
    assert not found, "\n".join(found)


def test_the_quick_start_has_two_set_up_commands():
    """The README's quick start: one command runs divcli on the samples, one runs the tests."""
    section = README.read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
