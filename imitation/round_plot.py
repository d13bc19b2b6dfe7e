"""The figure of a ``distill train`` run: the policy's score against the labels it was
trained on, round by round (``DIR/rounds.png``), beside the validation agreement."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence


def plot_rounds(rounds: Sequence[Mapping], path: str | Path, title: str) -> Path:
    """Write the figure of the round entries ``rounds`` (result.json's) to ``path``:
    evaluation score (mean ± std over its episodes) and validation agreement, each
    against the total labels after the round."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [r["labels_total"] for r in rounds]
    mean = [r["eval_mean"] for r in rounds]
    std = [r["eval_std"] for r in rounds]
    agreement = [r["val_agreement"] if r["val_agreement"] is not None else float("nan") for r in rounds]
    fig = Figure(figsize=(9, 3.6))
    FigureCanvasAgg(fig)
    score, agree = fig.subplots(1, 2)
    score.errorbar(labels, mean, yerr=std, marker="o", capsize=3)
    for r, x, y in zip(rounds, labels, mean):
        score.annotate(f"r{r['round']}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    score.set(xlabel="labels (total after the round)", ylabel="score (mean ± std)", title="policy score")
    agree.plot(labels, agreement, marker="o")
    agree.set(xlabel="labels (total after the round)", ylabel="agreement", title="validation agreement")
    for ax in (score, agree):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
