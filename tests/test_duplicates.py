"""Duplicate customers (查重): normalising names, e-mails and phones, and grouping records."""

from __future__ import annotations

import itertools
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.errors import InputError
from addin.workbook.duplicates import (
    DUPLICATE_COLUMNS,
    LEGAL_FORM_SUFFIXES,
    find_duplicate_customers,
    normalise_company_name,
    normalise_email,
    normalise_phone,
)

# --------------------------------------------------------------------------- helpers


def customers(*records: tuple, columns=("customer_id", "name", "email", "phone")) -> pd.DataFrame:
    """A Customers frame as the reader returns it: index = Excel row, from row 2."""
    frame = pd.DataFrame(list(records), columns=list(columns))
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return frame


def groups_of(result: pd.DataFrame) -> list[list[int]]:
    """The groups as lists of Excel rows, in group order."""
    return [list(g["row"]) for _, g in result.groupby("group", sort=True)]


# --------------------------------------------------------------------------- company names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # case, spaces, punctuation
        ("Acme Ltd", "acme"),
        ("ACME LIMITED", "acme"),
        ("  acme   ltd. ", "acme"),
        ("Shanghai Acme", "shanghaiacme"),
        ("A.B.C. Ltd", "abc"),
        # "Co., Ltd." and its spellings
        ("Huaxin Trading Co., Ltd.", "huaxintrading"),
        ("HUAXIN TRADING CO.,LTD", "huaxintrading"),
        ("Huaxin Trading Company Limited", "huaxintrading"),
        ("Huaxin Trading Co. Ltd", "huaxintrading"),
        # other legal forms
        ("Acme Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme Incorporated", "acme"),
        ("Acme LLC", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme PLC", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme AG", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme Pte. Ltd.", "acme"),
        ("Acme Pty Ltd", "acme"),
        # full-width forms and brackets
        ("ＡＣＭＥ（上海）", "acme上海"),
        ("ACME（上海）有限公司", "acme上海"),
        ("ACME (Shanghai) Co., Ltd.", "acmeshanghai"),
        ("【华信】贸易有限公司", "华信贸易"),
        # Chinese legal forms and punctuation
        ("华信贸易有限公司", "华信贸易"),
        ("华信贸易股份有限公司", "华信贸易"),
        ("华信贸易有限责任公司", "华信贸易"),
        ("华信贸易股份公司", "华信贸易"),
        ("华信贸易公司", "华信贸易"),
        ("华信·贸易，有限公司。", "华信贸易"),
        ("华信贸易 有限公司", "华信贸易"),
        ("华信贸易Co.,Ltd.", "华信贸易"),
        # words that tell firms apart stay
        ("华信（集团）有限公司", "华信集团"),
        ("Acme Group Holdings Ltd", "acmegroupholdings"),
        ("Acme Logistics Ltd", "acmelogistics"),
        # a suffix only counts as a whole word
        ("Costco", "costco"),
        ("Tesco PLC", "tesco"),
        # a name made only of suffixes keeps one word
        ("Company Ltd", "company"),
        ("Ltd", "ltd"),
        ("有限公司", "有限公司"),
        # no letters or digits at all
        ("--", ""),
    ],
)
def test_normalise_company_name(name, expected):
    assert normalise_company_name(name) == expected


@pytest.mark.parametrize("suffix", LEGAL_FORM_SUFFIXES)
def test_every_legal_form_suffix_is_removed(suffix):
    assert normalise_company_name(f"Acme {suffix}") == "acme"
    assert normalise_company_name(f"华信{suffix}") == "华信"


_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.sampled_from(["Acme", "Huaxin", "Trading", "Golden", "Star", "华信",
                                    "贸易", "上海", "Group", "集团", "88"]), min_size=1,
                   max_size=4),
    suffix=st.sampled_from(["", " Ltd", " Co., Ltd.", " Company Limited", " Inc.", "有限公司",
                            "股份有限公司", " (Pte) Ltd", "公司"]),
    upper=st.booleans(),
    full_width=st.booleans(),
    spaces=st.sampled_from([" ", "  ", "\u3000", " · "]),
)
def test_name_noise_does_not_change_the_key(words, suffix, upper, full_width, spaces):
    plain = normalise_company_name(" ".join(words))
    noisy = spaces + spaces.join(words) + suffix + spaces
    noisy = noisy.upper() if upper else noisy
    noisy = "".join(_FULL_WIDTH.get(c, c) for c in noisy) if full_width else noisy
    assert normalise_company_name(noisy) == plain


# --------------------------------------------------------------------------- e-mail and phone


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("Purchasing@Huaxin.example.com", "purchasing@huaxin.example.com"),
        ("  purchasing@huaxin.example.com \t", "purchasing@huaxin.example.com"),
        ("ｐｕｒｃｈａｓｉｎｇ＠huaxin.example.com", "purchasing@huaxin.example.com"),
        ("", None),
        ("   ", None),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
    ],
)
def test_normalise_email(email, expected):
    assert normalise_email(email) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        # a Shenzhen landline (area code 755) written five ways
        ("+86 755 1234 5678", "75512345678"),
        ("0086-755-12345678", "75512345678"),
        ("0755-1234-5678", "75512345678"),
        ("(0755) 1234 5678", "75512345678"),
        ("+86 (0)755 1234 5678", "75512345678"),
        ("０７５５－１２３４５６７８", "75512345678"),
        # Beijing: area code 10
        ("010-8888 6666", "1088886666"),
        ("+86 10 8888 6666", "1088886666"),
        # a mobile
        ("+86 138 0013 8000", "13800138000"),
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        # extension and a second number are dropped
        ("138 0013 8000 ext. 12", "13800138000"),
        ("0755-12345678转801", "75512345678"),
        ("13800138000 / 13900139000", "13800138000"),
        # "86" is kept when what follows is not a full Chinese number
        ("86123456789", "86123456789"),
        # other countries keep their country code; 00 is the same as +
        ("+44 20 7946 0958", "442079460958"),
        ("0044 20 7946 0958", "442079460958"),
        # a local number without area code stays as written
        ("8888 6666", "88886666"),
        ("1234567", "1234567"),
        # too short, or nothing
        ("123456", None),
        ("n/a", None),
        ("", None),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
    ],
)
def test_normalise_phone(phone, expected):
    assert normalise_phone(phone) == expected


# --------------------------------------------------------------------------- same id


def test_same_id_ignores_case_spaces_and_width():
    frame = customers(
        ("c001", "Acme Ltd", None, None),
        ("C002", "Beta Ltd", None, None),
        (" C001 ", "Acme Limited", None, None),
        ("Ｃ001", "ACME", None, None),
    )
    result = find_duplicate_customers(frame)
    assert list(result.columns) == list(DUPLICATE_COLUMNS)
    assert result["row"].tolist() == [2, 4, 5]
    assert result["group"].tolist() == [1, 1, 1]
    assert set(result["kind"]) == {"same id"}
    assert result["customer_id"].tolist() == ["c001", " C001 ", "Ｃ001"]
    assert result["reason"].iloc[0] == (
        "customer_id c001 appears 3 times (rows 2, 4, 5), written as 'c001', ' C001 ', 'Ｃ001'"
    )


def test_same_id_reason_without_spelling_variants():
    frame = customers(("C00017", "Acme", None, None), ("C00017", "Beta", None, None))
    result = find_duplicate_customers(frame)
    assert result["reason"].tolist() == ["customer_id C00017 appears 2 times (rows 2, 3)"] * 2


def test_same_id_groups_are_numbered_by_first_row():
    frame = customers(
        ("C9", "Nine", None, None),
        ("C1", "One", None, None),
        ("C5", "Five", None, None),
        ("C1", "One again", None, None),
        ("C9", "Nine again", None, None),
    )
    result = find_duplicate_customers(frame)
    assert groups_of(result) == [[2, 6], [3, 5]]


# --------------------------------------------------------------------------- likely duplicates


def test_likely_duplicate_by_email():
    frame = customers(
        ("C001", "Huaxin Trading Co., Ltd.", "purchasing@huaxin.example.com", None),
        ("C002", "Other Firm", "info@other.example.com", None),
        ("C003", "HUAXIN TRADING LIMITED", " Purchasing@Huaxin.example.com", None),
    )
    result = find_duplicate_customers(frame)
    assert result["row"].tolist() == [2, 4]
    assert result["group"].tolist() == [1, 1]
    assert result["kind"].tolist() == ["likely duplicate"] * 2
    assert result["reason"].tolist() == [
        "same name as row 4 (normalised 'huaxintrading') and same email "
        "purchasing@huaxin.example.com",
        "same name as row 2 (normalised 'huaxintrading') and same email "
        "purchasing@huaxin.example.com",
    ]


def test_likely_duplicate_by_phone():
    frame = customers(
        ("C001", "华信贸易有限公司", None, "0755-1234-5678"),
        ("C002", "华信贸易股份有限公司", None, "+86 755 1234 5678"),
    )
    result = find_duplicate_customers(frame)
    assert result["row"].tolist() == [2, 3]
    assert result["reason"].iloc[1] == (
        "same name as row 2 (normalised '华信贸易') and same phone 75512345678"
    )


def test_email_and_phone_to_the_same_row_give_one_reason():
    frame = customers(
        ("C1", "Acme Ltd", "a@acme.example.com", "13800138000"),
        ("C2", "ACME", "A@acme.example.com", "+86 138 0013 8000"),
    )
    result = find_duplicate_customers(frame)
    assert result["reason"].iloc[0] == (
        "same name as row 3 (normalised 'acme') and same email a@acme.example.com "
        "and phone 13800138000"
    )


def test_transitive_group():
    # row 2 ~ row 3 by e-mail, row 3 ~ row 4 by phone; row 2 and row 4 share nothing directly.
    frame = customers(
        ("C1", "Acme Ltd", "a@acme.example.com", None),
        ("C2", "Acme Co., Ltd.", "a@acme.example.com", "13800138000"),
        ("C3", "ACME", "b@acme.example.com", "138 0013 8000"),
        ("C4", "Beta", "x@beta.example.com", "13900139000"),
        ("C5", "Beta Ltd", "y@beta.example.com", "139-0013-9000"),
    )
    result = find_duplicate_customers(frame)
    assert groups_of(result) == [[2, 3, 4], [5, 6]]
    assert result["reason"].iloc[1] == (
        "same name as row 2 (normalised 'acme') and same email a@acme.example.com; "
        "same name as row 4 (normalised 'acme') and same phone 13800138000"
    )


def test_same_id_and_likely_duplicate_chain_into_one_group():
    frame = customers(
        ("C1", "Acme", "a@acme.example.com", None),
        ("c1", "Acme Old Address", None, None),
        ("C2", "ACME Ltd", "a@acme.example.com", None),
    )
    result = find_duplicate_customers(frame)
    assert groups_of(result) == [[2, 3, 4]]
    assert result["kind"].tolist() == ["same id", "same id", "likely duplicate"]
    assert result["reason"].iloc[0] == (
        "customer_id C1 appears 2 times (rows 2, 3), written as 'C1', 'c1'; "
        "same name as row 4 (normalised 'acme') and same email a@acme.example.com"
    )


def test_same_name_alone_is_not_a_duplicate():
    # Two firms called Huaxin Trading, one in Shanghai and one in Shenzhen.
    frame = customers(
        ("C1", "Huaxin Trading Co., Ltd.", "sh@huaxin.example.com", "021-6666 8888"),
        ("C2", "Huaxin Trading Ltd", "sz@huaxin.example.com", "0755-1234 5678"),
    )
    assert find_duplicate_customers(frame).empty


def test_similar_names_with_the_same_phone_are_not_duplicates():
    frame = customers(
        ("C1", "Acme Ltd", None, "13800138000"),
        ("C2", "Acme Logistics Ltd", None, "13800138000"),
    )
    assert find_duplicate_customers(frame).empty


def test_missing_emails_and_phones_do_not_match_each_other():
    frame = customers(
        ("C1", "Acme Ltd", np.nan, None),
        ("C2", "Acme Ltd", None, np.nan),
        ("C3", "Acme Ltd", pd.NA, "   "),
        ("C4", "Acme Ltd", "", "123"),
        ("C5", "Acme Ltd", "  ", "12-3"),
    )
    assert find_duplicate_customers(frame).empty


def test_same_id_with_same_name_and_email_is_only_same_id():
    frame = customers(
        ("C1", "Acme", "a@acme.example.com", None),
        ("C1", "Acme", "a@acme.example.com", None),
    )
    result = find_duplicate_customers(frame)
    assert result["kind"].tolist() == ["same id", "same id"]
    assert "same name" not in result["reason"].iloc[0]


def test_missing_names_and_ids_do_not_match():
    frame = customers(
        ("C1", None, "a@acme.example.com", None),
        ("C2", None, "a@acme.example.com", None),
        (None, "Acme", None, None),
        (None, "Acme", None, None),
    )
    assert find_duplicate_customers(frame).empty


# --------------------------------------------------------------------------- shapes of input


def test_empty_input_gives_empty_result_with_columns():
    result = find_duplicate_customers(customers())
    assert result.empty
    assert list(result.columns) == list(DUPLICATE_COLUMNS)


def test_no_duplicates_gives_empty_result_with_columns():
    frame = customers(("C1", "Acme", None, None), ("C2", "Beta", None, None))
    result = find_duplicate_customers(frame)
    assert result.empty
    assert list(result.columns) == list(DUPLICATE_COLUMNS)


@pytest.mark.parametrize(
    "columns",
    [("customer_id", "name"), ("customer_id", "name", "email"), ("customer_id", "name", "phone")],
)
def test_without_email_or_phone_columns(columns):
    rows = [
        ("C1", "Acme Ltd", "a@acme.example.com", "13800138000"),
        ("C2", "Acme", "a@acme.example.com", "13800138000"),
        ("C1", "Beta", "b@beta.example.com", "13900139000"),
    ]
    keep = [("customer_id", "name", "email", "phone").index(c) for c in columns]
    frame = customers(*[tuple(r[i] for i in keep) for r in rows], columns=columns)
    result = find_duplicate_customers(frame)
    expected = [[2, 3, 4]] if len(columns) > 2 else [[2, 4]]
    assert groups_of(result) == expected


def test_extra_columns_and_unsorted_rows():
    frame = customers(
        ("C2", "Acme", "a@acme.example.com", None),
        ("C1", "Acme Ltd", "a@acme.example.com", None),
    ).assign(region=["East", "North"])
    frame.index = pd.Index([9, 4], name="row")
    result = find_duplicate_customers(frame)
    assert result["row"].tolist() == [4, 9]
    assert result["customer_id"].tolist() == ["C1", "C2"]


def test_missing_required_column_is_an_input_error():
    with pytest.raises(InputError) as info:
        find_duplicate_customers(pd.DataFrame({"customer_id": ["C1"]}, index=[2]))
    assert info.value.column == "name"
    assert info.value.sheet == "Customers"


# --------------------------------------------------------------------------- properties

_IDS = ["C1", "c1", " C1 ", "C2", "Ｃ2", "C3", "C4", None]
_NAMES = ["Acme Ltd", "ACME", "Acme Co., Ltd.", "Acme Logistics", "华信贸易有限公司", "华信贸易",
          "Beta", None]
_EMAILS = ["a@acme.example.com", "A@ACME.example.com ", "b@acme.example.com", "", None, np.nan]
_PHONES = ["13800138000", "+86 138 0013 8000", "0755-1234-5678", "+86 755 1234 5678", "123",
           None]

records = st.lists(
    st.tuples(st.sampled_from(_IDS), st.sampled_from(_NAMES), st.sampled_from(_EMAILS),
              st.sampled_from(_PHONES)),
    max_size=12,
)


def _pairwise_groups(frame: pd.DataFrame) -> set[frozenset[int]]:
    """The rules applied to every pair of records: the slow definition the fast code must meet."""
    rows = list(frame.index)

    def id_key(v):
        return None if pd.isna(v) else unicodedata.normalize("NFKC", v).strip().casefold()

    ids = [id_key(v) for v in frame["customer_id"]]
    names = [None if pd.isna(v) else normalise_company_name(v) or None for v in frame["name"]]
    emails = [normalise_email(v) for v in frame["email"]]
    phones = [normalise_phone(v) for v in frame["phone"]]
    parent = {r: r for r in rows}

    def find(r):
        while parent[r] != r:
            r = parent[r]
        return r

    for i, j in itertools.combinations(range(len(rows)), 2):
        same_id = ids[i] is not None and ids[i] == ids[j]
        likely = (
            not same_id and names[i] is not None and names[i] == names[j]
            and ((emails[i] is not None and emails[i] == emails[j])
                 or (phones[i] is not None and phones[i] == phones[j]))
        )
        if same_id or likely:
            parent[find(rows[i])] = find(rows[j])
    components: dict[int, set[int]] = {}
    for r in rows:
        components.setdefault(find(r), set()).add(r)
    return {frozenset(c) for c in components.values() if len(c) > 1}


@settings(max_examples=200, deadline=None)
@given(records)
def test_groups_match_the_pairwise_rules(recs):
    frame = customers(*recs)
    result = find_duplicate_customers(frame)
    got = {frozenset(g) for g in groups_of(result)}
    assert got == _pairwise_groups(frame)
    # groups are numbered 1, 2, ... in order of their first row, rows sorted within
    assert groups_of(result) == sorted((sorted(g) for g in got), key=lambda g: g[0])
    assert result["reason"].str.len().gt(0).all()


@settings(max_examples=100, deadline=None)
@given(records, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(recs, rnd):
    frame = customers(*recs)
    order = list(range(len(frame)))
    rnd.shuffle(order)
    pd.testing.assert_frame_equal(
        find_duplicate_customers(frame.iloc[order]), find_duplicate_customers(frame)
    )
