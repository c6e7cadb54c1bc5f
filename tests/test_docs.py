"""Docs stay true by running them: the README shows every command, the contract table it shows
is the one the code generates, and the set-up is exactly two commands that CI also runs."""

import re
from pathlib import Path

import pytest

from addin.cli import cli
from addin.workbook.schema import contract_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_in_the_readme(command):
    assert f"crm-addin {command}" in README


def test_contract_table_matches_the_schema():
    section = re.search(r"<!-- contract:start.*?-->\n(.*?)\n<!-- contract:end -->", README, re.S)
    assert section, "README lost its contract section markers"
    assert section.group(1) == contract_markdown(), (
        "README's contract table is stale: paste addin.workbook.schema.contract_markdown()")


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
