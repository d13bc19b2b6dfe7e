"""The distilled policy: a convolutional network trained to imitate the UCT planner.

Guo et al. (2014), "Deep Learning for Real-Time Atari Game Play Using Offline
Monte-Carlo Tree Search Planning", train the DQN-2013 network two ways:

* **UCTtoClassification** (``head="classification"``): a softmax over actions with
  cross-entropy on the planner's chosen action. The planner breaks ties in Q uniformly
  at random, so the target is its actual choice distribution: uniform over the actions
  tied at the highest Q (one-hot when the best is unique). Where nothing is rewarded
  within the search depth every Q is equal and the label carries no preference; a
  one-hot on the random pick would teach noise. Optionally (``target="visits"``) the
  target is the root visit distribution N(s, a) / sum_b N(s, b), or
  (``target="completed-q"``) Gumbel MuZero's improved policy
  softmax(log prior + sigma(completed Q)) from the label's root prior, Q-values and
  visits (:func:`mcts.targets.completed_q_policy`; Danihelka et al. 2022). pi_theta is
  the softmax of the logits.
* **UCTtoRegression** (``head="regression"``): one output per action regressing the root
  Q-values with a squared error, masked where the planner never tried an action (NaN).
  It acts greedily on its Q-values; where a distribution is needed (PLATO's pi_theta)
  it is softmax(Q / tau_abs), with the temperature relative to the spread of the
  predicted Q-values at that state: ``tau_abs = tau * (max_a Q - min_a Q)`` (uniform when
  the spread is zero), so the same ``tau`` works whatever the game's reward scale.
  With ``q_weights="visits"`` each target Q(s, a) is weighted by its visit count N(s, a):
  a mean of N rollout returns has variance sigma^2 / N, so this is the precision-weighted
  (generalised) least-squares fit, which lets the network pool the many noisy Q-values of
  a small search budget across similar states instead of trusting a once-tried action's
  single return as much as a well-explored one.

Both act epsilon-greedily with :meth:`DistilledPolicy.act`.

For expert iteration (Anthony et al. 2017; AlphaZero, Silver et al. 2017) two options
carry more of what the search knows: ``value_head`` adds a value output trained with a
squared error on the search's value of the state (the ``value`` label column; rows
without one, NaN, are left out), and ``label_weights="search"`` weights each row's
policy loss by the ``weight`` column, the significance of the planner's preference
(:mod:`mcts.targets`): sum_i w_i l_i / sum_i w_i. :meth:`DistilledPolicy.evaluate`
gives (log pi, value) for a batch, what a guided search asks (:class:`mcts.guide.Guide`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imitation.dataset import LabelBatch
from imitation.fast_forward import FastForward
from imitation.networks import AtariConvNet, NetworkConfig
from mcts.targets import TARGETS, Target, best_actions, completed_q_policy

Head = Literal["classification", "regression"]
QWeights = Literal["uniform", "visits"]
LabelWeights = Literal["uniform", "search"]


@dataclass(frozen=True)
class PolicyConfig:
    """head:    ``classification`` (UCTtoClassification) or ``regression`` (UCTtoRegression).
    target:  classification target: the planner's ``action``, its root ``visits``, or
             ``completed-q``, the prior improved by the searched Q (see the module).
    tau:     regression only: pi_theta = softmax(Q / (tau * spread of Q)).
    q_weights: regression only: each Q target's weight in the squared error, ``uniform``
             or its root visit count (``visits``, the precision-weighted fit).
    network: the convolutional network.
    value_head: a value output, fitted to the search's value of each state.
    label_weights: ``uniform``, or ``search``: each row's policy loss weighted by the
             significance of the planner's preference there (the ``weight`` column).
    """

    head: Head = "classification"
    target: Target = "action"
    tau: float = 0.1
    q_weights: QWeights = "uniform"
    network: NetworkConfig = field(default_factory=NetworkConfig)
    value_head: bool = False
    label_weights: LabelWeights = "uniform"

    def __post_init__(self):
        if self.head not in ("classification", "regression"):
            raise ValueError(f"unknown head {self.head!r}")
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}")
        if self.head == "regression" and self.target != "action":
            raise ValueError("the regression head regresses Q-values; target applies to classification")
        if self.q_weights not in ("uniform", "visits"):
            raise ValueError(f"unknown q_weights {self.q_weights!r}")
        if self.head == "classification" and self.q_weights != "uniform":
            raise ValueError("q_weights applies to the regression head")
        if not self.tau > 0:
            raise ValueError(f"tau must be > 0, got {self.tau}")
        if not isinstance(self.value_head, bool):
            raise ValueError(f"value_head must be True or False, got {self.value_head!r}")
        if self.label_weights not in ("uniform", "search"):
            raise ValueError(f"unknown label_weights {self.label_weights!r}")

    @classmethod
    def from_json(cls, data: dict) -> "PolicyConfig":
        return cls(head=data["head"], target=data["target"], tau=float(data["tau"]),
                   q_weights=data.get("q_weights", "uniform"), network=NetworkConfig(**data["network"]),
                   value_head=bool(data.get("value_head", False)),
                   label_weights=data.get("label_weights", "uniform"))


_EPS = 1e-8   # clamps a weighted mean's denominator (its numerator is 0 when it is)


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"``: the GPU when one is present, else the CPU; otherwise a torch device name."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class DistilledPolicy(nn.Module):
    """obs uint8 [B, 4, 84, 84] -> outputs [B, A] (logits, or Q-values for regression)."""

    def __init__(self, config: PolicyConfig, num_actions: int, *, seed: int = 0,
                 device: str = "auto"):
        super().__init__()
        self.config = config
        self.num_actions = num_actions
        with torch.random.fork_rng(devices=[]):  # seeded init, global RNG untouched
            torch.manual_seed(seed)
            self.net = AtariConvNet(config.network, num_actions, value_head=config.value_head)
        self.device = resolve_device(device)
        self._cpu = self.device.type == "cpu"
        self.to(self.device)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)

    @property
    def has_value(self) -> bool:
        return self.config.value_head

    def outputs_and_value(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """uint8 obs tensor [B, 4, 84, 84] -> (outputs [B, A], value [B] or None without a
        value head), from one forward pass."""
        if self.config.value_head:
            return self.net.forward_with_value(obs)
        return self.net(obs), None

    # -- pi_theta -------------------------------------------------------------------

    def log_pi_from_outputs(self, out: torch.Tensor) -> torch.Tensor:
        """[B, A] outputs -> [B, A] log pi_theta."""
        if self.config.head == "classification":
            return F.log_softmax(out, dim=-1)
        top = out.max(dim=-1, keepdim=True).values
        spread = top - out.min(dim=-1, keepdim=True).values
        tau_abs = (self.config.tau * spread).clamp_min(1e-12)
        return F.log_softmax((out - top) / tau_abs, dim=-1)

    # -- training -------------------------------------------------------------------

    def loss(self, batch: LabelBatch) -> torch.Tensor:
        """The supervised loss on a batch of planner labels (a scalar tensor): the head's,
        plus the value's squared error with a value head."""
        out, value = self.outputs_and_value(self.obs_tensor(batch.obs))
        return self.loss_from_outputs(out, batch, value)

    def loss_from_outputs(self, out: torch.Tensor, batch: LabelBatch,
                          value: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`loss` given the network's outputs [B, A] (and value [B], with a value
        head) on ``batch.obs``. Without ``value`` it is the policy loss alone.

        With ``label_weights="search"`` row i's policy loss counts w_i = ``batch.weight[i]``
        times: classification sum_i w_i CE_i / sum_i w_i; regression the same weighted fit
        with weights w_i * v_ia (v_ia the per-action weights of ``q_weights``). The value
        term is not weighted: the search's value of a state is a target wherever the
        planner had no preference between actions."""
        w = self._row_weights(batch)   # [B], or None for uniform
        if self.config.head == "regression":
            weight, err2 = self._q_errors(out, batch)          # [B, A] each
            if w is not None:
                weight = weight * w[:, None]
            policy = (weight * err2).sum() / weight.sum().clamp_min(_EPS)
        else:
            per_row = -(self._target(batch) * F.log_softmax(out, dim=-1)).sum(dim=-1)   # [B]
            policy = per_row.mean() if w is None else (w * per_row).sum() / w.sum().clamp_min(_EPS)
        if value is None:
            return policy
        return policy + self.value_loss(value, batch)

    def _row_weights(self, batch: LabelBatch) -> torch.Tensor | None:
        """[B] float32 ``batch.weight`` under ``label_weights="search"``; None for uniform."""
        if self.config.label_weights == "uniform":
            return None
        return torch.as_tensor(batch.weight, dtype=torch.float32, device=self.device)

    def _q_errors(self, out: torch.Tensor, batch: LabelBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight [B, A], squared error [B, A]) of the regression head's Q targets."""
        q = torch.as_tensor(batch.q, dtype=torch.float32, device=self.device)
        tried = torch.isfinite(q)
        if self.config.q_weights == "visits":
            weight = torch.as_tensor(batch.visits, dtype=torch.float32, device=self.device)
            weight = torch.where(tried, weight, torch.zeros_like(weight))
        else:
            weight = tried.float()
        err = torch.where(tried, out - torch.nan_to_num(q), torch.zeros_like(out))
        return weight, err ** 2

    def _target(self, batch: LabelBatch) -> torch.Tensor:
        """[B, A] the classification head's target distribution."""
        if self.config.target == "action":
            best = torch.as_tensor(best_actions(batch.q, batch.action), device=self.device)
            return best / best.sum(dim=-1, keepdim=True)
        if self.config.target == "completed-q":
            target = completed_q_policy(batch.q, batch.visits, batch.prior)
            return torch.as_tensor(target, dtype=torch.float32, device=self.device)
        action = torch.as_tensor(batch.action, dtype=torch.long, device=self.device)
        visits = torch.as_tensor(batch.visits, dtype=torch.float32, device=self.device)
        total = visits.sum(dim=-1, keepdim=True)
        onehot = F.one_hot(action, self.num_actions).float()
        return torch.where(total > 0, visits / total.clamp_min(1), onehot)

    def value_loss(self, value: torch.Tensor, batch: LabelBatch) -> torch.Tensor:
        """Mean squared error of ``value`` [B] against ``batch.value`` over the rows that
        have one (0 when none does)."""
        target = torch.as_tensor(batch.value, dtype=torch.float32, device=self.device)
        known = torch.isfinite(target)
        err = torch.where(known, value - torch.nan_to_num(target), torch.zeros_like(value))
        return (err ** 2).sum() / known.sum().clamp_min(1)

    # -- acting (numpy in, numpy out) -------------------------------------------------

    def obs_tensor(self, obs: np.ndarray) -> torch.Tensor:
        """uint8 [B, 4, 84, 84] (or one [4, 84, 84]) -> a uint8 tensor on the device."""
        obs = np.asarray(obs, dtype=np.uint8)
        if obs.ndim == 3:
            obs = obs[None]
        return torch.from_numpy(np.ascontiguousarray(obs)).to(self.device)

    @torch.no_grad()
    def outputs(self, obs: np.ndarray) -> np.ndarray:
        """[B, A] float32 logits or Q-values (obs [B, 4, 84, 84] or [4, 84, 84])."""
        return self(self.obs_tensor(obs)).float().cpu().numpy()

    @torch.no_grad()
    def log_pi(self, obs: np.ndarray) -> np.ndarray:
        """[B, A] float64 log pi_theta(a | obs), as PLATO's teacher needs it."""
        out = self(self.obs_tensor(obs))
        return self.log_pi_from_outputs(out.double()).cpu().numpy()

    @torch.inference_mode()
    def evaluate(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(log pi_theta [B, A] float64, value [B] float64 or None without a value head)
        for obs uint8 [B, 4, 84, 84] (or one [4, 84, 84], then B = 1), from one forward
        pass: what a guided search asks for its priors, rollouts and leaf values
        (:class:`mcts.guide.Guide`)."""
        out, value = self.outputs_and_value(self.obs_tensor(obs))
        log_pi = self.log_pi_from_outputs(out.double()).cpu().numpy()
        return log_pi, None if value is None else value.double().cpu().numpy()

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """[B] int64 argmax actions for obs uint8 [B, 4, 84, 84] (or one [4, 84, 84]). One
        observation on the CPU, a real-time agent's decision, goes through
        :class:`imitation.fast_forward.FastForward` (the same network without torch's
        batch-1 overhead); batches go through torch."""
        obs = np.asarray(obs, dtype=np.uint8)
        if self._cpu and (obs.ndim == 3 or len(obs) == 1):
            return np.array([self._fast_forward().greedy(obs if obs.ndim == 3 else obs[0])], np.int64)
        return self._torch_greedy(obs)

    @torch.inference_mode()
    def _torch_greedy(self, obs: np.ndarray) -> np.ndarray:
        return self(self.obs_tensor(obs)).argmax(dim=-1).cpu().numpy()

    def _fast_forward(self) -> FastForward:
        """The NumPy snapshot of the current weights, rebuilt after any in-place change to
        them (an optimiser step or ``load_state_dict`` bumps each tensor's version; moving
        the module drops the snapshot, in :meth:`_apply`)."""
        fast = self.__dict__.get("_fast")
        if fast is not None:
            tensors, versions, forward = fast
            if tuple(t._version for t in tensors) == versions:
                return forward
        tensors = tuple(self.net.state_dict(keep_vars=True).values())
        forward = FastForward(self.net)
        self.__dict__["_fast"] = (tensors, tuple(t._version for t in tensors), forward)
        return forward

    def _apply(self, fn, *args, **kwargs):
        self.__dict__["_fast"] = None   # .to(), .float(), ...: the tensors may be new objects
        return super()._apply(fn, *args, **kwargs)

    def act(self, obs: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
        """Epsilon-greedy action for one observation [4, 84, 84]: a uniform random action
        with probability ``epsilon``, else the greedy one. Draws one uniform from ``rng``
        per call (and one more integer when exploring)."""
        if rng.random() < epsilon:
            return int(rng.integers(self.num_actions))
        return int(self.greedy(obs)[0])
