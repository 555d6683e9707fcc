"""Examples in documentation, run and compared with what the page shows, number by number.

A page (the README, later the docs pages) shows commands and their output in ```console blocks:
each line starting with ``$ `` is a command, the lines after it its output. :func:`examples` finds
them, :func:`run_example` runs one, and :func:`differences` compares the output with the page.

Why by value: numpy's exp and log give different last digits on different CPUs (AVX-512 against
AVX2), and the numeric kernels may be rewritten; the page is right when its numbers agree with the
output within the bound below, not when they are the same text.

The rule (:func:`same_number`), for every number on a line, in order:

- numbers are decimal integers and floats (``12``, ``-0.117435``, ``3.5e-16``, ``.5``), ``inf``,
  ``+inf``, ``-inf`` and ``nan``, wherever they stand: in tables, CSV, comma lists, JSON, inside
  words (``renyi_0.5``), before a ``%``;
- two numbers agree when ``|a − b| ≤ 1e-12·max(|a|, |b|) + 1e-15`` (relative 1e-12, absolute 1e-15);
- rounding residuals: two numbers both below 1e-9 in magnitude agree when ``|a − b| ≤ 1e-12``
  (the check column's ``✓ -1.7e-16`` against ``✓ 2.2e-16``, "the two sides differ by …");
- infinities agree with the same infinity only, ``nan`` with ``nan`` only.

Everything else must be the same text, except the padding that only says how wide a column is: a
run of spaces counts as one space and a run of one horizontal box-drawing character (``━``, ``─``)
as one, so a Rich table whose columns grow or shrink by a character still matches, while its words,
its column rules (``┃ │ ╇ ┼``) and its lines must not change. Trailing spaces are ignored.
"""

from __future__ import annotations

import html
import math
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)

#: Relative and absolute tolerance of two numbers, and the magnitude under which a number is a
#: rounding residual, compared with the absolute tolerance ``RESIDUAL_TOLERANCE``.
RELATIVE, ABSOLUTE = 1e-12, 1e-15
RESIDUAL, RESIDUAL_TOLERANCE = 1e-9, 1e-12

NUMBER = re.compile(
    r"(?<![A-Za-z])[-+]?(?:inf|nan)(?![A-Za-z])"          # inf, +inf, -inf, nan, not "infinite"
    r"|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"          # 12, -0.5, 3.5e-16, .5, 1.
)
#: Runs of padding: spaces (also non-breaking) and runs of one horizontal box-drawing character.
PADDING = re.compile(r"[ \u00a0]+|(━)\1+|(─)\1+|(═)\1+")


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


def run_example(command: str, cwd: Path = ROOT) -> str:
    """Run ``command`` through bash with the installed ``divcli`` first on PATH, ``COLUMNS=100`` and
    ``NO_COLOR=1`` so tables are the same everywhere; return its standard output without trailing
    spaces."""
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    return "\n".join(line.rstrip() for line in result.stdout.rstrip("\n").splitlines())


def same_number(a: float, b: float) -> bool:
    """Whether two numbers of a page agree (the rule in this module's docstring)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    if abs(a) < RESIDUAL and abs(b) < RESIDUAL:
        return abs(a - b) <= RESIDUAL_TOLERANCE
    return abs(a - b) <= RELATIVE * max(abs(a), abs(b)) + ABSOLUTE


def tokens(line: str) -> tuple[str, list[tuple[str, float]]]:
    """A line's text with every number replaced by ``#`` and padding by one character, and its
    numbers (as written, and their values)."""
    numbers = [(match.group(), float(match.group())) for match in NUMBER.finditer(line)]
    skeleton = NUMBER.sub("#", line.rstrip())
    skeleton = PADDING.sub(lambda m: " " if m.group()[0] in " \u00a0" else m.group()[0], skeleton)
    return skeleton, numbers


def differences(expected: str, actual: str) -> list[str]:
    """What differs between the output a page shows and the output of the command, line by line;
    empty when they agree."""
    want = expected.rstrip("\n").splitlines()
    got = actual.rstrip("\n").splitlines()
    found = []
    for index in range(max(len(want), len(got))):
        if index >= len(want):
            found.append(f"line {index + 1}: not on the page: {got[index]!r}")
            continue
        if index >= len(got):
            found.append(f"line {index + 1}: missing from the output: {want[index]!r}")
            continue
        (want_text, want_numbers), (got_text, got_numbers) = tokens(want[index]), tokens(got[index])
        if want_text != got_text or len(want_numbers) != len(got_numbers):
            found.append(f"line {index + 1}: the page shows {want[index]!r}\n    the output is   {got[index]!r}")
            continue
        for (w_text, w), (g_text, g) in zip(want_numbers, got_numbers):
            if not same_number(w, g):
                found.append(f"line {index + 1}: the page shows {w_text}, the output {g_text}: {want[index]!r}")
    return found


def assert_agrees(expected: str, actual: str, what: str = "") -> None:
    """Fail with every difference listed (and how to rewrite the page) when the output differs."""
    found = differences(expected, actual)
    assert not found, f"{what}\n" + "\n".join(found) + "\n(after a deliberate change: python tests/docs/test_readme.py --update)"


# --------------------------------------------------------------------------------------------
# Rich's SVG pictures: the text on them, and their styles


SVG_TEXT = re.compile(r'<text class="terminal-\d+-(r\d+)" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
                      r'clip-path="url\(#terminal-\d+-line-(\d+)\)">(.*?)</text>')
SVG_STYLE = re.compile(r"\.terminal-\d+-(r\d+) \{(.*?)\}")
SVG_BACKGROUND = re.compile(r'<rect fill="(#[0-9a-fA-F]+)"[^>]*shape-rendering="crispEdges"')


def picture_text(svg: str) -> str:
    """The lines of text a Rich SVG shows, each span put back at its column; then the style of
    every span class (``r1: fill: #c5c8c6;font-weight: bold``) and the cells' backgrounds in
    order, so colours count too."""
    spans = [(int(line), float(x), float(length), html.unescape(text).replace("\u00a0", " "), style)
             for style, x, length, line, text in SVG_TEXT.findall(svg)]
    widths = [length / len(text) for _, _, length, text, _ in spans if text]
    cell = min(widths) if widths else 1.0
    lines: dict[int, list[str]] = {}
    for line, x, _, text, style in spans:
        row = lines.setdefault(line, [])
        column = round(x / cell)
        row.extend(" " * (column - len(row)))
        row[column:column + len(text)] = text
    shown = [("".join(lines.get(line, [])).rstrip()) for line in range(max(lines, default=-1) + 1)]
    styles = [f"{name}: {style.strip()}" for name, style in SVG_STYLE.findall(svg)]
    backgrounds = " ".join(SVG_BACKGROUND.findall(svg))
    return "\n".join(shown + ["", "styles:"] + styles + ["backgrounds: " + backgrounds])
