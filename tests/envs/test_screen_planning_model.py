"""The planning model with screens sees what the real environment shows."""
import numpy as np
import pytest

from envs.atari import AtariConfig, AtariEnv, AtariPlanningModel, PlanningConfig, ScreenPlanningModel


@pytest.mark.parametrize("game", ["pong", "breakout"])
def test_observations_rewards_and_frames_match_the_environment(game):
    env = AtariEnv(game, AtariConfig(), seed=3)
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    for a in rng.integers(env.action_space.n, size=30):
        env.step(int(a))
    snap = env.snapshot()
    model = ScreenPlanningModel(game, PlanningConfig(life_loss_terminal=False, clip_rewards=False), seed=3)
    plain = AtariPlanningModel(game, PlanningConfig(life_loss_terminal=False, clip_rewards=False), seed=3)
    model.restore_state(model.root_state(snap))
    plain.restore_state(plain.root_state(snap))
    np.testing.assert_array_equal(model.observation(), snap.stack)
    for a in rng.integers(env.action_space.n, size=200):
        obs, reward, terminated, _, _ = env.step(int(a))
        r, done = model.step(int(a))
        r2, _ = plain.step(int(a))
        assert r == reward == r2 and done == terminated
        if terminated:   # a game over inside the skip: no search reads a terminal observation
            break
        np.testing.assert_array_equal(model.observation(), obs)
    assert model.frames == plain.frames
    np.testing.assert_array_equal(model.state_key(), plain.state_key())


def test_a_restored_state_carries_its_frame_stack_and_lanes_are_independent():
    model = ScreenPlanningModel("pong", seed=0)
    for _ in range(10):
        model.step(2)
    state = model.clone_state()
    before = model.observation().copy()
    lane = model.spawn()
    lane.restore_state(state)
    for _ in range(5):
        model.step(3)
    assert not np.array_equal(model.observation(), before)
    np.testing.assert_array_equal(lane.observation(), before)
    model.restore_state(state)
    np.testing.assert_array_equal(model.observation(), before)
    assert lane.frames == 0 and model.frames == 60
