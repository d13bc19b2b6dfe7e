"""The global policy of Guided Policy Search: a PyTorch MLP from observations to a Gaussian.

Levine et al. 2016 (JMLR, Sec. 4 and 6): the policy ``pi_theta(u | o) = N(mu_theta(o), Sigma_pi)``
sees the observation ``o(x)`` while the local controllers see the full state ``x`` (the
input-remapping trick). The mean is a multilayer perceptron; the covariance is one
state-independent matrix set in closed form by the S-step (:mod:`imitation.gps.sstep`).
DAgger and PLATO on continuous tasks (:mod:`imitation.gps.continuous_imitation`) use the
same class, so the comparison isolates how the training data is chosen.

The network works in float64: the policy's linearisation takes finite differences of
``x -> mu_theta(o(x))``, which float32 rounding would swamp. Observations are
standardised by a fixed shift and scale set from the first training data (as the 2017
GPS codebase does with its ``scale``/``bias``), so the network's inputs are O(1).

Also here: rolling the policy out on a task (noisy, for on-policy GPS samples, or with
the mean action, for evaluation) and its evaluation on training and held-out conditions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from imitation.gps.controller import NOISE_SMOOTHING_STEPS, LinearGaussianController, smoothed_noise

# Central finite-difference step of the policy's Jacobian d mu(o(x)) / dx (float64 network:
# truncation ~eps^2, round-off ~1e-16 / eps).
JACOBIAN_EPS = 1e-6
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}
# Observation dimensions whose spread in the first data is below this are left unscaled.
MIN_OBS_STD = 1e-6


@dataclass(frozen=True)
class GaussianPolicyConfig:
    """hidden: widths of the hidden layers (``()`` gives an affine policy);  activation:
    ``relu`` or ``tanh`` after each hidden layer;  init_std: the action std of the
    covariance before any S-step (action units)."""

    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    init_std: float = 0.3

    def __post_init__(self):
        if any(h <= 0 for h in self.hidden):
            raise ValueError(f"hidden widths must be positive, got {self.hidden}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if not self.init_std > 0:
            raise ValueError(f"init_std must be > 0, got {self.init_std}")

    @classmethod
    def from_json(cls, data: dict) -> "GaussianPolicyConfig":
        return cls(hidden=tuple(int(h) for h in data["hidden"]), activation=str(data["activation"]),
                   init_std=float(data["init_std"]))


class GaussianPolicy(nn.Module):
    """``o: [B, dO] -> N(mu_theta(o): [B, dU], Sigma: [dU, dU])``.

    Buffers: ``obs_shift``, ``obs_scale``: [dO] the fixed standardisation (unset until
    :meth:`set_observation_scale`); ``Sigma``: [dU, dU] the covariance.
    """

    def __init__(self, dO: int, dU: int, config: GaussianPolicyConfig = GaussianPolicyConfig(),
                 seed: int = 0):
        super().__init__()
        self.dO, self.dU, self.config = dO, dU, config
        layers: list[nn.Module] = []
        width = dO
        with torch.random.fork_rng(devices=[]):      # seeded init, global RNG untouched
            torch.manual_seed(seed)
            for h in config.hidden:
                layers += [nn.Linear(width, h, dtype=torch.float64), ACTIVATIONS[config.activation]()]
                width = h
            layers.append(nn.Linear(width, dU, dtype=torch.float64))
        self.net = nn.Sequential(*layers)
        self.register_buffer("obs_shift", torch.zeros(dO, dtype=torch.float64))
        self.register_buffer("obs_scale", torch.ones(dO, dtype=torch.float64))
        self.register_buffer("scale_set", torch.zeros((), dtype=torch.bool))
        self.register_buffer("Sigma", torch.eye(dU, dtype=torch.float64) * config.init_std ** 2)

    # ----- the Gaussian -------------------------------------------------------------
    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Mean actions ``[B, dU]`` for observations ``[B, dO]`` (float64 tensors)."""
        return self.net((obs - self.obs_shift) / self.obs_scale)

    def set_observation_scale(self, obs: np.ndarray) -> None:
        """Fix the standardisation from observations ``[N, dO]``; only the first call counts."""
        if bool(self.scale_set):
            return
        obs = np.asarray(obs, dtype=np.float64)
        std = obs.std(axis=0)
        self.obs_shift.copy_(torch.from_numpy(obs.mean(axis=0)))
        self.obs_scale.copy_(torch.from_numpy(np.where(std > MIN_OBS_STD, std, 1.0)))
        self.scale_set.fill_(True)

    def set_covariance(self, Sigma: np.ndarray) -> None:
        """Set ``Sigma: [dU, dU]`` (symmetrised)."""
        Sigma = np.asarray(Sigma, dtype=np.float64)
        self.Sigma.copy_(torch.from_numpy(0.5 * (Sigma + Sigma.T)))

    @property
    def covariance(self) -> np.ndarray:
        """``Sigma``: [dU, dU] as a numpy array."""
        return self.Sigma.numpy().copy()

    @torch.no_grad()
    def mean(self, obs: np.ndarray) -> np.ndarray:
        """``mu_theta(o)``: obs [N, dO] -> [N, dU] (float64 numpy)."""
        return self(torch.as_tensor(np.asarray(obs, dtype=np.float64))).numpy()

    # ----- the policy's linearisation, for PLATO's teacher and tests ------------------
    def linearise(self, task, X: np.ndarray) -> LinearGaussianController:
        """``u ~ N(K_t x + k_t, Sigma)`` tangent to ``x -> mu_theta(o(x))`` at ``X: [H, dX]``.

        ``K_t`` by central differences in ``x`` (all ``2 dX`` perturbations of all ``H`` points
        in one network call), ``k_t = mu_t - K_t x_t``, ``Sigma`` the policy's.
        """
        H, dX = X.shape
        E = JACOBIAN_EPS * np.eye(dX)
        pert = X[:, None, :] + np.concatenate([E, -E])[None]                 # [H, 2 dX, dX]
        mu = self.mean(task.observation(np.concatenate([X, pert.reshape(-1, dX)])))
        mu0, mu_pert = mu[:H], mu[H:].reshape(H, 2, dX, self.dU)
        K = ((mu_pert[:, 0] - mu_pert[:, 1]) / (2 * JACOBIAN_EPS)).transpose(0, 2, 1)   # [H, dU, dX]
        k = mu0 - np.einsum("hij,hj->hi", K, X)
        return LinearGaussianController(K, k, np.broadcast_to(self.covariance, (H, self.dU, self.dU)).copy())

    # ----- checkpoints ----------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        torch.save({"dO": self.dO, "dU": self.dU, "hidden": list(self.config.hidden),
                    "activation": self.config.activation, "init_std": self.config.init_std,
                    "state_dict": self.state_dict()}, path)

    @classmethod
    def load(cls, path: str | Path) -> "GaussianPolicy":
        data = torch.load(path, map_location="cpu", weights_only=True)
        policy = cls(data["dO"], data["dU"], GaussianPolicyConfig.from_json(data))
        policy.load_state_dict(data["state_dict"])
        return policy


@dataclass
class PolicyRollouts:
    """Rollouts of the policy from ``M`` initial states.

    X: [M, T + 1, dX] states;  U: [M, T, dU] commanded actions;  cost: [M] total cost;
    final_distance: [M];  catastrophe: [M] whether any visited state was catastrophic.
    """

    X: np.ndarray
    U: np.ndarray
    cost: np.ndarray
    final_distance: np.ndarray
    catastrophe: np.ndarray


def rollout_policy(task, policy: GaussianPolicy, x0: np.ndarray,
                   rng: np.random.Generator | None = None,
                   smoothing: float = NOISE_SMOOTHING_STEPS) -> PolicyRollouts:
    """Run the policy from each ``x0: [M, dX]`` for ``task.T`` steps, batched through
    ``task.dynamics`` (``M T`` simulator steps).

    With ``rng`` the actions are ``mu_theta(o(x_t)) + chol(Sigma) eps_t`` with the temporally
    smoothed noise of the local controllers (the GPS codebase samples its policy the same
    way); without, the mean action (evaluation).
    """
    M, T = x0.shape[0], task.T
    X = np.empty((M, T + 1, task.dX))
    U = np.empty((M, T, task.dU))
    X[:, 0] = x0
    noise = None
    if rng is not None:
        noise = smoothed_noise(rng, M, T, task.dU, smoothing) @ np.linalg.cholesky(policy.covariance).T
    for t in range(T):
        U[:, t] = policy.mean(task.observation(X[:, t]))
        if noise is not None:
            U[:, t] += noise[:, t]
        X[:, t + 1] = task.dynamics(X[:, t], U[:, t])
    steps = np.arange(T + 1)
    return PolicyRollouts(X=X, U=U, cost=task.trajectory_cost(X, U),
                          final_distance=task.distance(X[:, -1]),
                          catastrophe=np.any(task.catastrophe(X, steps), axis=1))


@dataclass
class PolicyEvaluation:
    """The mean policy from every condition of one split, per condition ``[C]``:
    cost, final_distance and success (``final_distance <= task.success_threshold``)."""

    cost: np.ndarray
    final_distance: np.ndarray
    success: np.ndarray

    def summary(self) -> dict[str, float]:
        """``policy_cost``, ``policy_final_distance`` (means over conditions), ``success_rate``."""
        return {"policy_cost": float(self.cost.mean()),
                "policy_final_distance": float(self.final_distance.mean()),
                "success_rate": float(self.success.mean())}


@dataclass
class SplitEvaluation:
    """The evaluation on the training conditions and on the held-out test conditions."""

    train: PolicyEvaluation
    test: PolicyEvaluation
    simulator_steps: int = field(default=0)

    def summary(self) -> dict[str, dict[str, float]]:
        return {"train": self.train.summary(), "test": self.test.summary()}


def evaluate_policy(task, policy: GaussianPolicy, train_conditions: int | None = None) -> SplitEvaluation:
    """Roll the mean policy out once from the first ``train_conditions`` training conditions
    (all by default) and from every held-out test condition."""
    n_train = len(task.train_conditions) if train_conditions is None else train_conditions
    out = {}
    for split, x0 in (("train", task.train_conditions[:n_train]), ("test", task.test_conditions)):
        r = rollout_policy(task, policy, np.asarray(x0, dtype=np.float64))
        out[split] = PolicyEvaluation(cost=r.cost, final_distance=r.final_distance,
                                      success=r.final_distance <= task.success_threshold)
    return SplitEvaluation(out["train"], out["test"],
                           simulator_steps=(n_train + len(task.test_conditions)) * task.T)
