"""Benchmark (issue 4): the web UI and API under 20 concurrent clients on loopback.

Serves dudao with gunicorn on PostgreSQL (127.0.0.1:5432, database dudao_bench_web, dropped and
re-created) loaded with the synthetic province and its assessment, then loads the county page (logged in)
and an API endpoint (token) from 20 client threads, bounded by a request count and a time limit.
Target: p95 under 300 ms with no errors. Only 127.0.0.1 is contacted.

    .venv/bin/python bench/bench_web.py [--requests 2000] [--seconds 60] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

PG = "postgres://postgres@127.0.0.1:5432"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def sh(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return out.stdout


def prepare(tmp: Path) -> tuple[dict[str, str], str, str]:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS dudao_bench_web WITH (FORCE)")
        con.execute("CREATE DATABASE dudao_bench_web")
    env = {**os.environ, "DUDAO_DATABASE_URL": f"{PG}/dudao_bench_web", "DUDAO_DATA_DIR": str(tmp),
           "DJANGO_SETTINGS_MODULE": "dudao.web.settings"}
    dudao = str(Path(sys.executable).with_name("dudao"))
    sh([dudao, "demo", "--out", str(tmp / "demo"), "--reports", str(tmp / "out")], env)
    sh([dudao, "users", "demo"], env)
    token = sh([dudao, "users", "token", "sheng_dudao"], env).strip().splitlines()[-1].strip()
    county = json.loads(sh([sys.executable, "-c", (
        "import django; django.setup();"
        "from dudao.assessment.models import AssessmentCounty as A;"
        "import json; print(json.dumps(A.objects.order_by('county_code').values_list('county_code', flat=True).first()))")],
        env).strip().splitlines()[-1])
    return env, token, county


def login(username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf}).encode()
    opener.open(urllib.request.Request(f"{BASE}/login/", data=data, headers={"Referer": f"{BASE}/login/"}))
    return opener


def load(name: str, make_request, total: int, seconds: float, clients: int = 20) -> dict[str, float]:
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    counter = iter(range(total))

    def worker() -> None:
        opener = make_request()
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    return
            t0 = time.perf_counter()
            try:
                with opener() as resp:
                    resp.read()
                    ok = resp.status == 200
            except Exception:
                ok = False
            with lock:
                lat.append(time.perf_counter() - t0)
                errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    q = statistics.quantiles(lat, n=100)
    return {"name": name, "requests": len(lat), "rps": len(lat) / wall, "p50_ms": q[49] * 1000,
            "p95_ms": q[94] * 1000, "errors": errors[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env, token, county = prepare(Path(tmp))
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dudao.web.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
             "--workers", str(args.workers), "--threads", "4", "--log-level", "warning"], env=env)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{BASE}/login/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)

            def page_client():
                opener = login("sheng_dudao", "Dudao-demo-2024")
                return lambda: opener.open(f"{BASE}/region/{county}/", timeout=10)

            def api_client():
                req = urllib.request.Request(f"{BASE}/api/assessments?county={county}",
                                             headers={"Authorization": f"Bearer {token}"})
                return lambda: urllib.request.urlopen(req, timeout=10)

            results = [load("county page (logged in)", page_client, args.requests, args.seconds),
                       load("API /api/assessments", api_client, args.requests, args.seconds)]
        finally:
            server.terminate()
            server.wait(timeout=20)
    for r in results:
        print(f"{r['name']}: {r['requests']:.0f} requests, {r['rps']:.1f} req/s, p50 {r['p50_ms']:.0f} ms, "
              f"p95 {r['p95_ms']:.0f} ms, errors {r['errors']:.0f}")
    ok = all(r["p95_ms"] < 300 and r["errors"] == 0 for r in results)
    print(f"target p95 < 300 ms, no errors: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
