"""BADMM GPS: the network policy learns pointmass; the C-step's augmented cost, the dual
step and ``distill gps --algo badmm``."""
import json

import numpy as np
import torch

from distill.cli import main
from envs.control import make_task
from imitation.gps.badmm import BADMMConfig, augmented_cost, dual_step, run_badmm
from imitation.gps.controller import LinearGaussianController
from imitation.gps.lqr import QuadraticCost


def _controller(rng, T, dX, dU):
    A = rng.standard_normal((T, dU, dU))
    return LinearGaussianController(rng.standard_normal((T, dU, dX)), rng.standard_normal((T, dU)),
                                    A @ A.transpose(0, 2, 1) + np.eye(dU))


def test_badmm_policy_reaches_the_goal_from_held_out_conditions():
    """4 conditions, 2 samples each, zero-mean initial controllers, 4 iterations (3,200
    environment steps): the policy's held-out cost falls tenfold and its mean action
    brings the point mass to the goal from every held-out condition."""
    torch.set_num_threads(1)
    task = make_task("pointmass")
    result = run_badmm(task, BADMMConfig(conditions=4, samples=2, iterations=4),
                       np.random.default_rng(0), seed=0)
    first, last = result.iterations[0], result.iterations[-1]
    assert [it.env_steps for it in result.iterations] == [0, 800, 1600, 2400, 3200]
    assert not first.evaluation.test.success.any()
    assert np.all(last.evaluation.test.final_distance <= task.success_threshold)
    assert last.evaluation.test.cost.mean() < 0.1 * first.evaluation.test.cost.mean()
    assert np.all(last.kl <= 1.1 * last.kl_target) and last.c_step_failures == 0


def test_augmented_cost_adds_the_dual_term_and_nu_times_the_policy_cross_entropy():
    """At any [x; u] the augmented quadratic minus the original equals
    lambda_t^T u + nu (-log pibar(u | x)) up to a constant per step."""
    rng = np.random.default_rng(0)
    T, dX, dU, nu = 3, 4, 2, 0.7
    pibar = _controller(rng, T, dX, dU)
    cost = QuadraticCost(rng.standard_normal((T + 1, dX + dU, dX + dU)), rng.standard_normal((T + 1, dX + dU)),
                         np.zeros(T + 1))
    lam = rng.standard_normal((T, dU))
    aug = augmented_cost(cost, lam, nu, pibar)
    np.testing.assert_array_equal(aug.C[T], cost.C[T])

    def extra(xu):                                  # [T, dXU] -> [T]
        quad = lambda q: 0.5 * np.einsum("ti,tij,tj->t", xu, q.C[:T], xu) + np.einsum("ti,ti->t", q.c[:T], xu)
        return quad(aug) - quad(cost)

    def expected(xu):
        r = xu[:, dX:] - np.einsum("tuj,tj->tu", pibar.K, xu[:, :dX]) - pibar.k
        cross_entropy = 0.5 * np.einsum("tu,tuv,tv->t", r, pibar.precision(), r)
        return np.einsum("tu,tu->t", lam, xu[:, dX:]) + nu * cross_entropy

    a, b = rng.standard_normal((2, T, dX + dU))
    np.testing.assert_allclose(extra(a) - extra(b), expected(a) - expected(b), rtol=1e-10, atol=1e-10)


def test_dual_step_moves_lambda_by_nu_precision_times_the_mean_action_gap():
    rng = np.random.default_rng(1)
    T, dX, dU, nu = 3, 4, 2, 0.3
    ctrl = _controller(rng, T, dX, dU)
    X = rng.standard_normal((5, T, dX))
    U_policy = rng.standard_normal((5, T, dU))
    lam = rng.standard_normal((T, dU))
    gap = (np.einsum("tuj,ntj->ntu", ctrl.K, X) + ctrl.k - U_policy).mean(axis=0)
    np.testing.assert_allclose(dual_step(lam, ctrl, X, U_policy, nu),
                               lam + nu * np.einsum("tuv,tv->tu", np.linalg.inv(ctrl.Sigma), gap))
    U_agree = np.einsum("tuj,ntj->ntu", ctrl.K, X) + ctrl.k
    np.testing.assert_allclose(dual_step(lam, ctrl, X, U_agree, nu), lam)        # constraint met: no change


def test_gps_command_runs_badmm(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["gps", "--task", "pointmass", "--algo", "badmm", "--nu", "0.2", "--conditions", "2",
                 "--samples", "2", "--iterations", "2", "--horizon", "20", "--sstep-steps", "50",
                 "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["algo"] == "badmm" and result["on_policy"] is False and result["samples_total"] == 160
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["algo"] == "badmm" and config["config"]["config"]["nu"] == 0.2
    assert "badmm (off-policy)" in capsys.readouterr().out
