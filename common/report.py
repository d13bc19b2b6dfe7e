"""The ``distill compare`` report, shared by the Atari and the continuous-control compare.

Input: per method, one learning curve per seed (x = labels or environment steps, y =
score or policy cost) and per-seed summary columns. Output, in ``DIR``:

* ``result.json``: everything, under ``methods.<name>``: the per-seed curves, the band
  (mean and std across seeds on a common x grid), the final y and every column as
  ``{"mean", "std", "per_seed"}``;
* ``table.md``: one row per method, mean ± std over seeds of the final y and each column,
  then one row per pair of methods: the difference of their final means, whether it
  exceeds the seed spread (the sum of the two stds), and, where both ran the same seeds,
  in how many seeds the paired difference has the sign of the mean difference
  (``result.json``'s ``pairs``);
* ``curves.png``: one line per method (the band's mean) with a shaded ± std band; its
  last point is the table's final mean ± std.

The table and the plot are both drawn from the JSON payload, so the three agree. Std is
the population standard deviation over seeds (ddof = 0); a column whose seeds all agree
is shown as its single value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from common.rundir import to_jsonable, write_json


@dataclass(frozen=True)
class Column:
    """A summary column: ``key`` in ``MethodRuns.columns`` and JSON, ``header`` in the table."""

    key: str
    header: str


@dataclass(frozen=True)
class ReportSpec:
    """title:        heading of table.md and curves.png.
    x_label:      e.g. ``"labels"`` or ``"environment steps"``.
    y_label:      e.g. ``"score"`` or ``"policy cost (held-out conditions)"``.
    final_header: the table header of the final y, e.g. ``"final score"``.
    columns:      the other summary columns, in table order.
    """

    title: str
    x_label: str
    y_label: str
    final_header: str
    columns: tuple[Column, ...] = ()


@dataclass(frozen=True)
class SeedCurve:
    """One seed's learning curve: x [P] increasing, y [P]."""

    seed: int
    x: Sequence[float]
    y: Sequence[float]


@dataclass(frozen=True)
class MethodRuns:
    """One method's runs: ``curves`` [K seeds]; ``columns[key]`` [K] values, in the same
    seed order, for every column of the :class:`ReportSpec`."""

    name: str
    curves: Sequence[SeedCurve]
    columns: Mapping[str, Sequence[float]] = field(default_factory=dict)


def _stats(values: Sequence[float]) -> dict[str, Any]:
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "std": float(v.std()), "per_seed": v.tolist()}


def _band(curves: Sequence[SeedCurve]) -> dict[str, list[float]]:
    """Mean and std across seeds on the union of the seeds' x, from the latest first x to
    the latest last x. Each curve is linearly interpolated, and a seed whose run ended
    earlier holds its final value, so the band's last point is the table's final y."""
    xs = [np.asarray(c.x, dtype=np.float64) for c in curves]
    ys = [np.asarray(c.y, dtype=np.float64) for c in curves]
    lo = max(x[0] for x in xs)
    grid = np.unique(np.concatenate(xs))
    grid = grid[grid >= lo]
    stacked = np.stack([np.interp(grid, x, y) for x, y in zip(xs, ys)])
    return {"x": grid.tolist(), "mean": stacked.mean(axis=0).tolist(),
            "std": stacked.std(axis=0).tolist()}


def build_report(spec: ReportSpec, methods: Sequence[MethodRuns]) -> dict[str, Any]:
    """The JSON payload that result.json holds and that table.md and curves.png show."""
    out: dict[str, Any] = {"title": spec.title, "x_label": spec.x_label,
                           "y_label": spec.y_label, "methods": {}}
    for m in methods:
        if not m.curves:
            raise ValueError(f"method {m.name}: no runs")
        for c in m.curves:
            if len(c.x) != len(c.y) or len(c.x) == 0:
                raise ValueError(f"method {m.name}, seed {c.seed}: x and y must be non-empty and equal in length")
            if np.any(np.diff(np.asarray(c.x, dtype=np.float64)) < 0):
                raise ValueError(f"method {m.name}, seed {c.seed}: x must be non-decreasing")
        columns = {}
        for col in spec.columns:
            values = m.columns.get(col.key)
            if values is None or len(values) != len(m.curves):
                raise ValueError(f"method {m.name}: column {col.key!r} needs one value per seed")
            columns[col.key] = _stats(values)
        out["methods"][m.name] = {
            "seeds": [c.seed for c in m.curves],
            "final": _stats([c.y[-1] for c in m.curves]),
            "columns": columns,
            "curves": [{"seed": c.seed, "x": list(map(float, c.x)), "y": list(map(float, c.y))}
                       for c in m.curves],
            "band": _band(m.curves),
        }
    out["pairs"] = _pairs(out["methods"])
    return out


def _pairs(methods: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every pair (a, b) of methods, in table order: ``difference`` = mean final of a minus
    b's; ``spread`` = the sum of their stds; ``beyond_spread``: |difference| > spread, None
    where either method has a single seed (its std of 0 is no spread); ``seeds_agreeing``:
    of the seeds both ran, how many have a per-seed difference of the difference's sign
    (None if they share no seed)."""
    names, pairs = list(methods), []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            fa, fb = methods[a]["final"], methods[b]["final"]
            diff, spread = fa["mean"] - fb["mean"], fa["std"] + fb["std"]
            ya = dict(zip(methods[a]["seeds"], fa["per_seed"]))
            yb = dict(zip(methods[b]["seeds"], fb["per_seed"]))
            shared = [s for s in ya if s in yb]
            agreeing = sum(np.sign(ya[s] - yb[s]) == np.sign(diff) != 0 for s in shared) if shared else None
            beyond = bool(abs(diff) > spread) if min(len(ya), len(yb)) > 1 else None
            pairs.append({"a": a, "b": b, "difference": diff, "spread": spread,
                          "beyond_spread": beyond, "seeds_agreeing": agreeing,
                          "seeds_shared": len(shared)})
    return pairs


def format_number(value: float | None) -> str:
    """Integers without decimals, else 4 significant digits; missing as an em dash."""
    if value is None or not math.isfinite(value):
        return "—"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1e4:
        return f"{value:.0f}"
    return f"{value:.4g}"


def format_stats(stats: Mapping[str, Any]) -> str:
    """A table cell: ``mean ± std``, or the single value when every seed agrees."""
    per_seed = [v for v in stats["per_seed"]]
    if len(set(per_seed)) == 1:
        return format_number(per_seed[0])
    if stats["mean"] is None or not math.isfinite(stats["mean"]):
        return "—"
    return f"{format_number(stats['mean'])} ± {format_number(stats['std'])}"


def render_table(spec: ReportSpec, payload: Mapping[str, Any]) -> str:
    headers = ["method", "seeds", spec.final_header] + [c.header for c in spec.columns]
    lines = [f"# {spec.title}", "",
             "| " + " | ".join(headers) + " |",
             "|" + "|".join(["---"] * len(headers)) + "|"]
    for name, m in payload["methods"].items():
        cells = [name, str(len(m["seeds"])), format_stats(m["final"])]
        cells += [format_stats(m["columns"][c.key]) for c in spec.columns]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Mean ± standard deviation over seeds (population, ddof = 0); "
                  f"{spec.final_header} is the {spec.y_label} at the last point of each seed's curve."]
    if payload.get("pairs"):
        lines += ["", f"| methods a − b | difference of the {spec.final_header} | seed spread (std a + std b) | "
                      f"beyond the spread | seeds where a − b has that sign |", "|---|---|---|---|---|"]
        for p in payload["pairs"]:
            seeds = "—" if p["seeds_agreeing"] is None else f"{p['seeds_agreeing']} of {p['seeds_shared']}"
            beyond = {True: "yes", False: "no", None: "— (one seed)"}[p["beyond_spread"]]
            lines.append(f"| {p['a']} − {p['b']} | {format_number(p['difference'])} | "
                         f"{format_number(p['spread'])} | {beyond} | {seeds} |")
    return "\n".join(lines) + "\n"


def plot_curves(spec: ReportSpec, payload: Mapping[str, Any]):
    """A matplotlib Figure: per method, the band's mean against x with a ± std band."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=100)
    ax = fig.add_subplot()
    for name, m in payload["methods"].items():
        band = m["band"]
        x = np.asarray(band["x"], dtype=np.float64)
        mean = np.asarray(band["mean"], dtype=np.float64)
        std = np.asarray(band["std"], dtype=np.float64)
        (line,) = ax.plot(x, mean, marker="o" if len(x) < 20 else None, label=name)
        ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)
    means = np.concatenate([np.asarray(m["band"]["mean"], dtype=np.float64)
                            for m in payload["methods"].values()] or [np.ones(1)])
    means = means[np.isfinite(means)]
    if len(means) and means.min() > 0 and means.max() / means.min() > 100:
        ax.set_yscale("log")   # costs falling by orders of magnitude read better on a log axis
    ax.set_xlabel(spec.x_label)
    ax.set_ylabel(spec.y_label)
    ax.set_title(spec.title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def write_report(out: str | Path, spec: ReportSpec, methods: Sequence[MethodRuns],
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write ``table.md``, ``curves.png`` and ``result.json`` into ``out``; returns the
    JSON payload. ``extra`` adds top-level keys to result.json (e.g. the game, budget)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    payload = to_jsonable(build_report(spec, methods))
    if extra:
        clash = set(extra) & set(payload)
        if clash:
            raise ValueError(f"extra keys {sorted(clash)} would overwrite the report's")
        payload.update(to_jsonable(dict(extra)))
    write_json(out / "result.json", payload)
    (out / "table.md").write_text(render_table(spec, payload))
    plot_curves(spec, payload).savefig(out / "curves.png")
    return payload
