"""Run every benchmark one after another, each in its own process, printing each one's output as it comes.

    .venv/bin/python -m benchmarks.run_all                     # full sizes, each on a fresh SQLite file (make bench)
    .venv/bin/python -m benchmarks.run_all --quick             # small sizes: proves they all run, in a minute or two
    .venv/bin/python -m benchmarks.run_all --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

With --database-url every benchmark adds its own new projects to that database (nothing there is touched).
Exits non-zero if any benchmark failed; the others still run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each benchmark's module, and the arguments that make it small for --quick.
BENCHMARKS = (
    ("ingest", ["--traces", "2000"]),
    ("otel_ingest", ["--traces", "2000"]),
    ("traces_read", ["--sizes", "100", "1000", "--requests", "10", "--warmup", "2"]),
    ("review", ["--sizes", "100", "1000", "--steps", "10"]),
    ("review_browser", ["--pending", "1000", "--saves", "10"]),
    ("export", ["--reviews", "2000"]),
    ("agreement", ["--items", "1000", "--runs", "3", "--warmup", "1"]),
    ("queue_rules", ["--in-process", "--traces", "300", "--runs", "2", "--spread"]),
    ("evaluations", ["--sizes", "1000", "10000", "--runs", "5"]),
)


def main() -> None:
    args = parse_args()
    failed = []
    for name, quick_args in BENCHMARKS:
        command = [sys.executable, "-m", f"benchmarks.{name}", *(quick_args if args.quick else [])]
        if args.database_url:
            command += ["--database-url", args.database_url]
        print(f"\n=== {name}: python -m benchmarks.{name} {' '.join(command[3:])}".rstrip(), flush=True)
        started = time.perf_counter()
        returncode = subprocess.run(command, cwd=ROOT).returncode
        print(f"=== {name}: {'ok' if returncode == 0 else f'FAILED (exit {returncode})'} "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
        if returncode != 0:
            failed.append(name)
    print(f"\n{'failed: ' + ', '.join(failed) if failed else 'all benchmarks ran'}")
    sys.exit(1 if failed else 0)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="passed to every benchmark; default: each makes a fresh SQLite file")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check that every benchmark runs")
    return parser.parse_args()


if __name__ == "__main__":
    main()
