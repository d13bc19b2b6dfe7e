"""``swa.pt``: which window of rounds a run averages, and the average itself
(:mod:`imitation.weight_average`)."""
from __future__ import annotations

import pytest
import torch

from imitation.rounds import best_round
from imitation.weight_average import average_state, swa_window


def _rounds(scores, resets=()):
    return [{"round": r, "eval_mean": s, "network_reset": r in resets} for r, s in enumerate(scores)]


def test_the_window_has_the_best_mean_and_a_tie_goes_to_the_later_window():
    # means of the windows of 2: 0, 8, 10, 6
    assert swa_window(_rounds([-4.0, 4.0, 12.0, 8.0, 4.0]), 2) == [2, 3]   # 0, 8, 10, 6
    assert swa_window(_rounds([-4.0, 4.0, 6.0, 14.0, 4.0]), 2) == [2, 3]   # 10 beats 5 and 9
    assert swa_window(_rounds([0.0, 10.0, 0.0, 10.0]), 2) == [2, 3]       # 5, 5, 5: the later
    assert swa_window(_rounds([1.0, 2.0]), 3) is None                     # too few rounds yet


def test_a_window_may_start_at_a_reset_but_not_contain_a_later_one():
    scores = [0.0, 20.0, 20.0, -10.0, 2.0]   # windows of 3: 13.3, 10, 4
    assert swa_window(_rounds(scores), 3) == [0, 1, 2]
    # round 2 starts from a fresh network: [0, 1, 2] and [1, 2, 3] mix two networks
    assert swa_window(_rounds(scores, resets={2}), 3) == [2, 3, 4]
    assert swa_window(_rounds(scores, resets={2, 4}), 3) is None


def test_a_window_of_one_round_is_the_best_round():
    rounds = _rounds([-21.0, 5.0, 2.0, 5.0, -1.0], resets={2})
    assert swa_window(rounds, 1) == [best_round(rounds)] == [3]
    with pytest.raises(ValueError):
        swa_window(rounds, 0)


def test_the_average_is_the_element_wise_mean_and_flags_are_the_last_states():
    states = [{"w": torch.tensor([1.0, 2.0]), "b": torch.tensor(0.5), "set": torch.tensor(False)},
              {"w": torch.tensor([3.0, 6.0]), "b": torch.tensor(1.5), "set": torch.tensor(True)},
              {"w": torch.tensor([2.0, 1.0]), "b": torch.tensor(-2.0), "set": torch.tensor(True)}]
    avg = average_state(states)
    assert torch.equal(avg["w"], torch.tensor([2.0, 3.0])) and avg["w"].dtype == torch.float32
    assert torch.equal(avg["b"], torch.tensor(0.0))
    assert avg["set"].item() is True
    with pytest.raises(ValueError):
        average_state([states[0], {"w": states[1]["w"]}])
    with pytest.raises(ValueError):
        average_state([])
