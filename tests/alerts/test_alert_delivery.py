"""Alert delivery against real local servers: an aiosmtpd SMTP server and an HTTP server.

Nothing is mocked: mail goes over SMTP (plain, AUTH, STARTTLS and implicit TLS with a
certificate made at test time), webhooks over HTTP to a server that records what it got.
Waits between retries go to a recording ``sleep``, so no test really sleeps.
"""

from __future__ import annotations

import datetime as dt
import email.message
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pipelines.alerts.channels import (
    EmailChannel,
    FilesChannel,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
    load_channels,
)
from pipelines.alerts.delivery import DeliveryResult, deliver, summarise
from pipelines.alerts.message import SLACK_SECTION_MAX, Message, slack_body
from pipelines.core.errors import SalesOpsError
from tests.support.smtp import Inbox, content, free_port

SUBJECT = "数据质量提醒 2026-09-30"
TEXT = "3 rows quarantined in accounts.csv\n客户编号缺失: 2"
HTML = "<html><body><h1>数据质量提醒</h1><p>3 rows quarantined</p></body></html>"


def message(**changes: Any) -> Message:
    fields: dict[str, Any] = {
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "payload": {"rule": "missing_required", "rows": 3, "文件": "accounts.csv"},
        "kind": "ops_summary",
        "key": "ops-2026-09-30",
    }
    return Message(**(fields | changes))


class Sleeps(list):
    """A ``sleep`` that only records how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local servers must be reached directly, whatever proxy the machine has."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")


# --- a real SMTP server (tests/support/smtp.py), with a login ----------------------------


class Authenticator:
    """Accepts one user name and password; records every login tried."""

    def __init__(self, user: str, password: str):
        self.expected = (user.encode(), password.encode())
        self.tried: list[tuple[str, str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login, password = auth_data.login, auth_data.password
        self.tried.append((mechanism, login.decode(), password.decode()))
        ok = (login, password) == self.expected
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A private CA and a certificate it signed for localhost / 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "salesops test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file = folder / "server.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = folder / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    def server_context() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context

    return {"ca_file": ca_file, "server_context": server_context}


def email_channel(port: int, **changes: Any) -> EmailChannel:
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "SalesOps 提醒 <salesops@example.com>",
        "to": ["ops@example.com", "王芳 <wang.fang@example.com>"],
        "timeout_seconds": 5,
    }
    return EmailChannel(**(settings | changes))


def parts(mail: email.message.EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): content(part) for part in mail.iter_parts()}


def test_email_delivers_utf8_multipart_to_the_channel_recipients(smtp_server, sleeps):
    inbox = Inbox()
    port = smtp_server(inbox)
    results = deliver([message()], [email_channel(port)], sleep=sleeps)
    assert results == [DeliveryResult("email", "email", "ops-2026-09-30", True, 1, None)]
    [got] = inbox.received
    assert got["mail_from"] == "salesops@example.com"
    assert got["rcpt_tos"] == ["ops@example.com", "wang.fang@example.com"]
    mail = got["message"]
    assert mail["Subject"] == SUBJECT
    assert mail["From"].addresses[0].display_name == "SalesOps 提醒"
    assert [a.addr_spec for a in mail["To"].addresses] == got["rcpt_tos"]
    assert mail.get_content_type() == "multipart/alternative"
    assert parts(mail) == {"text/plain": TEXT + "\n", "text/html": HTML + "\n"}
    assert sleeps == []


def test_email_message_recipients_replace_the_channel_list(smtp_server, sleeps):
    inbox = Inbox()
    port = smtp_server(inbox)
    rep = message(key="rep-R001", recipients=["li.lei@example.com"], html=None)
    [result] = deliver([rep], [email_channel(port)], sleep=sleeps)
    assert result.ok
    [got] = inbox.received
    assert got["rcpt_tos"] == ["li.lei@example.com"]
    assert got["message"].get_content_type() == "text/plain"  # no HTML: text only
    assert content(got["message"]) == TEXT + "\n"


#: aiosmtpd warns when AUTH is allowed without TLS, which these tests do on purpose.
PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@PLAIN_AUTH
def test_email_logs_in_with_credentials_from_the_environment(smtp_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_USER", "alerts@example.com")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "pa55 wörd")
    inbox, auth = Inbox(), Authenticator("alerts@example.com", "pa55 wörd")
    port = smtp_server(inbox, authenticator=auth, auth_require_tls=False, auth_required=True)
    channel = email_channel(port, username_env="TEST_SMTP_USER", password_env="TEST_SMTP_PASSWORD")
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert result.ok, result.error
    assert [(user, pw) for _, user, pw in auth.tried] == [("alerts@example.com", "pa55 wörd")]
    assert inbox.received[0]["login"] == b"alerts@example.com"


@PLAIN_AUTH
def test_email_wrong_password_is_not_retried(smtp_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_USER", "alerts@example.com")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-password")
    inbox, auth = Inbox(), Authenticator("alerts@example.com", "right")
    port = smtp_server(inbox, authenticator=auth, auth_require_tls=False, auth_required=True)
    channel = email_channel(port, username_env="TEST_SMTP_USER", password_env="TEST_SMTP_PASSWORD")
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 1, [])
    assert "535" in result.error
    assert "wrong-password" not in result.error
    assert inbox.received == []


def test_email_missing_password_variable_fails_before_connecting(smtp_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_USER", "alerts@example.com")
    monkeypatch.delenv("TEST_SMTP_MISSING_PASSWORD", raising=False)
    inbox, auth = Inbox(), Authenticator("alerts@example.com", "x")
    port = smtp_server(inbox, authenticator=auth, auth_require_tls=False)
    channel = email_channel(
        port, username_env="TEST_SMTP_USER", password_env="TEST_SMTP_MISSING_PASSWORD"
    )
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 0, [])
    assert "TEST_SMTP_MISSING_PASSWORD" in result.error
    assert auth.tried == [] and inbox.data_commands == 0


def test_email_starttls_with_a_private_ca(smtp_server, sleeps, monkeypatch, tls):
    monkeypatch.setenv("TEST_SMTP_USER", "alerts@example.com")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "tls-secret")
    inbox, auth = Inbox(), Authenticator("alerts@example.com", "tls-secret")
    port = smtp_server(
        inbox,
        tls_context=tls["server_context"](),
        require_starttls=True,
        authenticator=auth,
        auth_required=True,
    )  # auth_require_tls stays True: AUTH is only offered after STARTTLS
    channel = email_channel(
        port,
        security="starttls",
        ca_file=tls["ca_file"],
        username_env="TEST_SMTP_USER",
        password_env="TEST_SMTP_PASSWORD",
    )
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert result.ok, result.error
    assert inbox.received[0]["tls"] is True
    assert inbox.received[0]["message"]["Subject"] == SUBJECT
    assert len(auth.tried) == 1


def test_email_starttls_rejects_an_untrusted_certificate_at_once(smtp_server, sleeps, tls):
    inbox = Inbox()
    port = smtp_server(inbox, tls_context=tls["server_context"](), require_starttls=True)
    channel = email_channel(port, security="starttls")  # system CAs: the test CA is unknown
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 1, [])
    assert "certificate" in result.error and "ca_file" in result.error
    assert inbox.received == []


def test_email_implicit_tls(smtp_server, sleeps, tls):
    inbox = Inbox()
    port = smtp_server(inbox, ssl_context=tls["server_context"]())
    channel = email_channel(port, security="ssl", ca_file=tls["ca_file"])
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert result.ok, result.error
    assert inbox.received[0]["message"]["Subject"] == SUBJECT


def test_email_temporary_failure_is_retried(smtp_server, sleeps):
    inbox = Inbox(replies=["451 4.3.0 Mailbox busy, try again later"])
    port = smtp_server(inbox)
    [result] = deliver([message()], [email_channel(port)], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (True, 2, [2.0])
    assert len(inbox.received) == 1


def test_email_permanent_failure_is_not_retried(smtp_server, sleeps):
    inbox = Inbox(replies=["554 5.7.1 Message rejected as spam"] * 3)
    port = smtp_server(inbox)
    [result] = deliver([message()], [email_channel(port)], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 1, [])
    assert "554" in result.error and "spam" in result.error


def test_email_unreachable_server(sleeps):
    [result] = deliver([message()], [email_channel(free_port())], attempts=2, sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 2, [2.0])
    assert "refused" in result.error.lower()


# --- a real HTTP server -----------------------------------------------------------------


class Recorder(ThreadingHTTPServer):
    """Records each POST; answers with ``replies`` in turn (status, headers, body), then 200."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, dict[str, str], str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(
            {"path": self.path, "headers": self.headers, "body": json.loads(raw.decode("utf-8"))}
        )
        status, headers, text = (
            self.server.replies.pop(0) if self.server.replies else (200, {}, "ok")
        )
        data = text.encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_slack_webhook_body(http_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_SLACK_URL", http_server.url + "/services/T0/B0/abc")
    text = "Won < target & pipeline > plan"
    [result] = deliver([message(text=text)], [SlackChannel(url_env="TEST_SLACK_URL")], sleep=sleeps)
    assert result == DeliveryResult("slack", "slack", "ops-2026-09-30", True, 1, None)
    [request] = http_server.requests
    assert request["path"] == "/services/T0/B0/abc"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    escaped = "Won &lt; target &amp; pipeline &gt; plan"
    assert request["body"] == {
        "text": f"{SUBJECT}\n\n{escaped}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": SUBJECT, "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": escaped}},
        ],
    }


def test_slack_section_is_cut_to_its_limit_with_a_note():
    long = "数" * 5000
    section = slack_body(message(text=long))["blocks"][1]["text"]["text"]
    assert len(section) <= SLACK_SECTION_MAX
    assert section.startswith("数" * 2000)
    kept = section.index("\n")
    assert f"truncated: {5000 - kept} more characters" in section


def test_teams_webhook_body(http_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_TEAMS_URL", http_server.url + "/workflows/run")
    [result] = deliver([message()], [TeamsChannel(url_env="TEST_TEAMS_URL")], sleep=sleeps)
    assert result.ok, result.error
    assert http_server.requests[0]["body"] == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": SUBJECT,
                            "weight": "Bolder",
                            "size": "Large",
                            "wrap": True,
                        },
                        {"type": "TextBlock", "text": TEXT, "wrap": True},
                    ],
                },
            }
        ],
    }


def test_generic_webhook_body_and_header_from_the_environment(http_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_HOOK_URL", http_server.url + "/alerts")
    monkeypatch.setenv("TEST_HOOK_TOKEN", "Bearer t0ken-123")
    channel = WebhookChannel(
        name="ops-hook", url_env="TEST_HOOK_URL", headers_env={"Authorization": "TEST_HOOK_TOKEN"}
    )
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert (result.channel_name, result.channel_type, result.ok) == ("ops-hook", "webhook", True)
    [request] = http_server.requests
    assert request["headers"]["Authorization"] == "Bearer t0ken-123"
    assert request["body"] == {
        "kind": "ops_summary",
        "subject": SUBJECT,
        "text": TEXT,
        "payload": {"rule": "missing_required", "rows": 3, "文件": "accounts.csv"},
    }


def test_server_errors_are_retried_with_backoff(http_server, sleeps, monkeypatch, caplog):
    monkeypatch.setenv("TEST_HOOK_URL", http_server.url + "/alerts")
    http_server.replies = [(503, {}, "busy"), (503, {}, "busy")]
    [result] = deliver([message()], [WebhookChannel(url_env="TEST_HOOK_URL")], sleep=sleeps)
    assert (result.ok, result.attempts, result.error) == (True, 3, None)
    assert sleeps == [2.0, 4.0]
    assert len(http_server.requests) == 3
    retries = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(retries) == 2 and "HTTP 503" in retries[0] and "retrying in 4.0 s" in retries[1]


def test_too_many_requests_waits_as_long_as_retry_after_asks(http_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_HOOK_URL", http_server.url + "/alerts")
    http_server.replies = [(429, {"Retry-After": "7"}, "slow down")]
    [result] = deliver([message()], [WebhookChannel(url_env="TEST_HOOK_URL")], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (True, 2, [7.0])


def test_client_errors_are_not_retried(http_server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_SLACK_URL", http_server.url + "/services/T0/B0/s3cr3t-token")
    http_server.replies = [(400, {}, "invalid_payload for /services/T0/B0/s3cr3t-token")] * 3
    [result] = deliver([message()], [SlackChannel(url_env="TEST_SLACK_URL")], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 1, [])
    assert result.error.startswith("HTTP 400")
    assert "invalid_payload" in result.error
    assert "s3cr3t" not in result.error  # the webhook URL is a secret, even echoed back
    assert len(http_server.requests) == 1


def test_unreachable_webhook_fails_after_every_attempt_without_raising(sleeps, monkeypatch):
    monkeypatch.setenv("TEST_HOOK_URL", f"http://127.0.0.1:{free_port()}/alerts")
    channel = WebhookChannel(url_env="TEST_HOOK_URL", timeout_seconds=2)
    [result] = deliver([message()], [channel], attempts=4, base_delay_seconds=0.5, sleep=sleeps)
    assert (result.ok, result.attempts) == (False, 4)
    assert sleeps == [0.5, 1.0, 2.0]
    assert "refused" in result.error.lower()


def test_missing_webhook_url_variable(sleeps, monkeypatch):
    monkeypatch.delenv("TEST_UNSET_URL", raising=False)
    [result] = deliver([message()], [TeamsChannel(url_env="TEST_UNSET_URL")], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 0, [])
    assert "TEST_UNSET_URL" in result.error


# --- files, kinds, summary, configuration ------------------------------------------------


def test_files_channel_writes_payload_and_html(tmp_path, sleeps):
    out = tmp_path / "alerts" / "2026-09-30"
    plain = message(key="rep-R001", html=None, text="<b>Q3</b> & 张伟")
    results = deliver([message(), plain], [FilesChannel(directory=out)], sleep=sleeps)
    assert [r.ok for r in results] == [True, True]
    raw = (out / "ops-2026-09-30.json").read_text(encoding="utf-8")
    assert '"文件": "accounts.csv"' in raw  # UTF-8, not \\u escapes
    assert raw.startswith('{\n  "rule"')  # indented
    assert json.loads(raw) == {"rule": "missing_required", "rows": 3, "文件": "accounts.csv"}
    assert (out / "ops-2026-09-30.html").read_text(encoding="utf-8") == HTML
    page = (out / "rep-R001.html").read_text(encoding="utf-8")
    assert "<pre>&lt;b&gt;Q3&lt;/b&gt; &amp; 张伟</pre>" in page
    assert sorted(p.name for p in out.iterdir()) == [
        "ops-2026-09-30.html",
        "ops-2026-09-30.json",
        "rep-R001.html",
        "rep-R001.json",
    ]


def test_files_channel_reports_an_os_error(tmp_path, sleeps):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    [result] = deliver([message()], [FilesChannel(directory=blocker / "sub")], sleep=sleeps)
    assert (result.ok, result.attempts, sleeps) == (False, 1, [])
    assert "Error" in result.error and "not-a-folder" in result.error


def test_kinds_filter(http_server, tmp_path, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_HOOK_URL", http_server.url + "/alerts")
    channels = [
        FilesChannel(directory=tmp_path),
        WebhookChannel(url_env="TEST_HOOK_URL", kinds=["run_failure"]),
    ]
    failure = message(kind="run_failure", key="run-failure")
    digest = message(kind="rep_digest", key="rep-R002")
    results = deliver([failure, digest], channels, sleep=sleeps)
    assert [(r.channel_name, r.message_key) for r in results] == [
        ("files", "run-failure"),
        ("webhook", "run-failure"),
        ("files", "rep-R002"),
    ]
    assert [r["body"]["kind"] for r in http_server.requests] == ["run_failure"]


def test_summarise_counts_and_failure_texts():
    results = [
        DeliveryResult("files", "files", "a", True, 1),
        DeliveryResult("slack", "slack", "a", True, 2),
        DeliveryResult("slack", "slack", "b", False, 3, "HTTP 503 Service Unavailable"),
    ]
    summary = summarise(results)
    assert (summary["delivered"], summary["failed"]) == (2, 1)
    assert summary["channels"]["files"] == {
        "type": "files",
        "delivered": 1,
        "failed": 0,
        "failures": [],
    }
    assert summary["channels"]["slack"]["failures"] == [
        {"message": "b", "attempts": 3, "error": "HTTP 503 Service Unavailable"}
    ]
    assert summary["failures"] == ["slack: b: HTTP 503 Service Unavailable"]
    json.dumps(summary)  # goes into summary.json as is


def test_message_key_must_be_file_safe():
    with pytest.raises(ValueError, match="file-safe"):
        message(key="../etc/passwd")


CONFIG = """\
channels:
  - type: email
    host: smtp.example.com
    username_env: SALESOPS_SMTP_USER
    password_env: SALESOPS_SMTP_PASSWORD
    sender: SalesOps <salesops@example.com>
    to: [sales-ops@example.com]
    ca_file: certs/ca.pem
  - type: slack
    url_env: SALESOPS_SLACK_WEBHOOK_URL
    kinds: [ops_summary, run_failure]
  - type: webhook
    name: incident-hook
    url_env: SALESOPS_INCIDENT_URL
    headers_env: {Authorization: SALESOPS_INCIDENT_TOKEN}
"""


def test_load_channels_adds_a_files_channel_and_reads_paths_from_the_file_folder(tmp_path):
    config = tmp_path / "alerts.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    channels = load_channels(config, tmp_path / "out")
    assert [(c.name, c.type) for c in channels] == [
        ("email", "email"),
        ("slack", "slack"),
        ("incident-hook", "webhook"),
        ("files", "files"),
    ]
    email_ch, slack, hook, files = channels
    assert (email_ch.port, email_ch.security, email_ch.timeout_seconds) == (587, "starttls", 30)
    assert email_ch.ca_file == tmp_path / "certs" / "ca.pem"
    assert slack.accepts("run_failure") and not slack.accepts("rep_digest")
    assert hook.headers_env == {"Authorization": "SALESOPS_INCIDENT_TOKEN"}
    assert files.directory == tmp_path / "out" and files.kinds is None

    config.write_text("channels:\n  - type: files\n    directory: kept\n", encoding="utf-8")
    assert load_channels(config, tmp_path / "out") == [FilesChannel(directory=tmp_path / "kept")]
    assert load_channels(None, tmp_path / "out") == [FilesChannel(directory=tmp_path / "out")]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("channels:\n  - type: pager\n", ":2: channels[0]: Input tag 'pager'"),
        (
            "channels:\n  - type: slack\n    url_env: https://hooks.slack.com/x\n",
            ":3: channels[0].url_env: 'https://hooks.slack.com/x' is not an "
            "environment variable name",
        ),
        (
            "channels:\n  - type: email\n    host: h\n    sender: s\n    password: hunter2\n",
            ":5: channels[0].password: Extra inputs are not permitted",
        ),
        ("channels:\n  - type: email\n    sender: s\n", ":2: channels[0].host: Field required"),
        ("channels:\n  - type: slack\n    url_env: [\n", "not valid YAML"),
        ("- type: slack\n", "must be a YAML mapping"),
        (
            "channels:\n  - {type: slack, url_env: A}\n  - {type: slack, url_env: B}\n",
            "more than one channel is named slack",
        ),
    ],
)
def test_load_channels_errors_name_the_file_line_and_setting(tmp_path, yaml_text, expected):
    config = tmp_path / "alerts.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(SalesOpsError) as raised:
        load_channels(config, tmp_path)
    assert str(config) in str(raised.value)
    assert expected in str(raised.value)
    assert raised.value.fix


def test_load_channels_missing_file(tmp_path):
    with pytest.raises(SalesOpsError, match="alerts file cannot be read"):
        load_channels(tmp_path / "nope.yaml", tmp_path)


def test_bad_ca_file_fails_without_connecting(tmp_path, sleeps):
    channel = email_channel(free_port(), security="starttls", ca_file=tmp_path / "missing.pem")
    [result] = deliver([message()], [channel], sleep=sleeps)
    assert (result.ok, result.attempts) == (False, 0)
    assert "missing.pem" in result.error
