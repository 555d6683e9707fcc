"""The README's examples are run, and their output must be what the README shows.

Each ```console block holds commands (lines starting with ``$ ``) each followed by its output. They run
in the repository root through bash, with the installed ``divcli`` first on PATH, ``COLUMNS=100``
and ``NO_COLOR=1`` so tables are the same everywhere.

Pictures: each ``<!-- svg: COMMAND --svg FILE -->`` comment names a command whose ``--svg`` picture
is committed as FILE; the test makes it again and compares.

After changing an example or the output format: ``python tests/test_readme.py --update`` rewrites
the outputs in README.md and the pictures (then read the diff).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
PICTURE = re.compile(r"<!-- svg: (.*?) -->")


def examples(text: str) -> list[tuple[str, str]]:
    """(command, expected output) for every ``$ `` line of every console block."""
    found = []
    for block in BLOCK.findall(text):
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    found.append((command, "\n".join(output)))
                command, output = line[2:], []
            else:
                output.append(line.rstrip())
        if command is not None:
            found.append((command, "\n".join(output)))
    return found


def run_example(command: str) -> str:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    return "\n".join(line.rstrip() for line in result.stdout.rstrip("\n").splitlines())


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
    assert run_example(command) == expected.rstrip("\n")


def test_the_readme_has_pictures():
    assert len(PICTURES) >= 3


@pytest.mark.parametrize("command", PICTURES)
def test_readme_picture_is_current(command, tmp_path):
    target, made = make_picture(command, tmp_path / "picture.svg")
    assert made.startswith("<svg") and target.read_text(encoding="utf-8") == made, \
        f"{target.name} is out of date: python tests/test_readme.py --update"


def update() -> None:
    text = README.read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        lines = []
        for command, _ in examples(match.group(0).replace("```console\n", "```console\n", 1)):
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
