"""`distill bench labels`: the result contract, the same figures on 1 or 2 workers, bad input."""
import json

import pytest

from distill.cli import main

TIMING = ("frames_per_second", "labels_per_core_hour")


def without_timing(result: dict) -> dict:
    out = {k: v for k, v in result.items() if k not in TIMING}
    for name in ("independent", "larger"):
        out[name] = {k: v for k, v in out[name].items() if k != "seconds"}
    return out


def test_same_result_on_one_or_two_workers(tmp_path):
    argv = ["bench", "labels", "--game", "pong", "--sims", "4", "--depth", "5", "--states", "3",
            "--stride", "2", "--budget-factor", "2", "--rollout-noise", "common", "--seed", "3"]
    results = []
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        assert main([*argv, "--workers", str(w), "--out", str(out)]) == 0
        results.append(json.loads((out / "result.json").read_text()))
    config = json.loads((tmp_path / "w1" / "config.json").read_text())
    assert config["command"] == "bench" and config["config"]["uct"]["rollout_noise"] == "common"
    assert config["config"]["budget_factor"] == 2 and config["config"]["uct"]["budget"]["sims"] == 4
    r = results[0]
    assert r["game"] == "pong" and r["states"] == 3 and len(r["independent"]["first"]) == 3
    assert r["independent"]["actions"]["states"] == 3 and r["larger"]["joystick"]["states"] == 3
    assert r["frames_per_decision"] > 4 * 4   # 4 simulations of at least one 4-frame step
    assert r["labels_per_core_hour"] > 0
    assert without_timing(results[0]) == without_timing(results[1])


@pytest.mark.parametrize("argv, message", [
    (["--seconds-per-decision", "1"], "--seconds-per-decision is not reproducible"),
    (["--rollout-noise", "paired"], "invalid choice: 'paired'"),
    (["--states", "0"], "must be a positive integer"),
])
def test_bad_input_exits_2_with_one_line(argv, message, cli_one_line_error):
    cli_one_line_error(["bench", "labels", "--game", "pong", *argv], message)


def _checkpoint(path, value_head: bool, game: str = "pong"):
    from envs.atari import AtariConfig
    from imitation.checkpoint import save_checkpoint
    from imitation.collect import label_spec
    from imitation.policy import DistilledPolicy, PolicyConfig

    spec = label_spec(game, AtariConfig())
    policy = DistilledPolicy(PolicyConfig(target="visits", value_head=value_head), spec.num_actions, seed=1,
                             device="cpu")
    return save_checkpoint(path, policy, spec, round=0)


def test_a_guided_labeller_is_measured_the_same_on_one_or_two_workers(tmp_path):
    ck = _checkpoint(tmp_path / "p.pt", value_head=True)
    argv = ["bench", "labels", "--game", "pong", "--sims", "6", "--depth", "5", "--states", "2", "--stride", "3",
            "--budget-factor", "2", "--checkpoint", str(ck), "--rollout-policy", "learner", "--bootstrap",
            "--value-mix", "0.5", "--selection", "puct", "--lanes", "3", "--seed", "1"]
    results = []
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        assert main([*argv, "--workers", str(w), "--out", str(out)]) == 0
        results.append(json.loads((out / "result.json").read_text()))
    config = json.loads((tmp_path / "w1" / "config.json").read_text())["config"]
    assert config["guidance"]["selection"] == "puct" and config["guidance"]["bootstrap"] is True
    assert without_timing(results[0]) == without_timing(results[1])


@pytest.mark.parametrize("argv, message", [
    (["--selection", "puct"], "flags need --checkpoint"),
    (["--checkpoint", "VALUELESS", "--bootstrap"], "--bootstrap needs a network with a value head"),
    (["--checkpoint", "VALUELESS", "--value-mix", "0.5"], "--value-mix needs a network with a value head"),
    (["--checkpoint", "BREAKOUT"], "is a breakout policy, not a pong one"),
    (["--checkpoint", "MISSING"], "--checkpoint"),
])
def test_guidance_without_what_it_needs_exits_2_with_one_line(argv, message, tmp_path, cli_one_line_error):
    files = {"VALUELESS": _checkpoint(tmp_path / "v.pt", value_head=False),
             "BREAKOUT": _checkpoint(tmp_path / "b.pt", value_head=True, game="breakout"),
             "MISSING": tmp_path / "none.pt"}
    cli_one_line_error(["bench", "labels", "--game", "pong", *(str(files.get(a, a)) for a in argv)], message)
