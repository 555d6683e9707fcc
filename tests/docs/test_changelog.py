"""The changelog (CHANGELOG.md, shown on the site by docs/changelog.md) speaks to users and starts at
the version pyproject.toml gives."""

from __future__ import annotations

import re

from helpers.doc_examples import ROOT
from test_readme import INTERNAL

CHANGELOG = ROOT / "CHANGELOG.md"


def test_the_site_shows_the_changelog():
    assert '--8<-- "CHANGELOG.md"' in (ROOT / "docs" / "changelog.md").read_text(encoding="utf-8")


def test_the_newest_release_is_the_current_version():
    """Changes not yet released come first, under "Unreleased"; then the version pyproject.toml gives."""
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    releases = [name for name in re.findall(r"^## (\S+)", CHANGELOG.read_text(encoding="utf-8"), re.MULTILINE)
                if name != "Unreleased"]
    assert releases and releases[0] == version.group(1)


def test_the_changelog_speaks_to_users():
    found = [line for line in CHANGELOG.read_text(encoding="utf-8").splitlines() if INTERNAL.search(line)]
    assert not found, found
