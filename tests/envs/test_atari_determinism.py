"""The snapshot/replay self-check: exact where ALE is exact, and it catches what isn't."""
import pytest

from common.errors import DistillError
from envs.atari import AtariConfig, AtariEnv
from envs.atari.determinism import check_determinism, require_exact_replay

STEPS, POINTS = 20, 100


@pytest.mark.parametrize("game", ["beam_rider", "breakout", "enduro", "pong", "seaquest", "space_invaders"])
def test_replays_exactly(game):
    report = check_determinism(AtariEnv(game), steps=STEPS, points=POINTS, seed=0)
    assert report.checks == POINTS + 1
    assert report.mismatches == []


def test_sticky_actions_replay_exactly():
    report = check_determinism(AtariEnv("breakout", AtariConfig(sticky_prob=0.25)), steps=STEPS, points=50)
    assert report.mismatches == []


def test_detects_qbert_incomplete_state_on_ale_0_12_1():
    report = check_determinism(AtariEnv("qbert"), steps=STEPS, points=POINTS, seed=0)
    assert report.mismatches, "Q*bert's restore-after-reset divergence went unnoticed"
    assert report.mismatches[0].point == 0  # the restore just after reset diverges
    assert "ram" in report.mismatches[0].fields
    with pytest.raises(DistillError, match="Q\\*bert.*PR #732"):
        require_exact_replay("qbert")
    require_exact_replay("pong")  # no error


class ForgetsFrameStack(AtariEnv):
    """Planted bug: the snapshot leaves the frame history out (the pi-IW erratum)."""

    def restore(self, snap):
        stack = self._stack.copy()
        super().restore(snap)
        self._stack[:] = stack


class ForgetsStickyState(AtariEnv):
    """Planted bug: the sticky-action RNG and remembered action are not restored."""

    def restore(self, snap):
        rng_state, sticky = self._rng.bit_generator.state, self._sticky_action
        super().restore(snap)
        self._rng.bit_generator.state, self._sticky_action = rng_state, sticky


def test_planted_frame_stack_bug_is_caught():
    report = check_determinism(ForgetsFrameStack("pong"), steps=STEPS, points=20)
    assert len(report.mismatches) > 10
    assert all(m.step == 0 and m.fields == ["observation"] for m in report.mismatches)


def test_planted_sticky_state_bug_is_caught():
    env = ForgetsStickyState("breakout", AtariConfig(sticky_prob=0.25))
    report = check_determinism(env, steps=STEPS, points=50)
    assert len(report.mismatches) > 10
