"""``distill compare --task``: the table, the plot and the JSON agree; bad input is a
one-line error."""
import json

import numpy as np
import pytest
import torch

from distill.cli import main
from common.report import format_stats
from envs.control import make_task
from imitation.gps.compare import build_config, compare_continuous, parse_methods
from imitation.gps.sstep import SStepConfig


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """DAgger, PLATO and GPS on pointmass cut to T = 10, 2 conditions, 2 seeds, 80 steps."""
    torch.set_num_threads(1)
    task = make_task("pointmass")
    task.T = 10
    config = build_config(task, ("dagger", "plato", "gps"), (0, 1), env_steps=80, conditions=2,
                          sstep=SStepConfig(steps=40))
    out = tmp_path_factory.mktemp("compare")
    payload = compare_continuous(config, out)
    return config, out, payload


def test_budget_is_shared_and_counted(report):
    config, out, payload = report
    assert config.gps.iterations == 2 and config.dagger.rounds == 4 and config.plato.rounds == 4
    for name, m in payload["methods"].items():
        assert m["seeds"] == [0, 1]
        assert m["columns"]["env_steps"]["per_seed"] == [80, 80]
        for curve in m["curves"]:
            assert curve["x"][0] == 0 and curve["x"][-1] == 80
    assert payload["methods"]["gps"]["columns"]["planning_simulator_steps"]["per_seed"] == [0, 0]
    assert all(v > 0 for v in payload["methods"]["dagger"]["columns"]["planning_simulator_steps"]["per_seed"])
    assert all(v > 0 for v in payload["methods"]["plato"]["columns"]["planning_simulator_steps"]["per_seed"])


def test_table_plot_and_json_agree(report):
    config, out, payload = report
    on_disk = json.loads((out / "result.json").read_text())
    assert on_disk["methods"].keys() == {"dagger", "plato", "gps"}
    assert on_disk["task"] == "pointmass" and on_disk["env_step_budget"] == 80
    table = (out / "table.md").read_text().splitlines()
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in table if line.startswith("| ") and not line.startswith("| method")
            and " − " not in line.split("|")[1]}   # the methods' rows, not the pairs'
    pairs = {line.split("|")[1].strip() for line in table if line.startswith("| ") and " − " in line.split("|")[1]}
    assert pairs == {"methods a − b", "dagger − plato", "dagger − gps", "plato − gps"}
    assert rows.keys() == {"dagger", "plato", "gps"}
    for name, m in on_disk["methods"].items():
        finals = [c["y"][-1] for c in m["curves"]]
        assert m["final"]["mean"] == pytest.approx(np.mean(finals))
        assert m["band"]["mean"][-1] == pytest.approx(np.mean(finals))        # the plot's last point
        assert rows[name][1] == format_stats(m["final"])
        assert rows[name][2] == format_stats(m["columns"]["success_rate"])
        for seed, curve in zip(m["seeds"], m["curves"]):
            run = json.loads((out / name / f"seed{seed}" / "result.json").read_text())
            assert [p["env_steps"] for p in run["curve"]] == curve["x"]
            assert [p["test"]["policy_cost"] for p in run["curve"]] == pytest.approx(curve["y"])
            assert (out / name / f"seed{seed}" / "policy.pt").exists()
            assert any((out / name / f"seed{seed}" / "tb").iterdir())
    png = (out / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_methods_are_parsed():
    assert parse_methods("gps, dagger") == ("gps", "dagger")
    assert parse_methods(None)[:3] == ("dagger", "plato", "gps")


@pytest.mark.parametrize("argv, message", [
    (["--task", "pointmass", "--methods", "dagger,gsp"], "unknown method 'gsp'"),
    (["--task", "pointmass", "--methods", "gps,gps"], "listed twice"),
    (["--task", "pointmass", "--seeds", "0"], "must be a positive integer"),
    (["--task", "pointmass", "--game", "pong"], "not allowed with argument"),
    (["--task", "pointmas"], "did you mean 'pointmass'?"),
    (["--task", "pointmass", "--samples", "100"], "less than one GPS iteration"),
    (["--task", "pointmass", "--conditions", "5"], "pointmass has 4 training conditions"),
    (["--task", "pointmass", "--methods", "gps", "--schedule", "linear"], "--schedule applies to dagger"),
    (["--task", "pointmass", "--schedule", "sometimes"], "expected indicator, exponential"),
])
def test_bad_input_is_a_one_line_error(argv, message, cli_one_line_error):
    cli_one_line_error(["compare", *argv], message)


@pytest.mark.skipif(__import__("importlib").util.find_spec("stable_baselines3") is not None,
                    reason="stable-baselines3 is installed")
def test_sac_without_stable_baselines3_is_a_clear_error(tmp_path, capsys):
    assert main(["compare", "--task", "pointmass", "--methods", "gps,sac", "--out", str(tmp_path)]) == 2
    assert "needs stable-baselines3" in capsys.readouterr().err


class _FakeSAC:
    """Stands in for stable-baselines3's SAC: random actions while learning, a constant
    push along +x when predicting."""

    def __init__(self, policy, env, seed, verbose):
        self.env, self.rng, self.obs = env, np.random.default_rng(seed), None

    def learn(self, total_timesteps, reset_num_timesteps):
        for _ in range(total_timesteps):
            if self.obs is None:
                self.obs, _ = self.env.reset()
            _, _, terminated, truncated, _ = self.env.step(self.rng.uniform(-10, 10, size=2))
            self.obs = None if terminated or truncated else self.obs

    def predict(self, obs, deterministic):
        return np.tile(np.float32([10.0, 0.0]), (len(obs), 1)), None


def test_the_sac_row_runs_on_the_same_budget(monkeypatch, tmp_path):
    """With stable-baselines3 (faked here: it is never required) ``sac`` runs on the same
    conditions and budget, evaluated after every C T steps, its catastrophes counted."""
    import sys
    import types

    from envs.control.pointmass import PointMass

    monkeypatch.setitem(sys.modules, "stable_baselines3", types.SimpleNamespace(SAC=_FakeSAC))
    monkeypatch.setattr(PointMass, "arena", 0.1)       # every training episode starts outside it
    task = make_task("pointmass")
    task.T = 10
    config = build_config(task, ("sac",), (3,), env_steps=80, conditions=2)
    payload = compare_continuous(config, tmp_path)
    sac = payload["methods"]["sac"]
    assert sac["curves"][0]["x"] == [0, 20, 40, 60, 80]
    assert sac["columns"]["env_steps"]["per_seed"] == [80]
    assert sac["columns"]["planning_simulator_steps"]["per_seed"] == [0]
    # the predicted push drives every held-out episode away: no success, a large cost
    assert sac["columns"]["success_rate"]["per_seed"] == [0.0]
    assert sac["columns"]["catastrophes"]["per_seed"] == [8]      # 80 steps = 8 episodes of T = 10
