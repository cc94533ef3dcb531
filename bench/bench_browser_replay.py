#!/usr/bin/env python3
"""Benchmark: a province-sized ssj-draw-2 record replayed in headless chromium by static/js/draw-replay.js.

    .venv/bin/python bench/bench_browser_replay.py [--members 200000] [--drawn 13000] [--inspectors 350]

Builds a record of the size of a province's draw (200,000 enterprises in 4 strata, 13,000 drawn, 350
inspectors, 2,000 exclusions), replays it with the Python verifier for the published result, then in
chromium (/usr/bin/chromium through Playwright) downloads both, replays and compares them as the public
page does, and prints the time (target ≤ 10 s). No database, no Django: a local HTTP server on 127.0.0.1
(a secure context, where crypto.subtle exists) serves the page, the script and the two JSON files.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from sampling import algorithm  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGET_SECONDS = 10.0


def province_record(members: int, drawn: int, inspectors: int, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    ids = sorted({"9141" + "".join(rng.choice(alphabet) for _ in range(14)) for _ in range(members)})
    rng.shuffle(ids)
    shares = [("2026Q2/key/uncovered", 0.05, 0.25), ("2026Q2/key", 0.05, 0.25), ("2026Q2/special", 0.02, 0.5)]
    strata, start = [], 0
    for label, share, ratio in shares:
        size = int(len(ids) * share)
        strata.append({"label": label, "count": int(size * ratio), "members": ids[start : start + size]})
        start += size
    rest = ids[start:]
    strata.append(
        {"label": "2026Q2/general", "count": max(0, drawn - sum(s["count"] for s in strata)), "members": rest}
    )
    for stratum in strata:
        stratum["members"] = [{"id": i, "weight": rng.choice((1, 1, 1, 2, 3))} for i in stratum["members"]]
    pool = [f"ZF{k:04d}" for k in range(inspectors)]
    exclusions = sorted({(rng.choice(ids), rng.choice(pool)) for _ in range(2000)})
    return {
        "algorithm": algorithm.ALGORITHM,
        "seed": f"{rng.getrandbits(256):064x}",
        "strata": strata,
        "inspectors": {
            "pool": pool,
            "team_size": 2,
            "max_per_inspector": -(-2 * drawn // inspectors) + 1,
            "exclusions": [list(pair) for pair in exclusions],
        },
    }


SCRIPT = """async () => {
  const t0 = performance.now();
  const text = await (await fetch('/record.json')).text();
  const record = window.ssjDraw.parseRecord(text, 64 * 1024 * 1024);
  const published = await (await fetch('/result.json')).json();
  const t1 = performance.now();
  let updates = 0;
  const replayed = await window.ssjDraw.replay(record, () => { updates += 1; });
  const t2 = performance.now();
  const report = window.ssjDraw.compare(replayed, published);
  const t3 = performance.now();
  return {download: t1 - t0, replay: t2 - t1, compare: t3 - t2, total: t3 - t0, ok: report.ok, updates};
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--drawn", type=int, default=13_000)
    parser.add_argument("--inspectors", type=int, default=350)
    args = parser.parse_args()

    record = province_record(args.members, args.drawn, args.inspectors)
    start = time.perf_counter()
    expected = algorithm.replay(record)
    python_seconds = time.perf_counter() - start
    record_text = json.dumps(record, ensure_ascii=False, indent=1)
    result_text = json.dumps(expected, ensure_ascii=False)
    script = (ROOT / "static" / "js" / "draw-replay.js").read_text(encoding="utf-8")
    page_html = "<!doctype html><meta charset=utf-8><title>replay</title><script src=/draw-replay.js></script>"
    bodies = {
        "/": ("text/html", page_html.encode()),
        "/draw-replay.js": ("text/javascript", script.encode()),
        "/record.json": ("application/json", record_text.encode()),
        "/result.json": ("application/json", result_text.encode()),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path not in bodies:
                self.send_error(404)
                return
            content_type, body = bodies[self.path]
            self.send_response(200)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(origin + "/")
        page.wait_for_function("window.ssjDraw !== undefined")
        wall = time.perf_counter()
        timing = page.evaluate(SCRIPT)
        wall = time.perf_counter() - wall
        browser.close()
    server.shutdown()

    drawn = sum(len(s["selected"]) for s in expected["strata"])
    print(
        f"record: {args.members} enterprises in {len(record['strata'])} strata, {drawn} drawn, "
        f"{args.inspectors} inspectors, {len(record_text.encode()) / 1e6:.1f} MB"
    )
    print(f"python replay (sampling.algorithm):            {python_seconds * 1000:8.0f} ms")
    print(f"chromium: download and parse record + result:  {timing['download']:8.0f} ms")
    print(f"chromium: replay ({timing['updates']} progress updates):        {timing['replay']:8.0f} ms")
    print(f"chromium: compare with the published result:   {timing['compare']:8.0f} ms")
    print(
        f"chromium: total {timing['total'] / 1000:.2f} s (wall {wall:.2f} s); "
        f"equal to the published result: {timing['ok']}"
    )
    ok = timing["ok"] and wall <= TARGET_SECONDS
    print(f"   {'met   ' if wall <= TARGET_SECONDS else 'MISSED'} browser replay of a province record ≤ 10 s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
