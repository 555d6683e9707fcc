"""README.md stays a short front page: under 10,000 bytes (PyPI and GitHub show it whole; the detail
lives in docs/), every link in it leads to a file of the repository, and its section on counts names
each entropy estimator with its source.

Its examples are run by test_readme.py (slow); these checks are quick, so they run in every suite."""

from __future__ import annotations

import re

from helpers.doc_examples import ROOT

from divcli.vocabulary import ESTIMATORS

README = ROOT / "README.md"
LIMIT = 10_000
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert f"\n## {title}\n" in text, f"README.md has no section '## {title}'"
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_is_under_10000_bytes():
    size = len(README.read_bytes())
    assert size < LIMIT, f"README.md is {size} bytes, over {LIMIT - 1}: move detail to a page under docs/ and link it"


def test_every_link_in_the_readme_leads_to_a_file():
    """GitHub and PyPI resolve the README's relative links from the repository root; mkdocs never
    sees the README, so nothing else checks them."""
    targets = [target.split("#", 1)[0] for target in LINK.findall(README.read_text(encoding="utf-8"))
               if "://" not in target]
    assert targets, "no links found: has the link syntax changed?"
    missing = [target for target in targets if target and not (ROOT / target).exists()]
    assert missing == []


def test_the_section_on_counts_names_each_estimator_and_its_source():
    section = _section("Information from counts")
    row = re.compile(r"^\| `([a-z][\w-]*)` \|.*$", re.MULTILINE)
    rows = {match.group(1): match.group(0) for match in row.finditer(section)}
    assert sorted(rows) == sorted(ESTIMATORS)
    for name, source in [("miller-madow", "Miller (1955)"), ("chao-shen", "Chao & Shen (2003)"),
                         ("shrink", "Hausser & Strimmer (2009)"), ("jackknife", "Zahl (1977)"),
                         ("plugin", "maximum likelihood")]:
        assert source in rows[name], f"{name}: {source} not named"
    assert "divcli mi " in section and "--estimator" in section and "--p-as counts" in section


def test_the_readme_links_the_pages_its_detail_moved_to():
    text = README.read_text(encoding="utf-8")
    for page in ("docs/commands/lm.md", "docs/commands/drift.md", "docs/commands/mi.md",
                 "docs/commands/entropy.md", "docs/install.md", "docs/inputs.md"):
        assert f"]({page})" in text, f"README.md does not link {page}"
