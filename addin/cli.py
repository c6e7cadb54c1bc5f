"""``crm-addin``: the headless twin of every Excel feature.

A thin click layer: each command parses its arguments, calls one workflow of
:mod:`addin.jobs`, and prints or writes the answer. Bad input (``InputError``) prints one line
per problem (capped) and exits 2; anything else is a bug and exits 1 with a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from addin import __version__
from addin.errors import InputError

if TYPE_CHECKING:
    from addin.jobs import ValidationReport
    from addin.workbook import CRMWorkbook

EXIT_BAD_INPUT = 2
DEFAULT_PROBLEM_LIMIT = 25


def _problem_limit() -> int:
    ctx = click.get_current_context(silent=True)
    return (ctx.obj or {}).get("limit", DEFAULT_PROBLEM_LIMIT) if ctx else DEFAULT_PROBLEM_LIMIT


def reports_bad_input(func: Callable) -> Callable:
    """Turn an InputError into readable lines on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            for line in exc.lines(limit=_problem_limit()):
                click.echo(f"error: {line}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


@contextlib.contextmanager
def sheet_progress(label: str, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal (stderr); silent when piped or redirected."""
    stream = sys.stderr
    if not stream.isatty():
        yield lambda _name: None
        return
    with click.progressbar(length=total, label=label, file=stream, show_pos=True,
                           item_show_func=lambda name: name) as bar:
        yield lambda name: bar.update(1, name)


def result_destination(func: Callable) -> Callable:
    """``-o/--out OUT.xlsx`` (a copy; default ``WORKBOOK_results.xlsx``) or ``--in-place``,
    checked before any work is done."""

    @functools.wraps(func)
    def checked(*args, **kwargs):
        if kwargs.get("in_place") and kwargs.get("out") is not None:
            raise click.UsageError("give either --out or --in-place, not both")
        return func(*args, **kwargs)

    decorated = click.option(
        "--in-place", is_flag=True,
        help="Write the result sheet into WORKBOOK itself (.xlsx/.xlsm): atomically, after a "
             "backup beside it, with every other part kept byte for byte.")(checked)
    return click.option(
        "-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
        help="Write the result sheet into this copy (default: WORKBOOK_results.xlsx)."
    )(decorated)


def write_results(workbook: Path, sheets: dict, out: Path | None, in_place: bool) -> Path:
    """Write result sheets where the user asked: a copy (default) or the workbook itself. A
    copy that exists already keeps the sheets of earlier commands, and the user is told."""
    from addin.workbook import default_results_path, earlier_sheets, write_result_sheets

    if in_place and out is not None:
        raise click.UsageError("give either --out or --in-place, not both")
    if in_place:
        return write_result_sheets(workbook, sheets, source=workbook, in_place=True)
    dest = out or default_results_path(workbook)
    kept = earlier_sheets(dest, workbook, sheets)
    write_result_sheets(dest, sheets, source=workbook)
    if kept:
        click.echo(f"{dest.name} keeps the sheets of earlier runs: {', '.join(kept)}")
    return dest


def reading_progress() -> contextlib.AbstractContextManager[Callable[[str], None]]:
    """The progress bar of reading a workbook: one step per sheet of the contract."""
    from addin.contract.schema import SHEETS

    return sheet_progress("Reading sheets", len(SHEETS))


def read_workbook(workbook: Path, **options) -> CRMWorkbook:
    """Load WORKBOOK against the contract with the reading progress bar (``options`` go to
    :func:`~addin.workbook.load_crm_workbook`)."""
    from addin.workbook import load_crm_workbook

    with reading_progress() as progress:
        wb = load_crm_workbook(workbook, progress=progress, **options)
    echo_warnings(wb.warnings, only_sheet=wb.names.get("Settings", "Settings"))
    return wb


def echo_warnings(warnings, only_sheet: str | None = None) -> None:
    """Print warnings on stderr (those of ``only_sheet`` alone, when given: a command shows
    the Settings warnings, such as an unknown key and the known key it is probably meant to
    be; ``validate`` lists every warning)."""
    for problem in warnings:
        if only_sheet is None or problem.sheet == only_sheet:
            click.echo(f"warning: {problem}", err=True)


def write_report(workbook: Path, report, out: Path | None, in_place: bool) -> None:
    """Print a job's summary lines, write its result sheets and say which went where."""
    for line in report.summary_lines():
        click.echo(line)
    sheets = report.result_sheets()
    dest = write_results(workbook, sheets, out, in_place)
    *first, last = list(sheets)
    named = f"{', '.join(first)} and {last} sheets" if first else f"{last} sheet"
    click.echo(f"{named} written to {dest}")


def _setup_logging() -> None:
    # WeasyPrint reports slow paths (missing harfbuzz-subset, unloadable fonts) only as log
    # warnings; make them visible.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    for name in ("weasyprint", "fontTools", "addin.reports", "addin.mail"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.addHandler(handler)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crm-addin")
@click.option("--max-problems", "limit", type=click.IntRange(1), default=DEFAULT_PROBLEM_LIMIT,
              show_default=True, help="How many problems to list before counting the rest.")
@click.pass_context
def cli(ctx: click.Context, limit: int) -> None:
    """CRM reporting add-in: customer tiering, satisfaction surveys, balanced scorecard and
    PDF key-account reviews, for Excel workbooks."""
    ctx.obj = {"limit": limit}
    _setup_logging()


def _print_validation(report: ValidationReport, limit: int) -> None:
    wb = report.workbook
    echo = click.echo
    if wb is not None:
        parts = [f"{name} {len(frame):,} rows" for name, frame in wb.sheets.items()]
        echo(f"{report.path.name}: read {len(wb.sheets)} sheets ({', '.join(parts)})")
    for problem in report.errors[:limit]:
        echo(f"error: {problem}", err=True)
    if len(report.errors) > limit:
        echo(f"error: ... and {len(report.errors) - limit} more problems", err=True)
    for problem in report.warnings[:limit]:
        echo(f"warning: {problem}")
    if len(report.warnings) > limit:
        echo(f"warning: ... and {len(report.warnings) - limit} more warnings")
    dups = report.duplicates
    if dups is None:
        return
    if dups.empty:
        echo("Duplicate customers: none found")
        return
    groups = dups.groupby("group", sort=True)
    echo(f"Duplicate customers: {groups.ngroups} groups, {len(dups)} records")
    for group, records in groups:
        first = records.iloc[0]
        echo(f"  {group}. {first['kind']}: {first['reason']}")
        for _, rec in records.iterrows():
            echo(f"       row {rec['row']:>6}  {rec['customer_id']:<12} {rec['name']}")


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--transactions", type=click.Path(dir_okay=False, path_type=Path),
              help="A .csv or .parquet transaction log that replaces the Transactions sheet.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the findings as a Validation sheet into this copy (.xlsx).")
@click.option("--in-place", is_flag=True,
              help="Write the Validation sheet into WORKBOOK itself (atomically, after a "
                   "backup, every other part kept byte for byte).")
@click.pass_context
@reports_bad_input
def validate(ctx: click.Context, workbook: Path, transactions: Path | None,
             out: Path | None, in_place: bool) -> None:
    """Check WORKBOOK against the CRM workbook contract and list duplicate customers.

    Runs the checks of every later command too (Settings types and ranges, the AHP and
    Scorecard sheets, the survey, the report month, the Distribution's addresses, scopes and
    languages), so a workbook it passes is not refused later. Every problem names the sheet,
    the Excel row and the column; an unknown Settings key is a warning naming the closest
    known key. Exits 0 when the workbook can be used (duplicates and warnings are listed), 2
    when it has errors.
    """
    from addin.jobs import validate_workbook

    with reading_progress() as progress:
        report = validate_workbook(workbook, transactions=transactions, progress=progress)
    _print_validation(report, ctx.obj["limit"])
    if out is not None or in_place:
        dest = write_results(workbook, report.result_sheets(), out, in_place)
        click.echo(f"Validation sheet written to {dest}")
    if not report.ok:
        sys.exit(EXIT_BAD_INPUT)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Folder for the demo workbook and everything made from it.")
@click.pass_context
@reports_bad_input
def demo(ctx: click.Context, out: Path) -> None:
    """Run the monthly job on the embedded demo workbook into OUT.

    Copies the demo workbook into OUT, validates it, tiers the customers, analyses the survey
    (by pyramid tier), evaluates the balanced scorecard, and writes the results workbook beside
    it with Validation, Tiers, Survey Results and Scorecard Results sheets. Then renders one
    pack per executive of the Distribution sheet into OUT/reports/YYYY-MM and writes the
    executives' emails as .eml files into OUT/emails (a dry run: nothing is sent).
    """
    from addin.demo import demo_workbook_path
    from addin.jobs.demo import analyse_month
    from addin.mail import DryRunTransport
    from addin.reports.month import default_month
    from addin.workbook import default_results_path, write_result_sheets

    out.mkdir(parents=True, exist_ok=True)
    source = demo_workbook_path()
    workbook = out / "demo_crm.xlsx"
    shutil.copyfile(source, workbook)
    click.echo(f"Demo workbook: {workbook}")
    with reading_progress() as progress:
        analysis = analyse_month(workbook, progress=progress)  # the job a schedule runs too
    _print_validation(analysis.validation, ctx.obj["limit"])
    wb = analysis.validation.workbook
    for line in analysis.summary_lines():
        click.echo(line)
    sheets = analysis.result_sheets()
    results = write_result_sheets(default_results_path(workbook), sheets, source=workbook)
    click.echo(f"Results workbook: {results} ({', '.join(sheets)})")
    month = default_month(wb.sheets)
    reports = out / "reports" / month
    outcome = run_report(wb, reports, month=month, jobs=os.cpu_count() or 1)
    if outcome.failed or not outcome.manifest.files():
        sys.exit(1)
    emails = out / "emails"
    if run_mail(workbook, reports, month, DryRunTransport(emails), max_size=10.0):
        sys.exit(EXIT_NOT_ALL_SENT)
    click.echo(f"Executives' packs: {reports}" if outcome.manifest.packs
               else f"Reviews and portfolio summaries: {reports}")
    click.echo(f"Emails (dry run, not sent): {emails}")


@cli.group()
def excel() -> None:
    """The Excel side: worksheet functions, the CRM ribbon add-in."""


@excel.command("functions")
def excel_functions() -> None:
    """Print the reference table of the CRM worksheet functions (Markdown, as in the README)."""
    from addin.functions.ranges import reference_markdown

    click.echo(reference_markdown())


@excel.command("build")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the add-in (default: the one the package ships, "
                   "workbooks/CRM.xlam in a clone).")
def excel_build(out: Path | None) -> None:
    """Build the CRM ribbon add-in (CRM.xlam) from the installed xlwings add-in template."""
    from addin.excel.build import build_xlam

    click.echo(f"Add-in written to {build_xlam(out)}")


@excel.command("lite")
@click.option("--wheel-url", metavar="URL",
              help="Install the package from this https:// address (a wheel you host where "
                   "CORS is allowed, e.g. a release asset) instead of PyPI.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write main.py and requirements.txt into this folder instead of printing.")
def excel_lite(wheel_url: str | None, out: Path | None) -> None:
    """Print the main.py and requirements.txt to paste into xlwings Lite's editor: the CRM_
    functions and the CRM scripts in Excel on a Mac, on the web and on Windows."""
    from addin.excel.lite import lite_files

    try:
        files = lite_files(wheel_url)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
            click.echo(f"wrote {out / name}")
        return
    for name, text in files.items():
        click.echo(f"# ---- {name} ----")
        click.echo(text, nl=False)


@excel.command("install")
@click.option("--dry-run", is_flag=True, help="Only say what would be done.")
@click.option("--addin", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The add-in to install (default: the one the package ships, or a fresh build).")
def excel_install(dry_run: bool, addin: Path | None) -> None:
    """Set up this Windows or Mac user: copy CRM.xlam into Excel's startup folder and write the
    add-in's configuration (this Python, UDF MODULES = addin.functions). Elsewhere (Linux),
    only say what it would do on each."""
    import platform

    from addin.excel import install

    system = platform.system()
    if system not in install.MANUAL_STEP:
        click.echo(f"Excel does not run on {system}: a dry run of what install does for this "
                   "user on each system Excel runs on.")
    for target in [system] if system in install.MANUAL_STEP else list(install.MANUAL_STEP):
        plan = install.plan(target, addin=addin)
        if target != system:
            click.echo(f"On {'a Mac' if target == 'Darwin' else target}:")
        elif dry_run:
            click.echo("Dry run:")
        lines = install.install(plan) if target == system and not dry_run else \
            install.describe(plan)
        for line in lines:
            click.echo(f"  {line}")
        click.echo(f"  One manual step: {install.MANUAL_STEP[target]}")


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@result_destination
@click.option("--by", type=click.Choice(["segment", "tier", "region"]),
              help="Also break the headline down by this Customers column (tier needs the "
                   "tiering to have run).")
@reports_bad_input
def survey(workbook: Path, out: Path | None, in_place: bool, by: str | None) -> None:
    """Analyse the satisfaction survey in WORKBOOK: CSAT, NPS with its margin of error, CES,
    a satisfaction index, SERVQUAL gaps, Kano, importance-performance, key drivers,
    reliability, satisfaction indicators and the satisfaction x loyalty matrix.

    Writes a Survey Results sheet into a copy of WORKBOOK. Answers that are blank, text
    ("N/A") or off the scale are left out of every number and listed on the sheet.
    """
    from addin.jobs.survey import READS, survey_workbook
    wb = read_workbook(workbook, sheets=READS)
    write_report(workbook, survey_workbook(wb, by=by), out, in_place)


# --- tier (issue 3: customer tiering) ------------------------------------------------------


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@result_destination
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Tier as of this date (YYYY-MM-DD), ignoring later orders; default: the "
                   "as_of setting, else the last order date.")
@click.option("--transactions", type=click.Path(path_type=Path),
              help="A .csv or .parquet transaction log that replaces the Transactions sheet, "
                   "or a Parquet dataset beyond memory: a folder of .parquet files or a glob "
                   "such as 'logs/*.parquet' (quoted), read with DuckDB "
                   "(pip install 'crm-addin[scale]').")
@reports_bad_input
def tier(workbook: Path, out: Path | None, in_place: bool, as_of,
         transactions: Path | None) -> None:
    """Tier every customer of WORKBOOK: ABC (80/20), key-account pyramid, RFM segment,
    lifetime value, life-cycle stage and relationship level.

    Writes a Tiers sheet (summary, customers and revenue per class, tier, segment and stage,
    the Pareto curve with a chart, one row per customer) into a copy of the workbook.
    """
    from addin.jobs.tier import READS, tier_workbook
    wb = read_workbook(workbook, transactions=transactions, sheets=READS)
    report = tier_workbook(wb, as_of=as_of)
    t = report.tiers
    when = report.as_of.date().isoformat() if report.as_of is not None else "-"
    click.echo(f"{workbook.name}: {len(t):,} customers tiered as of {when}; "
               f"{report.pareto()}")
    if report.result.clv_note:
        click.echo(f"Lifetime value: {report.result.clv_note}")
    tiers = t["pyramid_tier"].value_counts()
    click.echo("Pyramid: " + ", ".join(f"{label} {int(tiers.get(label, 0)):,}"
                                       for label in report.settings.pyramid_labels))
    dest = write_results(workbook, report.result_sheets(), out, in_place)
    click.echo(f"Tiers sheet written to {dest}")


# --- churn and forecast (issue 17: who left, why, win-back, cohort retention, forecast) -------


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@result_destination
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Analyse as of this date (YYYY-MM-DD), ignoring later orders; default: the "
                   "as_of setting, else the last order date.")
@click.option("--by", type=click.Choice(["segment", "region", "tier"]),
              help="Split the retention cohorts by segment, region or pyramid tier.")
@click.option("--transactions", type=click.Path(dir_okay=False, path_type=Path),
              help="A .csv or .parquet transaction log that replaces the Transactions sheet.")
@reports_bad_input
def churn(workbook: Path, out: Path | None, in_place: bool, as_of, by: str | None,
          transactions: Path | None) -> None:
    """Who was lost, when and why in WORKBOOK: acquisition-month cohort retention, the loss
    rule (Settings loss_rule, loss_gap_factor, alive_threshold), churn rates per period and per
    segment, region, tier and account manager with Wilson intervals, lost against retained
    accounts on complaints, surveys, contacts and order trend (tests, odds ratios, logistic
    regression), and the win-back list of key accounts.

    Writes the Retention and Churn sheets into a copy of the workbook.
    """
    from addin.jobs.churn import READS, churn_workbook
    wb = read_workbook(workbook, transactions=transactions, sheets=READS)
    write_report(workbook, churn_workbook(wb, as_of=as_of, by=by), out, in_place)


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@result_destination
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Forecast from this date (YYYY-MM-DD); default: the as_of setting, else "
                   "the last order date.")
@click.option("--months", type=click.IntRange(1, 36),
              help="Forecast horizon in months (default: the forecast_months setting, 12).")
@click.option("--transactions", type=click.Path(dir_okay=False, path_type=Path),
              help="A .csv or .parquet transaction log that replaces the Transactions sheet.")
@reports_bad_input
def forecast(workbook: Path, out: Path | None, in_place: bool, as_of, months: int | None,
             transactions: Path | None) -> None:
    """Forecast the revenue of WORKBOOK's customers: BG/NBD x Gamma-Gamma per customer summed
    by month with a 95 % interval, beside an exponential-smoothing baseline on monthly totals;
    both backtested on the last holdout_months (MAPE, bias); forecast vs the plan (the
    revenue_plan setting, else the Scorecard's revenue target).

    Writes the Forecast sheet into a copy of the workbook.
    """
    from addin.jobs.forecast import READS, forecast_workbook
    wb = read_workbook(workbook, transactions=transactions, sheets=READS)
    write_report(workbook, forecast_workbook(wb, as_of=as_of, months=months), out, in_place)


# --- scorecard (issue 5: balanced-scorecard evaluation) ---------------------------------------


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@result_destination
@click.option("--period", metavar="YYYY-MM",
              help="Score this month's column instead of the actual column.")
@reports_bad_input
def scorecard(workbook: Path, out: Path | None, in_place: bool, period: str | None) -> None:
    """Evaluate the balanced scorecard in WORKBOOK: each KPI's progress and red/amber/green
    status, the roll-up to objectives, perspectives and an overall score (0-100), AHP weights
    from the AHP sheet or Settings with their consistency, the trend with a forecast to the
    (fiscal) year's end, and the strategy map of the drives column.

    Writes a Scorecard Results sheet into a copy of WORKBOOK (or into it, with --in-place).
    """
    from addin.jobs.scorecard import READS, scorecard_workbook
    wb = read_workbook(workbook, sheets=READS)
    write_report(workbook, scorecard_workbook(wb, period=period), out, in_place)

EXIT_NOT_ALL_SENT = 3


def mail_options(func: Callable) -> Callable:
    """The sending options of ``mail`` (and of ``monthly``, which renders and then mails)."""
    options = [
        click.option("--transport", type=click.Choice(["smtp", "graph", "outlook", "eml"]),
                     help="How to send (default: Settings mail_transport, else smtp when a "
                          "server is named, eml with --dry-run)."),
        click.option("--smtp", "smtp_address", metavar="HOST:PORT",
                     help="The SMTP server (default: Settings smtp_server)."),
        click.option("--starttls", is_flag=True, default=None,
                     help="Upgrade the connection with STARTTLS."),
        click.option("--auth", type=click.Choice(["password", "xoauth2"]),
                     help="SMTP login: a password (--user, --password-env) or an OAuth2 token "
                          "(XOAUTH2, from the Settings ms_* or google_key_file keys)."),
        click.option("--user", help="Log in as this user (password: needs --password-env)."),
        click.option("--password-env", metavar="VAR",
                     help="Name of the environment variable holding the password."),
        click.option("--dry-run", type=click.Path(file_okay=False, path_type=Path),
                     help="Write each message as an .eml file into this folder instead of "
                          "sending."),
        click.option("--max-size", type=click.FloatRange(min=0.1), default=10.0,
                     show_default=True, metavar="MB",
                     help="Split messages that would be larger (1 MB = 1,000,000 bytes)."),
        click.option("--resend-in-doubt", is_flag=True,
                     help="Send again the messages the send log lists as in doubt (the "
                          "server may have them), with their logged Message-ID."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def mail_transport(workbook: Path, *, transport: str | None, smtp_address: str | None,
                   starttls: bool | None, auth: str | None, user: str | None,
                   password_env: str | None, dry_run: Path | None, **_ignored):
    """The transport the sending options and WORKBOOK's Settings ask for, checked before
    anything is rendered or sent (:func:`addin.mail.choose_transport`); an OAuth2 token is
    fetched now, so missing consent or a wrong secret stops here, in one line, exit 2."""
    from addin.mail import MailSetupError, choose_transport
    from addin.workbook import read_sheet

    if auth != "xoauth2" and (user is None) != (password_env is None):
        raise click.UsageError("--user and --password-env go together")
    # --smtp on the command line brings its own --starttls; a server from Settings brings
    # Settings smtp_starttls unless --starttls says otherwise
    starttls = True if starttls else (False if smtp_address else None)
    settings = read_sheet(workbook, "Settings")
    try:
        chosen = choose_transport(settings, transport=transport, auth=auth,
                                  smtp_address=smtp_address, starttls=starttls, user=user,
                                  password_env=password_env, dry_run=dry_run)
        chosen.check()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except MailSetupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    return chosen


def run_mail(workbook: Path, reports: Path, month: str, transport, max_size: float,
             resend_in_doubt: bool = False) -> int:
    """Mail the month through ``transport``, print a line per recipient; returns how many
    recipients failed or are in doubt (and says so on stderr). Another send of the month
    running, or a transport that cannot start, is one line on stderr and counts as all
    failed."""
    from addin.mail import MailSetupError, SendBusy, send_monthly_mail

    try:
        outcomes = send_monthly_mail(workbook, reports, month, transport,
                                     max_bytes=int(max_size * 1_000_000),
                                     resend_in_doubt=resend_in_doubt,
                                     on_outcome=lambda o: click.echo(o.line()))
    except (SendBusy, MailSetupError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    failed = sum(o.status == "failed" for o in outcomes)
    doubt = sum(o.status == "in doubt" for o in outcomes)
    if failed:
        click.echo(f"{failed} of {len(outcomes)} recipients failed", err=True)
    if doubt:
        click.echo(f"{doubt} of {len(outcomes)} recipients have a message in doubt: not "
                   "re-sent; see above, then use --resend-in-doubt if it did not arrive",
                   err=True)
    return failed + doubt


@cli.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reports", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder crm-addin report wrote (PDFs and manifest.json).")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to send.")
@mail_options
@reports_bad_input
def mail(workbook: Path, reports: Path, month: str, **options) -> None:
    """Email the month's reports: one message per executive of WORKBOOK's Distribution sheet,
    with the portfolio summary and the reviews of the key accounts in their scope.

    Prints one line per recipient (sent, skipped because already sent, failed and why).
    A re-run of a month sends only what the send log (REPORTS/mail_log.jsonl) lacks; a message
    that may have reached the server without its answer reaching us is listed as in doubt and
    sent again only with --resend-in-doubt. One send of a month runs at a time. Exits 3 when
    any recipient failed or is in doubt (or another send of the month is running), 2 on bad
    input.
    """
    from addin.contract.settings import settings_warnings
    from addin.reports.manifest import check_month
    from addin.workbook import read_sheet_checked

    check_month(month)
    transport = mail_transport(workbook, **options)
    try:
        echo_warnings(settings_warnings(*read_sheet_checked(workbook, "Settings")[:1]))
    except InputError:
        pass  # run_mail reports a missing or unreadable Settings sheet with the rest
    if run_mail(workbook, reports, month, transport, options["max_size"],
                options["resend_in_doubt"]):
        sys.exit(EXIT_NOT_ALL_SENT)

# --- report and monthly (issue 6: PDF reviews, the portfolio summary, the monthly email) ------


def jobs_option(func: Callable) -> Callable:
    return click.option("--jobs", type=click.IntRange(1), default=lambda: os.cpu_count() or 1,
                        show_default="the number of CPUs",
                        help="Processes that render in parallel.")(func)


def attachments_option(func: Callable) -> Callable:
    return click.option("--attachments", type=click.Choice(["pack", "reviews"]),
                        default="pack", show_default=True,
                        help="With a Distribution sheet: one pack PDF per executive (cover, "
                             "contents, summary, a review per account), or the separate "
                             "summary and review PDFs. Either way only what someone reads "
                             "is rendered.")(func)


def run_report(wb: CRMWorkbook, out: Path, *, month: str | None,
               languages: tuple[str, ...] = (), accounts: str | None = None, jobs: int = 1,
               pdf_variant: str | None = None, attachments: str = "pack"):
    """Render the month's reviews and summary of ``wb`` into OUT with a progress bar, print
    each review that failed (it is skipped) and one line of what was written; returns the
    :class:`~addin.jobs.report.ReportOutcome`."""
    import time

    from addin.jobs.report import report_workbook

    start = time.perf_counter()
    ids = [a.strip() for a in accounts.split(",") if a.strip()] if accounts else None
    with contextlib.ExitStack() as stack:
        bar: list[Callable[[str], None]] = []

        def ready(total: int) -> None:
            bar.append(stack.enter_context(sheet_progress("Rendering PDFs", total)))

        outcome = report_workbook(wb, out, month=month, languages=languages or None,
                                  accounts=ids, jobs=jobs, pdf_variant=pdf_variant,
                                  on_ready=ready, progress=lambda label: bar[0](label),
                                  attachments=attachments)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    for label, error in outcome.failed.items():
        click.echo(f"error: {label}: {error}; skipped", err=True)
    manifest = outcome.manifest
    took = (f"in {out} ({time.perf_counter() - start:.1f} s, {jobs} process"
            f"{'es' * (jobs != 1)})")
    if manifest.packs:
        click.echo(f"{manifest.month}: {len(manifest.packs)} packs reviewing "
                   f"{len(outcome.rendered)} (account, language) pairs "
                   f"({', '.join(manifest.languages)}) {took}")
        return outcome
    reviews, accounts = sum(len(a.files) for a in manifest.accounts), len(manifest.accounts)
    click.echo(f"{manifest.month}: {reviews} review{'s' * (reviews != 1)} of {accounts} "
               f"account{'s' * (accounts != 1)} and {len(manifest.summary)} portfolio "
               f"summar{'ies' if len(manifest.summary) != 1 else 'y'} "
               f"({', '.join(manifest.languages)}) {took}")
    return outcome


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDFs and manifest.json (created if missing).")
@click.option("--month", metavar="YYYY-MM",
              help="The month to report; default: the Settings as_of month, else the month "
                   "of the last order.")
@click.option("--lang", "languages", multiple=True, type=click.Choice(["en", "zh"]),
              help="Language of the PDFs; repeat for both. Default: every language of the "
                   "Distribution sheet.")
@click.option("--accounts", metavar="IDS",
              help="Only these customer ids, separated by commas; default: every key account "
                   "(the Settings key_account_tiers, VIP and Key by default).")
@jobs_option
@click.option("--pdf-variant", type=click.Choice(["pdf/a-3b"]),
              help="Write PDF/A-3b files (archival; not validated here).")
@attachments_option
@reports_bad_input
def report(workbook: Path, out: Path, month: str | None, languages: tuple[str, ...],
           accounts: str | None, jobs: int, pdf_variant: str | None,
           attachments: str) -> None:
    """Render the month's PDFs of WORKBOOK into OUT, with manifest.json for `crm-addin mail`:
    with a Distribution sheet, what its executives read (one pack each: cover, contents,
    summary, a review per account of their scope; or, with --attachments reviews, the
    separate summary and reviews of the (account, language) pairs someone reads); without
    one, or with --lang, a review per key account and language and the portfolio summary.

    A PDF that fails to render, or takes longer than the Settings key review_time_limit (60 s
    by default; a pack: that limit times its reviews), is reported and skipped; the others are
    written, and the command exits 3. A re-run into the same OUT reuses every PDF whose inputs
    did not change. File names are made safe from any account name.
    """
    outcome = run_report(read_workbook(workbook), out, month=month, languages=languages,
                         accounts=accounts, jobs=jobs, pdf_variant=pdf_variant,
                         attachments=attachments)
    if outcome.manifest.files():
        click.echo(f"Manifest: {out / 'manifest.json'}")
    if outcome.failed:  # what rendered is there; the run is not complete
        sys.exit(EXIT_NOT_ALL_SENT)
    if not outcome.manifest.files():
        sys.exit(1)


@cli.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to report and send.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the month's PDFs, manifest.json and the send log; default: "
                   "reports/YYYY-MM beside WORKBOOK.")
@jobs_option
@attachments_option
@mail_options
@reports_bad_input
def monthly(workbook: Path, month: str, out: Path | None, jobs: int, attachments: str,
            **options) -> None:
    """The monthly job: `report` (one pack per executive of the Distribution sheet, or with
    --attachments reviews the separate PDFs they read) and then `mail` to each executive.

    The sending options are checked before anything is rendered. The send log in OUT makes a
    re-run of the month send nothing twice, so after any failure run the same command again.
    Exits 3 when a review failed to render or a recipient failed or is in doubt (what did
    render still goes out; a message in doubt goes again only with --resend-in-doubt), 2 on bad
    input.
    """
    from addin.reports.manifest import check_month

    check_month(month)
    transport = mail_transport(workbook, **options)
    out = out if out is not None else workbook.parent / "reports" / month
    outcome = run_report(read_workbook(workbook), out, month=month, jobs=jobs,
                         attachments=attachments)
    if not outcome.manifest.files():
        transport.close()
        sys.exit(1)
    failed = run_mail(workbook, out, month, transport, options["max_size"],
                      options["resend_in_doubt"])
    if failed or outcome.failed:
        sys.exit(EXIT_NOT_ALL_SENT)


def main() -> None:
    cli(prog_name="crm-addin")


if __name__ == "__main__":
    main()
