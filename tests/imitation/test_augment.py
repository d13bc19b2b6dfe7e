"""Random-shift augmentation (imitation.augment) and its use in training."""
import numpy as np
import pytest

from imitation.augment import random_shift


def test_each_observation_moves_by_its_own_offset_the_same_for_its_whole_stack():
    rng = np.random.default_rng(0)
    obs = np.zeros((64, 4, 84, 84), np.uint8)
    obs[:, :, 40, 50] = 255                     # one bright pixel, away from the border
    obs[:, 2, 10, 20] = 7                       # and another in one frame only
    out = random_shift(obs, 4, np.random.default_rng(0))
    offsets = rng.integers(0, 9, size=(64, 2)) - 4   # the draws random_shift makes
    assert out.shape == obs.shape and out.dtype == obs.dtype
    for i, (dy, dx) in enumerate(offsets):
        ys, xs = np.nonzero(out[i, 0] == 255)
        assert (ys.tolist(), xs.tolist()) == ([40 - dy], [50 - dx])
        for c in range(4):                      # every frame of the stack moved alike
            assert out[i, c, 40 - dy, 50 - dx] == 255
        assert out[i, 2, 10 - dy, 20 - dx] == 7
    assert len({tuple(o) for o in offsets}) > 20   # offsets differ across the batch


def test_the_border_is_repeated_and_zero_pad_is_a_copy():
    obs = np.arange(2 * 1 * 6 * 6, dtype=np.uint8).reshape(2, 1, 6, 6)
    out = random_shift(obs, 2, np.random.default_rng(3))
    assert set(np.unique(out)) <= set(np.unique(obs))   # no value that was not there
    same = random_shift(obs, 0, np.random.default_rng(3))
    np.testing.assert_array_equal(same, obs)
    assert same is not obs
    with pytest.raises(ValueError, match="pad"):
        random_shift(obs, -1, np.random.default_rng(0))


def test_a_fit_with_shifts_is_seeded_and_sees_shifted_observations(tmp_path, monkeypatch):
    import torch

    from imitation.dataset import LabelDataset
    from imitation.policy import DistilledPolicy, PolicyConfig
    from imitation.train_policy import TrainConfig, train_policy
    from imitation_fixtures import SPEC, synthetic_episode

    torch.set_num_threads(1)
    ds = LabelDataset.create(tmp_path / "d", SPEC)
    for e in range(4):
        ds.write_episode(synthetic_episode(0, e))

    def fit(shift):
        policy = DistilledPolicy(PolicyConfig(), SPEC.num_actions, seed=0, device="cpu")
        train_policy(policy, ds, TrainConfig(epochs=1, max_steps=3, val_fraction=0.0, augment_shift=shift))
        return torch.cat([p.detach().flatten() for p in policy.parameters()])

    torch.testing.assert_close(fit(2), fit(2), rtol=0, atol=0)     # the same seed, the same fit
    assert not torch.equal(fit(2), fit(0))
    seen = []
    monkeypatch.setattr(DistilledPolicy, "loss", lambda self, batch: seen.append(batch.obs.copy()) or
                        torch.zeros((), requires_grad=True))
    plain = np.concatenate(list(b.obs for b in ds.iter_batches(100, split="all", val_fraction=0.0, seed=0)))
    policy = DistilledPolicy(PolicyConfig(), SPEC.num_actions, seed=0, device="cpu")
    train_policy(policy, ds, TrainConfig(epochs=1, val_fraction=0.0, augment_shift=2))
    shifted = np.concatenate(seen)
    assert shifted.shape == plain.shape and not np.array_equal(shifted, plain)
