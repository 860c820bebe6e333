"""The real Dagster webserver serves the asset graph; headless Chromium renders it.

Needs Debian's chromium (scripts/test.sh installs it). The screenshot is kept in
test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.core.paths import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
    "--virtual-time-budget=30000",
]
PUBLIC_MARTS = (
    "fct_sales_performance",
    "fct_funnel_conversion",
    "fct_lead_sources",
    "fct_receivables_aging",
    "dq_findings",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str:
    found = shutil.which("chromium")
    if not found:
        pytest.fail("chromium is not installed: run `bash scripts/test.sh`, which installs it")
    return found


def render(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_asset_graph_renders_in_the_dagster_ui(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    (tmp_path / "dagster").mkdir()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5):
                    break
            except OSError:
                assert server.poll() is None, "dagster-webserver exited"
                assert time.monotonic() < deadline, "dagster-webserver did not come up"
                time.sleep(1)
        group = f"{base}/locations/salesops/asset-groups/marts"
        # The lineage view draws only the nodes in view; the list view names them all.
        # A tall window, so the list (virtualised too) draws every mart's row.
        dom = render(
            f"{group}/list", tmp_path / "p1", "--window-size=1600,9000", "--dump-dom"
        ).stdout
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dagster-asset-graph-marts.png"
        render(group, tmp_path / "p2", f"--screenshot={shot}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Asset Group" in dom, dom[:500]
    for mart in PUBLIC_MARTS:
        assert mart in dom, f"{mart} missing from the rendered asset graph"
    for failure in ("Could not load", "Something went wrong", "Unexpected error"):
        assert failure not in dom
    assert shot.exists() and shot.stat().st_size > 10_000
