"""``distill compare --task T``: DAgger, PLATO and GPS on one continuous task, at one budget.

Every method trains the same policy class (:class:`~imitation.gps.policy.GaussianPolicy`)
with the same precision-weighted S-step, from the same first C training conditions, for
each of K seeds, and may spend at most N environment steps:

* ``dagger``, ``plato`` (:mod:`imitation.gps.continuous_imitation`): rounds of one
  episode per condition, ``N // (C T)`` rounds; the MPC expert plans on the true simulator;
* ``gps`` (:mod:`imitation.gps.mdgps`, on-policy MDGPS): iterations of ``S`` samples per
  condition, ``N // (C S T)`` iterations; no planning on the simulator;
* ``sac``, only where stable-baselines3 is installed (never required): its SAC with
  default settings on the same conditions for the same N steps, evaluated after every
  ``C T`` steps, the model-free reference of GPS's sample-efficiency claim.

After every round or iteration the policy's mean action is rolled out once from each
held-out test condition. The report (:mod:`common.report`) plots the mean held-out cost
against environment steps with a band across seeds, and tabulates the final cost, the
held-out success rate and final distance, and per run the environment steps, the
simulator steps spent planning, the catastrophic training episodes and the wall time.
Each (method, seed) also writes ``DIR/<method>/seed<S>/``: its curve (``result.json``),
its final policy (``policy.pt``) and TensorBoard scalars (``tb/``).
"""
from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import ConfigError, DistillError
from common.report import Column, MethodRuns, ReportSpec, SeedCurve, write_report
from imitation.gps.continuous_imitation import ContinuousImitationConfig, run_imitation
from imitation.gps.mdgps import MDGPSConfig, run_mdgps
from imitation.gps.policy import GaussianPolicyConfig, SplitEvaluation, evaluate_policy
from imitation.gps.sstep import SStepConfig

METHODS = ("dagger", "plato", "gps", "sac")
DEFAULT_METHODS = ("dagger", "plato", "gps")

COLUMNS = (
    Column("success_rate", "held-out success"),
    Column("final_distance", "held-out final distance"),
    Column("env_steps", "env steps"),
    Column("planning_simulator_steps", "planning simulator steps"),
    Column("catastrophes", "catastrophic training episodes"),
    Column("wall_seconds", "wall s"),
)


@dataclass(frozen=True)
class TaskDefaults:
    """A task's comparison defaults: env_steps: the budget N;  conditions: C;
    gps_samples: GPS's trajectories per condition per iteration (2 is the fewest its
    local dynamics fits stand);  gps_init: GPS's initial controllers."""

    env_steps: int
    conditions: int
    gps_samples: int = 2
    gps_init: str = "zero"


# T = 100 tasks: 6 rounds of DAgger and PLATO, 3 GPS iterations; reacher (T = 50, 8 targets):
# 10 rounds, 5 iterations, GPS's goal budget, with PD initial controllers.
TASK_DEFAULTS = {
    "pointmass": TaskDefaults(env_steps=2400, conditions=4),
    "arm": TaskDefaults(env_steps=2400, conditions=4),
    "pendulum": TaskDefaults(env_steps=2400, conditions=4),
    "reacher": TaskDefaults(env_steps=4000, conditions=8, gps_init="pd"),
}


@dataclass
class ContinuousCompareConfig:
    """task and its horizon T, methods, seeds;  env_steps: the budget N of every run;
    conditions: C;  gps, dagger, plato: each method's full configuration (iterations and
    rounds already fitted to the budget)."""

    task: str
    horizon: int
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    env_steps: int
    conditions: int
    gps: MDGPSConfig
    dagger: ContinuousImitationConfig
    plato: ContinuousImitationConfig


def sac_available() -> bool:
    return importlib.util.find_spec("stable_baselines3") is not None


def parse_methods(text: str | None) -> tuple[str, ...]:
    """``dagger,plato,gps`` -> a tuple; ``None`` gives the defaults (with ``sac`` when
    stable-baselines3 is installed). Unknown, repeated or unavailable methods are errors."""
    if text is None:
        return DEFAULT_METHODS + (("sac",) if sac_available() else ())
    methods = tuple(m.strip() for m in text.split(",") if m.strip())
    if not methods:
        raise ConfigError("methods", "needs at least one method")
    for m in methods:
        if m not in METHODS:
            raise ConfigError("methods", f"has an unknown method {m!r} for a continuous task; choose from "
                                         f"{', '.join(METHODS)}")
    if len(set(methods)) != len(methods):
        raise ConfigError("methods", "has a method listed twice")
    if "sac" in methods and not sac_available():
        raise ConfigError("methods", "has sac, which needs stable-baselines3, not installed "
                                     "(pip install stable-baselines3)")
    return methods


def build_config(task, methods: tuple[str, ...], seeds: tuple[int, ...], env_steps: int | None = None,
                 conditions: int | None = None, schedule: str | None = None,
                 lambda_schedule: str | None = None, sstep: SStepConfig | None = None,
                 policy: GaussianPolicyConfig | None = None) -> ContinuousCompareConfig:
    """The comparison on ``task`` (a Task object), with the task's defaults for what is ``None``.
    Budgets too small for one round or iteration are a :class:`ConfigError` naming the field."""
    if not seeds:
        raise ConfigError("seeds", "must be a positive integer")
    defaults = TASK_DEFAULTS.get(task.name, TaskDefaults(env_steps=2400, conditions=4))
    n_train = len(task.train_conditions)
    C = min(defaults.conditions, n_train) if conditions is None else conditions
    if not 1 <= C <= n_train:
        raise ConfigError("conditions", f"{C}: {task.name} has {n_train} training conditions (1..{n_train})")
    N = defaults.env_steps if env_steps is None else env_steps
    per_iteration = C * defaults.gps_samples * task.T
    if N < per_iteration:
        raise ConfigError("env_steps", f"{N} is less than one GPS iteration on {task.name} "
                           f"({C} conditions x {defaults.gps_samples} samples x T={task.T} = {per_iteration} steps)")
    for key, value, method in (("schedule", schedule, "dagger"), ("lambda_schedule", lambda_schedule, "plato")):
        if value is not None and method not in methods:
            raise ConfigError(key, f"applies to {method}, which is not among the methods")
    sstep = sstep or SStepConfig()
    policy = policy or GaussianPolicyConfig()
    rounds = N // (C * task.T)
    gps = MDGPSConfig(conditions=C, samples=defaults.gps_samples, iterations=N // per_iteration,
                      init=defaults.gps_init, policy=policy, sstep=sstep)
    common = dict(conditions=C, rounds=rounds, episodes_per_round=C, policy=policy, sstep=sstep)
    try:
        dagger = ContinuousImitationConfig("dagger", schedule=schedule, **common)
        plato = ContinuousImitationConfig("plato", lambda_schedule=lambda_schedule, **common)
    except ConfigError:
        raise   # names its field; the CLI shows the flag
    except ValueError as exc:
        raise DistillError(str(exc)) from None
    return ContinuousCompareConfig(task=task.name, horizon=task.T, methods=methods, seeds=tuple(seeds), env_steps=N,
                                   conditions=C, gps=gps, dagger=dagger, plato=plato)


@dataclass
class _Point:
    """One curve point of a run: the evaluation after ``env_steps`` and the counters so far."""

    env_steps: int
    evaluation: SplitEvaluation
    planning_simulator_steps: int = 0
    catastrophes: int = 0


@dataclass
class _Run:
    points: list[_Point] = field(default_factory=list)
    wall_seconds: float = 0.0


def _writer_callback(run: _Run, writer, bar, label: str):
    """Record a curve point and its TensorBoard scalars, keyed by environment steps."""

    def record(entry, policy) -> None:
        point = _Point(entry.env_steps, entry.evaluation,
                       getattr(entry, "planning_simulator_steps", 0), entry.catastrophes)
        run.points.append(point)
        x, ev = point.env_steps, point.evaluation
        for split in ("train", "test"):
            summary = getattr(ev, split).summary()
            writer.add_scalar(f"policy/cost_{split}", summary["policy_cost"], x)
            writer.add_scalar(f"policy/final_distance_{split}", summary["policy_final_distance"], x)
            writer.add_scalar(f"policy/success_{split}", summary["success_rate"], x)
        writer.add_scalar("training/catastrophes", point.catastrophes, x)
        writer.add_scalar("training/planning_simulator_steps", point.planning_simulator_steps, x)
        bar.set_postfix_str(f"{label} steps {x} test cost {ev.test.cost.mean():.4g}")

    return record


def _run_sac(task, config: ContinuousCompareConfig, seed: int, record) -> None:
    """stable-baselines3's SAC with its defaults for ``env_steps``, evaluated every C T steps."""
    import gymnasium as gym
    from stable_baselines3 import SAC

    from envs.control import make_task
    from envs.control.gym_env import TaskEnv

    C, T = config.conditions, task.T

    class _Training(gym.Wrapper):
        """Episodes from the first C training conditions; counts catastrophic episodes."""

        def __init__(self, env):
            super().__init__(env)
            self.catastrophes, self._hit = 0, False

        def reset(self, *, seed=None, options=None):
            if seed is not None:
                self.env.reset(seed=seed)
            obs, info = self.env.reset(options={"condition": int(self.env.np_random.integers(C))})
            self._hit = bool(self.env.task.catastrophe(info["state"], 0))
            return obs, info

        def step(self, action):
            obs, reward, terminated, truncated, info = self.env.step(action)
            self._hit |= info["catastrophe"]
            if terminated or truncated:
                self.catastrophes += int(self._hit)
            return obs, reward, terminated, truncated, info

    training_task = make_task(task.name)
    training_task.T = T
    env = _Training(TaskEnv(training_task))
    env.reset(seed=seed)
    model = SAC("MlpPolicy", env, seed=seed, verbose=0)

    class _Mean:
        def mean(self, obs):
            return model.predict(obs, deterministic=True)[0].astype(np.float64)

    @dataclass
    class _Entry:
        env_steps: int
        evaluation: SplitEvaluation
        catastrophes: int

    record(_Entry(0, evaluate_policy(task, _Mean(), C), 0), None)
    done = 0
    while done + C * T <= config.env_steps:
        model.learn(total_timesteps=C * T, reset_num_timesteps=False)
        done += C * T
        record(_Entry(done, evaluate_policy(task, _Mean(), C), env.catastrophes), None)


def _run_method(method: str, config: ContinuousCompareConfig, seed: int, run_out: Path, bar) -> _Run:
    from torch.utils.tensorboard import SummaryWriter

    from common import rundir
    from envs.control import make_task

    task = make_task(config.task)
    task.T = config.horizon
    run = _Run()
    writer = SummaryWriter(str(run_out / "tb"))
    record = _writer_callback(run, writer, bar, f"{method} seed {seed}")
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    policy = None
    if method == "gps":
        policy = run_mdgps(task, config.gps, rng, seed, record).policy
    elif method in ("dagger", "plato"):
        policy = run_imitation(task, getattr(config, method), rng, seed, record).policy
    else:
        _run_sac(task, config, seed, record)
    run.wall_seconds = time.perf_counter() - start
    writer.close()
    if policy is not None:
        policy.save(run_out / "policy.pt")
    rundir.write_result(run_out, {
        "method": method, "seed": seed, "wall_seconds": run.wall_seconds,
        "curve": [{"env_steps": p.env_steps, "planning_simulator_steps": p.planning_simulator_steps,
                   "catastrophes": p.catastrophes, **p.evaluation.summary()} for p in run.points]})
    return run


def compare_continuous(config: ContinuousCompareConfig, out: Path) -> dict[str, Any]:
    """Run every method with every seed in ``out/<method>/seed<S>/`` and write the report."""
    from tqdm import tqdm

    methods = []
    with tqdm(total=len(config.methods) * len(config.seeds), desc=f"compare {config.task}",
              unit="run", disable=None) as bar:
        for method in config.methods:
            curves, columns = [], {c.key: [] for c in COLUMNS}
            for seed in config.seeds:
                run_out = out / method / f"seed{seed}"
                run_out.mkdir(parents=True, exist_ok=True)
                run = _run_method(method, config, seed, run_out, bar)
                last = run.points[-1]
                curves.append(SeedCurve(seed, [p.env_steps for p in run.points],
                                        [float(p.evaluation.test.cost.mean()) for p in run.points]))
                columns["success_rate"].append(float(last.evaluation.test.success.mean()))
                columns["final_distance"].append(float(last.evaluation.test.final_distance.mean()))
                columns["env_steps"].append(last.env_steps)
                columns["planning_simulator_steps"].append(last.planning_simulator_steps)
                columns["catastrophes"].append(last.catastrophes)
                columns["wall_seconds"].append(round(run.wall_seconds, 1))
                bar.update()
            methods.append(MethodRuns(method, curves, columns))
    spec = ReportSpec(title=f"{config.task}: DAgger, PLATO and GPS at {config.env_steps} environment steps",
                      x_label="environment steps", y_label="policy cost (held-out conditions)",
                      final_header="final policy cost", columns=COLUMNS)
    extra = {"task": config.task, "horizon": config.horizon, "env_step_budget": config.env_steps, "conditions": config.conditions,
             "seeds_used": list(config.seeds), "gps": config.gps,
             "dagger": config.dagger, "plato": config.plato,
             "protocol": "policy mean action, one rollout per held-out test condition after every "
                         "round/iteration; catastrophes count training episodes that hit the task's "
                         "catastrophe predicate; planning simulator steps are the MPCs' (GPS plans "
                         "on fitted models only)"}
    return write_report(out, spec, methods, extra=extra)
