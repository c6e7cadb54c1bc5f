"""The user's own Outlook (Windows, desktop): each message handed to Outlook through COM
(pywin32), so a manager who presses Email executives needs no server settings at all.

Members used, all from Microsoft's Outlook VBA reference (Outlook object model):
``Application.CreateItem(olMailItem = 0)``; ``MailItem.Subject``, ``MailItem.HTMLBody``,
``MailItem.Recipients``, ``MailItem.Attachments``, ``MailItem.Send()``,
``MailItem.Display(Modal)``; ``Recipients.Add(Name)``, ``Recipients.ResolveAll()``;
``Recipient.Type`` (``olTo = 1``); ``Attachments.Add(Source)``.

``Send`` puts the message in Outlook's Outbox and Outlook sends it as the user, from the user's
mailbox (its Sent Items keep a copy); ``Display`` opens each one for review instead (Settings
``outlook_mode = display``) and the user presses Send. Outlook gives the message its own
Message-ID, so a re-send of a message in doubt cannot carry the logged one. Attachments are
written to a temporary folder for ``Attachments.Add`` (which copies them into the item) and
removed after.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from addin.mail.transport import MailSetupError, RecipientFailed

OL_MAIL_ITEM = 0  # OlItemType.olMailItem
OL_TO = 1  # OlMailRecipientType.olTo


def dispatch(progid: str):
    """The COM seam: ``win32com.client.Dispatch`` (tests replace this function)."""
    import win32com.client  # pywin32, Windows only

    return win32com.client.Dispatch(progid)


class OutlookTransport:
    """Hands each message to the desktop Outlook (module docstring)."""

    name = "outlook"
    logs = True

    def __init__(self, *, display: bool = False, dispatch: Callable | None = None,
                 platform: str | None = None) -> None:
        self.display = display
        self._dispatch = dispatch
        self.platform = platform or sys.platform
        self._app = None

    def where(self) -> str:
        return "your Outlook" + (" (each message opened for review)" if self.display else "")

    def check(self) -> None:
        if self._app is not None:
            return
        if self.platform != "win32":
            raise MailSetupError("Outlook can be used on Windows only: name an SMTP server "
                                 "(Settings smtp_server) or use mail_transport = graph or eml")
        try:
            self._app = (self._dispatch or dispatch)("Outlook.Application")
        except ImportError:
            raise MailSetupError("pywin32 is not installed: pip install pywin32, or name an "
                                 "SMTP server in Settings smtp_server") from None
        except Exception as exc:  # noqa: BLE001 - a COM error: Outlook missing or not set up
            raise MailSetupError(f"Outlook could not be started ({exc}): open Outlook once "
                                 "and set up your mailbox, or name an SMTP server in "
                                 "Settings smtp_server") from None

    def deliver(self, message: EmailMessage, sender: str, recipient: str, name: str) -> str:
        """A mail item with the message's subject, HTML body, recipient and attachments, sent
        (``"sent"``) or opened for review (``"displayed"``)."""
        self.check()
        body = message.get_body(("html", "plain"))
        try:
            item = self._app.CreateItem(OL_MAIL_ITEM)
            item.Subject = str(message["Subject"])
            item.HTMLBody = body.get_content()
            for address in message["To"].addresses:
                entry = item.Recipients.Add(str(address))
                entry.Type = OL_TO
            if not item.Recipients.ResolveAll():
                raise RecipientFailed(f"Outlook could not resolve {recipient}")
            with tempfile.TemporaryDirectory(prefix="crm-mail-") as folder:
                for part in message.iter_attachments():
                    path = Path(folder) / Path(part.get_filename()).name
                    path.write_bytes(part.get_content())
                    item.Attachments.Add(str(path))
                if self.display:
                    item.Display(False)
                    return "displayed"
                item.Send()
        except RecipientFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - COM errors carry Outlook's own text
            raise RecipientFailed(f"Outlook refused the message: {exc}") from None
        return "sent"

    def close(self) -> None:
        self._app = None


__all__ = ["OutlookTransport", "dispatch", "OL_MAIL_ITEM", "OL_TO"]
