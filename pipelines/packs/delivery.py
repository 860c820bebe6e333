"""Send each scope's review pack to its readers, and only to them.

Who reads which pack:

- a rep reads their rep pack (``dim_sales_reps.email``);
- a team's manager reads the team pack: the rep most of the team's members name as
  ``manager_id`` (the manager the data-quality roll-up goes to as well);
- a region's head reads the region pack: the rep most of the region's team managers name as
  ``manager_id``;
- the company pack goes to the readers listed in the alerts file (``packs.company``).

The ``packs`` section of the alerts file (HOME/alerts.yaml, docs/review-pack.md) lists the
company readers, per-scope overrides (``readers: {"team:华东一组": [...]}`` replaces the
readers found in the data for that scope), the formats to send and the base of the links
chat channels post. The channels are the alert channels (:mod:`pipelines.alerts.channels`):

- **email**: one mail per reader and scope, with the scope's files attached;
- **files**: ``<directory>/<reader>/`` gets the message (``.json`` / ``.html``) and a copy
  of the scope's files, so each reader's folder holds only their own scope's packs;
- **slack / teams / webhook**: a link (``link_base`` + ``<period>/<file>``), posted only for
  the kinds the channel lists (``kinds: [review_pack_company]``): a chat channel is shared,
  so it never receives a scope it was not set up for.

Every delivery is a row of ``meta.pack_deliveries`` (when, period, scope, reader, channel,
file, its SHA-256, ok / error). A file already delivered to a reader (same period, scope,
reader, channel and content) is not sent again unless ``resend`` is set. The ledger is
written as the nightly run writes: under the writer lock, all-or-nothing (see
:func:`deliver_packs`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import ssl
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipelines.alerts.channels import (
    ChannelConfig,
    EmailChannel,
    FilesChannel,
    load_channels,
    parse_channels,
)
from pipelines.alerts.delivery import _classify, _send_mail, deliver
from pipelines.alerts.message import KEY, Message, email_message
from pipelines.core.errors import SalesOpsError, WarehouseBusy
from pipelines.core.file_names import file_part
from pipelines.packs.render import RenderedPack
from pipelines.packs.scope import Scope
from pipelines.warehouse.resource import writer_copy
from pipelines.warehouse.schema import PACK_DELIVERIES_DDL

#: What the packs attach, in this order, when the alerts file names no formats.
DEFAULT_FORMATS = ("pdf", "xlsx")
NO_READER = "(no reader)"
FIX = (
    "give the rep an email (reps file), the team a manager (manager_id), or name readers "
    "under packs.readers in the alerts file"
)
#: A reader's address that is a folder name as it is (the files channel's folders).
ADDRESS = re.compile(r"[\w.+-]+@[\w.-]+")
MIME = {
    "pdf": ("application", "pdf"),
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "html": ("text", "html"),
}


class PackReaders(BaseModel):
    """The ``packs`` section of the alerts file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Readers of the company pack.
    company: list[str] = Field(default_factory=list)
    #: Scope label (``team:华东一组``, ``rep:R001``, ``company``) -> readers, replacing the
    #: readers found in the data for that scope.
    readers: dict[str, list[str]] = Field(default_factory=dict)
    #: Formats sent (attached by email, linked in chat), of those rendered.
    formats: list[str] = Field(default_factory=lambda: list(DEFAULT_FORMATS))
    #: Base of the links chat and webhook channels post: ``<link_base>/<period>/<file>``;
    #: default: the file's path.
    link_base: str | None = None


@dataclass(frozen=True)
class PackDeliveryConfig:
    channels: list[ChannelConfig]
    readers: PackReaders = field(default_factory=PackReaders)


def load_delivery_config(path: Path | str | None, files_directory: Path) -> PackDeliveryConfig:
    """The channels and the ``packs`` section of the alerts file (None: files only)."""
    if path is None:
        return PackDeliveryConfig(load_channels(None, files_directory))
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SalesOpsError(
            f"{path}: the alerts file cannot be read ({exc})",
            "check the path given for the alerts file, and that it is valid UTF-8 YAML",
        ) from None
    section = data.pop("packs", None) if isinstance(data, dict) else None
    try:
        readers = PackReaders.model_validate(section or {})
    except ValidationError as exc:
        shown = "; ".join(f"packs.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SalesOpsError(
            f"{path}: the packs section is invalid: {shown}",
            "see docs/review-pack.md (Delivery) for its settings",
        ) from None
    for label in readers.readers:
        Scope.parse(label)  # a malformed scope fails here, not at delivery
    channels = parse_channels(yaml.safe_dump(data, allow_unicode=True), str(path), path.parent)
    if not any(isinstance(c, FilesChannel) for c in channels):
        channels.append(FilesChannel(directory=Path(files_directory)))
    return PackDeliveryConfig(channels, readers)


# ----------------------------------------------------------------------------- readers


def _most_named_manager(members: Iterable[tuple], reps: dict[str, tuple]) -> str | None:
    """The rep most ``members`` name as manager (ties: the smallest rep id)."""
    counts = Counter(m[4] for m in members if m[4] in reps and m[4] != m[0])
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def pack_readers(
    con: duckdb.DuckDBPyConnection, scopes: Iterable[Scope], config: PackReaders
) -> dict[Scope, list[str]]:
    """Each scope's readers (email addresses), from the reps table and the alerts file."""
    rows = con.execute(
        "select rep_id, email, team, region, manager_id from marts.dim_sales_reps"
    ).fetchall()
    reps = {r[0]: r for r in rows}

    def email(rep_id: str | None) -> list[str]:
        found = reps.get(rep_id) if rep_id else None
        return [found[1]] if found and found[1] else []

    def team_manager(team: str) -> str | None:
        return _most_named_manager([r for r in rows if r[2] == team], reps)

    out: dict[Scope, list[str]] = {}
    for scope in scopes:
        if scope.label in config.readers:
            readers = list(config.readers[scope.label])
        elif scope.level == "company":
            readers = list(config.company)
        elif scope.level == "rep":
            readers = email(scope.scope_id)
        elif scope.level == "team":
            readers = email(team_manager(scope.scope_id))
        else:
            teams = sorted({r[2] for r in rows if r[3] == scope.scope_id and r[2]})
            managers = [reps[m] for m in (team_manager(t) for t in teams) if m]
            readers = email(_most_named_manager(managers, reps))
        out[scope] = list(dict.fromkeys(a for a in readers if a))
    return out


# ----------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class PackDelivery:
    """One file of one pack, to one reader, on one channel."""

    period: str
    scope: str
    recipient: str
    channel: str
    channel_type: str
    file_name: str
    file_sha256: str
    ok: bool
    attempts: int
    error: str | None = None
    skipped: bool = False  # delivered before: not sent again


#: Members of an .xlsx that only hold when the workbook was written (not what it says).
XLSX_VOLATILE = frozenset({"docProps/core.xml"})


def sha256_of(path: Path) -> str:
    """The SHA-256 of what the file says: a workbook's members (not the zip's timestamps or
    its write time, which change each time the same workbook is written); else the bytes."""
    path = Path(path)
    if path.suffix != ".xlsx":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as book:
        for name in sorted(book.namelist()):
            if name not in XLSX_VOLATILE:
                digest.update(name.encode() + b"\0" + book.read(name) + b"\0")
    return digest.hexdigest()


def _delivered(con: duckdb.DuckDBPyConnection, period: str) -> set[tuple]:
    rows = con.execute(
        """select scope, recipient, channel, file_name, file_sha256 from meta.pack_deliveries
           where period = ? and ok""",
        [period],
    ).fetchall()
    return set(rows)


# ----------------------------------------------------------------------------- sending


def _files(pack: RenderedPack, formats: Sequence[str]) -> list[Path]:
    return [pack.files[f] for f in formats if f in pack.files]


def _link(path: Path, period: str, base: str | None) -> str:
    return f"{base.rstrip('/')}/{period}/{path.name}" if base else str(path)


def _message(pack: RenderedPack, files: list[Path], readers: list[str], base: str | None):
    key = f"review-pack_{pack.period}_{pack.scope.slug}"
    links = [_link(p, pack.period, base) for p in files]
    text = f"{pack.title}\n\n" + "\n".join(links)
    return Message(
        subject=pack.title,
        text=text,
        payload={
            "period": pack.period,
            "scope": pack.scope.label,
            "files": [p.name for p in files],
            "links": links,
        },
        recipients=readers,
        kind=f"review_pack_{pack.scope.level}",
        key=key if KEY.match(key) else file_part(key),
    )


def _send_email(
    message: Message,
    channel: EmailChannel,
    files: list[Path],
    attempts: int,
    base_delay: float,
    sleep: Callable[[float], None],
) -> tuple[bool, int, str | None]:
    """One mail to the message's readers with ``files`` attached (the alerts' SMTP sender)."""
    login = None
    if channel.username_env and channel.password_env:
        user, password = os.environ.get(channel.username_env), os.environ.get(channel.password_env)
        if not user or not password:
            return (
                False,
                0,
                (
                    f"environment variable {channel.username_env} or {channel.password_env} is "
                    f"not set (channel {channel.name!r} reads its SMTP login from them)"
                ),
            )
        login = (user, password)
    context = None
    if channel.security != "none":
        context = ssl.create_default_context(
            cafile=str(channel.ca_file) if channel.ca_file else None
        )
    mail = email_message(message, channel.sender, message.recipients)
    for path in files:
        maintype, subtype = MIME.get(path.suffix.lstrip("."), ("application", "octet-stream"))
        mail.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    envelope = [addr for _, addr in getaddresses(message.recipients) if addr]
    for attempt in range(1, attempts + 1):
        try:
            _send_mail(channel, context, mail, envelope, login)
        except Exception as exc:  # noqa: BLE001 - classified, never raised
            error = _classify(exc)
            if login:
                error.args = (str(error).replace(login[1], "***"),)
            if not error.retry or attempt == attempts:
                return False, attempt, str(error)
            sleep(base_delay * 2 ** (attempt - 1))
        else:
            return True, attempt, None
    raise AssertionError("unreachable")  # pragma: no cover


def _copy_files(message: Message, channel: FilesChannel, reader: str, files: list[Path]):
    """The files channel: the message and a copy of the files in the reader's folder."""
    address = parseaddr(reader)[1] or reader
    folder = channel.directory / (address if ADDRESS.fullmatch(address) else file_part(address))
    results = deliver([message], [channel.model_copy(update={"directory": folder})])
    ok = all(r.ok for r in results)
    error = "; ".join(r.error for r in results if r.error) or None
    if ok:
        try:
            for path in files:
                shutil.copyfile(path, folder / path.name)
        except OSError as exc:
            return False, 1, f"{type(exc).__name__}: {exc}"
    return ok, 1, error


def deliver_packs(
    warehouse_path: Path,
    packs: Iterable[RenderedPack],
    config: PackDeliveryConfig,
    *,
    resend: bool = False,
    attempts: int = 3,
    base_delay_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
    lock_wait_seconds: float = 0.0,
    min_free_mb: int = 0,
) -> list[PackDelivery]:
    """Send each pack to its scope's readers on every channel; record it in the warehouse.

    Only the packs in :attr:`PackReaders.formats` are sent (one language: the first pack of
    a scope). Never raises for a failed delivery: it becomes a row with the error.

    ``warehouse_path`` is the live warehouse (``HOME/warehouse.duckdb``). Delivery is a
    writer like a nightly run: it holds the writer lock while it reads the ledger, sends and
    records (so a night never publishes under it, and two deliveries never send the same file
    twice), and writes the ledger on a copy published in one rename
    (:func:`pipelines.warehouse.resource.writer_copy`). A run holding the lock longer than
    ``lock_wait_seconds`` raises :class:`WarehouseBusy` before anything is sent; a delivery
    that dies mid-way leaves the warehouse as it was (what it had sent is sent again next
    time, rather than recorded in part).
    """
    now = now or datetime.now(UTC)
    chosen: dict[Scope, RenderedPack] = {}
    for pack in packs:
        chosen.setdefault(pack.scope, pack)
    warehouse_path = Path(warehouse_path)
    periods = ", ".join(sorted({pack.period for pack in chosen.values()})) or "no period"
    try:
        # under the writer lock from the first read of the ledger to its last row, on a copy
        # published only when every row is in it
        with (
            writer_copy(
                warehouse_path,
                f"pack-delivery-{now:%Y%m%dT%H%M%S%f}",
                wait_seconds=lock_wait_seconds,
                min_free_mb=min_free_mb,
            ) as copy,
            duckdb.connect(str(copy)) as con,
        ):
            return _deliver_all(
                con, chosen, config, resend, attempts, base_delay_seconds, sleep, now
            )
    except WarehouseBusy:
        raise WarehouseBusy(
            f"the review packs of {periods} were not sent: a run is writing to the warehouse "
            f"in {warehouse_path.parent} (waited {lock_wait_seconds:g}s; only one writer at a "
            "time); nothing was sent and nothing changed",
            "send them once the run has finished: materialise the pack partition again (what "
            "was delivered before is not sent twice), or let delivery wait longer (run config "
            "lock_wait_seconds)",
        ) from None


def _deliver_all(
    con: duckdb.DuckDBPyConnection,
    chosen: dict[Scope, RenderedPack],
    config: PackDeliveryConfig,
    resend: bool,
    attempts: int,
    base_delay_seconds: float,
    sleep: Callable[[float], None],
    now: datetime,
) -> list[PackDelivery]:
    """Send every chosen pack and write its ledger rows with ``con`` (the delivery's copy)."""
    formats = config.readers.formats
    con.execute("create schema if not exists meta")
    con.execute(PACK_DELIVERIES_DDL)
    readers = pack_readers(con, chosen, config.readers)
    done = {p: _delivered(con, p) for p in {pack.period for pack in chosen.values()}}
    results: list[PackDelivery] = []
    for scope, pack in chosen.items():
        files = _files(pack, formats)
        if not files:
            continue
        hashes = {p: sha256_of(p) for p in files}
        if not readers[scope]:  # told, not dropped: the run summary lists it
            results += [
                PackDelivery(pack.period, scope.label, NO_READER, "-", "-", p.name,
                             hashes[p], False, 0, f"{scope.label} has no reader: {FIX}")
                for p in files
            ]  # fmt: skip
        for channel in config.channels:
            results += _deliver_scope(
                pack,
                files,
                hashes,
                readers[scope],
                channel,
                config,
                done[pack.period],
                resend,
                attempts,
                base_delay_seconds,
                sleep,
            )
    rows = [
        [
            now,
            r.period,
            r.scope,
            r.recipient,
            r.channel,
            r.channel_type,
            r.file_name,
            r.file_sha256,
            r.ok,
            r.attempts,
            r.error,
        ]
        for r in results
        if not r.skipped
    ]
    if rows:
        con.executemany(f"insert into meta.pack_deliveries values ({', '.join(['?'] * 11)})", rows)
    return results


def _deliver_scope(
    pack: RenderedPack,
    files: list[Path],
    hashes: dict[Path, str],
    readers: list[str],
    channel: ChannelConfig,
    config: PackDeliveryConfig,
    done: set[tuple],
    resend: bool,
    attempts: int,
    base_delay: float,
    sleep: Callable[[float], None],
) -> list[PackDelivery]:
    scope = pack.scope.label
    kind = f"review_pack_{pack.scope.level}"
    if isinstance(channel, EmailChannel | FilesChannel):
        targets = readers if channel.accepts(kind) else []
    else:  # a shared chat channel or webhook: only the kinds it lists
        targets = [f"channel:{channel.name}"] if kind in (channel.kinds or []) else []
    out: list[PackDelivery] = []
    for reader in targets:
        todo = [
            p
            for p in files
            if resend or (scope, reader, channel.name, p.name, hashes[p]) not in done
        ]
        if not todo:
            out += [
                PackDelivery(
                    pack.period,
                    scope,
                    reader,
                    channel.name,
                    channel.type,
                    p.name,
                    hashes[p],
                    True,
                    0,
                    skipped=True,
                )
                for p in files
            ]
            continue
        message = _message(pack, todo, [reader], config.readers.link_base)
        if isinstance(channel, EmailChannel):
            ok, tries, error = _send_email(message, channel, todo, attempts, base_delay, sleep)
        elif isinstance(channel, FilesChannel):
            ok, tries, error = _copy_files(message, channel, reader, todo)
        else:
            message.recipients = []
            result = deliver(
                [message],
                [channel],
                attempts=attempts,
                base_delay_seconds=base_delay,
                sleep=sleep,
            )[0]
            ok, tries, error = result.ok, result.attempts, result.error
        out += [
            PackDelivery(
                pack.period,
                scope,
                reader,
                channel.name,
                channel.type,
                p.name,
                hashes[p],
                ok,
                tries,
                error,
            )
            for p in todo
        ]
    return out


def summarise_deliveries(results: Iterable[PackDelivery]) -> dict[str, Any]:
    results = list(results)
    return {
        "sent": sum(1 for r in results if r.ok and not r.skipped),
        "skipped": sum(1 for r in results if r.skipped),
        "failed": sum(1 for r in results if not r.ok),
        "failures": [
            f"{r.channel}: {r.scope} -> {r.recipient}: {r.error}" for r in results if not r.ok
        ],
    }
