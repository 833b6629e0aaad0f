#!/usr/bin/env python3
"""Opens the report of `cargo xtask compare` in headless Chromium and checks it.

Checks that the page loads from disk with no console errors and no network request, that
every plot the report promises is present as an inline SVG, and writes a screenshot.

Usage: python3 tools/report/check_report.py [REPORT_DIR] [--screenshot PNG]
(REPORT_DIR defaults to target/physrc-report). Needs Debian's `chromium` package; CI does
not install it, so this runs by hand after `cargo xtask compare`.
"""

import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("error: no chromium found; install Debian's `chromium` package")


def run_chromium(args, profile):
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        # Any request that leaves the machine fails loudly instead of hanging.
        "--proxy-server=http://127.0.0.1:9",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report", nargs="?", default=str(ROOT / "target/physrc-report"))
    ap.add_argument("--screenshot", default=None)
    ap.add_argument("--height", type=int, default=2300, help="screenshot height in pixels")
    a = ap.parse_args()
    report = pathlib.Path(a.report).resolve()
    page = report / "index.html"
    results = json.loads((report / "results.json").read_text())
    html = page.read_text()
    failures = []

    # Self-contained: nothing is fetched from elsewhere.
    for m in re.finditer(r'(?:src|href)="([^"#]+)"', html):
        if "://" in m.group(1):
            failures.append(f"external reference {m.group(1)}")

    with tempfile.TemporaryDirectory() as profile:
        dom = run_chromium(["--dump-dom", page.as_uri()], profile)
        if dom.returncode != 0:
            failures.append(f"chromium exited with {dom.returncode}: {dom.stderr[-500:]}")
        console = [
            line
            for line in dom.stderr.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "net::ERR" in line
        ]
        failures += [f"console: {line}" for line in console]
        shot = pathlib.Path(a.screenshot or report / "screenshot.png").resolve()
        s = run_chromium(
            ["--hide-scrollbars", f"--window-size=1600,{a.height}", f"--screenshot={shot}", page.as_uri()],
            profile,
        )
        if s.returncode != 0 or not shot.is_file():
            failures.append(f"no screenshot: {s.stderr[-500:]}")

    body = dom.stdout
    figures = re.findall(r'<figure class="plot"[^>]*>(.*?)</figure>', body, re.S)
    empty = [i for i, f in enumerate(figures) if "<svg" not in f]
    if empty:
        failures.append(f"{len(empty)} plot figures without an svg")
    # What the report promises: the heatmap, a trace per regression cell that ran, the
    # memory-capacity curves, an energy plot per column, and the speed plot.
    regression = {"nrmse", "nmse", "mse", "symbol_error_rate"}
    traced_tasks = {c["task"] for c in results["columns"] if c["metric"] in regression}
    traces = sum(
        1
        for cell in results["cells"]
        if cell["task"] in traced_tasks and cell.get("trace") and not cell.get("error")
    )
    has_mc = any(c["metric"] == "memory_capacity" for c in results["columns"])
    expected = 1 + traces + int(has_mc) + len(results["columns"]) + 1
    if len(figures) != expected:
        failures.append(f"{len(figures)} plots in the page, expected {expected}")
    for anchor in ("heatmap", "scores", "energy", "speed", "table"):
        if f'id="{anchor}"' not in body:
            failures.append(f"section #{anchor} missing")
    if has_mc and 'id="memory"' not in body:
        failures.append("section #memory missing")
    cells_in_table = body.count("<tr><td")
    if cells_in_table < len(results["cells"]):
        failures.append(f"table has {cells_in_table} rows for {len(results['cells'])} cells")

    if failures:
        print("report check FAILED:")
        for f in failures:
            print("  -", f)
        sys.exit(1)
    print(
        f"report check passed: {len(figures)} plots ({traces} traces), "
        f"{len(results['cells'])} cells, no console errors; screenshot {shot}"
    )


if __name__ == "__main__":
    main()
