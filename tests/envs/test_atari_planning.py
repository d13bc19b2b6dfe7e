"""The planner's emulator step (one ``act`` call with ALE's own frame skip) against the
step it replaced, ``frame_skip`` single-frame ``act`` calls in Python: the same rewards,
terminals, frame counts and states, hence the same planner decisions."""
import numpy as np
import pytest

from envs.atari import AtariEnv, AtariPlanningModel, PlanningConfig
from envs.atari.env import new_ale
from mcts.config import Budget, UCTConfig
from mcts.uct import UCTPlanner


class PythonLoopModel(AtariPlanningModel):
    """The reference: an ALE without frame skip, stepped frame by frame in Python."""

    def __init__(self, game, config=PlanningConfig(), seed=0):
        super().__init__(game, config, seed)
        self.ale = new_ale(self.game, seed)  # frame_skip 1

    def restore_state(self, state):
        self.ale.restoreState(state)

    def step(self, action):
        ale, a = self.ale, self.action_set[action]
        lives = ale.lives()
        reward, n, over = 0, 0, False
        for _ in range(self.config.frame_skip):
            reward += ale.act(a)
            n += 1
            over = ale.game_over()
            if over:
                break
        self.frames += n
        lost = ale.lives() < lives
        terminal = over or (self.config.life_loss_terminal and lost)
        r = float((reward > 0) - (reward < 0)) if self.config.clip_rewards else float(reward)
        if lost:
            r -= self.config.life_loss_penalty
        return r, terminal


def test_one_call_step_equals_the_python_frame_loop_through_game_over():
    """Breakout played at random to its game over (lives lost on the way), with restores:
    every step's (reward, terminal), frame count and RAM agree."""
    config = PlanningConfig(life_loss_terminal=False, clip_rewards=False)
    fast, ref = AtariPlanningModel("breakout", config), PythonLoopModel("breakout", config)
    assert fast.ale.getInt("frame_skip") == 4 and ref.ale.getInt("frame_skip") == 1
    rng = np.random.default_rng(0)
    saved, over_seen, steps = [], 0, 0
    while over_seen < 2 and steps < 5000:
        if steps % 97 == 0:
            saved.append(ref.clone_state())
        a = int(rng.integers(fast.num_actions))
        out = fast.step(a)
        assert out == ref.step(a)
        assert fast.frames == ref.frames
        np.testing.assert_array_equal(fast.state_key(), ref.state_key())
        steps += 1
        if out[1]:  # game over: one more step from the ended game, then back to a saved state
            assert fast.step(0) == ref.step(0) and fast.frames == ref.frames
            over_seen += 1
            state = saved[len(saved) // 2]
            fast.restore_state(state)
            ref.restore_state(state)
    assert over_seen == 2
    assert fast.frames % 4 != 0  # a game ended inside a skip: fewer than 4 frames counted


@pytest.mark.parametrize("budget", [Budget(sims=12), Budget(frames=3000)])
def test_planner_decisions_are_those_of_the_python_frame_loop(budget):
    config = UCTConfig(budget=budget, max_depth=15)
    env = AtariEnv("breakout")
    env.reset(seed=3)
    fast = UCTPlanner(AtariPlanningModel("breakout"), config, seed=1)
    ref = UCTPlanner(PythonLoopModel("breakout"), config, seed=1)
    for t in range(10):
        root = env.snapshot()
        d1, d2 = fast.decide(root, t), ref.decide(root, t)
        assert d1.action == d2.action and d1.frames == d2.frames
        np.testing.assert_array_equal(d1.visits, d2.visits)
        np.testing.assert_array_equal(d1.q, d2.q)
        env.step(d1.action)


def test_equal_exact_states_have_equal_futures_where_an_equal_ram_may_not():
    """Alias merging compares ``state_identity`` (the serialised emulator), not the RAM: on
    Pong, one step of different actions can leave the same RAM and different futures."""
    model = AtariPlanningModel("pong")
    A, rng = model.num_actions, np.random.default_rng(0)
    ram_only = 0
    for _ in range(400):
        root = model.clone_state()
        outs = []
        for a in range(A):
            model.restore_state(root)
            model.step(a)
            ram, identity = model.state_key().tobytes(), model.state_identity(model.clone_state())
            future = []
            for _ in range(8):
                model.step(0)
                future.append(model.state_key().tobytes())
            outs.append((ram, identity, future))
        for a in range(A):
            for b in range(a):
                if outs[a][1] == outs[b][1]:
                    assert outs[a][2] == outs[b][2]
                elif outs[a][0] == outs[b][0] and outs[a][2] != outs[b][2]:
                    ram_only += 1
        if ram_only:
            break
        model.restore_state(root)
        model.step(int(rng.integers(A)))
    assert ram_only > 0
