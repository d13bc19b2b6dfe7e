"""``distill compare --game G``: UCTtoClassification, DAgger and PLATO at one label budget.

Every method runs the same number of rounds and episodes per round with the same seeds,
and every labelling episode is cut after ``labels // (rounds * episodes_per_round)``
labels, so each method gets the same label budget (less only where a game ends
first). Each (method, seed) is a complete ``distill train`` run in
``DIR/<method>/seed<S>/`` (its policy can be evaluated or resumed like any other). A
resumed compare (``resume=True``) resumes each of those runs where it stopped: a
finished one plays nothing, an interrupted one continues without losing a label, one
not yet started starts.

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

from common.errors import ConfigError
from common.report import Column, MethodRuns, ReportSpec, SeedCurve, write_report
from imitation.algorithms import ALGORITHMS, build_algorithm, learner_policy, settings_of
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
    """runs: one training run per method (its algorithm, schedules and policy; seeded
    with the first seed); seeds: every run is repeated with each seed. labels: the
    label budget N of every run."""

    runs: tuple[DistillConfig, ...]
    seeds: tuple[int, ...]
    labels: int

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(run.algorithm.name for run in self.runs)


def parse_methods(text: str) -> tuple[str, ...]:
    methods = tuple(m.strip() for m in text.split(",") if m.strip())
    if not methods:
        raise ConfigError("methods", "needs at least one method")
    unknown = [m for m in methods if m not in ALGORITHMS]
    if unknown:
        raise ConfigError("methods", f"has an unknown method {unknown[0]!r}; choose from {', '.join(ALGORITHMS)}")
    if len(set(methods)) != len(methods):
        raise ConfigError("methods", "has a method listed twice")
    return methods


def labels_per_episode(labels: int, rounds: int, episodes_per_round: int) -> int:
    per = labels // (rounds * episodes_per_round)
    if per < 1:
        raise ConfigError("labels", f"{labels} is fewer than one label per episode "
                                    f"({rounds} rounds x {episodes_per_round} episodes)")
    return per


def method_runs(methods: tuple[str, ...], shared: DistillConfig, settings: dict[str, Any],
                policy_options: dict[str, Any]) -> tuple[DistillConfig, ...]:
    """The run of each method: ``shared``'s settings (its algorithm is replaced), the
    algorithm settings that method takes (``settings``, e.g. ``beta``; ``None``: the
    library's default) and the policy options its head uses (``policy_options``: ``target``,
    ``tau``, ``q_weights``; see :func:`imitation.algorithms.learner_policy`). A setting or
    option that no method uses is a :class:`ConfigError` naming it."""
    heads = {"target": "classification", "tau": "regression", "q_weights": "regression"}
    algorithms = []
    for method in methods:
        own = settings_of(method)
        algorithms.append(build_algorithm(method, **{k: v for k, v in settings.items() if k in own}))
    for key, value in settings.items():
        if value is not None and not any(key in settings_of(m) for m in methods):
            takers = [n for n in ALGORITHMS if key in settings_of(n)]
            raise ConfigError(key, f"is a setting of {' and '.join(takers) or 'no algorithm'}, none of "
                                   f"which is among the methods")
    for key, value in policy_options.items():
        if value is not None and not any(a.head == heads[key] for a in algorithms):
            raise ConfigError(key, f"applies to a {heads[key]} head only; no method trains one")
    return tuple(
        replace(shared, algorithm=a, policy=learner_policy(
            a, network=shared.policy.network,
            **{k: v for k, v in policy_options.items() if heads[k] == a.head}))
        for a in algorithms)


def run_config(config: AtariCompareConfig, method: str, seed: int) -> DistillConfig:
    """The training run of ``method`` with ``seed``."""
    return replace(config.runs[config.methods.index(method)], seed=seed)


def _finite_or_nan(value: Any) -> float:
    return float(value) if value is not None and math.isfinite(float(value)) else math.nan


def compare_atari(config: AtariCompareConfig, execution: Execution, out: Path,
                  resume: bool = False) -> dict[str, Any]:
    """Train every method with every seed in ``out/<method>/seed<S>`` and write the report;
    with ``resume``, a run whose folder already holds one continues it
    (:func:`imitation.rounds.check_resume` refuses one started with other settings)."""
    from tqdm import tqdm

    from common import rundir
    from imitation.collect import collection_stats
    from imitation.dataset import LabelDataset
    from imitation.rounds import check_resume, labels_dir, run_distillation

    methods = []
    for method in config.methods:
        curves, columns = [], {c.key: [] for c in COLUMNS}
        for seed in config.seeds:
            run_out = out / method / f"seed{seed}"
            run = run_config(config, method, seed)
            again = resume and (run_out / "config.json").is_file()
            rundir.prepare_out(run_out, "train", run.game, resume=True if again else None)
            if again:
                check_resume(run_out, run)
            rundir.write_config(run_out, "train", {"run": run, "execution": execution}, seed)
            tqdm.write(f"== {method}, seed {seed}: {run_out}{' (resumed)' if again else ''}")
            result = run_distillation(run, execution, run_out, resume=again)
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
    t = config.runs[0]
    spec = ReportSpec(title=f"{t.game}: distillation methods at {config.labels} labels",
                      x_label="labels", y_label="evaluation score", final_header="final score",
                      columns=COLUMNS)
    extra = {"game": t.game, "label_budget": config.labels,
             "labels_per_episode": t.collect.labels_per_episode, "rounds": t.rounds,
             "episodes_per_round": t.episodes_per_round, "seeds_used": list(config.seeds),
             "expert": t.collect.uct, "eval_protocol": t.eval}
    return write_report(out, spec, methods, extra=extra)
