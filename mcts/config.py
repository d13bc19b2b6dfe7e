"""The planner's configuration: UCT as in Guo et al.'s atari_uct code, each choice an option."""
from __future__ import annotations

from dataclasses import dataclass

from common.errors import ConfigError


@dataclass(frozen=True)
class Budget:
    """Per-decision search budget: exactly one of the three is set.

    sims:    new simulations per decision (visits reused from the kept subtree don't count);
    frames:  emulator frames per decision (the last simulation may overshoot by one rollout);
    seconds: wall-clock seconds per decision (NOT reproducible: depends on the machine).
    """

    sims: int | None = None
    frames: int | None = None
    seconds: float | None = None

    def __post_init__(self):
        given = [(n, v) for n, v in (("sims", self.sims), ("frames", self.frames), ("seconds", self.seconds))
                 if v is not None]
        if len(given) != 1:
            raise ConfigError("budget", f"needs exactly one of sims, frames and seconds, got "
                                        f"{', '.join(n for n, _ in given) or 'none'}")
        name, value = given[0]
        if not value > 0:
            raise ConfigError(f"budget.{name}", f"must be > 0, got {value}")

    def exhausted(self, sims: int, frames: int, seconds: float) -> bool:
        """Is a search that ran ``sims`` simulations, ``frames`` frames and ``seconds``
        seconds done? Always runs at least one simulation; under a frame budget also
        stops after ``frames`` simulations, in case a fully explored tree spends none."""
        if self.sims is not None:
            return sims >= self.sims
        if sims == 0:
            return False
        if self.frames is not None:
            return frames >= self.frames or sims >= self.frames
        return seconds >= self.seconds

    @property
    def reproducible(self) -> bool:
        return self.seconds is None

    def split(self, workers: int, worker: int) -> "Budget":
        """This worker's share when ``workers`` search the same root in parallel."""
        if self.sims is not None:
            return Budget(sims=max(1, self.sims // workers + (worker < self.sims % workers)))
        if self.frames is not None:
            return Budget(frames=max(1, self.frames // workers))
        return self


ROLLOUT_NOISE = ("independent", "common")


@dataclass(frozen=True)
class UCTConfig:
    """UCT (Kocsis & Szepesvari 2006) with the defaults of Guo et al.'s atari_uct code.

    exploration:  UCB1 constant c in Q + c sqrt(ln N / n), on sign-clipped rewards.
    gamma:        discount of simulated returns.
    max_depth:    maximum depth in agent steps from the root, tree and rollout together.
    final_action: "mean" (highest mean return) or "visits" (most visited root action).
    reuse_tree:   keep the subtree under the real action for the next decision.
    skip_rule:    when every action leads to the same next state (equal RAM), run no
                  search and record no label.
    merge_aliases: root actions with the same next state (the exact emulator state,
                  reward and terminal flag, :meth:`mcts.model.Model.state_identity`; e.g.
                  Pong's NOOP and LEFT with the paddle against the wall) are one action:
                  every root action is expanded once (as the skip rule does), a group's
                  actions all lead to one child (its most visited, so a subtree kept
                  under an alias is not lost), so no budget is spent telling them apart,
                  and the label gives the group to its lowest action, the representative,
                  and reads the others as never tried (visits 0, Q NaN), so equivalent
                  moves always get the same label. The skip rule then compares exact
                  states too (the RAM can be equal where the futures are not).
    node_cap:     most nodes kept; each holds an emulator snapshot (~8 KB on Atari).
    root_workers: processes searching the same root with derived seeds, root
                  statistics merged (root parallelisation, Chaslot et al. 2008).
    life_loss_penalty: subtracted from a simulated step's reward when it loses a life
                  (0 in atari_uct; Bandres et al. 2018 penalise it). Applied by the
                  planning model, see :class:`envs.atari.PlanningConfig`.
    rollout_noise: "independent" (atari_uct: every rollout draws its own random
                  actions) or "common": common random numbers for sibling rollouts, so
                  the k-th simulation of a decision below each root action replays the
                  same random numbers (its rollout actions and its choice among untried
                  actions below the root). Comparisons between root actions are then
                  paired: where an action only shifts the return by a constant, the root
                  Q differences are exactly that constant. See :class:`mcts.uct.CommonRollouts`.

    Rollouts are uniformly random, leaves are valued 0 past the depth limit, and
    untried actions are expanded before any UCB choice (in a uniformly random order).
    """

    budget: Budget = Budget(sims=100)
    exploration: float = 0.1
    gamma: float = 0.99
    max_depth: int = 50
    final_action: str = "mean"
    reuse_tree: bool = True
    skip_rule: bool = True
    merge_aliases: bool = False
    node_cap: int = 50_000
    root_workers: int = 1
    life_loss_penalty: float = 0.0
    rollout_noise: str = "independent"

    def __post_init__(self):
        for name, ok, rule in (("max_depth", self.max_depth >= 1, ">= 1"),
                               ("exploration", self.exploration >= 0, ">= 0"),
                               ("gamma", 0.0 < self.gamma <= 1.0, "in (0, 1]"),
                               ("node_cap", self.node_cap >= 2, ">= 2"),
                               ("root_workers", self.root_workers >= 1, ">= 1"),
                               ("life_loss_penalty", self.life_loss_penalty >= 0, ">= 0")):
            if not ok:
                raise ConfigError(name, f"must be {rule}, got {getattr(self, name)}")
        if self.final_action not in ("mean", "visits"):
            raise ConfigError("final_action", f"must be 'mean' or 'visits', got {self.final_action!r}")
        if self.rollout_noise not in ROLLOUT_NOISE:
            raise ConfigError("rollout_noise", f"must be 'independent' or 'common', got {self.rollout_noise!r}")


ROLLOUT_POLICIES = ("random", "learner")
SELECTIONS = ("ucb1", "puct")


@dataclass(frozen=True)
class GuidanceConfig:
    """How a learned network guides the search: expert iteration (Anthony, Tian & Barber
    2017; AlphaZero, Silver et al. 2017) on the real emulator (:class:`mcts.guided.GuidedUCT`).

    rollout:         "random" (uniform, atari_uct) or "learner": the network's greedy
                     action, a uniformly random one with probability ``rollout_epsilon``.
    rollout_epsilon: the learner rollouts' exploration.
    rollout_depth:   a rollout's most steps (None: to the search's depth limit).
    bootstrap:       end a rollout cut short (by ``rollout_depth`` or the depth limit) with
                     gamma^n V(s_n), the network's value of where it stopped.
    value_mix:       lambda of AlphaGo's leaf evaluation (Silver et al. 2016): a leaf is
                     worth (1 - lambda) V(s_leaf) + lambda z, z the (bootstrapped) rollout
                     return; 1 uses rollouts only, 0 the value only (then no rollout runs).
    selection:       "ucb1" (untried actions first, then UCB1, atari_uct) or "puct":
                     Q + c_puct P(a) sqrt(N) / (1 + n(a)), P the network's policy.
    c_puct:          PUCT's constant.
    lanes:           leaves selected per batch (with virtual loss) whose rollouts run in
                     lockstep on their own emulators, one network call per step for the batch.
    frames:          emulator frames per decision of the guided search (None: the planner's
                     budget, as round 0's UCT). A value-guided search needs far fewer frames
                     than UCT's random rollouts for labels as good (README, label quality).

    The defaults are the variant whose labels were best in ``distill bench labels`` on
    Pong, guided by round 0's network (README): leaves valued by the value head alone
    (so no rollout runs), PUCT with the policy as the prior, 16 leaves per network call.
    """

    rollout: str = "random"
    rollout_epsilon: float = 0.05
    rollout_depth: int | None = None
    bootstrap: bool = False
    value_mix: float = 0.0
    selection: str = "puct"
    c_puct: float = 1.0
    lanes: int = 16
    frames: int | None = None

    def __post_init__(self):
        if self.rollout not in ROLLOUT_POLICIES:
            raise ConfigError("rollout", f"must be one of {', '.join(ROLLOUT_POLICIES)}, got {self.rollout!r}")
        if self.selection not in SELECTIONS:
            raise ConfigError("selection", f"must be one of {', '.join(SELECTIONS)}, got {self.selection!r}")
        for name, ok, rule in (("rollout_epsilon", 0.0 <= self.rollout_epsilon <= 1.0, "in [0, 1]"),
                               ("value_mix", 0.0 <= self.value_mix <= 1.0, "in [0, 1]"),
                               ("c_puct", self.c_puct > 0, "> 0"),
                               ("lanes", self.lanes >= 1, ">= 1"),
                               ("rollout_depth", self.rollout_depth is None or self.rollout_depth >= 0,
                                ">= 0")):
            if not ok:
                raise ConfigError(name, f"must be {rule}, got {getattr(self, name)}")
        if self.frames is not None and self.frames < 1:
            raise ConfigError("guidance.frames", f"must be >= 1, got {self.frames}")

    @property
    def needs_value(self) -> bool:
        """The network's value output is used (bootstrapped rollouts or a value mix)."""
        return self.bootstrap or self.value_mix < 1.0

    @property
    def needs_network(self) -> bool:
        return self.rollout == "learner" or self.selection == "puct" or self.needs_value
