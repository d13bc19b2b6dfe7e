"""MDGPS: the network policy learns pointmass from the held-out conditions; the S-step's
targets; ``distill gps`` writes its outputs."""
import json

import numpy as np
import pytest
import torch

from distill.cli import main
from envs.control import make_task
from imitation.gps.controller import LinearGaussianController
from imitation.gps.dynamics import LinearGaussianDynamics
from imitation.gps.lqr import forward
from imitation.gps.mdgps import (MDGPSConfig, run_mdgps, sstep_states, sstep_targets,
                                 state_marginal_sqrt)


def test_on_policy_mdgps_policy_reaches_the_goal_from_held_out_conditions():
    """4 conditions, 2 samples each, zero-mean initial controllers: after 4 iterations
    (3,200 environment steps) the network's mean action brings the point mass to the goal
    from every held-out initial condition."""
    torch.set_num_threads(1)
    task = make_task("pointmass")
    result = run_mdgps(task, MDGPSConfig(conditions=4, samples=2, iterations=4),
                       np.random.default_rng(0), seed=0)
    first, last = result.iterations[0], result.iterations[-1]
    assert [it.env_steps for it in result.iterations] == [0, 800, 1600, 2400, 3200]
    assert not first.evaluation.test.success.any()                                      # untrained
    assert np.all(last.evaluation.test.final_distance <= task.success_threshold)
    assert last.evaluation.test.cost.mean() < 0.1 * first.evaluation.test.cost.mean()
    assert np.all(last.kl <= 1.1 * last.kl_target)
    assert len(result.controllers) == 4 and last.c_step_failures == 0


def test_sstep_targets_are_the_controllers_means_and_precisions():
    task = make_task("arm")
    rng = np.random.default_rng(0)
    T, dX, dU = 5, 4, 2
    A = rng.standard_normal((T, dU, dU))
    ctrl = LinearGaussianController(rng.standard_normal((T, dU, dX)), rng.standard_normal((T, dU)),
                                    A @ A.transpose(0, 2, 1) + np.eye(dU))
    X = rng.standard_normal((3, T, dX))
    obs, U, W = sstep_targets(task, X, ctrl)
    n, t = 2, 3                                     # rows are sample-major: row n T + t
    np.testing.assert_allclose(obs[n * T + t], task.observation(X[n, t]))
    np.testing.assert_allclose(U[n * T + t], ctrl.K[t] @ X[n, t] + ctrl.k[t])
    np.testing.assert_allclose(W[n * T + t], np.linalg.inv(ctrl.Sigma[t]))


def _local_model(rng, T=4, dX=4, dU=2):
    """A random controller and local dynamics whose last state coordinate never moves
    (like the Reacher target): its state covariance is singular."""
    A = rng.standard_normal((T, dU, dU))
    ctrl = LinearGaussianController(rng.standard_normal((T, dU, dX)), rng.standard_normal((T, dU)),
                                    A @ A.transpose(0, 2, 1) + np.eye(dU))
    Fm = 0.3 * rng.standard_normal((T, dX, dX + dU))
    Fm[:, -1] = 0.0
    Fm[:, -1, dX - 1] = 1.0                         # x_last' = x_last, exactly
    dyn_covar = np.zeros((T, dX, dX))
    dyn_covar[:, :-1, :-1] = 0.01 * np.eye(dX - 1)
    x0_Sigma = np.diag([0.1] * (dX - 1) + [0.0])
    dyn = LinearGaussianDynamics(Fm, rng.standard_normal((T, dX)), dyn_covar, rng.standard_normal(dX), x0_Sigma)
    return ctrl, dyn


def test_state_marginal_sqrt_squares_to_the_forward_state_covariance():
    ctrl, dyn = _local_model(np.random.default_rng(0))
    L = state_marginal_sqrt(ctrl, dyn)
    P = forward(ctrl, dyn)[1][:-1, :4, :4]
    np.testing.assert_allclose(L @ L.transpose(0, 2, 1), P, atol=1e-12)
    assert np.all(np.abs(L[:, -1]) < 1e-7)                  # the static coordinate is not perturbed


def test_augmented_sstep_states_perturb_the_samples_by_the_scaled_marginal_and_keep_the_labels():
    rng = np.random.default_rng(1)
    ctrl, dyn = _local_model(rng)
    X = rng.standard_normal((2, 4, 4))
    assert sstep_states(X, ctrl, dyn, MDGPSConfig(), rng) is X                  # no augmentation: the samples
    M, scale = 3000, 2.5
    out = sstep_states(X, ctrl, dyn, MDGPSConfig(augment_states=M, augment_scale=scale), rng)
    assert out.shape == ((1 + M) * 2, 4, 4)
    np.testing.assert_array_equal(out[:2], X)
    d = out[2:].reshape(M, 2, 4, 4) - X                                          # copy m of sample n
    P = forward(ctrl, dyn)[1][:-1, :4, :4]
    np.testing.assert_allclose(np.einsum("mnti,mntj->tij", d, d) / (2 * M), scale ** 2 * P,
                               atol=0.1 * scale ** 2 * np.abs(P).max())
    np.testing.assert_allclose(d[..., -1], 0.0, atol=1e-6)
    obs, U, W = sstep_targets(make_task("pointmass"), out, ctrl)                  # pointmass: o(x) = x
    np.testing.assert_allclose(U, np.einsum("tuj,ntj->ntu", ctrl.K, out).reshape(-1, 2)
                               + np.tile(ctrl.k, (len(out), 1)), atol=1e-12)
    np.testing.assert_allclose(W, np.tile(np.linalg.inv(ctrl.Sigma), (len(out), 1, 1)), atol=1e-12)


def test_gps_command_writes_iterations_checkpoints_and_tensorboard(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["gps", "--task", "pointmass", "--conditions", "2", "--samples", "2", "--iterations", "2",
                 "--horizon", "20", "--sstep-steps", "50", "--off-policy", "--augment-states", "2",
                 "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    its = result["iterations"]
    assert [it["iteration"] for it in its] == [0, 1, 2]
    assert [it["samples_total"] for it in its] == [0, 80, 160] and result["samples_total"] == 160
    for it in its:
        for key in ("policy_cost", "policy_final_distance", "success_rate"):
            assert set(it[key]) == {"train", "test"}
            assert all(isinstance(v, float) for v in it[key].values())
    assert result["on_policy"] is False
    assert sorted(p.name for p in (out / "policy").iterdir()) == ["iter_00.pt", "iter_01.pt", "iter_02.pt"]
    assert (out / "policy.pt").exists() and any((out / "tb").iterdir())
    config = json.loads((out / "config.json").read_text())
    assert config["command"] == "gps" and config["config"]["algo"] == "mdgps"
    assert config["config"]["config"]["samples"] == 2 and config["config"]["config"]["augment_states"] == 2
    assert "pointmass" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--task", "pointmas"], "did you mean 'pointmass'?"),
    (["--task", "arm", "--conditions", "5"], "arm has 4 training conditions"),
    (["--task", "arm", "--hidden", "64,x"], "comma-separated positive integers"),
    (["--task", "arm", "--samples", "0"], "must be a positive integer"),
    (["--task", "arm", "--algo", "pilqr"], "invalid choice"),
    (["--task", "arm", "--augment-states", "-1"], "an integer >= 0"),
    (["--task", "arm", "--algo", "badmm", "--augment-states", "2"], "are mdgps options"),
    (["--task", "arm", "--nu", "0.5"], "--nu is a badmm option"),
    (["--task", "arm", "--horizon", "0"], "--horizon must be a positive"),
])
def test_gps_bad_input_is_a_one_line_error(argv, message, cli_one_line_error):
    cli_one_line_error(["gps", *argv], message)
