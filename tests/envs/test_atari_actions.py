"""A named action set (``--actions``): the environment, both planning models and the
label spec agree on it, index i plays the i-th named ALE action, and bad names are refused."""
import numpy as np
import pytest

from common.errors import DistillError
from envs.atari import AtariConfig, AtariEnv, AtariPlanningModel, PlanningConfig, ScreenPlanningModel
from envs.atari.actions import parse_action_names
from imitation.collect import label_spec, preprocessing_of

NAMES = ("NOOP", "RIGHT", "LEFT")
ALE = (0, 3, 4)            # ale_py.Action values of NOOP, RIGHT, LEFT


def test_every_model_of_the_game_uses_the_named_actions_in_their_order():
    assert AtariEnv("pong", AtariConfig(actions=NAMES)).action_set == list(ALE)
    assert AtariEnv("pong", AtariConfig(actions=("LEFT", "NOOP"))).action_set == [4, 0]
    planning = PlanningConfig(actions=NAMES)
    assert AtariPlanningModel("pong", planning).action_set == list(ALE)
    assert ScreenPlanningModel("pong", planning).action_set == list(ALE)
    assert AtariEnv("pong", AtariConfig()).action_set == [0, 1, 3, 4, 11, 12]   # the minimal set


def test_index_i_plays_the_ith_named_action():
    """A game played through the 3-action set equals the same game through the minimal
    set with each index mapped to the same ALE action: screens and rewards, step by step."""
    named, minimal = AtariEnv("pong", AtariConfig(actions=NAMES)), AtariEnv("pong", AtariConfig())
    to_minimal = [minimal.action_set.index(a) for a in named.action_set]
    obs_a, _ = named.reset(seed=3)
    obs_b, _ = minimal.reset(seed=3)
    rng = np.random.default_rng(0)
    moved = 0
    for a in rng.integers(3, size=300):
        obs_a, r_a, *_ = named.step(int(a))
        obs_b, r_b, *_ = minimal.step(to_minimal[a])
        np.testing.assert_array_equal(obs_a, obs_b)
        assert r_a == r_b
        moved += int(a != 0)
    assert moved > 100


def test_the_spec_records_the_names_only_when_given():
    assert "actions" not in preprocessing_of(AtariConfig())     # older labels and checkpoints still match
    spec = label_spec("pong", AtariConfig(actions=NAMES))
    assert spec.action_set == ALE and spec.preprocessing["actions"] == list(NAMES)
    rebuilt = AtariEnv("pong", AtariConfig(**spec.preprocessing))   # as `distill eval` rebuilds it
    assert tuple(rebuilt.action_set) == spec.action_set
    assert label_spec("pong", AtariConfig()).mismatch(spec) is not None


@pytest.mark.parametrize("text, message", [
    ("noop,jump", "unknown action name(s) JUMP: ALE's are NOOP, FIRE"),
    ("noop,right,noop", "action names repeat"),
    (",", "unknown action name(s) ','"),
])
def test_bad_action_names_are_one_line_errors(text, message):
    with pytest.raises(DistillError) as err:
        parse_action_names(text)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_names_are_case_blind():
    assert parse_action_names(" noop, Right ,LEFT") == NAMES


def test_named_actions_and_the_full_set_are_refused_together():
    with pytest.raises(DistillError, match="not both"):
        AtariConfig(full_action_space=True, actions=NAMES)
