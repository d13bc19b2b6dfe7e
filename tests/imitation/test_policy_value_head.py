"""The value head and the search's label weights (expert iteration: Anthony et al. 2017;
AlphaZero, Silver et al. 2017): the value output shares the hidden layer and leaves the
rest of the network as it was, learns a function of the screen, ignores rows without a
value target; weighted rows count in proportion to their weight; evaluate() gives a guided
search (log pi, value); checkpoints keep the head."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from imitation.checkpoint import load_checkpoint, save_checkpoint
from imitation.dataset import EpisodeLabels, LabelBatch, LabelDataset
from imitation.networks import AtariConvNet, NetworkConfig
from imitation.policy import DistilledPolicy, PolicyConfig
from imitation.train_policy import TrainConfig, train_policy
from imitation_fixtures import SPEC

torch.set_num_threads(1)
A = SPEC.num_actions
PIXEL = (0, 40, 40)   # the pixel whose brightness the value targets follow


def _batch(rng, n=8, value=None, weight=None) -> LabelBatch:
    """n random labelled states (about 30% of Q-values untried, never a whole row)."""
    q = rng.normal(size=(n, A)).astype(np.float32)
    q[rng.random((n, A)) < 0.3] = np.nan
    q[:, 0] = np.nan_to_num(q[:, 0])
    return LabelBatch(obs=rng.integers(0, 255, (n, 4, 84, 84), dtype=np.uint8),
                      action=np.nanargmax(q, axis=1), q=q, visits=rng.integers(1, 9, (n, A)),
                      value=value, weight=weight, episode=np.zeros(n, np.int64),
                      step=np.arange(n), round=np.zeros(n, np.int64))


def _bright_pixel_states(rng, n):
    """(obs [n, 4, 84, 84], value [n]): a constant background with one pixel of random
    brightness b; the value is 2 b / 255 - 1, uniform on [-1, 1] (variance 1/3)."""
    obs = np.full((n, 4, 84, 84), 87, np.uint8)
    bright = rng.integers(0, 256, n)
    obs[:, :, PIXEL[1], PIXEL[2]] = bright[:, None]
    return obs, (2.0 * bright / 255.0 - 1.0).astype(np.float32)


def _grads(policy: DistilledPolicy, batch: LabelBatch) -> dict[str, torch.Tensor]:
    """The loss's gradient, by parameter name."""
    policy.zero_grad(set_to_none=True)
    policy.loss(batch).backward()
    return {name: p.grad.clone() for name, p in policy.named_parameters()}


# -- the network ------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["dqn2013", "nature"])
def test_the_value_head_leaves_the_seeded_network_as_it_was(arch):
    """Same seed with and without the head: every existing parameter and buffer, its name
    and the action outputs are identical; the head adds net.value.* only."""
    config = PolicyConfig(network=NetworkConfig(arch=arch))
    plain = DistilledPolicy(config, A, seed=3, device="cpu")
    headed = DistilledPolicy(PolicyConfig(network=NetworkConfig(arch=arch), value_head=True), A,
                             seed=3, device="cpu")
    assert not plain.has_value and headed.has_value
    a, b = plain.state_dict(), headed.state_dict()
    assert set(b) - set(a) == {"net.value.weight", "net.value.bias"} and set(a) <= set(b)
    for name in a:
        assert torch.equal(a[name], b[name]), name
    assert headed.net.value.in_features == headed.net.head[0].out_features
    obs = torch.as_tensor(np.random.default_rng(0).integers(0, 255, (3, 4, 84, 84), dtype=np.uint8))
    out, value = headed.net.forward_with_value(obs)
    assert out.shape == (3, A) and value.shape == (3,)
    torch.testing.assert_close(out, plain.net(obs), rtol=0, atol=0)
    torch.testing.assert_close(headed.net(obs), plain.net(obs), rtol=0, atol=0)
    with pytest.raises(ValueError, match="no value head"):
        plain.net.forward_with_value(obs)


def test_a_network_without_the_head_has_its_old_state_dict_keys():
    net = AtariConvNet(NetworkConfig(), A)
    assert sorted(net.state_dict()) == ["features.0.bias", "features.0.weight", "features.2.bias",
                                        "features.2.weight", "head.0.bias", "head.0.weight",
                                        "head.2.bias", "head.2.weight", "input_mean", "input_mean_set"]


def test_config_validation_and_old_configs():
    with pytest.raises(ValueError, match="label_weights"):
        PolicyConfig(label_weights="visits")
    with pytest.raises(ValueError, match="value_head"):
        PolicyConfig(value_head="yes")
    old = {"head": "classification", "target": "visits", "tau": 0.1, "q_weights": "uniform",
           "network": {"arch": "dqn2013", "frames": 4, "size": 84}}
    assert PolicyConfig.from_json(old) == PolicyConfig(target="visits")
    new = PolicyConfig(target="visits", value_head=True, label_weights="search")
    assert PolicyConfig.from_json({**old, "value_head": True, "label_weights": "search"}) == new


# -- the value loss ---------------------------------------------------------------------

def test_the_value_head_learns_a_function_of_the_screen():
    """The value target is a pixel's brightness: 100 Adam steps on 64 states bring the
    value's squared error far below the targets' variance, on those states and on new
    ones, while the head's loss is trained alongside (measured: 0.0035 and 0.0036 of the
    variance; 0.021 and 0.030 after 50 steps)."""
    rng = np.random.default_rng(0)
    obs, value = _bright_pixel_states(rng, 64)
    batch = _batch(rng, 64, value=value)
    batch.obs = obs
    policy = DistilledPolicy(PolicyConfig(target="visits", value_head=True), A, seed=0, device="cpu")
    policy.net.set_input_mean(obs.mean(axis=0))
    _, before = policy.evaluate(obs)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    for _ in range(100):
        opt.zero_grad()
        policy.loss(batch).backward()
        opt.step()
    variance = float(value.var())
    _, after = policy.evaluate(obs)
    assert np.mean((before - value) ** 2) > 0.5 * variance      # it did not start there
    assert np.mean((after - value) ** 2) < 0.02 * variance
    new_obs, new_value = _bright_pixel_states(np.random.default_rng(1), 64)
    assert np.mean((policy.evaluate(new_obs)[1] - new_value) ** 2) < 0.04 * variance


def test_rows_without_a_value_target_are_left_out():
    """NaN value targets (chunks written before the column) add nothing: the loss is the
    policy loss plus the squared error over the other rows, and its gradient is finite."""
    rng = np.random.default_rng(1)
    value = rng.normal(size=8).astype(np.float32)
    value[[1, 4, 5]] = np.nan
    batch = _batch(rng, value=value)
    policy = DistilledPolicy(PolicyConfig(value_head=True), A, seed=2, device="cpu")
    out, v = policy.outputs_and_value(policy.obs_tensor(batch.obs))
    known = np.isfinite(value)
    expected = (policy.loss_from_outputs(out, batch).item()
                + np.mean((v.detach().numpy() - value)[known] ** 2))
    loss = policy.loss(batch)
    assert math.isfinite(loss.item()) and loss.item() == pytest.approx(expected, rel=1e-6)
    assert all(torch.isfinite(g).all() for g in _grads(policy, batch).values())
    # their targets do not matter, and with none at all the value adds nothing
    other = batch.take(np.arange(8))
    other.value = np.where(known, value, 1e6).astype(np.float32)
    assert policy.loss(other).item() > loss.item() + 1e6   # the targets are used where known...
    other.value[~known] = np.nan
    assert policy.loss(other).item() == loss.item()        # ...and only there
    unknown = batch.take(np.arange(8))
    unknown.value = np.full(8, np.nan, np.float32)
    assert policy.loss(unknown).item() == pytest.approx(policy.loss_from_outputs(out, batch).item(),
                                                        rel=1e-6)
    grads = _grads(policy, unknown)
    assert all(torch.isfinite(g).all() for g in grads.values())
    assert grads["net.value.weight"].abs().max() == 0 and grads["net.value.bias"] == 0


# -- label weights ----------------------------------------------------------------------

POLICY_LOSSES = [dict(), dict(target="visits"), dict(head="regression"),
                 dict(head="regression", q_weights="visits")]


def _relabelled(batch: LabelBatch, row: int) -> LabelBatch:
    """``batch`` with row ``row``'s label moved to another action: its action, Q-values
    and visits all prefer it."""
    out = batch.take(np.arange(len(batch)))
    best = (int(np.nanargmax(batch.q[row])) + 1) % A
    out.q[row] = np.where(np.arange(A) == best, 5.0, -5.0)
    out.visits[row] = np.where(np.arange(A) == best, 50, 1)
    out.action[row] = best
    return out


@pytest.mark.parametrize("kw", POLICY_LOSSES)
def test_a_row_of_weight_zero_does_not_count(kw):
    """Under "search" a row of weight 0 changes neither the loss nor its gradient when
    its label changes; under "uniform" (the weight ignored) it does."""
    rng = np.random.default_rng(2)
    weight = rng.uniform(0.2, 1.0, 8).astype(np.float32)
    weight[3] = 0.0
    batch = _batch(rng, weight=weight)
    changed = _relabelled(batch, 3)
    search = DistilledPolicy(PolicyConfig(label_weights="search", **kw), A, seed=1, device="cpu")
    assert search.loss(changed).item() == pytest.approx(search.loss(batch).item(), rel=1e-6)
    g, h = _grads(search, batch), _grads(search, changed)
    for name in g:
        torch.testing.assert_close(g[name], h[name], rtol=1e-5, atol=1e-7, msg=name)
    uniform = DistilledPolicy(PolicyConfig(**kw), A, seed=1, device="cpu")
    assert uniform.loss(changed).item() != uniform.loss(batch).item()
    g, h = _grads(uniform, batch)["net.head.2.weight"], _grads(uniform, changed)["net.head.2.weight"]
    assert (g - h).abs().max() > 0.01 * g.abs().max()


@pytest.mark.parametrize("kw", POLICY_LOSSES)
def test_search_weights_give_the_weighted_mean(kw):
    """Classification: sum_i w_i CE_i / sum_i w_i. Regression: the squared errors weighted
    by w_i times their per-action weights. Weights of 1 (old chunks) give the uniform loss."""
    rng = np.random.default_rng(3)
    weight = rng.uniform(0.0, 1.0, 8).astype(np.float32)
    batch = _batch(rng, weight=weight)
    search = DistilledPolicy(PolicyConfig(label_weights="search", **kw), A, seed=1, device="cpu")
    uniform = DistilledPolicy(PolicyConfig(**kw), A, seed=1, device="cpu")
    if kw.get("head") == "regression":
        out = search.outputs(batch.obs).astype(np.float64)
        v = batch.visits if kw.get("q_weights") == "visits" else np.ones_like(batch.visits)
        tried = np.isfinite(batch.q)
        wa = np.where(tried, v * weight[:, None], 0.0)
        expected = (wa * np.nan_to_num(out - batch.q) ** 2).sum() / wa.sum()
    else:
        per_row = np.array([uniform.loss(batch.take([i])).item() for i in range(8)])
        expected = (weight * per_row).sum() / weight.sum()
    assert search.loss(batch).item() == pytest.approx(expected, rel=1e-5)
    ones = _batch(np.random.default_rng(3))          # weight defaults to 1
    assert (ones.weight == 1).all()
    assert search.loss(ones).item() == pytest.approx(uniform.loss(ones).item(), rel=1e-6)


# -- evaluate(), what a guided search asks ------------------------------------------------

@pytest.mark.parametrize("head", ["classification", "regression"])
def test_evaluate_gives_log_pi_and_the_value(head):
    obs = np.random.default_rng(4).integers(0, 255, (3, 4, 84, 84), dtype=np.uint8)
    policy = DistilledPolicy(PolicyConfig(head=head, value_head=True), A, seed=0, device="cpu")
    log_pi, value = policy.evaluate(obs)
    assert log_pi.shape == (3, A) and log_pi.dtype == np.float64
    assert value.shape == (3,) and value.dtype == np.float64
    np.testing.assert_allclose(np.exp(log_pi).sum(axis=1), 1.0, rtol=1e-9)
    np.testing.assert_array_equal(log_pi, policy.log_pi(obs))
    with torch.no_grad():
        _, v = policy.net.forward_with_value(torch.as_tensor(obs))
    np.testing.assert_array_equal(value, v.double().numpy())
    one_log_pi, one_value = policy.evaluate(obs[1])               # one [4, 84, 84]
    assert one_log_pi.shape == (1, A) and one_value.shape == (1,)
    np.testing.assert_allclose(one_log_pi[0], log_pi[1], atol=1e-6)
    plain = DistilledPolicy(PolicyConfig(head=head), A, seed=0, device="cpu")
    plain_log_pi, none = plain.evaluate(obs)
    assert none is None and not plain.has_value
    np.testing.assert_array_equal(plain_log_pi, log_pi)            # same seed, same outputs


# -- training and checkpoints -----------------------------------------------------------

def _bright_pixel_episode(episode: int, n: int = 60) -> EpisodeLabels:
    rng = np.random.default_rng(episode)
    obs, value = _bright_pixel_states(rng, n)
    action = (value > 0).astype(np.int64)
    zeros = np.zeros(n, np.int64)
    return EpisodeLabels(round=0, episode=episode, seed=0, obs=obs, action=action,
                         q=np.eye(A, dtype=np.float32)[action], visits=np.ones((n, A), np.int64),
                         value=value, weight=np.ones(n, np.float32), step=np.arange(n),
                         executed=action, frames=zeros, score=0.0, env_steps=n, lives_lost=0,
                         terminated=True)


class _Recorder:
    def __init__(self):
        self.scalars = []

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))


def test_training_reports_the_validation_value_loss(tmp_path):
    ds = LabelDataset.create(tmp_path / "d", SPEC)
    for e in range(10):
        ds.write_episode(_bright_pixel_episode(e))
    assert ds.keys("val", 0.3)
    val = LabelBatch.concatenate([ds.read_chunk(*key) for key in ds.keys("val", 0.3)])
    cfg = TrainConfig(epochs=30, max_steps=150, batch_size=50, val_fraction=0.3)
    policy = DistilledPolicy(PolicyConfig(value_head=True), A, seed=0, device="cpu")
    writer = _Recorder()
    result = train_policy(policy, ds, cfg, writer=writer)
    logged = [v for t, v, _ in writer.scalars if t == "val/value_loss"]
    assert len(logged) == len(result.val_value_losses) == len(result.val_losses) > 1
    assert logged == result.val_value_losses and result.val_value_loss == logged[-1]
    assert result.val_value_loss < 0.1 * float(val.value.var())
    with torch.no_grad():
        _, v = policy.outputs_and_value(policy.obs_tensor(val.obs))
        assert result.val_value_loss == pytest.approx(policy.value_loss(v, val).item(), rel=1e-5)
    plain = DistilledPolicy(PolicyConfig(), A, seed=0, device="cpu")
    writer = _Recorder()
    result = train_policy(plain, ds, TrainConfig(epochs=1, max_steps=2, val_fraction=0.3), writer=writer)
    assert result.val_value_losses == [] and math.isnan(result.val_value_loss)
    assert "val/value_loss" not in {t for t, _, _ in writer.scalars}


def test_a_value_head_policy_round_trips_through_a_checkpoint(tmp_path):
    config = PolicyConfig(target="visits", value_head=True, label_weights="search")
    policy = DistilledPolicy(config, A, seed=5, device="cpu")
    rng = np.random.default_rng(5)
    policy.net.set_input_mean(rng.uniform(0, 255, (4, 84, 84)))
    with torch.no_grad():
        policy.net.value.bias.fill_(0.25)   # not its initial value
    path = save_checkpoint(tmp_path / "p.pt", policy, SPEC, round=1)
    loaded = load_checkpoint(path, expect=SPEC, device="cpu").policy
    assert loaded.config == config and loaded.has_value
    obs = rng.integers(0, 255, (4, 4, 84, 84), dtype=np.uint8)
    for got, want in zip(loaded.evaluate(obs), policy.evaluate(obs)):
        np.testing.assert_array_equal(got, want)


def test_a_checkpoint_from_before_the_value_head_loads(tmp_path):
    """Its config lacks value_head and label_weights: it loads as the policy it was."""
    policy = DistilledPolicy(PolicyConfig(head="regression"), A, seed=6, device="cpu")
    path = save_checkpoint(tmp_path / "old.pt", policy, SPEC)
    payload = torch.load(path, weights_only=True)
    for key in ("value_head", "label_weights"):
        del payload["policy_config"][key]
    torch.save(payload, path)
    loaded = load_checkpoint(path, device="cpu").policy
    assert loaded.config == PolicyConfig(head="regression") and not loaded.has_value
    obs = np.random.default_rng(6).integers(0, 255, (2, 4, 84, 84), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.outputs(obs), policy.outputs(obs))
    assert loaded.evaluate(obs)[1] is None
