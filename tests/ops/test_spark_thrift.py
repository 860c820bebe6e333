"""The dbt project through a real Spark Thrift server (dbt target ``spark_thrift``).

A Spark Thrift server is started from the pyspark wheel (HiveThriftServer2, bound to 127.0.0.1
on a free port, session time zone UTC, ANSI mode on from the start: the server ignores dbt's
server-side parameters), dbt builds the staging models and the chain of ``dim_sales_reps``
through it from a lake of the shared small night, and every relation it built equals the DuckDB
night's (pipelines/transform/engines.py), read back through the server (PyHive, the driver
dbt-spark uses). The server is stopped in teardown, whatever the test did.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import engines, spark_marts
from pipelines.warehouse import lake
from tests.conftest import SMALL_NIGHT
from tests.ops.test_spark_night import DuckDBAsSpark, column_types, require_spark
from tests.support.dbt_warehouse import PROJECT_DIR

#: What dbt builds through the server: every staging model and one mart with its upstream.
SELECTION = ("path:models/staging", "+dim_sales_reps")

#: How long the server may take to listen (a JVM start on a busy machine).
START_SECONDS = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_submit() -> str:
    return str(Path(sys.executable).parent / "spark-submit")


def start_thrift_server(folder: Path, port: int) -> subprocess.Popen:
    """HiveThriftServer2 from the pyspark wheel, its metastore and tables under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        spark_submit(),
        "--class",
        "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--master",
        "local[2]",
        "--name",
        "salesops-thrift-test",
        "--conf",
        "spark.sql.session.timeZone=UTC",
        "--conf",
        "spark.sql.ansi.enabled=true",
        "--conf",
        "spark.sql.shuffle.partitions=1",
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        f"spark.sql.warehouse.dir={folder}/warehouse",
        "--conf",
        f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={folder}/"
        "metastore_db;create=true",
        "--driver-java-options",
        f"-Dderby.system.home={folder}",
        "--hiveconf",
        f"hive.server2.thrift.port={port}",
        "--hiveconf",
        "hive.server2.thrift.bind.host=127.0.0.1",
        "spark-internal",
    ]
    log = (folder / "server.log").open("wb")
    env = {**os.environ, "SPARK_LOG_DIR": str(folder), "SPARK_NO_DAEMONIZE": "1"}
    # its own process group: teardown stops the JVM and whatever the launcher started
    return subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def wait_listening(server: subprocess.Popen, port: int, folder: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = (folder / "server.log").read_text(errors="replace")[-3000:]
            pytest.fail(f"the Thrift server exited ({server.returncode}):\n{log}")
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(1)
    pytest.fail(f"the Thrift server did not listen on {port} within {START_SECONDS}s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class ThriftAsSpark:
    """The server read through the `spark.sql(...)` interface engines.compare_relation uses,
    values as pyspark gives them: DATE a date, TIMESTAMP an instant (UTC), DECIMAL a Decimal."""

    def __init__(self, port: int) -> None:
        from pyhive import hive

        self.con = hive.connect(host="127.0.0.1", port=port, username="salesops")

    def sql(self, query: str):
        cursor = self.con.cursor()
        cursor.execute(query)
        description = cursor.description
        rows = [
            tuple(_value(v, d[1]) for v, d in zip(row, description, strict=True))
            for row in cursor.fetchall()
        ]

        class Frame:
            pass

        frame = Frame()
        frame.columns = [d[0].split(".")[-1] for d in description]
        frame.collect = lambda: rows
        return frame


def _value(value, type_code: str):
    if value is None:
        return None
    if type_code == "DATE_TYPE":
        return dt.date.fromisoformat(value)
    if type_code == "TIMESTAMP_TYPE":
        stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        return stamp.replace(tzinfo=dt.UTC)
    if type_code == "DECIMAL_TYPE" and not isinstance(value, Decimal):
        return Decimal(value)
    return value


@pytest.fixture(scope="module")
def thrift_build(small_night, tmp_path_factory: pytest.TempPathFactory):
    require_spark()
    from dbt.cli.main import dbtRunner

    root = tmp_path_factory.mktemp("spark_thrift")
    lake_dir = root / "lake"
    warehouse = Path(small_night["home"]) / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse), read_only=True)  # the shared night: read only
    try:
        con.execute("set TimeZone = 'UTC'")
        lake.sync(con, str(lake_dir))
    finally:
        con.close()
    port = free_port()
    server = start_thrift_server(root / "server", port)
    try:
        wait_listening(server, port, root / "server")
        run_vars = {
            "as_of_date": SMALL_NIGHT.isoformat(),
            "load_id": 1,
            "lake_dir": str(lake_dir),
        }
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SALESOPS_SPARK_HOST", "127.0.0.1")
            mp.setenv("SALESOPS_SPARK_PORT", str(port))
            mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)
            result = dbtRunner().invoke(
                [
                    "run",
                    "--target",
                    "spark_thrift",
                    "--select",
                    *SELECTION,
                    "--project-dir",
                    str(PROJECT_DIR),
                    "--profiles-dir",
                    str(PROJECT_DIR),
                    "--target-path",
                    str(root / "dbt_target"),
                    "--log-path",
                    str(root / "dbt_logs"),
                    "--vars",
                    json.dumps(run_vars),
                    "--quiet",
                ]
            )
        models = [
            spark_marts.Model(r.node.unique_id, r.node.schema, r.node.alias or r.node.name)
            for r in result.result or []
            if r.status == "success" and r.node.resource_type == "model"
        ]
        built = [m.name for m in models]
        failed = [(r.node.name, r.message) for r in result.result or [] if r.status != "success"]
        yield {
            "success": result.success,
            "exception": result.exception,
            "built": built,
            "models": models,
            "spark_warehouse": str(root / "server" / "warehouse"),
            "root": root,
            "failed": failed,
            "spark": ThriftAsSpark(port),
            "warehouse": warehouse,
        }
    finally:
        stop(server)


def test_the_build_through_the_thrift_server_succeeds(thrift_build) -> None:
    assert thrift_build["success"], thrift_build["exception"] or thrift_build["failed"]
    assert "dim_sales_reps" in thrift_build["built"]
    assert len(thrift_build["built"]) >= 30


def test_ansi_mode_and_utc_hold_on_the_server(thrift_build) -> None:
    rows = thrift_build["spark"].sql(
        "select current_timezone(), cast(to_timestamp('2026-01-01 00:00:00') as string)"
    )
    assert rows.collect() == [("UTC", "2026-01-01 00:00:00")]
    with pytest.raises(Exception, match="CAST_INVALID_INPUT|cannot be cast"):
        thrift_build["spark"].sql("select cast('x' as int)")


def test_what_the_server_built_equals_duckdb(thrift_build) -> None:
    built = set(thrift_build["built"])
    diffs = engines.compare_engines(
        thrift_build["warehouse"],
        thrift_build["spark"],
        ["staging", "intermediate", "marts"],
        models=sorted(built),
    )
    text = engines.report(diffs, "relations built through Thrift")
    print(text)
    assert {d.relation.split(".")[1] for d in diffs} == built, text
    assert all(d.identical for d in diffs), text


def test_brought_back_from_the_servers_files_with_duckdbs_types(thrift_build) -> None:
    """What a spark_thrift night does with the tables the server built: read from the server's
    warehouse folder (SALESOPS_SPARK_WAREHOUSE_DIR) into DuckDB, cast to DuckDB's types (here
    the DuckDB night's own relations give them); equal to the DuckDB night, types included."""
    copy = thrift_build["root"] / "brought_back.duckdb"
    con = duckdb.connect(str(copy))
    shape = duckdb.connect(str(thrift_build["warehouse"]), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        rows = spark_marts.bring_back(
            con, shape, thrift_build["spark_warehouse"], thrift_build["models"]
        )
    finally:
        shape.close()
        con.close()
    assert set(rows) == {m.relation for m in thrift_build["models"]}
    diffs = engines.compare_engines(
        thrift_build["warehouse"],
        DuckDBAsSpark(copy),
        ["staging", "intermediate", "marts"],
        models=thrift_build["built"],
    )
    text = engines.report(diffs, "relations brought back")
    assert len(diffs) == len(thrift_build["built"]), text
    assert all(d.identical for d in diffs), text
    for schema in ("staging", "intermediate", "marts"):
        duck = column_types(thrift_build["warehouse"], schema)
        back = column_types(copy, schema)
        assert back == {name: duck[name] for name in back}, schema
