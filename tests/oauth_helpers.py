"""Stand-ins for what cannot run here, at the thinnest seam, with the real client libraries in
front of them: a local HTTPS server on 127.0.0.1 (self-signed certificate made with
``cryptography``, given to requests as its CA bundle) serving the Microsoft identity platform's
discovery and token endpoints and Google's token endpoint, checking each client-credentials
request as the providers document it; and an aiosmtpd handler that speaks XOAUTH2.

Every server stops itself when its ``with`` block ends."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import json
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from smtp_helpers import Inbox, free_port

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT_SECRET = "Zq8~s3cret-VALUE-never-printed"  # what the tests grep every output for
GOOGLE_SA = "crm-mailer@crm-project.iam.gserviceaccount.com"


def self_signed(folder: Path, name: str = "127.0.0.1") -> tuple[Path, Path, rsa.RSAPrivateKey]:
    """A key and a self-signed certificate for ``name`` (an IP address here): ``(cert.pem,
    key.pem, key)``, the certificate usable as a CA bundle."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address(name))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, key


def app_certificate(folder: Path) -> tuple[Path, rsa.RSAPrivateKey]:
    """The app's own credential for MSAL's certificate flow: one PEM with key and cert."""
    cert_file, key_file, key = self_signed(folder, "127.0.0.2")
    both = folder / "app.pem"
    both.write_bytes(key_file.read_bytes() + cert_file.read_bytes())
    return both, key


def google_key_file(folder: Path, token_uri: str) -> tuple[Path, rsa.RSAPrivateKey]:
    """A service account key file as the Cloud console downloads it (its documented fields)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = folder / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "crm-project", "private_key_id": "k1",
        "private_key": pem, "client_email": GOOGLE_SA, "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
    }))
    return path, key


class Cloud:
    """What the HTTPS stand-in knows and did. ``answer_next`` (a list of (status, body)) makes
    the token endpoints answer that instead of a token, one request each."""

    def __init__(self) -> None:
        self.base = ""
        self.app_key = None  # public key of the app's certificate, when that flow is used
        self.google_key = None
        self.issued: list[str] = []
        self.token_requests: list[dict] = []
        self.answer_next: list[tuple[int, dict]] = []
        self.problems: list[str] = []  # requests that broke the documented shape
        self.lock = threading.Lock()

    def _issue(self, prefix: str) -> dict:
        token = f"{prefix}-token-{len(self.issued) + 1}"
        self.issued.append(token)
        return {"token_type": "Bearer", "expires_in": 3599, "access_token": token}

    def microsoft_token(self, form: dict[str, str]) -> tuple[int, dict]:
        endpoint = f"{self.base}/{TENANT}/oauth2/v2.0/token"
        if form.get("grant_type") != "client_credentials":
            self.problems.append(f"grant_type {form.get('grant_type')!r}")
        if form.get("client_id") != CLIENT_ID:
            return 400, {"error": "unauthorized_client", "error_description":
                         f"AADSTS700016: Application with identifier '{form.get('client_id')}' "
                         "was not found in the directory."}
        if not form.get("scope", "").endswith("/.default"):
            self.problems.append(f"scope {form.get('scope')!r}")
        if "client_assertion" in form:
            if form.get("client_assertion_type") != \
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                self.problems.append("client_assertion_type")
            try:
                claims = jwt.decode(form["client_assertion"], self.app_key.public_key(),
                                    algorithms=["RS256", "PS256"], audience=endpoint)
            except jwt.PyJWTError as exc:
                return 401, {"error": "invalid_client",
                             "error_description": f"AADSTS700027: Client assertion failed "
                                                  f"signature validation. {exc}"}
            if claims.get("iss") != CLIENT_ID or claims.get("sub") != CLIENT_ID:
                self.problems.append("assertion iss/sub")
        elif form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description":
                         "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                         "being sent in the request is the client secret value."}
        return 200, self._issue("ms")

    def google_token(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            self.problems.append(f"grant_type {form.get('grant_type')!r}")
        try:
            claims = jwt.decode(form.get("assertion", ""), self.google_key.public_key(),
                                algorithms=["RS256"],
                                # Google's documented audience, whatever token_uri says
                                audience="https://oauth2.googleapis.com/token")
        except jwt.PyJWTError as exc:
            return 400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"}
        self.token_requests[-1]["claims"] = claims
        if claims.get("iss") != GOOGLE_SA:
            self.problems.append("google iss")
        return 200, self._issue("google")

    def route(self, handler: BaseHTTPRequestHandler, method: str, path: str,
              body: bytes) -> tuple[int, dict, dict]:
        """``(status, json body, headers)``; subclasses add routes (Graph)."""
        if method == "GET" and path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            root = f"{self.base}/{TENANT}"
            return 200, {"token_endpoint": f"{root}/oauth2/v2.0/token",
                         "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                         "issuer": f"{root}/v2.0"}, {}
        if method == "POST" and path in (f"/{TENANT}/oauth2/v2.0/token", "/google/token"):
            form = dict(urllib.parse.parse_qsl(body.decode()))
            with self.lock:
                self.token_requests.append({"path": path, "form": form})
                if self.answer_next:
                    status, answer = self.answer_next.pop(0)
                    return status, answer, {}
                if path == "/google/token":
                    return (*self.google_token(form), {})
                return (*self.microsoft_token(form), {})
        return 404, {"error": {"code": "NotFound", "message": path}}, {}


def _handler_for(cloud: Cloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            result = cloud.route(self, method, urllib.parse.urlsplit(self.path).path, body)
            if result is None:  # the route closed the connection on purpose
                self.close_connection = True
                return
            status, answer, headers = result
            data = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler


@contextlib.contextmanager
def https_cloud(cloud: Cloud, folder: Path, monkeypatch) -> Iterator[Cloud]:
    """Serve ``cloud`` over HTTPS on 127.0.0.1 with a fresh self-signed certificate, trusted
    through REQUESTS_CA_BUNDLE (how requests, MSAL and google-auth find a CA bundle)."""
    cert_file, key_file, _ = self_signed(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(cloud))
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    cloud.base = f"https://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield cloud
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class OAuthInbox(Inbox):
    """An Inbox whose server takes ``AUTH XOAUTH2`` (the SASL string of Google's and
    Microsoft's pages) for the tokens in ``valid``, acting for ``user``; a refused token gets
    the documented ``334`` error challenge, then ``535``. Password logins get
    ``password_answer`` (say Exchange Online's ``550 5.7.30``)."""

    def __init__(self, cloud: Cloud, user: str) -> None:
        super().__init__()
        self.cloud, self.user = cloud, user
        self.revoked: set[str] = set()
        self.passwords: dict[str, str] = {}  # login -> password this server still takes
        self.logins: list[tuple[str, str, bool]] = []
        self.password_answer = "550 5.7.30 Basic authentication is not supported for " \
                               "Client Submission"

    async def auth_XOAUTH2(self, server, args):
        blob = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth("")
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01") if part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        ok = (fields.get("user") == self.user and token in self.cloud.issued
              and token not in self.revoked and blob.endswith(b"\x01\x01"))
        self.logins.append((fields.get("user"), token, ok))
        if ok:
            return AuthResult(success=True, auth_data=fields.get("user"))
        error = json.dumps({"status": "401", "schemes": "bearer",
                            "scope": "https://mail.google.com/"})
        await server.challenge_auth(error)  # the client answers an empty line
        return AuthResult(success=False, handled=False,
                          message="535 5.7.3 Authentication unsuccessful")


@contextlib.contextmanager
def oauth_smtp(inbox: OAuthInbox) -> Iterator[int]:
    def password(server, session, envelope, mechanism, data):
        login, secret = data.login.decode(), data.password.decode()
        if inbox.passwords.get(login) == secret:
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False, message=inbox.password_answer)

    class AuthController(Controller):
        def factory(self):
            return SMTPServer(self.handler, authenticator=password, auth_require_tls=False)

    controller = AuthController(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
