"""PDF key-account reviews and the portfolio summary: plain contexts built from the workbook,
laid out by the jinja2 templates in ``report_templates/``, rendered by WeasyPrint.

:mod:`.i18n` formats numbers, money and dates per language and holds every label;
:mod:`.manifest` is the hand-over from ``crm-addin report`` to ``crm-addin mail``.
"""

from addin.data import data_path

# jinja2 templates and CSS of the reports and the email (email/ for the monthly message).
TEMPLATE_DIR = data_path("report_templates")
