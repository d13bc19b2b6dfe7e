"""How fast `distill` answers `--help` and refuses bad input: the median wall time of
``python -m distill.cli ARGS`` over ``--repeats`` runs, for the README.

    python scripts/bench_cli.py --repeats 5

Each refused command must exit 2; the training-run folder it is pointed at is made here
(a ``config.json`` owned by ``train``) and removed after.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def commands(run: Path) -> list[tuple[list[str], int]]:
    """(argv, expected exit code)."""
    return [
        (["--help"], 0),
        (["eval", "--checkpoint", str(run / "missing.pt")], 2),
        (["train", "--algo", "dagger", "--game", "pong", "--out", str(run)], 2),
        (["plan", "--game", "pong", "--seconds-per-decision", "inf"], 2),
        (["compare", "--task", "pointmass", "--labels", "50"], 2),
        (["train", "--algo", "uct-classification", "--game", "pong", "--epsilon", "0.1"], 2),
        (["plan", "--game", "combat"], 2),  # exit 2 where ale-py cannot load combat (0.12.1)
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "train-run"
        run.mkdir()
        (run / "config.json").write_text(json.dumps({"command": "train", "seed": 0, "config": {}}))
        print("| command | median wall time | exit |\n|---|---|---|")
        for argv, expected in commands(run):
            times, codes = [], set()
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "distill.cli", *argv], capture_output=True,
                                      timeout=120)
                times.append(time.perf_counter() - t0)
                codes.add(proc.returncode)
            shown = " ".join(a if not a.startswith(tmp) else "RUN" + a[len(str(run)):] for a in argv)
            flag = "" if codes == {expected} else f" (expected {expected})"
            print(f"| `distill {shown}` | {statistics.median(times):.2f} s | "
                  f"{', '.join(map(str, sorted(codes)))}{flag} |", flush=True)


if __name__ == "__main__":
    main()
