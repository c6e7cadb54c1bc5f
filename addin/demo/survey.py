"""The demo's survey responses: overall, NPS and CES, SERVQUAL performance, importance and
expectation items, and Kano answer pairs, all driven by one latent satisfaction per respondent
(complaints lower it, it improves slowly over the window); then the planted messy answers."""

from __future__ import annotations

import numpy as np

from addin.demo.calendar import (
    _N_DAYS,
    _pick,
)
from addin.demo.vocabulary import (
    _KANO_MIX,
    KANO_FEATURES,
    MESSY_SURVEY,
    N_SURVEY,
    SERVQUAL,
)


def _survey(rng: np.random.Generator, cust: dict, tx: dict, comp: dict) -> dict:
    n = cust["n"]
    n_tx = np.bincount(tx["cust"], minlength=n)
    n_comp = np.bincount(comp["cust"], minlength=n)
    weight = np.sqrt(n_tx.astype(float))
    c = rng.choice(n, size=N_SURVEY, p=weight / weight.sum())
    start, end = tx["start"][c], np.minimum(tx["end"][c] + 30, _N_DAYS - 1)
    day = start + (rng.random(N_SURVEY) * (end - start + 1)).astype(int)
    order = np.lexsort((np.arange(N_SURVEY), c, day))
    c, day = c[order], day[order]
    r = N_SURVEY

    # a latent satisfaction: complaints hurt, things improve slowly over the window
    s = (rng.normal(0, 0.85, r) - 0.35 * np.minimum(n_comp[c], 3)
         + 0.35 * day / _N_DAYS + np.array([0.1, 0.0, -0.05])[cust["segment"][c]])
    dim = {d: rng.normal(0, 0.6, r) for d in SERVQUAL}
    drive = s + 0.5 * dim["reliability"] + 0.3 * dim["responsiveness"] + 0.1 * dim["tangibles"]

    def scale(x, lo, hi):
        return np.clip(np.round(x), lo, hi).astype(int)

    cols: dict[str, list] = {}
    cols["overall"] = scale(3.85 + 0.8 * drive + rng.normal(0, 0.45, r), 1, 5).tolist()
    cols["nps"] = scale(8.0 + 1.8 * drive + rng.normal(0, 0.9, r), 0, 10).tolist()
    cols["ces"] = scale(5.0 + 0.8 * drive + rng.normal(0, 0.9, r), 1, 7).tolist()
    mu_perf = dict(tangibles=5.6, reliability=4.8, responsiveness=4.9, assurance=5.4, empathy=5.0)
    mu_imp = dict(tangibles=4.6, reliability=6.4, responsiveness=6.0, assurance=5.7, empathy=5.3)
    mu_exp = dict(tangibles=5.2, reliability=6.3, responsiveness=6.0, assurance=5.9, empathy=5.5)
    exp_style = rng.normal(0, 0.45, r)
    imp_style = rng.normal(0, 0.4, r)
    for d in SERVQUAL:
        for k in (1, 2):
            cols[f"perf_{d}_{k}"] = scale(mu_perf[d] + 0.75 * s + 0.9 * dim[d]
                                          + rng.normal(0, 0.55, r), 1, 7).tolist()
    for d in SERVQUAL:
        for k in (1, 2):
            cols[f"imp_{d}_{k}"] = scale(mu_imp[d] + imp_style + rng.normal(0, 0.6, r),
                                         1, 7).tolist()
    for d in SERVQUAL:
        for k in (1, 2):
            cols[f"exp_{d}_{k}"] = scale(mu_exp[d] + exp_style + rng.normal(0, 0.55, r),
                                         1, 7).tolist()

    # Kano: draw a category per answer, then an answer pair that the standard table maps to it
    for f in KANO_FEATURES:
        cat = _pick(rng, "MOAIRQ", _KANO_MIX[f], r)
        fa = np.empty(r, dtype=int)
        da = np.empty(r, dtype=int)
        mid_f = 2 + _pick(rng, range(3), (45, 40, 15), r)
        mid_i = 2 + _pick(rng, range(3), (25, 55, 20), r)
        mid_d = 2 + _pick(rng, range(3), (20, 50, 30), r)
        coin = rng.random(r) < 0.5
        for code, (fv, dv) in enumerate((
            (mid_f, 5),                      # M: expect/neutral/live-with it, dislike its absence
            (1, 5),                          # O: like it, dislike its absence
            (1, mid_d),                      # A: like it, absence is fine
            (mid_i, mid_d),                  # I: neutral both ways
            (np.where(coin, 5, 3), 1),       # R: reversed
            (np.where(coin, 1, 5), np.where(coin, 1, 5)),  # Q: questionable (like/like, ...)
        )):
            sel = cat == code
            fa[sel] = np.broadcast_to(fv, r)[sel]
            da[sel] = np.broadcast_to(dv, r)[sel]
        cols[f"kano_f_{f}"] = fa.tolist()
        cols[f"kano_d_{f}"] = da.tolist()

    ids = [f"R{i + 1:05d}" for i in range(r)]
    for rid, (col, value) in MESSY_SURVEY.items():
        cols[col][int(rid[1:]) - 1] = value
    return dict(ids=ids, cust=c, day=day, cols=cols)
