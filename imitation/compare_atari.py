"""``distill compare --game G``: UCTtoClassification, DAgger and PLATO at one label budget.

Every method runs the same number of rounds and episodes per round with the same seeds,
and every labelling episode is cut after ``labels // (rounds * episodes_per_round)``
labels, so each method gets the same label budget (less only where a game ends
first). Each (method, seed) is a complete ``distill train`` run in
``DIR/<method>/seed<S>/`` (its policy can be evaluated or resumed like any other). The
runs go seed by seed (every method of seed 0, then of seed 1, ...), so a compare stopped
part-way has whole seeds to show. A resumed compare (``resume=True``) resumes each run
where it stopped: a finished one plays nothing, an interrupted one continues without
losing a label, one not yet started starts.

**A finished run is its record.** The report reads only the runs' result.json (a run's
collection statistics are its rounds' entries merged,
:func:`imitation.collect.merged_collection_stats`), and a resumed compare takes a finished
run from its result.json without opening its labels or checkpoints. So a compare whose
folder keeps only its records (config.json, result.json and plots; ``results/.gitignore``
leaves the labels, checkpoints and TensorBoard logs out of git) resumes on a machine that
has lost the rest: the finished runs stay finished, and a run that would have copied a lost
round 0 labels its own, the same labels.

**Round 0 is labelled once per seed.** Where a method's round 0 is the planner's alone
(the planner acts, no network guides it: UCTtoClassification, DAgger, exit), its labels
are a function of the seed and the collection settings only, the same for every such
method. The first of them in ``--methods`` labels it; the others start from a copy of
those chunks (:func:`imitation.branch.copy_labels`) and fit their own round-0 network on
them, so each run equals the one it would have been alone (tested) at a fraction of the
emulator time. The report's ``wall s`` still counts round 0's labelling for every method
(the source's labelling seconds are added), so that it states what a run costs alone.
PLATO's round 0 is its teacher mixed with its own initial network, and is labelled by
PLATO.

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
from imitation.time_budget import Deadline

COLUMNS = (
    Column("labels_total", "labels"),
    Column("val_agreement", "val agreement"),
    Column("lives_lost_per_1000_steps", "lives lost / 1k steps (rounds ≥ 1)"),
    Column("episodes_ended_per_1000_steps", "games over / 1k steps (rounds ≥ 1)"),
    Column("action_mismatch", "executed ≠ planner (rounds ≥ 1)"),
    Column("wall_seconds", "wall s (as if alone)"),
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


def round0_labels_key(run: DistillConfig) -> str | None:
    """What the round-0 labels of ``run`` are a function of, as one string, when that is the
    planner alone: runs with equal keys label the same round 0 chunk for chunk (episode
    seeds depend on the seed, round and episode only; :func:`imitation.collect.episode_seeds`).
    None when round 0 depends on the method's own network (its rule needs the learner, or
    a network guides the search)."""
    import json

    from common.rundir import to_jsonable

    rule = run.algorithm.rule(0, run.rounds)
    if rule.needs_learner or run.algorithm.guidance_of(0) is not None:
        return None
    return json.dumps({"game": run.game, "collect": to_jsonable(run.collect), "seed": run.seed,
                       "episodes_per_round": run.episodes_per_round, "rule": repr(rule)}, sort_keys=True)


def round0_labelling_seconds(result: dict[str, Any]) -> float:
    """The seconds a run's round 0 spent labelling: its emulator frames over its labelling
    speed (0 where it labelled nothing itself, e.g. a copy of another run's round 0)."""
    entry = result["rounds"][0]
    fps = entry.get("labeling_frames_per_second")
    return entry["emulator_frames_total"] / fps if fps else 0.0


def compare_atari(config: AtariCompareConfig, execution: Execution, out: Path,
                  resume: bool = False, deadline: Deadline | None = None) -> dict[str, Any] | None:
    """Train every method with every seed in ``out/<method>/seed<S>``, seed by seed, round 0
    labelled once per seed where methods share it (:func:`round0_labels_key`; copied from
    the first earlier method whose round-0 chunks are on disk), and write the report; with
    ``resume``, a run whose folder already holds one continues it
    (:func:`imitation.rounds.check_resume` refuses one started with other settings), or is
    taken as it is where its result.json says it finished.

    ``deadline``: start a round only where it is expected to end in time (a finished run
    plays none, so it is reported whatever the clock); a compare stopped so reports the
    runs it has finished, marked ``"partial": true`` (None if none has), and ``resume``
    continues it."""
    from tqdm import tqdm

    from common import rundir
    from imitation.branch import copy_labels
    from imitation.rounds import check_resume, run_distillation

    results: dict[tuple[str, int], dict[str, Any]] = {}
    for seed in config.seeds:
        for method in config.methods:
            run_out = out / method / f"seed{seed}"
            run = run_config(config, method, seed)
            again = resume and (run_out / "config.json").is_file()
            rundir.prepare_out(run_out, "train", run.game, resume=True if again else None)
            if again:
                check_resume(run_out, run)
            k = len(results) + 1
            head = f"== run {k} of {len(config.seeds) * len(config.methods)}: {method}, seed {seed}: {run_out}"
            record = _finished_record(run_out, run) if again else None
            if record is not None:
                tqdm.write(f"{head} (finished)")
                results[(method, seed)] = record
                continue
            rundir.write_config(run_out, "train", {"run": run, "execution": execution}, seed)
            source = None if again else _round0_source(config, method, seed, out)
            if source is not None:
                copy_labels(out / source / f"seed{seed}", run_out, last_round=0)
            shared = f" (round 0's labels from {source})" if source is not None else ""
            tqdm.write(f"{head}{' (resumed)' if again else ''}{shared}")
            results[(method, seed)] = run_distillation(run, execution, run_out,
                                                        resume=again or source is not None, budget=deadline)
            if results[(method, seed)].get("stopped_by_budget"):
                return _report(config, out, results)
    return _report(config, out, results)


def _finished_record(run_out: Path, run: DistillConfig) -> dict[str, Any] | None:
    """The result.json of the finished run in ``run_out`` (every round of ``run`` played),
    or None. A finished run is taken from its record alone: its folder may have lost its
    labels and checkpoints (a compare kept in git keeps only its runs' records)."""
    import json

    path = run_out / "result.json"
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    return result if result.get("finished") and len(result["rounds"]) == run.rounds else None


def _sharing_round0(config: AtariCompareConfig, method: str, seed: int) -> list[str]:
    """The methods before ``method`` in ``--methods`` whose seed-``seed`` round 0 has the
    same labels as its own (:func:`round0_labels_key`); none where its round 0 depends on
    its own network."""
    key = round0_labels_key(run_config(config, method, seed))
    if key is None:
        return []
    earlier = config.methods[:config.methods.index(method)]
    return [m for m in earlier if round0_labels_key(run_config(config, m, seed)) == key]


def _round0_source(config: AtariCompareConfig, method: str, seed: int, out: Path) -> str | None:
    """The first method sharing round 0 with ``method`` (:func:`_sharing_round0`) whose
    folder holds all of its round-0 chunks, or None (``method`` labels its own round 0)."""
    from imitation.dataset import MANIFEST, LabelDataset
    from imitation.rounds import labels_dir

    for source in _sharing_round0(config, method, seed):
        chunks = labels_dir(out / source / f"seed{seed}")
        if (chunks / MANIFEST).is_file():
            dataset = LabelDataset.open(chunks)
            if all(dataset.has(0, e) for e in range(config.runs[0].episodes_per_round)):
                return source
    return None


def _round0_sources(config: AtariCompareConfig, results: dict[tuple[str, int], dict[str, Any]]
                    ) -> dict[tuple[str, int], str]:
    """(method, seed) -> the method whose round-0 labels that run copied: a run whose round 0
    played no episode, and the first method sharing its round 0 (:func:`_sharing_round0`;
    where :func:`compare_atari` found that one's chunks gone and copied a later one's, the
    labels are the same)."""
    sources = {}
    for (method, seed), result in results.items():
        same = _sharing_round0(config, method, seed)
        if same and result["rounds"] and not result["rounds"][0]["episodes_played"]:
            sources[(method, seed)] = same[0]
    return sources


def _report(config: AtariCompareConfig, out: Path, results: dict[tuple[str, int], dict[str, Any]]
            ) -> dict[str, Any] | None:
    """table.md, curves.png and result.json of the finished runs (:mod:`common.report`),
    ``"partial": true`` unless every (method, seed) has finished; None if none has. Read from
    the runs' result.json alone (a run's collection statistics are its rounds' entries merged)."""
    from imitation.collect import merged_collection_stats

    borrowed = _round0_sources(config, results)
    finished = {key for key, result in results.items() if result.get("finished")}
    if not finished:
        return None
    methods = []
    for method in config.methods:
        curves, columns = [], {c.key: [] for c in COLUMNS}
        for seed in config.seeds:
            if (method, seed) not in finished:
                continue
            result = results[(method, seed)]
            rounds = result["rounds"]
            curves.append(SeedCurve(seed, [r["labels_total"] for r in rounds],
                                    [r["eval_mean"] for r in rounds]))
            stats = merged_collection_stats([r["collection"] for r in rounds[1:]])
            columns["labels_total"].append(result["labels_total"])
            columns["val_agreement"].append(_finite_or_nan(result["val_agreement"]))
            for key in ("lives_lost_per_1000_steps", "episodes_ended_per_1000_steps", "action_mismatch"):
                columns[key].append(getattr(stats, key))
            source = borrowed.get((method, seed))
            own = round0_labelling_seconds(result)
            charged = round0_labelling_seconds(results[(source, seed)]) if source and not own else 0.0
            columns["wall_seconds"].append(result["wall_seconds"] + charged)
        if curves:
            methods.append(MethodRuns(method, curves, columns))
    t = config.runs[0]
    total = len(config.methods) * len(config.seeds)
    partial = len(finished) < total
    spec = ReportSpec(title=f"{t.game}: distillation methods at {config.labels} labels"
                            + (f" (partial: {len(finished)} of {total} runs)" if partial else ""),
                      x_label="labels", y_label="evaluation score", final_header="final score",
                      columns=COLUMNS)
    shared = {m: s for (m, seed), s in borrowed.items() if (m, seed) in finished}
    extra = {"game": t.game, "label_budget": config.labels, "partial": partial, "runs_finished": len(finished),
             "labels_per_episode": t.collect.labels_per_episode, "rounds": t.rounds,
             "episodes_per_round": t.episodes_per_round, "seeds_used": list(config.seeds),
             "round0_labels_from": shared,
             "expert": t.collect.uct, "eval_protocol": t.eval}
    return write_report(out, spec, methods, extra=extra)
