"""Time-varying linear-Gaussian controllers ``u_t ~ N(K_t x_t + k_t, Sigma_t)``.

The local policies of Guided Policy Search (Levine & Abbeel 2014, Sec. 3; Levine et al.
2016, Sec. 4): what the trajectory optimiser improves, and also the form a policy's
local linearisation takes (Montgomery & Levine 2016), so the same class serves as the
reference of the KL-constrained LQR in either role.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Exploration noise is smoothed in time by a Gaussian kernel of this standard deviation,
# in time steps (the 2017 GPS codebase's ``smooth_noise_var = 2.0``, which it passes to
# scipy's gaussian_filter as the kernel's sigma), then renormalised to unit variance.
NOISE_SMOOTHING_STEPS = 2.0


@dataclass
class LinearGaussianController:
    """``u_t ~ N(K_t x_t + k_t, Sigma_t)`` for ``t = 0..T-1``.

    K:     [T, dU, dX] feedback gains
    k:     [T, dU] open-loop terms
    Sigma: [T, dU, dU] action covariances (positive definite)
    """

    K: np.ndarray
    k: np.ndarray
    Sigma: np.ndarray

    @property
    def T(self) -> int:
        return self.K.shape[0]

    @property
    def dU(self) -> int:
        return self.K.shape[1]

    @property
    def dX(self) -> int:
        return self.K.shape[2]

    def chol_Sigma(self) -> np.ndarray:
        """Lower Cholesky factors of ``Sigma``, ``[T, dU, dU]``."""
        return np.linalg.cholesky(self.Sigma)

    def precision(self) -> np.ndarray:
        """``Sigma^-1``, ``[T, dU, dU]``."""
        return np.linalg.inv(self.Sigma)

    def mean(self, t: int, X: np.ndarray) -> np.ndarray:
        """Mean action at step ``t`` for states ``X: [N, dX]`` -> ``[N, dU]``."""
        return X @ self.K[t].T + self.k[t]


def smoothed_noise(rng: np.random.Generator, N: int, T: int, dU: int,
                   smoothing: float = NOISE_SMOOTHING_STEPS) -> np.ndarray:
    """Temporally smoothed standard-normal noise ``[N, T, dU]``.

    White noise filtered along time by a Gaussian kernel of std ``smoothing`` steps
    (zero padding at the ends), each output divided by its exact standard deviation
    so every ``noise[n, t, i]`` is N(0, 1). ``smoothing = 0`` gives white noise.
    """
    white = rng.standard_normal((N, T, dU))
    if smoothing <= 0:
        return white
    steps = np.arange(T)
    S = np.exp(-0.5 * ((steps[:, None] - steps[None, :]) / smoothing) ** 2)    # [T, T]
    S /= np.sqrt(np.sum(S * S, axis=1, keepdims=True))
    return np.einsum("ts,nsu->ntu", S, white)


def zero_mean_controller(T: int, dX: int, dU: int, noise_std: float | np.ndarray) -> LinearGaussianController:
    """``u_t ~ N(0, diag(noise_std^2))``: an untrained controller, GPS's iteration 0."""
    var = np.broadcast_to(np.asarray(noise_std, dtype=np.float64) ** 2, (dU,))
    return LinearGaussianController(np.zeros((T, dU, dX)), np.zeros((T, dU)),
                                    np.broadcast_to(np.diag(var), (T, dU, dU)).copy())


def pd_controller(T: int, gains: np.ndarray, x_target: np.ndarray,
                  noise_std: float | np.ndarray) -> LinearGaussianController:
    """``u_t ~ N(-gains (x_t - x_target), diag(noise_std^2))``: a PD initialisation.

    gains: [dU, dX] (position gains on the position entries, damping on the velocities)
    x_target: [dX]
    """
    dU, dX = gains.shape
    ctrl = zero_mean_controller(T, dX, dU, noise_std)
    ctrl.K[:] = -gains
    ctrl.k[:] = gains @ x_target
    return ctrl
