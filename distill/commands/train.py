"""``distill train``: distil the UCT planner into a CNN policy, round by round.

``--algo uct-classification`` / ``uct-regression``: the planner plays and labels its own
states (Guo et al. 2014). ``dagger``: from round 1 the DAgger mix acts (beta schedule).
``plato``: PLATO's teacher acts (lambda schedule). Their learner is a classifier unless
``--head regression``. ``exit``: expert iteration, from round 1 the planner is guided by
the learner (the guidance flags); the planner acts unless ``--schedule`` lets the learner
drive. See :mod:`imitation.rounds`.
"""
from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from pathlib import Path

from common.errors import DistillError
from distill.args import (NETWORKS, add_actions, add_out, add_seed, device_name, nonneg_int, positive_float,
                          positive_int, probability)
from distill.expert_args import (add_expert_arguments, add_guidance_arguments, expert_config, guidance_config,
                                guidance_overrides)
from imitation.algorithms import ALGORITHMS, DAgger, ExpertIteration, Plato
from imitation.resets import NetworkReset
from imitation.time_budget import TimeBudget
from mcts.targets import TARGETS

NAME = "train"
HELP = "distil the planner into a policy (UCTtoClassification/Regression, DAgger, PLATO, expert iteration)"

COLLECT_NOOP_MAX = 30


@dataclass(frozen=True)
class TrainCommandConfig:
    run: "DistillConfig"      # noqa: F821 - imitation.rounds, imported lazily
    execution: "Execution"    # noqa: F821
    max_hours: float | None = None   # --max-hours: where the run stops, not what it labels
    swa_rounds: int = 0              # --swa-rounds: an extra output, not what it labels


def add_collection_arguments(parser: argparse.ArgumentParser, eval_episodes: int = 5) -> None:
    """Collection, policy, fitting and evaluation flags shared by ``train`` and ``compare``."""
    g = parser.add_argument_group("collection")
    g.add_argument("--max-episode-frames", type=positive_int, default=108_000,
                   help="cap of collection and evaluation episodes in emulator frames (default 108000)")
    add_actions(g)
    g.add_argument("--schedule", default=None, metavar="BETA",
                   help=f"the probability that the planner acts, per round: indicator, exponential[:P], linear "
                        f"or constant:P (dagger's default {DAgger().beta}; exit's {ExpertIteration().beta}, "
                        f"below 1 the learner drives)")
    g.add_argument("--lambda-schedule", default=None, metavar="L0[:RATIO]",
                   help=f"plato's relative lambda_i = L0 RATIO^i (default {Plato().lam})")
    g.add_argument("--epsilon", type=probability, default=None,
                   help=f"the learner's exploration when dagger (or exit) lets it act (default {DAgger().epsilon})")
    g.add_argument("--label-every", type=positive_int, default=None, metavar="K",
                   help="dagger and exit: where the learner acts, the planner searches and labels only every "
                        "K-th state (its own steps are all labelled), spreading the labels over more of the "
                        "learner's games (default 1: every state)")
    g.add_argument("--guidance-from", type=positive_int, default=None, metavar="K",
                   help="exit: the first round the guidance flags guide; rounds 1 to K-1 take "
                        "--early-guidance (default 1)")
    g.add_argument("--early-guidance", type=guidance_overrides, default=None, metavar="FLAG=VALUE,...",
                   help="exit, with --guidance-from: the guidance of rounds 1 to K-1, as the guidance "
                        "flags with these changed, e.g. rollout-policy=random,guided-frames=2000")
    g.add_argument("--workers", type=positive_int, default=1,
                   help="episodes labelled in parallel, one process each (default 1)")
    g.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="run the labelling episodes on local processes or on Ray (default local)")
    g.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="Ray cluster to join with --backend ray (default: start a local one)")
    p = parser.add_argument_group("policy and fitting")
    p.add_argument("--network", choices=NETWORKS, default="dqn2013",
                   help="dqn2013 (Guo et al.'s, default), nature, or compact (distill compress's student)")
    p.add_argument("--head", choices=("classification", "regression"), default=None,
                   help=f"dagger and plato: the learner's head, classification (UCC-I with the "
                        f"indicator schedule) or regression (a UCTtoRegression learner; default {DAgger().head})")
    p.add_argument("--target", choices=TARGETS, default=None,
                   help=f"classification target: the planner's action (default; {ExpertIteration.default_target} "
                        f"for exit), its visit distribution, or completed-q (Gumbel MuZero's improved policy "
                        f"from the label's prior and Q-values)")
    p.add_argument("--tau", type=positive_float, default=None,
                   help="regression head: pi_theta = softmax(Q / (tau * spread)) (default 0.1)")
    p.add_argument("--q-weights", choices=("uniform", "visits"), default=None,
                   help="regression head: weight each Q target equally (default) or by its visit "
                        "count (the precision-weighted fit)")
    p.add_argument("--epochs", type=positive_int, default=10, help="passes over the data per round (default 10)")
    p.add_argument("--batch-size", type=positive_int, default=100, help="minibatch size (default 100)")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="Adam step size (default 1e-3)")
    p.add_argument("--max-train-steps", type=positive_int, default=None,
                   help="cap on gradient steps per round (default: none)")
    p.add_argument("--reset-every", type=nonneg_int, default=0, metavar="N",
                   help="start the fit of rounds N, 2N, ... from a fresh network, fitted on all the labels for "
                        "--reset-epochs passes without --max-train-steps' cap (primacy-bias resets, Nikishin "
                        "et al. 2022; default 0: never)")
    p.add_argument("--reset-epochs", type=positive_int, default=None, metavar="E",
                   help=f"passes of a reset round's fit (default {NetworkReset().epochs}; needs --reset-every)")
    p.add_argument("--val-fraction", type=probability, default=0.1,
                   help="fraction of episodes held out for agreement (default 0.1)")
    p.add_argument("--augment-shift", type=nonneg_int, default=0, metavar="PX",
                   help="shift each training observation by up to PX pixels, at random (DrQ; default 0: none)")
    p.add_argument("--device", type=device_name, default="auto",
                   help="training device: auto (GPU when present), cpu, cuda or cuda:N")
    e = parser.add_argument_group("evaluation after each round")
    e.add_argument("--eval-episodes", type=positive_int, default=eval_episodes,
                   help=f"episodes per evaluation, epsilon 0.05 and up to 30 no-ops (default {eval_episodes})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--algo", required=True, choices=ALGORITHMS, help="the distillation algorithm")
    parser.add_argument("--game", required=True, help="ALE game, e.g. pong")
    parser.add_argument("--rounds", type=positive_int, default=3, help="rounds, counted from 0 (default 3)")
    parser.add_argument("--episodes-per-round", type=positive_int, default=4,
                        help="labelling episodes per round (default 4)")
    parser.add_argument("--labels-per-episode", type=positive_int, default=None, metavar="L",
                        help="cut each labelling episode after L labels (default: play it out)")
    parser.add_argument("--max-hours", type=positive_float, default=None, metavar="H",
                        help="start a round only if the rounds so far (over every --resume) and it are "
                             "expected to end within H hours of wall time (default: no limit)")
    parser.add_argument("--swa-rounds", type=positive_int, default=None, metavar="W",
                        help="also keep swa.pt: the weight average of the W consecutive rounds, one "
                             "network without a reset inside, with the best mean evaluation (SWA, "
                             "Izmailov et al. 2018; default: none)")
    add_collection_arguments(parser)
    add_expert_arguments(parser)
    add_guidance_arguments(parser, "exit, from round 1")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out where it stopped (same flags; --rounds may grow "
                             "to extend a finished run)")
    b = parser.add_argument_group("branching another run")
    b.add_argument("--branch-from", type=Path, default=None, metavar="DIR",
                   help="start --out (a new folder) with rounds 0 to --after-round of the run in DIR, "
                        "then continue under these flags, which must leave those rounds as they were "
                        "played (as on --resume)")
    b.add_argument("--after-round", type=nonneg_int, default=None, metavar="K",
                   help="with --branch-from: the last round kept")
    add_seed(parser)
    add_out(parser)


def algorithm_settings(args: argparse.Namespace) -> dict:
    """The algorithm settings the flags give, by field (None: not given, the library's default)."""
    from dataclasses import replace

    from imitation.schedules import parse_beta_schedule, parse_lambda_schedule

    if ((args.guidance_from or 1) > 1) != (args.early_guidance is not None):
        raise DistillError("--guidance-from K (K > 1) and --early-guidance go together: the early "
                           "guidance guides rounds 1 to K - 1")
    guidance = guidance_config(args, ExpertIteration().guidance)
    early = None if args.early_guidance is None else \
        replace(guidance or ExpertIteration().guidance, **args.early_guidance)
    return {"beta": None if args.schedule is None else parse_beta_schedule(args.schedule),
            "lam": None if args.lambda_schedule is None else parse_lambda_schedule(args.lambda_schedule),
            "epsilon": args.epsilon, "head": args.head, "label_every": args.label_every,
            "guidance_from": args.guidance_from, "guidance": guidance, "early_guidance": early}


def policy_options(args: argparse.Namespace) -> dict:
    """The head-specific policy options the flags give (None: not given)."""
    return {"target": args.target, "tau": args.tau, "q_weights": args.q_weights}


def distill_config(args: argparse.Namespace, algorithm, policy, game: str, *, rounds: int,
                   episodes_per_round: int, labels_per_episode: int | None, seed: int):
    """The :class:`imitation.rounds.DistillConfig` of the parsed flags for ``algorithm``
    (:mod:`imitation.algorithms`), training ``policy``."""
    from envs.atari import AtariConfig
    from imitation.collect import CollectConfig
    from imitation.evaluate import EvalProtocol
    from imitation.rounds import DistillConfig
    from imitation.train_policy import TrainConfig

    if args.val_fraction >= 1.0:
        raise DistillError(f"--val-fraction must be below 1, got {args.val_fraction}")
    if args.backend != "ray" and args.ray_address is not None:
        raise DistillError("--ray-address needs --backend ray")
    if args.reset_epochs is not None and args.reset_every == 0:
        raise DistillError("--reset-epochs needs --reset-every N (N > 0): no round would use it")
    reset = NetworkReset(every=args.reset_every,
                         **({} if args.reset_epochs is None else {"epochs": args.reset_epochs}))
    env = AtariConfig(noop_max=COLLECT_NOOP_MAX, max_episode_frames=args.max_episode_frames, actions=args.actions)
    return DistillConfig(
        algorithm=algorithm, game=game, rounds=rounds, episodes_per_round=episodes_per_round, seed=seed,
        collect=CollectConfig(game, env, expert_config(args), labels_per_episode),
        policy=policy,
        train=TrainConfig(lr=args.lr, batch_size=args.batch_size, epochs=args.epochs,
                          max_steps=args.max_train_steps, val_fraction=args.val_fraction,
                          augment_shift=args.augment_shift),
        eval=EvalProtocol(episodes=args.eval_episodes, max_episode_frames=args.max_episode_frames),
        reset=reset)


def check_device(device: str) -> None:
    """Refuse a GPU that is not there (``--device``'s type has checked the name)."""
    if device in ("auto", "cpu"):
        return
    import torch

    if not torch.cuda.is_available():
        raise DistillError(f"--device {device}: no CUDA GPU is available")
    count = torch.cuda.device_count()
    if int(device.partition(":")[2] or 0) >= count:
        raise DistillError(f"--device {device}: this machine has {count} CUDA GPU(s), cuda:0 to cuda:{count - 1}")


def execution_of(args: argparse.Namespace):
    from imitation.rounds import Execution

    return Execution(workers=args.workers, backend=args.backend, ray_address=args.ray_address,
                     device=args.device)


def _prepare_out(args: argparse.Namespace, game: str, config) -> tuple[Path, bool]:
    """(the run folder, whether its rounds so far are continued): the folder checked for
    --resume, or made a branch of --branch-from (removed again if the flags would change a
    copied round)."""
    from common import rundir
    from imitation.branch import check_branch, copy_rounds
    from imitation.rounds import check_resume

    if (args.branch_from is None) != (args.after_round is None):
        raise DistillError("--branch-from DIR and --after-round K go together")
    if args.branch_from is None:
        out = rundir.prepare_out(args.out, NAME, game, resume=args.resume)
        if args.resume:
            check_resume(out, config)
        return out, args.resume
    if args.resume:
        raise DistillError("--branch-from starts a new folder; continue a branch with --resume alone")
    out = rundir.default_out(NAME, game) if args.out is None else Path(args.out)
    check_branch(args.branch_from, out, args.after_round)
    out = rundir.prepare_out(out, NAME, game, resume=False)
    try:
        copy_rounds(args.branch_from, out, args.after_round)
        check_resume(out, config, branch_of=args.branch_from)
    except DistillError:
        shutil.rmtree(out, ignore_errors=True)   # empty or absent before check_branch
        raise
    return out, True


def run(args: argparse.Namespace) -> int:
    from common import rundir
    from envs.atari import canonical_game
    from imitation.algorithms import build_algorithm, learner_policy

    game = canonical_game(args.game)
    algorithm = build_algorithm(args.algo, **algorithm_settings(args))  # before torch, and any folder
    from envs.atari.determinism import require_exact_replay
    from imitation.networks import NetworkConfig
    from imitation.rounds import run_distillation

    require_exact_replay(game)
    check_device(args.device)
    policy = learner_policy(algorithm, network=NetworkConfig(arch=args.network), **policy_options(args))
    config = distill_config(args, algorithm, policy, game, rounds=args.rounds,
                            episodes_per_round=args.episodes_per_round,
                            labels_per_episode=args.labels_per_episode, seed=args.seed)
    out, resume = _prepare_out(args, game, config)
    swa_rounds = args.swa_rounds or 0
    rundir.write_config(out, NAME, TrainCommandConfig(config, execution_of(args), args.max_hours, swa_rounds),
                        args.seed)
    budget = None if args.max_hours is None else TimeBudget(args.max_hours)
    result = run_distillation(config, execution_of(args), out, resume=resume, budget=budget,
                              swa_rounds=swa_rounds)
    agree = result["val_agreement"]
    stopped = f" (stopped by --max-hours {args.max_hours:g})" if result.get("stopped_by_budget") else ""
    print(f"{game} {args.algo}: {len(result['rounds'])} rounds{stopped}, {result['labels_total']} labels, "
          f"eval {result['eval_mean']:.2f} ± {result['eval_std']:.2f}, val agreement "
          f"{'n/a' if agree is None else f'{agree:.3f}'}; policy {result['checkpoint']}"
          + (f", swa.pt = the average of rounds {result['swa_rounds'][0]} to {result['swa_rounds'][-1]}"
             if result.get("swa_rounds") else "") + "  "
          f"({out}/result.json)")
    return 0
