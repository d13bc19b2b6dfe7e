"""Supervised fitting of the distilled policy on the planner's labels.

Guo et al. (2014) fit their UCTto* networks with plain minibatch gradient descent on the
UCT-labelled states; here: Adam, learning rate 1e-3, minibatches of 100, for a number
of passes over the training episodes (DAgger rounds refit on the aggregated dataset).
Validation agreement is the fraction of held-out states (held out by episode) where
the policy's greedy action is one the planner rated best (it breaks ties in Q at
random, so any of the tied actions agrees with it), over the states where the planner
preferred something: where every action ties, nothing can disagree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from imitation.augment import random_shift
from imitation.dataset import LabelDataset, Split
from imitation.policy import DistilledPolicy
from mcts.targets import best_actions


@dataclass(frozen=True)
class TrainConfig:
    """lr, batch_size: Adam step size and minibatch rows.
    epochs:       passes over the training split.
    max_steps:    stop after this many gradient steps even mid-epoch (None: no cap).
    val_fraction: fraction of episodes held out (by a hash of (round, episode)).
    buffer_rows:  shuffle-buffer size in rows (bounds memory).
    seed:         minibatch order; epoch e uses seed + e.
    augment_shift: pixels of random shift per training observation (0: none;
                  :func:`imitation.augment.random_shift`, seeded by ``seed``).
    """

    lr: float = 1e-3
    batch_size: int = 100
    epochs: int = 10
    max_steps: int | None = None
    val_fraction: float = 0.1
    buffer_rows: int = 20_000
    seed: int = 0
    augment_shift: int = 0

    def __post_init__(self):
        if self.batch_size <= 0 or self.epochs <= 0:
            raise ValueError("batch_size and epochs must be positive")
        if self.max_steps is not None and self.max_steps <= 0:
            raise ValueError("max_steps must be positive (or None)")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError("val_fraction must be in [0, 1)")
        if self.augment_shift < 0:
            raise ValueError("augment_shift must be >= 0")


@dataclass(frozen=True)
class AgreementStats:
    """agreement: fraction of informative rows whose greedy action is one of the planner's
    best (NaN if none). A row is informative unless every action ties at the best Q (then
    the planner had no preference and any action "agrees", which would only inflate the
    figure). action_entropy: mean entropy of pi_theta (nats) over all rows. loss: the
    training loss (the head's, plus the value's with a value head), row-weighted over all
    rows (NaN if none): with labels as noisy as a small search gives, its value on the
    validation split, not the training loss, says whether the network learns anything that
    holds on unseen episodes. value_loss: with a value head, its mean squared error over
    the rows that have a value target (NaN otherwise)."""

    agreement: float
    action_entropy: float
    rows: int
    informative_rows: int = 0
    loss: float = math.nan
    value_loss: float = math.nan   # the value head's squared error on rows with a value target


@dataclass
class TrainResult:
    steps: int
    losses: list[float] = field(default_factory=list)        # [steps] minibatch losses
    epoch_losses: list[float] = field(default_factory=list)  # [epochs run] mean loss
    val_losses: list[float] = field(default_factory=list)    # [epochs run] validation loss (empty without a split)
    val_value_losses: list[float] = field(default_factory=list)  # [epochs run] the value head's, on that split
    train_rows: int = 0
    val_rows: int = 0
    val_agreement: float = math.nan
    action_entropy: float = math.nan  # on the validation split (training split if none)
    val_value_loss: float = math.nan  # the value head's squared error on the validation split at the end


@torch.no_grad()
def evaluate_agreement(policy: DistilledPolicy, dataset: LabelDataset, split: Split = "val",
                       val_fraction: float = 0.1, batch_size: int = 500) -> AgreementStats:
    """Agreement with the planner, pi_theta's entropy and the loss over ``split``, streamed."""
    was_training = policy.training
    policy.eval()
    agree, entropy, loss, rows, informative = 0, 0.0, 0.0, 0, 0
    value_se, value_rows = 0.0, 0
    for batch in dataset.iter_batches(batch_size, split=split, val_fraction=val_fraction,
                                      shuffle=False):
        out, value = policy.outputs_and_value(policy.obs_tensor(batch.obs))
        loss += float(policy.loss_from_outputs(out, batch, value).item()) * len(batch)
        if value is not None:
            known = int(np.isfinite(batch.value).sum())
            value_se += float(policy.value_loss(value, batch).item()) * known
            value_rows += known
        logp = policy.log_pi_from_outputs(out.double())
        best = best_actions(batch.q, batch.action)
        greedy = out.argmax(dim=-1).cpu().numpy()
        useful = ~best.all(axis=-1)
        agree += int(best[np.arange(len(greedy)), greedy][useful].sum())
        informative += int(useful.sum())
        entropy += float(-(logp.exp() * logp).nan_to_num().sum().item())
        rows += len(batch)
    policy.train(was_training)
    if rows == 0:
        return AgreementStats(math.nan, math.nan, 0)
    return AgreementStats(agree / informative if informative else math.nan, entropy / rows, rows,
                          informative, loss / rows, value_se / value_rows if value_rows else math.nan)


def train_policy(policy: DistilledPolicy, dataset: LabelDataset, config: TrainConfig, *,
                 writer=None, step_offset: int = 0, progress: bool = False) -> TrainResult:
    """Fit ``policy`` on ``dataset``'s training split; returns losses and validation stats.

    On the policy's first fit, its input centring is set to the training split's mean
    observation (see :mod:`imitation.networks`); later fits (DAgger rounds) keep it.

    writer: an optional ``torch.utils.tensorboard.SummaryWriter``; logs ``train/loss`` per
    step, ``val/loss`` after each epoch (when there is a validation split; with a value
    head also ``val/value_loss``, the value's squared error there) and, at the end,
    ``val/agreement`` and ``policy/action_entropy``, at global step ``step_offset + step``
    (pass the running total across DAgger rounds).
    """
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    train_rows = dataset.num_labels("train", config.val_fraction)
    has_val = dataset.num_labels("val", config.val_fraction) > 0
    stats = None   # the validation statistics after the latest epoch
    if train_rows and not policy.net.input_mean_fitted:
        policy.net.set_input_mean(dataset.mean_obs("train", config.val_fraction))
    result = TrainResult(steps=0, train_rows=train_rows)
    per_epoch = math.ceil(train_rows / config.batch_size)
    total = per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=total, desc="train", unit="step", leave=False)
    augment = np.random.default_rng([config.seed, 1]) if config.augment_shift else None
    policy.train()
    for epoch in range(config.epochs):
        epoch_losses = []
        for batch in dataset.iter_batches(config.batch_size, split="train",
                                          val_fraction=config.val_fraction,
                                          seed=config.seed + epoch,
                                          buffer_rows=config.buffer_rows):
            if augment is not None:
                batch.obs = random_shift(batch.obs, config.augment_shift, augment)
            loss = policy.loss(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            result.steps += 1
            result.losses.append(value)
            epoch_losses.append(value)
            if writer is not None:
                writer.add_scalar("train/loss", value, step_offset + result.steps)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4f}")
            if config.max_steps is not None and result.steps >= config.max_steps:
                break
        if epoch_losses:
            result.epoch_losses.append(float(np.mean(epoch_losses)))
            if has_val:
                stats = evaluate_agreement(policy, dataset, "val", config.val_fraction)
                result.val_losses.append(stats.loss)
                if writer is not None:
                    writer.add_scalar("val/loss", result.val_losses[-1], step_offset + result.steps)
                if policy.has_value:
                    result.val_value_losses.append(stats.value_loss)
                    if writer is not None and math.isfinite(stats.value_loss):
                        writer.add_scalar("val/value_loss", stats.value_loss, step_offset + result.steps)
        if config.max_steps is not None and result.steps >= config.max_steps:
            break
    if bar is not None:
        bar.close()
    policy.eval()
    if stats is None:   # no epoch ran, or there is no validation split
        stats = evaluate_agreement(policy, dataset, "val", config.val_fraction)
    result.val_rows = stats.rows
    result.val_agreement = stats.agreement
    result.val_value_loss = stats.value_loss
    result.action_entropy = stats.action_entropy
    if stats.rows == 0:
        result.action_entropy = evaluate_agreement(policy, dataset, "train",
                                                   config.val_fraction).action_entropy
    if writer is not None:
        step = step_offset + result.steps
        if not math.isnan(result.val_agreement):
            writer.add_scalar("val/agreement", result.val_agreement, step)
        if not math.isnan(result.action_entropy):
            writer.add_scalar("policy/action_entropy", result.action_entropy, step)
    return result
