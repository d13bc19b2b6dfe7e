"""The on-disk label dataset: the planner's decisions, one compressed chunk per episode.

Guo et al. (2014) train their networks on the states UCT visits, labelled with UCT's
chosen action (UCTtoClassification) or its root action values (UCTtoRegression); DAgger
(Ross et al. 2011) and PLATO (Kahn et al. 2017) aggregate such labels over rounds. This
module stores those labels so that a killed run loses at most one episode and a resumed
run neither repeats nor misses one.

Layout of a dataset folder ``DIR``::

    DIR/manifest.json                   game, action set, preprocessing, observation shape
    DIR/round0000-episode000000.npz     one episode's labels (np.savez_compressed)
    DIR/round0000-episode000001.npz
    ...

A chunk is keyed by ``(round, episode)`` and written to a hidden temporary name, then
renamed into place, so it is either complete or absent; a chunk's content depends on its
key only, never on the order in which workers finish. Each chunk holds, for its N labelled
states and the game's A actions:

    obs       [N, *obs_shape] uint8   stacked frames ([N, 4, 84, 84] on Atari)
    action    [N] int64               the planner's action (index into the action set)
    q         [N, A] float32          root Q-values (NaN where an action was never tried)
    visits    [N, A] int64            root visit counts
    executed  [N] int64               the action actually executed at that state
    frames    [N] int64               emulator frames the planner spent on the decision
    episode, step, round  [N] int64   where each label comes from
    game (str), seed (int), action_set [A] int64
    score, env_steps, lives_lost, terminated   the episode's collection statistics

Reading streams chunks through a seeded shuffle buffer, so training never holds the whole
dataset in memory. The validation split is held out by episode: whether ``(round,
episode)`` is a validation episode is a hash of that key, so it never changes as the
dataset grows.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

import numpy as np

from common.errors import DistillError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK_RE = re.compile(r"^round(\d+)-episode(\d+)\.npz$")
TEMP_PREFIX = ".partial-"

OnCorrupt = Literal["skip", "refuse"]
Split = Literal["train", "val", "all"]

_ROW_MEMBERS = ("obs", "action", "q", "visits", "executed", "frames", "episode", "step", "round")
_EPISODE_MEMBERS = ("game", "seed", "action_set", "score", "env_steps", "lives_lost", "terminated")


class CorruptChunkWarning(UserWarning):
    """A label chunk could not be read and was skipped (``on_corrupt="skip"``)."""


@dataclass(frozen=True)
class LabelSpec:
    """What the labels mean: checked whenever a dataset or checkpoint is reused.

    game:          the game's name (e.g. ``"Pong"``).
    action_set:    [A] the ALE action ints the action indices refer to.
    preprocessing: the environment's preprocessing config, as plain JSON values (a
                   dataclass given here is converted with ``dataclasses.asdict``).
    obs_shape:     the shape of one observation, ``(4, 84, 84)`` on Atari.
    """

    game: str
    action_set: tuple[int, ...]
    preprocessing: Any = field(default_factory=dict)
    obs_shape: tuple[int, ...] = (4, 84, 84)

    def __post_init__(self):
        from common.rundir import to_jsonable

        object.__setattr__(self, "action_set", tuple(int(a) for a in self.action_set))
        object.__setattr__(self, "obs_shape", tuple(int(d) for d in self.obs_shape))
        # A JSON round trip makes a spec built in memory equal to the one read from disk.
        object.__setattr__(self, "preprocessing",
                           json.loads(json.dumps(to_jsonable(self.preprocessing), sort_keys=True)))

    @property
    def num_actions(self) -> int:
        return len(self.action_set)

    def to_json(self) -> dict:
        return {"game": self.game, "action_set": list(self.action_set),
                "preprocessing": self.preprocessing, "obs_shape": list(self.obs_shape)}

    @classmethod
    def from_json(cls, data: dict) -> "LabelSpec":
        return cls(game=str(data["game"]), action_set=tuple(data["action_set"]),
                   preprocessing=data.get("preprocessing", {}),
                   obs_shape=tuple(data.get("obs_shape", (4, 84, 84))))

    def mismatch(self, other: "LabelSpec") -> str | None:
        """Why labels made under ``other`` cannot be used as ``self``; None if they can."""
        if other.game != self.game:
            return f"is for game {other.game}, not {self.game}"
        if other.action_set != self.action_set:
            return (f"uses action set {list(other.action_set)}, "
                    f"not {list(self.action_set)} ({self.game})")
        if other.obs_shape != self.obs_shape:
            return f"has observations of shape {other.obs_shape}, not {self.obs_shape}"
        if other.preprocessing != self.preprocessing:
            return (f"was made with preprocessing {json.dumps(other.preprocessing, sort_keys=True)}, "
                    f"not {json.dumps(self.preprocessing, sort_keys=True)}")
        return None


@dataclass
class EpisodeLabels:
    """One episode's labels, as written to one chunk (shapes as in the module docstring)."""

    round: int
    episode: int
    seed: int
    obs: np.ndarray        # [N, *obs_shape] uint8
    action: np.ndarray     # [N] int64
    q: np.ndarray          # [N, A] float32
    visits: np.ndarray     # [N, A] int64
    step: np.ndarray       # [N] int64
    executed: np.ndarray   # [N] int64
    frames: np.ndarray     # [N] int64
    score: float           # the episode's undiscounted return
    env_steps: int         # environment steps taken, labelled or not (skipped decisions)
    lives_lost: int
    terminated: bool       # the game ended (not cut off by a step or frame cap)

    def __len__(self) -> int:
        return int(self.action.shape[0])


class EpisodeRecorder:
    """Accumulates one episode's planner decisions into :class:`EpisodeLabels`.

    Decisions with ``skipped=True`` (every action led to the same state, no search ran)
    are not labels and are dropped, as :class:`mcts.decision.Decision` requires.
    """

    def __init__(self, round: int, episode: int, seed: int, spec: LabelSpec):
        self.round, self.episode, self.seed = round, episode, seed
        self.num_actions, self.obs_shape = spec.num_actions, spec.obs_shape
        self._obs: list[np.ndarray] = []
        self._rows: list[tuple[int, int, int, int]] = []   # action, step, executed, frames
        self._q: list[np.ndarray] = []
        self._visits: list[np.ndarray] = []

    def add(self, step: int, obs: np.ndarray, decision, executed: int) -> None:
        """Record the planner's ``decision`` at ``obs`` [*obs_shape] uint8, step ``step``."""
        if decision.skipped:
            return
        if len(decision.q) != self.num_actions:
            raise ValueError(f"decision has {len(decision.q)} Q-values, expected {self.num_actions}")
        self._obs.append(np.asarray(obs, dtype=np.uint8).copy())
        self._rows.append((int(decision.action), int(step), int(executed), int(decision.frames)))
        self._q.append(np.asarray(decision.q, dtype=np.float32))
        self._visits.append(np.asarray(decision.visits, dtype=np.int64))

    def __len__(self) -> int:
        return len(self._rows)

    def finish(self, *, score: float, env_steps: int, lives_lost: int,
               terminated: bool) -> EpisodeLabels:
        A = self.num_actions
        rows = np.asarray(self._rows, dtype=np.int64).reshape(-1, 4)
        obs = np.stack(self._obs) if self._obs else np.zeros((0, *self.obs_shape), np.uint8)
        return EpisodeLabels(
            round=self.round, episode=self.episode, seed=self.seed, obs=obs,
            action=rows[:, 0].copy(), step=rows[:, 1].copy(), executed=rows[:, 2].copy(),
            frames=rows[:, 3].copy(),
            q=np.stack(self._q) if self._q else np.zeros((0, A), np.float32),
            visits=np.stack(self._visits) if self._visits else np.zeros((0, A), np.int64),
            score=float(score), env_steps=int(env_steps), lives_lost=int(lives_lost),
            terminated=bool(terminated))


@dataclass
class LabelBatch:
    """A minibatch of labels (B rows), as training reads them."""

    obs: np.ndarray      # [B, *obs_shape] uint8
    action: np.ndarray   # [B] int64
    q: np.ndarray        # [B, A] float32, NaN where untried
    visits: np.ndarray   # [B, A] int64
    episode: np.ndarray  # [B] int64
    step: np.ndarray     # [B] int64
    round: np.ndarray    # [B] int64

    def __len__(self) -> int:
        return int(self.action.shape[0])

    def take(self, index) -> "LabelBatch":
        return LabelBatch(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})

    @staticmethod
    def concatenate(batches: list["LabelBatch"]) -> "LabelBatch":
        return LabelBatch(**{f.name: np.concatenate([getattr(b, f.name) for b in batches])
                             for f in dataclasses.fields(LabelBatch)})


@dataclass(frozen=True)
class EpisodeSummary:
    """One chunk's episode-level numbers (read without decompressing the observations)."""

    round: int
    episode: int
    seed: int
    labels: int          # labelled states (rows)
    frames: int          # emulator frames the planner spent labelling them
    differing: int       # rows whose executed action differs from the planner's
    score: float
    env_steps: int
    lives_lost: int
    terminated: bool


def chunk_name(round: int, episode: int) -> str:
    return f"round{round:04d}-episode{episode:06d}.npz"


def is_validation(round: int, episode: int, val_fraction: float) -> bool:
    """Whether episode ``(round, episode)`` is held out: a fixed hash of the key, so the
    split of existing episodes never changes as rounds are added."""
    if val_fraction <= 0.0:
        return False
    digest = hashlib.blake2b(f"{round}/{episode}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64 < val_fraction


class LabelDataset:
    """A dataset folder: append episodes with :meth:`write_episode`, stream minibatches
    with :meth:`iter_batches`.

    ``on_corrupt`` says what reading does with a chunk that cannot be read (truncated,
    bit-flipped, wrong shapes, another game): ``"refuse"`` raises :class:`DistillError`
    naming the file; ``"skip"`` warns (:class:`CorruptChunkWarning`), records the file in
    :attr:`skipped` and goes on without it.
    """

    def __init__(self, path: Path, spec: LabelSpec, on_corrupt: OnCorrupt = "refuse"):
        if on_corrupt not in ("skip", "refuse"):
            raise ValueError(f"on_corrupt must be 'skip' or 'refuse', got {on_corrupt!r}")
        self.path = Path(path)
        self.spec = spec
        self.on_corrupt = on_corrupt
        self.skipped: list[Path] = []
        self._rows_cache: dict[tuple[int, int], int] = {}

    # -- opening --------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike, spec: LabelSpec,
               on_corrupt: OnCorrupt = "refuse") -> "LabelDataset":
        """Open ``path`` for appending, creating it (and its manifest) if needed.
        An existing dataset for another game, action set or preprocessing is refused."""
        path = Path(path)
        manifest = path / MANIFEST
        if manifest.exists():
            return cls.open(path, expect=spec, on_corrupt=on_corrupt)
        try:
            path.mkdir(parents=True, exist_ok=True)
            payload = {"format": FORMAT_VERSION, **spec.to_json()}
            tmp = path / f"{TEMP_PREFIX}{MANIFEST}-{uuid.uuid4().hex}"
            tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
            os.replace(tmp, manifest)
        except OSError as exc:
            raise DistillError(f"label dataset {path}: cannot write ({exc.strerror or exc})") from None
        return cls(path, spec, on_corrupt)

    @classmethod
    def open(cls, path: str | os.PathLike, expect: LabelSpec | None = None,
             on_corrupt: OnCorrupt = "refuse") -> "LabelDataset":
        """Open an existing dataset; with ``expect``, refuse one made for anything else."""
        path = Path(path)
        manifest = path / MANIFEST
        if not manifest.is_file():
            raise DistillError(f"{path} is not a label dataset (no {MANIFEST})", exit_code=1)
        try:
            data = json.loads(manifest.read_text())
            spec = LabelSpec.from_json(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DistillError(f"{manifest}: unreadable dataset manifest ({exc})", exit_code=1) from None
        if data.get("format") != FORMAT_VERSION:
            raise DistillError(f"{manifest}: dataset format {data.get('format')!r}, "
                               f"this version reads {FORMAT_VERSION}", exit_code=1)
        if expect is not None:
            reason = expect.mismatch(spec)
            if reason is not None:
                raise DistillError(f"label dataset {path} {reason}", exit_code=1)
        return cls(path, spec, on_corrupt)

    # -- writing --------------------------------------------------------------------

    def completed(self) -> set[tuple[int, int]]:
        """The ``(round, episode)`` keys whose chunks exist: what ``--resume`` skips."""
        return set(self._chunk_paths())

    def has(self, round: int, episode: int) -> bool:
        return (self.path / chunk_name(round, episode)).exists()

    def discard_partial(self) -> list[Path]:
        """Delete the temporary files a killed writer left behind (call before resuming,
        while no writer is running). Returns the deleted paths."""
        removed = []
        for p in self.path.iterdir():
            if p.name.startswith(TEMP_PREFIX):
                p.unlink(missing_ok=True)
                removed.append(p)
        return removed

    def write_episode(self, labels: EpisodeLabels) -> Path:
        """Write one episode's chunk atomically and return its path.

        Safe to call from several processes at once (distinct keys). Writing a key that
        already exists is refused: collection must skip :meth:`completed` keys.
        """
        self._check_labels(labels)
        final = self.path / chunk_name(labels.round, labels.episode)
        if final.exists():
            raise DistillError(f"label chunk {final} already exists "
                               f"(round {labels.round}, episode {labels.episode})", exit_code=1)
        n = len(labels)
        arrays = {
            "obs": np.ascontiguousarray(labels.obs, dtype=np.uint8),
            "action": np.asarray(labels.action, dtype=np.int64),
            "q": np.asarray(labels.q, dtype=np.float32),
            "visits": np.asarray(labels.visits, dtype=np.int64),
            "executed": np.asarray(labels.executed, dtype=np.int64),
            "frames": np.asarray(labels.frames, dtype=np.int64),
            "episode": np.full(n, labels.episode, dtype=np.int64),
            "step": np.asarray(labels.step, dtype=np.int64),
            "round": np.full(n, labels.round, dtype=np.int64),
            "game": np.array(self.spec.game),
            "seed": np.array(labels.seed, dtype=np.int64),
            "action_set": np.array(self.spec.action_set, dtype=np.int64),
            "score": np.array(labels.score, dtype=np.float64),
            "env_steps": np.array(labels.env_steps, dtype=np.int64),
            "lives_lost": np.array(labels.lives_lost, dtype=np.int64),
            "terminated": np.array(labels.terminated, dtype=np.bool_),
        }
        tmp = self.path / f"{TEMP_PREFIX}{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DistillError(f"label chunk {final}: cannot write ({exc.strerror or exc})") from None
        self._rows_cache[(labels.round, labels.episode)] = n
        return final

    def _check_labels(self, labels: EpisodeLabels) -> None:
        n, A = len(labels), self.spec.num_actions
        expected = {"obs": (n, *self.spec.obs_shape), "q": (n, A), "visits": (n, A),
                    "step": (n,), "executed": (n,), "frames": (n,)}
        for name, shape in expected.items():
            got = np.shape(getattr(labels, name))
            if tuple(got) != shape:
                raise ValueError(f"EpisodeLabels.{name} has shape {got}, expected {shape}")
        if n and (labels.action.min() < 0 or labels.action.max() >= A):
            raise ValueError(f"actions must be indices in [0, {A})")

    # -- reading --------------------------------------------------------------------

    def _chunk_paths(self) -> dict[tuple[int, int], Path]:
        out = {}
        for p in self.path.iterdir():
            m = CHUNK_RE.match(p.name)
            if m:
                out[(int(m.group(1)), int(m.group(2)))] = p
        return out

    def keys(self, split: Split = "all", val_fraction: float = 0.1) -> list[tuple[int, int]]:
        """Sorted ``(round, episode)`` keys of the chunks in ``split``."""
        if split not in ("train", "val", "all"):
            raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
        keys = sorted(self._chunk_paths())
        if split == "all":
            return keys
        want_val = split == "val"
        return [k for k in keys if is_validation(k[0], k[1], val_fraction) == want_val]

    def _corrupt(self, path: Path, reason: str) -> None:
        if self.on_corrupt == "refuse":
            raise DistillError(f"corrupted label chunk {path}: {reason}", exit_code=1)
        if path not in self.skipped:
            self.skipped.append(path)
            warnings.warn(f"skipping corrupted label chunk {path.name}: {reason}",
                          CorruptChunkWarning, stacklevel=3)

    def _load(self, key: tuple[int, int], members: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """Read ``members`` of a chunk and check them; None when skipped as corrupt."""
        path = self.path / chunk_name(*key)
        if path in self.skipped:
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                missing = [m for m in members if m not in z.files]
                if missing:
                    self._corrupt(path, f"missing {', '.join(missing)}")
                    return None
                arrays = {m: z[m] for m in members}
        except DistillError:
            raise
        except Exception as exc:  # zip, zlib, numpy header or OS errors: all mean unreadable
            self._corrupt(path, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            return None
        reason = self._check_chunk(key, arrays)
        if reason is not None:
            self._corrupt(path, reason)
            return None
        return arrays

    def _check_chunk(self, key: tuple[int, int], arrays: dict[str, np.ndarray]) -> str | None:
        A = self.spec.num_actions
        if "game" in arrays and str(arrays["game"]) != self.spec.game:
            return f"holds game {arrays['game']}, the dataset is {self.spec.game}"
        if "action_set" in arrays and tuple(arrays["action_set"].tolist()) != self.spec.action_set:
            return f"action set {arrays['action_set'].tolist()} differs from the manifest's"
        n = arrays["action"].shape[0] if "action" in arrays else None
        for name, arr in arrays.items():
            if name not in _ROW_MEMBERS:
                continue
            tail = {"obs": self.spec.obs_shape, "q": (A,), "visits": (A,)}.get(name, ())
            if arr.shape != (n, *tail):
                return f"{name} has shape {arr.shape}, expected {(n, *tail)}"
        if "obs" in arrays and arrays["obs"].dtype != np.uint8:
            return f"obs has dtype {arrays['obs'].dtype}, expected uint8"
        if "action" in arrays and n and (arrays["action"].min() < 0 or arrays["action"].max() >= A):
            return "actions out of range"
        for name, value in (("round", key[0]), ("episode", key[1])):
            if name in arrays and n and not np.all(arrays[name] == value):
                return f"{name} column does not match the file name"
        return None

    def read_chunk(self, round: int, episode: int) -> LabelBatch | None:
        """All labels of one episode, or None when it is skipped as corrupt."""
        arrays = self._load((round, episode), ("game", "action_set", *_ROW_MEMBERS))
        if arrays is None:
            return None
        self._rows_cache[(round, episode)] = int(arrays["action"].shape[0])
        return LabelBatch(**{f.name: arrays[f.name] for f in dataclasses.fields(LabelBatch)})

    def read_episode(self, round: int, episode: int) -> EpisodeLabels | None:
        """One episode exactly as it was written, or None when skipped as corrupt."""
        arrays = self._load((round, episode), (*_ROW_MEMBERS, *_EPISODE_MEMBERS))
        if arrays is None:
            return None
        return EpisodeLabels(
            round=round, episode=episode, seed=int(arrays["seed"]), obs=arrays["obs"],
            action=arrays["action"], q=arrays["q"], visits=arrays["visits"],
            step=arrays["step"], executed=arrays["executed"], frames=arrays["frames"],
            score=float(arrays["score"]), env_steps=int(arrays["env_steps"]),
            lives_lost=int(arrays["lives_lost"]), terminated=bool(arrays["terminated"]))

    def num_rows(self, round: int, episode: int) -> int:
        """Rows in one chunk (0 when skipped as corrupt); reads only the action column."""
        key = (round, episode)
        if key not in self._rows_cache:
            arrays = self._load(key, ("action",))
            self._rows_cache[key] = 0 if arrays is None else int(arrays["action"].shape[0])
        return self._rows_cache[key]

    def num_labels(self, split: Split = "all", val_fraction: float = 0.1) -> int:
        return sum(self.num_rows(*k) for k in self.keys(split, val_fraction))

    def mean_obs(self, split: Split = "train", val_fraction: float = 0.1) -> np.ndarray:
        """[*obs_shape] float64 mean observation over ``split`` (raw uint8 units), streamed
        chunk by chunk; zeros when the split is empty."""
        total = np.zeros(self.spec.obs_shape, dtype=np.float64)
        rows = 0
        for key in self.keys(split, val_fraction):
            arrays = self._load(key, ("obs", "action"))
            if arrays is None:
                continue
            total += arrays["obs"].sum(axis=0, dtype=np.float64)
            rows += arrays["obs"].shape[0]
        return total / rows if rows else total

    def episodes(self) -> list[EpisodeSummary]:
        """Every chunk's episode-level numbers, in key order (observations not read)."""
        out = []
        small = ("action", "executed", "frames", *(m for m in _EPISODE_MEMBERS))
        for key in self.keys("all"):
            a = self._load(key, small)
            if a is None:
                continue
            out.append(EpisodeSummary(
                round=key[0], episode=key[1], seed=int(a["seed"]), labels=int(a["action"].shape[0]),
                frames=int(a["frames"].sum()), differing=int((a["executed"] != a["action"]).sum()),
                score=float(a["score"]), env_steps=int(a["env_steps"]),
                lives_lost=int(a["lives_lost"]), terminated=bool(a["terminated"])))
        return out

    def iter_batches(self, batch_size: int, *, split: Split = "train", val_fraction: float = 0.1,
                     shuffle: bool = True, seed: int = 0, buffer_rows: int = 20_000,
                     drop_last: bool = False) -> Iterator[LabelBatch]:
        """One pass over ``split`` in minibatches of ``batch_size`` rows.

        Chunks are visited in a seeded random order and their rows mixed in a shuffle
        buffer of about ``buffer_rows`` rows (plus one chunk), so memory stays bounded.
        Every row is yielded exactly once per pass; the last batch may be smaller unless
        ``drop_last``. With ``shuffle=False`` rows come in key order, then step order.
        The result depends only on the chunks present and ``seed``.
        """
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        rng = np.random.default_rng(seed)
        keys = self.keys(split, val_fraction)
        if shuffle:
            keys = [keys[i] for i in rng.permutation(len(keys))]
        pending: list[LabelBatch] = []
        buffered = 0
        for key in keys:
            chunk = self.read_chunk(*key)
            if chunk is None or len(chunk) == 0:
                continue
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= max(buffer_rows, batch_size):
                merged = LabelBatch.concatenate(pending)
                if shuffle:
                    merged = merged.take(rng.permutation(len(merged)))
                full = (len(merged) // batch_size) * batch_size
                for start in range(0, full, batch_size):
                    yield merged.take(slice(start, start + batch_size))
                rest = merged.take(slice(full, None))
                pending, buffered = ([rest] if len(rest) else []), len(rest)
        if pending:
            merged = LabelBatch.concatenate(pending)
            if shuffle:
                merged = merged.take(rng.permutation(len(merged)))
            for start in range(0, len(merged), batch_size):
                batch = merged.take(slice(start, start + batch_size))
                if len(batch) == batch_size or not drop_last:
                    yield batch
