"""``analyse_survey`` end to end on 100,000 responses x 30 items, against a pandas floor.

The survey is built as ``load_crm_workbook`` would hand it over: one row per response, the 30
SERVQUAL items (10 perf_, 10 imp_, 10 exp_) as float columns, ``overall``, ``nps`` and
``ces`` with a few text and out-of-range answers planted (so those columns are object dtype,
as the reader leaves them), and 6 Kano pairs; plus 2,000 customers, 60,000 order lines and
600 complaints for the indicators and the loyalty matrix.

Floor (for scale): plain pandas over the same frame, ``to_numeric`` of each answer column,
then ``.mean()`` and ``.corr()``: the least any analysis of these answers must do. The script
prints both median times and the ratio. Target: ``analyse_survey`` under 2 s and within 10x
of the floor.

    python bench/bench_surveys.py [--responses 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from timing import timed

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")


def make_data(responses: int, seed: int = 11) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = responses
    latent = rng.normal(0, 1, n)

    def scale(x, low, high):
        return np.clip(np.round(x), low, high).astype(float)

    cols: dict[str, object] = {
        "respondent_id": [f"R{i:06d}" for i in range(1, n + 1)],
        "customer_id": [f"C{c:05d}" for c in rng.integers(1, 2001, n)],
        "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
    }
    overall = scale(3.8 + 0.8 * latent + rng.normal(0, 0.5, n), 1, 5).astype(object)
    nps = scale(7.5 + 1.8 * latent + rng.normal(0, 1, n), 0, 10).astype(object)
    for column, planted in ((overall, ["N/A", 6, None]), (nps, ["don't know", 11, None])):
        where = rng.choice(n, 300, replace=False)
        column[where] = np.array(planted * 100, dtype=object)
    cols["overall"], cols["nps"] = overall, nps
    cols["ces"] = scale(5 + 0.8 * latent + rng.normal(0, 0.9, n), 1, 7)
    for prefix, weight in (("perf", 0.8), ("imp", 0.1), ("exp", 0.2)):
        for k in range(10):
            dim = DIMENSIONS[k // 2]
            cols[f"{prefix}_{dim}_{k % 2 + 1}"] = scale(
                5 + weight * latent + rng.normal(0, 0.9, n), 1, 7)
    for f in range(6):
        cols[f"kano_f_feature_{f}"] = rng.integers(1, 6, n).astype(float)
        cols[f"kano_d_feature_{f}"] = rng.integers(1, 6, n).astype(float)
    survey = pd.DataFrame(cols, index=pd.RangeIndex(2, n + 2, name="row"))
    customers = pd.DataFrame({"customer_id": [f"C{c:05d}" for c in range(1, 2001)],
                              "segment": rng.choice(["Enterprise", "Mid-market", "SMB"], 2000)})
    lines = 60_000
    transactions = pd.DataFrame({
        "customer_id": [f"C{c:05d}" for c in rng.integers(1, 2001, lines)],
        "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, lines), "D"),
        "amount": np.round(rng.lognormal(8, 1, lines), 2),
    })
    complaints = pd.DataFrame({
        "customer_id": [f"C{c:05d}" for c in rng.integers(1, 2001, 600)],
        "opened": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, 600), "D"),
    })
    return {"Survey": survey, "Customers": customers, "Transactions": transactions,
            "Complaints": complaints}


def main() -> None:
    from addin.surveys import analyse_survey

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--by", default="segment", help="group by this Customers column")
    args = parser.parse_args()

    data = make_data(args.responses)
    survey = data["Survey"]
    answer_cols = [c for c in survey.columns if c not in ("respondent_id", "customer_id", "date")]
    items = sum(c.startswith(("perf_", "imp_", "exp_")) for c in answer_cols)
    print(f"survey: {len(survey):,} responses x {items} items "
          f"(+ overall, nps, ces, {sum(c.startswith('kano_f_') for c in answer_cols)} Kano "
          f"pairs); {len(data['Transactions']):,} order lines")

    def floor():
        numeric = survey[answer_cols].apply(pd.to_numeric, errors="coerce")
        return numeric.mean(), numeric.corr()

    def ours():
        return analyse_survey(survey, data["Customers"], data["Transactions"],
                              data["Complaints"], {}, by=args.by)

    floor_time, _ = timed(floor, args.repeat)
    our_time, report = timed(ours, args.repeat)
    print(f"pandas to_numeric + mean + corr (floor):  {floor_time:7.3f} s")
    print(f"analyse_survey (end to end, by {args.by}): {our_time:7.3f} s")
    print(f"ratio: {our_time / floor_time:.1f}x the floor (target: within 10x); "
          f"{'under' if our_time < 2 else 'OVER'} the 2 s target")
    print(f"check: NPS {report.nps.score:.1f} +/- {report.nps.margin_of_error:.1f} from "
          f"{report.nps.n:,} answers, {len(report.excluded_answers):,} answers listed as "
          f"left out")


if __name__ == "__main__":
    main()
