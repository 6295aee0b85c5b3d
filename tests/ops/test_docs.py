"""The README and the operations docs stay true to the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

from disputes.management.commands.seed_demo import DEMO_PASSWORD, PEOPLE
from tests.ops.test_docker_files import settings_variables

BASE_DIR = Path(__file__).resolve().parents[2]
README = (BASE_DIR / "README.md").read_text()


def test_configuration_doc_lists_every_variable_settings_reads():
    documented = (BASE_DIR / "docs" / "configuration.md").read_text()
    missing = sorted(name for name in settings_variables() if f"`{name}`" not in documented)
    assert not missing, f"add these to docs/configuration.md: {missing}"


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block


def test_readme_demo_logins_match_the_seed():
    assert f"`{DEMO_PASSWORD}`" in README
    for person in PEOPLE:
        assert f"`{person.email}`" in README


def test_every_make_target_the_docs_mention_exists():
    makefile = (BASE_DIR / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    docs = README + (BASE_DIR / "docs" / "operations.md").read_text()
    mentioned = set(re.findall(r"`make ([a-z][a-z-]*)", docs))
    assert mentioned, "the docs should mention make targets"
    assert mentioned <= targets, f"documented but missing from the Makefile: {sorted(mentioned - targets)}"


def test_linked_docs_exist():
    for link in re.findall(r"\]\((docs/[^)#]+)\)", README):
        assert (BASE_DIR / link).exists(), link
