"""``distill compare --game G``: UCTtoClassification, DAgger and PLATO at one label budget.

Every method runs the same number of rounds and episodes per round with the same seeds,
and every labelling episode is cut after ``labels // (rounds * episodes_per_round)``
labels, so each method gets the same label budget (less only where a game ends
first). Each (method, seed) is a complete ``distill train`` run in
``DIR/<method>/seed<S>/`` (its policy can be evaluated or resumed like any other).

The report (:mod:`common.report`): score against labels per method, mean and std across
seeds, and the collection statistics of the rounds after round 0, where the learner
influences which states are visited (round 0 is the planner's for UCTtoClassification
and DAgger, PLATO's teacher with the initial learner for PLATO).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from common.errors import DistillError
from common.report import Column, MethodRuns, ReportSpec, SeedCurve, write_report
from imitation.algorithms import ALGORITHMS
from imitation.rounds import DistillConfig, Execution

COLUMNS = (
    Column("labels_total", "labels"),
    Column("val_agreement", "val agreement"),
    Column("lives_lost_per_1000_steps", "lives lost / 1k steps (rounds ≥ 1)"),
    Column("episodes_ended_per_1000_steps", "games over / 1k steps (rounds ≥ 1)"),
    Column("action_mismatch", "executed ≠ planner (rounds ≥ 1)"),
    Column("wall_seconds", "wall s"),
)


@dataclass(frozen=True)
class AtariCompareConfig:
    """methods: algorithm names; seeds: one training run per method and seed.
    labels: the label budget N of every run. template: a run's settings, with algo, seed,
    schedules and the per-episode label cap filled in per method."""

    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    labels: int
    template: DistillConfig


def parse_methods(text: str) -> tuple[str, ...]:
    methods = tuple(m.strip() for m in text.split(",") if m.strip())
    if not methods:
        raise DistillError("--methods: give at least one method")
    unknown = [m for m in methods if m not in ALGORITHMS]
    if unknown:
        raise DistillError(f"--methods: unknown method {unknown[0]!r}; choose from {', '.join(ALGORITHMS)}")
    if len(set(methods)) != len(methods):
        raise DistillError("--methods: a method is listed twice")
    return methods


def labels_per_episode(labels: int, rounds: int, episodes_per_round: int) -> int:
    per = labels // (rounds * episodes_per_round)
    if per < 1:
        raise DistillError(f"--labels {labels} is fewer than one label per episode "
                           f"({rounds} rounds x {episodes_per_round} episodes)")
    return per


def run_config(config: AtariCompareConfig, method: str, seed: int) -> DistillConfig:
    """The training run of ``method`` with ``seed`` (defaults for the method's schedule);
    the template's head is dagger's and plato's learner's."""
    from distill.commands.train import DEFAULT_LAMBDA, DEFAULT_SCHEDULE
    from imitation.policy import PolicyConfig

    t = config.template
    learner = method in ("dagger", "plato") and t.policy.head == "regression"
    head = "regression" if method == "uct-regression" or learner else "classification"
    regression = head == "regression"
    policy = PolicyConfig(head=head, target="action" if regression else t.policy.target,
                          tau=t.policy.tau, q_weights=t.policy.q_weights if regression else "uniform",
                          network=t.policy.network)
    return replace(t, algo=method, seed=seed, policy=policy,
                   schedule=(t.schedule or DEFAULT_SCHEDULE) if method == "dagger" else None,
                   lambda_schedule=(t.lambda_schedule or DEFAULT_LAMBDA) if method == "plato" else None)


def _finite_or_nan(value: Any) -> float:
    return float(value) if value is not None and math.isfinite(float(value)) else math.nan


def compare_atari(config: AtariCompareConfig, execution: Execution, out: Path) -> dict[str, Any]:
    """Train every method with every seed in ``out/<method>/seed<S>`` and write the report."""
    from tqdm import tqdm

    from common import rundir
    from imitation.collect import collection_stats
    from imitation.dataset import LabelDataset
    from imitation.rounds import labels_dir, run_distillation

    methods = []
    for method in config.methods:
        curves, columns = [], {c.key: [] for c in COLUMNS}
        for seed in config.seeds:
            run_out = out / method / f"seed{seed}"
            run = run_config(config, method, seed)
            rundir.prepare_out(run_out, "train", run.game)
            rundir.write_config(run_out, "train", {"run": run, "execution": execution}, seed)
            tqdm.write(f"== {method}, seed {seed}: {run_out}")
            result = run_distillation(run, execution, run_out)
            rounds = result["rounds"]
            curves.append(SeedCurve(seed, [r["labels_total"] for r in rounds],
                                    [r["eval_mean"] for r in rounds]))
            later = [e for e in LabelDataset.open(labels_dir(run_out)).episodes() if e.round >= 1]
            stats = collection_stats(later)
            columns["labels_total"].append(result["labels_total"])
            columns["val_agreement"].append(_finite_or_nan(result["val_agreement"]))
            for key in ("lives_lost_per_1000_steps", "episodes_ended_per_1000_steps", "action_mismatch"):
                columns[key].append(getattr(stats, key))
            columns["wall_seconds"].append(result["wall_seconds"])
        methods.append(MethodRuns(method, curves, columns))
    t = config.template
    spec = ReportSpec(title=f"{t.game}: distillation methods at {config.labels} labels",
                      x_label="labels", y_label="evaluation score", final_header="final score",
                      columns=COLUMNS)
    extra = {"game": t.game, "label_budget": config.labels,
             "labels_per_episode": t.collect.labels_per_episode, "rounds": t.rounds,
             "episodes_per_round": t.episodes_per_round, "seeds_used": list(config.seeds),
             "expert": t.collect.uct, "eval_protocol": t.eval}
    return write_report(out, spec, methods, extra=extra)
