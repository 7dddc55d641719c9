"""Queries and in-process time per request of the written test, on the benchmark database.

Run by ``bench.delivery.run`` (with its environment) after the load passes:

    python -m bench.delivery.queries

One fresh candidate signs in through Django's test client, pings, begins and answers all
50 questions; every request runs inside CaptureQueriesContext. Prints the count per kind of
request and the statements of one typical answer. Nothing is timed under load here.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
import uuid


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "langcert.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.delivery.djside import prepare
    from bench.delivery.run import make_answer

    person = prepare(1, os.environ.get("BENCH_QRY_PREFIX", "QRY"))[0]
    client = Client(HTTP_HOST="127.0.0.1")

    timings: list[tuple[str, float]] = []  # (sql, seconds) of the request being measured

    def timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((sql, time.perf_counter() - start))

    def timed(name, method):
        def wrapped(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                timings.append((name, time.perf_counter() - start))
        return wrapped

    # Transaction control does not go through execute(): time it where Django calls it.
    connection.ensure_connection()
    connection._commit = timed("COMMIT", connection._commit)
    connection._set_autocommit = timed(
        "autocommit off/on (psycopg sends BEGIN with the next statement)",
        connection._set_autocommit)

    def measured(method, path, **kwargs):
        timings.clear()
        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timer):
            start = time.perf_counter()
            response = getattr(client, method)(path, **kwargs)
            elapsed = time.perf_counter() - start
        # Counted as Django logs them (BEGIN and COMMIT included), timed as executed.
        assert len(ctx.captured_queries) >= len([s for s, _ in timings if "autocommit" not in s])
        return response, [{"sql": sql, "seconds": t} for sql, t in timings], elapsed, \
            len(ctx.captured_queries)

    response, _, sign_in_t, sign_in_n = measured("post", "/test/", data={
        "id_number": person["id_number"], "secret_number": person["secret"]})
    assert response.status_code == 302, response.status_code
    _, _, _, ping_n = measured("get", "/test/device-check/ping/")
    response, _, _, begin_n = measured("post", "/test/api/begin/", data={"reloaded": False},
                                    content_type="application/json")
    body = response.json()
    rows = []  # (number, queries, seconds, section changed)
    rng = random.Random(1)
    while body.get("status") == "question":
        question = body["question"]
        response, queries, elapsed, count = measured(
            "post", "/test/api/answer/", content_type="application/json",
            data={"question": question["id"], "answer": make_answer(
                question["type"], question["presentation"], rng), "key": str(uuid.uuid4())})
        assert response.status_code == 200, response.content
        body = response.json()
        rows.append((count, queries, elapsed,
                     body.get("status") != "question"
                     or body["question"]["section"] != question["section"]))
    counts = [n for n, _, _, _ in rows]
    within = [n for n, _, _, changed in rows if not changed]
    crossing = [n for n, _, _, changed in rows if changed]
    times = [t * 1000 for _, _, t, _ in rows]
    print(f"sign-in POST: {sign_in_n} queries, {sign_in_t * 1000:.0f} ms in-process "
          f"(Argon2 check of the Secret Number)")
    print(f"ping: {ping_n} queries; begin: {begin_n} queries (BEGIN/COMMIT counted)")
    print(f"answer ({len(rows)} answers): median {statistics.median(counts):g} queries "
          f"(min {min(counts)}, max {max(counts)}); within a section "
          f"{statistics.median(within):g}, when a section ends {crossing}")
    print(f"answer in-process time (no HTTP, no load): median {statistics.median(times):.1f} ms,"
          f" max {max(times):.1f} ms")
    db_ms = [sum(q["seconds"] for q in queries) * 1000 for _, queries, _, _ in rows]
    print(f"  of which waiting on the database (statements, BEGIN, COMMIT): median "
          f"{statistics.median(db_ms):.1f} ms; Python: median "
          f"{statistics.median(t - d for t, d in zip(times, db_ms, strict=True)):.1f} ms")
    # The statements of the within-section answer of median duration, each timed.
    typical = sorted((row for row in rows if not row[3]), key=lambda row: row[2])
    count, queries, elapsed, _ = typical[len(typical) // 2]
    print(f"the within-section answer of median time ({elapsed * 1000:.1f} ms, {count} "
          f"queries as Django counts them), statement by statement (SQL shortened):")
    for query in queries:
        sql = re.sub(r"\s+", " ", query["sql"])
        sql = re.sub(r'SELECT (("[a-z_]+"\."[a-z_]+"(?: AS "[a-z_]+")?), )+', "SELECT ..., ", sql)
        print(f"  {query['seconds'] * 1000:6.2f} ms  {sql[:140]}")

if __name__ == "__main__":
    main()
