"""Load benchmark of the verification API: ``POST /api/v1/verifications`` against the
trivial ``GET /api/v1/ping`` of the same server, same concurrency, same duration.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 with trust auth, ``wrk`` and
``redis-server`` installed; Debian: ``apt-get install wrk redis-server``):

    .venv/bin/python -m bench.verification.run                  # 5,000 results, 4 x 15 s a load
    .venv/bin/python -m bench.verification.run --duration 5 --rounds 1   # a quicker look

What one run does:

1. creates a throwaway database ``langcert_bench_<random>`` on the server of
   ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432``) and migrates it, and
   starts a throwaway ``redis-server`` on a free port for the cache (the rate-limit counters
   live there in production; without the binary the database cache is used, and said);
2. writes ``--results`` released C1 Advanced results with their candidates, an approved
   organisation with API access, 500 shares and a credential (``djside prepare``);
3. starts gunicorn with ``--workers`` sync workers and production settings (DEBUG off, a
   secret key, a Fernet key) on a free loopback port, through ``bench.verification.wsgi``:
   the production application with the guessing limits (misses per organisation, user,
   address) and the per-organisation request limit lifted, since the bench sends thousands
   of misses from one address. Counting still happens on every request;
4. gets a token from the real token endpoint (client credentials, HTTP Basic);
5. warms every worker up, then runs ``wrk`` (``--threads`` threads, ``--connections``
   connections) for ``--duration`` seconds on each load in turn, ``--rounds`` times, each
   round starting with the next load (so a busy neighbour or a slow start weighs on every
   load alike):
   - ``ping``: ``GET /api/v1/ping`` (token check, organisation limit, JSON answer);
   - ``verify, half hits``: ``POST /api/v1/verifications``, hits and misses alternating
     (half the misses are real numbers with a wrong date of birth, half unknown numbers);
   - ``verify, hits`` and ``verify, misses``: each kind alone;
6. checks in the database that every match answered was written to the access log and
   every miss to the audit log, then times five bulk calls of 2,000 pairs
   (``POST /api/v1/verifications/bulk``, half hits), one at a time;
7. prints requests/s and latency (wrk's, per request, on the client) of each load and the
   ratio of the verification's throughput to the ping's (target: at least 60 %), the CPU
   gunicorn and PostgreSQL spent per request and the CPU other processes took meanwhile;
8. stops gunicorn and Redis, drops the database (also on failure or Ctrl-C) and writes the
   figures into ``bench/verification/RESULTS.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench.delivery.run import CpuMeter, admin, db_url, free_port, machine, server_url, stop

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
HOST = "127.0.0.1"
TARGET_RATIO = 0.60
REFERENCE = "ping"
MAIN = "verify, half hits"
BULK_PAIRS = 2000
# name, method, path, bodies ("" for none)
LOADS = [
    ("ping", "GET", "/api/v1/ping", ""),
    ("verify, half hits", "POST", "/api/v1/verifications", "mixed"),
    ("verify, hits", "POST", "/api/v1/verifications", "hits"),
    ("verify, misses", "POST", "/api/v1/verifications", "misses"),
]
HEADER = """# Verification API under load: results

Written by `python -m bench.verification.run` (see its docstring for what it does). Each
section is one configuration; re-running it replaces its section. Throughput and latency
are wrk's, measured on the client per request. The target from the issue: `POST
/api/v1/verifications` reaches at least 60 % of the throughput of a trivial JSON endpoint
of the same server (`GET /api/v1/ping`, authenticated like every endpoint), same
concurrency, same duration, same run.
"""


# --- Services --------------------------------------------------------------------------------
def start_redis(tmp: Path) -> tuple[subprocess.Popen | None, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        return None, ""
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", HOST, "--save", "",
                                "--appendonly", "no", "--dir", str(tmp)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import redis

            if redis.Redis(host=HOST, port=port, socket_connect_timeout=1).ping():
                return process, f"redis://{HOST}:{port}/0"
        except Exception:  # noqa: BLE001 (not up yet)
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("redis-server did not start")


def bench_env(database: str, tmp: Path, redis_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LANGCERT_"))}
    env.pop("REDIS_URL", None)
    env.update({
        "DJANGO_SETTINGS_MODULE": "langcert.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "FILE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": db_url(database),
        "LANGCERT_VAR_DIR": str(tmp / "var"),
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(tmp / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if redis_url:
        # The cache (rate-limit counters) on Redis, as in production; no task is sent by a
        # lookup, so the broker side is unused.
        env["REDIS_URL"] = redis_url
    return env


def manage(env: dict[str, str], *argv: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *argv], cwd=ROOT, env=env, text=True,
                            capture_output=True)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(argv)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def djside(env: dict[str, str], *argv: str):
    result = subprocess.run([PYTHON, "-m", "bench.verification.djside", *argv], cwd=ROOT,
                            env=env, text=True, capture_output=True)
    if result.returncode or "@@JSON@@" not in result.stdout:
        raise RuntimeError(f"djside {argv[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.rsplit("@@JSON@@", 1)[1])


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path,
                   app: str) -> subprocess.Popen:
    command = [str(Path(PYTHON).parent / "gunicorn"), app,
               "--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "sync",
               "--timeout", "60", "--backlog", "2048", "--error-logfile", str(log),
               "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("ab"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n"
                               f"{log.read_text()[-3000:]}")
        try:
            status, _body = http_call(port, "GET", "/api/v1/openapi.json")
            if status == 200:
                time.sleep(2)  # every worker done booting before anything is timed
                return process
            raise RuntimeError(f"GET /api/v1/openapi.json gave {status}")
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def http_call(port: int, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get_token(port: int, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, body = http_call(port, "POST", "/api/v1/oauth/token/",
                             urllib.parse.urlencode({"grant_type": "client_credentials"})
                             .encode(),
                             {"Authorization": f"Basic {basic}",
                              "Content-Type": "application/x-www-form-urlencoded"})
    if status != 200:
        raise RuntimeError(f"token endpoint answered {status}: {body[:300]!r}")
    return json.loads(body)["access_token"]


# --- Load ------------------------------------------------------------------------------------
def write_bodies(tmp: Path, data: dict) -> dict[str, Path]:
    mixed = [item for pair in zip(data["hits"], data["misses"], strict=False) for item in pair]
    files = {}
    for name, items in (("hits", data["hits"]), ("misses", data["misses"]), ("mixed", mixed)):
        files[name] = tmp / f"{name}.jsonl"
        files[name].write_text("".join(json.dumps(item) + "\n" for item in items))
    return files


def run_wrk(port: int, token: str, load: tuple[str, str, str, str], files: dict[str, Path],
            args, duration: float) -> dict:
    _name, method, path, bodies = load
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections),
               "-d", f"{duration:g}s", "--timeout", "10s", "-s", str(HERE / "load.lua"),
               f"http://{HOST}:{port}{path}", "--", token, method, path,
               str(files[bodies]) if bodies else ""]
    out = subprocess.run(command, text=True, capture_output=True, timeout=duration + 60)
    if "@@RESULT@@" not in out.stdout:
        raise RuntimeError(f"wrk failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.rsplit("@@RESULT@@", 1)[1].splitlines()[0])


def measure(port: int, token: str, files: dict[str, Path], args, meter: CpuMeter) -> dict:
    """Every load, --rounds times, interleaved; returns per-load totals."""
    totals = {name: {"requests": 0, "duration_us": 0, "ok": 0, "matched": 0, "missed": 0,
                     "other": 0, "socket_errors": 0, "p50": [], "p95": [], "p99": [],
                     "max_us": 0, "cpu": []} for name, *_ in LOADS}
    for round_number in range(args.rounds):
        shift = round_number % len(LOADS)  # each round starts with another load
        for load in LOADS[shift:] + LOADS[:shift]:
            before = meter.snapshot()
            result = run_wrk(port, token, load, files, args, args.duration)
            cpu = CpuMeter.delta(before, meter.snapshot())
            total = totals[load[0]]
            for key in ("requests", "duration_us", "ok", "matched", "missed", "other",
                        "socket_errors"):
                total[key] += result[key]
            for q in ("p50", "p95", "p99"):
                total[q].append(result[f"{q}_us"] / 1000)
            total["max_us"] = max(total["max_us"], result["max_us"])
            total["cpu"].append(cpu | {"requests": result["requests"]})
            rate = result["requests"] / (result["duration_us"] / 1e6)
            print(f"  round {round_number + 1} {load[0]:<18} {rate:8.1f} req/s  "
                  f"p95 {result['p95_us'] / 1000:7.1f} ms  non-200 {result['other']}  "
                  f"other processes {cpu['other_cores']:.2f} cores", flush=True)
    return totals


def summarise(totals: dict) -> dict:
    out = {}
    for name, t in totals.items():
        seconds = t["duration_us"] / 1e6
        cpu = t["cpu"]
        wall = sum(c["wall"] for c in cpu)
        out[name] = {
            "requests": t["requests"], "rate": t["requests"] / seconds if seconds else 0.0,
            # Rounds are equally long: the mean of their percentiles.
            "p50": sum(t["p50"]) / len(t["p50"]), "p95": sum(t["p95"]) / len(t["p95"]),
            "p99": sum(t["p99"]) / len(t["p99"]), "max": t["max_us"] / 1000,
            "non_200": t["other"], "socket_errors": t["socket_errors"],
            "matched": t["matched"], "missed": t["missed"],
            "gunicorn_ms": sum(c["gunicorn"] for c in cpu) * 1000 / max(t["requests"], 1),
            "postgres_ms": sum(c["postgres"] for c in cpu) * 1000 / max(t["requests"], 1),
            "other_cores": sum(c["other_cores"] * c["wall"] for c in cpu) / wall if wall else 0,
            "busy": sum(c["busy_share"] * c["wall"] for c in cpu) / wall if wall else 0,
        }
    return out


def time_bulk(port: int, token: str, data: dict, calls: int = 5) -> dict:
    """`calls` bulk calls of BULK_PAIRS pairs (hits and misses alternating), one at a time:
    seconds per call (median) and per pair."""
    half = min(BULK_PAIRS // 2, len(data["hits"]), len(data["misses"]))  # small --results
    items = [item for pair in zip(data["hits"][:half], data["misses"][:half], strict=True)
             for item in pair]
    body = json.dumps({"items": items}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        status, answer = http_call(port, "POST", "/api/v1/verifications/bulk", body, headers)
        seconds.append(time.perf_counter() - start)
        matched = sum(item["match"] for item in json.loads(answer)["items"]) if status == 200 else 0
        if status != 200 or matched != half:
            raise RuntimeError(f"bulk call answered {status} with {matched} matches")
    median = sorted(seconds)[len(seconds) // 2]
    print(f"  bulk: {calls} calls of {len(items)} pairs, median {median:.2f} s", flush=True)
    return {"calls": calls, "pairs": len(items), "median": median, "max": max(seconds)}


# --- Report ----------------------------------------------------------------------------------
def report(summary: dict, check: str, bulk: dict, args, command: str, cache: str) -> str:
    reference = summary[REFERENCE]["rate"]
    lines = [
        f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {machine()}; gunicorn "
        f"{args.workers} sync workers, PostgreSQL on loopback, cache on {cache}, DEBUG off; "
        f"{args.results} released results; wrk {args.threads} threads, {args.connections} "
        f"connections, {args.rounds} x {args.duration:g} s per load, loads interleaved and "
        "rotated.",
        "", "```", command, "```", "",
        "| load | requests | req/s | % of ping | p50 ms | p95 ms | p99 ms | max ms | non-200 "
        "| gunicorn CPU ms/req | PostgreSQL CPU ms/req | machine busy "
        "| other processes (cores) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for name, s in summary.items():
        share = s["rate"] / reference * 100 if reference else float("nan")
        lines.append(
            f"| {name} | {s['requests']} | {s['rate']:.1f} | {share:.0f} % | {s['p50']:.1f} "
            f"| {s['p95']:.1f} | {s['p99']:.1f} | {s['max']:.1f} | {s['non_200']} "
            f"| {s['gunicorn_ms']:.2f} | {s['postgres_ms']:.2f} | {s['busy'] * 100:.0f}% "
            f"| {s['other_cores']:.2f} |")
    ratio = summary[MAIN]["rate"] / reference if reference else 0.0
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    lines += ["", f"Verification (half hits) at **{ratio * 100:.0f} %** of the ping's "
                  f"throughput: target >= {TARGET_RATIO * 100:.0f} % {verdict}.", "",
              f"Written to the database during the run: {check}", "",
              f"Bulk verification (`POST /api/v1/verifications/bulk`, after the loads): "
              f"{bulk['calls']} calls of {bulk['pairs']:,} pairs, half hits, one at a time: "
              f"median {bulk['median']:.2f} s a call ({bulk['median'] / bulk['pairs'] * 1000:.2f}"
              f" ms a pair), slowest {bulk['max']:.2f} s.", ""]
    return "\n".join(lines)


def write_results(path: Path, key: str, text: str) -> None:
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    section = f"{start}\n## {key}\n\n{text}{end}\n"
    current = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _m: section, current)
    else:
        current = current.rstrip("\n") + "\n\n" + section
    path.write_text(current)


def check_counts(before: dict, after: dict, summary: dict) -> tuple[str, bool]:
    """Every match answered is in the access log, every miss in the audit log."""
    matched = sum(s["matched"] for s in summary.values())
    missed = sum(s["missed"] for s in summary.values())
    views = after["access_events"] - before["access_events"]
    misses = after["misses"] - before["misses"]
    ok = views >= matched and misses >= missed  # the warm-up's are in the database too
    text = (f"{views} access-log rows for {matched} matches answered (plus the warm-up's), "
            f"{misses} miss audit rows for {missed} misses answered: "
            f"{'consistent' if ok else 'MISMATCH'}.")
    return text, ok


# --- Main ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per load")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--app", default="bench.verification.wsgi:application",
                        help="the WSGI application gunicorn serves (to try a change out)")
    parser.add_argument("--keep", action="store_true", help="keep the database (debugging)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    command = ("cd /work/main && .venv/bin/python -m bench.verification.run " + shlex.join(
        argv if argv is not None else sys.argv[1:])).rstrip()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    database = f"langcert_bench_{secrets.token_hex(4)}"
    gunicorn = redis = None
    ok, text = False, ""
    with tempfile.TemporaryDirectory(prefix="langcert-bench-") as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "gunicorn.log"
        try:
            t0 = time.monotonic()
            redis, redis_url = start_redis(tmp)
            cache = "Redis" if redis_url else "the database (no redis-server found)"
            env = bench_env(database, tmp, redis_url)
            admin(f'CREATE DATABASE "{database}"')
            print(f"database {database} on {server_url().hostname}:{server_url().port}; "
                  f"cache on {cache}", flush=True)
            manage(env, "migrate", "--noinput")
            manage(env, "createcachetable")
            data = djside(env, "prepare", str(args.results))
            files = write_bodies(tmp, data)
            port = free_port()
            gunicorn = start_gunicorn(env, port, args.workers, log, args.app)
            token = get_token(port, data["client_id"], data["secret"])
            print(f"gunicorn pid {gunicorn.pid} on {HOST}:{port}, {args.workers} sync workers; "
                  f"setup {time.monotonic() - t0:.0f} s", flush=True)
            for load in LOADS:  # warm-up: imports, connections, caches of every worker
                run_wrk(port, token, load, files, args, 2)
            before = djside(env, "counts")
            totals = measure(port, token, files, args, CpuMeter(gunicorn.pid))
            summary = summarise(totals)
            check, ok = check_counts(before, djside(env, "counts"), summary)
            ok = ok and all(s["non_200"] == 0 and s["socket_errors"] == 0
                            for s in summary.values())
            bulk = time_bulk(port, token, data)
            text = report(summary, check, bulk, args, command, cache)
            print("\n" + text)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
        except Exception:
            if log.exists():
                print("--- gunicorn log (tail) ---\n" + log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            stop(gunicorn)
            if redis is not None:
                redis.terminate()
                redis.wait(timeout=10)
            if log.exists() and "Traceback" in log.read_text():
                print("--- gunicorn log had tracebacks (tail) ---\n" + log.read_text()[-3000:],
                      file=sys.stderr)
            if args.keep:
                print(f"kept database {database}")
            else:
                try:
                    admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                    print(f"dropped database {database}")
                except Exception as error:  # noqa: BLE001
                    print(f"could not drop {database}: {error}", file=sys.stderr)
    if text:
        key = (f"{args.workers} sync workers, {args.connections} connections, "
               f"{args.results} results")
        write_results(args.out, key, text)
        print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
