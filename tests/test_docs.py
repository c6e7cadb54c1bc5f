"""Docs stay true by running them: the README shows every command, the contract table it shows
is the one the code generates, and the set-up is exactly two commands that CI also runs."""

import re
from pathlib import Path

import pytest

from addin.cli import cli
from addin.contract.schema import contract_markdown
from addin.contract.settings import settings_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_in_the_readme(command):
    assert f"crm-addin {command}" in README


def test_contract_table_matches_the_schema():
    section = re.search(r"<!-- contract:start.*?-->\n(.*?)\n<!-- contract:end -->", README, re.S)
    assert section, "README lost its contract section markers"
    assert section.group(1) == contract_markdown(), (
        "README's contract table is stale: paste addin.contract.schema.contract_markdown()")


def test_settings_table_matches_the_registry():
    section = re.search(r"<!-- settings:start.*?-->\n(.*?)\n<!-- settings:end -->", README, re.S)
    assert section, "README lost its Settings section markers"
    assert section.group(1) == settings_markdown(), (
        "README's Settings table is stale: paste addin.contract.settings.settings_markdown()")


def test_two_setup_commands_and_ci_runs_the_test_one():
    block = re.search(r"## Set-up: two commands.*?```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
    test_sh = (ROOT / "scripts" / "test.sh").read_text()
    assert '"$status" -eq 5' in test_sh  # no tests collected is a failure


def test_no_placeholder_left_in_the_readme():
    assert "PLACEHOLDER" not in README and "TODO" not in README


def test_function_reference_matches_the_registry():
    from addin.functions.ranges import reference_markdown

    section = re.search(r"<!-- functions:start.*?-->\n(.*?)\n<!-- functions:end -->", README, re.S)
    assert section, "README lost its functions section markers"
    assert section.group(1) == reference_markdown(), (
        "README's function table is stale: paste `crm-addin excel functions`")


def _layout_rows() -> list[tuple[list[str], str]]:
    section = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        path_cell, what = line.strip("|").split("|", 1)
        rows.append((re.findall(r"`([^`]+)`", path_cell), what))
    return rows


def test_layout_table_names_only_what_exists():
    """Every path in the README's Layout table exists, and every file a folder's row names
    (``name.py``, ``templates/``) is in that folder."""
    rows = _layout_rows()
    assert rows
    for paths, what in rows:
        for path in paths:
            assert (ROOT / path).exists(), f"Layout names {path}, which does not exist"
        folder = ROOT / paths[0]
        if folder.is_dir():
            for name in re.findall(r"`([\w./-]+\.(?:py|html|css)|[\w-]+/)`", what):
                assert (folder / name).exists() or (ROOT / name).exists(), \
                    f"Layout says {paths[0]} holds {name}, which it does not"


def test_layout_table_lists_every_room_of_the_package():
    """Every package and top-level module of ``addin`` has a row: a new room is documented."""
    listed = {p.rstrip("/") for paths, _ in _layout_rows() for p in paths}
    rooms = {f"addin/{p.name}" for p in (ROOT / "addin").iterdir()
             if (p.is_dir() and (p / "__init__.py").exists())
             or (p.suffix == ".py" and p.name != "__init__.py")}
    assert rooms - listed == set(), f"rooms missing from the README's Layout: {rooms - listed}"


def test_layout_table_names_each_room_once():
    """One room, one row: two rows for the same folder drift apart (the older one goes stale)."""
    seen = [p.rstrip("/") for paths, _ in _layout_rows() for p in paths]
    twice = sorted({p for p in seen if seen.count(p) > 1})
    assert not twice, f"the README's Layout lists these more than once: {twice}"
