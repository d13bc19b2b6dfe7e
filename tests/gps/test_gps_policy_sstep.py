"""The GPS policy and its S-step: precision-weighted regression equals weighted least
squares, the closed-form covariance, and the policy's linearisation."""
import numpy as np
import pytest
import torch

from envs.control import make_task
from imitation.gps.dynamics import fit_policy_linearisation
from imitation.gps.gmm import GMMPrior, GMMPriorConfig
from imitation.gps.policy import GaussianPolicy, GaussianPolicyConfig, evaluate_policy, rollout_policy
from imitation.gps.sstep import SStepConfig, closed_form_covariance, precision_weighted_regression


def _random_precisions(rng, N, dU):
    """Strongly varying, non-diagonal positive definite weights [N, dU, dU]."""
    A = rng.standard_normal((N, dU, dU)) * np.exp(rng.uniform(-1.5, 1.5, (N, 1, 1)))
    return A @ A.transpose(0, 2, 1) + 0.05 * np.eye(dU)


def _weighted_least_squares(obs, U, W):
    """Closed form of min_{A, b} sum_n (A o_n + b - u_n)^T W_n (A o_n + b - u_n): the normal
    equations in theta = vec of [A, b] (row-major, [dU, dO + 1])."""
    N, dO = obs.shape
    dU = U.shape[1]
    phi = np.concatenate([obs, np.ones((N, 1))], axis=1)                     # [N, dO + 1]
    J = np.einsum("ij,nk->nijk", np.eye(dU), phi).reshape(N, dU, dU * (dO + 1))   # mu_n = J_n theta
    lhs = np.einsum("nui,nuv,nvj->ij", J, W, J)
    rhs = np.einsum("nui,nuv,nv->i", J, W, U)
    theta = np.linalg.solve(lhs, rhs).reshape(dU, dO + 1)
    return theta[:, :dO], theta[:, dO]


def test_sstep_on_an_affine_policy_is_weighted_least_squares():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    N, dO, dU = 300, 3, 2
    obs = rng.standard_normal((N, dO)) * np.array([1.0, 3.0, 0.5]) + np.array([0.5, -1.0, 2.0])
    U = np.sin(obs @ rng.standard_normal((dO, dU))) + 0.1 * rng.standard_normal((N, dU))   # not affine
    W = _random_precisions(rng, N, dU)
    A_wls, b_wls = _weighted_least_squares(obs, U, W)
    A_ols, b_ols = _weighted_least_squares(obs, U, np.broadcast_to(np.eye(dU), W.shape))
    policy = GaussianPolicy(dO, dU, GaussianPolicyConfig(hidden=()), seed=0)
    stats = precision_weighted_regression(policy, obs, U, W,
                                          SStepConfig(steps=3000, batch_size=N, learning_rate=0.05),
                                          rng)
    fitted = policy.mean(obs)
    wls, ols = obs @ A_wls.T + b_wls, obs @ A_ols.T + b_ols
    assert np.abs(fitted - wls).max() < 1e-3 * np.abs(wls).max()
    assert np.abs(ols - wls).max() > 0.1 * np.abs(wls).max()        # the weights matter here
    assert stats.loss_after < stats.loss_before
    # the covariance is the inverse of the mean precision, whatever the mean does
    np.testing.assert_allclose(policy.covariance, np.linalg.inv(W.mean(axis=0)), rtol=1e-10)


def test_closed_form_covariance_minimises_the_summed_kl():
    rng = np.random.default_rng(1)
    W = _random_precisions(rng, 50, 3)
    S = closed_form_covariance(W)

    def objective(S):           # sum_n tr(W_n S) - N log det S: the S-dependent part of sum KL
        return np.einsum("nij,ji->", W, S) - len(W) * np.linalg.slogdet(S)[1]

    best = objective(S)
    for _ in range(20):
        D = rng.standard_normal((3, 3)) * 0.05
        other = S + D @ D.T - 0.5 * (D + D.T) * 0.1
        if np.all(np.linalg.eigvalsh(other) > 0):
            assert objective(other) > best


def _affine_policy(dO, dU, A, b, obs_sample=None):
    """The policy u = A o + b; with ``obs_sample`` its standardisation is set first and the
    layer compensates for it."""
    policy = GaussianPolicy(dO, dU, GaussianPolicyConfig(hidden=(), init_std=0.2), seed=0)
    if obs_sample is not None:
        policy.set_observation_scale(obs_sample)
    shift, scale = policy.obs_shift.numpy(), policy.obs_scale.numpy()
    with torch.no_grad():
        policy.net[0].weight.copy_(torch.as_tensor(A * scale))
        policy.net[0].bias.copy_(torch.as_tensor(b + A @ shift))
    return policy


def test_linearisation_recovers_a_known_linear_policy():
    """On pointmass o(x) = x: an affine network u = A x + b has K = A, k = b, Sigma = its
    covariance, both by the Jacobian and by the prior-regularised fit of MDGPS."""
    task = make_task("pointmass")
    rng = np.random.default_rng(2)
    A, b = rng.standard_normal((2, 4)), rng.standard_normal(2)
    policy = _affine_policy(4, 2, A, b)
    X = rng.standard_normal((7, 4))
    lin = policy.linearise(task, X)
    np.testing.assert_allclose(lin.K, np.broadcast_to(A, (7, 2, 4)), atol=1e-8)
    np.testing.assert_allclose(lin.k, np.broadcast_to(b, (7, 2)), atol=1e-8)
    np.testing.assert_allclose(lin.Sigma[3], 0.04 * np.eye(2))
    # from the actions at sampled states, with the GMM prior over [x, u]
    Xs = rng.standard_normal((5, task.T, 4))
    Us = policy.mean(Xs.reshape(-1, 4)).reshape(5, task.T, 2)
    prior = GMMPrior(GMMPriorConfig(), np.random.default_rng(0))
    prior.update(np.concatenate([Xs, Us], axis=-1))
    fit = fit_policy_linearisation(Xs, Us, prior)
    np.testing.assert_allclose(fit.K, np.broadcast_to(A, fit.K.shape), atol=1e-4)
    np.testing.assert_allclose(fit.k, np.broadcast_to(b, fit.k.shape), atol=1e-4)


def test_linearisation_of_a_network_matches_its_autograd_jacobian():
    """Through a non-trivial o(x) (the arm's cos/sin and forward kinematics)."""
    task = make_task("arm")
    policy = GaussianPolicy(task.dO, task.dU, GaussianPolicyConfig(hidden=(16,)), seed=3)
    x = np.array([0.3, 1.1, 0.5, -0.2])
    lin = policy.linearise(task, x[None])
    xt = torch.tensor(x, requires_grad=True)
    q1, q2 = xt[0], xt[1]
    tip = task.length * torch.stack([torch.cos(q1) + torch.cos(q1 + q2), torch.sin(q1) + torch.sin(q1 + q2)])
    obs = torch.cat([torch.cos(q1)[None], torch.sin(q1)[None], torch.cos(q2)[None], torch.sin(q2)[None],
                     xt[2:], tip - torch.as_tensor(task.target)])
    np.testing.assert_allclose(obs.detach().numpy(), task.observation(x), atol=1e-12)
    jac = np.stack([torch.autograd.grad(policy(obs[None])[0, i], xt, retain_graph=True)[0].numpy()
                    for i in range(task.dU)])
    np.testing.assert_allclose(lin.K[0], jac, atol=1e-7)
    np.testing.assert_allclose(lin.K[0] @ x + lin.k[0], policy.mean(task.observation(x)[None])[0], atol=1e-12)


def test_checkpoint_round_trip_and_evaluation(tmp_path):
    task = make_task("pointmass")
    policy = _affine_policy(4, 2, -task.pd_gains, np.zeros(2),      # the PD law reaches the goal
                            obs_sample=np.random.default_rng(0).standard_normal((10, 4)))
    policy.set_covariance(np.diag([0.1, 0.2]))
    policy.save(tmp_path / "p.pt")
    loaded = GaussianPolicy.load(tmp_path / "p.pt")
    obs = np.random.default_rng(1).standard_normal((6, 4))
    np.testing.assert_array_equal(loaded.mean(obs), policy.mean(obs))
    np.testing.assert_array_equal(loaded.covariance, policy.covariance)
    ev = evaluate_policy(task, loaded)
    assert ev.test.success.all() and ev.train.success.all()
    assert ev.summary()["test"]["success_rate"] == 1.0
    noisy = rollout_policy(task, loaded, task.test_conditions, np.random.default_rng(0))
    residual = noisy.U - loaded.mean(noisy.X[:, :-1].reshape(-1, 4)).reshape(noisy.U.shape)
    np.testing.assert_allclose(residual.reshape(-1, 2).std(axis=0), np.sqrt([0.1, 0.2]), rtol=0.25)


def test_tanh_policy_checkpoint_round_trip(tmp_path):
    policy = GaussianPolicy(3, 2, GaussianPolicyConfig(hidden=(8,), activation="tanh"), seed=4)
    policy.save(tmp_path / "p.pt")
    loaded = GaussianPolicy.load(tmp_path / "p.pt")
    assert loaded.config == policy.config and isinstance(loaded.net[1], torch.nn.Tanh)
    obs = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(loaded.mean(obs), policy.mean(obs))


@pytest.mark.parametrize("bad", [dict(hidden=(0,)), dict(init_std=0.0), dict(activation="sigmoid")])
def test_bad_policy_config_is_rejected(bad):
    with pytest.raises(ValueError):
        GaussianPolicyConfig(**bad)
