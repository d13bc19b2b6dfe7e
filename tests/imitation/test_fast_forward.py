"""imitation.fast_forward: the batch-1 CPU path computes the torch network's outputs, and
DistilledPolicy.greedy uses it with the weights as they are now."""
import numpy as np
import pytest
import torch

from imitation.fast_forward import FastForward
from imitation.networks import NetworkConfig
from imitation.policy import DistilledPolicy, PolicyConfig


def _policy(arch, frames=4, value_head=False, seed=0):
    policy = DistilledPolicy(PolicyConfig(network=NetworkConfig(arch=arch, frames=frames), value_head=value_head),
                             6, seed=seed, device="cpu")
    policy.net.set_input_mean(np.random.default_rng(seed).integers(0, 256, (4, 84, 84)))
    return policy.eval()


def _observations(n, seed=1):
    return np.random.default_rng(seed).integers(0, 256, (n, 4, 84, 84), dtype=np.uint8)


@pytest.mark.parametrize("arch, frames", [("dqn2013", 4), ("nature", 4), ("compact", 4), ("compact", 2)])
def test_the_outputs_are_the_torch_networks(arch, frames):
    policy = _policy(arch, frames, value_head=True)
    fast = FastForward(policy.net)
    for obs in _observations(3):
        with torch.no_grad():
            expected = policy.net(torch.from_numpy(obs[None]))[0].numpy()
        got = fast.outputs(obs)
        assert got.shape == (6,)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_a_network_on_fewer_frames_reads_the_newest():
    policy = _policy("compact", frames=2)
    obs = _observations(1)[0]
    other = obs.copy()
    other[:2] = 0   # the two oldest frames
    assert np.array_equal(FastForward(policy.net).outputs(obs), FastForward(policy.net).outputs(other))
    with torch.no_grad():
        assert torch.equal(policy.net(torch.from_numpy(obs[None])), policy.net(torch.from_numpy(other[None])))


def test_greedy_at_batch_1_is_the_argmax_of_the_torch_outputs():
    policy = _policy("dqn2013")
    obs = _observations(20)
    with torch.no_grad():
        expected = policy.net(torch.from_numpy(obs)).argmax(-1).numpy()
    assert [int(policy.greedy(o)[0]) for o in obs] == list(expected)
    assert [int(policy.greedy(o[None])[0]) for o in obs] == list(expected)
    assert list(policy.greedy(obs)) == list(expected)   # a batch goes through torch


def test_greedy_follows_the_weights_after_an_in_place_change_and_a_load():
    policy, other = _policy("compact", seed=0), _policy("compact", seed=3)
    obs = _observations(1)[0]
    first = int(policy.greedy(obs)[0])
    target = (first + 1) % 6
    with torch.no_grad():
        policy.net.head[2].bias[target] += 1e3   # what an optimiser step does: in place
    assert int(policy.greedy(obs)[0]) == target
    policy.load_state_dict(other.state_dict())
    with torch.no_grad():
        expected = int(other.net(torch.from_numpy(obs[None])).argmax())
    assert int(policy.greedy(obs)[0]) == expected
