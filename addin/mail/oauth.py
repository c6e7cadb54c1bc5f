"""OAuth2 access tokens for sending mail, from the providers' own libraries (never from code of
ours that speaks OAuth): MSAL for Python for Microsoft 365, google-auth for Google Workspace.

A token source has ``token(refresh=False) -> str`` and ``user`` (the mailbox it acts for).
Tokens are cached by the library until they expire (MSAL's token cache; google-auth's
credentials) and fetched anew only when ``refresh`` is asked, which the transports do once,
after the server refused the token (SMTP ``535``/``334``, Graph ``401``).

- :class:`MicrosoftToken`: the client-credentials flow (Microsoft identity platform, "OAuth 2.0
  client credentials flow"): tenant id, client id, and a client secret from an environment
  variable or a certificate file (PEM with the private key and the certificate; MSAL signs a
  client assertion with it). Scopes: ``https://outlook.office365.com/.default`` for SMTP AUTH,
  ``https://graph.microsoft.com/.default`` for Graph.
- :class:`GoogleToken`: a service account with domain-wide delegation, acting as the sender
  (``subject``); scope ``https://mail.google.com/`` for SMTP.

Every failure is one :class:`~addin.mail.transport.MailSetupError` line naming the fix; no
secret, key or token is ever part of it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from addin.mail.transport import MailSetupError

MS_AUTHORITY = "https://login.microsoftonline.com"
MS_SMTP_SCOPE = "https://outlook.office365.com/.default"
MS_GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GOOGLE_MAIL_SCOPE = "https://mail.google.com/"
# Hosts MSAL validates through instance discovery; any other authority (a test stand-in, an
# on-premises AD FS) is used as given.
_MS_HOSTS = ("login.microsoftonline.com", "login.microsoftonline.us",
             "login.chinacloudapi.cn", "login.partner.microsoftonline.cn")

# Microsoft identity platform error codes (learn.microsoft.com, "Microsoft Entra authentication
# and authorization error codes") and the fix each one needs.
_AADSTS_FIX = {
    "65001": "an administrator has not granted consent: in the Microsoft Entra admin center, "
             "App registrations > the app > API permissions, add {permission} (Application) "
             "and press Grant admin consent",
    "7000222": "the client secret has expired: create a new one under Certificates & secrets "
               "and put it in the environment variable {secret_env}",
    "7000215": "the client secret is wrong: put the secret's Value (not its ID) in the "
               "environment variable {secret_env}",
    "700016": "no app with this client id in the tenant: check Settings ms_client_id and "
              "ms_tenant_id",
    "90002": "the tenant does not exist: check Settings ms_tenant_id",
    "900023": "the tenant id is not valid: check Settings ms_tenant_id",
    "700027": "the certificate is not the one uploaded to the app: upload its public part "
              "under Certificates & secrets, or check Settings ms_certificate_file",
    "1002012": "the scope is wrong for client credentials: it must end in /.default",
}


def _first_sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0][:200]


def _certificate_credential(path: Path, password: str | None) -> dict:
    """MSAL's certificate credential from a PEM file holding the private key and the
    certificate: ``{"private_key", "thumbprint"}``, the thumbprint being the SHA-1 of the
    certificate's DER bytes (what the Entra admin center shows)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise MailSetupError(f"cannot read the certificate file {path} (Settings "
                             f"ms_certificate_file): {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(
            pem, password=password.encode() if password else None)
        cert = x509.load_pem_x509_certificate(pem)
    except (ValueError, TypeError) as exc:
        why = _first_sentence(str(exc)) if "password" in str(exc).lower() else \
            "it needs the private key and the certificate, both in PEM"
        raise MailSetupError(f"the certificate file {path} (Settings ms_certificate_file) "
                             f"cannot be used: {why}") from None
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER),
                              usedforsecurity=False).hexdigest()
    return {"private_key": key_pem, "thumbprint": thumbprint}


class MicrosoftToken:
    """App-only tokens for ``user`` (the sending mailbox) from MSAL's client-credentials flow.
    ``secret`` is the client secret's value (from an environment variable, never the
    workbook); or ``certificate`` a PEM file with the private key and certificate."""

    def __init__(self, *, tenant_id: str, client_id: str, user: str, scope: str,
                 secret: str | None = None, certificate: Path | None = None,
                 certificate_password: str | None = None, authority: str = MS_AUTHORITY,
                 secret_env: str = "CRM_MS_CLIENT_SECRET", permission: str = "SMTP.SendAsApp"
                 ) -> None:
        missing = [k for k, v in (("ms_tenant_id", tenant_id), ("ms_client_id", client_id))
                   if not v]
        if missing:
            raise MailSetupError(f"OAuth2 for Microsoft 365 needs the Settings "
                                 f"{' and '.join(missing)} (Entra admin center > App "
                                 "registrations > the app > Overview)")
        if secret is None and certificate is None:
            raise MailSetupError(f"OAuth2 for Microsoft 365 needs the app's client secret in "
                                 f"the environment variable {secret_env} (Settings "
                                 "ms_client_secret_env), or a certificate (Settings "
                                 "ms_certificate_file)")
        self.user, self.scope, self.permission = user, scope, permission
        self.secret_env = secret_env
        self.authority = f"{authority.rstrip('/')}/{tenant_id}"
        self._credential = (_certificate_credential(certificate, certificate_password)
                            if certificate is not None else secret)
        self.client_id = client_id
        self._app = None

    def _application(self):
        import msal

        if self._app is None:
            host = self.authority.split("/")[2]
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id, client_credential=self._credential,
                    authority=self.authority, token_cache=msal.TokenCache(),
                    instance_discovery=host in _MS_HOSTS)
            except ValueError as exc:  # MSAL checks the tenant while it discovers the authority
                raise MailSetupError(f"Microsoft sign-in at {self.authority} refused: "
                                     f"{_first_sentence(str(exc))} (check Settings "
                                     "ms_tenant_id)") from None
            except OSError as exc:
                raise MailSetupError(f"cannot reach {self.authority}: "
                                     f"{type(exc).__name__}") from None
        return self._app

    def token(self, refresh: bool = False) -> str:
        app = self._application()
        if refresh:
            app.remove_tokens_for_client()  # the next call asks the token endpoint again
        try:
            result = app.acquire_token_for_client(scopes=[self.scope])
        except OSError as exc:  # requests' ConnectionError is an OSError
            raise MailSetupError(f"cannot reach {self.authority}: "
                                 f"{type(exc).__name__}") from None
        if "access_token" in result:
            return result["access_token"]
        raise MailSetupError(self.explain(result))

    def explain(self, result: dict) -> str:
        """One line for an MSAL error answer: the AADSTS code, its first sentence, the fix."""
        description = str(result.get("error_description") or result.get("error") or result)
        code = re.search(r"AADSTS(\d+)", description)
        fix = _AADSTS_FIX.get(code.group(1)) if code else None
        said = _first_sentence(description)
        if fix:
            fix = fix.format(permission=self.permission, secret_env=self.secret_env)
            return f"Microsoft sign-in refused the app: {fix} ({said})"
        return f"Microsoft sign-in refused the app: {said}"


class GoogleToken:
    """Tokens from a Google service account key file (JSON) with domain-wide delegation,
    acting as ``user`` (the sending mailbox)."""

    def __init__(self, *, key_file: Path | None, user: str,
                 scope: str = GOOGLE_MAIL_SCOPE) -> None:
        from google.oauth2 import service_account

        if key_file is None:
            raise MailSetupError("OAuth2 for Google Workspace needs the service account's key "
                                 "file: Settings google_key_file, or the environment variable "
                                 "GOOGLE_APPLICATION_CREDENTIALS")
        try:
            self._creds = service_account.Credentials.from_service_account_file(
                str(key_file), scopes=[scope], subject=user)
        except OSError as exc:
            raise MailSetupError(f"cannot read the service account key file {key_file}: "
                                 f"{exc.strerror or exc}") from None
        except (ValueError, KeyError) as exc:
            raise MailSetupError(f"{key_file} is not a service account key file (JSON with "
                                 f"client_email and private_key): {type(exc).__name__} "
                                 f"{str(exc)[:80]}") from None
        self.user, self.scope = user, scope
        self.client_id = self._creds._service_account_email  # noqa: SLF001 - shown in errors

    def token(self, refresh: bool = False) -> str:
        import google.auth.exceptions
        from google.auth.transport.requests import Request

        if refresh or not self._creds.valid:
            try:
                self._creds.refresh(Request())
            except google.auth.exceptions.RefreshError as exc:
                raise MailSetupError(self.explain(exc)) from None
            except google.auth.exceptions.TransportError as exc:
                raise MailSetupError(f"cannot reach Google's token endpoint: "
                                     f"{_first_sentence(str(exc))}") from None
        return self._creds.token

    def explain(self, exc: Exception) -> str:
        text = _first_sentence(exc.args[0] if exc.args else str(exc))
        if "unauthorized_client" in text:
            return ("Google refused the service account: domain-wide delegation is not granted "
                    f"for {self.scope}; in the Admin console, Security > Access and data "
                    "control > API controls > Manage domain-wide delegation, add the service "
                    f"account's client id with that scope ({text})")
        if "invalid_grant" in text:
            return (f"Google refused the service account acting as {self.user}: the mailbox "
                    "does not exist, or the key was deleted or disabled (create a new key in "
                    f"the Cloud console) ({text})")
        return f"Google refused the service account: {text}"


__all__ = ["MicrosoftToken", "GoogleToken", "MS_SMTP_SCOPE", "MS_GRAPH_SCOPE",
           "GOOGLE_MAIL_SCOPE", "MS_AUTHORITY"]
