import pickle

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from common.errors import DistillError
from envs.atari import AtariConfig, AtariEnv
from envs.atari.env import new_ale
from envs.atari.resize import overlap_weights


def test_observation_space_shape_and_dtype():
    env = AtariEnv("breakout")
    obs, info = env.reset(seed=3)
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    assert env.observation_space.contains(obs)
    assert env.action_space.n == 4  # Breakout's minimal action set
    assert info["lives"] == 5
    assert AtariEnv("breakout", AtariConfig(full_action_space=True)).action_space.n == 18


def test_passes_gymnasium_check_env():
    check_env(AtariEnv("pong"), skip_render_check=True)


def _reference_frame(screen_a, screen_b):
    """Max-pool and area-resize computed densely in float64, independently of the kernel."""
    R, C = overlap_weights(210, 84), overlap_weights(160, 84)
    img = np.maximum(screen_a, screen_b).astype(np.float64)
    return np.floor(R @ img @ C.T + 0.5).astype(np.uint8)


def test_preprocessing_matches_reference_from_raw_ale_screens():
    """Frame skip 4, max over frames 3 and 4, 84x84 area resize, newest frame last."""
    env = AtariEnv("space_invaders", seed=5)
    env.reset(seed=5)
    ale = new_ale("space_invaders", seed=5)
    ale.reset_game()
    rng = np.random.default_rng(0)
    frames = [_reference_frame(ale.getScreenGrayscale(), ale.getScreenGrayscale())] * 4
    for _ in range(40):
        a = int(rng.integers(env.action_space.n))
        obs, reward, *_ = env.step(a)
        ref_reward = 0
        for i in range(4):
            ref_reward += ale.act(env.action_set[a])
            if i == 2:
                third = ale.getScreenGrayscale()
        frames = frames[1:] + [_reference_frame(third, ale.getScreenGrayscale())]
        assert reward == ref_reward
        np.testing.assert_array_equal(obs, np.stack(frames))


def test_snapshot_pickle_round_trip_replays_bit_identically():
    env = AtariEnv("seaquest", AtariConfig(sticky_prob=0.25), seed=1)
    env.reset(seed=1)
    for a in np.random.default_rng(1).integers(env.action_space.n, size=60):
        env.step(int(a))
    snap = env.snapshot()
    blob = pickle.dumps(snap)
    assert len(blob) < 20_000  # compact enough to ship to workers
    actions = np.random.default_rng(2).integers(env.action_space.n, size=100)
    first = [env.step(int(a)) for a in actions]
    env.restore(pickle.loads(blob))
    second = [env.step(int(a)) for a in actions]
    for (o1, r1, t1, u1, i1), (o2, r2, t2, u2, i2) in zip(first, second):
        np.testing.assert_array_equal(o1, o2)
        assert (r1, t1, u1, i1) == (r2, t2, u2, i2)


def test_restore_into_another_game_is_refused():
    snap = AtariEnv("pong").snapshot()
    with pytest.raises(DistillError, match="pong.*breakout"):
        AtariEnv("breakout").restore(snap)


def test_episode_cap_truncates():
    env = AtariEnv("pong", AtariConfig(max_episode_frames=40))
    env.reset(seed=0)
    flags = [env.step(0)[3] for _ in range(10)]
    assert flags.index(True) == 9  # 10 steps x 4 frames = 40 frames


def test_noop_starts_vary_the_start_state():
    env = AtariEnv("breakout", AtariConfig.evaluation(noop_max=30))
    rams = {env.reset(seed=s)[1]["episode_frame_number"] for s in range(6)}
    assert len(rams) > 1 and all(4 <= r <= 120 for r in rams)


def test_bad_config_is_a_clear_error():
    with pytest.raises(DistillError, match="frame_skip"):
        AtariConfig(frame_skip=0)
    with pytest.raises(DistillError, match="sticky_prob"):
        AtariConfig(sticky_prob=1.5)


@pytest.mark.parametrize("game", ["pong", "seaquest"])
def test_planner_node_snapshots_replay_exactly_without_ale_rng(game):
    """Tree nodes are cloned without ALE's RNG (half the bytes): replay is still exact."""
    from envs.atari import AtariPlanningModel

    model = AtariPlanningModel(game)
    rng = np.random.default_rng(0)
    for _ in range(100):
        model.step(int(rng.integers(model.num_actions)))
    for _ in range(30):
        state = model.clone_state()
        actions = rng.integers(model.num_actions, size=20).tolist()
        first = [(model.step(a), model.state_key().tobytes()) for a in actions]
        for a in rng.integers(model.num_actions, size=30).tolist():   # wander off
            model.step(a)
        model.restore_state(state)
        assert [(model.step(a), model.state_key().tobytes()) for a in actions] == first
