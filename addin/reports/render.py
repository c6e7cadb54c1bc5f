"""Contexts to PDFs: one jinja2 Environment, WeasyPrint with a locked-down URL fetcher, and a
process pool for a month's batch.

* :class:`Renderer` holds what is worth reusing across reviews (DESIGN.md field notes): the
  jinja2 Environment (autoescape on for every template, undefined names are errors, the i18n
  filters), WeasyPrint's font configuration and the parsed stylesheet. One per process.
* :class:`TemplateFetcher` is the only way WeasyPrint reads anything: ``data:`` URIs (the
  charts) and files under ``report_templates/``. Every other URL (``file:///etc/passwd``, a
  file beside the templates, ``http://``) is refused, recorded in ``refused`` and logged on
  the ``addin.reports`` logger, so a name like ``<img src="file:///etc/passwd">`` in the data
  is text on the page (autoescape) and could not read the file even if it were markup.
* :func:`render_batch` renders many reports into a folder, in processes (WeasyPrint gains
  nothing from threads); each worker imports WeasyPrint and matplotlib once and renders a
  warm-up page when it starts. A report that fails is reported with its error and skipped;
  the others still render.

PDF metadata comes from the HTML head (title, author = the company, subject, keywords,
creation date); the outline (bookmarks) from ``bookmark-level`` on the section headings in
``report.css``. ``pdf_variant="pdf/a-3b"`` asks WeasyPrint for PDF/A-3b output (no validator
is available here, so conformance is not claimed).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import logging
import mimetypes
import os
import re
import signal
import tempfile
import threading
import time
import traceback
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from addin.contract.limits import HEADER_CHARS, ellipsis
from addin.reports import TEMPLATE_DIR, charts, i18n
from addin.reports import churn as _churn  # noqa: F401  (registers the churn labels)
from addin.reports import labels as _labels  # noqa: F401  (registers the report labels)
from addin.reports.actions import advice, describe_action
from addin.reports.pack import anchor

LOG = logging.getLogger("addin.reports")
TEMPLATES_DIR = TEMPLATE_DIR  # the one place: addin.reports.TEMPLATE_DIR
PDF_VARIANTS = ("pdf/a-3b",)
_KEY = re.compile(r"[^0-9a-z]+")
_UNSAFE = re.compile(r"[^\w-]+")


def as_key(value: Any) -> str:
    """A routine's value as a label key part: ``"Need attention"`` -> ``need_attention``."""
    return _KEY.sub("_", str(value).casefold()).strip("_")


# --------------------------------------------------------------------------------------------
# the URL fetcher


class TemplateFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and regular files under ``root``
    (symbolic links resolved first), and refuses everything else: the refused URL is kept in
    ``refused`` and logged as a warning on the ``addin.reports`` logger."""

    def __init__(self, root: Path = TEMPLATES_DIR, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root).resolve()
        self.refused: list[str] = []

    def _template_file(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        if path.is_relative_to(self.root) and path.is_file():
            return path
        return None

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = self._template_file(url)
        if path is not None:
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(),
                                      headers={"Content-Type": mime})
        self.refused.append(url)
        LOG.warning("refused to read %s: reports may only use files under %s and data: URIs",
                    url, self.root)
        raise ValueError(f"refused: {url} is not a report template file or a data: URI")


def period_text(value: Any, lang: str) -> str:
    """A period as people write it: ``2026Q4`` -> ``Q4 2026`` / ``2026年第4季度``, ``2026-10``
    -> ``October 2026`` / ``2026年10月``; anything else as it is."""
    text = str(value)
    quarter = re.fullmatch(r"(\d{4})Q([1-4])", text)
    if quarter:
        year, q = quarter.groups()
        return f"{year}年第{q}季度" if lang == "zh" else f"Q{q} {year}"
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        return i18n.month(text, lang)
    return text


EMAIL_PIECE_CHARS = 20  # a part of an address longer than this may also break after "-"


def email_breaks(address: Any) -> Markup:
    """An email address that a line may break only after its ``@`` or a dot: each piece in a
    no-wrap span, a ``<wbr>`` after each separator (escaped: the address is workbook data).

    A piece longer than ``EMAIL_PIECE_CHARS`` (``zhuoyue-xinnengyuan-shenzhen.``, 29
    characters) is wider than a review's card column and ran over the next column; it may
    also break after its hyphens, the hyphen kept at the end of the line."""
    pieces = []
    for piece in re.split(r"(?<=[@.])", str(address)):
        if len(piece) > EMAIL_PIECE_CHARS:
            pieces += re.split(r"(?<=-)", piece)
        else:
            pieces.append(piece)
    return Markup("<wbr>").join(Markup('<span class="email-piece">{}</span>').format(p)
                                for p in pieces if p)


# --------------------------------------------------------------------------------------------
# one renderer per process


def short_text(value: Any, limit: int = HEADER_CHARS) -> str:
    """``value`` (text, or markup such as a rendered block) cut to ``limit`` columns with an
    ellipsis, as plain text (autoescape escapes it again): the running header lays out one
    short line, never a full title."""
    text = value.unescape() if isinstance(value, Markup) else str(value)
    return ellipsis(" ".join(text.split()), limit)


def make_environment(templates: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """The jinja2 Environment of the reports: autoescape for every template, undefined names
    raise, the i18n filters and ``t()``, and ``key``, ``action_text()``, ``action_tag()``,
    ``advice()``."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    i18n.install(env)
    env.filters["key"] = as_key
    env.filters["anchor"] = anchor
    env.filters["short"] = short_text

    @jinja2.pass_context
    def word(ctx, domain, value):
        """A workbook value in the report's language (``labels.term``: tier ``Key`` ->
        重点客户); a value outside the vocabulary as written; a missing one as a dash."""
        return _labels.term(domain, value, ctx.get("lang", i18n.DEFAULT_LANGUAGE))

    @jinja2.pass_context
    def action_text(ctx, action):
        return describe_action(action, ctx.get("lang", i18n.DEFAULT_LANGUAGE),
                               currency=ctx.get("currency") or i18n.DEFAULT_CURRENCY)

    @jinja2.pass_context
    def action_tag(ctx, action):
        return describe_action(action, ctx.get("lang", i18n.DEFAULT_LANGUAGE), short=True,
                               currency=ctx.get("currency") or i18n.DEFAULT_CURRENCY)

    @jinja2.pass_context
    def advice_text(ctx, key):
        return advice(key, ctx.get("lang", i18n.DEFAULT_LANGUAGE))

    @jinja2.pass_context
    def term_filter(ctx, value, domain):
        return _labels.term(domain, value, ctx.get("lang", i18n.DEFAULT_LANGUAGE))

    env.filters["term"] = term_filter
    env.filters["email_breaks"] = email_breaks

    @jinja2.pass_context
    def period_filter(ctx, value):
        return period_text(value, ctx.get("lang", i18n.DEFAULT_LANGUAGE))

    env.filters["period"] = period_filter
    env.globals.update(action_text=action_text, action_tag=action_tag, advice=advice_text,
                       word=word)
    return env


class Renderer:
    """Renders review and summary contexts to PDF bytes, reusing the jinja2 Environment,
    the font configuration and the parsed stylesheet across documents."""

    def __init__(self, templates: Path = TEMPLATES_DIR,
                 fetcher: TemplateFetcher | None = None) -> None:
        self.templates = Path(templates).resolve()
        self.env = make_environment(self.templates)
        self.fetcher = fetcher if fetcher is not None else TemplateFetcher(self.templates)
        self.font_config = FontConfiguration()
        self.base_url = self.templates.as_uri() + "/"
        self.css = CSS(filename=str(self.templates / "report.css"),
                       font_config=self.font_config, url_fetcher=self.fetcher)
        self.anchor_pages: dict[str, int] = {}  # of the last pack: HTML id -> first page

    def html(self, context: dict[str, Any]) -> str:
        """The HTML of a review or summary context (``context["kind"]`` names the template);
        ``created`` defaults to now, in UTC."""
        created = context.get("created") or dt.datetime.now(dt.UTC).replace(
            microsecond=0).isoformat().replace("+00:00", "Z")
        template = self.env.get_template(f"{context['kind']}.html")
        return i18n.close_cjk_gaps(template.render({**context, "created": created}),
                                   context.get("lang", i18n.DEFAULT_LANGUAGE))

    def pdf(self, html: str, pdf_variant: str | None = None) -> bytes:
        """HTML to PDF bytes with the report stylesheet and the locked-down fetcher."""
        if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
            raise ValueError(f"pdf variant {pdf_variant!r}: use one of {PDF_VARIANTS}")
        document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        return document.write_pdf(stylesheets=[self.css], font_config=self.font_config,
                                  pdf_variant=pdf_variant)

    def review(self, context: dict[str, Any], pdf_variant: str | None = None) -> bytes:
        """One key-account review: its charts, then the PDF."""
        return self.pdf(self.html({**context, "charts": charts.review_charts(context)}),
                        pdf_variant)

    def summary(self, context: dict[str, Any], pdf_variant: str | None = None) -> bytes:
        """The portfolio summary: its charts, then the PDF."""
        return self.pdf(self.html({**context, "charts": charts.summary_charts(context)}),
                        pdf_variant)

    def part(self, context: dict[str, Any]) -> Markup:
        """The body of a review or summary, without its page furniture, for a pack (the
        HTML between base.html's ``<!--part-->`` markers; autoescaped when rendered)."""
        charts_of = charts.review_charts if context["kind"] == "review" \
            else charts.summary_charts
        html = self.html({**context, "charts": charts_of(context)})
        start, end = html.index("<!--part-->"), html.rindex("<!--/part-->")
        return Markup(html[start + len("<!--part-->"):end])

    def pack(self, context: dict[str, Any], pdf_variant: str | None = None) -> bytes:
        """One executive's pack as one WeasyPrint document: the summary and each review
        rendered as parts, then laid out together (bookmarks, links, page numbers)."""
        parts = [{"anchor": anchor(r["account"]["customer_id"]), "html": self.part(r)}
                 for r in context["reviews"]]
        html = self.html({**context, "summary_html": self.part(context["summary"]),
                          "review_parts": parts})
        if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
            raise ValueError(f"pdf variant {pdf_variant!r}: use one of {PDF_VARIANTS}")
        document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
            stylesheets=[self.css], font_config=self.font_config)
        # where each review starts, for the email ("page 12") and the manifest
        # (an element spanning pages is anchored on each of them: keep the first)
        self.anchor_pages = {}
        for number, page in enumerate(document.pages, 1):
            for name in page.anchors:
                self.anchor_pages.setdefault(name, number)
        return document.write_pdf(pdf_variant=pdf_variant)

    def render(self, context: dict[str, Any], pdf_variant: str | None = None) -> bytes:
        if context["kind"] == "pack":
            return self.pack(context, pdf_variant)
        if context["kind"] == "review":
            return self.review(context, pdf_variant)
        if context["kind"] == "summary":
            return self.summary(context, pdf_variant)
        raise ValueError(f"unknown report kind {context['kind']!r}")

    def warm_up(self) -> None:
        """Load the fonts (Latin and CJK) and the templates once, so the first real report
        does not pay for them."""
        self.env.get_template("review.html")
        self.env.get_template("summary.html")
        self.pdf("<html lang='zh'><body><h1>Warm-up 预热</h1><p>0123 ¥ 中文</p></body></html>")


# --------------------------------------------------------------------------------------------
# file names


def safe_name(text: Any, limit: int = 60) -> str:
    """A file-name part from any text: NFKC-folded, letters (any script), digits, ``_`` and
    ``-`` kept, everything else (slashes, dots, spaces, quotes, control characters) made
    ``-``, at most ``limit`` characters; ``x`` when nothing is left. Safe on Windows, macOS
    and Linux, never a path, never hidden."""
    folded = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    cleaned = _UNSAFE.sub("-", folded).strip("-_")
    cleaned = re.sub(r"-{2,}", "-", cleaned)[:limit].strip("-_")
    return cleaned or "x"


def review_file_name(month: str, customer_id: Any, name: Any, lang: str) -> str:
    return f"{month}_{safe_name(customer_id, 40)}_{safe_name(name)}_{lang}.pdf"


def summary_file_name(month: str, lang: str) -> str:
    return f"{month}_portfolio-summary_{lang}.pdf"


# --------------------------------------------------------------------------------------------
# batches


@dataclass(frozen=True)
class RenderTask:
    """One PDF to write: ``file`` (a plain name inside the output folder) from ``context``;
    ``label`` names it in progress and error messages; ``weight`` is how many reports it
    lays out (a pack: its summary and reviews), which scales its time limit."""

    file: str
    context: dict[str, Any]
    label: str
    weight: int = 1


@dataclass
class BatchResult:
    """Which files were written, which tasks failed (label -> error) and how long each
    render took in its worker (wall seconds, and CPU seconds: on a busy machine the two
    differ by the time other work held the CPU)."""

    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # the worker's CPU time
    pages: dict[str, dict[str, int]] = field(default_factory=dict)  # pack: id -> page


_WORKER: Renderer | None = None


def _renderer() -> Renderer:
    global _WORKER
    if _WORKER is None:
        _WORKER = Renderer()
        _WORKER.warm_up()
    return _WORKER


def _init_worker(log_level: int) -> None:
    logging.getLogger("weasyprint").setLevel(log_level)
    _renderer()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so a PDF is complete or absent; with the
    permissions a plain ``open`` would give (mkstemp's are owner-only)."""
    fd, tmp = tempfile.mkstemp(prefix=".partial.", suffix=".pdf", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RenderTimeout(Exception):
    """A report took longer than its time limit and was stopped."""


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Raise :class:`RenderTimeout` in this thread after ``seconds`` (a SIGALRM timer, so it
    stops a render stuck in Python code, as WeasyPrint's layout is). Without a limit, off the
    main thread or where SIGALRM does not exist (Windows), nothing is timed."""
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def expired(_signum, _frame):
        raise RenderTimeout(f"took longer than {seconds:g} s (the Settings key "
                            "review_time_limit) and was stopped")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_task(task: RenderTask, folder: str, pdf_variant: str | None,
              seconds: float | None = None
              ) -> tuple[str, str | None, float, float, dict[str, int]]:
    start, cpu = time.perf_counter(), time.process_time()
    pages: dict[str, int] = {}
    try:
        renderer = _renderer()
        renderer.anchor_pages = {}
        # a pack lays out many reviews: its limit is the review limit times its parts
        with time_limit(seconds * task.weight if seconds else seconds):
            data = renderer.render(task.context, pdf_variant)
        pages = dict(renderer.anchor_pages)
        _write_atomic(Path(folder) / task.file, data)
    except RenderTimeout as exc:
        error = str(exc)
    except Exception as exc:  # one bad report must not stop the batch
        LOG.debug("render of %s failed:\n%s", task.label, traceback.format_exc())
        error = f"{type(exc).__name__}: {exc}"
    else:
        error = None
    return task.label, error, time.perf_counter() - start, time.process_time() - cpu, pages


def render_batch(tasks: Sequence[RenderTask], folder: str | Path, jobs: int = 1,
                 progress: Callable[[str], None] | None = None,
                 pdf_variant: str | None = None, seconds: float | None = None) -> BatchResult:
    """Render every task into ``folder`` with ``jobs`` processes (1: in this process).
    A task that fails, or takes longer than ``seconds``, is recorded in ``failed`` with its
    error; the rest still render."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    by_label = {t.label: t for t in tasks}

    def record(label: str, error: str | None, seconds: float, cpu: float,
               pages: dict[str, int] | None = None) -> None:
        if error is None:
            result.written.append(by_label[label].file)
            result.pages[label] = pages or {}
            result.seconds[label] = seconds
            result.cpu_seconds[label] = cpu
        else:
            result.failed[label] = error
        if progress:
            progress(label)

    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            record(*_run_task(task, str(folder), pdf_variant, seconds))
        return result
    level = logging.getLogger("weasyprint").level
    with cf.ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), initializer=_init_worker,
                                initargs=(level,)) as pool:
        futures = {pool.submit(_run_task, task, str(folder), pdf_variant, seconds): task.label
                   for task in tasks}
        for future in cf.as_completed(futures):
            label = futures[future]
            try:
                record(*future.result())
            except Exception as exc:  # a worker that died (out of memory, killed)
                record(label, f"{type(exc).__name__}: {exc}", 0.0, 0.0)
    return result


__all__ = ["TEMPLATES_DIR", "PDF_VARIANTS", "TemplateFetcher", "Renderer", "RenderTask",
           "BatchResult", "make_environment", "render_batch", "safe_name", "review_file_name",
           "summary_file_name", "as_key"]

