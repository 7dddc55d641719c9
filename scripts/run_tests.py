"""Run the whole suite on PostgreSQL, then its database tests again on SQLite.

Services come from DATABASE_URL / REDIS_URL when set, else from the usual local ports,
else from throwaway instances started here from the local `postgres` and `redis-server`
binaries. A service that cannot be had is a failure under CI=true; on a person's machine
it is announced loudly and the tests that need it are left out.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


def say(message: str) -> None:
    print(f"[run_tests] {message}", flush=True)


def shout(message: str) -> None:
    bar = "!" * 78
    print(f"\n{bar}\n!! {message}\n{bar}\n", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_answers(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("select 1")
        return True
    except Exception:
        return False


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except Exception:
        return False


def postgres_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; drop to the `postgres` user when we are root."""
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_postgres():
    initdb, pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    workdir = Path(tempfile.mkdtemp(prefix="langcert-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    data, port = workdir / "data", free_port()
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    try:
        subprocess.run(
            as_postgres_user([initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                              "--no-sync"]),
            check=True, capture_output=True,
        )
        subprocess.run(
            as_postgres_user([pg_ctl, "-D", str(data), "-o", options, "-w", "-l",
                              str(workdir / "log"), "start"]),
            check=True, capture_output=True,
        )
    except (subprocess.CalledProcessError, OSError) as error:
        say(f"could not start a throwaway PostgreSQL: {error}")
        yield None
        return
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_redis():
    binary = shutil.which("redis-server")
    if not binary:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if redis_answers(url):
            break
        time.sleep(0.1)
    try:
        yield url if redis_answers(url) else None
    finally:
        process.terminate()
        process.wait(timeout=10)


def resolve(stack, named: str | None, local: str, answers, throwaway) -> tuple[str | None, str]:
    if named:
        return (named, "from the environment") if answers(named) else (None, f"{named} is down")
    if answers(local):
        return local, "local service"
    url = stack.enter_context(throwaway())
    return url, "throwaway instance" if url else "no binary could start one"


def pytest(label: str, env: dict[str, str], args: list[str]) -> int:
    say(f"pytest on {label}: {' '.join(args) or '(whole suite)'}")
    code = subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT, env=env).returncode
    return 0 if code == 5 else code  # 5: nothing selected in this pass


def main(extra_args: list[str]) -> int:
    in_ci = os.environ.get("CI", "").lower() == "true"
    with contextlib.ExitStack() as stack:
        pg_url, pg_how = resolve(stack, os.environ.get("DATABASE_URL"), LOCAL_POSTGRES,
                                 postgres_answers, throwaway_postgres)
        redis_url, redis_how = resolve(stack, os.environ.get("REDIS_URL"), LOCAL_REDIS,
                                       redis_answers, throwaway_redis)
        say(f"PostgreSQL: {pg_url or 'UNAVAILABLE'} ({pg_how})")
        say(f"Redis: {redis_url or 'UNAVAILABLE'} ({redis_how})")
        missing = [name for name, url in (("PostgreSQL", pg_url), ("Redis", redis_url))
                   if not url]
        if missing:
            shout(f"{' and '.join(missing)} UNAVAILABLE: tests that need it are NOT run.")
            if in_ci:
                shout("CI=true: a missing service is a failure.")
                return 1

        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(DJANGO_DEBUG="true", DJANGO_SECRET_KEY="test-only-secret-key-" + "k" * 30,
                   LANGCERT_VAR_DIR=str(ROOT / "var" / "test"))
        if redis_url:
            env["LANGCERT_TEST_REDIS_URL"] = redis_url
        skip_celery = [] if redis_url else ["-m", "not celery"]

        sqlite_env = env | {"DATABASE_URL": f"sqlite:///{ROOT / 'var' / 'test' / 'db.sqlite3'}"}
        if pg_url:
            code = pytest("PostgreSQL", env | {"DATABASE_URL": pg_url}, skip_celery + extra_args)
            code |= pytest("SQLite", sqlite_env,
                           ["-m", "django_db and not e2e and not celery and not postgres_only",
                            *extra_args])
        else:
            code = pytest("SQLite", sqlite_env, skip_celery + extra_args)
        if missing:
            shout(f"{' and '.join(missing)} UNAVAILABLE: this run was INCOMPLETE.")
        return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
