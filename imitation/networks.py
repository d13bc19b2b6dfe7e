"""Convolutional networks mapping stacked Atari frames to one output per action.

``dqn2013`` is the network of Mnih et al. (2013), "Playing Atari with Deep Reinforcement
Learning", which Guo et al. (2014) used for their UCT-distilled policies:
conv 16 8x8 stride 4, conv 32 4x4 stride 2, fully connected 256, one output per action,
ReLU after every hidden layer. ``nature`` is the larger network of Mnih et al. (2015),
"Human-level control through deep reinforcement learning": conv 32 8x8/4, conv 64 4x4/2,
conv 64 3x3/1, fully connected 512.

Both take uint8 observations [B, frames, size, size], scale them by 1/255 and subtract
``input_mean`` [frames, size, size], the mean training observation (the "mean image"
centring of LeCun et al. 1998, "Efficient BackProp", and Krizhevsky et al. 2012).
``train_policy`` fits it once, before the first gradient step, and it is saved with the
weights. It matters: an Atari frame is mostly a constant background, and without the
centring neither network left its initial plateau on Pong, even on labels that are an
exact function of the screen (README, "the input-centring fix").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

Architecture = Literal["dqn2013", "nature"]

# (out_channels, kernel, stride) per conv layer, then the hidden width.
_LAYERS: dict[str, tuple[list[tuple[int, int, int]], int]] = {
    "dqn2013": ([(16, 8, 4), (32, 4, 2)], 256),
    "nature": ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], 512),
}


@dataclass(frozen=True)
class NetworkConfig:
    """arch: ``dqn2013`` (Guo et al.'s) or ``nature``; frames x size x size input."""

    arch: Architecture = "dqn2013"
    frames: int = 4
    size: int = 84

    def __post_init__(self):
        if self.arch not in _LAYERS:
            raise ValueError(f"unknown network {self.arch!r}; choose from {sorted(_LAYERS)}")


class AtariConvNet(nn.Module):
    """uint8 [B, frames, size, size] -> [B, num_actions] (logits or Q-values); with
    ``value_head``, also a scalar value [B] from the same hidden layer (AlphaZero's two
    heads, Silver et al. 2017), made after the other layers so that their seeded
    initialisation is the same with or without it."""

    def __init__(self, config: NetworkConfig, num_actions: int, value_head: bool = False):
        super().__init__()
        convs, hidden = _LAYERS[config.arch]
        layers: list[nn.Module] = []
        channels, size = config.frames, config.size
        for out_channels, kernel, stride in convs:
            layers += [nn.Conv2d(channels, out_channels, kernel, stride), nn.ReLU()]
            channels, size = out_channels, (size - kernel) // stride + 1
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Sequential(nn.Linear(channels * size * size, hidden), nn.ReLU(),
                                  nn.Linear(hidden, num_actions))
        self.config = config
        self.num_actions = num_actions
        self.register_buffer("input_mean", torch.zeros(config.frames, config.size, config.size))
        self.register_buffer("input_mean_set", torch.tensor(False))
        self.value = nn.Linear(hidden, 1) if value_head else None

    @property
    def input_mean_fitted(self) -> bool:
        """False until :meth:`set_input_mean` is called (then saved with the weights)."""
        return bool(self.input_mean_set)

    def set_input_mean(self, mean_obs) -> None:
        """Centre inputs on ``mean_obs`` [frames, size, size], in raw uint8 units (zeros:
        explicitly uncentred)."""
        mean = torch.as_tensor(mean_obs, dtype=torch.float32) / 255.0
        if mean.shape != self.input_mean.shape:
            raise ValueError(f"mean observation has shape {tuple(mean.shape)}, "
                             f"expected {tuple(self.input_mean.shape)}")
        self.input_mean.copy_(mean)
        self.input_mean_set.fill_(True)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(obs.float() / 255.0 - self.input_mean))

    def forward_with_value(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(outputs [B, num_actions], value [B]) from one pass; only for a network made
        with ``value_head``. The outputs equal :meth:`forward`'s."""
        if self.value is None:
            raise ValueError("this network has no value head (made with value_head=False)")
        fc, relu, out = self.head
        hidden = relu(fc(self.features(obs.float() / 255.0 - self.input_mean)))   # [B, hidden]
        return out(hidden), self.value(hidden).squeeze(-1)
