"""``crm-addin survey`` on a copy of the demo workbook: the Survey Results sheet read back with
openpyxl and LibreOffice and checked against numbers computed here from the raw Survey sheet;
bad input exits 2 with a readable line."""

from __future__ import annotations

import csv
import math
import shutil
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from addin.cli import cli
from addin.demo import MESSY_SURVEY, demo_workbook_path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey_cli")
    source = folder / "demo_crm.xlsx"
    shutil.copyfile(demo_workbook_path(), source)
    result = CliRunner().invoke(cli, ["survey", str(source), "--by", "segment"])
    return source, folder / "demo_crm_results.xlsx", result


def _raw_survey(path) -> pd.DataFrame:
    # read independently of addin.workbook: calamine through pandas, cells as they are
    return pd.read_excel(path, sheet_name="Survey", engine="calamine")


def _numbers(column: pd.Series, low: int, high: int) -> pd.Series:
    values = pd.to_numeric(column.where(column.map(lambda v: not isinstance(v, str))),
                           errors="coerce")
    return values[(values >= low) & (values <= high) & (values == values.round())]


def _tables(ws) -> dict[str, list[tuple]]:
    """Each table of the sheet under its title (the writer's bold 12-point cell in column A):
    rows of values, header first."""
    out: dict[str, list[tuple]] = {}
    title = None
    for row in ws.iter_rows():
        first = row[0]
        if isinstance(first.value, str) and first.font.b and first.font.sz == 12:
            title = first.value
            out[title] = []
        elif title is not None and any(c.value is not None for c in row):
            out[title].append(tuple(c.value for c in row))
    return out


def _table(tables, prefix) -> pd.DataFrame:
    title = next(t for t in tables if t.startswith(prefix))
    header, *body = tables[title]
    width = len([h for h in header if h is not None])
    return pd.DataFrame([r[:width] for r in body], columns=header[:width])


@pytest.mark.slow
def test_cli_writes_the_survey_results_sheet(demo_run):
    source, results, run = demo_run
    assert run.exit_code == 0, run.output
    assert "Survey Results sheet written to" in run.output
    # by hand from the Survey sheet: 1,491 valid NPS answers, promoters (9-10) minus
    # detractors (0-6) = 16.9 points, margin 1.96 x 100 x sqrt((p + d - (p - d)^2) / n) = 3.9
    assert "NPS 16.9 +/- 3.9" in run.output
    wb = openpyxl.load_workbook(results)
    assert "Survey" in wb.sheetnames and "Survey Results" in wb.sheetnames  # a copy + results
    tables = _tables(wb["Survey Results"])
    headline = _table(tables, "Survey headline").set_index("measure")["value"]

    survey = _raw_survey(source)
    nps = _numbers(survey["nps"], 0, 10)
    p, d = (nps >= 9).mean(), (nps <= 6).mean()
    assert headline["NPS"] == pytest.approx(100 * (p - d))
    assert headline["NPS margin of error (95 %, +/- points)"] == pytest.approx(
        1.96 * math.sqrt(((p + d) - (p - d) ** 2) / len(nps)) * 100)
    overall = _numbers(survey["overall"], 1, 5)
    assert headline["CSAT (% top 2 of 1..5)"] == pytest.approx(100 * (overall >= 4).mean())
    assert headline["responses"] == len(survey) == 1500

    gaps = _table(tables, "Expectation gaps")
    reliability = gaps[(gaps["level"] == "dimension") & (gaps["dimension"] == "reliability")]
    per_person = np.mean([survey[f"perf_reliability_{k}"] - survey[f"exp_reliability_{k}"]
                          for k in (1, 2)], axis=0)
    assert reliability["gap"].iloc[0] == pytest.approx(per_person.mean())
    assert gaps["gap"].iloc[0] == gaps.loc[gaps["level"] == "dimension", "gap"].min()

    groups = _table(tables, "By segment")
    assert set(groups["group"]) == {"Enterprise", "Mid-market", "SMB"}
    left_out = _table(tables, "Every answer left out")
    assert set(left_out["respondent_id"]) == set(MESSY_SURVEY)
    assert _table(tables, "Kano categories").set_index("feature").loc[
        "dedicated_manager", "category"] == "O"


@pytest.mark.slow
def test_result_sheet_has_the_gap_colour_scale_and_the_ipa_chart(demo_run):
    _, results, run = demo_run
    assert run.exit_code == 0, run.output
    ws = openpyxl.load_workbook(results)["Survey Results"]
    kinds = {rule.type for cf in ws.conditional_formatting for rule in cf.rules}
    assert {"colorScale", "dataBar"} <= kinds
    gap_ranges = [str(cf.sqref) for cf in ws.conditional_formatting
                  if any(r.type == "colorScale" for r in cf.rules)]
    gap_col = next(c.column_letter for c in ws[_header_row(ws, "gap")] if c.value == "gap")
    assert any(r.startswith(gap_col) for r in gap_ranges)
    with zipfile.ZipFile(results) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert any(b"scatterChart" in z.read(n) for n in charts)


def _header_row(ws, name: str) -> int:
    for row in ws.iter_rows():
        if any(c.value == name for c in row):
            return row[0].row
    raise AssertionError(f"no header {name}")


@pytest.mark.slow
@pytest.mark.libreoffice
def test_libreoffice_opens_the_results(demo_run, soffice, tmp_path):
    source, results, run = demo_run
    assert run.exit_code == 0, run.output
    out = soffice.to_csv(results, sheet="Survey Results", outdir=tmp_path)
    with open(out, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    shown = {r[0]: r[1] for r in rows if len(r) > 1}
    survey = _raw_survey(source)
    nps = _numbers(survey["nps"], 0, 10)
    # the value column is formatted #,##0.0## : three decimals as LibreOffice shows them
    # NPS in points to one decimal, responses a count: the formats of addin.contract.units
    assert shown["NPS"] == f"{100 * ((nps >= 9).mean() - (nps <= 6).mean()):.1f}"
    assert shown["responses"] == "1,500"


def test_by_tier_without_tiers_exits_2_with_the_reason(make_xlsx):
    path = make_xlsx({
        "Customers": [["customer_id", "name"], ["C1", "Acme"]],
        "Survey": [["respondent_id", "customer_id", "nps"], ["R1", "C1", 9]],
    })
    run = CliRunner().invoke(cli, ["survey", str(path), "--by", "tier"])
    assert run.exit_code == 2
    assert ("error: sheet 'Customers', row 1, column 'tier': cannot group by tier: the "
            "Customers sheet has no 'tier' column; run the tiering first") in run.output


def test_no_survey_sheet_and_bad_settings_exit_2(make_xlsx, tmp_path):
    no_survey = make_xlsx({"Customers": [["customer_id", "name"], ["C1", "Acme"]]})
    run = CliRunner().invoke(cli, ["survey", str(no_survey)])
    assert run.exit_code == 2 and "has no Survey sheet" in run.output
    bad = make_xlsx({"Survey": [["respondent_id", "nps"], ["R1", 9]],
                     "Settings": [["key", "value"], ["ipa_split", "median"]]}, name="bad.xlsx")
    run = CliRunner().invoke(cli, ["survey", str(bad)])
    assert run.exit_code == 2
    assert "sheet 'Settings', row 2, column 'value': setting 'ipa_split'" in run.output


def test_small_survey_to_a_chosen_file(make_xlsx, tmp_path):
    path = make_xlsx({"Survey": [["respondent_id", "overall", "nps"], ["R1", 5, 10],
                                 ["R2", 2, "N/A"], ["R3", 4, 6]]})
    out = tmp_path / "out" / "survey.xlsx"
    run = CliRunner().invoke(cli, ["survey", str(path), "-o", str(out)])
    assert run.exit_code == 0, run.output
    # NPS of 10 and 6: (1 - 1) / 2 = 0; CSAT: 5 and 4 of 3 answers = 66.7 %
    assert "NPS 0.0 +/- " in run.output and "CSAT 66.7 %" in run.output
    assert "1 answer left out" in run.output
    ws = openpyxl.load_workbook(out)["Survey Results"]
    assert ws["A1"].value == "Survey headline"
