"""The embedded demo workbook: reproducible, in step with its generator, and plausible."""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from addin.contract.schema import SHEETS
from addin.demo import (
    DEMO_AS_OF,
    DEMO_SEED,
    MESSY_SURVEY,
    MISSING_KPI,
    NEAR_MISS,
    PLANTED_DUPLICATES,
    SHEET_ORDER,
    build_demo_workbook,
    demo_workbook_path,
)
from addin.workbook import find_duplicate_customers, read_sheet
from addin.workbook.duplicates import normalise_company_name, normalise_phone

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbooks" / "demo_crm.xlsx"
REGENERATE = ("workbooks/demo_crm.xlsx does not match addin/demo/: run "
              "`python workbooks/make_demo.py` and commit the regenerated file")
WINDOW = (dt.date(2025, 5, 1), dt.date(2026, 10, 31))
PERIODS = ["2025-11", "2025-12"] + [f"2026-{m:02d}" for m in range(1, 11)]


def read_sheets(path: pathlib.Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in wb.sheet_names}


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sheets() -> dict[str, list[list]]:
    assert COMMITTED.exists(), f"{COMMITTED} is missing: run `python workbooks/make_demo.py`"
    return read_sheets(COMMITTED)


@pytest.fixture(scope="module")
def frames(sheets) -> dict[str, pd.DataFrame]:
    """Each sheet as a DataFrame (header row -> columns, blanks -> None)."""
    out = {}
    for name, rows in sheets.items():
        df = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
        out[name] = df.where(df != "", None)
    return out


# ---------------------------------------------------------------------------------------------
# 1. Reproducible, and the committed file is what the generator writes
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_regenerates_byte_identical_and_matches_committed_file(tmp_path, sheets):
    first = build_demo_workbook(tmp_path / "first.xlsx")
    second = build_demo_workbook(tmp_path / "second.xlsx")
    assert sha256(first) == sha256(second), "two builds of the demo workbook differ"

    fresh = read_sheets(first)
    assert list(fresh) == list(sheets), f"sheet names or order differ; {REGENERATE}"
    for name, rows in fresh.items():
        committed = sheets[name]
        if rows != committed:
            pairs = enumerate(zip(rows, committed, strict=False))
            where = next((r + 1 for r, (a, b) in pairs if a != b),
                         min(len(rows), len(committed)) + 1)
            pytest.fail(f"sheet {name}: first difference at Excel row {where} "
                        f"({len(rows)} rows generated, {len(committed)} committed); {REGENERATE}")


def test_sheets_and_headers_follow_the_contract(sheets):
    assert list(sheets) == list(SHEET_ORDER)
    for name, rows in sheets.items():
        header = rows[0]
        spec = SHEETS[name]
        assert set(spec.required) <= set(header), name
        listed = [c.name for c in spec.columns if c.name in header]
        assert header[: len(listed)] == listed, f"{name}: columns not in schema order"
        assert all(len(r) == len(header) for r in rows), name
    # every Customers column of the contract but the per-language names (the demo's names
    # serve both languages; name_en/name_zh are tested on workbooks built in tests/test_pack.py)
    customers = [c.name for c in SHEETS["Customers"].columns
                 if c.name not in ("name_en", "name_zh")]
    assert sheets["Customers"][0] == customers


# ---------------------------------------------------------------------------------------------
# 2. Plausible content
# ---------------------------------------------------------------------------------------------

def test_customers(frames):
    c = frames["Customers"]
    assert 1900 <= len(c) <= 2100
    assert sorted(c.region.unique()) == ["East", "North", "South", "West"]
    assert set(c.segment) == {"Enterprise", "Mid-market", "SMB"}
    assert set(c.credit_level) == {"AAA", "AA", "A", "BBB", "BB"}
    assert 8 <= c.industry.nunique() <= 10
    assert 20 <= c.account_manager.nunique() <= 30
    chinese = c.name.str.contains(r"[\u4e00-\u9fff]")
    assert 0.12 <= chinese.mean() <= 0.25, "about 15-20 % Chinese company names"
    assert c.account_manager.str.contains(r"[\u4e00-\u9fff]").any()
    since = pd.to_datetime(c.since)
    assert (since < "2025-05-01").mean() > 0.8 and (since >= "2025-05-01").sum() > 100
    assert since.max() <= pd.Timestamp(DEMO_AS_OF)
    domains = c.email.str.extract(r"@(?:.+\.)?(example\.(?:com|cn))$")[0]
    assert domains.notna().all(), "customer e-mails must be on example.com / example.cn"


def test_transactions(frames):
    c, t = frames["Customers"], frames["Transactions"]
    assert 50_000 <= len(t) <= 70_000
    dates = pd.to_datetime(t.date)
    assert dates.min() >= pd.Timestamp(WINDOW[0]) and dates.max() <= pd.Timestamp(WINDOW[1])
    assert dates.dt.to_period("M").nunique() == 18
    assert set(t.customer_id) <= set(c.customer_id)
    amount = t.amount.astype(float)
    margin = t.margin.astype(float)
    assert np.allclose(amount, amount.round(2)) and np.allclose(margin, margin.round(2))
    returns = amount < 0
    assert 0.01 <= returns.mean() <= 0.02, "about 1-2 % returns"
    assert 5 <= (amount == 0).sum() <= 20, "a handful of zero-value lines"
    assert (margin[returns] < 0).all() and (margin[amount == 0] == 0).all()
    rate = (margin / amount)[amount.abs() >= 100]
    assert rate.between(0.0999, 0.4501).all(), "margin 10-45 % of the amount"
    # every return follows a purchase of the same product by the same customer
    sales = t[amount > 0].assign(d=dates[amount > 0])
    first_buy = sales.groupby(["customer_id", "product"]).d.min()
    r = t[returns].assign(d=dates[returns])
    bought = first_buy.loc[list(zip(r.customer_id, r["product"], strict=True))]
    assert (r.d.to_numpy() >= bought.to_numpy()).all()
    # 80/20: the top fifth of the buying customers brings roughly three quarters of revenue
    revenue = t.groupby("customer_id").amount.sum().sort_values(ascending=False)
    top = revenue.iloc[: len(revenue) // 5].sum() / revenue.sum()
    assert 0.70 <= top <= 0.85, top
    assert t["product"].nunique() == 12
    assert set(t.channel) == {"Direct", "Distributor", "Online", "Phone"}
    assert set(t.payment_method) == {"Bank transfer", "Letter of credit", "Credit card",
                                     "30-day terms"}


def test_contacts_and_complaints(frames):
    c, k, q = frames["Customers"], frames["Contacts"], frames["Complaints"]
    assert 12_000 <= len(k) <= 20_000
    assert set(k.customer_id) <= set(c.customer_id)
    assert set(k.channel) == {"Visit", "Phone", "Email", "WeChat", "Meeting"}
    kd = pd.to_datetime(k.date)
    assert kd.min() >= pd.Timestamp(WINDOW[0]) and kd.max() <= pd.Timestamp(WINDOW[1])
    # mostly the customer's own account manager
    am = k.customer_id.map(c.drop_duplicates("customer_id").set_index("customer_id")
                           .account_manager)
    assert 0.7 <= (k.staff == am).mean() <= 0.95
    # some busy accounts only ever see their account manager (single point of contact)
    staff_per = k.groupby("customer_id").staff.nunique()
    busy = k.customer_id.value_counts()
    assert ((staff_per == 1) & (busy.reindex(staff_per.index) >= 20)).sum() >= 5

    assert 500 <= len(q) <= 800
    assert set(q.customer_id) <= set(c.customer_id)
    opened, closed = pd.to_datetime(q.opened), pd.to_datetime(q.closed)
    assert opened.min() >= pd.Timestamp(WINDOW[0]) and opened.max() <= pd.Timestamp(WINDOW[1])
    is_open = closed.isna()
    assert 0.05 <= is_open.mean() <= 0.15, "about 10 % open tickets"
    assert ((q.status == "Open") == is_open).all()
    assert (closed[~is_open] >= opened[~is_open]).all()
    assert closed.max() <= pd.Timestamp(DEMO_AS_OF)
    assert set(q.category) == {"Delivery", "Quality", "Billing", "Service", "Product"}
    assert set(q.severity) == {"Low", "Medium", "High", "Critical"}
    assert set(q.status) == {"Open", "Resolved", "Closed"}


KANO_TABLE = {  # functional answer -> dysfunctional answer 1..5 (standard evaluation table)
    1: "QAAAO", 2: "RIIIM", 3: "RIIIM", 4: "RIIIM", 5: "RRRRQ",
}


def test_survey(frames):
    c, s = frames["Customers"], frames["Survey"]
    assert 1400 <= len(s) <= 1600
    assert s.respondent_id.is_unique and s.respondent_id.iloc[0] == "R00001"
    assert set(s.customer_id) <= set(c.customer_id)
    d = pd.to_datetime(s.date)
    assert d.min() >= pd.Timestamp(WINDOW[0]) and d.max() <= pd.Timestamp(WINDOW[1])
    dims = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
    items = [f"{p}_{dim}_{n}" for p in ("perf", "imp", "exp") for dim in dims for n in (1, 2)]
    assert all(col in s.columns for col in items)
    features = ["online_portal", "same_day_delivery", "dedicated_manager", "invoice_api",
                "carbon_report", "training"]
    kano = [f"kano_{x}_{f}" for f in features for x in ("f", "d")]
    assert list(s.columns[-12:]) == kano
    for col in items:
        assert s[col].astype(float).between(1, 7).all(), col
    for col in kano:
        assert s[col].astype(float).isin([1, 2, 3, 4, 5]).all(), col
    assert s.ces.astype(float).between(1, 7).all()

    # the planted messy answers, and no others
    messy = {(rid, col) for rid, (col, _) in MESSY_SURVEY.items()}
    for col, lo, hi in (("nps", 0, 10), ("overall", 1, 5)):
        num = pd.to_numeric(s[col], errors="coerce")
        bad = s.respondent_id[num.isna() | ~num.between(lo, hi)]
        assert {(rid, col) for rid in bad} == {m for m in messy if m[1] == col}, col
    assert s.nps.isna().sum() == 5
    texts = [v for v in pd.concat([s.nps, s.overall]) if isinstance(v, str)]
    assert len(texts) == 4
    assert (pd.to_numeric(s.nps, errors="coerce") == 11).sum() == 1
    assert (pd.to_numeric(s.overall, errors="coerce") == 6).sum() == 1

    # one latent satisfaction: overall, NPS and performance co-move
    num = s[["overall", "nps", "ces", "perf_reliability_1", "perf_empathy_2"]].apply(
        pd.to_numeric, errors="coerce")
    corr = num.corr()
    assert corr.loc["overall", "nps"] > 0.5
    assert corr.loc["overall", "perf_reliability_1"] > 0.3
    assert corr.loc["nps", "perf_empathy_2"] > 0.2
    # reliability falls short of expectation; tangibles exceed it
    gap = {dim: (s[f"perf_{dim}_1"].astype(float) - s[f"exp_{dim}_1"].astype(float)).mean()
           for dim in dims}
    assert gap["reliability"] < -0.8 and gap["tangibles"] > 0

    # the features come out as different Kano categories
    dominant = {}
    for f in features:
        cats = [KANO_TABLE[int(a)][int(b) - 1]
                for a, b in zip(s[f"kano_f_{f}"], s[f"kano_d_{f}"], strict=True)]
        dominant[f] = pd.Series(cats).value_counts().index[0]
    assert dominant == {"online_portal": "M", "same_day_delivery": "A",
                        "dedicated_manager": "O", "invoice_api": "A", "carbon_report": "I",
                        "training": "M"}


def test_scorecard(frames):
    sc = frames["Scorecard"]
    assert 18 <= len(sc) <= 22
    assert sorted(sc.perspective.unique()) == ["customer", "financial", "internal process",
                                                "learning and growth"]
    periods = [col for col in sc.columns if re.fullmatch(r"\d{4}-\d{2}", str(col))]
    assert periods == PERIODS
    assert set(sc.polarity) == {"higher", "lower", "target"}
    weights = sc.weight.astype(float).groupby(sc.objective).sum()
    assert np.allclose(weights, 1.0), "KPI weights add up to 1 within each objective"
    missing = sc[sc.actual.isna()]
    assert list(missing.kpi) == [MISSING_KPI]
    assert missing["2026-10"].isna().all() and missing["2026-09"].notna().all()
    ok = sc.actual.notna()
    assert np.allclose(sc.actual[ok].astype(float), sc["2026-10"][ok].astype(float))
    assert sc[PERIODS[:-1]].notna().all().all()
    assert sc.red.notna().any() and sc.red.isna().any()
    assert (sc.red.isna() == sc.amber.isna()).all()
    # some KPIs improve and some worsen over the year
    first, last = sc["2025-11"].astype(float), sc["2026-09"].astype(float)
    better = np.where(sc.polarity == "lower", last < first, last > first)
    worse = np.where(sc.polarity == "lower", last > first, last < first)
    assert better.sum() >= 4 and worse.sum() >= 3


def test_distribution_and_settings(frames):
    d = frames["Distribution"]
    assert len(d) == 4
    assert sorted(d.scope.str.replace("region: ", "")) == ["East", "North", "South", "West"]
    assert sorted(d.language) == ["en", "en", "zh", "zh"]
    assert d[d.language == "zh"].name.str.contains(r"[\u4e00-\u9fff]").all()
    assert d.email.str.endswith("@example.com").all()

    st = frames["Settings"]
    assert st.key.is_unique
    settings = dict(zip(st.key, st.value, strict=True))
    assert settings["as_of"] == DEMO_AS_OF
    assert settings["currency"] == "CNY" and settings["fiscal_year_start"] == "01"
    assert settings["pyramid_shares"] == "0.01,0.04,0.15,0.80"
    assert (settings["abc_a"], settings["abc_b"]) == (0.8, 0.95)
    for key in ("company_name", "pyramid_labels", "complaint_target_days",
                "satisfaction_threshold"):
        assert key in settings


# ---------------------------------------------------------------------------------------------
# 3. The planted duplicates, and nothing else, satisfy the duplicate rule
# ---------------------------------------------------------------------------------------------

def test_only_the_planted_duplicates_match(frames):
    customers = read_sheet(COMMITTED, "Customers")  # index = Excel row
    found = find_duplicate_customers(customers)
    flagged = {tuple(sorted(rows)) for rows in found.groupby("group")["row"].agg(list)}
    assert flagged == {(a, b) for _, a, b in PLANTED_DUPLICATES}
    assert not set(NEAR_MISS) & set(found["row"])
    near = [normalise_company_name(customers.loc[r, "name"]) for r in NEAR_MISS]
    assert near[0] == near[1]  # the near miss shares a normalised name, nothing else
    # each planted pair as documented
    by_row = {r: customers.loc[r] for pair in PLANTED_DUPLICATES for r in pair[1:]}
    (_, a1, b1), (_, a2, b2), (_, a3, b3), (_, a4, b4) = PLANTED_DUPLICATES
    assert by_row[a1].customer_id == by_row[b1].customer_id
    assert by_row[a1]["name"] != by_row[b1]["name"]
    assert by_row[a2].email != by_row[b2].email
    assert by_row[a2].email.casefold() == by_row[b2].email.casefold()
    assert by_row[a3]["name"] != unicodedata.normalize("NFKC", by_row[a3]["name"])  # full-width
    assert by_row[a3].phone != by_row[b3].phone
    assert normalise_phone(by_row[a3].phone) == normalise_phone(by_row[b3].phone)
    assert normalise_phone(by_row[a4].phone) == normalise_phone(by_row[b4].phone)
    # the duplicate records have orders of their own
    t = frames["Transactions"]
    for _, a, b in PLANTED_DUPLICATES:
        for r in (a, b):
            assert (t.customer_id == customers.loc[r, "customer_id"]).sum() > 0


def test_demo_workbook_path_is_the_committed_file_in_a_checkout():
    assert demo_workbook_path() == COMMITTED


@pytest.mark.slow
def test_demo_workbook_path_builds_once_into_the_cache_without_a_checkout(tmp_path, monkeypatch):
    import addin.demo

    monkeypatch.setattr(addin.demo, "_REPO_DEMO", tmp_path / "no-checkout" / "demo_crm.xlsx")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = demo_workbook_path()
    assert path == tmp_path / "cache" / "crm-addin" / f"demo_crm_{DEMO_SEED}.xlsx"
    assert sha256(path) == sha256(COMMITTED)
    stamp = path.stat().st_mtime_ns
    assert demo_workbook_path() == path and path.stat().st_mtime_ns == stamp  # reused


def test_demo_workbook_path_reuses_the_cached_build(tmp_path, monkeypatch):
    import addin.demo

    def no_build(*args, **kwargs):
        raise AssertionError("the cached demo workbook should have been reused")

    monkeypatch.setattr(addin.demo, "_REPO_DEMO", tmp_path / "no-checkout" / "demo_crm.xlsx")
    monkeypatch.setattr(addin.demo, "build_demo_workbook", no_build)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # ignored, as the XDG spec says
    cached = tmp_path / "home" / ".cache" / "crm-addin" / f"demo_crm_{DEMO_SEED}.xlsx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"built earlier")
    assert demo_workbook_path() == cached
