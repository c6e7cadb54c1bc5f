"""A fake of the desktop Outlook at the COM seam (``addin.mail.outlook.dispatch``): it records
every call and refuses any member that Outlook's object model does not have, as COM would
("Object doesn't support this property or method").

The members each fake object allows are taken from Microsoft's Outlook VBA reference
(learn.microsoft.com/office/vba/api/overview/outlook/object-model): a subset of each object's
documented properties and methods, listed in ``MEMBERS``; the fake implements only those the
add-in is expected to use and refuses the rest of the documented ones with a clear message, so
a test fails if the add-in starts depending on something untested."""

from __future__ import annotations

from pathlib import Path

MEMBERS = {
    # Application object: methods and properties (VBA reference "Application object (Outlook)")
    "Application": {"CreateItem", "GetNamespace", "Session", "Version", "Quit",
                    "ActiveExplorer", "ActiveInspector", "CreateObject"},
    # MailItem object
    "MailItem": {"Subject", "HTMLBody", "Body", "To", "CC", "BCC", "Recipients", "Attachments",
                 "Send", "Display", "Save", "Close", "SentOnBehalfOfName", "SendUsingAccount",
                 "Importance", "BodyFormat", "PropertyAccessor", "EntryID", "Sent"},
    # Recipients collection
    "Recipients": {"Add", "ResolveAll", "Count", "Item", "Remove"},
    # Recipient object
    "Recipient": {"Type", "Address", "Name", "Resolve", "Resolved", "Delete"},
    # Attachments collection
    "Attachments": {"Add", "Count", "Item", "Remove"},
}
IMPLEMENTED = {
    "Application": {"CreateItem"},
    "MailItem": {"Subject", "HTMLBody", "Recipients", "Attachments", "Send", "Display"},
    "Recipients": {"Add", "ResolveAll"},
    "Recipient": {"Type"},
    "Attachments": {"Add"},
}


class ComError(Exception):
    """What pywin32 raises for a member the object does not support."""


class _Com:
    _kind = ""

    def __init__(self, log: list) -> None:
        object.__setattr__(self, "_log", log)

    def _allow(self, name: str) -> None:
        if name not in MEMBERS[self._kind]:
            raise AttributeError(f"{self._kind}.{name}: Object doesn't support this property "
                                 "or method")
        if name not in IMPLEMENTED[self._kind]:
            raise ComError(f"{self._kind}.{name} exists in Outlook but the fake does not "
                           "implement it: add it to the fake and the test")

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        self._allow(name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        self._allow(name)
        self._log.append((f"{self._kind}.{name}", value))
        object.__setattr__(self, name, value)


class FakeRecipient(_Com):
    _kind = "Recipient"


class FakeRecipients(_Com):
    _kind = "Recipients"

    def __init__(self, log: list) -> None:
        super().__init__(log)
        object.__setattr__(self, "entries", [])

    def Add(self, name: str) -> FakeRecipient:  # noqa: N802 - Outlook's names
        self._log.append(("Recipients.Add", name))
        entry = FakeRecipient(self._log)
        object.__setattr__(entry, "Name", name)
        self.entries.append(entry)
        return entry

    def ResolveAll(self) -> bool:  # noqa: N802
        self._log.append(("Recipients.ResolveAll", None))
        return all("@" in e.Name for e in self.entries)


class FakeAttachments(_Com):
    _kind = "Attachments"

    def __init__(self, log: list) -> None:
        super().__init__(log)
        object.__setattr__(self, "files", {})

    def Add(self, source: str):  # noqa: N802
        self._log.append(("Attachments.Add", Path(source).name))
        self.files[Path(source).name] = Path(source).read_bytes()  # Outlook copies it now


class FakeMailItem(_Com):
    _kind = "MailItem"

    def __init__(self, log: list) -> None:
        super().__init__(log)
        object.__setattr__(self, "Recipients", FakeRecipients(log))
        object.__setattr__(self, "Attachments", FakeAttachments(log))
        object.__setattr__(self, "state", "new")

    def Send(self) -> None:  # noqa: N802
        self._log.append(("MailItem.Send", None))
        object.__setattr__(self, "state", "sent")

    def Display(self, modal: bool = False) -> None:  # noqa: N802
        self._log.append(("MailItem.Display", modal))
        object.__setattr__(self, "state", "displayed")


class FakeOutlook(_Com):
    """``Outlook.Application``: ``items`` holds every mail item created."""

    _kind = "Application"

    def __init__(self) -> None:
        super().__init__([])
        object.__setattr__(self, "items", [])

    @property
    def calls(self) -> list:
        return self._log

    def CreateItem(self, kind: int) -> FakeMailItem:  # noqa: N802
        self._log.append(("Application.CreateItem", kind))
        if kind != 0:
            raise ComError(f"CreateItem({kind}): the add-in only creates mail items (0)")
        item = FakeMailItem(self._log)
        self.items.append(item)
        return item


def fake_dispatch(outlook: FakeOutlook, dispatched: list[str]):
    def dispatch(progid: str):
        dispatched.append(progid)
        if progid != "Outlook.Application":
            raise ComError(f"Invalid class string: {progid}")
        return outlook

    return dispatch
