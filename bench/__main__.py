"""`make bench`: run every benchmark suite, then gather their results into BENCHMARKS.md
(`python -m bench --gather`: only gather, from each suite's RESULTS.md as it stands).

Each suite prints its figures, compares them with its reference in the same run and
rewrites its own RESULTS.md; a suite that fails is reported and the others still run.
"""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SUITES = ["psychometrics", "delivery", "results", "verification", "exports"]


def main(argv: list[str]) -> int:
    failed = []
    for suite in SUITES if "--gather" not in argv else []:
        if not (BENCH / suite / "run.py").exists():
            continue
        print(f"== bench.{suite}", flush=True)
        code = subprocess.run([sys.executable, "-m", f"bench.{suite}.run"],
                              cwd=BENCH.parent).returncode
        if code:
            failed.append(suite)
    gather()
    if failed:
        print(f"failed suites: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def gather() -> None:
    """BENCHMARKS.md from every suite's RESULTS.md as it stands."""
    parts = [f"# Benchmarks\n\nGathered by `python -m bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} "
             "UTC. Each section is its suite's RESULTS.md, as its last run left it.\n"]
    for suite in SUITES:
        results = BENCH / suite / "RESULTS.md"
        if results.exists():
            parts.append(f"\n## {suite}\n\n" + results.read_text().split("\n", 1)[1])
    (BENCH.parent / "BENCHMARKS.md").write_text("".join(parts))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
