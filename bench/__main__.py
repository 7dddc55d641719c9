"""`make bench`: run every benchmark suite, then gather their results into BENCHMARKS.md.

Each suite prints its figures, compares them with its reference in the same run and
rewrites its own RESULTS.md; a suite that fails is reported and the others still run.
"""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SUITES = ["psychometrics", "delivery", "results", "verification", "exports"]


def main() -> int:
    failed = []
    for suite in SUITES:
        if not (BENCH / suite / "run.py").exists():
            continue
        print(f"== bench.{suite}", flush=True)
        code = subprocess.run([sys.executable, "-m", f"bench.{suite}.run"],
                              cwd=BENCH.parent).returncode
        if code:
            failed.append(suite)
    parts = [f"# Benchmarks\n\nGathered by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} "
             "UTC. Each section is its suite's RESULTS.md.\n"]
    for suite in SUITES:
        results = BENCH / suite / "RESULTS.md"
        if results.exists():
            parts.append(f"\n## {suite}\n\n" + results.read_text().split("\n", 1)[1])
    (BENCH.parent / "BENCHMARKS.md").write_text("".join(parts))
    if failed:
        print(f"failed suites: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
