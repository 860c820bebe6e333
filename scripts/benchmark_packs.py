"""Benchmark: every scope's quarterly pack (HTML + PDF + Excel, 中文) of the demo company.

Builds (or reuses, with ``--workdir``) a demo warehouse per scale: the demo drop of
``pipelines.demo`` at that scale, run through the real nightly job
(``pipelines.ops.runner.run_nightly``, business date 2026-09-30). Then renders the set of
2026Q3 with ``pipelines.packs.render_period`` (the warehouse read once, the packs laid out in
``--workers`` processes, default one per core) and prints scopes, files, seconds and the
ratio to the target (scale 1: 20 s; scale 10: 180 s), with the machine's load average.

``--engines`` then compares PDF engines on the company pack and the first rep's pack of
the set (the same HTML): WeasyPrint (the packs' engine) and headless Chromium (Debian's
``chromium``, one browser kept open, printing through the DevTools protocol) in pages per
second of one process, and whether the Chinese text is there (``pdftotext``) and in which
fonts (``pdffonts``: Chromium embeds the CFF-based Noto CJK as Type 3 glyphs). Typst is
reported when its Python package is importable (it lays out Typst markup, not HTML: it
would need a second layout of the pack).

Usage:
    python scripts/benchmark_packs.py [--scales 1,10] [--workdir DIR] [--workers N]
        [--engines]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 9, 30)
QUARTER = "2026Q3"
LANG = "zh"
TARGET_SECONDS = {1.0: 20.0, 10.0: 180.0}


def warehouse(work: Path, scale: float) -> Path:
    """The demo warehouse at ``scale`` under ``work`` (built by a nightly run if absent)."""
    from pipelines.demo import generate_drop
    from pipelines.ops.runner import run_nightly

    home = work / f"scale-{scale:g}" / "home"
    db = home / "warehouse.duckdb"
    if db.is_file():
        return db
    inbox = home.parent / "inbox"
    shutil.rmtree(home.parent, ignore_errors=True)
    generate_drop(inbox, seed=7, scale=scale, end_date=AS_OF)
    summary = run_nightly(inbox=inbox, home=home, as_of=AS_OF, echo=False)
    if summary["status"] != "success":
        raise SystemExit(f"demo night failed at {summary['failed_step']}: {summary['error']}")
    return db


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(info.stdout.split("Pages:")[1].split()[0])


def render_set(db: Path, out: Path, workers: int | None) -> tuple[list, float]:
    from pipelines.packs import PackOptions, render_period

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    packs, _ = render_period(
        db,
        QUARTER,
        out,
        langs=[LANG],
        formats=["html", "pdf", "xlsx"],
        options=PackOptions(reporting_currency="CNY"),
        workers=workers,
    )
    return packs, time.perf_counter() - started


# --------------------------------------------------------------------------- engines


def weasyprint_rate(htmls: list[Path], out: Path) -> tuple[int, float]:
    from pipelines.packs.pdf import html_to_pdf, warm_up

    warm_up()
    total, started = 0, time.perf_counter()
    for html in htmls:
        pdf = out / (html.stem + ".weasyprint.pdf")
        pdf.write_bytes(html_to_pdf(html.read_text(encoding="utf-8")))
        total += pages(pdf)
    return total, time.perf_counter() - started


async def _chromium(htmls: list[Path], out: Path) -> tuple[int, float]:
    import websockets

    profile = Path(tempfile.mkdtemp(prefix="packs-chromium-"))
    browser = subprocess.Popen(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        while not (port_file.exists() and port_file.read_text().strip()):
            await asyncio.sleep(0.05)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as response:  # noqa: S310
            targets = json.loads(response.read())
        url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
        async with websockets.connect(url, max_size=2**30) as ws:
            ids = iter(range(1, 1_000_000))

            async def call(method: str, **params: object) -> dict:
                n = next(ids)
                await ws.send(json.dumps({"id": n, "method": method, "params": params}))
                while True:
                    message = json.loads(await ws.recv())
                    if message.get("id") == n:
                        return message

            await call("Page.enable")
            total, started = 0, time.perf_counter()
            for html in htmls:
                await call("Page.navigate", url=html.resolve().as_uri())
                while json.loads(await ws.recv()).get("method") != "Page.loadEventFired":
                    pass
                printed = await call(
                    "Page.printToPDF", printBackground=True, preferCSSPageSize=True
                )
                pdf = out / (html.stem + ".chromium.pdf")
                pdf.write_bytes(base64.b64decode(printed["result"]["data"]))
                total += pages(pdf)
            return total, time.perf_counter() - started
    finally:
        browser.terminate()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def fidelity(pdf: Path, expected: str) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    cjk = sum("CJK" in line for line in fonts.splitlines())
    type3 = sum(" Type 3 " in line for line in fonts.splitlines())
    contents_numbered = "...." in text  # WeasyPrint's contents carry page numbers (leaders)
    return (
        f"Chinese text {'present' if expected in text else 'MISSING'}; "
        f"{cjk} CJK font(s), {type3} Type 3 font(s); "
        f"contents page numbers {'yes' if contents_numbered else 'no'}"
    )


def compare_engines(packs: list, out: Path) -> None:
    htmls = [packs[0].files["html"], packs[-1].files["html"]]  # company, last rep
    expected = "要点速览"
    work = out / "engines"
    work.mkdir(exist_ok=True)
    n, seconds = weasyprint_rate(htmls, work)
    print(f"  weasyprint : {n} pages in {seconds:.1f}s = {n / seconds:.1f} pages/s")
    print(f"               {fidelity(work / (htmls[0].stem + '.weasyprint.pdf'), expected)}")
    if shutil.which("chromium"):
        n, seconds = asyncio.run(_chromium(htmls, work))
        print(f"  chromium   : {n} pages in {seconds:.1f}s = {n / seconds:.1f} pages/s")
        print(f"               {fidelity(work / (htmls[0].stem + '.chromium.pdf'), expected)}")
    else:
        print("  chromium   : not installed")
    try:
        import typst  # noqa: F401
    except ImportError:
        print("  typst      : not installed (Typst lays out Typst markup, not the pack's HTML)")
    else:
        print("  typst      : installed; needs a Typst layout of the pack (not compared)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--engines", action="store_true")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="salesops-packs-"))
    for scale in (float(s) for s in args.scales.split(",")):
        db = warehouse(work, scale)
        out = work / f"scale-{scale:g}" / "packs"
        load = os.getloadavg()
        packs, seconds = render_set(db, out, args.workers)
        files = sum(len(p.files) for p in packs)
        pdf_pages = sum(pages(p.files["pdf"]) for p in packs)
        target = TARGET_SECONDS.get(scale)
        ratio = f"{seconds / target:.2f} of the {target:g}s target" if target else "no target"
        print(
            f"scale {scale:g}: {len(packs)} scopes, {files} files ({pdf_pages} PDF pages) in "
            f"{seconds:.1f}s with {args.workers or os.cpu_count()} worker(s): {ratio}; "
            f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}"
        )
        if args.engines:
            compare_engines(packs, out)


if __name__ == "__main__":
    main()
