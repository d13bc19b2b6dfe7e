"""Policy checkpoints that know what game, action set and preprocessing they play.

A checkpoint file is ``torch.save`` of plain values (loaded with ``weights_only=True``):
the format version, the :class:`LabelSpec` (game, action set, preprocessing, observation
shape), the :class:`PolicyConfig`, the number of actions, the round it was saved after,
the weights, and a SHA-256 digest of the weights, so a bit flipped in the weights is
caught rather than played. Files are written to a temporary name and renamed, so a
killed run leaves the previous checkpoint intact.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from common.errors import DistillError
from imitation.dataset import LabelSpec
from imitation.policy import DistilledPolicy, PolicyConfig

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """A loaded checkpoint: the policy (in eval mode, on its device) and what it plays."""

    policy: DistilledPolicy
    spec: LabelSpec
    round: int
    path: Path


def _weights_digest(state: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        h.update(name.encode())
        h.update(str(tuple(tensor.shape)).encode())
        h.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike, policy: DistilledPolicy, spec: LabelSpec,
                    *, round: int = 0) -> Path:
    """Write ``policy`` with its ``spec`` to ``path`` atomically; returns the path."""
    path = Path(path)
    if policy.num_actions != spec.num_actions:
        raise ValueError(f"policy has {policy.num_actions} actions, spec {spec.num_actions}")
    state = {k: v.detach().cpu().clone() for k, v in policy.state_dict().items()}
    payload = {
        "format": FORMAT_VERSION,
        "spec": spec.to_json(),
        "policy_config": asdict(policy.config),
        "num_actions": policy.num_actions,
        "round": int(round),
        "state_dict": state,
        "weights_sha256": _weights_digest(state),
    }
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DistillError(f"checkpoint {path}: cannot write ({exc.strerror or exc})") from None
    return path


def load_checkpoint(path: str | os.PathLike, *, expect: LabelSpec | None = None,
                    device: str = "auto") -> Checkpoint:
    """Load a checkpoint; with ``expect``, refuse one made for another game, action set
    or preprocessing. Unreadable files raise :class:`DistillError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DistillError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip, pickle or OS errors: all mean a damaged file
        raise DistillError(f"checkpoint {path} is truncated or corrupted "
                           f"({type(exc).__name__})") from None
    try:
        if not isinstance(payload, dict) or "format" not in payload:
            raise DistillError(f"{path} is not a distill policy checkpoint (a torch file without "
                               f"the checkpoint's format field)")
        if payload["format"] != FORMAT_VERSION:
            raise DistillError(f"checkpoint {path}: format {payload['format']!r}, "
                               f"this version reads {FORMAT_VERSION}")
        spec = LabelSpec.from_json(payload["spec"])
        config = PolicyConfig.from_json(payload["policy_config"])
        num_actions = int(payload["num_actions"])
        state = payload["state_dict"]
        digest_ok = _weights_digest(state) == payload["weights_sha256"]
        round_ = int(payload["round"])
    except DistillError:
        raise
    except Exception as exc:
        raise DistillError(f"checkpoint {path} is corrupted ({type(exc).__name__}: {exc})") from None
    if not digest_ok:
        raise DistillError(f"checkpoint {path} is corrupted (weights do not match their checksum)")
    if expect is not None:
        reason = expect.mismatch(spec)
        if reason is not None:
            raise DistillError(f"checkpoint {path} {reason}")
    policy = DistilledPolicy(config, num_actions, device=device)
    # Checkpoints saved before the input centring lack its two buffers: they load as the
    # uncentred network they were trained as, which a later fit (--resume) must not re-centre.
    state = {"net.input_mean": torch.zeros_like(policy.net.input_mean),
             "net.input_mean_set": torch.tensor(True), **state}
    try:
        policy.load_state_dict(state)
    except RuntimeError as exc:
        raise DistillError(f"checkpoint {path}: weights do not fit its network ({exc})") from None
    policy.eval()
    return Checkpoint(policy=policy, spec=spec, round=round_, path=path)
