"""`distill compress`: one-line refusals, config.json and result.json, and --resume."""
import json
from pathlib import Path
from typing import get_args

import pytest

from distill.args import NETWORKS
from distill.cli import main
from imitation.networks import Architecture

PONG = str(Path(__file__).parents[2] / "checkpoints" / "pong.pt")
SMALL = ["--states-per-round", "100", "--epochs", "1", "--eval-episodes", "1", "--max-episode-frames", "2000"]


def test_the_cli_lists_every_network():
    assert NETWORKS == get_args(Architecture)


@pytest.mark.parametrize("argv, message", [
    (["compress", "--checkpoint", "/no/such.pt"], "--checkpoint /no/such.pt does not exist; give a file"),
    (["compress", "--checkpoint", PONG, "--temperature", "0"], "must be a finite number > 0, got 0"),
    (["compress", "--checkpoint", PONG, "--frames", "0"], "must be a positive integer, got 0"),
    (["compress", "--checkpoint", PONG, "--network", "vgg"], "invalid choice: 'vgg'"),
])
def test_bad_input_is_one_line(cli_one_line_error, argv, message):
    cli_one_line_error(argv, message)


def test_a_corrupted_teacher_is_one_line(cli_one_line_error, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 64)
    cli_one_line_error(["compress", "--checkpoint", str(bad)], "is truncated or corrupted")


def test_a_run_writes_its_files_and_resumes_with_its_own_settings(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["compress", "--checkpoint", PONG, "--rounds", "1", *SMALL, "--out", str(out)]) == 0
    assert main(["compress", "--checkpoint", PONG, "--rounds", "2", *SMALL, "--out", str(out), "--resume"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert [r["round"] for r in result["rounds"]] == [0, 1]
    assert result["network"] == {"arch": "compact", "frames": 2, "size": 84}
    assert result["decision_latency_ms_p50"]["student"] > 0 and len(result["rounds"][1]["eval_scores"]) == 1
    config = json.loads((out / "config.json").read_text())
    assert config["command"] == "compress" and config["config"]["game"] == "pong"
    assert (out / "rounds.png").is_file() and (out / "checkpoints" / "round0001.pt").is_file()
    capsys.readouterr()
    code = main(["compress", "--checkpoint", PONG, "--rounds", "3", *SMALL, "--temperature", "2",
                 "--out", str(out), "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "was made with other settings (compress.temperature)" in err
