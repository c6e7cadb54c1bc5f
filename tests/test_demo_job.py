"""`validate` on the embedded demo workbook reports exactly the duplicates planted in it
(workbooks/README.md lists them). The README's main job itself, `crm-addin demo`, is run once
from the installed wheel and checked in tests/test_wheel.py."""

import hashlib
import re
import shutil

from click.testing import CliRunner

from addin.cli import cli
from addin.demo import NEAR_MISS, PLANTED_DUPLICATES, demo_workbook_path


def flagged_groups(output: str) -> list[set[int]]:
    groups, current = [], None
    for line in output.splitlines():
        if re.match(r"\s+\d+\. (same id|likely duplicate):", line):
            current = set()
            groups.append(current)
        elif (m := re.match(r"\s+row\s+(\d+)\s", line)) and current is not None:
            current.add(int(m.group(1)))
    return groups


def test_validate_reports_exactly_the_planted_duplicates(tmp_path):
    demo = shutil.copyfile(demo_workbook_path(), tmp_path / "demo_crm.xlsx")
    before = hashlib.sha256(demo.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["validate", str(demo)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    groups = flagged_groups(result.output)
    # PLANTED_DUPLICATES: (what was planted, Excel row, Excel row)
    planted = [{first, second} for _, first, second in PLANTED_DUPLICATES]
    assert sorted(map(sorted, groups)) == sorted(map(sorted, planted))
    assert not any(set(NEAR_MISS) <= g for g in groups)
    assert hashlib.sha256(demo.read_bytes()).hexdigest() == before  # reading changed nothing
