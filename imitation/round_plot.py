"""The figure of a ``distill train`` run: the policy's score against the labels it was
trained on, round by round (``DIR/rounds.png``), beside the validation agreement and the
labelling games' own score (where the planner acts, the teacher's play)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence


def plot_rounds(rounds: Sequence[Mapping], path: str | Path, title: str,
                agreement: tuple[str, str] = ("val_agreement", "validation agreement")) -> Path:
    """Write the figure of the round entries ``rounds`` (result.json's) to ``path``:
    evaluation score (mean ± std over its episodes), an agreement (``agreement``: the
    entries' key and the panel's title) and the labelling games' score per 1,000 steps
    (NaN where an older result.json lacks it), each against the total labels after the
    round."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [r["labels_total"] for r in rounds]
    mean = [r["eval_mean"] for r in rounds]
    std = [r["eval_std"] for r in rounds]
    key, agreement_title = agreement
    agreement = [r[key] if r[key] is not None else float("nan") for r in rounds]
    teacher = [r.get("collection", {}).get("score_per_1000_steps", float("nan")) for r in rounds]
    fig = Figure(figsize=(13, 3.6))
    # Fixed margins rather than tight_layout, which measures every label's extent and
    # took most of the figure's time (it is redrawn after every round).
    fig.subplots_adjust(left=0.065, right=0.99, bottom=0.15, top=0.82, wspace=0.3)
    FigureCanvasAgg(fig)
    score, agree, labelling = fig.subplots(1, 3)
    score.errorbar(labels, mean, yerr=std, marker="o", capsize=3)
    for r, x, y in zip(rounds, labels, mean):
        score.annotate(f"r{r['round']}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    score.set(xlabel="labels (total after the round)", ylabel="score (mean ± std)", title="policy score")
    agree.plot(labels, agreement, marker="o")
    agree.set(xlabel="labels (total after the round)", ylabel="agreement", title=agreement_title)
    labelling.plot(labels, teacher, marker="o")
    labelling.set(xlabel="labels (total after the round)", ylabel="score / 1,000 steps",
                  title="labelling games (the acting rule's play)")
    for ax in (score, agree, labelling):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path


def plot_runs(runs: Mapping[str, Sequence[Mapping]], path: str | Path, title: str) -> Path:
    """Write the evaluation score (mean ± std) of several runs, name -> round entries
    (result.json's), against the wall hours of their rounds so far and against their
    total labels, one line per run: runs compared at one budget."""
    import itertools

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.8))
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.85, wspace=0.25)
    FigureCanvasAgg(fig)
    by_hours, by_labels = fig.subplots(1, 2)
    for name, rounds in runs.items():
        hours = list(itertools.accumulate(r["wall_seconds"] / 3600 for r in rounds))
        mean, std = [r["eval_mean"] for r in rounds], [r["eval_std"] for r in rounds]
        for ax, x in ((by_hours, hours), (by_labels, [r["labels_total"] for r in rounds])):
            ax.errorbar(x, mean, yerr=std, marker="o", markersize=3, capsize=2, label=name, alpha=0.8)
    by_hours.set(xlabel="wall hours of the rounds so far", ylabel="score (mean ± std)", title="score against time")
    by_labels.set(xlabel="labels (total after the round)", title="score against labels")
    for ax in (by_hours, by_labels):
        ax.grid(alpha=0.3)
    by_hours.legend(fontsize=8)
    fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
