"""The compare report: table.md, curves.png and result.json agree with one another."""
from __future__ import annotations

import json

import numpy as np
import pytest

from common.report import (Column, MethodRuns, ReportSpec, SeedCurve, build_report, format_stats,
                            plot_curves, render_table, write_report)
from common.rundir import to_jsonable

SPEC = ReportSpec(title="Pong: score against labels", x_label="labels", y_label="score",
                  final_header="final score",
                  columns=(Column("wall_seconds", "wall seconds"), Column("env_steps", "environment steps")))


def _methods():
    rng = np.random.default_rng(0)
    methods = []
    for name, slope in (("uct-classification", 1.0), ("dagger", 2.0)):
        curves, walls = [], []
        for seed in range(3):
            x = np.cumsum(rng.integers(80, 120, size=4))  # label counts differ per seed
            curves.append(SeedCurve(seed=seed, x=x.tolist(), y=(slope * x / 100 + rng.normal(size=4)).tolist()))
            walls.append(float(rng.uniform(10, 20)))
        methods.append(MethodRuns(name, curves, {"wall_seconds": walls, "env_steps": [4000, 4000, 4000]}))
    return methods


def _table_rows(text):
    """The first table of table.md (the methods'): its header and rows by method."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    return header, {cells[0]: dict(zip(header, cells)) for cells in
                    ([c.strip() for c in r.strip("|").split("|")] for r in rows[2:])}


def test_report_files_agree(tmp_path):
    methods = _methods()
    payload = write_report(tmp_path, SPEC, methods, extra={"game": "Pong", "labels": 400})
    result = json.loads((tmp_path / "result.json").read_text())
    assert result == payload and result["game"] == "Pong"
    assert list(result["methods"]) == ["uct-classification", "dagger"]

    header, rows = _table_rows((tmp_path / "table.md").read_text())
    assert header == ["method", "seeds", "final score", "wall seconds", "environment steps"]
    assert list(rows) == list(result["methods"])
    for m in methods:
        entry = result["methods"][m.name]
        finals = [c.y[-1] for c in m.curves]
        assert entry["final"]["mean"] == pytest.approx(np.mean(finals))
        assert entry["final"]["std"] == pytest.approx(np.std(finals))
        assert entry["columns"]["wall_seconds"]["per_seed"] == pytest.approx(m.columns["wall_seconds"])
        assert rows[m.name]["seeds"] == "3"
        assert rows[m.name]["final score"] == format_stats(entry["final"])
        assert "±" in rows[m.name]["final score"]
        assert rows[m.name]["wall seconds"] == format_stats(entry["columns"]["wall_seconds"])
        assert rows[m.name]["environment steps"] == "4000"  # equal across seeds: one value
        assert [c["x"] for c in entry["curves"]] == [list(map(float, c.x)) for c in m.curves]

        # The band is the across-seed mean and std; its last point is the final score.
        band = entry["band"]
        assert band["x"][0] == max(c.x[0] for c in m.curves)
        assert band["x"][-1] == max(c.x[-1] for c in m.curves)
        assert band["mean"][-1] == pytest.approx(entry["final"]["mean"])
        assert band["std"][-1] == pytest.approx(entry["final"]["std"])
        at = band["x"][len(band["x"]) // 2]
        ys = [np.interp(at, c.x, c.y) for c in m.curves]
        i = band["x"].index(at)
        assert band["mean"][i] == pytest.approx(np.mean(ys)) and band["std"][i] == pytest.approx(np.std(ys))

    png = (tmp_path / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    fig = plot_curves(SPEC, result)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == list(result["methods"])
    for line, entry in zip(ax.get_lines(), result["methods"].values()):
        np.testing.assert_allclose(line.get_xdata(), entry["band"]["x"])
        np.testing.assert_allclose(line.get_ydata(), entry["band"]["mean"])
    assert ax.get_xlabel() == "labels" and ax.get_ylabel() == "score"


def test_missing_values_and_bad_input():
    spec = ReportSpec("t", "environment steps", "policy cost", "final cost", (Column("success", "success rate"),))
    one = MethodRuns("gps", [SeedCurve(0, [1, 2], [3.0, 2.0])], {"success": [float("nan")]})
    payload = to_jsonable(build_report(spec, [one]))
    assert payload["methods"]["gps"]["columns"]["success"]["mean"] is None  # JSON null, not NaN
    _, rows = _table_rows(render_table(spec, payload))
    assert rows["gps"]["success rate"] == "—" and rows["gps"]["final cost"] == "2"
    with pytest.raises(ValueError, match="one value per seed"):
        build_report(spec, [MethodRuns("gps", [SeedCurve(0, [1], [1.0])], {})])
    with pytest.raises(ValueError, match="non-decreasing"):
        build_report(spec, [MethodRuns("gps", [SeedCurve(0, [2, 1], [1.0, 2.0])], {"success": [1.0]})])


def test_pairs_say_which_differences_exceed_the_seed_spread():
    def runs(name, finals, seeds=(0, 1, 2)):
        return MethodRuns(name, [SeedCurve(s, [1.0, 2.0], [0.0, y]) for s, y in zip(seeds, finals)])

    payload = build_report(ReportSpec("t", "labels", "score", "final score"), [
        runs("exit", [-8.0, -12.0, -10.0]),          # mean -10, std 1.633
        runs("dagger", [-18.0, -20.0, -16.0]),       # mean -18, std 1.633: 8 > 3.27, every seed agrees
        runs("plato", [-19.0, -11.0, -15.0]),        # mean -15, std 3.266
        runs("ucc", [-17.0, -19.0], seeds=(5, 6))])  # no seed shared with the others
    pairs = {(p["a"], p["b"]): p for p in payload["pairs"]}
    assert len(pairs) == 6
    p = pairs[("exit", "dagger")]
    assert p["difference"] == pytest.approx(8.0) and p["spread"] == pytest.approx(2 * 1.6329932)
    assert p["beyond_spread"] and (p["seeds_agreeing"], p["seeds_shared"]) == (3, 3)
    p = pairs[("dagger", "plato")]                     # -3 within 4.9; seed 1 goes the other way
    assert not p["beyond_spread"] and p["seeds_agreeing"] == 2
    assert pairs[("exit", "ucc")]["seeds_agreeing"] is None
    text = render_table(ReportSpec("t", "labels", "score", "final score"), payload)
    assert "| exit − dagger | 8 | 3.266 | yes | 3 of 3 |" in text
    assert "| exit − ucc | 8 | 2.633 | yes | — |" in text


def test_a_pair_with_a_single_seed_has_no_spread_to_exceed():
    spec = ReportSpec("t", "labels", "score", "final score")
    payload = build_report(spec, [
        MethodRuns("ucc", [SeedCurve(0, [1.0], [-11.8])]),
        MethodRuns("dagger", [SeedCurve(0, [1.0], [-9.6])]),
        MethodRuns("exit", [SeedCurve(s, [1.0], [y]) for s, y in ((0, -8.0), (1, -12.0))])])
    pairs = {(p["a"], p["b"]): p for p in payload["pairs"]}
    assert pairs[("ucc", "dagger")]["beyond_spread"] is None        # std 0 + 0 is no spread
    assert pairs[("ucc", "exit")]["beyond_spread"] is None          # one side has one seed
    assert pairs[("ucc", "dagger")]["seeds_agreeing"] == 1           # the paired sign still counts
    assert "| ucc − dagger | -2.2 | 0 | — (one seed) | 1 of 1 |" in render_table(spec, payload)
