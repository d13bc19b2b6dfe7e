"""Convolutional networks mapping stacked Atari frames to one output per action.

``dqn2013`` is the network of Mnih et al. (2013), "Playing Atari with Deep Reinforcement
Learning", which Guo et al. (2014) used for their UCT-distilled policies:
conv 16 8x8 stride 4, conv 32 4x4 stride 2, fully connected 256, one output per action,
ReLU after every hidden layer. ``nature`` is the larger network of Mnih et al. (2015),
"Human-level control through deep reinforcement learning": conv 32 8x8/4, conv 64 4x4/2,
conv 64 3x3/1, fully connected 512. ``compact`` is a student for real-time play
(:mod:`imitation.compress`): conv 8 4x4/4, conv 16 3x3/3, fully connected 64, 0.33 M
multiply-adds on 4 frames (0.22 M on 2) against DQN-2013's 2.9 M; its receptive fields do
not overlap, so its batch-1 decision is mostly one pass over the input
(:mod:`imitation.fast_forward`).

Each takes uint8 observations [B, frames, size, size], scales them by 1/255 and subtracts
``input_mean`` [frames, size, size], the mean training observation (the "mean image"
centring of LeCun et al. 1998, "Efficient BackProp", and Krizhevsky et al. 2012).
``train_policy`` fits it once, before the first gradient step, and it is saved with the
weights. It matters: an Atari frame is mostly a constant background, and without the
centring neither network left its initial plateau on Pong, even on labels that are an
exact function of the screen (README, "the input-centring fix").

A network with ``frames`` below the observation's stack reads its newest ``frames`` frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

Architecture = Literal["dqn2013", "nature", "compact"]

# (out_channels, kernel, stride) per conv layer, then the hidden width.
_LAYERS: dict[str, tuple[list[tuple[int, int, int]], int]] = {
    "dqn2013": ([(16, 8, 4), (32, 4, 2)], 256),
    "nature": ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], 512),
    "compact": ([(8, 4, 4), (16, 3, 3)], 64),
}


@dataclass(frozen=True)
class NetworkConfig:
    """arch: ``dqn2013`` (Guo et al.'s), ``nature`` or ``compact``; frames x size x size
    input (the newest ``frames`` of a deeper frame stack)."""

    arch: Architecture = "dqn2013"
    frames: int = 4
    size: int = 84

    def __post_init__(self):
        if self.arch not in _LAYERS:
            raise ValueError(f"unknown network {self.arch!r}; choose from {sorted(_LAYERS)}")
        if self.frames < 1:
            raise ValueError(f"frames must be >= 1, got {self.frames}")


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
        """Centre inputs on ``mean_obs`` [frames, size, size] (or the mean of a deeper
        stack, whose newest ``frames`` are kept), in raw uint8 units (zeros: explicitly
        uncentred)."""
        mean = torch.as_tensor(mean_obs, dtype=torch.float32)[-self.config.frames:] / 255.0
        if mean.shape != self.input_mean.shape:
            raise ValueError(f"mean observation has shape {tuple(mean.shape)}, "
                             f"expected {tuple(self.input_mean.shape)}")
        self.input_mean.copy_(mean)
        self.input_mean_set.fill_(True)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self.centred(obs)))

    def centred(self, obs: torch.Tensor) -> torch.Tensor:
        """uint8 [B, >= frames, size, size] -> float [B, frames, size, size] in [0, 1] less
        the mean observation."""
        return obs[:, -self.config.frames:].float() / 255.0 - self.input_mean

    def forward_with_value(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(outputs [B, num_actions], value [B]) from one pass; only for a network made
        with ``value_head``. The outputs equal :meth:`forward`'s."""
        if self.value is None:
            raise ValueError("this network has no value head (made with value_head=False)")
        fc, relu, out = self.head
        hidden = relu(fc(self.features(self.centred(obs))))   # [B, hidden]
        return out(hidden), self.value(hidden).squeeze(-1)
