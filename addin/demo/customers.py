"""The demo's customers (客户卡片): names in English and Chinese, cards, contact details, and
the planted duplicate records, checked against the real duplicate rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from addin.demo.calendar import (
    _N_DAYS,
    _pick,
)
from addin.demo.vocabulary import (
    _CITIES,
    _CITY_INDEX,
    _COPY_NAME,
    _COPY_OF,
    _COPY_ROW,
    _EMAIL_LOCAL_EN,
    _EMAIL_LOCAL_ZH,
    _EN_CORES,
    _EN_PREFIXES,
    _EN_SUFFIX_WEIGHTS,
    _EN_SUFFIXES,
    _INDUSTRY_WEIGHTS,
    _PLANTED,
    _ZH_BRANDS,
    _ZH_SUFFIX_WEIGHTS,
    _ZH_SUFFIXES,
    _ZH_WORDS,
    ACCOUNT_MANAGERS,
    CREDIT_LEVELS,
    INDUSTRIES,
    N_CUSTOMER_ROWS,
    NEAR_MISS,
    PLANTED_DUPLICATES,
    REGIONS,
    SIZES,
    WINDOW_START,
)
from addin.workbook.duplicates import (
    find_duplicate_customers,
    normalise_company_name,
    normalise_email,
    normalise_phone,
)


def _customers(rng: np.random.Generator) -> dict:
    n = N_CUSTOMER_ROWS
    planted_keys = [normalise_company_name(p["name"]) for p in _PLANTED.values()]
    planted_keys.append(normalise_company_name(_COPY_NAME))
    gen_rows = [i for i in range(n) if i not in _PLANTED and i != _COPY_ROW]
    n_gen = len(gen_rows)

    # language and industry of the generated names
    is_zh = rng.random(n_gen) < 0.175
    industry = _pick(rng, INDUSTRIES, _INDUSTRY_WEIGHTS, n_gen)
    city_w = [c[5] for c in _CITIES]
    city = _pick(rng, _CITIES, city_w, n_gen)

    names: list[str] = []
    emails: list[str] = []
    used_keys: dict[str, int] = {k: 1 for k in planted_keys}
    en_suffix = _pick(rng, _EN_SUFFIXES, _EN_SUFFIX_WEIGHTS, n_gen)
    zh_suffix = _pick(rng, _ZH_SUFFIXES, _ZH_SUFFIX_WEIGHTS, n_gen)
    shi = rng.random(n_gen) < 0.4
    local_en = rng.integers(0, len(_EMAIL_LOCAL_EN), n_gen)
    local_zh = rng.integers(0, len(_EMAIL_LOCAL_ZH), n_gen)
    reserved_prefixes = ("Redwood", "Huaxin", "Pinecrest", "Summit", "Northwind")
    for k in range(n_gen):
        ind = INDUSTRIES[industry[k]]
        while True:
            if is_zh[k]:
                brand, brand_py = _ZH_BRANDS[rng.integers(len(_ZH_BRANDS))]
                words = _ZH_WORDS[ind]
                word, word_py = words[rng.integers(len(words))]
                c = _CITIES[city[k]]
                name = c[1] + ("市" if shi[k] else "") + brand + word + _ZH_SUFFIXES[zh_suffix[k]]
                key = normalise_company_name(c[1] + brand + word)  # with or without 市: one company
                slug = f"{brand_py}-{word_py}-{c[2]}"
                email = f"{_EMAIL_LOCAL_ZH[local_zh[k]]}@{slug}.example.cn"
            else:
                prefix = _EN_PREFIXES[rng.integers(len(_EN_PREFIXES))]
                cores = _EN_CORES[ind]
                core = cores[rng.integers(len(cores))]
                name = f"{prefix} {core} {_EN_SUFFIXES[en_suffix[k]]}"
                key = normalise_company_name(f"{prefix} {core}")
                slug = f"{prefix}-{core}".lower().replace(" ", "-").replace("&", "and")
                email = f"{_EMAIL_LOCAL_EN[local_en[k]]}@{slug}.example.com"
            assert not any(prefix_ in name for prefix_ in reserved_prefixes)
            if key not in used_keys and normalise_company_name(name) not in used_keys:
                used_keys[key] = 1
                used_keys[normalise_company_name(name)] = 1
                break
        names.append(name)
        emails.append(email)

    # phones: unique local numbers 5550 0000 .. 5559 9999 (planted ones use 556x or 1234)
    local = 55_500_000 + rng.choice(100_000, size=n_gen, replace=False)
    style = _pick(rng, range(4), (45, 35, 12, 8), n_gen)
    phones = []
    for k in range(n_gen):
        area = _CITIES[city[k]][4]
        a, b = divmod(int(local[k]), 10_000)
        phones.append((f"+86 {area} {a} {b:04d}", f"0{area}-{a}-{b:04d}",
                       f"0{area} {a} {b:04d}", f"(0{area}) {a}-{b:04d}")[style[k]])

    # assemble all rows
    rec_name = [""] * n
    rec_email = [""] * n
    rec_phone = [""] * n
    rec_city = np.zeros(n, dtype=int)
    rec_industry = np.zeros(n, dtype=int)
    for k, i in enumerate(gen_rows):
        rec_name[i], rec_email[i], rec_phone[i] = names[k], emails[k], phones[k]
        rec_city[i], rec_industry[i] = city[k], industry[k]
    for i, p in _PLANTED.items():
        rec_name[i], rec_email[i], rec_phone[i] = p["name"], p["email"], p["phone"]
        rec_city[i], rec_industry[i] = _CITY_INDEX[p["city"]], INDUSTRIES.index(p["industry"])
    region = np.array([REGIONS.index(_CITIES[c][3]) for c in rec_city])

    # customer ids: sequential in row order; the copy-pasted row repeats its original's id
    ids = []
    counter = 0
    for i in range(n):
        if i == _COPY_ROW:
            ids.append(ids[_COPY_OF])
        else:
            counter += 1
            ids.append(f"C{counter:05d}")

    # 'since': increasing with the id (records are created in order); the last ~12 % during
    # the window (new customers)
    n_new = int(round(0.12 * n))
    old = np.sort(rng.uniform(0, 1, n - n_new))
    start_old = dt.date(2008, 1, 1).toordinal()
    span_old = WINDOW_START.toordinal() - start_old - 1
    since_ord = np.concatenate([
        start_old + (span_old * (1 - (1 - old) ** 1.8)).astype(int),  # more recent ones more
        WINDOW_START.toordinal() + np.sort(rng.integers(0, _N_DAYS - 10, n_new)),
    ])
    since_ord[_COPY_ROW] = since_ord[_COPY_OF]
    since = [dt.date.fromordinal(int(o)) for o in since_ord]
    is_new = since_ord >= WINDOW_START.toordinal()

    # value (heavy-tailed), segment, size, credit level
    value = rng.lognormal(0.0, 1.55, n) * np.where(is_new, 0.6, 1.0)
    score = np.log(value) + rng.normal(0, 0.35, n)
    order = np.argsort(-score, kind="stable")
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    segment = np.where(rank < 0.08 * n, 0, np.where(rank < 0.35 * n, 1, 2))
    size_p = {0: (0, 2, 35, 63), 1: (5, 40, 45, 10), 2: (55, 38, 7, 0)}
    credit_p = {0: (35, 35, 20, 8, 2), 1: (12, 28, 32, 20, 8), 2: (5, 15, 30, 30, 20)}
    size = np.zeros(n, dtype=int)
    credit = np.zeros(n, dtype=int)
    for s in range(3):
        m = segment == s
        size[m] = _pick(rng, SIZES, size_p[s], int(m.sum()))
        credit[m] = _pick(rng, CREDIT_LEVELS, credit_p[s], int(m.sum()))

    # account manager from the region's team
    am = []
    am_pick = rng.integers(0, 1000, n)
    for i in range(n):
        team = ACCOUNT_MANAGERS[REGIONS[region[i]]]
        am.append(team[am_pick[i] % len(team)])

    # the copy-pasted row: the same record as its original, name misspelt
    i, j = _COPY_ROW, _COPY_OF
    rec_name[i] = _COPY_NAME
    rec_email[i], rec_phone[i] = rec_email[j], rec_phone[j]
    rec_city[i], rec_industry[i], region[i] = rec_city[j], rec_industry[j], region[j]
    value[i], segment[i], size[i] = value[j], segment[j], size[j]
    credit[i], am[i] = credit[j], am[j]
    # duplicate pairs of one company: same region and industry; a new record may be smaller
    for a, b in ((147, 1208), (638, 1731), (902, 903)):
        segment[b] = segment[a] = min(segment[a], 1)

    return dict(
        n=n, ids=ids, name=rec_name, email=rec_email, phone=rec_phone, city=rec_city,
        industry=rec_industry, region=region, segment=segment, size=size, credit=credit,
        am=am, since=since, since_day=np.array([(d - WINDOW_START).days for d in since]),
        value=value, is_new=is_new,
    )


def _check_duplicates(cust: dict) -> None:
    """The duplicate checker (``addin.workbook.duplicates``) flags exactly the planted pairs,
    the near miss shares a normalised name and nothing else, and the generated e-mails and
    phones are unique under the checker's keys. Raises AssertionError otherwise."""
    frame = pd.DataFrame(
        {"customer_id": cust["ids"], "name": cust["name"], "email": cust["email"],
         "phone": cust["phone"]},
        index=pd.RangeIndex(2, 2 + cust["n"], name="row"))
    found = find_duplicate_customers(frame)
    groups = sorted(tuple(sorted(g)) for g in found.groupby("group")["row"].agg(list))
    expected = sorted(tuple(sorted((a, b))) for _, a, b in PLANTED_DUPLICATES)
    if groups != expected:
        raise AssertionError(f"demo duplicates: found {groups}, planted {expected}")
    near = [normalise_company_name(cust["name"][r - 2]) for r in NEAR_MISS]
    if near[0] != near[1]:
        raise AssertionError("demo near miss: the two names no longer normalise the same")
    # The planted pairs share 2 e-mails (the copy-pasted row, Huaxin) and 3 phones (the copy,
    # Qianhai AI, Pinecrest); every other record has its own.
    emails = [normalise_email(e) for e in cust["email"]]
    phones = [normalise_phone(p) for p in cust["phone"]]
    if len(dict.fromkeys(emails)) != cust["n"] - 2 or len(dict.fromkeys(phones)) != cust["n"] - 3:
        raise AssertionError("demo customers: e-mails or phones are not unique")
