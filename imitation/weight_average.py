"""A run's shipped policy as a weight average over consecutive rounds (``distill train
--swa-rounds W``; stochastic weight averaging, Izmailov et al. 2018).

Round by round, a distilled policy's score swings by several points (Pong: +10 to +17 in
5-episode evaluations of consecutive rounds), more than the rounds differ in what they
learnt. Averaging the weights of W consecutive rounds that descend from one network
keeps what they share and cancels part of the swing; picking the window by the mean of
W evaluations, rather than one round by its own evaluation (``best.pt``), also picks on
W times as many episodes.

A window is W consecutive rounds in which no round but the first starts from a fresh
network (``network_reset``): every later round continues the previous one's weights, so
the W networks lie in one basin and their average is a network of that basin. The
window picked is the one with the highest mean evaluation, the later one on a tie.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch


def swa_window(rounds: Sequence[dict], width: int) -> list[int] | None:
    """The rounds (``width`` consecutive round numbers) of the window with the highest
    mean ``eval_mean``, among the windows with no ``network_reset`` after their first
    round; the later window on a tie; None when there is no such window yet."""
    if width < 1:
        raise ValueError(f"the window must hold at least one round, got {width}")
    best: tuple[float, int] | None = None
    for start in range(len(rounds) - width + 1):
        window = rounds[start:start + width]
        if any(entry.get("network_reset") for entry in window[1:]):
            continue
        mean = sum(entry["eval_mean"] for entry in window) / width
        if best is None or mean >= best[0]:
            best = (mean, start)
    if best is None:
        return None
    return [entry["round"] for entry in rounds[best[1]:best[1] + width]]


def average_state(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of ``states`` (state dicts of one network), accumulated in
    float64 and cast back; tensors that are not floating point (flags, counters) are the
    last state's."""
    if not states:
        raise ValueError("no weights to average")
    last = states[-1]
    if any(state.keys() != last.keys() for state in states):
        raise ValueError("the states to average are not of one network")
    out = {}
    for name, tensor in last.items():
        if tensor.is_floating_point():
            total = sum(state[name].detach().cpu().double() for state in states)
            out[name] = (total / len(states)).to(tensor.dtype)
        else:
            out[name] = tensor.detach().cpu().clone()
    return out


def save_weight_average(path: Path, checkpoints: Sequence[Path]) -> Path:
    """Write to ``path`` the checkpoint whose weights are the mean of ``checkpoints``' (the
    last one's game, network and round number); returns ``path``."""
    from imitation.checkpoint import load_checkpoint, save_checkpoint

    loaded = [load_checkpoint(p, device="cpu") for p in checkpoints]
    policy = loaded[-1].policy
    policy.load_state_dict(average_state([c.policy.state_dict() for c in loaded]))
    return save_checkpoint(path, policy, loaded[-1].spec, round=loaded[-1].round)
