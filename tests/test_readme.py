"""The README's examples are run, and their output must be what the README shows, number by number.

Each ```console block holds commands (lines starting with ``$ ``) each followed by its output. They run
in the repository root through bash, with the installed ``divcli`` first on PATH, ``COLUMNS=100``
and ``NO_COLOR=1`` so tables are the same everywhere. Output and README are compared by value
(tests/doc_examples.py: numbers within a relative 1e-12, every other word exactly, column padding
of any width), because numpy's last digits differ from CPU to CPU.

Pictures: each ``<!-- svg: COMMAND --svg FILE -->`` comment names a command whose ``--svg`` picture
is committed as FILE; the test makes it again and compares the text it shows, the same way, and
its styles.

After changing an example or the output format: ``python tests/test_readme.py --update`` rewrites
the outputs in README.md and the pictures (then read the diff).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from doc_examples import BLOCK, ROOT, assert_agrees, examples, picture_text, run_example

README = ROOT / "README.md"
PICTURE = re.compile(r"<!-- svg: (.*?) -->")

EXAMPLES = examples(README.read_text(encoding="utf-8"))
PICTURES = PICTURE.findall(README.read_text(encoding="utf-8"))


def make_picture(command: str, into: Path | None = None) -> tuple[Path, str]:
    """Run a picture's command (writing to ``into`` instead of its FILE); return FILE and the SVG."""
    target = ROOT / command.split("--svg ")[1].split()[0]
    written = into or target
    run_example(command.replace(f"--svg {target.relative_to(ROOT)}", f"--svg {written}"))
    return target, written.read_text(encoding="utf-8")


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 8
    assert any("make" not in command and "divcli kl" in command for command, _ in EXAMPLES)


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command, expected):
    assert_agrees(expected, run_example(command), command)


def test_the_readme_has_pictures():
    assert len(PICTURES) >= 3


@pytest.mark.parametrize("command", PICTURES)
def test_readme_picture_is_current(command, tmp_path):
    target, made = make_picture(command, tmp_path / "picture.svg")
    assert made.startswith("<svg")
    shown = picture_text(made)
    assert shown.count("\n") > 5, "no text found in the picture: has Rich's SVG changed?"
    assert_agrees(picture_text(target.read_text(encoding="utf-8")), shown, f"{target.name} is out of date")


def update() -> None:
    text = README.read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        lines = []
        for command, _ in examples(match.group(0)):
            lines.append(f"$ {command}")
            output = run_example(command)
            if output:
                lines.append(output)
        return "```console\n" + "\n".join(lines) + "\n```"

    README.write_text(BLOCK.sub(fill, text), encoding="utf-8")
    for command in PICTURE.findall(text):
        make_picture(command)


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        sys.exit("usage: python tests/test_readme.py --update")
