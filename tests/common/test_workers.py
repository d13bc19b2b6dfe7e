"""Local worker processes (:mod:`common.workers`) end with their parent: a killed run
leaves no worker labelling on into its folder."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PARENT = '''
import os, sys, time
from common.workers import run_tasks

def task(path):
    open(path + ".started", "w").close()
    time.sleep(6)
    open(path, "w").close()   # what a labelling worker does last: write its chunk

if __name__ == "__main__":
    run_tasks(task, [os.path.join(sys.argv[1], "a"), os.path.join(sys.argv[1], "b")], workers=2)
'''


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=tmp_path, env=env)
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"{n}.started").exists() for n in "ab"):
            assert parent.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        children = _children(parent.pid)
        assert len(children) >= 3          # two workers and the progress queue's manager
        parent.send_signal(signal.SIGKILL)   # no chance to shut the pool down
        parent.wait()
        deadline = time.monotonic() + 3
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)]
        time.sleep(7)                        # past the end of the tasks' sleep
        assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    finally:
        parent.kill()
        for pid in _children(parent.pid):
            os.kill(pid, signal.SIGKILL)



@pytest.mark.parametrize("before, after", [("", "import torch"), ("import torch", "")],
                         ids=["torch-imported-by-a-task", "torch-imported-by-the-main-module"])
def test_a_worker_runs_torch_on_one_thread(before, after):
    """A worker's start-up does not import torch (it takes seconds), and torch, whether a
    task imports it or the parent's main module did, runs on one thread in it, so W
    workers do not oversubscribe the cores."""
    code = "; ".join(s for s in [
        "import sys", before, "from common.workers import single_threaded",
        "single_threaded()", "print('torch' in sys.modules)", after,
        "import torch", "print(torch.get_num_threads())"] if s)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(bool(before)), "1"]
