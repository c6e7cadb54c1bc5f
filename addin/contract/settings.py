"""The Settings sheet: every key the add-in reads, in one registry, and the one reader.

Each :class:`Setting` names a key, its Chinese alias, its type, its default, its allowed range
and the features that read it. :func:`read_settings` reads the Settings sheet (the frame the
workbook reader returns, indexed by Excel row) or a plain ``{key: value}`` mapping; tiering,
the survey, the scorecard, the reports and the mail all ask it, so a key means the same thing
and a value is read by the same rules whichever feature reads it.

* **Keys** match like headers (:func:`addin.contract.schema.header_key`): ignoring case,
  spaces, ``_`` and ``-``, after NFKC folding; the Chinese alias and the listed aliases work too.
  A key the registry does not know is a warning naming its row and the closest known key.
* **Values** follow the contract's coercion rules (:mod:`addin.contract.coerce`): thousands
  separators are read (``1,000`` is 1000), numbers stored as text are numbers (full-width
  digits too), dates may be date cells or ISO/Chinese date text. A blank value takes the
  default.
* **Shares** (``kind="share"``) are fractions: ``0.8``, or ``80%`` (a percent cell or the text
  ``80%``, both 0.8). ``80`` is not a share and is refused. A percent sign on any other number
  (days, months, scale points) is refused.
* A value that cannot be read, or is outside its range, is an :class:`~addin.errors.InputError`
  naming the Settings row; every such problem of the keys a feature reads is reported at once.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from addin.contract import coerce
from addin.contract.limits import REVIEW_SECONDS
from addin.contract.schema import LANGUAGES, choice_index, header_key
from addin.errors import InputError, Problem

SHEET = "Settings"
SettingKind = Literal["text", "choice", "yes/no", "share", "number", "whole", "date", "words",
                      "numbers", "email"]
FEATURES = ("tier", "survey", "scorecard", "report", "mail", "churn")
LIST_SPLIT = re.compile(r"\s*[,，;；、]\s*")
_YES_NO = {"yes": ("y", "true", "1", "on", "是"), "no": ("n", "false", "0", "off", "否")}


@dataclass(frozen=True)
class Setting:
    """One key of the Settings sheet.

    ``minimum``/``maximum`` bound a number (``above``: the minimum itself is not allowed);
    ``choices`` maps each canonical value of a ``choice`` to its accepted spellings;
    ``default_text`` says the default in words when it is computed (``as_of``: the last order).
    """

    name: str
    kind: SettingKind
    default: Any
    features: tuple[str, ...]
    zh: str
    meaning: str
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False
    choices: dict[str, tuple[str, ...]] | None = None
    aliases: tuple[str, ...] = ()
    default_text: str | None = None

    def expected(self) -> str:
        """What a good value looks like, for messages and the README."""
        kind = self.kind
        if kind == "share":
            low, high = _num(self.minimum or 0), _num(self.maximum or 1)
            span = f"above {low} and at most {high}" if self.above else f"from {low} to {high}"
            return f"a share {span}, as a fraction (0.8) or a percentage (80%)"
        if kind in ("number", "whole"):
            what = "a whole number" if kind == "whole" else "a number"
            if self.minimum is not None and self.maximum is not None:
                return f"{what} from {_num(self.minimum)} to {_num(self.maximum)}"
            if self.minimum is not None:
                return f"{what} {'>' if self.above else '>='} {_num(self.minimum)}"
            return what
        if kind in ("choice", "yes/no"):
            return " or ".join(self.choices or _YES_NO)
        return {
            "text": "text",
            "date": "a date such as 2026-10-31",
            "words": "names separated by commas, such as VIP,Key",
            "numbers": "numbers separated by commas, such as 0.01,0.04,0.15,0.80",
            "email": "an e-mail address such as crm-reports@example.com",
        }[kind]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _s(name: str, kind: SettingKind, default: Any, features: str, zh: str, meaning: str,
       **more: Any) -> Setting:
    return Setting(name, kind, default, tuple(features.split()), zh, meaning, **more)


_SHARE = {"minimum": 0.0, "maximum": 1.0}

SETTINGS: tuple[Setting, ...] = (
    # --- tiering (addin.tiering.settings) and the reports that tier
    _s("as_of", "date", None, "tier report churn", "截止日期",
       "the date the tiers (and the report month) are computed as of",
       default_text="the last order date", aliases=("as of date", "统计日期")),
    _s("tier_by", "choice", "revenue", "tier report", "分层依据",
       "the value that ABC and the pyramid rank",
       choices={"revenue": ("收入", "销售额"), "margin": ("毛利",)}),
    _s("abc_a", "share", 0.8, "tier report", "A类累计占比",
       "cumulative share of value that ends class A", above=True, maximum=1.0, minimum=0.0),
    _s("abc_b", "share", 0.95, "tier report", "B类累计占比",
       "cumulative share of value that ends class B (at least abc_a)", **_SHARE),
    _s("pyramid_shares", "numbers", (0.01, 0.04, 0.15, 0.80), "tier report", "金字塔占比",
       "the tiers' shares of customers, top first, adding up to 1"),
    _s("pyramid_labels", "words", ("VIP", "Key", "Standard", "Small"), "tier report",
       "金字塔层级", "the tiers' names, one per share"),
    _s("key_account_tiers", "words", ("VIP", "Key"), "tier report", "关键客户层级",
       "tiers whose customers are key accounts (reviewed each month)",
       default_text="the first two tiers"),
    _s("inactive_days", "whole", 180, "tier report", "流失天数",
       "no purchase for longer than this is termination", minimum=0),
    _s("alive_threshold", "share", 0.1, "tier report churn", "存活概率阈值",
       "a probability of being alive below this is termination", **_SHARE),
    _s("exploration_days", "whole", 90, "tier report", "考察期天数",
       "a first purchase at most this many days ago is exploration", minimum=0),
    _s("stability_days", "whole", 365, "tier report", "稳定期天数",
       "tenure in days of a stable customer", minimum=0),
    _s("stability_orders", "whole", 4, "tier report", "稳定期订单数",
       "purchase days of a stable customer", minimum=0),
    _s("decline_drop", "share", 0.5, "tier report", "衰退降幅",
       "spend down by more than this share is decline", above=True, **_SHARE),
    _s("overdue_factor", "number", 3.0, "tier report", "逾期倍数",
       "no purchase for this many mean gaps is decline", minimum=0),
    _s("clv_months", "whole", 12, "tier report", "CLV月数", "CLV horizon in months",
       minimum=0, maximum=600),
    _s("monthly_discount_rate", "share", 0.01, "tier report", "月贴现率",
       "CLV discount rate a month", minimum=0.0, maximum=0.99),
    _s("retention_rate", "share", None, "tier report", "保留率",
       "yearly retention for the simple CLV formula", default_text="estimated", **_SHARE),
    # --- the survey (addin.surveys.analysis.SurveySettings) and the reports' survey blocks
    _s("overall_scale", "whole", 5, "survey report", "总体满意度量表",
       "overall satisfaction is answered on 1..overall_scale", minimum=2, maximum=100),
    _s("ces_scale", "whole", 7, "survey report", "费力度量表",
       "customer effort is answered on 1..ces_scale (higher is easier)", minimum=2,
       maximum=100),
    _s("item_scale", "whole", 7, "survey report", "题项量表",
       "perf_/imp_/exp_ items are answered on 1..item_scale", minimum=2, maximum=100),
    _s("csat_top_box", "whole", 2, "survey report", "CSAT顶端选项数",
       "CSAT is the share in the top csat_top_box points (fewer than overall_scale)",
       minimum=1, maximum=99),
    _s("nps_promoter_min", "whole", 9, "survey report", "推荐者最低分",
       "an NPS answer at least this is a promoter", minimum=1, maximum=10),
    _s("nps_detractor_max", "whole", 6, "survey report", "贬损者最高分",
       "an NPS answer at most this is a detractor (below nps_promoter_min)",
       minimum=0, maximum=9),
    _s("satisfaction_threshold", "number", 3.5, "survey report", "满意阈值",
       "a customer whose mean overall answer is at least this is satisfied", minimum=0),
    _s("repeat_orders_min", "whole", 2, "survey", "重复购买次数",
       "a customer with this many orders is loyal", minimum=1),
    _s("kano_like_like", "choice", "Q", "survey", "Kano喜欢喜欢",
       "Kano class of a Like/Like answer pair: Q (Berger et al. 1993) or O",
       choices={"Q": (), "O": ()}),
    _s("ipa_split", "choice", "mean", "survey", "IPA分割",
       "where the importance-performance quadrants split",
       choices={"mean": ("均值",), "midpoint": ("中点",)}),
    _s("survey_period_start", "date", None, "survey", "调查开始日期",
       "answers dated before this are left out", default_text="blank (no limit)"),
    _s("survey_period_end", "date", None, "survey", "调查结束日期",
       "answers dated after this are left out", default_text="blank (no limit)"),
    _s("servqual_dimensions", "text", "", "survey", "SERVQUAL维度",
       "item=dimension pairs separated by ';' (reliability_1=reliability)",
       default_text="by item name"),
    _s("satisfaction_index_items", "words", (), "survey", "满意度指数题项",
       "the items of the satisfaction index", default_text="every perf_ item"),
    _s("ask_by_name_item", "text", "ask_by_name", "survey", "指名购买题项",
       "the survey item of the 'asks by name' indicator"),
    _s("price_sensitivity_item", "text", "price_sensitivity", "survey", "价格敏感度题项",
       "the survey item of the price-sensitivity indicator"),
    # --- the scorecard (addin.jobs.scorecard)
    _s("ahp_random_index", "choice", "saaty1980", "scorecard report", "AHP随机一致性指标",
       "Saaty's random index table: of 1980 or of 2005",
       choices={"saaty1980": (), "saaty2005": ()}),
    _s("perspective_ahp", "text", "", "scorecard report", "层面AHP判断",
       "six judgements of the perspectives F-C, F-I, F-L, C-I, C-L, I-L (1/3 for less)",
       default_text="blank"),
    _s("perspective_weights", "text", "", "scorecard report", "层面权重",
       "four perspective weights, or name: weight pairs", default_text="equal weights"),
    _s("fiscal_year_start", "whole", 1, "scorecard report", "财年起始月",
       "the month the fiscal year starts (year to date, the trend's forecast)",
       minimum=1, maximum=12),
    # --- the reports (addin.reports.settings)
    _s("company_name", "text", "", "report mail", "公司名称",
       "the running header, the PDF author and the email's display name"),
    _s("company_name_zh", "text", "", "report mail", "公司中文名称",
       "the same in Chinese reports and emails", default_text="company_name"),
    _s("currency", "text", "CNY", "report", "币种",
       "ISO 4217 code of the money (RMB and 人民币 read as CNY)"),
    _s("complaint_target_days", "number", 14, "report", "投诉处理时限",
       "days within which a complaint should be resolved", minimum=0),
    _s("spend_decline_share", "share", 0.25, "report", "消费下降比例",
       "a revenue drop of this share makes a next action", above=True, **_SHARE),
    _s("single_contact_staff", "whole", 1, "report", "单一联系人数",
       "at most this many staff in 6 months is a single point of contact", minimum=0),
    _s("min_survey_answers", "whole", 10, "report mail", "最少答卷数",
       "an NPS or CSAT from fewer answers is shown as too few answers (with its n), not "
       "as a score, in the PDFs and the email", minimum=1),
    _s("review_time_limit", "number", REVIEW_SECONDS, "report", "报告渲染时限",
       "seconds one review (or summary) may take to render before it is stopped and reported "
       "as skipped", minimum=0.0, above=True),
    _s("report_language", "choice", "en", "report mail", "报告语言",
       "the reports' language where the Distribution sheet gives none",
       choices=dict(LANGUAGES)),
    # --- churn, win-back and the forecast (addin.churn.settings)
    _s("loss_rule", "choice", "either", "churn report tier", "流失规则",
       "which test marks an account lost: its order gap, P(alive), or either",
       choices={"gap": ("间隔",), "alive": ("存活",), "either": ("任一",)}),
    _s("loss_gap_factor", "number", 3.0, "churn report tier", "流失间隔倍数",
       "k: lost when the last order is older than k times the account's usual gap",
       minimum=0.0, above=True),
    _s("churn_min_silence_days", "whole", 90, "churn report tier", "流失最短沉默天数",
       "the gap test never marks an account lost before this many days without an order "
       "(a floor for near-daily buyers; 0: no floor)", minimum=0),
    _s("at_risk_gap_factor", "number", 2.0, "churn report", "风险间隔倍数",
       "at risk when the last order is older than this many usual gaps (at most k)",
       minimum=0.0, above=True, default_text="2, or loss_gap_factor when smaller"),
    _s("churn_period", "choice", "quarter", "churn report", "流失统计周期",
       "the periods of the churn rate", choices={"month": ("月",), "quarter": ("季度",)}),
    _s("churn_periods", "whole", 8, "churn report", "流失统计期数",
       "how many periods the churn table shows", minimum=1),
    _s("forecast_months", "whole", 12, "churn report", "预测月数",
       "the revenue forecast's horizon in months", minimum=1, maximum=36),
    _s("holdout_months", "whole", 6, "churn report", "回测月数",
       "months held out to backtest the forecasts", minimum=1),
    _s("revenue_plan", "number", None, "churn report", "收入计划",
       "planned revenue of the forecast horizon (forecast vs plan); wins over a Scorecard "
       "revenue target", minimum=0.0, above=True,
       default_text="the Scorecard's revenue target, else none"),
    _s("reason_window_days", "whole", 365, "churn report", "流失原因观察天数",
       "days before the loss (or as_of) that the churn reasons look at", minimum=1),
    # --- the mail (addin.mail)
    _s("sender_email", "email", None, "mail", "发件人邮箱",
       "the From address of the monthly email (required to mail)", default_text="none"),
    _s("smtp_server", "text", "", "mail", "SMTP服务器",
       "the ribbon's SMTP server, HOST:PORT", default_text="none"),
    _s("smtp_starttls", "yes/no", True, "mail", "SMTP加密", "upgrade with STARTTLS",
       choices=_YES_NO),
    _s("smtp_user", "text", "", "mail", "SMTP用户", "log in as this user",
       default_text="no login"),
    _s("smtp_password_env", "text", "CRM_SMTP_PASSWORD", "mail", "SMTP密码环境变量",
       "the environment variable that holds the password (never the workbook)"),
    # --- how the mail leaves (addin.mail.choose; README "Mail transports")
    _s("mail_transport", "choice", None, "mail", "邮件发送方式",
       "how the monthly email is sent",
       choices={"smtp": (), "graph": ("microsoft graph",), "outlook": (), "eml": ()},
       default_text="smtp when a server is named; else (ribbon) Outlook on Windows, .eml "
                    "files on a Mac"),
    _s("smtp_auth", "choice", "password", "mail", "SMTP认证方式",
       "the SMTP login: a password or an OAuth2 token (XOAUTH2)",
       choices={"password": ("密码",), "xoauth2": ("oauth2", "oauth")}),
    _s("oauth_provider", "choice", None, "mail", "OAuth提供方",
       "whose tokens XOAUTH2 uses", choices={"microsoft": ("microsoft 365", "微软"),
                                            "google": ("google workspace", "谷歌")},
       default_text="google for Gmail's servers, else microsoft"),
    _s("ms_tenant_id", "text", "", "mail", "微软租户ID",
       "the Microsoft Entra tenant (directory) id", default_text="none"),
    _s("ms_client_id", "text", "", "mail", "微软应用ID",
       "the app registration's application (client) id", default_text="none"),
    _s("ms_client_secret_env", "text", "CRM_MS_CLIENT_SECRET", "mail", "微软客户端密钥环境变量",
       "the environment variable that holds the app's client secret (never the workbook)"),
    _s("ms_certificate_file", "text", "", "mail", "微软证书文件",
       "a PEM file with the app's private key and certificate, instead of a secret",
       default_text="none"),
    _s("ms_certificate_password_env", "text", "", "mail", "微软证书密码环境变量",
       "the environment variable that holds the certificate key's password",
       default_text="none"),
    _s("ms_authority", "text", "https://login.microsoftonline.com", "mail", "微软登录地址",
       "the Microsoft sign-in host (national clouds)"),
    _s("google_key_file", "text", "", "mail", "谷歌服务账号密钥文件",
       "the Google service account's key file (JSON)",
       default_text="the environment variable GOOGLE_APPLICATION_CREDENTIALS"),
    _s("graph_url", "text", "https://graph.microsoft.com/v1.0", "mail", "Graph地址",
       "the Microsoft Graph endpoint (national clouds)"),
    _s("outlook_mode", "choice", "send", "mail", "Outlook模式",
       "Outlook sends each message, or opens it for review",
       choices={"send": ("发送",), "display": ("review", "预览")}),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _key_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for s in SETTINGS:
        for alias in (s.name, s.zh, *s.aliases):
            key = header_key(alias)
            if index.get(key, s.name) != s.name:
                raise AssertionError(f"setting alias {alias!r} is claimed by two keys")
            index[key] = s.name
    return index


_KEYS = _key_index()


def canonical_setting(key: object) -> str | None:
    """The registry's name for a key as typed on the Settings sheet, or None."""
    return _KEYS.get(header_key(key))


def _blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


@dataclass(frozen=True)
class Entry:
    row: int | None  # Excel row on the Settings sheet (None for a mapping given in code)
    key: str  # the key as typed
    value: object  # the value as typed


def _one(raw: object, kind: str) -> tuple[Any, bool]:
    """``(value, bad)`` of one cell through the contract's coercion of ``kind``."""
    convert = {"number": coerce.to_number, "date": coerce.to_date, "email": coerce.to_email}
    value, bad = convert[kind](pd.Series([raw], dtype=object))
    return value.iloc[0], bool(bad.iloc[0])


def _in_range(s: Setting, v: float) -> bool:
    if not math.isfinite(v):
        return False
    if s.minimum is not None and (v <= s.minimum if s.above else v < s.minimum):
        return False
    return s.maximum is None or v <= s.maximum


def _has_percent(raw: object) -> bool:
    return isinstance(raw, str) and "%" in raw


def convert(s: Setting, raw: object) -> Any:
    """The typed value of ``raw`` for setting ``s``; ValueError (with what was expected)."""
    kind = s.kind
    if kind == "text":
        return coerce._as_text(raw)
    if kind in ("choice", "yes/no"):
        got = choice_index(s.choices or {}).get(header_key(raw))
        if got is None:
            raise ValueError(s.expected())
        return got == "yes" if kind == "yes/no" else got
    if kind in ("share", "number", "whole", "numbers", "date") and isinstance(raw, str):
        raw = unicodedata.normalize("NFKC", raw)  # full-width digits from a Chinese IME
    if kind in ("share", "number", "whole"):
        if kind != "share" and _has_percent(raw):
            raise ValueError(s.expected() + " (no % sign: it is not a share)")
        v, bad = _one(raw, "number")
        if bad or not _in_range(s, float(v)) or (kind == "whole" and not float(v).is_integer()):
            raise ValueError(s.expected())
        return int(v) if kind == "whole" else float(v)
    if kind == "date":
        v, bad = _one(raw, "date")
        if bad or pd.isna(v):
            raise ValueError(s.expected())
        return pd.Timestamp(v).normalize()
    if kind == "email":
        v, bad = _one(raw, "email")
        if bad or not str(v).isascii():
            raise ValueError(s.expected())
        return v
    words = tuple(w for w in LIST_SPLIT.split(coerce._as_text(raw)) if w)
    if kind == "words":
        return words
    values, bad = coerce.to_number(pd.Series(list(words), dtype=object))
    if not words or bad.any() or values.isna().any():
        raise ValueError(s.expected())
    return tuple(float(v) for v in values)


@dataclass
class SettingValues:
    """The Settings sheet as read by :func:`read_settings`: the entries of the known keys (by
    registry name), the warnings (unknown or repeated keys), and typed lookups."""

    sheet: str = SHEET
    entries: dict[str, Entry] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return BY_NAME[name].name in self.entries

    def row(self, name: str) -> int | None:
        entry = self.entries.get(name)
        return entry.row if entry else None

    def raw(self, name: str) -> object:
        entry = self.entries.get(name)
        return entry.value if entry else None

    def text(self, name: str) -> str:
        """The value as stripped text, ``""`` when the key is absent or blank."""
        return coerce._as_text(self.entries[name].value) if name in self.entries else ""

    def problem(self, name: str, expected: str, *, with_value: bool = True) -> Problem:
        entry = self.entries.get(name)
        typed = entry.key if entry else name
        return Problem(f"setting {typed!r}: expected {expected}", sheet=self.sheet,
                       row=entry.row if entry else None, column="value" if entry else "key",
                       value=entry.value if entry else None,
                       has_value=bool(entry) and with_value)

    def fail(self, name: str, expected: str) -> InputError:
        return InputError.from_problems([self.problem(name, expected)])

    def get(self, name: str) -> Any:
        """The typed value of ``name``, or its default; InputError names the row."""
        s = BY_NAME[name]
        if name not in self.entries:
            return s.default
        try:
            return convert(s, self.entries[name].value)
        except ValueError as exc:
            raise self.fail(name, str(exc)) from None

    def problems(self, names: Iterable[str] | None = None) -> list[Problem]:
        """Every value among ``names`` (default: every key) that cannot be read."""
        out = []
        for name in (BY_NAME if names is None else names):
            if name in self.entries:
                try:
                    convert(BY_NAME[name], self.entries[name].value)
                except ValueError as exc:
                    out.append(self.problem(name, str(exc)))
        return sorted(out, key=lambda p: p.row or 0)

    def checked(self, *features: str) -> tuple[dict[str, Any], list[Problem]]:
        """Every key the ``features`` read, typed (defaults for absent keys and for values that
        cannot be read), and the problems of those values, so a feature can add the problems
        between keys and raise them all at once."""
        names = [s.name for s in SETTINGS if set(s.features) & set(features)]
        problems = self.problems(names)
        values = {name: BY_NAME[name].default if self._bad(name) else self.get(name)
                  for name in names}
        return values, problems

    def _bad(self, name: str) -> bool:
        if name not in self.entries:
            return False
        try:
            convert(BY_NAME[name], self.entries[name].value)
        except ValueError:
            return True
        return False

    def values(self, *features: str) -> dict[str, Any]:
        """Every key the ``features`` read, typed (defaults for absent keys). Every value that
        cannot be read is raised at once as one InputError."""
        values, problems = self.checked(*features)
        if problems:
            raise InputError.from_problems(problems)
        return values


def _suggest(key: str) -> str | None:
    typed = header_key(key)
    close = difflib.get_close_matches(typed, list(_KEYS), n=1, cutoff=0.6)
    return _KEYS[close[0]] if close else None


def unknown_key_problem(key: str, row: int | None, sheet: str = SHEET) -> Problem:
    """The warning for a key the registry does not know, with the closest known key."""
    near = _suggest(key)
    where = f" on row {row}" if row is not None else ""
    hint = (f": did you mean `{near}`?" if near else
            "; it is not read (the README's Settings table lists every key)")
    return Problem(f"unknown setting `{key}`{where}{hint}", sheet=sheet, row=row, column="key",
                   value=key, has_value=False, severity="warning")


def read_settings(settings: pd.DataFrame | Mapping[str, object] | SettingValues | None,
                  sheet: str = SHEET) -> SettingValues:
    """Read the Settings sheet (a frame with ``key`` and ``value``, indexed by Excel row) or a
    ``{key: value}`` mapping. Keys are matched to the registry; blank values are left out (so
    they take the default); unknown keys and keys given twice become warnings."""
    if isinstance(settings, SettingValues):
        return settings
    out = SettingValues(sheet=sheet)
    if settings is None:
        return out
    if isinstance(settings, pd.DataFrame):
        if settings.empty or "key" not in settings:
            return out
        values = settings["value"] if "value" in settings else [None] * len(settings)
        items = list(zip(settings.index, settings["key"], values, strict=True))
    else:
        items = [(None, k, v) for k, v in settings.items()]
    for row, key, value in items:
        if _blank(key):
            continue
        excel_row = int(row) if isinstance(row, (int, np.integer)) else None
        typed = str(key).strip()
        name = canonical_setting(typed)
        if name is None:
            out.warnings.append(unknown_key_problem(typed, excel_row, sheet))
            continue
        if _blank(value):
            continue
        before = out.entries.get(name)
        if before is not None:
            rows = f"rows {before.row} and {excel_row}" if excel_row else "twice"
            out.warnings.append(Problem(
                f"setting `{name}` is given {rows}; the last one is used", sheet=sheet,
                row=excel_row, column="key", severity="warning"))
        out.entries[name] = Entry(excel_row, typed, value)
    return out


def settings_warnings(settings: pd.DataFrame | Mapping[str, object] | None,
                      sheet: str = SHEET) -> list[Problem]:
    """The warnings of the Settings sheet: unknown keys (with a suggestion), repeated keys."""
    return read_settings(settings, sheet).warnings


def _default(s: Setting) -> str:
    if s.default_text is not None:
        return s.default_text
    d = s.default
    if isinstance(d, tuple):
        return ",".join(_num(v) if isinstance(v, float) else str(v) for v in d) or "blank"
    if isinstance(d, bool):
        return "yes" if d else "no"
    if isinstance(d, float):
        return _num(d)
    return str(d) if d not in (None, "") else "blank"


def settings_markdown() -> str:
    """The registry as a Markdown table (the README shows it; a test keeps the two equal)."""
    lines = ["| key | 中文 | read by | default | allowed values | meaning |",
             "| --- | --- | --- | --- | --- | --- |"]
    for s in SETTINGS:
        lines.append(f"| `{s.name}` | {s.zh} | {', '.join(s.features)} | {_default(s)} | "
                     f"{s.expected()} | {s.meaning} |")
    return "\n".join(lines)


__all__ = ["SETTINGS", "BY_NAME", "FEATURES", "Setting", "SettingValues", "Entry",
           "canonical_setting", "convert", "read_settings", "settings_warnings",
           "settings_markdown", "unknown_key_problem"]
