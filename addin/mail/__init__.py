"""The monthly email: one message per executive of the Distribution sheet, with the portfolio
summary and the key-account reviews of their scope attached, sent over SMTP (or written as
``.eml`` files in a dry run).

Reads what ``crm-addin report`` left in the reports folder (``manifest.json``, see
:mod:`addin.reports.manifest`) and the workbook's Distribution and Settings sheets. Which reviews
each executive gets is their scope (:mod:`addin.mail.scope`); every message carries the portfolio
summary. Delivery is a transport's (:mod:`addin.mail.transport`: the interface and the outcomes
every transport answers with; SMTP with a password or XOAUTH2, Microsoft Graph, Outlook,
``.eml``).

**Send log**: ``mail_log.jsonl`` in the reports folder, one JSON line per change of a message's
state (``sending`` before the transport is called, ``sent`` after the server accepted it),
keyed by month, recipient address and a hash of the message's content (subject, bodies,
attachment names, not the PDF bytes, which change with every render); a re-run of the month
skips each message already sent, lists those in doubt (:mod:`~addin.mail.sendlog`), and sends
what is missing or changed. One send of a month runs at a time (:mod:`~addin.mail.lock`).
**Size**: a message whose encoded size would pass the limit (10 MB = 10,000,000 bytes by
default) is split into numbered parts, the summary in part 1, each part under the limit.
**Headers**: names and addresses with line breaks or control characters are refused before
anything is sent; names go through ``email.headerregistry.Address`` (quoted, RFC 2047).

Modules: :mod:`~addin.mail.recipients` (the Distribution sheet), :mod:`~addin.mail.scope`,
:mod:`~addin.mail.compose` (messages and their parts), :mod:`~addin.mail.sendlog`,
:mod:`~addin.mail.smtp` (transports) and :mod:`~addin.mail.monthly` (plan and send).
"""

from addin.mail.choose import choose_transport, transport_from_settings
from addin.mail.compose import (
    DEFAULT_MAX_BYTES,
    Attachment,
    Outgoing,
    Sender,
    TooLarge,
    compose,
    read_sender,
)
from addin.mail.lock import SendBusy, month_lock
from addin.mail.monthly import Outcome, Planned, plan, send_monthly_mail
from addin.mail.recipients import Recipient, header_problem, recipients_from
from addin.mail.scope import Scope, ScopeClause, parse_scope
from addin.mail.sendlog import LOG_NAME, SendLog
from addin.mail.smtp import (
    LOCAL_HOSTS,
    PASSWORD_ENV,
    SMTPTransport,
    classify,
    parse_smtp_address,
    smtp_transport,
)
from addin.mail.transport import (
    DryRunTransport,
    InDoubt,
    MailSetupError,
    RecipientFailed,
    ServerFailed,
    Transport,
)

__all__ = [
    "LOG_NAME", "DEFAULT_MAX_BYTES", "Scope", "ScopeClause", "parse_scope", "Recipient",
    "recipients_from", "header_problem", "Sender", "read_sender", "Attachment", "Outgoing",
    "TooLarge", "compose", "SendLog", "SMTPTransport", "DryRunTransport", "classify",
    "RecipientFailed", "ServerFailed", "Outcome", "send_monthly_mail", "Planned", "plan",
    "LOCAL_HOSTS", "PASSWORD_ENV", "parse_smtp_address", "smtp_transport",
    "transport_from_settings", "InDoubt", "MailSetupError", "Transport", "SendBusy",
    "month_lock", "choose_transport",
]
