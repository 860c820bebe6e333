"""Send alerts to their channels, retrying what may pass and reporting what failed.

:func:`deliver` sends every :class:`Message` (:mod:`pipelines.alerts.message`) to every
channel that accepts its kind (:mod:`pipelines.alerts.channels`) and returns one
:class:`DeliveryResult` per pair; it never raises, so a broken mail server cannot fail the
nightly run. A failure that may pass (a refused or dropped connection, a timeout, SMTP 4xx,
HTTP 5xx or 429) is tried again after ``base``, ``2 x base``, ... seconds; one that will not
(HTTP 4xx, SMTP 5xx, a missing environment variable, a certificate that does not verify)
is reported at once. Secret values never appear in results or logs.
:func:`summarise` condenses the results for the run summary.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import os
import smtplib
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipelines.alerts.channels import (
    ChannelConfig,
    EmailChannel,
    FilesChannel,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
)
from pipelines.alerts.message import (
    Message,
    email_message,
    html_page,
    slack_body,
    teams_body,
    webhook_body,
)
from pipelines.core.errors import is_transient

log = logging.getLogger(__name__)

#: Longest wait a server's ``Retry-After`` may ask for.
RETRY_AFTER_MAX = 60.0
USER_AGENT = "salesops-alerts/1"


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one message on one channel."""

    channel_name: str
    channel_type: str
    message_key: str
    ok: bool
    #: Tries made; 0 when the channel could not even be tried (e.g. a missing secret).
    attempts: int
    error: str | None = None


class DeliveryError(Exception):
    """A failure with a message fit for the run summary (no secrets in it)."""

    def __init__(self, message: str, *, retry: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


def deliver(
    messages: Iterable[Message],
    channels: Sequence[ChannelConfig],
    *,
    attempts: int = 3,
    base_delay_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[DeliveryResult]:
    """Send each message to each channel accepting its kind (and carrying the message:
    :meth:`Message.goes_to`); one result per pair.

    Each pair is tried up to ``attempts`` times, waiting ``base_delay_seconds`` x 1, 2, 4,
    ... between tries (longer if an HTTP server's ``Retry-After`` asks, up to a minute).
    Never raises: every failure becomes a result with ``ok=False`` and the error.
    """
    results = []
    for message in messages:
        for channel in channels:
            if channel.accepts(message.kind) and message.goes_to(channel.type):
                results.append(
                    _deliver_one(message, channel, max(1, attempts), base_delay_seconds, sleep)
                )
    return results


def summarise(results: Iterable[DeliveryResult]) -> dict[str, Any]:
    """Counts delivered and failed, overall and per channel, and each failure's text."""
    channels: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for r in results:
        entry = channels.setdefault(
            r.channel_name,
            {"type": r.channel_type, "delivered": 0, "failed": 0, "failures": []},
        )
        if r.ok:
            entry["delivered"] += 1
            continue
        entry["failed"] += 1
        entry["failures"].append(
            {"message": r.message_key, "attempts": r.attempts, "error": r.error}
        )
        failures.append(f"{r.channel_name}: {r.message_key}: {r.error}")
    return {
        "delivered": sum(c["delivered"] for c in channels.values()),
        "failed": sum(c["failed"] for c in channels.values()),
        "channels": channels,
        "failures": failures,
    }


def _deliver_one(
    message: Message,
    channel: ChannelConfig,
    attempts: int,
    base_delay: float,
    sleep: Callable[[float], None],
) -> DeliveryResult:
    def result(ok: bool, tries: int, error: str | None = None) -> DeliveryResult:
        return DeliveryResult(channel.name, channel.type, message.key, ok, tries, error)

    secrets: list[str] = []
    try:
        send = _prepare(message, channel, secrets)
    except DeliveryError as exc:  # a missing secret or setting: nothing to try
        log.error("alert %s not sent via %s: %s", message.key, channel.name, exc)
        return result(False, 0, _redact(str(exc), secrets))
    except Exception as exc:  # noqa: BLE001 - a bug must not fail the run either
        log.error("alert %s not sent via %s: %s", message.key, channel.name, type(exc).__name__)
        return result(False, 0, _redact(f"{type(exc).__name__}: {exc}", secrets))
    for attempt in range(1, attempts + 1):
        try:
            send()
        except Exception as exc:  # noqa: BLE001 - classified below, never raised
            error = _classify(exc)
            error.args = (_redact(str(error), secrets),)
            if not error.retry or attempt == attempts:
                log.error(
                    "alert %s via %s failed after %d attempt(s): %s",
                    message.key,
                    channel.name,
                    attempt,
                    error,
                )
                return result(False, attempt, str(error))
            delay = base_delay * 2 ** (attempt - 1)
            if error.retry_after is not None:
                delay = max(delay, min(error.retry_after, RETRY_AFTER_MAX))
            log.warning(
                "alert %s via %s failed (attempt %d of %d): %s; retrying in %.1f s",
                message.key,
                channel.name,
                attempt,
                attempts,
                error,
                delay,
            )
            sleep(delay)
        else:
            log.info("alert %s sent via %s", message.key, channel.name)
            return result(True, attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value replaced, so errors and logs never show one."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # replacing a tiny value would garble the text, not hide it
            text = text.replace(secret, "***")
    return text


def _prepare(message: Message, channel: ChannelConfig, secrets: list[str]) -> Callable[[], None]:
    """Read the secrets (appended to ``secrets``) and build the request.

    Returns the function that sends it once. A :class:`DeliveryError` raised here means
    the channel cannot be tried at all (a missing environment variable, no recipients).
    """
    if isinstance(channel, FilesChannel):
        return lambda: _write_files(message, channel.directory)
    if isinstance(channel, EmailChannel):
        return _prepare_email(message, channel, secrets)
    url = _url(channel, secrets)
    if isinstance(channel, SlackChannel):
        body = slack_body(message)
        headers: dict[str, str] = {}
    elif isinstance(channel, TeamsChannel):
        body = teams_body(message)
        headers = {}
    elif isinstance(channel, WebhookChannel):
        body = webhook_body(message)
        headers = {
            name: _secret(env, channel, f"header {name}", secrets)
            for name, env in channel.headers_env.items()
        }
    else:  # pragma: no cover - the union is closed
        raise DeliveryError(f"unknown channel type {channel.type!r}")
    return lambda: _post_json(url, body, headers, channel.timeout_seconds, channel.url_env)


def _secret(env: str, channel: ChannelConfig, what: str, secrets: list[str]) -> str:
    value = os.environ.get(env)
    if not value:
        raise DeliveryError(
            f"environment variable {env} is not set (channel {channel.name!r} reads its "
            f"{what} from it); set it in the environment of the run"
        )
    secrets.append(value)
    return value


def _url(channel: SlackChannel | TeamsChannel | WebhookChannel, secrets: list[str]) -> str:
    url = _secret(channel.url_env, channel, "webhook URL", secrets)
    if not url.lower().startswith(("https://", "http://")):
        raise DeliveryError(f"environment variable {channel.url_env} does not hold an http(s) URL")
    parts = urlsplit(url)  # webhook tokens live in the path or query: a server may echo them
    secrets += [part for part in (parts.path, parts.query) if len(part) > 1]
    return url


# --- senders --------------------------------------------------------------------------


def _write_files(message: Message, directory: Path) -> None:
    payload = json.dumps(message.payload, ensure_ascii=False, indent=2, default=str) + "\n"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(directory / f"{message.key}.json", payload)
        _write_atomically(directory / f"{message.key}.html", html_page(message))
    except OSError as exc:  # a busy file may pass; a full disk or no permission will not
        raise DeliveryError(f"{type(exc).__name__}: {exc}", retry=is_transient(exc)) from None


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one rename, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prepare_email(
    message: Message, channel: EmailChannel, secrets: list[str]
) -> Callable[[], None]:
    recipients = list(message.recipients or channel.to)
    envelope_to = [addr for _, addr in getaddresses(recipients) if addr]
    if not envelope_to:
        raise DeliveryError(
            f"no recipients: the alert names none and channel {channel.name!r} has no `to` list"
        )
    login = None
    if channel.username_env and channel.password_env:
        login = (
            _secret(channel.username_env, channel, "SMTP user name", []),  # not secret
            _secret(channel.password_env, channel, "SMTP password", secrets),
        )
    context = None
    if channel.security != "none":
        try:
            context = ssl.create_default_context(
                cafile=str(channel.ca_file) if channel.ca_file else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError(
                f"channel {channel.name!r}: ca_file {channel.ca_file} is not a readable PEM "
                f"certificate ({exc})"
            ) from None
    mail = email_message(message, channel.sender, recipients)
    return lambda: _send_mail(channel, context, mail, envelope_to, login)


def _send_mail(
    channel: EmailChannel,
    context: ssl.SSLContext | None,
    mail: EmailMessage,
    recipients: list[str],
    login: tuple[str, str] | None,
) -> None:
    """Send ``mail`` once: connect (TLS as configured), log in, hand it over, quit."""
    if channel.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            channel.host, channel.port, timeout=channel.timeout_seconds, context=context
        )
    else:
        smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds)
    try:
        smtp.ehlo()
        if channel.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if login:
            _login(smtp, *login)
        sender = parseaddr(channel.sender)[1] or channel.sender  # "Name <a@b>" -> a@b
        refused = smtp.send_message(mail, from_addr=sender, to_addrs=recipients)
        # the message was accepted: a clumsy goodbye does not undo that
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
    finally:
        smtp.close()
    if refused:  # some recipients got it: a retry would send it to them twice
        shown = "; ".join(
            f"{addr} ({code} {_text(reply)})" for addr, (code, reply) in refused.items()
        )
        raise DeliveryError(f"the server refused some recipients: {shown}")


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """``smtp.login``, except that non-ASCII credentials go as UTF-8 AUTH PLAIN (RFC 4616).

    smtplib encodes credentials as ASCII, so a password such as ``销售2026`` would fail.
    """
    if (user + password).isascii():
        smtp.login(user, password)
        return
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" not in offered:
        raise smtplib.SMTPException(
            "the server offers no AUTH PLAIN, which a non-ASCII user name or password needs"
        )
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _post_json(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float, url_env: str
) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            **headers,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except ValueError:  # its text would show the URL or a header value
        raise DeliveryError(
            f"the request cannot be built: check the URL in {url_env} and the header values"
        ) from None
    except urllib.error.HTTPError as exc:
        detail = _text(exc.read(300)).strip() if exc.fp else ""
        retry = exc.code == 429 or exc.code >= 500
        raise DeliveryError(
            f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else ""),
            retry=retry,
            retry_after=_retry_after(exc.headers.get("Retry-After")) if retry else None,
        ) from None
    except urllib.error.URLError as exc:
        # the reason may be a socket error; the URL (a secret) is never in the message
        reason = exc.reason
        if isinstance(reason, BaseException):
            raise _classify(reason) from None
        raise DeliveryError(f"cannot use the URL in {url_env}: {reason}") from None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: the usual backoff will do


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- which failures may pass ----------------------------------------------------------


def _classify(exc: BaseException) -> DeliveryError:
    """``exc`` as a :class:`DeliveryError` that says whether another try makes sense."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):  # every recipient refused
        codes = [code for code, _ in exc.recipients.values()]
        shown = "; ".join(f"{a} ({c} {_text(r)})" for a, (c, r) in exc.recipients.items())
        retry = all(400 <= c < 500 for c in codes)
        return DeliveryError(f"the server refused every recipient: {shown}", retry=retry)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        what = type(exc).__name__
        return DeliveryError(
            f"SMTP {code} {_text(exc.smtp_error)} ({what})", retry=400 <= code < 500
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"the SMTP server closed the connection ({exc})", retry=True)
    if isinstance(exc, smtplib.SMTPException):  # e.g. STARTTLS or AUTH not offered
        return DeliveryError(f"SMTP: {exc} ({type(exc).__name__})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            f"the server's TLS certificate does not verify ({exc.verify_message}); "
            "for a private CA set ca_file"
        )
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"timed out ({exc or 'no answer'})", retry=True)
    if isinstance(exc, ConnectionError):
        return DeliveryError(f"connection failed: {exc}", retry=True)
    if isinstance(exc, OSError):  # network: unreachable, DNS, a reset mid-handshake
        return DeliveryError(f"network error: {exc}", retry=True)
    if isinstance(exc, http.client.HTTPException):  # a garbled or cut-off response
        return DeliveryError(f"bad HTTP response ({type(exc).__name__}: {exc})", retry=True)
    return DeliveryError(f"{type(exc).__name__}: {exc}")
