"""The library names config fields in its errors; the CLI shows the flag that sets each."""
from __future__ import annotations

import pytest

from common.errors import ConfigError, DistillError
from distill.cli import build_parser, main
from distill.flags import FLAGS, user_message
from mcts.config import Budget, UCTConfig


@pytest.mark.parametrize("make, field", [
    (lambda: UCTConfig(max_depth=0), "max_depth"),
    (lambda: UCTConfig(exploration=-1.0), "exploration"),
    (lambda: UCTConfig(gamma=1.5), "gamma"),
    (lambda: UCTConfig(final_action="best"), "final_action"),
    (lambda: UCTConfig(node_cap=1), "node_cap"),
    (lambda: UCTConfig(root_workers=0), "root_workers"),
    (lambda: UCTConfig(life_loss_penalty=-1.0), "life_loss_penalty"),
    (lambda: Budget(), "budget"),
    (lambda: Budget(frames=0), "budget.frames"),
])
def test_the_planner_config_names_its_field_and_the_cli_has_its_flag(make, field):
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.field == field and "--" not in str(err.value)
    assert field in FLAGS


def test_the_message_names_the_flag():
    assert str(ConfigError("max_depth", "must be >= 1, got 0")) == "max_depth must be >= 1, got 0"
    assert user_message(ConfigError("max_depth", "must be >= 1, got 0")) == "--depth must be >= 1, got 0"
    assert user_message(ConfigError("policy.head", "is wrong")) == "policy.head is wrong"  # no flag sets it
    assert user_message(DistillError("no such file")) == "no such file"


def test_every_flag_in_the_table_exists():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    options = {o for name in ("plan", "train", "compare") for a in sub[name]._actions for o in a.option_strings}
    flags = {f for text in FLAGS.values() for f in text.split(" / ")}
    assert flags <= options, flags - options


def test_plan_shows_the_flag(capsys, tmp_path):
    assert main(["plan", "--game", "pong", "--gamma", "0", "--out", str(tmp_path)]) == 2
    assert "--gamma must be in (0, 1], got 0.0" in capsys.readouterr().err
