"""The ``salesops`` command line: the composition root.

It reads the settings once per command and passes them on. Each command imports the area it
drives inside its function, so that ``salesops --help`` and quick commands do not load Dagster,
dbt and the pack renderer (several seconds); nothing below the CLI imports lazily.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

import click

from pipelines.core.errors import SalesOpsError
from pipelines.core.progress import printable
from pipelines.core.settings import Settings


def _date(ctx, param, value):  # noqa: ARG001 - click callback signature
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-09-30") from None


@click.group()
def main() -> None:
    """Sales-operations warehouse: nightly exports -> DuckDB -> checks -> marts -> review packs."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def _settings() -> Settings:
    """The command's settings: read from the environment once, then passed to what it calls."""
    ctx = click.get_current_context()
    if not isinstance(ctx.find_root().obj, Settings):
        ctx.find_root().obj = Settings()
    return ctx.find_root().obj


@main.command("demo-data")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=7, show_default=True, help="Random seed; same seed, same bytes.")
@click.option("--scale", default=1.0, show_default=True, help="Size multiplier (1 = ~2,000 deals).")
@click.option(
    "--end-date",
    callback=_date,
    default="2026-09-30",
    show_default=True,
    help="Last business date in the demo history.",
)
def demo_data(out_dir: Path, seed: int, scale: float, end_date: date) -> None:
    """Write one nightly drop of realistic demo exports (with documented defects) to OUT_DIR."""
    from pipelines.demo import generate_drop

    started = time.perf_counter()
    manifest = generate_drop(out_dir, seed=seed, scale=scale, end_date=end_date)
    files = sorted(p.name for p in out_dir.glob("*.csv"))
    click.echo(
        f"wrote {len(files)} export files to {out_dir} "
        f"({time.perf_counter() - started:.1f}s), "
        f"{len(manifest['defects'])} injected defects listed in {out_dir / '_defects.json'}"
    )


@main.command()
@click.option(
    "--inbox",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder with the night's export files.",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Warehouse home (warehouse.duckdb, runs/, reports/). "
    "Default: $SALESOPS_HOME or ./.salesops in the project.",
)
@click.option(
    "--as-of",
    "as_of",
    callback=_date,
    default=None,
    help="Business date the drop represents (data up to the end of that day). "
    "Default: yesterday in the business timezone.",
)
@click.option(
    "--profile",
    default=None,
    help="Mapping profile: a shipped name (see `salesops profile list`) or a YAML path. "
    "Default: $SALESOPS_PROFILE or canonical.",
)
def run(inbox: Path, home: Path | None, as_of: date | None, profile: str | None) -> None:
    """Load one drop: ingest, validate, build the marts, render the quarter's review pack."""
    from pipelines.ingest.profiles.loader import load_profile
    from pipelines.ops.runner import run_nightly

    if profile:
        load_profile(profile)  # a broken profile fails here, before any run starts
    summary = run_nightly(
        inbox=inbox, home=home, as_of=as_of, profile=profile, settings=_settings()
    )
    sys.exit(0 if summary["status"] == "success" else 1)


@main.command()
@click.option(
    "--from",
    "start",
    callback=_date,
    required=True,
    help="First business date to load (YYYY-MM-DD).",
)
@click.option(
    "--to", "end", callback=_date, required=True, help="Last business date to load (YYYY-MM-DD)."
)
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Inbox root holding one folder per business date (YYYY-MM-DD). "
    "Default: $SALESOPS_INBOX_ROOT or HOME/inbox.",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Warehouse home. Default: $SALESOPS_HOME or ./.salesops in the project.",
)
@click.option("--profile", default=None, help="Mapping profile (as for `salesops run`).")
def backfill(
    start: date, end: date, inbox: Path | None, home: Path | None, profile: str | None
) -> None:
    """Load the drops of business dates --from to --to in date order, one load per date.

    Dates without a drop folder are skipped with a notice; the first failed date stops the
    backfill with the dates loaded so far and the command that resumes it.
    """
    from pipelines.ingest.profiles.loader import load_profile
    from pipelines.ops.backfill import run_backfill

    if profile:
        load_profile(profile)
    settings = _settings()
    home = _home(home)
    default_root = Path(settings.inbox_root) if settings.inbox_root else home / "inbox"
    root = (inbox or default_root).expanduser().resolve()
    result = run_backfill(
        root, start, end, home, profile=profile, echo=click.echo, settings=settings
    )
    sys.exit(0 if result.ok else 1)


@main.command()
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Warehouse home holding warehouse.duckdb.",
)
@click.option(
    "--period", default=None, help="Period to report: a quarter (2026Q3) or a month (2026-07)."
)
@click.option("--quarter", default=None, help="Same as --period, for a quarter (kept for scripts).")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="company, region:NAME, team:NAME or rep:REP_ID (repeatable). "
    "Default: every scope with figures for the period, plus an index page.",
)
@click.option("--lang", default="en", show_default=True, help="Language(s): en, zh or en,zh.")
@click.option(
    "--format",
    "formats",
    default="html",
    show_default=True,
    help="Format(s), comma-separated: html, pdf, xlsx.",
)
@click.option(
    "--as-of",
    "as_of",
    callback=_date,
    default=None,
    help="Render the packs as reported on this date: the marts rebuilt as of it (with the "
    "metric parameters then in force) in a temporary warehouse. Default period: the quarter "
    "holding the date.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder. Default: HOME/reports/<period>/ "
    "(with --as-of: HOME/reports/<period>/as-of-<date>/).",
)
def report(
    home: Path | None,
    period: str | None,
    quarter: str | None,
    scopes: tuple[str, ...],
    lang: str,
    formats: str,
    as_of: date | None,
    out_dir: Path | None,
) -> None:
    """Render review packs (HTML, PDF, Excel) from the warehouse as it is now, or as it was
    reported on a past date (--as-of)."""
    import tempfile

    from pipelines.core.metric_params import fiscal_year_start_month
    from pipelines.core.periods import fiscal_quarter_of, parse_period
    from pipelines.packs.scope import Scope
    from pipelines.transform.as_of import rebuild_as_of, recorded_params

    settings = _settings()
    home = (home or Path(settings.home)).expanduser().resolve()
    warehouse = home / "warehouse.duckdb"
    text = period or quarter
    hint = "--period" if period else "--quarter"
    if text is None and as_of is not None and warehouse.exists():
        recorded = recorded_params(warehouse, as_of)
        fiscal_start = (
            recorded[1]["fiscal_year_start_month"]
            if recorded
            else fiscal_year_start_month(home, settings.metrics_config)
        )
        text = fiscal_quarter_of(as_of, fiscal_start).label
    if text is None:
        raise click.UsageError("give --period, like --period 2026Q3 or --period 2026-07")
    try:
        label = parse_period(text.strip().upper()).label
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None
    try:
        chosen = [Scope.parse(s) for s in scopes] or None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scope") from None
    if not warehouse.exists():
        raise click.ClickException(
            f"no warehouse at {warehouse}. Fix: run `salesops run --inbox DIR --home {home}` first."
        )
    with tempfile.TemporaryDirectory(prefix="salesops-report-as-of-") as tmp:
        if as_of is not None:  # the marts as that night built them, in a throwaway copy
            warehouse = rebuild_as_of(
                warehouse, as_of, Path(tmp) / "warehouse.duckdb", settings=settings, home=home
            )
            out_dir = out_dir or home / "reports" / label / f"as-of-{as_of.isoformat()}"
        packs, index = _render_report(
            warehouse,
            label,
            out_dir or home / "reports" / label,
            chosen,
            [x.strip() for x in lang.split(",") if x.strip()],
            formats.split(","),
            as_of,
            settings,
        )
    for pack in packs:
        for path in pack.files.values():
            click.echo(f"review pack: {path}")
    click.echo(f"index: {index}")


def _render_report(warehouse, label, out_dir, scopes, langs, formats, as_of, settings):
    from pipelines.packs import render_period
    from pipelines.packs.render import PackOptions

    try:
        return render_period(
            warehouse,
            label,
            out_dir,
            scopes=scopes,
            langs=langs,
            formats=formats,
            as_of_date=as_of,
            options=PackOptions(
                reporting_currency=settings.reporting_currency,
                wan_units=settings.report_wan_units,
                unmask_contacts=settings.report_unmask_contacts,
            ),
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def expectations() -> None:
    """Great Expectations suites under expectations/."""


@expectations.command("write")
def expectations_write() -> None:
    """(Re)write the baseline suites from the contract (overwrites local edits)."""
    from pipelines.ingest.checks.suites import write_suites

    for path in write_suites():
        click.echo(f"wrote {path}")


@main.group()
def profile() -> None:
    """Mapping profiles: how vendor exports map onto the canonical contract."""


@profile.command("list")
def profile_list() -> None:
    """List the shipped profiles."""
    from pipelines.ingest.profiles.loader import load_profile, shipped_profiles

    for name, path in shipped_profiles().items():
        click.echo(f"{name:<12} {load_profile(name).description}  ({path.name})")


@profile.command("check")
@click.option("--profile", "name", required=True, help="Shipped profile name or YAML path.")
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Folder with export files to check.",
)
def profile_check(name: str, inbox: Path) -> None:
    """Show how PROFILE reads each file in INBOX (mapping, unmapped columns, bad values).

    Loads nothing. Exits 1 when a file would be rejected whole, or when no file of
    INBOX is an entity of PROFILE (it then says which known export the folder looks like).
    """
    from pipelines.ingest.profiles.check import check_inbox, nothing_matched, render
    from pipelines.ingest.profiles.loader import load_profile

    loaded = load_profile(name)
    checks = check_inbox(inbox, loaded, _settings().business_timezone)
    click.echo(render(checks, loaded, inbox), nl=False)
    if nothing_matched(checks) or any(c.entity and c.rejected for c in checks):
        sys.exit(1)


def entrypoint() -> None:
    """Console-script entry: user-fixable errors print their fix, not a traceback."""
    try:
        main()
    except SalesOpsError as exc:
        click.echo(f"error: {printable(exc, keep_newlines=True)}", err=True)
        sys.exit(1)


def _home(home: Path | None) -> Path:

    return (home or Path(_settings().home)).expanduser().resolve()


@main.command("backup")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Warehouse home holding warehouse.duckdb.",
)
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Backup file. Default: HOME/backups/warehouse-<UTC time>.duckdb.",
)
def backup_command(home: Path | None, target: Path | None) -> None:
    """Copy the warehouse to a backup file (waits for no run: refuses while one writes)."""
    from pipelines.warehouse.backup import backup

    info = backup(_home(home), target)
    click.echo(
        f"backup: {info.path} ({info.size_bytes / 2**20:.1f} MiB, {info.loads} loads, "
        f"latest business date {info.latest_as_of})"
    )


@main.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Warehouse home whose warehouse.duckdb is replaced.",
)
def restore_command(backup_file: Path, home: Path | None) -> None:
    """Replace the warehouse with BACKUP_FILE (the current file is kept under backups/)."""
    from pipelines.warehouse.backup import restore

    info = restore(_home(home), backup_file)
    click.echo(
        f"restored {info.path} ({info.loads} loads, latest business date "
        f"{info.latest_as_of}); the previous warehouse is in backups/pre-restore-*.duckdb"
    )


@main.command("rebuild")
@click.option(
    "--as-of",
    "as_of",
    required=True,
    callback=_date,
    help="Business date (YYYY-MM-DD) to rebuild the marts as of, e.g. a quarter end.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File for the rebuilt copy. Default: HOME/as-of/warehouse-<date>.duckdb.",
)
@click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path), default=None, help="Warehouse home."
)
def rebuild_command(as_of: date, out_path: Path | None, home: Path | None) -> None:
    """Rebuild the marts as the warehouse stood on a past date, in a copy (the warehouse
    itself is only read): the numbers reported then, whatever arrived since."""
    from pipelines.transform.as_of import rebuild_as_of

    home = _home(home)
    out_path = out_path or home / "as-of" / f"warehouse-{as_of.isoformat()}.duckdb"
    path = rebuild_as_of(
        home / "warehouse.duckdb", as_of, out_path, settings=_settings(), home=home
    )
    click.echo(f"marts as of {as_of}: {path}")


@main.command("status")
@click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path), default=None, help="Warehouse home."
)
@click.option("--runs", "limit", default=10, show_default=True, help="How many runs to list.")
def status_command(home: Path | None, limit: int) -> None:
    """Show the last runs, the open data-quality findings and whether a run is writing."""
    from pipelines.ops.status import format_status

    click.echo(format_status(_home(home), limit, settings=_settings()))


@main.group()
def lake() -> None:
    """The lake: published raw and meta rows as Parquet, per load, for other engines."""


@lake.command("sync")
@click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path), default=None, help="Warehouse home."
)
@click.option(
    "--lake",
    "target",
    default=None,
    help="Lake folder or object-store URL. Default: SALESOPS_LAKE_DIR.",
)
@click.option(
    "--wait",
    "wait_seconds",
    default=0.0,
    show_default=True,
    help="Seconds to wait for a run that is writing the warehouse.",
)
def lake_sync(home: Path | None, target: str | None, wait_seconds: float) -> None:
    """Bring the lake up to date with the warehouse: write the loads it lacks, rewrite what
    changed, remove loads the warehouse no longer has (the nightly run does it when
    SALESOPS_LAKE_DIR is set)."""
    from pipelines.core.progress import say
    from pipelines.warehouse import lake as lake_area
    from pipelines.warehouse.resource import WAREHOUSE_FILE, configure_connection

    settings = _settings()
    target = target or settings.lake_dir
    if not target:
        raise SalesOpsError(
            "no lake location is set",
            "set SALESOPS_LAKE_DIR (the nightly run then keeps the lake up to date too), "
            "or pass --lake DIR",
        )
    with lake_area.live_reader(_home(home) / WAREHOUSE_FILE, wait_seconds) as con:
        configure_connection(con, settings)
        done = lake_area.sync(con, target, echo=lambda line: say("lake", line))
    click.echo(
        f"lake {printable(target)}: {done.loads} loads; {done.written} partitions written "
        f"({done.rows:,} rows), {done.removed} removed, in {done.seconds:g}s"
    )


@main.group()
def engines() -> None:
    """The dbt project on DuckDB and on Spark (docs/scale-out.md)."""


@engines.command("compare")
@click.option(
    "--duckdb",
    "duckdb_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The DuckDB warehouse dbt built (e.g. HOME/warehouse.duckdb).",
)
@click.option(
    "--spark-dir",
    default=lambda: os.environ.get("SALESOPS_SPARK_DIR", "dbt_project/target/spark"),
    show_default="SALESOPS_SPARK_DIR",
    help="Folder of the Spark metastore and tables (as for dbt's spark target).",
)
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    default=("marts",),
    show_default=True,
    help="Schema(s) to compare (repeatable).",
)
@click.option("--model", "models", multiple=True, help="Only these relations (repeatable).")
def engines_compare(
    duckdb_path: Path, spark_dir: str, schemas: tuple[str, ...], models: tuple[str, ...]
) -> None:
    """Compare every relation DuckDB and Spark built, row by row (doubles at 6 decimals,
    timestamps in UTC): prints the differing rows and `N/N <schema> identical`."""
    from pipelines.transform import engines as engines_area

    try:
        spark = engines_area.spark_session(spark_dir)
    except RuntimeError as exc:
        raise SalesOpsError(str(exc), engines_area.INSTALL_HINT) from exc
    diffs = engines_area.compare_engines(duckdb_path, spark, schemas, models)
    click.echo(engines_area.report(diffs, "/".join(schemas)))
    if not all(d.identical for d in diffs):
        raise SystemExit(1)


@main.group()
def alerts() -> None:
    """Data-quality alerts (digests per rep, team roll-ups, the sales-ops summary)."""


@alerts.command("preview")
@click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path), default=None, help="Warehouse home."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the rendered alerts. Default: HOME/alerts/preview/.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Default: SALESOPS_ALERT_LANGUAGE.",
)
def alerts_preview(home: Path | None, out_dir: Path | None, lang: str | None) -> None:
    """Render tonight's alerts from the warehouse as it is now, without sending or recording
    anything: one .txt, .html and .json per message."""
    import json

    import duckdb

    from pipelines.alerts.channels import load_channels
    from pipelines.alerts.defs import alerts_config_path, ops_addresses
    from pipelines.alerts.digest import plan_alerts
    from pipelines.alerts.mutes import load_mutes, mutes_path
    from pipelines.alerts.recipients import Languages, load_languages
    from pipelines.alerts.reminders import plan_overdue_reminders
    from pipelines.warehouse.schema import fetch_first

    settings = _settings()
    home = _home(home)
    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        raise click.ClickException(
            f"no warehouse at {warehouse}. Fix: run `salesops run --inbox DIR --home {home}` first."
        )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = fetch_first(con, "select max(as_of_date) from meta.loads where status = 'complete'")
        if not row or row[0] is None:
            raise click.ClickException(f"{warehouse} holds no complete load yet")
        alerts_file = alerts_config_path(home, settings.alerts_config)
        # --lang: every message in that language; else each recipient's (alerts.yaml)
        languages = (
            Languages(lang) if lang else load_languages(alerts_file, settings.alert_language)
        )
        mutes = load_mutes(mutes_path(home))
        overdue = plan_overdue_reminders(
            con,
            row[0],
            reminder_days=settings.alert_reminder_days,
            escalate_after_days=settings.overdue_escalation_days,
            languages=languages,
            mutes=mutes,
        )
        plan = plan_alerts(
            con,
            row[0],
            reminder_days=settings.alert_reminder_days,
            languages=languages,
            mutes=mutes,
            ops_recipients=ops_addresses(load_channels(alerts_file, out_dir or home)),
            muted_receivables=overdue.muted,
        )
        plan.messages += overdue.messages
    finally:
        con.close()
    if plan.mutes_error:
        click.echo(f"nothing muted: {plan.mutes_error}", err=True)
    out = out_dir or home / "alerts" / "preview"
    out.mkdir(parents=True, exist_ok=True)
    for m in plan.messages:
        (out / f"{m.key}.txt").write_text(
            f"Subject: {m.subject}\nTo: {', '.join(m.recipients)}\n\n{m.text}", encoding="utf-8"
        )
        (out / f"{m.key}.html").write_text(m.html or "", encoding="utf-8")
        (out / f"{m.key}.json").write_text(
            json.dumps(m.payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        to = ", ".join(m.recipients) or "(channel default)"
        click.echo(f"{m.kind:<15} {m.key:<28} to {to}: {m.subject}")
    c = plan.counts
    click.echo(
        f"{len(plan.messages)} message(s) in {out}; findings: {c['open']} open, {c['new']} new, "
        f"{c['reminders']} reminder(s), {c['fixed']} fixed, {len(plan.muted)} muted. "
        "Nothing was sent."
    )


_HOME_OPTION = click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path), default=None, help="Warehouse home."
)


@alerts.command("mute")
@click.argument("target")
@click.option("--rule", default=None, help="Mute this rule for record TARGET (or --rep).")
@click.option("--entity", default=None, help="With --rule: the record's entity, if ambiguous.")
@click.option("--rep", is_flag=True, help="With --rule: TARGET is a rep id, not a record id.")
@click.option(
    "--overdue",
    is_flag=True,
    help="TARGET is an order id: mute its overdue-receivable reminders (all its receivables, "
    "or with --receivable one of them).",
)
@click.option("--receivable", default=None, help="With --overdue: the invoice (receivable) id.")
@click.option("--reason", required=True, help="Why (shown to sales ops every night).")
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day muted (YYYY-MM-DD). Default: 30 days from today; at most 180.",
)
@click.option("--by", "by", default=None, help="Who mutes it. Default: the user name.")
@_HOME_OPTION
def alerts_mute(target, rule, entity, rep, overdue, receivable, reason, until, by, home) -> None:
    """Mute finding TARGET (its id, as in meta.alert_log), or with --rule a rule for record
    (or --rep rep) TARGET, or with --overdue the overdue reminders of order TARGET: left out
    of the reps' alerts until --until, listed to sales ops."""
    import getpass
    from datetime import timedelta

    from pydantic import ValidationError

    from pipelines.alerts.mutes import (
        DEFAULT_MUTE_DAYS,
        OVERDUE_RULE,
        Mute,
        add_mute,
        mutes_path,
        overdue_id,
    )

    today = date.today()
    if receivable and not overdue:
        raise click.UsageError("--receivable needs --overdue")
    if overdue:
        if rule or rep or entity:
            raise click.UsageError("--overdue takes no --rule, --rep or --entity")
        if receivable:  # one receivable: its id, as in meta.alert_log
            target = overdue_id(target, receivable)
        else:  # every receivable of the order
            rule = OVERDUE_RULE
    fields = {"finding": target} if rule is None else {"rule": rule, "entity": entity}
    if rule is not None:
        fields["rep" if rep else "record"] = target
    elif rep or entity:
        raise click.UsageError("--rep and --entity need --rule")
    try:
        mute = Mute(
            **fields,
            reason=reason,
            until=until.date() if until else today + timedelta(days=DEFAULT_MUTE_DAYS),
            since=today,
            by=by or getpass.getuser(),
        )
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise click.UsageError(problems) from None
    path = mutes_path(_home(home))
    add_mute(path, mute)
    click.echo(f"muted {mute.target()} until {mute.until} ({path})")


@alerts.command("mutes")
@_HOME_OPTION
def alerts_mutes(home) -> None:
    """List the muted findings (an expired mute is marked EXPIRED: it alerts again)."""
    from pipelines.alerts.mutes import mutes_path, read_mutes

    path = mutes_path(_home(home))
    items = read_mutes(path)
    today = date.today()
    for m in items:
        state = "EXPIRED" if not m.valid_on(today) else "active "
        click.echo(f"{state} until {m.until}  {m.target()}  by {m.by or '-'}: {m.reason}")
    click.echo(f"{len(items)} mute(s) in {path}")


@alerts.command("unmute")
@click.argument("target")
@click.option("--rule", default=None, help="Only the mutes of this rule for record/rep TARGET.")
@_HOME_OPTION
def alerts_unmute(target, rule, home) -> None:
    """Remove the mutes of finding TARGET, or of record or rep TARGET."""
    from pipelines.alerts.mutes import mutes_path, remove_mutes

    path = mutes_path(_home(home))
    gone = remove_mutes(path, target, rule)
    if not gone:
        raise click.ClickException(f"no mute of {target} in {path}; see `salesops alerts mutes`")
    for m in gone:
        click.echo(f"unmuted {m.target()}")
