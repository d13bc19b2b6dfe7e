"""Policy distillation into a compact network: a trained policy teaches a smaller one.

Rusu et al. (2016), "Policy Distillation": a student network fitted to a teacher
network's action distribution keeps most of the teacher's play at a fraction of its
size. Here the teacher is a ``distill train`` checkpoint (e.g. ``checkpoints/pong.pt``,
itself the student of a 200-frame guided search) and the student is by default the
``compact`` network of :mod:`imitation.networks`, whose batch-1 decision
:mod:`imitation.fast_forward` runs in tens of microseconds: the real-time end of the
chain planner -> policy -> compact policy.

**States** come as in DAgger (Ross, Gordon & Bagnell 2011) with beta_0 = 1 and beta_i = 0
after: round 0 records ``states_per_round`` states of the teacher's own games, every
later round as many of the student's, each acting epsilon-greedily (``epsilon``) under
the evaluation environment (up to 30 no-ops after each reset). The teacher labels every
recorded state, so the student also learns where its own mistakes take it.

**Target and loss.** p_T = softmax(z_teacher / T) [N, A] from the teacher's logits, and
the cross-entropy -sum_a p_T(a) log softmax(z_student / T)(a), which is KL(p_T || q_T)
up to the teacher's entropy (Hinton, Vinyals & Dean 2015). T = 1 fits the teacher's own
distribution; T < 1 sharpens it towards its argmax, as Rusu et al. did for Q-values.

**Fit.** One student and one Adam optimiser across rounds: after each round's states,
``epochs`` passes over all the states so far, in batches of ``batch_size``, in an order
seeded by (seed, round).

**Resume.** Each round leaves ``rounds/roundRRRR.npz`` (its states and targets),
``checkpoints/roundRRRR.pt`` (the student), ``checkpoints/roundRRRR.adam.pt`` (the
optimiser) and, last, its entry in ``rounds.json``; :func:`compress` given the same run
folder continues after the last complete round and makes the same student as a run never
stopped (``tests/imitation/test_compress.py``).
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from common.errors import DistillError
from common.rundir import write_json
from imitation.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from imitation.evaluate import EvalProtocol, evaluate_policy
from imitation.networks import NetworkConfig
from imitation.policy import DistilledPolicy, PolicyConfig
from imitation.rounds import checkpoint_path, policy_path   # a train run's layout: rounds, then policy.pt


@dataclass(frozen=True)
class CompressConfig:
    """network:          the student's network (default ``compact`` on the newest 2 frames).
    rounds:           rounds of state collection; round 0 is the teacher's games.
    states_per_round: states recorded (and labelled by the teacher) per round.
    epochs:           passes over all states so far after each round.
    temperature:      T of the softened target softmax(z_teacher / T).
    epsilon:          random-action probability of whoever plays the collecting games.
    batch_size, lr:   the fit's minibatch and Adam step size.
    eval_episodes:    protocol episodes scored after each round (0: none).
    """

    network: NetworkConfig = field(default_factory=lambda: NetworkConfig(arch="compact", frames=2))
    rounds: int = 16
    states_per_round: int = 20_000
    epochs: int = 3
    temperature: float = 1.0
    epsilon: float = 0.1
    batch_size: int = 100
    lr: float = 1e-3
    eval_episodes: int = 5

    def __post_init__(self):
        for name in ("rounds", "states_per_round", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {self.epsilon}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.eval_episodes < 0:
            raise ValueError(f"eval_episodes must be >= 0, got {self.eval_episodes}")


def round_path(out: Path, round: int) -> Path:
    return out / "rounds" / f"round{round:04d}.npz"


def _optimizer_path(out: Path, round: int) -> Path:
    """Adam's state after ``round`` (the fit continues from it on resume)."""
    return out / "checkpoints" / f"round{round:04d}.adam.pt"


def _rounds_path(out: Path) -> Path:
    return out / "rounds.json"


def completed_rounds(out: Path) -> list[dict]:
    """The entries of the rounds the run in ``out`` completed (``rounds.json``; none for a
    new run)."""
    if not _rounds_path(out).is_file():
        return []
    try:
        rounds = json.loads(_rounds_path(out).read_text())
        listed = [e["round"] for e in rounds]
    except (OSError, ValueError, KeyError, TypeError):
        listed = None
    if not listed or listed != list(range(len(listed))):
        raise DistillError(f"{_rounds_path(out)} is missing or corrupted; this run cannot resume")
    return rounds


def play_states(acting: DistilledPolicy, spec, env_config, count: int, epsilon: float,
                seed: int) -> tuple[np.ndarray, list[float], float]:
    """``count`` observations uint8 [count, 4, 84, 84] of ``acting``'s epsilon-greedy
    games (a new game after each end; the last one cut at ``count``), the scores of the
    games that ended, and the reward over all ``count`` steps. Seeded by ``seed``."""
    from envs.atari import AtariEnv
    from imitation.collect import one_thread

    env_seed, acting_seed = np.random.SeedSequence([seed, 0]).generate_state(2)
    rng = np.random.default_rng(int(acting_seed))
    env = AtariEnv(spec.game, env_config, seed=int(env_seed) % 2**31)
    obs, _ = env.reset(seed=int(env_seed) % 2**31)
    states = np.empty((count, *obs.shape), np.uint8)
    scores, score, total = [], 0.0, 0.0
    with one_thread():
        for t in range(count):
            states[t] = obs
            obs, reward, terminated, truncated, _ = env.step(acting.act(obs, epsilon, rng))
            score += reward
            total += reward
            if terminated or truncated:
                scores.append(score)
                obs, score = env.reset()[0], 0.0
    return states, scores, total


@torch.inference_mode()
def teacher_targets(teacher: DistilledPolicy, states: np.ndarray, temperature: float,
                    batch: int = 512) -> np.ndarray:
    """log softmax(z_teacher / T) [N, A] float32 for states uint8 [N, 4, 84, 84]."""
    out = [F.log_softmax(teacher(teacher.obs_tensor(states[i:i + batch])).float() / temperature, dim=-1)
           for i in range(0, len(states), batch)]
    return torch.cat(out).cpu().numpy()


def distillation_loss(student_out: torch.Tensor, target_log_p: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """Mean over rows of -sum_a p_T(a) log softmax(student_out / T)(a); student_out [B, A]
    logits, target_log_p [B, A] the teacher's log p_T."""
    log_q = F.log_softmax(student_out / temperature, dim=-1)
    return -(target_log_p.exp() * log_q).sum(dim=-1).mean()


def _save_round(out: Path, round: int, states: np.ndarray, log_p: np.ndarray, scores: list[float],
                total: float) -> None:
    path = round_path(out, round)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.npz")
    np.savez_compressed(tmp, states=states, log_p=log_p, scores=np.asarray(scores, np.float64),
                        total=np.float64(total))
    os.replace(tmp, path)


def _load_round(out: Path, round: int, expect: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, list[float], float]:
    path = round_path(out, round)
    try:
        with np.load(path) as data:
            states, log_p = data["states"], data["log_p"]
            scores, total = data["scores"].tolist(), float(data["total"])
    except Exception as exc:   # zip, zlib, key or OS errors: a damaged file
        raise DistillError(f"{path} is truncated or corrupted ({type(exc).__name__}); "
                           f"delete it and resume to collect that round again") from None
    if states.shape[1:] != expect or len(log_p) != len(states):
        raise DistillError(f"{path} holds states {states.shape} and targets {log_p.shape}, "
                           f"not this run's [N, {', '.join(map(str, expect))}]")
    return states, log_p, scores, total


@torch.inference_mode()
def agreement(student: DistilledPolicy, states: np.ndarray, log_p: np.ndarray, batch: int = 512) -> float:
    """How often the student's argmax is the teacher's (the argmax of log_p [N, A]) on
    states [N, 4, 84, 84]."""
    hits = sum(int((student(student.obs_tensor(states[i:i + batch])).argmax(-1).cpu().numpy()
                    == log_p[i:i + batch].argmax(-1)).sum()) for i in range(0, len(states), batch))
    return hits / max(len(states), 1)


def _fit(student: DistilledPolicy, optimizer, states: np.ndarray, log_p: np.ndarray,
         config: CompressConfig, seed: int, round: int) -> dict:
    """``config.epochs`` passes over states [N, ...] with targets log_p [N, A]; returns the
    last epoch's mean loss and how often the student's argmax is the teacher's."""
    rng = np.random.default_rng([seed, round, 1])
    student.train()
    for _ in range(config.epochs):
        order = rng.permutation(len(states))
        loss_sum, agree, rows = 0.0, 0, 0
        for i in range(0, len(order), config.batch_size):
            rows_i = np.sort(order[i:i + config.batch_size])
            target = torch.from_numpy(log_p[rows_i]).to(student.device)
            out = student(student.obs_tensor(states[rows_i]))
            loss = distillation_loss(out, target, config.temperature)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(rows_i)
            agree += int((out.argmax(-1) == target.argmax(-1)).sum())
            rows += len(rows_i)
    student.eval()
    return {"loss": loss_sum / rows, "agreement": agree / rows}


def compress(teacher: Checkpoint, config: CompressConfig, out: Path, *, seed: int = 0,
             device: str = "cpu", max_episode_frames: int = 108_000,
             on_round: Callable[[dict], None] | None = None) -> list[dict]:
    """Distil ``teacher`` into a student of ``config.network``, writing the run to ``out``
    (continuing after its last complete round); returns one entry per round: the states
    so far (``labels_total``), the student's agreement with the teacher's argmax on the
    round's new states before its fit (``new_state_agreement``; DAgger's held-out
    measure) and on all states in the fit's last epoch, the fit's loss, the collecting
    games' scores, the protocol evaluation (``eval_mean``, ``eval_std``, ``eval_scores``,
    ``latency_ms_p50``) and the round's seconds."""
    spec = teacher.spec
    env_config = EvalProtocol(max_episode_frames=max_episode_frames).env_config(spec)
    protocol = EvalProtocol(episodes=config.eval_episodes, max_episode_frames=max_episode_frames)
    policy_config = PolicyConfig(network=config.network)
    student = DistilledPolicy(policy_config, spec.num_actions, seed=seed, device=device)
    optimizer = torch.optim.Adam(student.parameters(), lr=config.lr)
    rounds = completed_rounds(out)
    if rounds:   # a stopped run: continue after its last complete round
        last = len(rounds) - 1
        student.load_state_dict(load_checkpoint(checkpoint_path(out, last), expect=spec,
                                                device=device).policy.state_dict())
        try:
            optimizer.load_state_dict(torch.load(_optimizer_path(out, last), map_location="cpu",
                                                 weights_only=True))
        except Exception as exc:   # missing, truncated or another network's
            raise DistillError(f"{_optimizer_path(out, last)} cannot be read ({type(exc).__name__}); "
                               f"this run cannot resume") from None
    done = len(rounds)
    capacity = config.rounds * config.states_per_round
    obs_shape = tuple(spec.obs_shape)
    states = np.empty((capacity, *obs_shape), np.uint8)
    log_p = np.empty((capacity, spec.num_actions), np.float32)
    for r in range(config.rounds):
        t0 = time.perf_counter()
        rows = slice(r * config.states_per_round, (r + 1) * config.states_per_round)
        if round_path(out, r).is_file():   # collected before a stop: the same states
            states[rows], log_p[rows], scores, total = _load_round(out, r, obs_shape)
        elif r < done:
            raise DistillError(f"{round_path(out, r)} is missing; round {r} cannot be replayed")
        else:
            acting = teacher.policy if r == 0 else student
            round_seed = int(np.random.SeedSequence([seed, r]).generate_state(1)[0])
            states[rows], scores, total = play_states(acting, spec, env_config, config.states_per_round,
                                                      config.epsilon, round_seed)
            log_p[rows] = teacher_targets(teacher.policy, states[rows], config.temperature)
            _save_round(out, r, states[rows], log_p[rows], scores, total)
        if r < done:
            continue
        seen = slice(0, rows.stop)
        if r == 0:
            student.net.set_input_mean(states[seen].mean(axis=0, dtype=np.float64))
        collected = time.perf_counter()
        new_agreement = agreement(student, states[rows], log_p[rows])   # states it was not fitted on
        fit = _fit(student, optimizer, states[seen], log_p[seen], config, seed, r)
        entry = {"round": r, "labels_total": rows.stop, "new_state_agreement": new_agreement,
                 "fit_loss": fit["loss"], "fit_agreement": fit["agreement"],
                 "acting": "teacher" if r == 0 else "student", "collection_scores": scores,
                 "collection": {"score_per_1000_steps": 1000.0 * total / config.states_per_round},
                 "collect_seconds": collected - t0, "fit_seconds": time.perf_counter() - collected}
        if config.eval_episodes:
            result = evaluate_policy(student, spec, protocol, seed)
            entry.update(eval_mean=result.mean, eval_std=result.std, eval_scores=result.scores,
                         latency_ms_p50=result.latency_percentile(50))
        else:
            entry.update(eval_mean=float("nan"), eval_std=float("nan"))
        entry["seconds"] = time.perf_counter() - t0
        rounds.append(entry)
        save_checkpoint(checkpoint_path(out, r), student, spec, round=r)
        save_checkpoint(policy_path(out), student, spec, round=r)
        tmp = _optimizer_path(out, r).with_suffix(".tmp")
        torch.save(optimizer.state_dict(), tmp)
        os.replace(tmp, _optimizer_path(out, r))
        write_json(_rounds_path(out), rounds)   # last: the round is complete once it is listed
        if on_round is not None:
            on_round(entry)
    return rounds

