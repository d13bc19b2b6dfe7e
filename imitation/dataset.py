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
    DIR/set-aside/                      chunks found bad on resume (kept, never read)

A chunk is keyed by ``(round, episode)`` and written to a hidden temporary name, then
renamed into place, so it is either complete or absent; a chunk's content depends on its
key only, never on the order in which workers finish. What a chunk holds is one table,
:data:`COLUMNS` (N labelled states, A actions); writing, reading, checking and batching
all follow it:

{columns}

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
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

import numpy as np

from common.errors import DistillError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK_RE = re.compile(r"^round(\d+)-episode(\d+)\.npz$")
TEMP_PREFIX = ".partial-"
DECODED_CACHE_BYTES = 6 * 2 ** 30
"""Decoded chunks a dataset keeps in memory between training passes (about 200,000
Atari labels); past it, chunks are decompressed on every pass."""
SET_ASIDE = "set-aside"

OnCorrupt = Literal["skip", "refuse"]
Split = Literal["train", "val", "all"]
Source = Literal["decision", "state", "key", "spec", "episode"]


@dataclass(frozen=True)
class Column:
    """One member of a label chunk.

    name:    the member's name, and the attribute of :class:`EpisodeLabels` (and of
             :class:`LabelBatch` for ``batch`` columns).
    dtype:   what it is stored as (``"str"``: a numpy unicode scalar).
    shape:   a row column's shape after the row axis N, or an episode column's shape;
             ``"A"`` stands for the number of actions, ``"obs"`` for the observation shape.
    source:  where its values come from. Row columns, one value per labelled state:
             ``"decision"`` the expert's :class:`mcts.decision.Decision` attribute of that
             name, ``"state"`` the recorder's own arguments (obs, step, executed),
             ``"key"`` the chunk's round or episode. Episode columns, one per chunk:
             ``"spec"`` the dataset's :class:`LabelSpec` attribute, ``"episode"`` the
             episode's numbers (seed, and what ``EpisodeRecorder.finish`` is given).
    meaning: one line for the table in the module docstring.
    batch:   training reads it (a :class:`LabelBatch` field).
    fill:    for a column added after chunks were written: the value those chunks read
             as, and what a decision that lacks it (None) records. None: every chunk and
             every decision must have it.
    action_index: its values index the action set, so lie in [0, A).
    """

    name: str
    dtype: str
    shape: tuple[str | int, ...]
    source: Source
    meaning: str
    batch: bool = False
    fill: float | int | bool | None = None
    action_index: bool = False

    @property
    def per_row(self) -> bool:
        return self.source in ("decision", "state", "key")

    def dims(self, spec: "LabelSpec") -> tuple[int, ...]:
        """The column's shape for ``spec`` (after the row axis for a row column)."""
        out: list[int] = []
        for d in self.shape:
            out.extend(spec.obs_shape if d == "obs" else (spec.num_actions,) if d == "A" else (int(d),))
        return tuple(out)

    def shape_text(self) -> str:
        names = (["N"] if self.per_row else []) + ["*obs_shape" if d == "obs" else str(d) for d in self.shape]
        return f"[{', '.join(names)}]" if names else "scalar"

    def stored(self, value) -> np.ndarray:
        """``value`` as this column stores it."""
        if self.dtype == "str":
            return np.array(str(value))
        array = np.asarray(value, dtype=self.dtype)
        return np.ascontiguousarray(array) if array.ndim else array


COLUMNS: tuple[Column, ...] = (
    #      name          dtype      shape     source      meaning
    Column("obs",        "uint8",   ("obs",), "state",    "stacked frames ([N, 4, 84, 84] on Atari)", batch=True),
    Column("action",     "int64",   (),       "decision", "the planner's action (index into the action set)",
           batch=True, action_index=True),
    Column("q",          "float32", ("A",),   "decision", "root Q-values (NaN where an action was never tried)",
           batch=True),
    Column("visits",     "int64",   ("A",),   "decision", "root visit counts", batch=True),
    Column("executed",   "int64",   (),       "state",    "the action actually executed at that state",
           action_index=True),
    Column("frames",     "int64",   (),       "decision", "emulator frames the planner spent on the decision"),
    Column("episode",    "int64",   (),       "key",      "the chunk's episode (where the label comes from)",
           batch=True),
    Column("step",       "int64",   (),       "state",    "the environment step of the state", batch=True),
    Column("round",      "int64",   (),       "key",      "the chunk's round", batch=True),
    Column("value",      "float32", (),       "decision", "the search's value of the state (visit-weighted mean "
           "root return; NaN in chunks written before it)", batch=True, fill=float("nan")),
    Column("weight",     "float32", (),       "decision", "significance of the planner's preference in [0, 1] "
           "(mcts.targets; 1 in chunks written before it)", batch=True, fill=1.0),
    Column("prior",      "float32", ("A",),   "decision", "the guided search's root prior (NaN without one: UCT, "
           "UCB1, and chunks written before it)", batch=True, fill=float("nan")),
    Column("game",       "str",     (),       "spec",     "the game's name"),
    Column("seed",       "int64",   (),       "episode",  "the run's seed"),
    Column("action_set", "int64",   ("A",),   "spec",     "the ALE action ints the indices refer to"),
    Column("score",      "float64", (),       "episode",  "the episode's undiscounted return"),
    Column("env_steps",  "int64",   (),       "episode",  "environment steps taken, labelled or not"),
    Column("lives_lost", "int64",   (),       "episode",  "lives lost in the episode"),
    Column("terminated", "bool",    (),       "episode",  "the game ended (not cut by a step or frame cap)"),
)


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


# -- the records, made from the table -----------------------------------------------

_PY_TYPES = {"str": str, "bool": bool, "float64": float, "float32": float}


def _scalar(column: Column, value: np.ndarray):
    """An episode column's stored scalar as a Python value."""
    return _PY_TYPES.get(column.dtype, int)(value.item() if column.dtype != "str" else value)


def _fill_missing(record) -> None:
    """__post_init__ of the records: a column with a ``fill`` left None is that fill in
    every row (its "A" and "obs" dimensions read off ``q`` and ``obs``)."""
    for f in dataclasses.fields(record):
        column = record.schema.get(f.name)
        if column is None or column.fill is None or getattr(record, f.name) is not None:
            continue
        if not column.per_row:
            object.__setattr__(record, f.name, _PY_TYPES.get(column.dtype, int)(column.fill))
            continue
        dims = []
        for d in column.shape:
            dims.extend(np.shape(record.obs)[1:] if d == "obs" else
                        np.shape(record.q)[1:] if d == "A" else (int(d),))
        object.__setattr__(record, f.name, np.full((len(record), *dims), column.fill, dtype=column.dtype))


class LabelSchema:
    """The chunk layout of ``columns`` and the record classes it implies:

    - :attr:`EpisodeLabels`: one episode as written and read (``round``, ``episode``, the
      row columns that are not keys, as [N, ...] arrays, and the ``"episode"`` columns);
    - :attr:`LabelBatch`: B rows of the ``batch`` columns, as training reads them;
    - :attr:`EpisodeSummary`: a chunk's episode numbers, read without the observations.

    :func:`with_column` adds a column: the one change a new label field needs.
    """

    SUMMARY = ("labels", "frames", "differing")   # derived per chunk, see summary()

    def __init__(self, columns: tuple[Column, ...]):
        names = [c.name for c in columns]
        if len(set(names)) != len(names) or "action" not in names:
            raise ValueError(f"a label schema needs distinct column names and an action column: {names}")
        self.columns = tuple(columns)
        self.by_name = {c.name: c for c in columns}
        self.rows = tuple(c for c in columns if c.per_row)
        self.recorded = tuple(c for c in self.rows if c.source in ("decision", "state"))
        self.per_episode = tuple(c for c in columns if c.source == "episode")
        self.EpisodeLabels = self._record(
            "EpisodeLabels", [("round", int), ("episode", int)],
            [*self.recorded, *self.per_episode], frozen=False,
            doc="One episode's labels, as written to one chunk (shapes as in imitation.dataset).")
        self.LabelBatch = self._record(
            "LabelBatch", [], [c for c in self.rows if c.batch], frozen=False,
            doc="A minibatch of labels (B rows), as training reads them.",
            extra={"take": _take, "concatenate": staticmethod(_concatenate)})
        self.EpisodeSummary = self._record(
            "EpisodeSummary", [("round", int), ("episode", int), *((s, int) for s in self.SUMMARY)],
            list(self.per_episode), frozen=True,
            doc="One chunk's episode-level numbers (read without decompressing the observations): "
                "labels (rows), frames (emulator frames spent on them), differing (rows whose "
                "executed action differs from the planner's), and the episode columns.")

    def _record(self, name, head, columns, *, frozen, doc, extra=None):
        required = [(c.name, np.ndarray if c.per_row else _PY_TYPES.get(c.dtype, int))
                    for c in columns if c.fill is None]
        optional = [(c.name, Any, dataclasses.field(default=None)) for c in columns if c.fill is not None]
        namespace = {"__doc__": doc, "__module__": __name__, "schema": self.by_name, **(extra or {})}
        if any(c.per_row for c in columns):
            namespace["__len__"] = lambda self: int(np.shape(self.action)[0])
        if optional:
            namespace["__post_init__"] = _fill_missing
        return dataclasses.make_dataclass(name, [*head, *required, *optional], namespace=namespace,
                                          frozen=frozen, eq=True)

    def with_column(self, column: Column) -> "LabelSchema":
        return LabelSchema((*self.columns, column))

    def table(self) -> str:
        """The columns as the module docstring lists them."""
        lines = []
        for c in self.columns:
            lines.append(f"    {c.name:<11}{c.shape_text() + ' ' + c.dtype:<24}{c.meaning}")
        return "\n".join(lines)


def _nbytes(batch) -> int:
    return sum(getattr(batch, f.name).nbytes for f in dataclasses.fields(batch))


def _take(self, index):
    return type(self)(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})


def _concatenate(batches: list):
    cls = type(batches[0])
    return cls(**{f.name: np.concatenate([getattr(b, f.name) for b in batches])
                  for f in dataclasses.fields(cls)})


SCHEMA = LabelSchema(COLUMNS)
EpisodeLabels = SCHEMA.EpisodeLabels
LabelBatch = SCHEMA.LabelBatch
EpisodeSummary = SCHEMA.EpisodeSummary
__doc__ = __doc__.replace("{columns}", SCHEMA.table())


class EpisodeRecorder:
    """Accumulates one episode's planner decisions into :class:`EpisodeLabels`.

    Decisions with ``skipped=True`` (every action led to the same state, no search ran)
    are not labels and are dropped, as :class:`mcts.decision.Decision` requires.
    """

    def __init__(self, round: int, episode: int, seed: int, spec: LabelSpec,
                 schema: LabelSchema = SCHEMA):
        self.round, self.episode, self.seed = round, episode, seed
        self.spec, self.schema = spec, schema
        self.num_actions, self.obs_shape = spec.num_actions, spec.obs_shape
        self._dims = {c.name: c.dims(spec) for c in schema.recorded}
        self._rows: dict[str, list] = {c.name: [] for c in schema.recorded}

    def add(self, step: int, obs: np.ndarray, decision, executed: int) -> None:
        """Record the planner's ``decision`` at ``obs`` [*obs_shape] uint8, step ``step``."""
        if decision.skipped:
            return
        state = {"obs": obs, "step": step, "executed": executed}
        row = {}
        for c in self.schema.recorded:
            value = state[c.name] if c.source == "state" else getattr(decision, c.name, None)
            if value is None:
                if c.fill is None:
                    raise ValueError(f"decision has no {c.name}")
                value = np.full(self._dims[c.name], c.fill)
            value = np.array(value, dtype=c.dtype)   # a copy: the caller may reuse its buffers
            if value.shape != self._dims[c.name]:
                raise ValueError(f"decision's {c.name} has shape {value.shape}, "
                                 f"expected {self._dims[c.name]}")
            row[c.name] = value
        for name, value in row.items():
            self._rows[name].append(value)

    def __len__(self) -> int:
        return len(self._rows["action"])

    def finish(self, **stats) -> "EpisodeLabels":
        """The episode's labels; ``stats`` are the ``"episode"`` columns but the seed
        (score, env_steps, lives_lost, terminated)."""
        given = {c.name for c in self.schema.per_episode} - {"seed"}
        required = {c.name for c in self.schema.per_episode if c.fill is None} - {"seed"}
        if not required <= set(stats) <= given:
            raise TypeError(f"finish() takes {sorted(given)}, got {sorted(stats)}")
        rows = {name: np.stack(values) if values else
                np.zeros((0, *self._dims[name]), dtype=self.schema.by_name[name].dtype)
                for name, values in self._rows.items()}
        stats = {**stats, "seed": self.seed}
        episode = {c.name: _PY_TYPES.get(c.dtype, int)(stats[c.name])
                   for c in self.schema.per_episode if c.name in stats}
        return self.schema.EpisodeLabels(round=self.round, episode=self.episode, **rows, **episode)


def chunk_name(round: int, episode: int) -> str:
    return f"round{round:04d}-episode{episode:06d}.npz"


def is_validation(round: int, episode: int, val_fraction: float) -> bool:
    """Whether episode ``(round, episode)`` is held out: a fixed hash of the key, so the
    split of existing episodes never changes as rounds are added."""
    if val_fraction <= 0.0:
        return False
    digest = hashlib.blake2b(f"{round}/{episode}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64 < val_fraction


def _unreadable(exc: BaseException) -> str:
    """Why a chunk could not be read, in our words: numpy's own would suggest an unsafe
    ``allow_pickle``, and a chunk is never unpickled."""
    text = str(exc)
    if isinstance(exc, zlib.error) or "CRC" in text:
        return "damaged (a member fails its checksum or does not decompress)"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        return "truncated, or not a zip archive"
    if "pickle" in text:
        return "not an npz archive of arrays"
    if isinstance(exc, OSError):
        return f"unreadable ({exc.strerror or exc})"
    return f"unreadable ({type(exc).__name__}: {text})" if text else f"unreadable ({type(exc).__name__})"


class LabelDataset:
    """A dataset folder: append episodes with :meth:`write_episode`, stream minibatches
    with :meth:`iter_batches`.

    ``on_corrupt`` says what reading does with a chunk that cannot be read (truncated,
    bit-flipped, wrong shapes, another game): ``"refuse"`` raises :class:`DistillError`
    naming the file; ``"skip"`` warns (:class:`CorruptChunkWarning`), records the file in
    :attr:`skipped` and goes on without it. :meth:`check` reads a chunk whole and says
    what is wrong with it, if anything.
    """

    def __init__(self, path: Path, spec: LabelSpec, on_corrupt: OnCorrupt = "refuse",
                 schema: LabelSchema = SCHEMA, last_round: int | None = None,
                 first_round: int = 0):
        if on_corrupt not in ("skip", "refuse"):
            raise ValueError(f"on_corrupt must be 'skip' or 'refuse', got {on_corrupt!r}")
        self.path = Path(path)
        self.spec = spec
        self.schema = schema
        self.on_corrupt = on_corrupt
        self.skipped: list[Path] = []
        self._rows_cache: dict[tuple[int, int], int] = {}
        self.cache_bytes = DECODED_CACHE_BYTES
        self._decoded: dict[tuple[int, int], tuple[tuple[int, int], Any]] = {}
        self.last_round = last_round   # None, or a view of rounds ..last_round (up_to_round)
        self.first_round = first_round  # a view of rounds first_round.. (from_round)
        self._decoded_bytes = 0

    # -- opening --------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike, spec: LabelSpec, on_corrupt: OnCorrupt = "refuse",
               schema: LabelSchema = SCHEMA) -> "LabelDataset":
        """Open ``path`` for appending, creating it (and its manifest) if needed.
        An existing dataset for another game, action set or preprocessing is refused."""
        path = Path(path)
        manifest = path / MANIFEST
        if manifest.exists():
            return cls.open(path, expect=spec, on_corrupt=on_corrupt, schema=schema)
        try:
            path.mkdir(parents=True, exist_ok=True)
            payload = {"format": FORMAT_VERSION, **spec.to_json()}
            tmp = path / f"{TEMP_PREFIX}{MANIFEST}-{uuid.uuid4().hex}"
            tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
            os.replace(tmp, manifest)
        except OSError as exc:
            raise DistillError(f"label dataset {path}: cannot write ({exc.strerror or exc})") from None
        return cls(path, spec, on_corrupt, schema)

    @classmethod
    def open(cls, path: str | os.PathLike, expect: LabelSpec | None = None,
             on_corrupt: OnCorrupt = "refuse", schema: LabelSchema = SCHEMA) -> "LabelDataset":
        """Open an existing dataset; with ``expect``, refuse one made for anything else."""
        path = Path(path)
        manifest = path / MANIFEST
        if not manifest.is_file():
            raise DistillError(f"{path} is not a label dataset (no {MANIFEST})")
        try:
            data = json.loads(manifest.read_text())
            spec = LabelSpec.from_json(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DistillError(f"{manifest}: unreadable dataset manifest ({exc})") from None
        if data.get("format") != FORMAT_VERSION:
            raise DistillError(f"{manifest}: dataset format {data.get('format')!r}, "
                               f"this version reads {FORMAT_VERSION}")
        if expect is not None:
            reason = expect.mismatch(spec)
            if reason is not None:
                raise DistillError(f"label dataset {path} {reason}")
        return cls(path, spec, on_corrupt, schema)

    # -- writing --------------------------------------------------------------------

    def completed(self) -> set[tuple[int, int]]:
        """The ``(round, episode)`` keys whose chunks exist: what ``--resume`` skips."""
        return set(self._chunk_paths())

    def has(self, round: int, episode: int) -> bool:
        return self.chunk_path(round, episode).exists()

    def chunk_path(self, round: int, episode: int) -> Path:
        return self.path / chunk_name(round, episode)

    def discard_partial(self) -> list[Path]:
        """Delete the temporary files a killed writer left behind (call before resuming,
        while no writer is running). Returns the deleted paths."""
        removed = []
        for p in self.path.iterdir():
            if p.name.startswith(TEMP_PREFIX):
                p.unlink(missing_ok=True)
                removed.append(p)
        return removed

    def set_aside(self, round: int, episode: int) -> Path:
        """Move a chunk out of the dataset into ``DIR/set-aside/`` (kept, never read
        again) and return its new path; the key is then free to be labelled again."""
        path = self.chunk_path(round, episode)
        folder = self.path / SET_ASIDE
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        n = 1
        while target.exists():
            target = folder / f"{path.name}.{n}"
            n += 1
        os.replace(path, target)
        self._rows_cache.pop((round, episode), None)
        if path in self.skipped:
            self.skipped.remove(path)
        return target

    def write_episode(self, labels) -> Path:
        """Write one episode's chunk (an :class:`EpisodeLabels`) atomically and return its path.

        Safe to call from several processes at once (distinct keys). Writing a key that
        already exists is refused: collection must skip :meth:`completed` keys.
        """
        self._check_labels(labels)
        final = self.chunk_path(labels.round, labels.episode)
        if final.exists():
            raise DistillError(f"label chunk {final} already exists "
                               f"(round {labels.round}, episode {labels.episode})")
        n = len(labels)
        arrays = {}
        for c in self.schema.columns:
            if c.source == "key":
                value = np.full(n, getattr(labels, c.name))
            elif c.source == "spec":
                value = getattr(self.spec, c.name)
            else:
                value = getattr(labels, c.name)
            arrays[c.name] = c.stored(value)
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

    def _check_labels(self, labels) -> None:
        n, A = len(labels), self.spec.num_actions
        for c in self.schema.recorded:
            got, want = tuple(np.shape(getattr(labels, c.name))), (n, *c.dims(self.spec))
            if got != want:
                raise ValueError(f"EpisodeLabels.{c.name} has shape {got}, expected {want}")
            values = np.asarray(getattr(labels, c.name))
            if c.action_index and n and (values.min() < 0 or values.max() >= A):
                raise ValueError(f"{c.name}: actions must be indices in [0, {A})")

    # -- reading --------------------------------------------------------------------

    def _chunk_paths(self) -> dict[tuple[int, int], Path]:
        out = {}
        for p in self.path.iterdir():
            m = CHUNK_RE.match(p.name)
            if m:
                key = (int(m.group(1)), int(m.group(2)))
                if key[0] >= self.first_round and (self.last_round is None
                                                   or key[0] <= self.last_round):
                    out[key] = p
        return out

    def up_to_round(self, last: int) -> "LabelDataset":
        """A view, for reading, of the chunks of rounds 0 to ``last``: the labels that
        round's fit saw."""
        return LabelDataset(self.path, self.spec, self.on_corrupt, self.schema,
                            last_round=int(last), first_round=self.first_round)

    def from_round(self, first: int) -> "LabelDataset":
        """A view, for reading, of the chunks of round ``first`` on (within this view's
        last round): a window of the most recent rounds' labels."""
        return LabelDataset(self.path, self.spec, self.on_corrupt, self.schema,
                            last_round=self.last_round, first_round=max(0, int(first)))

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
            raise DistillError(f"corrupted label chunk {path}: {reason}")
        if path not in self.skipped:
            self.skipped.append(path)
            warnings.warn(f"skipping corrupted label chunk {path.name}: {reason}",
                          CorruptChunkWarning, stacklevel=3)

    def _read(self, key: tuple[int, int], members) -> tuple[dict[str, np.ndarray] | None, str | None]:
        """Read and check ``members`` of a chunk: (arrays, None), or (None, what is wrong).
        A column with a ``fill`` that the chunk lacks (written before it existed) reads as
        that fill."""
        path = self.chunk_path(*key)
        members = tuple(dict.fromkeys(("action", *members)))   # rows are counted on action
        try:
            z = np.load(path, allow_pickle=False)
        except Exception as exc:  # zip, numpy header or OS errors: all mean unreadable
            return None, _unreadable(exc)
        if not isinstance(z, np.lib.npyio.NpzFile):
            return None, "a single array, not an npz archive of label arrays"
        try:
            with z:
                missing = [m for m in members if m not in z.files and self.schema.by_name[m].fill is None]
                if missing:
                    return None, f"missing {', '.join(missing)}"
                arrays = {m: z[m] for m in members if m in z.files}
        except Exception as exc:  # zip, zlib or numpy header errors: a damaged member
            return None, _unreadable(exc)
        n = arrays["action"].shape[0] if arrays["action"].ndim else 0
        for m in members:
            if m not in arrays:
                c = self.schema.by_name[m]
                arrays[m] = np.full((n, *c.dims(self.spec)) if c.per_row else c.dims(self.spec),
                                    c.fill, dtype=c.dtype)
        return arrays, self._check_chunk(key, arrays)

    def _load(self, key: tuple[int, int], members) -> dict[str, np.ndarray] | None:
        """Read ``members`` of a chunk and check them; None when skipped as corrupt."""
        path = self.chunk_path(*key)
        if path in self.skipped:
            return None
        arrays, reason = self._read(key, members)
        if reason is not None:
            self._corrupt(path, reason)
            return None
        return arrays

    def _check_chunk(self, key: tuple[int, int], arrays: dict[str, np.ndarray]) -> str | None:
        A = self.spec.num_actions
        n = arrays["action"].shape[0] if arrays["action"].ndim else None
        for name, arr in arrays.items():
            c = self.schema.by_name[name]
            want = (n, *c.dims(self.spec)) if c.per_row else c.dims(self.spec)
            if arr.shape != want:
                return f"{name} has shape {arr.shape}, expected {want}"
            if (arr.dtype.kind != "U") if c.dtype == "str" else (arr.dtype != np.dtype(c.dtype)):
                return f"{name} has dtype {arr.dtype}, expected {c.dtype}"
            if c.source == "spec":
                held, want_value = arr.tolist(), getattr(self.spec, name)
                if (held if c.dtype == "str" else tuple(held)) != want_value:
                    return f"holds {name} {held}, the dataset's is {want_value}"
            if c.action_index and n and (arr.min() < 0 or arr.max() >= A):
                return f"{name}: actions out of range"
            if c.source == "key" and n and not np.all(arr == key[("round", "episode").index(name)]):
                return f"{name} column does not match the file name"
        return None

    def check(self, round: int, episode: int, seed: int | None = None) -> str | None:
        """Read chunk ``(round, episode)`` whole (every member decompressed and checked);
        None if it is sound and, given ``seed``, was made with that seed; else the reason."""
        arrays, reason = self._read((round, episode), tuple(c.name for c in self.schema.columns))
        if reason is None and seed is not None and int(arrays["seed"]) != seed:
            reason = f"was labelled with seed {int(arrays['seed'])}, not {seed}"
        return reason

    def _decoded_chunk(self, key: tuple[int, int]):
        """:meth:`read_chunk`, kept decoded in memory while ``cache_bytes`` allows, so the
        training passes after the first skip the decompression (most of a pass's reading
        time). An entry is used only while the file's size and mtime are unchanged; the
        batches made from it are copies (:meth:`iter_batches`), so it is never modified."""
        try:
            st = self.chunk_path(*key).stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        held = self._decoded.get(key)
        if held is not None and stamp is not None and held[0] == stamp:
            return held[1]
        chunk = self.read_chunk(*key)
        if held is not None:
            self._decoded_bytes -= _nbytes(held[1])
            del self._decoded[key]
        if chunk is not None and stamp is not None and self._decoded_bytes + _nbytes(chunk) <= self.cache_bytes:
            self._decoded[key] = (stamp, chunk)
            self._decoded_bytes += _nbytes(chunk)
        return chunk

    def read_chunk(self, round: int, episode: int):
        """All labels of one episode as a :class:`LabelBatch`, or None when it is skipped
        as corrupt."""
        arrays = self._load((round, episode), (*(c.name for c in self.schema.rows),
                                              *(c.name for c in self.schema.columns if c.source == "spec")))
        if arrays is None:
            return None
        self._rows_cache[(round, episode)] = int(arrays["action"].shape[0])
        return self.schema.LabelBatch(**{f.name: arrays[f.name]
                                         for f in dataclasses.fields(self.schema.LabelBatch)})

    def read_episode(self, round: int, episode: int):
        """One episode exactly as it was written (an :class:`EpisodeLabels`), or None when
        skipped as corrupt."""
        schema = self.schema
        arrays = self._load((round, episode), tuple(c.name for c in schema.columns))
        if arrays is None:
            return None
        return schema.EpisodeLabels(
            round=round, episode=episode, **{c.name: arrays[c.name] for c in schema.recorded},
            **{c.name: _scalar(c, arrays[c.name]) for c in schema.per_episode})

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
            arrays = self._load(key, ("obs",))
            if arrays is None:
                continue
            total += arrays["obs"].sum(axis=0, dtype=np.float64)
            rows += arrays["obs"].shape[0]
        return total / rows if rows else total

    def summary(self, round: int, episode: int):
        """One chunk's :class:`EpisodeSummary` (observations not read), or None when
        skipped as corrupt."""
        schema = self.schema
        a = self._load((round, episode), ("action", "executed", "frames",
                                          *(c.name for c in schema.per_episode)))
        if a is None:
            return None
        return schema.EpisodeSummary(
            round=round, episode=episode, labels=int(a["action"].shape[0]), frames=int(a["frames"].sum()),
            differing=int((a["executed"] != a["action"]).sum()),
            **{c.name: _scalar(c, a[c.name]) for c in schema.per_episode})

    def episodes(self) -> list:
        """Every chunk's :class:`EpisodeSummary`, in key order (observations not read)."""
        return [s for s in (self.summary(*key) for key in self.keys("all")) if s is not None]

    def iter_batches(self, batch_size: int, *, split: Split = "train", val_fraction: float = 0.1,
                     shuffle: bool = True, seed: int = 0, buffer_rows: int = 20_000,
                     drop_last: bool = False) -> Iterator:
        """One pass over ``split`` in minibatches (:class:`LabelBatch`) of ``batch_size`` rows.

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
        pending: list = []
        buffered = 0
        for key in keys:
            chunk = self._decoded_chunk(key)
            if chunk is None or len(chunk) == 0:
                continue
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= max(buffer_rows, batch_size):
                merged = _concatenate(pending)
                if shuffle:
                    merged = merged.take(rng.permutation(len(merged)))
                full = (len(merged) // batch_size) * batch_size
                for start in range(0, full, batch_size):
                    yield merged.take(slice(start, start + batch_size))
                rest = merged.take(slice(full, None))
                pending, buffered = ([rest] if len(rest) else []), len(rest)
        if pending:
            merged = _concatenate(pending)
            if shuffle:
                merged = merged.take(rng.permutation(len(merged)))
            for start in range(0, len(merged), batch_size):
                batch = merged.take(slice(start, start + batch_size))
                if len(batch) == batch_size or not drop_last:
                    yield batch
