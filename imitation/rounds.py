"""``distill train``'s loop: label, aggregate, refit, checkpoint and evaluate, round by round.

Round i (counting from 0):

1. play ``episodes_per_round`` episodes with the algorithm's acting rule of round i
   (:mod:`imitation.algorithms`), the planner labelling every visited state, and append
   them to the dataset (Guo et al. 2014; DAgger, Ross et al. 2011; PLATO, Kahn et al. 2017);
2. refit the policy on the whole dataset, starting from the previous round's weights
   (or, at a reset round, from a fresh network: :mod:`imitation.resets`);
3. save the round's checkpoint, evaluate the policy, and append the round to result.json.

A run folder ``DIR`` holds ``labels/`` (the dataset), ``checkpoints/roundRRRR.pt``,
``policy.pt`` (the latest round), ``best.pt`` (the round with the best evaluation after
its fit, the later one on a tie; result.json's ``best_round``), with ``--swa-rounds W``
``swa.pt`` (the weight average of the W consecutive rounds of one network with the best
mean evaluation: :mod:`imitation.weight_average`; result.json's ``swa_rounds``),
``tb/`` (TensorBoard),
``result.json`` and ``rounds.png`` (score and agreement against labels,
:mod:`imitation.round_plot`). ``best.pt`` and ``swa.pt`` are picked on the rounds' own
evaluation episodes, so their scores there are biased upwards: score them on other episode seeds
(``distill eval --seed``).

Resuming (``--resume``) restarts after the last round that has both its result entry and
its checkpoint: the learner of the interrupted round is reloaded from the previous
checkpoint, so the episodes still missing are played exactly as they would have been,
and episodes already on disk are not played again. No label is duplicated or missing.
Before it labels anything, ``--resume`` reads every chunk whole: a bad one (truncated,
corrupt, of another seed, round or episode) is set aside in ``labels/set-aside/``, and
every missing episode of a completed round is labelled again, once, as an uninterrupted
run would have labelled it (:func:`_heal_labels`); result.json's counts are those on disk.
``--resume`` may also change ``--rounds`` (e.g. to extend a finished run), and the
algorithm's settings (its schedule, exit's guidance), where no round already played would
have been played differently (:func:`check_resume`).
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import ConfigError, DistillError
from imitation.algorithms import Algorithm, algorithm_from_json
from imitation.collect import (CollectConfig, EpisodeTask, LearnerWeights, collect_episodes,
                               collection_stats, label_spec)
from imitation.dataset import MANIFEST, LabelDataset, LabelSpec, chunk_name
from imitation.evaluate import EvalProtocol, evaluate_policy
from imitation.policy import PolicyConfig
from imitation.resets import NetworkReset
from imitation.time_budget import RoundBudget
from imitation.train_policy import TrainConfig
from imitation.weight_average import save_weight_average, swa_window


@dataclass(frozen=True)
class DistillConfig:
    """Everything the labels and the policy depend on (compared on ``--resume``).

    algorithm: the distillation algorithm with its schedules and head
               (:mod:`imitation.algorithms`, e.g. ``DAgger(beta=ExponentialBeta(0.5))``).
    policy:    the network it trains; its head is the algorithm's
               (:func:`imitation.algorithms.learner_policy` builds it).
    reset:     the rounds whose fit starts from a fresh network (:mod:`imitation.resets`).
    """

    algorithm: Algorithm
    game: str
    rounds: int
    episodes_per_round: int
    seed: int
    collect: CollectConfig
    policy: PolicyConfig
    train: TrainConfig
    eval: EvalProtocol
    reset: NetworkReset = NetworkReset()

    def __post_init__(self):
        guided = any(self.algorithm.guidance_of(r) is not None for r in range(self.rounds))
        if guided and self.collect.uct.root_workers != 1:
            raise ConfigError("root_workers", f"must be 1 for a guided search (its lanes are its "
                                              f"parallelism), got {self.collect.uct.root_workers}")
        if self.policy.head != self.algorithm.head:
            raise ConfigError("policy.head", f"is {self.policy.head}, but {self.algorithm.name} trains a "
                                             f"{self.algorithm.head} head")


@dataclass(frozen=True)
class Execution:
    """How the work runs; never changes the labels (the training device may change the
    last bits of the weights on a GPU)."""

    workers: int = 1
    backend: str = "local"
    ray_address: str | None = None
    device: str = "auto"


def labels_dir(out: Path) -> Path:
    return out / "labels"


def checkpoint_path(out: Path, round: int) -> Path:
    return out / "checkpoints" / f"round{round:04d}.pt"


def policy_path(out: Path) -> Path:
    return out / "policy.pt"


def best_path(out: Path) -> Path:
    return out / "best.pt"


def swa_path(out: Path) -> Path:
    return out / "swa.pt"


def best_round(rounds: list[dict]) -> int:
    """The round whose evaluation after its fit scored highest (the later one on a tie):
    the window of one round."""
    return swa_window(rounds, 1)[0]


def _train_seed(seed: int, round: int) -> int:
    return int(np.random.SeedSequence([seed, round, 7]).generate_state(1)[0])


def completed_rounds(out: Path) -> list[dict]:
    """Round entries of a previous run whose checkpoints exist (the resumable prefix)."""
    path = out / "result.json"
    if not path.is_file():
        return []
    try:
        rounds = json.loads(path.read_text())["rounds"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DistillError(f"{path}: unreadable ({exc}); cannot resume") from None
    done = []
    for i, entry in enumerate(rounds):
        if entry.get("round") != i or not checkpoint_path(out, i).is_file():
            break
        done.append(entry)
    return done


ADDED_SETTINGS = {"train.augment_shift": 0, "algorithm.beta.name": "constant", "algorithm.beta.p": 1.0,
                  "algorithm.epsilon": 0.05, "algorithm.label_every": 1,
                  "reset.every": 0, "reset.epochs": 10, "algorithm.guidance_from": 1,
                  "algorithm.early_guidance": None, "collect.uct.merge_aliases": False,
                  "collect.env.actions": None}
"""Settings added since runs were first written, with the value a run whose config.json
predates them was run with (so that such a run still resumes). One applies only where the
run's configuration has it (``algorithm.beta`` is exit's; DAgger's has always been there)."""


def check_resume(out: Path, config: DistillConfig, branch_of: Path | None = None) -> None:
    """Refuse to resume ``out`` with a configuration other than the one it was started with,
    or whose result.json or label manifest cannot be read or belongs to another game.
    ``branch_of``: ``out`` holds rounds copied from that run (``--branch-from``), and a
    refusal says so."""
    from common.rundir import to_jsonable

    path = out / "config.json"
    if not path.is_file():
        return
    try:
        before = json.loads(path.read_text())["config"]["run"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DistillError(f"{path}: unreadable ({exc}); cannot resume") from None
    before_rounds, before_algorithm = before.get("rounds"), _algorithm_of(before.get("algorithm"))
    before_reset = _reset_of(before.get("reset", {}))
    now = _flatten(to_jsonable(config))
    before = {**{k: v for k, v in ADDED_SETTINGS.items() if k in now}, **_flatten(before)}
    changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
    if not isinstance(before_rounds, int):
        before_rounds = None
    others = [k for k in changed if k != "rounds" or before_rounds is None]  # --rounds may change
    if any(k.startswith("algorithm.") for k in others) and before_rounds is not None and \
            _played_alike(out, before_algorithm, before_rounds, config):
        others = [k for k in others if not k.startswith("algorithm.")]
    if any(k.startswith("reset.") for k in others) and _fitted_alike(out, before_reset, config.reset):
        others = [k for k in others if not k.startswith("reset.")]
    if others and branch_of is not None:
        raise DistillError(f"--branch-from {branch_of}: its copied rounds were played with other settings "
                           f"({', '.join(others)} differ); change only flags that leave them as played")
    if others:
        raise DistillError(f"--resume: {out} was started with other settings ({', '.join(others)} "
                           f"differ); resume with the same flags or choose another --out")
    if changed:
        _check_new_round_count(out, config, before_rounds)
    # What the run has on disk is checked before anything is written: result.json here,
    # the manifest against the game and preprocessing; the chunks themselves are read
    # whole, and healed, before any labelling (_heal_labels).
    completed_rounds(out)
    if (labels_dir(out) / MANIFEST).exists():
        LabelDataset.open(labels_dir(out), expect=label_spec(config.game, config.collect.env))


def _algorithm_of(data: Any) -> Algorithm | None:
    """The algorithm config.json names (what it lacks, e.g. a setting added since, takes the
    library's default, as :data:`ADDED_SETTINGS` says); None if it cannot be rebuilt."""
    if not isinstance(data, dict):
        return None
    try:
        return algorithm_from_json(data)
    except (ConfigError, KeyError, TypeError, ValueError):
        return None


def _reset_of(data: Any) -> NetworkReset | None:
    """The network resets config.json names (None if they cannot be rebuilt)."""
    try:
        return NetworkReset(**data)
    except (ConfigError, TypeError):
        return None


def _fitted_alike(out: Path, before: NetworkReset | None, now: NetworkReset) -> bool:
    """Every round already fitted was fitted alike under ``now``'s resets as under
    ``before``'s (a reset chosen, or moved, after the run started): the run then equals
    one started with ``now``'s."""
    if before is None:
        return False
    return all(before.at(r) == now.at(r) and (not now.at(r) or before.epochs == now.epochs)
               for r in range(len(completed_rounds(out))))


def _played_alike(out: Path, before: Algorithm | None, before_rounds: int, config: DistillConfig) -> bool:
    """Every round already played or labelled has the same acting rule and guidance under
    ``config``'s algorithm as under the one the run was started with, so its settings may
    change on ``--resume`` (a DAgger schedule or exit's guidance chosen after round 0, e.g.
    with ``distill bench labels`` on round 0's checkpoint): the run then equals one
    started with them."""
    now = config.algorithm
    if before is None or before.name != now.name:
        return False
    played = {entry["round"] for entry in completed_rounds(out)}
    if (labels_dir(out) / MANIFEST).is_file():
        played |= {r for r, _ in LabelDataset.open(labels_dir(out)).keys()}
    return all(before.rule(r, before_rounds) == now.rule(r, config.rounds)
               and before.guidance_of(r) == now.guidance_of(r) for r in played)


def _check_new_round_count(out: Path, config: DistillConfig, before_rounds: int) -> None:
    """A resumed run may change ``--rounds`` (extend a run whose curve is still rising, or
    stop it earlier) when that changes neither a completed round nor the acting rule of
    any round already played: then the extended run equals one started with the new count."""
    done = len(completed_rounds(out))
    if config.rounds < done:
        raise DistillError(f"--resume --rounds {config.rounds}: {out} has already completed {done} "
                           f"rounds; pass --rounds >= {done}")
    if (labels_dir(out) / MANIFEST).is_file():
        started = max((r for r, _ in LabelDataset.open(labels_dir(out)).completed()), default=-1)
        if config.rounds <= started:
            raise DistillError(f"--resume --rounds {config.rounds}: {out} already holds labels of "
                               f"round {started}; pass --rounds >= {started + 1}")
    played = min(before_rounds, config.rounds)
    algorithm = config.algorithm
    moved = [r for r in range(played) if algorithm.rule(r, before_rounds) != algorithm.rule(r, config.rounds)]
    if moved:
        raise DistillError(f"--resume --rounds {config.rounds}: for {algorithm.name} the "
                           f"acting rule of round {moved[0]} depends on the number of rounds, so {out} "
                           f"cannot change it; choose another --out")


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[str, Any] = {}
    for key, value in tree.items():
        out.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
    return out


def _chunk_problems(dataset: LabelDataset, config: DistillConfig) -> dict[tuple[int, int], str]:
    """Every chunk on disk read whole and checked (truncated, corrupt, labelled with
    another seed, holding another round or episode than its name, or outside the run):
    ``{(round, episode): what is wrong}``. Reads only."""
    problems = {}
    for r, e in dataset.keys():
        if r >= config.rounds or e >= config.episodes_per_round:
            problems[(r, e)] = (f"is not part of this run ({config.rounds} rounds of "
                                f"{config.episodes_per_round} episodes)")
            continue
        reason = dataset.check(r, e, seed=config.seed)
        if reason is not None:
            problems[(r, e)] = reason
    return problems


def _heal_labels(dataset: LabelDataset, config: DistillConfig, execution: Execution, out: Path,
                 spec: LabelSpec, completed: int) -> list[tuple[int, int]]:
    """``--resume``, before any other labelling: check every chunk on disk, move the bad
    ones to ``labels/set-aside/`` (kept, never read), and label every missing episode of
    the ``completed`` rounds again, once. Returns the keys labelled again.

    An episode's labels depend only on its key and on the learner of the round before,
    which is reloaded from that round's checkpoint (round 0's is the seeded initial
    policy), so under a reproducible budget they equal an uninterrupted run's. Chunks of
    the interrupted round are left to the round loop (it labels what is missing)."""
    from tqdm import tqdm

    from imitation.checkpoint import load_checkpoint

    for (r, e), reason in sorted(_chunk_problems(dataset, config).items()):
        name = dataset.chunk_path(r, e)
        aside = dataset.set_aside(r, e)
        tqdm.write(f"--resume: label chunk {name}: {reason}; moved to {aside.parent}/, labelled again",
                   file=sys.stderr)
    missing = [(r, e) for r in range(completed) for e in range(config.episodes_per_round)
               if not dataset.has(r, e)]
    if missing:
        tqdm.write(f"--resume: labelling {len(missing)} episode(s) of completed rounds again: "
                   + ", ".join(chunk_name(r, e) for r, e in missing), file=sys.stderr)
    rules = {r: config.algorithm.rule(r, config.rounds) for r in sorted({r for r, _ in missing})}
    learners = {}   # every learner loaded before any labelling: a bad checkpoint is refused first
    for r, rule in rules.items():
        if rule.needs_learner or config.algorithm.guidance_of(r) is not None:
            policy = (load_checkpoint(checkpoint_path(out, r - 1), expect=spec, device="cpu").policy
                      if r > 0 else _new_policy(config, spec, execution.device))
            learners[r] = LearnerWeights.of(policy)
    for r, rule in rules.items():
        tasks = [EpisodeTask(config.collect, spec, rule, config.seed, r, e,
                             guidance=config.algorithm.guidance_of(r)) for rr, e in missing if rr == r]
        _collect(tasks, learners.get(r), dataset, execution, r, config)
    return missing


def _disk_counts(episodes, round: int) -> dict[str, Any]:
    """A round's entry counts, from the chunks' summaries ``episodes`` (what is on disk)."""
    this_round = [e for e in episodes if e.round == round]
    so_far = [e for e in episodes if e.round <= round]
    return {"labels_round": sum(e.labels for e in this_round),
            "labels_total": sum(e.labels for e in so_far),
            "emulator_frames_total": sum(e.frames for e in so_far),
            "collection": collection_stats(this_round)}


def _new_policy(config: DistillConfig, spec: LabelSpec, device: str, seed: int | None = None):
    """A freshly initialised learner: the run's initial one, or (``seed`` given) a reset's."""
    from imitation.policy import DistilledPolicy

    return DistilledPolicy(config.policy, spec.num_actions, seed=config.seed if seed is None else seed,
                           device=device)


def run_distillation(config: DistillConfig, execution: Execution, out: Path,
                     resume: bool = False, budget: RoundBudget | None = None,
                     swa_rounds: int = 0) -> dict[str, Any]:
    """Run (or resume) the rounds of ``config`` in ``out``; returns result.json's payload.

    ``budget``: start a round only where it is expected to end within the budget
    (:mod:`imitation.time_budget`: the run's ``--max-hours``, or a command's deadline); a
    run stopped so has ``"finished": false`` and ``"stopped_by_budget": true`` in
    result.json, and resumes with a larger budget.
    ``swa_rounds`` W > 0: keep ``swa.pt``, the weight average of the best window of W
    rounds (:func:`imitation.weight_average.swa_window`)."""
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    from common import machine, rundir
    from imitation.checkpoint import load_checkpoint, save_checkpoint
    from imitation.round_plot import plot_rounds
    from imitation.train_policy import train_policy

    algorithm = config.algorithm
    spec = label_spec(config.game, config.collect.env)
    existing = labels_dir(out).is_dir() and any(labels_dir(out).iterdir())
    if existing and not resume:
        raise DistillError(f"{out} already holds a training run; pass --resume to continue it "
                           f"or choose another --out")
    dataset = LabelDataset.create(labels_dir(out), spec)
    rounds: list[dict] = completed_rounds(out) if resume else []
    if rounds:
        policy = load_checkpoint(checkpoint_path(out, len(rounds) - 1), expect=spec,
                                 device=execution.device).policy
    else:
        policy = _new_policy(config, spec, execution.device)
    if resume:
        dataset.discard_partial()
        if _heal_labels(dataset, config, execution, out, spec, len(rounds)) and rounds:
            episodes = dataset.episodes()   # the healed rounds' counts, as on disk
            rounds = [{**entry, **rundir.to_jsonable(_disk_counts(episodes, entry["round"]))}
                      for entry in rounds]
    if rounds:   # continued (or branched, imitation.branch): result.json whole before any new round
        rundir.write_result(out, _payload(config, rounds, out, finished=False, swa_rounds=swa_rounds))
    window = swa_window(rounds, swa_rounds) if swa_rounds else None
    if window is not None:   # a resumed run, perhaps one that ran without --swa-rounds
        save_weight_average(swa_path(out), [checkpoint_path(out, i) for i in window])
    train_steps = sum(r["train_steps"] for r in rounds)
    writer = SummaryWriter(str(out / "tb"))
    result: dict[str, Any] = {}
    stopped = False
    try:
        for r in range(len(rounds), config.rounds):
            reset = config.reset.at(r)
            if budget is not None and not budget.allows(rounds, reset):
                stopped = True
                tqdm.write(budget.stop_message(rounds, reset), file=sys.stderr)
                break
            t0 = time.perf_counter()
            rule, guidance = algorithm.rule(r, config.rounds), algorithm.guidance_of(r)
            learner = LearnerWeights.of(policy) if rule.needs_learner or guidance is not None else None
            tasks = [EpisodeTask(config.collect, spec, rule, config.seed, r, e, guidance=guidance)
                     for e in range(config.episodes_per_round) if not dataset.has(r, e)]
            outcomes = _collect(tasks, learner, dataset, execution, r, config)
            collect_seconds = time.perf_counter() - t0

            seed = _train_seed(config.seed, r)
            if reset:
                policy = _new_policy(config, spec, execution.device, seed=seed)
            fit = train_policy(policy, dataset, replace(config.reset.fit(config.train, r), seed=seed),
                               writer=writer, step_offset=train_steps,
                               progress=sys.stderr.isatty())
            train_steps += fit.steps
            save_checkpoint(checkpoint_path(out, r), policy, spec, round=r)
            save_checkpoint(policy_path(out), policy, spec, round=r)
            score = evaluate_policy(policy, spec, config.eval, config.seed)

            counts = _disk_counts(dataset.episodes(), r)
            stats = counts["collection"]
            new_frames = sum(o.frames for o in outcomes)
            entry = {
                "round": r,
                "rule": type(rule).__name__,
                "labels_round": counts["labels_round"],
                "labels_total": counts["labels_total"],
                "emulator_frames_total": counts["emulator_frames_total"],
                "eval_mean": score.mean,
                "eval_std": score.std,
                "eval_scores": score.scores,
                "val_agreement": fit.val_agreement,
                "val_labels": fit.val_rows,
                "action_entropy": fit.action_entropy,
                "train_loss": fit.epoch_losses[-1] if fit.epoch_losses else math.nan,
                "val_loss": fit.val_losses[-1] if fit.val_losses else math.nan,
                "val_value_loss": fit.val_value_losses[-1] if fit.val_value_losses else math.nan,
                "train_steps": fit.steps,
                "network_reset": reset,
                "labeling_frames_per_second": new_frames / collect_seconds if outcomes else None,
                "episodes_played": len(outcomes),
                "wall_seconds": time.perf_counter() - t0,
                "collection": stats,
                "machine": machine.describe(),
            }
            rounds.append(rundir.to_jsonable(entry))
            if best_round(rounds) == r:
                save_checkpoint(best_path(out), policy, spec, round=r)
            result = _payload(config, rounds, out, finished=False, swa_rounds=swa_rounds)
            window = result.get("swa_rounds")
            if window and window[-1] == r:
                save_weight_average(swa_path(out), [checkpoint_path(out, i) for i in window])
            _log_round(writer, entry, stats)
            rundir.write_result(out, result)
            plot_rounds(rounds, out / "rounds.png", f"{config.game}, {algorithm.name}")
            tqdm.write(_round_line(entry))
    finally:
        writer.close()
    result = _payload(config, rounds, out, finished=not stopped, swa_rounds=swa_rounds)
    if stopped:
        result["stopped_by_budget"] = True
    rundir.write_result(out, result)
    return result


def _collect(tasks, learner, dataset, execution: Execution, round: int, config: DistillConfig):
    from tqdm import tqdm

    if not tasks:
        return []
    cap = config.collect.labels_per_episode
    bar = tqdm(total=cap * len(tasks) if cap else None, desc=f"round {round} labelling", unit="label",
               disable=None, leave=False)
    running = [0.0] * len(tasks)
    done = [0]

    def on_event(i: int, reward: float) -> None:
        running[i] += reward
        bar.update(1)

    def on_result(i: int, outcome) -> None:
        done[0] += 1
        running[i] = outcome.score
        if execution.backend == "ray":
            bar.update(outcome.labels)
        bar.set_postfix(episodes=f"{done[0]}/{len(tasks)}",
                        score=" ".join(f"{s:g}" for s in running))

    try:
        return collect_episodes(tasks, learner, dataset, workers=execution.workers,
                                backend=execution.backend, ray_address=execution.ray_address,
                                on_event=on_event, on_result=on_result)
    finally:
        bar.close()


def _log_round(writer, entry: dict, stats) -> None:
    r = entry["round"]
    writer.add_scalar("eval/score_mean", entry["eval_mean"], r)
    writer.add_scalar("eval/score_std", entry["eval_std"], r)
    writer.add_scalar("dataset/labels_total", entry["labels_total"], r)
    if entry["labeling_frames_per_second"] is not None:
        writer.add_scalar("collect/frames_per_second", entry["labeling_frames_per_second"], r)
    for name in ("lives_lost_per_1000_steps", "episodes_ended_per_1000_steps", "action_mismatch",
                 "score_per_1000_steps"):
        value = getattr(stats, name)
        if math.isfinite(value):
            writer.add_scalar(f"collect/{name}", value, r)
    if math.isfinite(entry["val_agreement"]):
        writer.add_scalar("round/val_agreement", entry["val_agreement"], r)
    if math.isfinite(entry["action_entropy"]):
        writer.add_scalar("round/action_entropy", entry["action_entropy"], r)
    writer.flush()


def _round_line(entry: dict) -> str:
    agree = entry["val_agreement"]
    agree_text = f"{agree:.3f}" if math.isfinite(agree) else "n/a (no validation episode yet)"
    reset = " (fresh network)" if entry.get("network_reset") else ""
    return (f"round {entry['round']}: {entry['labels_total']} labels, eval {entry['eval_mean']:.2f} "
            f"± {entry['eval_std']:.2f}, val agreement {agree_text}{reset}")


def _payload(config: DistillConfig, rounds: list[dict], out: Path, finished: bool,
             swa_rounds: int = 0) -> dict:
    last = rounds[-1] if rounds else {}
    window = swa_window(rounds, swa_rounds) if swa_rounds else None
    return {
        "algo": config.algorithm.name,
        "game": config.game,
        "finished": finished,
        "rounds": rounds,
        "labels_total": last.get("labels_total", 0),
        "emulator_frames_total": last.get("emulator_frames_total", 0),
        "eval_mean": last.get("eval_mean"),
        "eval_std": last.get("eval_std"),
        "val_agreement": last.get("val_agreement"),
        "checkpoint": str(policy_path(out)) if rounds else None,
        "best_round": best_round(rounds) if rounds else None,
        "best_checkpoint": str(best_path(out)) if rounds else None,
        **({"swa_rounds": window, "swa_checkpoint": str(swa_path(out)) if window else None}
           if swa_rounds else {}),
        "wall_seconds": sum(r["wall_seconds"] for r in rounds),
    }
