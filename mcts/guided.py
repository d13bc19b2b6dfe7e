"""UCT guided by the learner: the expert of expert iteration on the real emulator.

Expert iteration (Anthony, Tian & Barber 2017) and AlphaZero (Silver et al. 2017) let the
apprentice network guide the search that labels its next training states, so a label's
preference comes from a competent continuation that improves as the apprentice does. On
Atari the search still clones and restores the exact emulator state; the network only
changes how leaves are valued and which actions are tried. Every option is a field of
:class:`mcts.config.GuidanceConfig`:

* **learner rollouts** (``rollout="learner"``): a rollout follows the network's greedy
  action, a uniformly random one with probability epsilon;
* **a value head** (``bootstrap``, ``value_mix``): a rollout cut short ends with
  gamma^n V(s_n); a leaf is worth (1 - lambda) V(s_leaf) + lambda z, as in AlphaGo
  (Silver et al. 2016);
* **PUCT** (``selection="puct"``) with the network's policy as the prior, beside UCB1;
* **common random numbers** (``UCTConfig.rollout_noise="common"``): the k-th leaf below
  each root action takes its exploration coins and random actions from row k of one table.

One simulation batch: ``lanes`` leaves are selected one after another, each adding a
virtual visit on its path (so the next selection goes elsewhere), and expanded in the
tree's simulator. Their rollouts then run in lockstep, each on its own emulator (a lane
restores the leaf's snapshot), with one network call for the batch per step, so the
network's cost is shared by the lanes and the emulator stays the main cost. The virtual
visits are taken back and each return is backed up. With no network in use (round 0 of
``exit``) the rollouts are uniformly random, the search is UCT with leaf batches.

Random numbers, per batch and in this order: per lane its selection's uniform ``u``
(UCB1 only); then, step by step over the lanes in order, a learner rollout's coin and,
when exploring or rolling out randomly, its action (from the common table's row instead,
with common noise). The network runs on one thread, so the same seed gives the same
labels in any process.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from common.errors import ConfigError, DistillError
from mcts.config import Budget, GuidanceConfig, UCTConfig
from mcts.guide import Guide
from mcts.model import Model
from mcts.tree import root_branch
from mcts.uct import CommonRollouts, UCTPlanner


class GuidedUCT(UCTPlanner):
    """UCT whose rollouts, leaf values and priors come from ``guide`` (see the module),
    under ``config``'s budget unless ``guidance.frames`` gives the guided search its own.

    ``model`` must offer ``observation()`` (what ``guide`` reads), ``observation_of(state)``
    (a snapshot's, without restoring it) and ``spawn()`` (a lane:
    another simulator of the same game), as :class:`envs.atari.ScreenPlanningModel` does.
    """

    def __init__(self, model: Model, config: UCTConfig, guidance: GuidanceConfig,
                 guide: Guide | None = None, seed: int = 0, worker: int = 0):
        check_guidance(guidance, guide)
        if config.root_workers != 1:
            raise ConfigError("root_workers", f"must be 1 for a guided search (its lanes are its "
                                              f"parallelism), got {config.root_workers}")
        if guidance.frames is not None:
            config = replace(config, budget=Budget(frames=guidance.frames))
        super().__init__(model, config, seed, worker)
        self.guidance, self.guide = guidance, guide
        self.lanes = [model.spawn() for _ in range(guidance.lanes)]
        self.network_calls = 0

    @property
    def frames(self) -> int:
        return self.model.frames + sum(lane.frames for lane in self.lanes)

    def _prepare_root(self) -> np.ndarray | None:
        """PUCT needs the root's prior before the first selection; merged aliases give
        their prior to their representative. It is returned for the label (``prior``,
        what ``--target completed-q`` improves on); UCB1 has none."""
        if self.guidance.selection != "puct":
            return None
        log_pi, _ = self._evaluate(self.model.observation_of(self.tree.states[0])[None])
        prior = np.exp(log_pi[0])
        if self.root_rep is not None:
            prior = np.bincount(self.root_rep, weights=prior, minlength=len(prior))
        self.tree.prior[0] = prior
        return prior

    def _evaluate(self, obs: np.ndarray):
        self.network_calls += 1
        return self.guide.evaluate(obs)

    # -- one batch of simulations --------------------------------------------------------
    def _simulate(self, rng: np.random.Generator, common: CommonRollouts | None = None,
                  room: int | None = None) -> int:
        cfg, g, model, tree = self.config, self.guidance, self.model, self.tree
        n = g.lanes if room is None else max(1, min(g.lanes, room))
        leaves: list[tuple[int, int, bool]] = []   # (node, depth, terminal)
        rows: list[tuple[np.ndarray, np.ndarray] | None] = []
        for _ in range(n):
            k = None
            if g.selection == "puct":
                node, a, depth = tree.select_puct(cfg.max_depth, g.c_puct)
            else:
                node, a, depth = tree.select(cfg.max_depth, cfg.exploration, rng.random())
                if common is not None:   # pair the choices below the root too, as UCTPlanner does
                    node, a, depth, k = self._pair(common, node, a, depth)
            if a >= 0 and not tree.full:
                model.restore_state(tree.states[node])
                r, done = model.step(a)
                depth += 1
                node = tree.add(node, a, r, done, model.clone_state(), model.state_key())
            terminal = bool(node != 0 and tree.terminal[node])
            tree.add_visits(node, 1)   # virtual loss: the next selection of the batch goes elsewhere
            leaves.append((node, depth, terminal))
            rows.append(None if common is None else self._common_row(common, node, k))
        returns = self._leaf_values(leaves, rows, rng)
        for (node, _, _), G in zip(leaves, returns):
            tree.add_visits(node, -1)
            tree.backup(node, G, cfg.gamma)
        return n

    def _common_row(self, common: CommonRollouts, node: int,
                    k: int | None) -> tuple[np.ndarray, np.ndarray] | None:
        """(actions [max_depth], coins [max_depth]) of the leaf's paired row: the k-th leaf
        of this decision below its root action takes row k (``k`` given: UCB1's pairing
        already counted it)."""
        if k is None:
            if node == 0:
                return None
            top = int(self.tree.action[root_branch(self.tree.parent, node, 0)])
            k = int(common.count[top])
            common.count[top] += 1
        return common.row(k)[1], common.coins(k)

    def _leaf_values(self, leaves, rows, rng: np.random.Generator) -> np.ndarray:
        """[n] the value of each leaf: (1 - lambda) V(leaf) + lambda z (see the module)."""
        cfg, g, tree = self.config, self.guidance, self.tree
        n = len(leaves)
        ret = np.zeros(n)
        disc = np.ones(n)
        v_leaf = np.zeros(n)
        left = np.zeros(n, np.int64)
        alive = np.zeros(n, bool)
        held: dict[int, np.ndarray] = {}   # lanes never restored: their leaf's observation
        for i, (node, depth, terminal) in enumerate(leaves):
            if terminal:
                continue
            length = cfg.max_depth - depth
            if g.rollout_depth is not None:
                length = min(length, g.rollout_depth)
            if g.value_mix == 0.0:
                length = 0
            if length > 0:
                self.lanes[i].restore_state(tree.states[node])
            else:   # nothing to step: read the leaf's observation off its snapshot
                held[i] = self.model.observation_of(tree.states[node])
            left[i], alive[i] = length, True
        lam = g.value_mix
        first = True
        step = 0
        while alive.any():
            want = alive & self._wants_network(left, first)
            log_pi = value = None
            if want.any():
                idx = np.flatnonzero(want)
                obs = [held[i] if i in held else self.lanes[i].observation() for i in idx]
                log_pi_w, value_w = self._evaluate(np.stack(obs))
                if g.needs_value and value_w is None:
                    raise DistillError("the guiding network has no value output; a value mix or "
                                       "bootstrapped rollouts need one")
                log_pi = np.zeros((n, log_pi_w.shape[1]))
                log_pi[idx] = log_pi_w
                value = np.zeros(n)
                if value_w is not None:
                    value[idx] = value_w
                if first:
                    if g.selection == "puct":
                        for i in idx:
                            tree.prior[leaves[i][0]] = np.exp(log_pi[i])
                    v_leaf[idx] = value[idx]
            for i in np.flatnonzero(alive):
                if left[i] == 0:
                    if g.bootstrap and value is not None and want[i]:
                        ret[i] += disc[i] * value[i]
                    alive[i] = False
                    continue
                a = self._rollout_action(i, step, log_pi, rows[i], rng)
                r, done = self.lanes[i].step(a)
                ret[i] += disc[i] * r
                disc[i] *= cfg.gamma
                left[i] -= 1
                if done:
                    alive[i] = False
                elif left[i] == 0 and not g.bootstrap:
                    alive[i] = False
            first = False
            step += 1
        terminal = np.array([t for _, _, t in leaves])
        out = (1.0 - lam) * v_leaf + lam * ret if g.needs_value else ret
        return np.where(terminal, 0.0, out)

    def _wants_network(self, left: np.ndarray, first: bool) -> np.ndarray:
        """[n] which lanes need a network call this step: the leaf's prior and value at the
        first step, every step of a learner rollout, and a bootstrap at the rollout's end."""
        g = self.guidance
        need = np.zeros(len(left), bool)
        if self.guide is None:
            return need
        if first and (g.selection == "puct" or g.value_mix < 1.0):
            need[:] = True
        if g.rollout == "learner":
            need |= left > 0
        if g.bootstrap:
            need |= left == 0
        return need

    def _rollout_action(self, i: int, step: int, log_pi: np.ndarray | None,
                        row: tuple[np.ndarray, np.ndarray] | None, rng: np.random.Generator) -> int:
        g, A = self.guidance, self.model.num_actions
        if g.rollout == "learner":
            coin = row[1][step] if row is not None else rng.random()
            if coin >= g.rollout_epsilon:
                return int(np.argmax(log_pi[i]))
        if row is not None:
            return int(row[0][step])
        return int(rng.integers(A))


def check_guidance(guidance: GuidanceConfig, guide: Guide | None) -> None:
    """Refuse options that need a network when there is none, or a value it lacks."""
    if guide is None:
        for name, used in (("rollout", guidance.rollout == "learner"), ("selection", guidance.selection == "puct"),
                           ("bootstrap", guidance.bootstrap), ("value_mix", guidance.value_mix < 1.0)):
            if used:
                raise ConfigError(name, f"{getattr(guidance, name)!r} needs a policy network to guide "
                                        f"the search, and none was given")
    elif guidance.needs_value and not getattr(guide, "has_value", False):
        name = "bootstrap" if guidance.bootstrap else "value_mix"
        raise ConfigError(name, "needs a network with a value head, and the guiding network has none")
