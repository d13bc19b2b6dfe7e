"""``distill trajopt`` and ``distill mpc``: outputs and one-line errors."""
import json

import pytest

from distill.cli import main


def test_trajopt_writes_result_plot_and_config(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["trajopt", "--task", "pointmass", "--conditions", "2", "--samples", "3",
                 "--iterations", "2", "--horizon", "40", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert len(result["cost"]) == 3 and result["cost"][2] < result["cost"][0]
    assert [len(d) for d in result["final_distance"]] == [2, 2, 2]
    assert result["samples"] == 3 * 2 * 3 * 40
    assert len(result["success"]) == 2 and all(isinstance(s, bool) for s in result["success"])
    assert (out / "cost.png").stat().st_size > 1000
    config = json.loads((out / "config.json").read_text())
    assert config["command"] == "trajopt" and config["config"]["horizon"] == 40
    assert config["config"]["trajopt"]["samples"] == 3
    assert "pointmass" in capsys.readouterr().out


def test_mpc_writes_its_result(tmp_path):
    assert main(["mpc", "--task", "pointmass", "--condition", "1", "--horizon", "30",
                 "--lookahead", "15", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert {"cost", "final_distance", "planning_seconds_per_step", "simulator_steps"} <= set(result)
    assert isinstance(result["final_distance"], float)
    assert result["simulator_steps"] >= 30 * 15
    assert result["planning_seconds_per_step"] > 0


@pytest.mark.parametrize("argv, message", [
    (["trajopt", "--task", "pointmas"], "unknown task 'pointmas'; did you mean 'pointmass'?"),
    (["mpc", "--task", "reachr"], "did you mean 'reacher'?"),
    (["mpc", "--task", "arm", "--condition", "4"], "--condition 4 out of range"),
    (["trajopt", "--task", "arm", "--conditions", "5"], "arm has 4 training conditions"),
    (["trajopt", "--task", "arm", "--horizon", "0"], "--horizon must be a positive"),
    (["mpc", "--task", "arm", "--horizon", "-3"], "--horizon must be a positive"),
    (["trajopt", "--task", "arm", "--samples", "0"], "must be a positive integer"),
    (["trajopt", "--task", "arm", "--iterations", "-1"], "must be a positive integer"),
])
def test_bad_input_is_a_one_line_error(argv, message, cli_one_line_error):
    cli_one_line_error(argv, message)
