"""Where alerts go: the channel settings, validated, and the YAML file they are read from.

An alerts file is YAML with one list, ``channels``; each item has a ``type`` (``files``,
``email``, ``slack``, ``teams`` or ``webhook``) and that type's settings::

    channels:
      - type: email
        host: smtp.example.com
        username_env: SALESOPS_SMTP_USER      # names of environment variables,
        password_env: SALESOPS_SMTP_PASSWORD  # never the secrets themselves
        sender: salesops@example.com
        to: [sales-ops@example.com]
      - type: slack
        url_env: SALESOPS_SLACK_WEBHOOK_URL
        kinds: [ops_summary, run_failure]     # only these kinds of alert

Secrets (passwords, webhook URLs, header values) are read only from the environment when
an alert is sent: the file holds the *names* of the variables. Relative paths in the file
(``directory``, ``ca_file``) are taken from the file's folder. :func:`load_channels` always
returns a ``files`` channel, so every alert is also kept on disk.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipelines.core.errors import SalesOpsError
from pipelines.core.i18n import available_languages
from pipelines.core.paths import ALERT_I18N_DIR
from pipelines.core.yaml_source import line_of, parse_yaml

#: An environment variable's name (what ``*_env`` settings hold).
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_name(value: str) -> str:
    if not ENV_NAME.match(value):
        raise ValueError(
            f"{value!r} is not an environment variable name: put the secret in an "
            "environment variable and write that variable's name here"
        )
    return value


class _Channel(BaseModel):
    """Settings every channel has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Names the channel in results and the run summary; default: its type.
    name: str = ""
    #: Deliver only alerts of these kinds (e.g. ``run_failure``); None: every kind.
    kinds: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name"):
            kind = data.get("type", cls.model_fields["type"].default)
            data = {**data, "name": kind}
        return data

    def accepts(self, kind: str) -> bool:
        """Whether an alert of ``kind`` goes to this channel."""
        return self.kinds is None or kind in self.kinds


class FilesChannel(_Channel):
    """Writes ``<key>.json`` (the payload) and ``<key>.html`` into ``directory``."""

    type: Literal["files"] = "files"
    directory: Path


class EmailChannel(_Channel):
    """Sends multipart (text + HTML) mail through an SMTP server."""

    type: Literal["email"] = "email"
    host: str
    port: int = Field(587, ge=1, le=65535)
    #: ``starttls`` (port 587), ``ssl`` (implicit TLS, port 465) or ``none`` (plain text).
    security: Literal["starttls", "ssl", "none"] = "starttls"
    #: Environment variables holding the login; both or neither.
    username_env: str | None = None
    password_env: str | None = None
    sender: str
    #: Recipients of alerts that name none themselves.
    to: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(30, gt=0)
    #: PEM file of the CA that signed the server's certificate (a private CA);
    #: None: the system's trusted CAs.
    ca_file: Path | None = None

    @field_validator("username_env", "password_env")
    @classmethod
    def _names(cls, v: str | None) -> str | None:
        return None if v is None else _env_name(v)

    @model_validator(mode="after")
    def _login_pair(self) -> EmailChannel:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("set both username_env and password_env, or neither")
        return self


class _HttpChannel(_Channel):
    #: Environment variable holding the webhook URL (the URL is a secret).
    url_env: str
    timeout_seconds: float = Field(30, gt=0)

    @field_validator("url_env")
    @classmethod
    def _url_name(cls, v: str) -> str:
        return _env_name(v)


class SlackChannel(_HttpChannel):
    """Posts to a Slack incoming webhook (Block Kit: a header and a section)."""

    type: Literal["slack"] = "slack"


class TeamsChannel(_HttpChannel):
    """Posts an Adaptive Card to a Microsoft Teams webhook (Workflows or connector)."""

    type: Literal["teams"] = "teams"


class WebhookChannel(_HttpChannel):
    """Posts the alert as JSON (kind, subject, text, payload) to any URL."""

    type: Literal["webhook"] = "webhook"
    #: Extra request headers: header name -> environment variable holding its value.
    headers_env: dict[str, str] = Field(default_factory=dict)

    @field_validator("headers_env")
    @classmethod
    def _header_names(cls, v: dict[str, str]) -> dict[str, str]:
        return {header: _env_name(env) for header, env in v.items()}


ChannelConfig = Annotated[
    FilesChannel | EmailChannel | SlackChannel | TeamsChannel | WebhookChannel,
    Field(discriminator="type"),
]
CHANNEL_TYPES = ("files", "email", "slack", "teams", "webhook")


class Recipient(BaseModel):
    """A person's alert language: a rep (by ``rep`` id: their digest, overdue reminders and
    the roll-ups they get as manager) or an address (``email``: e.g. a channel's ``to``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rep: str | None = None
    email: str | None = None
    language: str

    @model_validator(mode="before")
    @classmethod
    def _rep_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("rep"), int):
            data = {**data, "rep": str(data["rep"])}  # `rep: 7` is the rep id "7"
        return data

    @model_validator(mode="after")
    def _one_person(self) -> Recipient:
        if (self.rep is None) == (self.email is None):
            raise ValueError("give either `rep:` (a rep id) or `email:` (an address)")
        languages = available_languages(ALERT_I18N_DIR)
        if self.language not in languages:
            raise ValueError(
                f"language {self.language!r} has no alert strings; use one of "
                + ", ".join(languages)
            )
        return self


class AlertsFile(BaseModel):
    """The alerts YAML file as a whole."""

    model_config = ConfigDict(extra="forbid")

    channels: list[ChannelConfig] = Field(default_factory=list)
    #: Per-person alert languages; everyone else gets SALESOPS_ALERT_LANGUAGE.
    recipients: list[Recipient] = Field(default_factory=list)
    #: Who receives the review packs (read and checked by pipelines/packs/delivery.py).
    packs: dict | None = None


def load_channels(path: Path | str | None, files_directory: Path | str) -> list[ChannelConfig]:
    """The channels in the alerts file at ``path``, plus a files channel if it has none.

    ``path`` None means no alerts file: alerts are only written to ``files_directory``.
    Raises :class:`SalesOpsError` naming the file, the line and the setting at fault.
    """
    fallback = FilesChannel(directory=Path(files_directory))
    if path is None:
        return [fallback]
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SalesOpsError(
            f"{path}: the alerts file cannot be read ({exc})",
            "check the path given for the alerts file, and that it is UTF-8 text",
        ) from None
    channels = parse_channels(text, str(path), base_dir=path.parent)
    if not any(isinstance(c, FilesChannel) for c in channels):
        channels.append(fallback)
    return channels


def parse_channels(text: str, source: str, base_dir: Path | None = None) -> list[ChannelConfig]:
    """Validate alerts YAML ``text``; ``source`` names it in errors.

    Relative ``directory`` and ``ca_file`` paths are taken from ``base_dir`` when given.
    """
    parsed = parse_alerts_file(text, source)
    names = [c.name for c in parsed.channels]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SalesOpsError(
            f"{source}: more than one channel is named {', '.join(twice)}",
            "give channels of the same type distinct `name:` settings",
        )
    if base_dir is not None:
        return [_resolve_paths(c, base_dir) for c in parsed.channels]
    return list(parsed.channels)


def parse_alerts_file(text: str, source: str) -> AlertsFile:
    """Alerts YAML ``text`` validated as a whole; errors name ``source`` and the line."""
    data, node = parse_yaml(
        text, source, "the alerts file", "check the indentation and quoting on that line"
    )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SalesOpsError(
            f"{source}: the alerts file must be a YAML mapping with a 'channels' list",
            "write `channels:` followed by one `- type: ...` item per channel",
        )
    try:
        return AlertsFile.model_validate(data)
    except ValidationError as exc:
        shown = []
        for err in exc.errors():
            loc = _setting_path(err["loc"])
            line = line_of(node, err["loc"])
            where = f"{source}:{line}" if line else source
            problem = err["msg"].removeprefix("Value error, ")
            shown.append(f"{where}: {loc or '(top level)'}: {problem}")
        raise SalesOpsError(
            "the alerts file is invalid:\n    " + "\n    ".join(shown),
            "correct the settings named above (the channel types are "
            + ", ".join(CHANNEL_TYPES)
            + "; see pipelines/alerts/channels.py)",
        ) from None


def _resolve_paths(channel: ChannelConfig, base_dir: Path) -> ChannelConfig:
    if isinstance(channel, FilesChannel) and not channel.directory.is_absolute():
        return channel.model_copy(update={"directory": base_dir / channel.directory})
    if isinstance(channel, EmailChannel) and channel.ca_file and not channel.ca_file.is_absolute():
        return channel.model_copy(update={"ca_file": base_dir / channel.ca_file})
    return channel


def _setting_path(loc: tuple) -> str:
    """``channels[1].port`` for pydantic's ``('channels', 1, 'email', 'port')``."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i == 2 and loc[0] == "channels" and part in CHANNEL_TYPES:
            continue  # the union's tag, not a setting
        else:
            out += f".{part}" if out else str(part)
    return out
