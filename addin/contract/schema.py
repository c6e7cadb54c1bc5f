"""The workbook contract: which sheets, which columns, their types and their aliases.

This module is the one place where sheet names, column names, Chinese aliases and column types
are written down (DESIGN.md, "The workbook contract"). Headers match ignoring case, spaces,
underscores and hyphens, after Unicode NFKC folding (so a full-width ``ＩＤ`` matches ``id``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "email", "date", "number", "answer", "category", "extra"]

# canonical column name -> accepted aliases (besides the canonical name itself).
# One table for every sheet: a column means the same thing wherever it appears.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("客户编号", "客户ID", "客户代码", "客户号", "customer no", "customer number",
                    "cust id", "account id", "账户编号"),
    "name": ("客户名称", "名称", "公司名称", "customer name", "company", "company name", "姓名"),
    "name_en": ("英文名称", "英文名", "english name", "name (english)"),
    "name_zh": ("中文名称", "中文名", "chinese name", "name (chinese)"),
    "industry": ("行业", "所属行业"),
    "region": ("地区", "区域", "大区"),
    "segment": ("细分", "客户细分", "客户类型", "segment name"),
    "account_manager": ("客户经理", "销售经理", "负责人员", "account owner", "key account manager",
                        "kam"),
    "credit_level": ("信用等级", "信用级别", "credit rating", "credit grade"),
    "size": ("规模", "企业规模", "company size", "employees"),
    "since": ("客户起始日期", "首次合作日期", "建档日期", "开户日期", "customer since",
              "first order date", "start date"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "e-mail", "email address", "mail"),
    "phone": ("电话", "联系电话", "手机", "telephone", "tel", "phone number", "mobile"),
    "date": ("日期", "交易日期", "订单日期", "联系日期", "order date", "transaction date"),
    "amount": ("金额", "销售额", "订单金额", "交易金额", "value", "revenue", "sales"),
    "margin": ("毛利", "毛利额", "gross margin", "gross profit", "profit"),
    "product": ("产品", "产品名称", "item", "sku"),
    "channel": ("渠道", "销售渠道", "联系渠道"),
    "payment_method": ("付款方式", "支付方式", "payment"),
    "staff": ("员工", "联系人员", "经办人", "employee", "contacted by"),
    "subject": ("主题", "事由", "topic"),
    "outcome": ("结果", "联系结果", "result"),
    "opened": ("投诉日期", "受理日期", "开启日期", "open date", "opened on", "created"),
    "closed": ("关闭日期", "解决日期", "结案日期", "close date", "closed on", "resolved"),
    "category": ("类别", "投诉类别", "type"),
    "severity": ("严重程度", "级别", "priority"),
    "status": ("状态", "处理状态"),
    "respondent_id": ("受访者编号", "答卷编号", "问卷编号", "response id", "respondent"),
    "overall": ("总体满意度", "满意度", "overall satisfaction", "csat"),
    "nps": ("推荐意愿", "净推荐值", "likelihood to recommend", "recommend"),
    "ces": ("费力度", "客户费力度", "customer effort", "effort"),
    "perspective": ("层面", "维度", "视角", "bsc perspective"),
    "objective": ("战略目标", "目标名称", "strategic objective"),
    "kpi": ("指标", "关键绩效指标", "指标名称", "kpi name", "measure", "indicator"),
    "weight": ("权重",),
    "target": ("目标值", "目标"),
    "actual": ("实际值", "实际", "actual value"),
    "unit": ("单位",),
    "baseline": ("基准值", "基线", "基期值"),
    "polarity": ("极性", "方向", "指标方向", "direction"),
    "red": ("红灯阈值", "红色阈值", "red threshold"),
    "amber": ("黄灯阈值", "黄色阈值", "amber threshold", "yellow"),
    "owner": ("负责人", "责任人"),
    "drives": ("驱动", "因果关系", "leads to"),
    "tolerance": ("容差", "允许偏差", "tolerance band"),
    "matrix": ("矩阵", "比较准则", "compared for"),
    "element": ("要素", "比较要素", "criterion"),
    "versus": ("相对于", "对比要素", "vs", "compared with"),
    "judgement": ("判断值", "标度", "judgment", "importance"),
    "scope": ("范围", "负责范围"),
    "language": ("语言", "lang"),
    "key": ("参数", "设置项", "键", "setting"),
    "value": ("值", "参数值", "setting value"),
}

# Sheet name -> accepted aliases.
SHEET_ALIASES: dict[str, tuple[str, ...]] = {
    "Customers": ("客户", "客户卡片", "客户档案", "customer"),
    "Transactions": ("交易", "订单", "交易记录", "orders", "sales", "transaction"),
    "Contacts": ("联系记录", "联系", "interactions", "contact log"),
    "Complaints": ("投诉", "投诉记录", "tickets", "complaint"),
    "Survey": ("调查", "问卷", "满意度调查", "surveys", "responses"),
    "Scorecard": ("平衡计分卡", "计分卡", "bsc", "balanced scorecard"),
    "Distribution": ("分发", "收件人", "分发名单", "recipients"),
    "Settings": ("设置", "参数设置", "config", "configuration"),
    "AHP": ("层次分析", "判断矩阵", "pairwise comparisons", "ahp judgements"),
}

# Survey item columns are recognised by prefix: perf_X, imp_X, exp_X, kano_f_X, kano_d_X.
SURVEY_PREFIXES = ("kano_f_", "kano_d_", "perf_", "imp_", "exp_")

# Excel's error values; a cell holding one is missing data, not text.
EXCEL_ERRORS = frozenset({
    "#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!", "#PYTHON!",
    "#N/A!", "#NA",
})

EXCEL_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``required``: the header must be present. ``nullable``: a data row may leave it blank.
    ``choices``: for ``category`` columns, canonical value -> accepted spellings.
    ``strict``: a value that cannot be read is an error; when False it becomes missing and is
    reported as a warning (a mistyped customer e-mail should not stop the tiering).
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    nullable: bool = True
    choices: dict[str, tuple[str, ...]] | None = None
    minimum: float | None = None
    strict: bool = True


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    item_prefixes: tuple[str, ...] = ()  # Survey: item columns by prefix, kept as answers
    period_columns: bool = False  # Scorecard: per-period actual columns ("2026-01", ...)
    unique: tuple[str, ...] = ()  # columns whose values should be unique (reported, not fatal)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


PERSPECTIVES = {
    "financial": ("finance", "财务", "财务层面", "financial perspective"),
    "customer": ("customers", "客户", "客户层面", "customer perspective"),
    "internal process": ("internal", "process", "internal processes", "internal business process",
                         "内部流程", "内部流程层面", "内部业务流程"),
    "learning and growth": ("learning", "learning & growth", "learning growth", "学习与成长",
                            "学习与成长层面", "学习成长"),
}
POLARITIES = {
    "higher": ("higher is better", "up", "max", "越高越好", "正向", "高"),
    "lower": ("lower is better", "down", "min", "越低越好", "反向", "低"),
    "target": ("closer is better", "range", "越接近越好", "适度", "目标值最佳"),
}
LANGUAGES = {
    "en": ("english", "英文", "英语", "en-us", "en-gb"),
    "zh": ("chinese", "中文", "简体中文", "zh-cn", "zh-hans"),
}


SHEETS: dict[str, SheetSpec] = {
    spec.name: spec
    for spec in (
        SheetSpec(
            "Customers",
            (
                Column("customer_id", "id", required=True, nullable=False),
                Column("name", "text", required=True, nullable=False),
                Column("name_en"), Column("name_zh"),  # the name per report language
                Column("industry"), Column("region"), Column("segment"),
                Column("account_manager"), Column("credit_level"), Column("size"),
                Column("since", "date"), Column("email", "email", strict=False),
                Column("phone"),
            ),
            # duplicate ids are reported by addin.workbook.duplicates, with the fuzzy matches
        ),
        SheetSpec(
            "Transactions",
            (
                Column("customer_id", "id", required=True, nullable=False),
                Column("date", "date", required=True, nullable=False),
                Column("amount", "number", required=True, nullable=False),
                Column("margin", "number"), Column("product"), Column("channel"),
                Column("payment_method"),
            ),
        ),
        SheetSpec(
            "Contacts",
            (
                Column("customer_id", "id", required=True, nullable=False),
                Column("date", "date", required=True, nullable=False),
                Column("channel", "text", required=True),
                Column("staff"), Column("subject"), Column("outcome"),
            ),
        ),
        SheetSpec(
            "Complaints",
            (
                Column("customer_id", "id", required=True, nullable=False),
                Column("opened", "date", required=True, nullable=False),
                Column("closed", "date"), Column("category"), Column("severity"),
                Column("status"),
            ),
        ),
        SheetSpec(
            "Survey",
            (
                Column("respondent_id", "id", required=True, nullable=False),
                Column("customer_id", "id"), Column("date", "date"),
                Column("overall", "answer"), Column("nps", "answer"), Column("ces", "answer"),
            ),
            item_prefixes=SURVEY_PREFIXES,
            unique=("respondent_id",),
        ),
        SheetSpec(
            "Scorecard",
            (
                Column("perspective", "category", required=True, nullable=False,
                       choices=PERSPECTIVES),
                Column("objective", "text", required=True, nullable=False),
                Column("kpi", "text", required=True, nullable=False),
                Column("weight", "number", required=True, nullable=False, minimum=0),
                Column("target", "number", required=True, nullable=False),
                Column("actual", "number", required=True),
                Column("unit"), Column("baseline", "number"),
                Column("polarity", "category", choices=POLARITIES),
                Column("red", "number"), Column("amber", "number"), Column("owner"),
                Column("drives"), Column("tolerance", "number", minimum=0),
            ),
            period_columns=True,
        ),
        SheetSpec(
            "Distribution",
            (
                Column("name", "text", required=True, nullable=False),
                Column("email", "email", required=True, nullable=False),
                Column("scope"), Column("language", "category", choices=LANGUAGES),
            ),
        ),
        SheetSpec(
            "Settings",
            (
                Column("key", "text", required=True, nullable=False),
                Column("value", "text", required=True),
            ),
            # a key given twice (also under an alias) is reported by addin.contract.settings
        ),
        SheetSpec(
            "AHP",  # pairwise judgements for the scorecard's weights (addin.scorecard.judgements)
            (
                Column("matrix", "text", required=True, nullable=False),
                Column("element", "text", required=True, nullable=False),
                Column("versus", "text", required=True, nullable=False),
                # "extra": kept as typed, so the routine can read "1/3" and explain a date
                Column("judgement", "extra", required=True, nullable=False),
            ),
        ),
    )
}


def header_key(text: object) -> str:
    """Matching key of a header or name: NFKC, case-folded, without spaces, ``_`` and ``-``."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s_\-\u3000]+", "", folded)


def snake_name(text: object) -> str:
    """Column name for a header the contract does not list: ``"Perf Reliability-1"`` ->
    ``"perf_reliability_1"`` (NFKC, case-folded, runs of spaces and hyphens become ``_``)."""
    folded = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return re.sub(r"[\s\-]+", "_", folded)


def _sheet_index(spec: SheetSpec) -> dict[str, str]:
    """Header key -> canonical column, over the columns of one sheet. Aliases resolve per
    sheet, so ``value`` can mean ``amount`` on Transactions and ``value`` on Settings."""
    index: dict[str, str] = {}
    for col in spec.columns:
        for alias in (col.name, *COLUMN_ALIASES.get(col.name, ())):
            key = header_key(alias)
            if index.get(key, col.name) != col.name:
                raise AssertionError(f"{spec.name}: alias {alias!r} is claimed by two columns")
            index[key] = col.name
    return index


_SHEET_INDEX = {
    header_key(alias): name
    for name, aliases in SHEET_ALIASES.items()
    for alias in (name, *aliases)
}
_COLUMN_INDEX = {name: _sheet_index(spec) for name, spec in SHEETS.items()}


def canonical_column(sheet: str, header: object) -> str | None:
    """The contract's name for a header on ``sheet``, or None if that sheet does not list it."""
    return _COLUMN_INDEX[sheet].get(header_key(header))


def canonical_sheet(name: str) -> str | None:
    """The contract's sheet for a workbook sheet name, or None for a sheet we do not read."""
    return _SHEET_INDEX.get(header_key(name))


def choice_index(choices: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Accepted spelling key -> canonical value, for a category column."""
    return {
        header_key(alias): canonical
        for canonical, aliases in choices.items()
        for alias in (canonical, *aliases)
    }


__all__ = [
    "COLUMN_ALIASES", "SHEET_ALIASES", "SURVEY_PREFIXES", "EXCEL_ERRORS", "EXCEL_MAX_ROWS",
    "Column", "SheetSpec", "SHEETS", "PERSPECTIVES", "POLARITIES", "LANGUAGES",
    "header_key", "snake_name", "canonical_column", "canonical_sheet", "choice_index",
]


def contract_markdown() -> str:
    """The contract as a Markdown table (the README shows it; a test keeps the two equal)."""
    lines = ["| sheet | required columns | optional columns | sheet aliases |",
             "| --- | --- | --- | --- |"]

    def show(col: Column) -> str:
        aliases = [a for a in COLUMN_ALIASES.get(col.name, ()) if not a.isascii()][:2]
        return f"`{col.name}`" + (f" ({'/'.join(aliases)})" if aliases else "")

    for spec in SHEETS.values():
        required = ", ".join(show(c) for c in spec.columns if c.required)
        optional = [show(c) for c in spec.columns if not c.required]
        if spec.item_prefixes:
            optional.append("items by prefix " + ", ".join(f"`{p}X`" for p in
                                                            reversed(spec.item_prefixes)))
        if spec.period_columns:
            optional.append("one actual column per period (`2026-01`, `2026年1月`, a date)")
        aliases = ", ".join(SHEET_ALIASES[spec.name][:3])
        lines.append(f"| {spec.name} | {required} | {', '.join(optional)} | {aliases} |")
    return "\n".join(lines)
