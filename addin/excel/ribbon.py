"""The CRM ribbon tab: the one table of its buttons, and the XML and VBA generated from it.

Each button's ``tag`` is the name of a Python macro in :mod:`addin.excel.macros`; one VBA callback,
``CRMAction``, runs whichever macro the pressed button's tag names. (The xlwings quickstart
template's ``RunMain`` runs ``<addin>.main()`` whatever was pressed, so it cannot serve
several buttons.) Tags are checked to be Python identifiers and listed in the VBA as the only
accepted values, so no text reaches ``RunPython`` that this table did not put there.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("templates")
CALLBACK_MODULE = "CRMRibbon"  # the template's ribbon module RibbonMyAddin, renamed
CALLBACK = f"{CALLBACK_MODULE}.CRMAction"


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    macro: str  # the function in addin.excel.macros; the button's tag
    image: str  # an Office icon (imageMso)
    tip: str


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    buttons: tuple[Button, ...]


GROUPS: tuple[Group, ...] = (
    Group("crmCustomers", "Customers", (
        Button("crmTier", "Tier", "tier", "ChartTypeBarInsertGallery",
               "ABC, key-account pyramid, RFM, lifetime value and life-cycle stage of every "
               "customer, on a Tiers sheet."),
        Button("crmValidate", "Validate", "validate", "AcceptInvitation",
               "Check every sheet against the CRM workbook contract; problems are listed on a "
               "Validation sheet with links to the cells."),
    )),
    Group("crmChurn", "Churn", (
        Button("crmChurnAnalysis", "Churn", "churn", "ChartTypeLineInsertGallery",
               "Cohort retention, who was lost and when, why they left, and the key accounts "
               "to win back, on Retention and Churn sheets."),
        Button("crmForecast", "Forecast", "forecast", "ChartTrendline",
               "Revenue forecast of the next months (BG/NBD x Gamma-Gamma and exponential "
               "smoothing, both backtested) against the plan, on a Forecast sheet."),
    )),
    Group("crmSatisfaction", "Satisfaction", (
        Button("crmSurvey", "Analyse survey", "survey", "ChartTypeOtherInsertGallery",
               "CSAT, NPS with its margin of error, expectation gaps, Kano, importance-"
               "performance, drivers and reliability, on a Survey Results sheet."),
    )),
    Group("crmScorecard", "Scorecard", (
        Button("crmEvaluate", "Evaluate", "scorecard", "ConditionalFormattingMenu",
               "Balanced-scorecard evaluation: progress, red/amber/green status, roll-up, "
               "AHP weights and trend, on a Scorecard Results sheet."),
    )),
    Group("crmReports", "Reports", (
        Button("crmReviews", "Key-account reviews", "key_account_reviews", "FilePrintPreview",
               "PDF reviews of every key account and the portfolio summary, in a folder beside "
               "the workbook."),
        Button("crmEmail", "Email executives", "email_executives", "FileSendAsAttachment",
               "Email each executive the reviews in their scope, after confirming who gets "
               "what."),
    )),
    Group("crmHelp", "Help", (
        Button("crmFunctions", "Function reference", "show_function_reference", "FunctionWizard",
               "A sheet listing every CRM worksheet function and its arguments."),
        Button("crmAbout", "About", "about", "Info",
               "Version of the CRM add-in, Python and xlwings."),
    )),
)


def buttons() -> list[Button]:
    return [b for g in GROUPS for b in g.buttons]


def check() -> None:
    """Every tag a public Python name (an ASCII identifier, not a keyword: it becomes
    ``crm.<tag>()`` in Python and a string in cp1252 VBA), ids unique: checked before anything
    is generated."""
    seen: set[str] = set()
    for item in [*GROUPS, *buttons()]:
        if item.id in seen:
            raise ValueError(f"ribbon id {item.id!r} is used twice")
        seen.add(item.id)
    for b in buttons():
        name = b.macro
        if (not name.isidentifier() or not name.isascii() or keyword.iskeyword(name)
                or name.startswith("_")):
            raise ValueError(f"button {b.id!r}: tag {b.macro!r} is not a public Python name")


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def custom_ui_xml() -> str:
    check()
    return _env().get_template("customUI.xml").render(groups=GROUPS, callback=CALLBACK)


def callback_module() -> str:
    """The VBA source of the ribbon module (plain text: VBA is not HTML, and every value in it
    is a checked identifier from :data:`GROUPS`)."""
    check()
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    return env.get_template("CRMRibbon.bas").render(module=CALLBACK_MODULE,
                                                        buttons=buttons())


__all__ = ["Button", "Group", "GROUPS", "CALLBACK", "buttons", "check", "custom_ui_xml",
           "callback_module"]
