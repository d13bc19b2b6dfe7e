"""The CLI contract: help, one-line errors with non-zero exits, config.json + result.json."""
import json
import subprocess
import sys

import pytest

from distill.cli import COMMANDS, main


def run_cli(*argv):
    return subprocess.run([sys.executable, "-m", "distill.cli", *argv], capture_output=True, text=True)


def test_help_lists_every_command():
    out = run_cli("--help").stdout
    for name in COMMANDS:
        assert name.replace("_", "-") in out


def test_the_parser_of_every_command_is_built_without_the_heavy_libraries():
    """Refused input and --help are answered in a fraction of a second (README, "Start-up
    time of refused commands"): no command's arguments may import torch, the JIT, the
    emulator or Ray; they are imported inside ``run``."""
    heavy = ("torch", "numba", "gymnasium", "ale_py", "ray", "matplotlib", "tensorboard")
    code = ("import sys; from distill.cli import build_parser; build_parser(); "
            f"print(' '.join(m for m in {heavy!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []


@pytest.mark.parametrize("argv, message", [
    (["env-check", "--game", "pnog"], "unknown game 'pnog'; did you mean pong"),
    (["env-check", "--game", "pong", "--steps", "-1"], "must be a positive integer"),
    (["env-check", "--game", "pong", "--steps", "x"], "expected a positive integer"),
    (["env-check", "--game", "pong", "--out", "/proc/forbidden"], "not writable"),
    (["plan", "--game", "pong", "--actions", "noop,jump"], "unknown action name(s) JUMP"),
    (["plan", "--game", "pong", "--actions", "noop,right,left", "--steps", "1"],
     "--actions needs --merge-aliases or --no-skip-rule"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message):
    proc = run_cli(*argv)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_env_check_writes_config_and_result(tmp_path):
    assert main(["env-check", "--game", "Pong", "--points", "3", "--steps", "10", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["game"] == "pong" and result["checks"] == 4 and result["mismatches"] == 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["seed"] == 0
    assert {"mcts-distill", "ale-py", "torch", "numba"} <= set(config["versions"])


def test_env_check_exits_1_on_mismatch(tmp_path):
    assert main(["env-check", "--game", "qbert", "--points", "0", "--steps", "20", "--out", str(tmp_path)]) == 1
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["mismatches"] == 1 and result["mismatch_details"][0]["point"] == 0


@pytest.mark.parametrize("argv, message", [
    (["train", "--algo", "dagger", "--game", "pong", "--rollout-policy", "random"],
     "--rollout-policy / --rollout-epsilon / --rollout-depth / --bootstrap / --value-mix / --selection / --c-puct "
     "/ --lanes / --guided-frames is a setting of exit, not of dagger"),
    (["train", "--algo", "exit", "--game", "pong", "--guided-frames", "0"], "must be a positive integer"),
    (["train", "--algo", "exit", "--game", "pong", "--value-mix", "1.5"], "argument --value-mix: must be a probability in [0, 1], got 1.5"),
    (["train", "--algo", "exit", "--game", "pong", "--lanes", "0"], "must be a positive integer"),
    (["train", "--algo", "exit", "--game", "pong", "--root-workers", "2"],
     "--root-workers must be 1 for a guided search"),
    (["compare", "--game", "pong", "--methods", "dagger,plato", "--selection", "puct"],
     "is a setting of exit"),
])
def test_guidance_flags_are_refused_where_they_would_be_ignored(argv, message, cli_one_line_error):
    cli_one_line_error(argv, message)
