"""The built dataset: its row features, its folder layout, and reading it back.

One place for the facts every later stage relies on (scorer, baselines, prompts, leaderboard):
which configs and splits exist, what a row holds, and where the files are. The builder writes
exactly this layout; everything else opens it with :func:`open_dataset` and reads through the
:class:`BuiltDataset` it returns, which checks the manifest and every file it reads.

Layout of a built dataset folder::

    README.md                      dataset card (YAML front matter declares configs and features)
    manifest.json                  machine-readable provenance, counts and file hashes
    data/<config>/<split>-00000-of-00001.parquet

Integrity rule. ``manifest.json`` is checked against the packaged ``manifest.schema.json``; its
``files`` must give the sha256 and its ``sizes`` the size in bytes of every data file that is read
(a manifest without complete hashes and sizes is refused, never read unchecked), and its ``card``
the same two of the dataset card, which the build writes too. The size is compared first, with one
``stat``, so a file swapped for a larger one is refused without being read
(:func:`recorded_problem`, the one rule). The manifest cannot vouch for itself, so every other
field (the manifest without its integrity record, :data:`INTEGRITY_FIELDS`; the card's hash
included) is copied into every data file's parquet key-value metadata (key :data:`BINDING_KEY`,
:func:`binding`; once, not in its Arrow schema: :func:`carried_metadata`), which the manifest's
sha256 protects: editing, adding or deleting any field of
the manifest makes it disagree with the data, and the error names the field; editing the data
changes its hash. Every data file also carries its own path (key :data:`PATH_KEY`), so a file
swapped with, or copied over, another with the hashes rewritten is refused rather than read as
the split it replaced, and holds as many rows as the manifest counts for its split (its parquet
footer's count), so a split with rows deleted or added and its hash rewritten is refused too
(:func:`binding_problem`, the rule of every reader, ``validate`` and push).
``manifest.schema.json`` is closed (no key it does not describe), so an unknown key is refused
by name before that. (This detects edits, not a forger who rewrites the data
files, their hashes and the manifest together; nothing unsigned can.)
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeGuard

import numpy as np
import numpy.typing as npt

from sgbench.boundary import PathArg, public, public_class, read_only
from sgbench.errors import InputError, bounded, check_each, shown_name
from sgbench.files import HUB_PREFIX as HUB_PREFIX  # one spelling for the readers and recorded()
from sgbench.jsonl import loads_strict, read_json_file
from sgbench.schema.ids import id_suffix, names_subgroup, persona_as_read, slug, stratum_name
from sgbench.schema.persona import PersonaPhrase, persona_sentence, phrase_problem, text_problem

if TYPE_CHECKING:
    import datasets
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

CONFIG_SPLITS: Final[dict[str, tuple[str, ...]]] = {
    "default": ("train", "validation", "test_id", "test_ood"),
    "paper": ("train", "test_ood"),
    "temporal": ("train", "test"),
}
"""The dataset's configs and, for each, its splits in display order. ``default`` and ``paper``
are in every build; ``temporal`` only in builds from more than one wave (see the manifest's
``configs`` for what a folder has)."""

CONFIGS: Final[tuple[str, ...]] = tuple(CONFIG_SPLITS)
"""Every config name, in :data:`CONFIG_SPLITS` order."""
SPLITS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(split for splits in CONFIG_SPLITS.values() for split in splits)
)
"""Every split name of any config, first appearance first."""

MANIFEST_FILE: Final = "manifest.json"
CARD_FILE: Final = "README.md"

SCALE_TYPES: Final = ("ordinal", "nominal", "binary")

NEAR_COPY: Final = 0.9
"""``train_overlap`` (respondent Jaccard with the nearest training subgroup) at or above which an
OOD subgroup is a near-copy of a training subgroup (listed by the build, banded by the scorer)."""

OVERLAP_BANDS: Final[tuple[tuple[str, float], ...]] = (
    (">=0.9", NEAR_COPY),
    ("0.5-0.9", 0.5),
    ("<0.5", 0.0),
)
"""The scorer's ``by_overlap`` bands, highest first: a sample is in the first band whose lower
bound its ``train_overlap`` reaches."""


def overlap_band(jaccard: Sequence[float] | npt.NDArray[np.float64]) -> list[str | None]:
    """The :data:`OVERLAP_BANDS` name of each ``train_overlap`` value (None for NaN)."""
    values = np.asarray(jaccard, dtype=np.float64)
    bands = np.full(len(values), None, dtype=object)
    for name, low in reversed(OVERLAP_BANDS):
        bands[values >= low] = name
    return list(bands)


BINDING_KEY: Final = b"sgbench"
"""Parquet key-value metadata key under which each data file carries the bound copy of the
manifest (:func:`binding`)."""

PATH_KEY: Final = b"sgbench.path"
"""Parquet key-value metadata key under which each data file carries its own path in the folder
(``data/<config>/<split>-00000-of-00001.parquet``, :func:`binding`): the manifest's copy is the
same in every file, so without it two files swapped (or one copied over another) with their
hashes were read as each other's split."""

INTEGRITY_FIELDS: Final = ("files", "sizes")
"""The manifest's integrity record: each data file's sha256 and size in bytes. The only fields a
data file cannot carry (they are its own hash); each is checked against the file it names
(:func:`recorded_problem`). Every other field is bound (:func:`binding`)."""

LEGACY_BOUND_FIELDS: Final = (
    "name",
    "version",
    "synthetic",
    "min_subgroup_size",
    "min_valid_answers",
    "publication_floor",
    "disclosure",
)
"""The fields data files carried before the whole manifest was bound: a file carrying only some
of these, each equal to the manifest's, was built by an older sgbench (rebuild it)."""


def bound_part(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """``manifest`` without its integrity record (:data:`INTEGRITY_FIELDS`): what every data file
    carries a copy of."""
    return {name: value for name, value in manifest.items() if name not in INTEGRITY_FIELDS}


PUBLICATION_FLOOR: Final = 30
"""The fewest respondents a published subgroup, and the fewest valid answers a published
(subgroup, question) pair, may have: the floor the README promises. A build with a lower
``min_subgroup_size`` or ``min_valid_answers`` is allowed (tests, research) but records it in its
manifest (``publication_floor``) and is never pushed (:func:`sgbench.publish.publication_problems`).
The one place this number is written; docs quote it through ``docs/generate.py``."""

THRESHOLDS: Final = ("min_subgroup_size", "min_valid_answers")
"""The build config's thresholds the publication floor applies to."""


def under_floor(thresholds: Mapping[str, Any]) -> dict[str, Any]:
    """Each of :data:`THRESHOLDS` that ``thresholds`` (a manifest, or a build config's values)
    gives below :data:`PUBLICATION_FLOOR`, or does not give as a whole number: name → value
    (None when absent). Empty when the floor is met."""
    found: dict[str, Any] = {}
    for name in THRESHOLDS:
        value = thresholds.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < PUBLICATION_FLOOR:
            found[name] = value
    return found


HUB_ID: Final = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
"""A Hugging Face Hub repository id, ``org/name``."""


def hub_id(ref: PathArg) -> str | None:
    """The Hub repository id ``org/name`` that ``ref`` names as ``hf://org/name``, or None when
    ``ref`` is a local path (anything without :data:`HUB_PREFIX`).

    Raises:
        InputError: ``hf://`` followed by something that is not ``org/name``.
    """
    text = str(ref)
    if text[: len(HUB_PREFIX)].casefold() == HUB_PREFIX and not text.startswith(HUB_PREFIX):
        # `HF://org/name` would be read as the local folder HF:/org/name: a typo, said so.
        raise InputError(f"{text}: write the Hub prefix in lower case, {HUB_PREFIX}")
    if not text.startswith(HUB_PREFIX):
        return None
    repo = text.removeprefix(HUB_PREFIX)
    if not HUB_ID.match(repo):
        raise InputError(f"{text}: not a Hub dataset id; write hf://org/name")
    return repo


def not_local(ref: PathArg, what: str) -> str:
    """``REF: no such WHAT``, with a hint when ``ref`` reads like a Hub id without its prefix."""
    hint = f"; a Hub dataset is named {HUB_PREFIX}{ref}" if HUB_ID.match(str(ref)) else ""
    return f"{ref}: no such {what}{hint}"


SAMPLE_SCHEMA: Final[Mapping[str, Any]] = read_only(
    json.loads((Path(__file__).parent / "schema" / "sample.schema.json").read_text("utf-8"))
)
"""The packaged ``sample.schema.json`` (read as plain JSON: no validator is needed here). The
row rule takes each column's null, pattern, length and minimum constraints from it."""


def _types(declared: Mapping[str, Any]) -> tuple[str, ...]:
    kind = declared.get("type", ())
    return (kind,) if isinstance(kind, str) else tuple(kind)


LEGACY_NULLS: Final = ("mode_stability", "train_overlap")
"""Columns the schema declares as numbers that files of older builds leave null ("not known")."""

NO_NULLS: Final = tuple(
    name
    for name in SAMPLE_SCHEMA["required"]
    if "null" not in _types(SAMPLE_SCHEMA["properties"][name]) and name not in LEGACY_NULLS
)
"""Columns that hold no null anywhere, inside their lists and structs too, except the
:data:`NULLABLE_FIELDS`: every required column of the sample schema whose type does not allow
null, but the :data:`LEGACY_NULLS`. A null there has no meaning: numpy would read it as an
arbitrary code or share, or as a group of its own. The row rule (:func:`row_problems`) checks it,
so ``validate`` and every reader apply the same list."""

NULLABLE_FIELDS: Final = {"subgroup": None, "options": ("off_scale",)}
"""Struct fields that may be null (None: every field): an attribute the subgroup's stratum does
not use, and ``off_scale`` (read as False: a dataset built before the flag)."""


def column_problem(name: str, actual: pa.DataType, declared: pa.DataType) -> str | None:
    """How a split's column type differs from the declared one (None when it does not).

    Lists stay lists, structs have the declared fields with their types (``subgroup`` one per
    attribute of the manifest, no more, no fewer), and only ``options.off_scale`` may be absent
    (it is newer than some builds; read as False).
    """
    import pyarrow as pa

    def differs(have: pa.DataType, want: pa.DataType) -> bool:
        if pa.types.is_struct(want):
            if not pa.types.is_struct(have):
                return True
            names = {f.name for f in have}
            declared = {f.name for f in want}
            if names - declared or declared - names - {"off_scale"}:
                return True
            return any(differs(have.field(n).type, want.field(n).type) for n in names)
        if pa.types.is_list(want):
            return not pa.types.is_list(have) or differs(have.value_type, want.value_type)
        return not have.equals(want)

    if differs(actual, declared):
        return f"column {name!r} is {actual}, expected {declared}"
    return None


def null_rows(array: pa.Array, nullable: tuple[str, ...] | None = ()) -> npt.NDArray[np.bool_]:
    """Which rows of ``array`` hold a null, at the top or inside their lists and structs (the
    fields named in ``nullable`` excepted; None: every field)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_list(array.type):
        lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy(zero_copy_only=False)
        inner = null_rows(array.flatten(), nullable)
        row = np.repeat(np.arange(len(array)), np.asarray(lengths, dtype=np.int64))
        bad |= np.bincount(row[inner], minlength=len(array)) > 0
    elif pa.types.is_struct(array.type) and nullable is not None:
        # StructArray.flatten, not .field: both keep a sliced array's offset (pyarrow since
        # 0.9, ARROW-2311), but only flatten gives a null struct's fields as null.
        for kind, values in zip(array.type, array.flatten(), strict=True):
            if kind.name not in nullable:
                bad |= null_rows(values)
    return bad


def split_file(config: str, split: str) -> str:
    """Relative path of one split's (single) parquet shard inside a dataset folder."""
    return f"data/{config}/{split}-00000-of-00001.parquet"


def card_data_files(config: str, split: str) -> str:
    """The ``data_files`` path the dataset card gives for one split (the Hub's pattern for its
    shards, :func:`split_file`). The card is checked against this text, never by globbing it: a
    pattern through a symlink walked and listed a whole outside tree."""
    return f"data/{config}/{split}-*.parquet"


_SAMPLE_FIELDS: Final[tuple[tuple[str, Any], ...]] = (
    ("id", "string"),
    ("question_id", "string"),
    ("question", "string"),
    ("section", "string"),
    ("options", ["list", {"code": "int32", "label": "string", "off_scale": "bool"}]),
    ("scale_type", "string"),
    ("subgroup_id", "string"),
    ("subgroup", None),  # one nullable string per attribute of the build config
    ("stratum", "string"),
    ("persona", "string"),
    ("country", "string"),
    ("wave", "int32"),
    ("year", "int32"),
    ("subgroup_size", "int32"),
    ("n_valid", "int32"),
    ("counts", ["list", "int32"]),
    ("distribution", ["list", "float64"]),
    ("answer", "int32"),
    ("modal_answers", ["list", "int32"]),
    ("margin", "float64"),
    ("mode_stability", "float64"),
    ("train_overlap", "float64"),
)
"""The fields of one sample row: a value type name, ``["list", item]`` or ``{field: type}``."""


def _feature(kind: Any) -> Any:
    """A field declaration as Hugging Face ``datasets`` writes it in its features JSON."""
    if isinstance(kind, str):
        return {"dtype": kind, "_type": "Value"}
    if isinstance(kind, list):
        return {"feature": _feature(kind[1]), "_type": "List"}
    return {name: _feature(inner) for name, inner in kind.items()}


def _declared(attribute_names: Sequence[str]) -> dict[str, Any]:
    subgroup = dict.fromkeys(attribute_names, "string")
    return {name: subgroup if kind is None else kind for name, kind in _SAMPLE_FIELDS}


def sample_schema(attribute_names: Sequence[str]) -> pa.Schema:
    """The Arrow schema of one sample row, with the features metadata ``datasets`` reads.

    The same schema as ``sample_features(...).arrow_schema``, made with pyarrow alone, so
    writing a dataset does not import ``datasets``.
    """
    import pyarrow as pa

    def arrow(kind: Any) -> pa.DataType:
        if isinstance(kind, str):
            return pa.from_numpy_dtype(kind) if kind != "string" else pa.string()
        if isinstance(kind, list):
            return pa.list_(arrow(kind[1]))
        return pa.struct([(name, arrow(inner)) for name, inner in kind.items()])

    declared = _declared(attribute_names)
    features = {name: _feature(kind) for name, kind in declared.items()}
    metadata = {"huggingface": json.dumps({"info": {"features": features}})}
    return pa.schema([(name, arrow(kind)) for name, kind in declared.items()], metadata=metadata)


def sample_card_features(attribute_names: Sequence[str]) -> list[dict[str, Any]]:
    """The features as a dataset card's YAML lists them (what ``datasets`` writes there)."""

    def entry(name: str, kind: Any) -> dict[str, Any]:
        if isinstance(kind, str):
            return {"name": name, "dtype": kind}
        if isinstance(kind, list):
            inner = kind[1]
            listed = inner if isinstance(inner, str) else [entry(n, k) for n, k in inner.items()]
            return {"name": name, "list": listed}
        return {"name": name, "struct": [entry(n, k) for n, k in kind.items()]}

    return [entry(name, kind) for name, kind in _declared(attribute_names).items()]


def sample_features(attribute_names: Sequence[str]) -> datasets.Features:
    """The declared features of one sample row, identical in every config and split.

    Per-option fields (``counts``, ``distribution``) are lists aligned with ``options``, which is
    in scale order (an option with ``off_scale`` true is listed but is not a point of the
    scale); ``subgroup`` is a struct with one nullable string per attribute of the build config
    (null where the sample's stratum does not use that attribute).
    """
    from datasets import Features

    declared = _declared(attribute_names)
    return Features.from_dict({name: _feature(kind) for name, kind in declared.items()})


@public
def load_manifest(dataset_dir: PathArg) -> dict[str, Any]:
    """Read ``manifest.json`` of a built dataset folder as it is (unchecked; see :class:`Manifest`).

    Raises:
        InputError: the folder or its manifest is missing or unreadable.
    """
    from sgbench.files import input_problem

    path = Path(dataset_dir) / MANIFEST_FILE
    problem = input_problem(dataset_dir, folder=True)
    if problem == "missing":
        raise InputError(not_local(dataset_dir, "dataset folder (run `sgbench build` first)"))
    if problem is not None:
        raise InputError(f"{dataset_dir}: {problem}; a dataset is a folder built by sgbench build")
    if not path.exists():
        raise InputError(f"{path}: missing; is {dataset_dir} a built sgbench dataset?")
    manifest = read_json_file(path, "manifest")
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: not a JSON object; is {dataset_dir} a built sgbench dataset?")
    return manifest


def manifest_problems(manifest: Any) -> list[str]:
    """Every way ``manifest`` breaks ``manifest.schema.json``, as ``JSON_PATH: message``; then,
    when it has none, why this sgbench cannot read its version
    (:func:`sgbench.versioning.version_problem`) and, for a build's manifest (its version's label
    is one of :data:`~sgbench.versioning.BUILD_LABELS`), every record a build writes that it
    lacks (the schema's ``$defs/build``); then every way what it records breaks a rule of the
    build: its texts (:func:`recorded_text_problems`) and the subgroups it says were left out for
    their overlap (:func:`overlap_drop_problems`).

    One rule for every record: the row rule holds rows to the manifest's records, and a record
    that was optional switched its check off when deleted (a held-out question trained with
    ``splits`` gone, a subgroup deleted with ``subgroups`` gone, and ``validate`` passed).
    """
    from sgbench.catalogue import CATALOGUE_WAVES, catalogue_name
    from sgbench.schema import schema_problems, validator
    from sgbench.versioning import BUILD_LABELS, build_label, version_problem

    problems = schema_problems(validator("manifest"), manifest)
    if problems:
        return problems
    version = version_problem(manifest["version"], manifest["synthetic"])
    if version is not None:
        return [f"$.version: {version}"]
    if build_label(manifest["version"]) in BUILD_LABELS:
        records = validator("manifest").evolve(
            schema={"$ref": f"{_MANIFEST_SCHEMA_ID}#/$defs/build"}
        )
        problems = [
            f"{problem} (a build's manifest, version {manifest['version']}, holds every record "
            "the builder writes; rebuild the dataset if an older sgbench wrote it)"
            for problem in schema_problems(records, manifest)
        ]
        catalogues = [catalogue_name(wave) for wave in CATALOGUE_WAVES]
        if not problems and manifest["items"]["catalogue"] not in catalogues:
            # A build reads one of this package's catalogues; a catalogue renamed to one it
            # lacks skipped the check of every row's question against it.
            problems.append(
                f"$.items.catalogue: {bounded(repr(manifest['items']['catalogue']))} is not a "
                f"catalogue sgbench has ({', '.join(catalogues)}); a build records the one it read"
            )
        if problems:
            return problems
    return [
        *recorded_text_problems(manifest),
        *overlap_drop_problems(manifest),
        *derived_record_problems(manifest),
        *manifest_structure_problems(manifest),
    ]


_MANIFEST_SCHEMA_ID: Final = "https://sgbench.invalid/schema/manifest.schema.json"


def check_config_split(config: str, split: str | None = None) -> None:
    """Raise :class:`InputError` for an unknown config or a split the config does not have."""
    if config not in CONFIG_SPLITS:
        raise InputError(f"unknown config {config!r}; choose one of {sorted(CONFIG_SPLITS)}")
    if split is not None and split not in CONFIG_SPLITS[config]:
        raise InputError(
            f"config {config!r} has no split {split!r}; its splits: {list(CONFIG_SPLITS[config])}"
        )


def check_built_config(dataset_dir: PathArg, manifest: Mapping[str, Any], config: str) -> None:
    """Raise :class:`InputError` when the folder's manifest does not declare ``config`` (a build
    from one wave has no ``temporal``)."""
    built = manifest.get("configs")
    if isinstance(built, Mapping) and config not in built:
        hint = "; `temporal` needs a build from more than one wave" if config == "temporal" else ""
        raise InputError(
            f"{dataset_dir}: this build has no config {config!r} (its configs: "
            f"{', '.join(map(str, built))}){hint}"
        )


@public
def evaluation_split(config: str) -> str:
    """The split a command evaluates on when none is given: the config's last, held-out split
    (``test_ood`` for ``default`` and ``paper``, ``test`` for ``temporal``).

    Raises:
        InputError: unknown config.
    """
    check_config_split(config)
    return CONFIG_SPLITS[config][-1]


def _canonical(value: Any) -> bytes:
    # A Manifest's raw is read-only: its nested mappings are written as the dicts they copy.
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain_mapping)
    return text.encode()


def binding(manifest: Mapping[str, Any], relative: str) -> dict[bytes, bytes]:
    """The parquet key-value metadata binding the data file ``relative`` (its path in the
    dataset folder) to ``manifest``: a copy of every field but the integrity record
    (:func:`bound_part`), as canonical JSON, so the same manifest gives the same bytes
    (:data:`BINDING_KEY`), and the file's own path (:data:`PATH_KEY`).

    The copy, not a digest, so that a disagreement names the field (:func:`binding_problem`).
    Every data file's sha256 in the manifest protects its copy; every other field of the manifest
    is checked against that copy, so no field of the manifest vouches for itself. The path, so
    that a file read as one split is that split's, not another's moved there with its hash."""
    return {BINDING_KEY: _canonical(bound_part(manifest)), PATH_KEY: relative.encode("utf-8")}


class FooterProblem(Exception):
    """A data file's metadata that does not read one way (:func:`carried_metadata`); the
    message says why, without the file, which the caller names."""


_T_STOP, _T_TRUE, _T_FALSE, _T_BYTE, _T_I16, _T_I32, _T_I64, _T_DOUBLE = range(8)
_T_BINARY, _T_LIST, _T_SET, _T_MAP, _T_STRUCT = range(8, 13)
"""Thrift compact protocol types (the encoding of a parquet footer)."""
_KEY_VALUE_FIELD: Final = 5
"""``FileMetaData.key_value_metadata``, a ``list<KeyValue{1: key, 2: value}>`` (parquet.thrift)."""
_MAX_NESTING: Final = 64
"""Deeper thrift nesting than a parquet footer ever has is not read (a bounded recursion)."""


class _CompactReader:
    """Just enough of the Thrift compact protocol to read the key-value list of a parquet
    footer as written, every other field skipped by its type."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def _byte(self) -> int:
        if self._at >= len(self._data):
            raise FooterProblem("its footer ends early")
        value = self._data[self._at]
        self._at += 1
        return value

    def _varint(self) -> int:
        value = shift = 0
        while True:
            byte = self._byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 70:
                raise FooterProblem("its footer holds a number too long")

    def _binary(self) -> bytes:
        size = self._varint()  # read first: it moves the position the value starts at
        end = self._at + size
        if end > len(self._data):
            raise FooterProblem("its footer ends early")
        value = self._data[self._at : end]
        self._at = end
        return value

    def _fields(self) -> Iterator[tuple[int, int]]:
        """(field id, type) of each field of the struct being read, up to its stop."""
        last = 0
        while True:
            header = self._byte()
            kind = header & 0x0F
            if kind == _T_STOP:
                return
            if header >> 4:
                last += header >> 4
            else:
                zigzag = self._varint()
                last = (zigzag >> 1) ^ -(zigzag & 1)
            yield last, kind

    def _list_header(self) -> tuple[int, int]:
        header = self._byte()
        size = header >> 4
        return (self._varint() if size == 15 else size), header & 0x0F

    def _skip(self, kind: int, depth: int = 0, element: bool = False) -> None:
        # Every value but a struct field's boolean takes a byte at least, so a list's size read
        # from a damaged footer cannot make this loop longer than the footer.
        if depth > _MAX_NESTING:
            raise FooterProblem("its footer nests deeper than a parquet footer does")
        if kind in (_T_TRUE, _T_FALSE):
            if element:  # a boolean in a list or map is one byte; a field's is in its header
                self._byte()
        elif kind == _T_BYTE:
            self._byte()
        elif kind in (_T_I16, _T_I32, _T_I64):
            self._varint()
        elif kind == _T_DOUBLE:
            for _ in range(8):
                self._byte()
        elif kind == _T_BINARY:
            self._binary()
        elif kind in (_T_LIST, _T_SET):
            size, element_kind = self._list_header()
            for _ in range(size):
                self._skip(element_kind, depth + 1, element=True)
        elif kind == _T_MAP:
            size = self._varint()
            kinds = self._byte() if size else 0
            for _ in range(size):
                self._skip(kinds >> 4, depth + 1, element=True)
                self._skip(kinds & 0x0F, depth + 1, element=True)
        elif kind == _T_STRUCT:
            for _, inner in self._fields():
                self._skip(inner, depth + 1)
        else:
            raise FooterProblem(f"its footer holds a value of unknown type {kind}")

    def key_values(self) -> list[tuple[bytes, bytes]]:
        """The footer's key-value list in the order written, every entry kept."""
        for number, kind in self._fields():
            if number != _KEY_VALUE_FIELD or kind != _T_LIST:
                self._skip(kind)
                continue
            size, element_kind = self._list_header()
            if element_kind != _T_STRUCT:
                raise FooterProblem("its footer's key-value list is not a list of entries")
            pairs = []
            for _ in range(size):
                key: bytes | None = None
                value = b""
                for inner_number, inner in self._fields():
                    if inner_number == 1 and inner == _T_BINARY:
                        key = self._binary()
                    elif inner_number == 2 and inner == _T_BINARY:
                        value = self._binary()
                    else:
                        self._skip(inner)
                if key is None:
                    raise FooterProblem("its footer holds a key-value entry without a key")
                pairs.append((key, value))
            return pairs
        return []


def _footer_key_values(footer: pq.FileMetaData) -> list[tuple[bytes, bytes]]:
    """Every key-value entry of ``footer`` as written, a key given twice kept twice: pyarrow's
    ``FileMetaData.metadata`` is a dict, which keeps one of them silently (the first). The
    footer's bytes come from pyarrow itself (``write_metadata_file``: the thrift message of the
    footer it parsed, with every entry, byte for byte the file's), and only its key-value list
    is read from them; counting a key's bytes in the footer would also count them in a value
    or a column name."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    footer.write_metadata_file(sink)
    written = sink.getvalue().to_pybytes()  # b"PAR1", the footer, its length, b"PAR1"
    return _CompactReader(written[4:-8]).key_values()


def _shown_key(key: bytes) -> str:
    return shown_name(key.decode("utf-8", "backslashreplace"))


def carried_metadata(footer: pq.FileMetaData) -> dict[bytes, bytes]:
    """The key-value metadata of a parquet file's footer, where its binding is
    (:func:`binding`): the file's own, not its Arrow schema's (``ParquetFile.schema_arrow``,
    ``pq.read_schema``), which pyarrow reads from the serialised schema (``ARROW:schema``) the
    build writes without the binding, so that the manifest's copy is stored once per file. A
    file whose schema carries the binding (an earlier build, or one written with
    ``pq.write_table``) has it in its key-value metadata too.

    The one place the binding is read, so the metadata must read one way:

    - a key the footer holds twice is refused: pyarrow keeps the first, another reader may keep
      the last, and a footer with ``sgbench`` twice (the right copy first, another second)
      passed validate, score and push;
    - every key of the Arrow schema's metadata must be in the footer with the same value: the
      schema is what pandas, ``datasets`` and :meth:`BuiltDataset.table` hand out, and a stray
      ``sgbench`` copy there, another than the footer's, was accepted and reached callers.

    Raises:
        FooterProblem: why the metadata does not read one way.
    """
    import base64
    import binascii

    import pyarrow as pa

    pairs = _footer_key_values(footer)
    carried: dict[bytes, bytes] = {}
    for key, value in pairs:
        if key in carried:
            raise FooterProblem(
                f"its footer holds the key-value entry {_shown_key(key)!r} twice; a file holds "
                "each key once (readers keep one or the other): rebuild the dataset"
            )
        carried[key] = value
    serialised = carried.get(b"ARROW:schema")
    if serialised is not None:
        try:
            message = base64.b64decode(serialised, validate=True)
            schema = pa.ipc.read_schema(pa.py_buffer(message))
        except (binascii.Error, ValueError, pa.ArrowException) as exc:
            raise FooterProblem(f"its Arrow schema cannot be read ({_first_line(exc)})") from None
        for key, value in (schema.metadata or {}).items():
            if carried.get(key) != value:
                raise FooterProblem(
                    f"its Arrow schema (ARROW:schema) carries {_shown_key(key)!r} "
                    + ("unlike its footer" if key in carried else "and its footer does not")
                    + "; a file sgbench wrote holds each key once: rebuild the dataset"
                )
    return carried


def _plain_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _differences(carried: Any, manifest: Any, path: str) -> list[str]:
    """The JSON paths (``built_from.format``, ``strata[0]``) where two values differ: the
    deepest object key or list index both still have."""
    if isinstance(carried, Mapping) and isinstance(manifest, Mapping):
        found: list[str] = []
        for key in sorted(set(carried) | set(manifest)):
            where = f"{path}.{key}" if path else str(key)
            if key not in carried or key not in manifest:
                found.append(where)
            else:
                found += _differences(carried[key], manifest[key], where)
        return found
    if (
        isinstance(carried, list)
        and isinstance(manifest, list | tuple)
        and len(carried) == len(manifest)
    ):
        return [
            difference
            for n, (a, b) in enumerate(zip(carried, manifest, strict=True))
            for difference in _differences(a, b, f"{path}[{n}]")
        ]
    same = _canonical(carried) == _canonical(manifest)
    return [] if same else [path or "(the whole manifest)"]


def binding_problem(
    metadata: Mapping[bytes, bytes] | None, manifest: Mapping[str, Any], file: str, rows: int
) -> tuple[str, str] | None:
    """Why the data file ``file`` (its path in the dataset folder), whose parquet key-value
    metadata is ``metadata`` and whose footer counts ``rows`` rows, is not bound to
    ``manifest`` at that path (:func:`binding`): the path (in the folder) the problem is about,
    and one line; None when it is bound. The one rule of :class:`BuiltDataset`,
    ``sgbench validate`` and push.

    About :data:`MANIFEST_FILE`: the first field that differs from the file's copy, or the path
    the file carries instead of its own. About ``file``: its row count, when it is not the
    ``samples`` the manifest (and the file's copy) counts for its split: a file rewritten with
    rows deleted or added, and its hash and size rewritten in the manifest, was read whole.

    A file that carries only some of :data:`LEGACY_BOUND_FIELDS`, each equal to the manifest's,
    was written by an sgbench that bound fewer fields: rebuild it. Anything else is an edit of the
    manifest after the build, or a file moved from another path with its hash.
    """
    metadata = metadata or {}
    carried = metadata.get(BINDING_KEY)
    problem = _manifest_problem(carried, manifest, file)
    if problem is not None:
        return MANIFEST_FILE, problem
    path = metadata.get(PATH_KEY)
    if path is None:
        return MANIFEST_FILE, (
            f"{file} carries no path of its own: built by an older sgbench (rebuild the dataset)"
        )
    if path != file.encode("utf-8"):
        shown = shown_name(path.decode("utf-8", errors="surrogateescape"))
        return MANIFEST_FILE, bounded(
            f"{file} carries the path {shown}: files were swapped or copied"
        )
    samples = _counted_samples(manifest, file)
    if samples is not None and rows != samples:
        return file, f"{rows} rows, {MANIFEST_FILE} counts {samples}"
    return metadata_problem(metadata, manifest, file)


ARROW_SCHEMA_KEY: Final = b"ARROW:schema"
"""Where pyarrow stores a file's Arrow schema in its key-value metadata (its own, not sgbench's:
:func:`carried_metadata` holds the metadata it carries to the footer's)."""


def metadata_problem(
    metadata: Mapping[bytes, bytes], manifest: Mapping[str, Any], file: str
) -> tuple[str, str] | None:
    """Why the data file ``file``'s key-value metadata is not what a build writes: exactly the
    declared schema's keys (:func:`sample_schema`: the features as ``huggingface``), the binding's
    (:data:`BINDING_KEY`, :data:`PATH_KEY`) and pyarrow's :data:`ARROW_SCHEMA_KEY`, each declared
    value equal to the declared one once parsed as JSON (the bytes of a file another writer
    re-wrote may differ in spacing); None when it is. Part of :func:`binding_problem`, so every
    reader and ``validate`` apply it to every file they open.

    Compared with the first file alone, the same edit in every file passed ``validate`` and
    ``score``: features saying ``answer`` is a string (what ``datasets`` then hands out), an
    extra key, the ``huggingface`` key removed."""
    declared = sample_schema(list(manifest.get("attributes") or ())).metadata or {}
    allowed = {*declared, BINDING_KEY, PATH_KEY, ARROW_SCHEMA_KEY}
    extra = sorted(key for key in metadata if key not in allowed)
    if extra:
        return file, (
            f"its parquet metadata holds the key {_shown_key(extra[0])!r}, which sgbench does not "
            f"write (it writes {', '.join(repr(_shown_key(key)) for key in sorted(allowed))}): "
            "rebuild the dataset"
        )
    for key, value in sorted(declared.items()):
        if key not in metadata:
            return file, (
                f"its parquet metadata lacks the key {_shown_key(key)!r} (the declared "
                "features): rebuild the dataset"
            )
        try:
            carried = loads_strict(metadata[key])
        except ValueError:
            carried = None
        differ = _differences(carried, json.loads(value), "")
        if differ:
            return file, bounded(
                f"its parquet metadata {_shown_key(key)!r} differs from the declared features at "
                f"{differ[0]}: rebuild the dataset"
            )
    return None


def _counted_samples(manifest: Mapping[str, Any], file: str) -> object:
    """The ``samples`` the manifest counts for the split whose data file is ``file``."""
    configs = manifest.get("configs")
    for config, splits in configs.items() if isinstance(configs, Mapping) else ():
        for split, info in splits.items() if isinstance(splits, Mapping) else ():
            if split_file(config, split) == file and isinstance(info, Mapping):
                return info.get("samples")
    return None


def _manifest_problem(carried: bytes | None, manifest: Mapping[str, Any], file: str) -> str | None:
    """Why the copy of the manifest a data file carries disagrees with ``manifest``."""
    if carried == _canonical(bound_part(manifest)):
        return None
    try:
        fields = loads_strict(carried) if carried is not None else None
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return (
            f"{file} carries no readable copy of the manifest: not built by this sgbench "
            "(rebuild the dataset)"
        )
    if set(fields) <= set(LEGACY_BOUND_FIELDS) and all(
        name in manifest and _canonical(manifest[name]) == _canonical(value)
        for name, value in fields.items()
    ):
        return (
            f"{file} carries only {', '.join(sorted(fields))} of the manifest: it was "
            "built by an older sgbench; rebuild the dataset"
        )
    differing = _differences(fields, bound_part(manifest), "") or ["(the whole manifest)"]
    others = (
        f" (and {len(differing) - 1} more field(s): {', '.join(differing[1:4])})"
        if len(differing) > 1
        else ""
    )
    return (
        f"{differing[0]}: differs from the copy {file} carries: the manifest was edited after "
        f"the build{others}"
    )


CARD_KEY: Final = "card"
"""Manifest key holding the dataset card's ``sha256`` and ``size``."""


def recorded(manifest: Mapping[str, Any], relative: str) -> tuple[str, object, object]:
    """Where ``manifest`` records a built file (``files`` for a data file, ``card`` for the
    card), and the sha256 and size in bytes it records for ``relative`` (None when absent)."""
    if relative == CARD_FILE:
        card = manifest.get(CARD_KEY)
        card = card if isinstance(card, Mapping) else {}
        return CARD_KEY, card.get("sha256"), card.get("size")
    files, sizes = manifest.get("files"), manifest.get("sizes")
    return (
        "files",
        files.get(relative) if isinstance(files, Mapping) else None,
        sizes.get(relative) if isinstance(sizes, Mapping) else None,
    )


def recorded_problem(
    root: Path, relative: str, manifest: Mapping[str, Any]
) -> tuple[Path, str] | None:
    """Why the file ``relative`` of the dataset folder ``root`` is not the one ``manifest``
    records: the path the problem is about and one line (without that path); None when it is.
    The one rule of :class:`BuiltDataset` and ``sgbench validate`` for every built file.

    The size is compared before the sha256, with one ``stat``: a data file swapped for an 8 GB
    sparse file was hashed in full (37 s) before being refused, by every command that opened
    the dataset. A manifest that records no size is refused (rebuild) rather than hashed
    anyway: deleting ``sizes`` from a manifest would otherwise bring that read back.
    """
    from sgbench.files import input_problem, sha256_file

    manifest_path = root / MANIFEST_FILE
    key, sha256, size = recorded(manifest, relative)
    if not isinstance(sha256, str):
        return manifest_path, (
            f"{key}: no sha256 for {relative}; a manifest without complete hashes cannot be "
            "checked (rebuild the dataset)"
        )
    if isinstance(size, bool) or not isinstance(size, int | float):
        where = CARD_KEY if key == CARD_KEY else "sizes"
        return manifest_path, (
            f"{where}: no size for {relative}: written by an sgbench that recorded no sizes, "
            "so the file cannot be checked without reading all of it (rebuild the dataset)"
        )
    path = root / relative
    problem = input_problem(path)
    if problem is not None:
        return path, f"{problem} (listed in {MANIFEST_FILE})"
    try:
        actual_size = path.stat().st_size
    except OSError as exc:
        return path, f"cannot be read ({exc.strerror})"
    if actual_size != size:
        return path, (
            f"{actual_size} bytes, {MANIFEST_FILE} records {size:.0f}: the dataset folder was "
            "changed after it was built"
        )
    try:
        actual = sha256_file(path)
    except OSError as exc:
        return path, f"cannot be read ({exc.strerror})"
    if actual != sha256:
        return path, (
            f"sha256 {actual} differs from {MANIFEST_FILE} ({sha256}): the dataset folder was "
            "changed after it was built"
        )
    return None


@public_class
@dataclass(frozen=True)
class Manifest:
    """A dataset's ``manifest.json``, checked against ``manifest.schema.json``; read-only (its
    mappings are read-only copies, :func:`sgbench.boundary.read_only`)."""

    name: str
    version: str
    synthetic: bool
    """True for a build from SYNTHETIC data (not WVS data)."""
    attributes: tuple[str, ...]
    """Attribute names in display order."""
    configs: Mapping[str, tuple[str, ...]]
    """Config → its splits, as built (``temporal`` only in multi-wave builds)."""
    files: Mapping[str, str]
    """Relative path of each data file → its sha256."""
    raw: Mapping[str, Any] = field(repr=False)
    """The whole manifest as read (keys this class does not type included)."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any], where: PathArg) -> Manifest:
        """Check ``raw`` against the schema and type it.

        Raises:
            InputError: ``WHERE: JSON_PATH: message`` for the first schema problem (and a count
                of the others).
        """
        problems = manifest_problems(raw)
        if problems:
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise InputError(f"{where}: {problems[0]}{more}")
        return cls(
            name=raw["name"],
            version=raw["version"],
            synthetic=raw["synthetic"],
            attributes=tuple(raw["attributes"]),
            configs={c: tuple(splits) for c, splits in raw["configs"].items()},
            files=dict(raw["files"]),
            raw=raw,
        )

    def __post_init__(self) -> None:
        # One source for each fact: the typed fields are raw's, which the data files' binding
        # is checked against. A Manifest made directly with a raw lacking them was a KeyError
        # at the first read, and one naming another dataset passed every check.
        raw = read_only(self.raw)
        typed = (self.name, self.version, self.synthetic, self.attributes)
        if (
            not isinstance(raw.get("attributes"), Mapping | list | tuple)
            or typed
            != (
                raw.get("name"),
                raw.get("version"),
                raw.get("synthetic"),
                tuple(raw["attributes"]),
            )
            or dict(self.files) != dict(raw.get("files") or {})
            or set(self.configs) != set(raw.get("configs") or {})
        ):
            raise InputError(
                "Manifest(): its fields disagree with raw, the manifest they are read from; "
                "make one with Manifest.parse(raw, where)"
            )
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "configs", MappingProxyType(dict(self.configs)))
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    def get(self, key: str, default: Any = None) -> Any:
        """A top-level manifest value, as ``dict.get`` (for keys this class does not type)."""
        return self.raw.get(key, default)


EARLIER_WAVE_SUFFIX: Final = "@w[0-9]+$"
"""What ends the id of an earlier wave's sample (the builder's ``id_suffix``)."""
ID_FORM: Final = "<question_id>/<subgroup_id> (then @w<wave> for an earlier wave)"

COUNT_BOUND: Final = 10**9
"""A row's answer counts and ``n_valid`` are below this: more answers than any survey holds, and
the first number numpy's hypergeometric sampler (the null of ``sgbench stats``) refuses."""

DISTRIBUTION_TOLERANCE: Final = 1e-6
"""How far from 1 a distribution's sum may be (dataset rows and predicted distributions)."""

QUESTION_FIELDS: Final = ("question", "section", "scale_type", "options")
"""The fields of a row that belong to its question: equal in every row of it, in every split of
a config."""

SUBGROUP_FIELDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("persona", ("subgroup_id",)),
    ("subgroup_size", ("subgroup_id", "wave")),
    ("train_overlap", ("subgroup_id", "wave")),
    ("year", ("wave", "country")),
)
"""The fields of a row that belong to its subgroup (or its wave and country), each with what
it belongs to: equal in every row of that, in every split of a config
(:func:`subgroup_problem`)."""

ROW_COLUMNS: Final = tuple(
    dict.fromkeys(("id", "question_id", "subgroup_id", *SAMPLE_SCHEMA["required"]))
)
"""The columns the row rule (:func:`row_problems`) reads: every column of the sample schema,
the id columns first."""

MODE_TOLERANCE: Final = 1e-9
"""How far below its row's top share a code of ``modal_answers`` may be (the builder ties shares
within :data:`TIE_TOLERANCE`)."""

TIE_TOLERANCE: Final = 1e-12
"""Shares closer than this to a row's top share are tied modes: the builder lists every such
code in ``modal_answers`` and no other, and the row rule holds a row to exactly that set
(weights make exact ties rare, but unweighted shares tie exactly and must not be split by
rounding noise)."""


def row_error(where: PathArg, ids: Any, bad: npt.NDArray[np.bool_], what: str) -> str:
    """The one-line message naming the file, the first of the ``bad`` rows (by number and id)
    and ``what`` is wrong with it."""
    return f"{where}: {_row_message(ids, bad, what)}"


def _row_message(ids: Any, bad: npt.NDArray[np.bool_], what: str) -> str:
    i = int(np.flatnonzero(bad)[0])
    shown = f" (id {ids[i].as_py()!r})" if ids is not None else ""
    return f"row {i + 1}{shown}: {what}; {int(bad.sum())} row(s) affected; rebuild the dataset"


def _threshold(manifest: Mapping[str, Any], name: str) -> int:
    """A build threshold of the manifest (1 when it records none as a whole number)."""
    value = manifest.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 1 else 1


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def build_waves(manifest: Mapping[str, Any]) -> tuple[int, tuple[int, ...]] | None:
    """The latest wave of a build (``built_from.wave``) and every wave it holds (with
    ``earlier_waves``), sorted; None when the manifest names no latest wave."""
    built = manifest.get("built_from")
    latest = built.get("wave") if isinstance(built, Mapping) else None
    if not _whole(latest):
        return None
    earlier = manifest.get("earlier_waves")
    waves: set[int] = {latest} | {
        e["wave"]
        for e in (earlier if isinstance(earlier, list) else [])
        if isinstance(e, Mapping) and _whole(e.get("wave"))
    }
    return latest, tuple(sorted(waves))


def _expected_ids(table: pa.Table, latest: int | None) -> pa.Array:
    """The id of each row of ``table`` as the builder makes it (:func:`~sgbench.schema.ids.
    id_suffix`) from its ``question_id``, ``subgroup_id`` and ``wave``.

    Without the build's latest wave (a manifest naming none) an id may end in its own row's
    ``@w<wave>`` or in nothing; without a ``wave`` column, in any ``@w<wave>``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = table.column("id").combine_chunks()
    joined = pc.binary_join_element_wise(
        table.column("question_id").combine_chunks(),
        table.column("subgroup_id").combine_chunks(),
        "/",
    )
    if "wave" not in table.column_names:
        stem = pc.replace_substring_regex(ids, pattern=EARLIER_WAVE_SUFFIX, replacement="")
        return pc.if_else(pc.equal(stem, joined), ids, joined)
    wave = np.asarray(table.column("wave").to_numpy(zero_copy_only=False), dtype=np.int64)
    if latest is None:
        suffix = pc.binary_join_element_wise("@w", pc.cast(pa.array(wave), pa.string()), "")
        earlier = pc.binary_join_element_wise(joined, suffix, "")
        return pc.if_else(pc.equal(ids, earlier), ids, joined)
    # One suffix per distinct wave (a build has a few), by the builder's own function.
    distinct = np.unique(wave)
    suffixes = pa.array([id_suffix(int(w), latest) for w in distinct], pa.string())
    suffix = suffixes.take(pa.array(np.searchsorted(distinct, wave)))
    return pc.binary_join_element_wise(joined, suffix, "")


def _codes(
    columns: Sequence[pa.Array | pa.ChunkedArray], n: int
) -> tuple[npt.NDArray[np.int64], int]:
    """One number per row of ``n``, equal exactly where every column is (dictionary indices, a
    null its own value), and a bound every number is below: rows grouped by numbers, not Python
    objects. The numbers stay within a few times ``n`` (renumbered densely, a sort, only when
    they would not), so a group's rows are found by indexing, not by sorting."""
    import pyarrow as pa
    import pyarrow.compute as pc

    key = np.zeros(n, dtype=np.int64)
    size = 1
    for column in columns:
        whole = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        encoded = pc.dictionary_encode(whole)
        codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(False), np.int64) + 1
        width = len(encoded.dictionary) + 1
        key = key * width + codes
        size *= width
        if size > 4 * n + 4096:
            key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
            size = int(key.max()) + 1 if n else 1
    return key, size


def _first_rows(key: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.int64]:
    """The first row holding each number below ``size`` (-1 where none does)."""
    first = np.full(size, -1, dtype=np.int64)
    rows = np.arange(len(key), dtype=np.int64)
    first[key[::-1]] = rows[::-1]  # assigned last to first: the first row's is kept
    return first


def _distinct(
    columns: Sequence[pa.Array | pa.ChunkedArray], n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The first row of each distinct combination of ``columns``' values, and each row's
    combination (an index into the first)."""
    key, size = _codes(columns, n)
    first = _first_rows(key, size)
    present = first >= 0
    return first[present], (np.cumsum(present) - 1)[key].astype(np.int64)


def _uneven(
    keys: Sequence[pa.Array | pa.ChunkedArray], values: pa.Array | pa.ChunkedArray, n: int
) -> npt.NDArray[np.bool_]:
    """Rows of a group (equal ``keys``) whose ``values`` are not one value (null one of them):
    every row of such a group, so the first row named is the group's first, whichever differs."""
    group, size = _codes(keys, n)
    value = _codes([values], n)[0]
    differs = value != value[_first_rows(group, size)[group]]
    return np.asarray((np.bincount(group[differs], minlength=size) > 0)[group], dtype=bool)


def _misnamed_subgroups(table: pa.Table) -> npt.NDArray[np.bool_]:
    """Rows whose ``subgroup_id`` is not the id of their ``subgroup`` values
    (:func:`~sgbench.schema.ids.names_subgroup`, parts in any order).

    Samples are grouped by ``subgroup_id`` but described by ``subgroup`` (the persona prompt,
    the attribute figures): a re-hashed split whose two disagreed scored one age group's samples
    under another's, and ``prompts`` said "aged 25-34" for a 16-24 id, with exit code 0. Checked
    once per distinct pair (a few hundred), found by integer codes (dictionary indices, a null
    value its own code), not per row.
    """
    n = table.num_rows
    subgroup = table.column("subgroup").combine_chunks()
    columns = [table.column("subgroup_id").combine_chunks()]
    columns += [subgroup.field(i) for i in range(subgroup.type.num_fields)]
    first, pair = _distinct(columns, n)
    names = [field.name for field in subgroup.type]
    firsts = table.select(["subgroup_id", "subgroup"]).take(first).to_pylist()
    wrong = np.array(
        [
            not names_subgroup(
                row["subgroup_id"], {name: row["subgroup"].get(name) for name in names}
            )
            for row in firsts
        ],
        dtype=bool,
    )
    return np.asarray(wrong[pair], dtype=bool) if n else np.zeros(0, dtype=bool)


OVERLAP_RECORD_TOLERANCE: Final = 1e-6
"""How far a row's ``train_overlap`` may be from the manifest's record of it (rounded to six
decimals by the builder)."""


def _misfiled_strata(table: pa.Table, manifest: Mapping[str, Any]) -> npt.NDArray[np.bool_]:
    """Rows whose ``stratum`` is not the stratum of their ``subgroup_id``: the manifest's
    stratum of the id's attributes (:func:`~sgbench.schema.ids.stratum_name`), or, with no
    ``strata`` recorded, the attributes in the id's order (the builder's).

    ``score`` reports by stratum: a row of an age × religion subgroup filed under ``sex`` added
    a ``sex`` row to ``by_stratum``, with exit code 0. Checked once per distinct pair.
    """
    n = table.num_rows
    strata = manifest.get("strata")
    known = (
        {frozenset(s): stratum_name(s) for s in strata if isinstance(s, list)}
        if isinstance(strata, list)
        else None
    )
    first, pair = _distinct([table.column("subgroup_id"), table.column("stratum")], n)
    wrong = []
    for row in table.select(["subgroup_id", "stratum"]).take(first).to_pylist():
        attributes = [part.split("=", 1)[0] for part in row["subgroup_id"].split("&")]
        expected = stratum_name(attributes) if known is None else known.get(frozenset(attributes))
        wrong.append(row["stratum"] != expected)
    return np.asarray(np.array(wrong, dtype=bool)[pair], dtype=bool) if n else np.zeros(0, bool)


def recorded_phrases(manifest: Mapping[str, Any]) -> dict[str, dict[str, PersonaPhrase]] | None:
    """Attribute → value label → the persona phrase the manifest records for it
    (``attributes.<name>.persona``; an attribute recording none has none), or None when no
    attribute records one: a dataset built before sgbench recorded them, whose personas the
    row rule checks only against each other (:func:`subgroup_problem`)."""
    attributes = manifest.get("attributes")
    if not isinstance(attributes, Mapping):
        return None
    recorded = {
        name: {
            label: PersonaPhrase(role=p["role"], phrase=p["phrase"])
            for label, p in spec["persona"].items()
            if isinstance(p, Mapping) and {"role", "phrase"} <= set(p)
        }
        for name, spec in attributes.items()
        if isinstance(spec, Mapping) and isinstance(spec.get("persona"), Mapping)
    }
    return {name: recorded.get(name, {}) for name in attributes} if recorded else None


def recorded_text_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Every recorded text of a schema-valid ``manifest`` that the build config's text rules
    refuse, as ``JSON_PATH: why``: each attribute's name and persona labels and phrases
    (``attributes.<name>.persona``) and ``built_from.country_name``, by the config loader's
    rules (:func:`~sgbench.schema.persona.text_problem`,
    :func:`~sgbench.schema.persona.phrase_problem`,
    :func:`~sgbench.catalogue.country_name_problem` against ``built_from.country``).

    The row rule recomputes every persona from these texts (:func:`_misworded_personas`), so a
    forger editing a phrase and every row's persona alike passed it: a bidirectional control, a
    newline or 200,000 characters in every prompt, or personas living in another country than
    their respondents, none of which a build writes.
    """
    from sgbench.catalogue import country_name_problem

    problems: list[str] = []

    def check(text: str, path: str, phrase: bool) -> None:
        problem = text_problem(text) or (phrase_problem(text) if phrase else None)
        if problem is not None:
            problems.append(f"{path}: {problem}")

    attributes = manifest.get("attributes")
    for name, spec in attributes.items() if isinstance(attributes, Mapping) else ():
        check(str(name), f"attributes.{name}", False)
        persona = spec.get("persona") if isinstance(spec, Mapping) else None
        for label, entry in persona.items() if isinstance(persona, Mapping) else ():
            check(str(label), f"attributes.{name}.persona.{label}", False)
            if isinstance(entry, Mapping) and isinstance(entry.get("phrase"), str):
                check(entry["phrase"], f"attributes.{name}.persona.{label}.phrase", True)
    built = manifest.get("built_from")
    name = built.get("country_name") if isinstance(built, Mapping) else None
    if isinstance(built, Mapping) and isinstance(name, str):
        before = len(problems)
        check(name, "built_from.country_name", True)
        country = built.get("country")
        if len(problems) == before and isinstance(country, str):
            problem = country_name_problem(name, country, "built_from.country")
            if problem is not None:
                problems.append(f"built_from.country_name: {problem}")
    return problems


def _misworded_personas(
    table: pa.Table, phrases: Mapping[str, Mapping[str, PersonaPhrase]], country_name: str
) -> tuple[npt.NDArray[np.bool_], str]:
    """Rows whose ``persona`` is not the builder's sentence (:func:`~sgbench.schema.persona.
    persona_sentence`) of their ``subgroup`` values' recorded phrases, in the order of their
    ``subgroup_id`` (the stratum's, as the builder writes both), living in ``country_name``
    unless a value's phrase is a place; and the builder's persona of the first such row.

    A persona rewritten in every row of its subgroup ("a Malay Muslim (always answer 1)
    woman ...") kept every other rule. A value without a recorded phrase makes no persona: its
    rows are refused. Computed once per distinct (subgroup_id, subgroup, persona), not per row.
    """
    n = table.num_rows
    subgroup = table.column("subgroup").combine_chunks()
    columns = [table.column("subgroup_id").combine_chunks(), table.column("persona")]
    columns += [subgroup.field(i) for i in range(subgroup.type.num_fields)]
    first, group = _distinct(columns, n)
    expected: list[str | None] = []
    for row in table.select(["subgroup_id", "subgroup"]).take(first).to_pylist():
        names = [part.split("=", 1)[0] for part in row["subgroup_id"].split("&")]
        values = row["subgroup"] or {}
        found = [phrases.get(name, {}).get(str(values.get(name) or "")) for name in names]
        given = [p for p in found if p is not None]
        sentence = persona_sentence(given, country_name) if len(given) == len(found) else None
        expected.append(sentence)
    personas = table.column("persona").take(first).to_pylist()
    wrong = np.array([e != p for e, p in zip(expected, personas, strict=True)], dtype=bool)
    at = np.flatnonzero(wrong)
    shown = expected[int(at[0])] if len(at) else ""
    what = (
        "persona is not the builder's: a value of the row's subgroup has no persona phrase"
        if shown is None
        else f"persona is not {shown!r}, the one the builder makes of the row's subgroup values"
    )
    bad = np.asarray(wrong[group], dtype=bool) if n else np.zeros(0, dtype=bool)
    return bad, what + " (the manifest's attributes.<name>.persona and built_from.country_name)"


def _wave_years(manifest: Mapping[str, Any]) -> dict[int, set[int]]:
    """Wave → the survey years the manifest records for it (``built_from`` for the latest,
    ``earlier_waves`` for the others); a wave without a record is absent."""
    years: dict[int, set[int]] = {}
    built = manifest.get("built_from")
    earlier = manifest.get("earlier_waves")
    records = [built] if isinstance(built, Mapping) else []
    records += [e for e in earlier if isinstance(e, Mapping)] if isinstance(earlier, list) else []
    for record in records:
        wave, year = record.get("wave"), record.get("year")
        listed = [year] if _whole(year) else year if isinstance(year, list) else None
        if _whole(wave) and listed is not None and all(_whole(y) for y in listed):
            years[wave] = set(listed)
    return years


def _place_problems(
    table: pa.Table, manifest: Mapping[str, Any]
) -> Iterator[tuple[npt.NDArray[np.bool_], str]]:
    """``country`` is the build's (its subgroup's ``country`` value in a build across
    countries, where ``country`` is an attribute), and a ``year`` given is one the manifest
    records for the row's wave."""
    import pyarrow.compute as pc

    names = set(table.column_names)
    attributes = manifest.get("attributes")
    built = manifest.get("built_from")
    if "country" in names:
        country = table.column("country")
        if isinstance(attributes, Mapping) and "country" in attributes:
            if (
                "subgroup" in names
                and table.schema.field("subgroup").type.get_field_index("country") >= 0
            ):
                own = pc.struct_field(table.column("subgroup"), "country")
                same = pc.fill_null(pc.equal(country, own), False)
                yield (
                    ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool),
                    "country is not the row's subgroup value of country",
                )
        elif isinstance(built, Mapping) and isinstance(built.get("country"), str):
            same = pc.fill_null(pc.equal(country, built["country"]), False)
            yield (
                ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool),
                f"country is not the build's, {built['country']!r} (the manifest's "
                "built_from.country)",
            )
    years = _wave_years(manifest)
    if {"year", "wave"} <= names and years:
        column = table.column("year")
        given = np.asarray(pc.is_valid(column).to_numpy(zero_copy_only=False), dtype=bool)
        year = np.asarray(column.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        wave = np.asarray(table.column("wave").to_numpy(zero_copy_only=False), dtype=np.int64)
        bad = np.zeros(table.num_rows, dtype=bool)
        for w, listed in years.items():
            bad |= (wave == w) & given & ~np.isin(year, sorted(listed))
        yield (
            bad,
            "year is not one the manifest records for the row's wave (built_from.year, "
            + ("earlier_waves)"),
        )


def _overlap_problems(
    table: pa.Table, manifest: Mapping[str, Any]
) -> Iterator[tuple[npt.NDArray[np.bool_], str]]:
    """``train_overlap`` (when given) is 1 for a subgroup of a training stratum (it overlaps
    itself) and, for a held-out subgroup of the latest wave, the Jaccard the manifest records
    (``train_overlap``, rounded to six decimals). The scorer bands OOD samples by it. Checked
    once per distinct (subgroup, stratum, wave, value)."""
    n = table.num_rows
    splits = manifest.get("splits")
    training = splits.get("in_distribution_strata") if isinstance(splits, Mapping) else None
    held_out = splits.get("ood_strata") if isinstance(splits, Mapping) else None
    recorded = manifest.get("train_overlap")
    waves = build_waves(manifest)
    columns = ["subgroup_id", "stratum", "wave", "train_overlap"]
    first, group = _distinct([table.column(c) for c in columns], n)
    not_one, not_recorded = [], []
    for row in table.select(columns).take(first).to_pylist():
        value = row["train_overlap"]
        not_one.append(
            value is not None
            and isinstance(training, list)
            and row["stratum"] in training
            and value != 1.0
        )
        record = recorded.get(row["subgroup_id"]) if isinstance(recorded, Mapping) else None
        jaccard = record.get("jaccard") if isinstance(record, Mapping) else None
        not_recorded.append(
            value is not None
            and isinstance(held_out, list)
            and row["stratum"] in held_out
            and waves is not None
            and row["wave"] == waves[0]
            and isinstance(jaccard, int | float)
            and not abs(value - jaccard) <= OVERLAP_RECORD_TOLERANCE
        )
    for wrong, what in (
        (not_one, "train_overlap of a training subgroup is not 1"),
        (not_recorded, "train_overlap is not the manifest's for the subgroup (train_overlap)"),
    ):
        yield (
            np.asarray(np.array(wrong, dtype=bool)[group], dtype=bool) if n else np.zeros(0, bool),
            what,
        )


def row_problems(
    table: pa.Table, manifest: Mapping[str, Any]
) -> Iterator[tuple[npt.NDArray[np.bool_], str]]:
    """The row rule: each ``(bad rows, what is wrong)`` of one split, for the columns of
    :data:`ROW_COLUMNS` that ``table`` has, in the order shown (a caller names the first).

    Vectorised over the table (list values flattened with their row numbers), so a split of
    millions of rows costs a few passes of numpy. Every reader of a dataset applies it through
    :meth:`BuiltDataset.table`, and ``sgbench validate`` reports it: ``stats`` crashed on a count
    of 10⁹ and published a margin of 1e308 or an ``n_valid`` of -5, with exit code 0.
    """
    import pyarrow.compute as pc

    n = table.num_rows
    names = set(table.column_names)

    def numbers(column: str) -> npt.NDArray[Any]:
        return np.asarray(table.column(column).to_numpy(zero_copy_only=False))

    nulls = False
    for column in NO_NULLS:
        if column in names:
            array = table.column(column).combine_chunks()
            bad = null_rows(array, NULLABLE_FIELDS.get(column, ()))
            nulls |= bool(bad.any())
            yield bad, f"{column} is null (or holds a null)"
    if nulls:
        return  # every check below would read the null as some value
    # Stronger than the schema's minimum of 1: the manifest's thresholds (below).
    least = {"n_valid": "min_valid_answers", "subgroup_size": "min_subgroup_size"}
    if "scale_type" in names:
        scale = table.column("scale_type").to_numpy()
        yield ~np.isin(scale, SCALE_TYPES), f"scale_type not one of {SCALE_TYPES}"
    for column in ROW_COLUMNS:
        declared = SAMPLE_SCHEMA["properties"][column]
        if column not in names:
            continue
        if "pattern" in declared:
            # RE2's $ is the end of the text, as the schema's (ECMA-262) $.
            pattern = declared["pattern"]
            matches = pc.match_substring_regex(table.column(column), pattern)
            yield ~matches.to_numpy(zero_copy_only=False), f"{column} does not match {pattern}"
        if "minLength" in declared:
            text = pc.utf8_trim_whitespace(table.column(column))
            yield pc.equal(text, "").to_numpy(zero_copy_only=False), f"{column} is empty"
        if "minimum" in declared and _types(declared) == ("integer",) and column not in least:
            low = declared["minimum"]
            yield numbers(column) < low, f"{column} below {low}"
    if "subgroup_id" in names and "subgroup" in names:
        yield _misnamed_subgroups(table), '"subgroup_id" does not name the row\'s "subgroup"'
    if {"subgroup_id", "stratum"} <= names:
        yield (
            _misfiled_strata(table, manifest),
            "stratum is not the one of the row's subgroup_id (its attributes, as in the "
            "manifest's strata)",
        )
    phrases = recorded_phrases(manifest)
    built = manifest.get("built_from")
    country_name = built.get("country_name") if isinstance(built, Mapping) else None
    if (
        {"subgroup_id", "subgroup", "persona"} <= names
        and phrases
        and isinstance(country_name, str)
    ):
        yield _misworded_personas(table, phrases, country_name)
    yield from _place_problems(table, manifest)
    waves = build_waves(manifest)
    if "wave" in names and waves is not None:
        yield (
            ~np.isin(numbers("wave"), waves[1]),
            f"wave is not one of the build's waves {list(waves[1])} (the manifest's built_from "
            "and earlier_waves)",
        )
    if {"id", "question_id", "subgroup_id"} <= names:
        # The id is how a prediction finds its sample, and question_id/subgroup_id how it is
        # grouped: a row whose id names another question, subgroup or wave would score one
        # against the other.
        expected = _expected_ids(table, None if waves is None else waves[0])
        same = np.asarray(pc.equal(table.column("id"), expected).to_numpy(False), dtype=bool)
        yield ~same, f"id is not {ID_FORM} of the row's question_id, subgroup_id and wave"
    k = None
    if "options" in names:
        k = np.asarray(pc.list_value_length(table.column("options")).to_numpy(), dtype=np.int64)
        yield k < 2, "an item needs at least two options"
    lists: dict[str, tuple[npt.NDArray[Any], npt.NDArray[np.int64]]] = {}
    for column in ("counts", "distribution"):
        if column not in names:
            continue
        array = table.column(column).combine_chunks()
        lengths = np.asarray(pc.list_value_length(array).to_numpy(), dtype=np.int64)
        if k is not None:
            yield lengths != k, f"{column} does not align with options"
        values = np.asarray(array.flatten().to_numpy(zero_copy_only=False))
        lists[column] = (values, np.repeat(np.arange(n), lengths))
    sums: dict[str, npt.NDArray[np.float64]] = {}
    for column, (values, row) in lists.items():
        if column == "counts":
            outside = (values < 0) | (values >= COUNT_BOUND)
            what = f"a negative count, or one of {COUNT_BOUND:,} or more"
        else:
            outside = ~((values >= 0) & (values <= 1))  # NaN compares False: caught
            what = "bad distribution (not finite shares summing to 1)"
        yield np.bincount(row[outside], minlength=n) > 0, what
        sums[column] = np.asarray(
            np.bincount(row, weights=values.astype(np.float64), minlength=n), dtype=np.float64
        )
    if "distribution" in sums:
        off = ~(np.abs(sums["distribution"] - 1.0) <= DISTRIBUTION_TOLERANCE)
        yield off, "bad distribution (not finite shares summing to 1)"
    for column, threshold in least.items():
        if column in names:
            low = _threshold(manifest, threshold)
            value = numbers(column)
            yield (
                (value < low) | (value >= COUNT_BOUND),
                f"{column} below {low} (the manifest's {threshold}) or {COUNT_BOUND:,} or more",
            )
    if "n_valid" in names and "counts" in sums:
        # Counts are below COUNT_BOUND and few per row here: their float sum is exact.
        yield sums["counts"] != numbers("n_valid"), "counts do not sum to n_valid"
    if {"n_valid", "subgroup_size"} <= names:
        yield numbers("n_valid") > numbers("subgroup_size"), "n_valid exceeds subgroup_size"
    if {"options", "answer", "modal_answers"} <= names and k is not None:
        yield from _answer_problems(table, k, lists.get("distribution"))
    if "margin" in names:
        margin = numbers("margin").astype(np.float64)
        yield ~((margin >= 0) & (margin <= 1)), "margin is not a share from 0 to 1"
        if "distribution" in lists:
            yield (
                _margin_off(margin, *lists["distribution"]),
                ("margin is not the top share minus the second of distribution"),
            )
    for column in ("mode_stability", "train_overlap"):
        if column in names:
            # A null is "not known" (files of older builds); a value given is a share.
            values = table.column(column)
            given = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False))
            share = np.asarray(values.fill_null(0.5).to_numpy(zero_copy_only=False), np.float64)
            yield given & ~((share >= 0) & (share <= 1)), f"{column} is not a share from 0 to 1"
    if {"train_overlap", "stratum", "subgroup_id", "wave"} <= names:
        yield from _overlap_problems(table, manifest)
    yield from _target_problems(table, manifest, k, lists)


def _margin_off(
    margin: npt.NDArray[np.float64], shares: npt.NDArray[Any], row: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Rows whose ``margin`` is not their top share minus their second (the builder writes 0 for
    a tie, within 1e-12: inside :data:`MODE_TOLERANCE`); rows of fewer than two shares are the
    options rule's."""
    n = len(margin)
    k = np.bincount(row, minlength=n)
    starts = np.cumsum(k) - k
    # Rows as a padded (N, K) grid, then the builder's own pass over the columns: a sort of the
    # flattened shares cost 0.8 s on half a million rows, this a tenth of it.
    grid = np.full((int(k.max()) if n else 0, n), -np.inf)  # position j of every row: contiguous
    grid.reshape(-1)[(np.arange(len(row)) - starts[row]) * n + row] = shares
    top = np.full(n, -np.inf)
    second = np.full(n, -np.inf)
    for column in grid:
        second = np.maximum(second, np.minimum(top, column))
        top = np.maximum(top, column)
    off: npt.NDArray[np.bool_] = (k >= 2) & ~(np.abs(margin - (top - second)) <= MODE_TOLERANCE)
    return off


def _answer_problems(
    table: pa.Table,
    k: npt.NDArray[np.int64],
    distribution: tuple[npt.NDArray[Any], npt.NDArray[np.int64]] | None,
) -> Iterator[tuple[npt.NDArray[np.bool_], str]]:
    """The row rule for option codes, ``answer`` and ``modal_answers`` (what the builder
    writes): a row's option codes differ, the modal codes are codes of the row's options, at
    least one, each once and with the row's top share (within :data:`MODE_TOLERANCE`), and
    ``answer`` is the first of them (scale order)."""
    import pyarrow.compute as pc

    n = table.num_rows
    options = table.column("options").combine_chunks()
    codes = np.asarray(options.flatten().field("code").to_numpy(zero_copy_only=False), np.int64)
    option_row = np.repeat(np.arange(n), k)
    modal = table.column("modal_answers").combine_chunks()
    m = np.asarray(pc.list_value_length(modal).to_numpy(), dtype=np.int64)
    modal_codes = np.asarray(modal.flatten().to_numpy(zero_copy_only=False), np.int64)
    modal_row = np.repeat(np.arange(n), m)
    answer = np.asarray(table.column("answer").to_numpy(zero_copy_only=False), np.int64)
    # (row, code) as one sortable key: a code is found among its own row's options only.
    option_key = (option_row << 32) | (codes & 0xFFFFFFFF)
    order = np.argsort(option_key, kind="stable")
    sorted_keys = option_key[order]

    def position(rows: npt.NDArray[np.int64], wanted: npt.NDArray[np.int64]) -> Any:
        """Flat option position of each (row, code), -1 where the row has no such option."""
        key = (rows << 32) | (wanted & 0xFFFFFFFF)
        at = np.minimum(np.searchsorted(sorted_keys, key), max(len(sorted_keys) - 1, 0))
        found = (sorted_keys[at] == key) if len(sorted_keys) else np.zeros(len(key), bool)
        return np.where(found, order[at] if len(order) else 0, -1)

    # An answer and a prediction are codes: two options of one code are one answer for two.
    again = sorted_keys[1:][sorted_keys[1:] == sorted_keys[:-1]] >> 32
    yield np.bincount(again, minlength=n) > 0, "duplicate option codes"
    yield position(np.arange(n), answer) < 0, "answer is not one of the row's option codes"
    where = position(modal_row, modal_codes)
    yield (
        (m < 1) | (np.bincount(modal_row[where < 0], minlength=n) > 0),
        "modal_answers empty or not codes of the row's options",
    )
    # The tied codes, each once: the scorer counts a listed code twice as two modes.
    listed = np.sort((modal_row << 32) | (modal_codes & 0xFFFFFFFF))
    again = listed[1:][listed[1:] == listed[:-1]] >> 32
    yield np.bincount(again, minlength=n) > 0, "modal_answers lists a code twice"
    first = np.full(n, -1, dtype=np.int64)
    starts = np.cumsum(m) - m
    has = m > 0
    first[has] = modal_codes[starts[has]]
    yield answer != first, "answer is not the first of modal_answers"
    if distribution is None or not np.array_equal(distribution[1], option_row):
        return  # distribution not aligned with options: named above
    shares = distribution[0].astype(np.float64)
    top = np.full(n, -np.inf)
    np.maximum.at(top, option_row, shares)
    known = where >= 0
    below = shares[where[known]] < top[modal_row[known]] - MODE_TOLERANCE
    yield (
        np.bincount(modal_row[known][below], minlength=n) > 0,
        "a code of modal_answers does not have the row's top share",
    )


def _target_problems(
    table: pa.Table,
    manifest: Mapping[str, Any],
    k: npt.NDArray[np.int64] | None,
    lists: Mapping[str, tuple[npt.NDArray[Any], npt.NDArray[np.int64]]],
) -> Iterator[tuple[npt.NDArray[np.bool_], str]]:
    """The row rule for the targets the builder derives from a pair's answers, as far as the
    row itself can tell: an option's share is 0 exactly when its count is (every kept
    respondent's weight is positive, :data:`~sgbench.builder.harmonise.WEIGHT_RANGE`), on an
    unweighted build (the manifest's ``weight`` null) every share is its count over ``n_valid``,
    ``modal_answers`` is every code within :data:`TIE_TOLERANCE` of the row's top share, and a
    column the manifest records how it was computed (``mode_stability``, ``train_overlap``) is
    null in no row: only older builds, which record neither, leave them unknown.

    A zero count held the top share and a 4-way tie listed one mode, both with exit code 0; a
    null ``mode_stability`` in one row made ``score`` drop the clear-target basis for all.
    """
    import pyarrow.compute as pc

    n = table.num_rows
    names = set(table.column_names)
    for column in LEGACY_NULLS:
        if column in names and isinstance(manifest.get(column), Mapping):
            yield (
                np.asarray(pc.is_null(table.column(column)).to_numpy(zero_copy_only=False)),
                f"{column} is null, but the manifest records its {column} (a build gives every "
                "row one)",
            )
    if "counts" in lists and "distribution" in lists:
        (counts, row), (shares, share_row) = lists["counts"], lists["distribution"]
        if np.array_equal(row, share_row):
            zero = (counts == 0) != (shares == 0)
            yield (
                np.bincount(row[zero], minlength=n) > 0,
                "an option's share and count are not both 0 or both above 0 (a share is that "
                "of the respondents who gave the answer)",
            )
            if manifest.get("weight", "") is None:
                valid = np.bincount(row, weights=counts.astype(np.float64), minlength=n)
                off = np.abs(shares - counts / np.maximum(valid, 1.0)[row])
                yield (
                    np.bincount(row[off > DISTRIBUTION_TOLERANCE], minlength=n) > 0,
                    "distribution is not counts / n_valid, on an unweighted build (the "
                    "manifest's weight is null)",
                )
    if k is None or "distribution" not in lists or "modal_answers" not in names:
        return
    shares, share_row = lists["distribution"]
    option_row = np.repeat(np.arange(n), k)
    if not np.array_equal(share_row, option_row) or not len(option_row):
        return  # not aligned with options: named by the checks above
    shares = shares.astype(np.float64)
    starts = np.cumsum(k) - k
    has = k > 0
    top = np.full(n, -np.inf)
    top[has] = np.maximum.reduceat(shares, starts[has])
    modal = shares >= (top - TIE_TOLERANCE)[option_row]
    options = table.column("options").combine_chunks()
    codes = np.asarray(options.flatten().field("code").to_numpy(zero_copy_only=False), np.int64)
    listed_array = table.column("modal_answers").combine_chunks()
    m = np.asarray(pc.list_value_length(listed_array).to_numpy(), dtype=np.int64)
    listed_codes = np.asarray(listed_array.flatten().to_numpy(zero_copy_only=False), np.int64)
    # (row, code) as one key: a code is listed for its own row only.
    listed_keys = (np.repeat(np.arange(n), m) << 32) | (listed_codes & 0xFFFFFFFF)
    listed = np.isin((option_row << 32) | (codes & 0xFFFFFFFF), listed_keys)
    yield (
        np.bincount(option_row[listed != modal], minlength=n) > 0,
        f"modal_answers is not every code within {TIE_TOLERANCE:g} of the row's top share",
    )


def repeated_id(tables: Mapping[str, pa.Table]) -> tuple[str, list[str]] | None:
    """An id held by two rows of ``tables`` (split → its rows; in one split or two) and the
    splits holding it, or None. A prediction finds its sample
    by id: this comes before every other row problem, which names rows by their ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    held = {split: t.column("id") for split, t in tables.items() if "id" in t.column_names}
    every = pa.chunked_array([c for ids in held.values() for c in ids.chunks], pa.string())
    if len(every.unique()) == len(every):
        return None
    counts = pc.value_counts(every)
    twice = counts.field("values").filter(pc.greater(counts.field("counts"), 1))[0].as_py()
    splits = sorted(s for s, ids in held.items() if pc.any(pc.equal(ids, twice)).as_py())
    return twice, splits


def question_problem(
    tables: Mapping[str, pa.Table],
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split (its name, its rows that disagree, what) holding a row whose
    :data:`QUESTION_FIELDS` differ from those of its question's first row among ``tables``
    (split → its rows, in split order); None when none does.

    ``stats`` counted 422 questions in 13 sections of a 238-question dataset whose train rows
    gave another section. Compared per row against the question's first row (one ``take`` per
    field), with the options compared value by value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    common = [
        c
        for c in ("question_id", *QUESTION_FIELDS)
        if all(c in t.column_names for t in tables.values())
    ]
    if "question_id" not in common or not any(t.num_rows for t in tables.values()):
        return None
    every = pa.concat_tables([t.select(common) for t in tables.values()]).combine_chunks()
    sizes = [t.num_rows for t in tables.values()]
    splits = np.repeat(list(tables), sizes)
    starts = np.cumsum([0, *sizes])
    question = every.column("question_id").chunk(0)
    # Dictionary codes, not Python strings: each row's question as a number, then the first
    # row of each (assigned last to first, so the first row's number is the one kept).
    codes = np.asarray(pc.dictionary_encode(question).indices.to_numpy(), dtype=np.int64)
    rows_of = np.arange(len(codes))
    first_of = np.zeros(int(codes.max()) + 1, dtype=np.int64)
    first_of[codes[::-1]] = rows_of[::-1]
    first = first_of[codes]
    bad: dict[str, npt.NDArray[np.bool_]] = {}
    for column in common[1:]:
        values = every.column(column).chunk(0)
        if column != "options":
            same = pc.equal(values, values.take(pa.array(first)))
            bad[column] = ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
            continue
        k = np.asarray(pc.list_value_length(values).to_numpy(), dtype=np.int64)
        differs = k != k[first]
        fields = values.flatten()
        row = np.repeat(rows_of, k)
        own = np.arange(len(row))
        start = np.cumsum(k) - k
        # Position j of row r against position j of its question's first row; a row of
        # another length (already named) is compared with itself.
        other = np.where(differs[row], own, start[first][row] + own - start[row])
        # StructArray.flatten, not .field: both keep a sliced array's offset (pyarrow since
        # 0.9, ARROW-2311), but only flatten gives a null struct's fields as null.
        for leaf in fields.flatten():
            theirs = leaf.take(pa.array(other))
            # Null is equal to null here (an off_scale flag older builds left unset).
            both = pc.and_(pc.is_null(leaf), pc.is_null(theirs))
            same = pc.or_(pc.fill_null(pc.equal(leaf, theirs), False), both)
            unequal = ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
            differs |= np.bincount(row[unequal], minlength=len(k)) > 0
        bad[column] = differs
    for column, rows in bad.items():
        if rows.any():
            i = int(np.flatnonzero(rows)[0])
            j = int(first[i])
            order = list(tables)
            at = order.index(splits[i])
            return (
                str(splits[i]),
                rows[starts[at] : starts[at + 1]],
                f"{'question text' if column == 'question' else column} of question "
                f"{question[i].as_py()} differs from row "
                f"{j - int(starts[order.index(splits[j])]) + 1} of {splits[j]}, its first row",
            )
    return None


def _phrase_of(persona: str, country_name: str) -> str | None:
    """The text of a one-attribute subgroup's persona that names its value: what the builder's
    persona sentence ("You are a/an HEAD[ SUFFIX,] living in COUNTRY.") holds besides its frame
    and the default noun ``person``; None when that is not its form (or nothing is left: a
    place, which replaces the country)."""
    for start in ("You are an ", "You are a "):
        if persona.startswith(start):
            break
    else:
        return None
    end = f" living in {country_name}."
    if not persona.endswith(end):
        return None
    core = persona[len(start) : -len(end)]
    if core.startswith("person ") and core.endswith(","):  # a suffix
        return core[len("person ") : -1] or None
    if core.endswith(" person"):  # an adjective
        return core[: -len(" person")] or None
    return None if core == "person" else core  # a noun, or the place (nothing of its own)


def _unnamed_values(every: pa.Table, manifest: Mapping[str, Any]) -> npt.NDArray[np.bool_]:
    """Rows whose persona lacks the phrase of one of their subgroup's values, as the persona of
    that value's own one-attribute subgroup (``age_group=16-24``) in these rows gives it: the
    builder makes every persona from the same phrase of each value (in a build of one country,
    the manifest's ``built_from.country_name``; across countries no subgroup has one attribute
    but ``country``, whose phrase is the place). A subgroup whose persona was rewritten in every
    row, to words no other subgroup has ("aged 65+" for a 16-24 id), kept every other rule.
    Only for a manifest recording no phrases (an earlier build): otherwise every persona is
    recomputed from them (:func:`_misworded_personas`), which this cannot do (words added beside
    the phrases pass it)."""
    n = every.num_rows
    built = manifest.get("built_from")
    attributes = manifest.get("attributes")
    name = built.get("country_name") if isinstance(built, Mapping) else None
    if not isinstance(name, str) or not isinstance(attributes, Mapping) or "country" in attributes:
        return np.zeros(n, dtype=bool)
    first, pair = _distinct([every.column("subgroup_id"), every.column("persona")], n)
    distinct = every.select(["subgroup_id", "persona"]).take(first).to_pylist()
    phrases = {
        row["subgroup_id"]: _phrase_of(row["persona"], name)
        for row in distinct
        if "&" not in row["subgroup_id"]
    }
    wrong = [
        any(
            phrases.get(part) is not None and str(phrases[part]) not in row["persona"]
            for part in row["subgroup_id"].split("&")
        )
        for row in distinct
    ]
    return np.asarray(np.array(wrong, dtype=bool)[pair], dtype=bool) if n else np.zeros(0, bool)


def subgroup_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any]
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split (its name, its rows that disagree, what) holding a row whose
    :data:`SUBGROUP_FIELDS` are not those of every other row of its subgroup (or wave and
    country) among ``tables`` (split → its rows, in split order), or whose persona is another
    subgroup's (as read, :func:`~sgbench.schema.ids.persona_as_read`); None when none does.

    The builder writes each from the subgroup: a re-hashed split whose row said "aged 65+" for
    a 16-24 id was prompted so with exit code 0. Every row of a group that disagrees is named
    (the first is the group's first row, whichever one differs). Grouped by integer codes.
    """
    import pyarrow as pa

    present = set.intersection(*(set(t.column_names) for t in tables.values())) if tables else set()
    wanted = [
        c
        for c in (
            "subgroup_id",
            "wave",
            "country",
            "persona",
            "subgroup_size",
            "train_overlap",
            "year",
        )
        if c in present
    ]
    if not any(t.num_rows for t in tables.values()) or "subgroup_id" not in wanted:
        return None
    every = pa.concat_tables([t.select(wanted) for t in tables.values()]).combine_chunks()
    n = every.num_rows
    sizes = [t.num_rows for t in tables.values()]
    splits = np.repeat(list(tables), sizes)
    starts = np.cumsum([0, *sizes])
    checks: list[tuple[npt.NDArray[np.bool_], str, tuple[str, ...]]] = []
    for column, keys in SUBGROUP_FIELDS:
        if column in wanted and all(k in wanted for k in keys):
            bad = _uneven([every.column(k) for k in keys], every.column(column), n)
            checks.append((bad, column, keys))
    if "persona" in wanted:
        persona = every.column("persona")
        first, inverse = _distinct([persona], n)
        read = pa.array([persona_as_read(p) for p in persona.take(first).to_pylist()])
        bad = _uneven([read.take(pa.array(inverse))], every.column("subgroup_id"), n)
        checks.append((bad, "", ("persona",)))
        if recorded_phrases(manifest) is None:  # else each persona is recomputed (row_problems)
            checks.append((_unnamed_values(every, manifest), "", ()))
    for bad, column, keys in checks:
        if not bad.any():
            continue
        i = int(np.flatnonzero(bad)[0])
        at = list(tables).index(str(splits[i]))
        shown = every.slice(i, 1).to_pylist()[0]
        if column:
            group = " and ".join(f"{k} {shown[k]!r}" for k in keys)
            what = f"{column} differs between the rows of {group}"
        elif keys:
            what = (
                f"persona of subgroup {shown['subgroup_id']!r} is also another subgroup's "
                "(case, spacing and Unicode forms aside)"
            )
        else:
            what = (
                f"persona of subgroup {shown['subgroup_id']!r} does not hold the phrase of each "
                "of its values (as the persona of the value's own subgroup gives it)"
            )
        return str(splits[i]), bad[starts[at] : starts[at + 1]], what + ", in this config"
    return None


def _split_rows(
    tables: Mapping[str, pa.Table], bad: npt.NDArray[np.bool_], what: str
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split of ``tables`` holding a row of ``bad`` (rows of every split, in order),
    its own rows of it, and ``what``; None when no row is bad."""
    start = 0
    for split, table in tables.items():
        own = bad[start : start + table.num_rows]
        if own.any():
            return split, own, what
        start += table.num_rows
    return None


def _concatenated(tables: Mapping[str, pa.Table], columns: Sequence[str]) -> pa.Table | None:
    """``columns`` of every split, one after another; None when a split lacks one or no split
    has a row."""
    import pyarrow as pa

    if not any(t.num_rows for t in tables.values()):
        return None
    if not all(set(columns) <= set(t.column_names) for t in tables.values()):
        return None
    return pa.concat_tables([t.select(list(columns)) for t in tables.values()]).combine_chunks()


def _same_release(manifest: Mapping[str, Any]) -> bool:
    """Whether the dataset is of this package's release (its ``version`` without a build mark
    such as ``+synthetic`` is :data:`sgbench.DATASET_VERSION`): only then are its question
    texts, labels and catalogue this package's (a patch release changes texts, a minor one adds
    items; :mod:`sgbench.versioning`)."""
    from sgbench import DATASET_VERSION

    version = manifest.get("version")
    return isinstance(version, str) and version.split("+", 1)[0] == DATASET_VERSION


def _shown_options(options: Any, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Options as compared with the catalogue's: the fields the file has, an unset
    ``off_scale`` read as False (as the scorer reads it)."""
    return [
        {k: (bool(o.get(k)) if k == "off_scale" else o.get(k)) for k in keys} for o in options or []
    ]


def catalogue_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any]
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split (its name, its rows that disagree, what) holding a row whose question is
    not the catalogue's, in a dataset of this package's release (:func:`_same_release`) whose
    manifest names a catalogue this package has (``items.catalogue``, ``wvs7``): its question
    id is not in the catalogue, or its :data:`QUESTION_FIELDS` are not what the builder writes
    for it (:func:`~sgbench.catalogue.question_fields`); then, the catalogue's fingerprint of
    the questions the config holds and the manifest's ``items_dropped`` is not the recorded
    ``items.catalogue_sha256``. None when none is, and for a dataset of another release or
    catalogue (whose rows are held to their own first row's fields only,
    :func:`question_problem`).

    A question's text, labels and scale type rewritten in every split kept the per-question
    consistency rule, and ``run`` prompted the edited labels. Compared once per question.
    """
    from sgbench.catalogue import fingerprint, items_by_id, load_catalogue, question_fields

    record = manifest.get("items")
    name = record.get("catalogue") if isinstance(record, Mapping) else None
    wave = re.fullmatch(r"wvs([0-9]{1,2})", name) if isinstance(name, str) else None
    if wave is None or not _same_release(manifest) or not isinstance(record, Mapping):
        return None
    try:
        catalogue = items_by_id(int(wave.group(1)))
    except InputError:
        return None  # a catalogue this package does not have
    present = set.intersection(*(set(t.column_names) for t in tables.values()))
    fields = [c for c in QUESTION_FIELDS if c in present]
    every = _concatenated(tables, ["question_id", *fields])
    if every is None:
        return None
    n = every.num_rows
    first, question = _distinct([every.column("question_id")], n)
    wrong: list[str | None] = []
    for row in every.take(first).to_pylist():
        item = catalogue.get(row["question_id"])
        if item is None:
            wrong.append(f"question_id {row['question_id']!r} is not in the catalogue {name}")
            continue
        expected = question_fields(item)
        keys = list(every.schema.field("options").type.value_type) if "options" in fields else []
        differs = [
            column
            for column in fields
            if (
                _shown_options(row[column], [k.name for k in keys])
                != _shown_options(expected[column], [k.name for k in keys])
                if column == "options"
                else row[column] != expected[column]
            )
        ]
        wrong.append(
            f"{', '.join('question text' if c == 'question' else c for c in differs)} of "
            f"question {row['question_id']} not the catalogue's ({name}: what a build writes)"
            if differs
            else None
        )
    what = next((w for w in wrong if w is not None), None)
    if what is not None:
        bad = np.array([w == what for w in wrong], dtype=bool)[question]
        return _split_rows(tables, bad, what)
    # What the build asked is what a config holds and what a wave dropped: the latest wave's
    # drops (items_dropped), and in a config across waves (temporal) the questions an earlier
    # wave's file lacks too (an honest two-wave build was refused without them).
    earlier = manifest.get("earlier_waves")
    waves = [w for w in earlier if isinstance(w, Mapping)] if isinstance(earlier, list) else []
    drops = [manifest.get("items_dropped"), *(w.get("items_dropped") for w in waves)]
    requested = set(catalogue).intersection(
        {row["question_id"] for row in every.take(first).select(["question_id"]).to_pylist()}
        | {question for d in drops if isinstance(d, Mapping) for question in d}
    )
    items = [item for item in load_catalogue(int(wave.group(1))) if item.question_id in requested]
    if fingerprint(items) == record.get("catalogue_sha256"):
        return None
    return _split_rows(
        tables,
        np.ones(n, dtype=bool),
        f"the questions of this config and the manifest's items_dropped are not those whose "
        f"fingerprint it records (items.catalogue_sha256, catalogue {name}): a question was "
        "added, renamed or removed",
    )


def _recorded_splits(
    manifest: Mapping[str, Any], config: str
) -> tuple[set[str], set[str], tuple[int, float, float] | None] | None:
    """The manifest's OOD and in-distribution strata and, for ``default``, its seed and
    fractions (None where not recorded as a build records them); None for a config whose rows
    are not split by stratum and question, or a manifest that records no strata."""
    splits = manifest.get("splits")
    if config not in ("default", "paper") or not isinstance(splits, Mapping):
        return None
    ood, known = splits.get("ood_strata"), splits.get("in_distribution_strata")
    if not isinstance(ood, list) or not isinstance(known, list):
        return None
    seed, shares = (
        splits.get("seed"),
        (
            splits.get("validation_fraction"),
            splits.get("test_id_fraction"),
        ),
    )
    numbers = all(isinstance(s, int | float) and not isinstance(s, bool) for s in shares)
    held = (seed, float(shares[0]), float(shares[1])) if _whole(seed) and numbers else None  # type: ignore[arg-type]
    return {str(s) for s in ood}, {str(s) for s in known}, held


def split_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any], config: str
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split (its name, its rows that disagree, what) of ``config`` holding a row the
    build would have put in another split, or whose count of questions or subgroups is not the
    manifest's (``configs.<config>.<split>``); None when none does.

    A row's split is the one :func:`~sgbench.splits.assign_splits` gives its stratum and
    question under the manifest's ``splits`` (``test_ood`` for an OOD stratum; in ``default``,
    the seeded hash of the question, :func:`~sgbench.schema.held_out.held_out_splits`, for the
    others; ``train`` in ``paper``). Whole questions moved between ``validation`` and
    ``test_id``, and a training row swapped with a ``test_id`` row (a held-out question then
    trained), kept every other rule. Checked once per distinct (question, stratum, split).
    In ``temporal``, by the row's wave and pair instead (:func:`_temporal_split_problem`).
    """
    from sgbench.schema.held_out import held_out_splits

    if config == "temporal":
        return _temporal_split_problem(tables, manifest)
    recorded = _recorded_splits(manifest, config)
    every = _concatenated(tables, ["question_id", "stratum"])
    if recorded is None or every is None:
        return None
    ood, known, held = recorded
    n = every.num_rows
    split = np.repeat(np.array(list(tables), dtype=object), [t.num_rows for t in tables.values()])
    first, group = _distinct([every.column("question_id"), every.column("stratum")], n)
    pairs = every.take(first).to_pylist()
    by_question: dict[str, str] = {}
    if config == "default" and held is not None:
        # Every question of the config, as the builder hashes the questions of every sample.
        questions = list(dict.fromkeys(pair["question_id"] for pair in pairs))
        by_question = dict(zip(questions, held_out_splits(questions, *held), strict=True))
    expected = np.array(
        [
            "test_ood"
            if pair["stratum"] in ood
            else (by_question.get(pair["question_id"], "") if config == "default" else "train")
            if pair["stratum"] in known
            else ""
            for pair in pairs
        ],
        dtype=object,
    )
    bad = np.asarray(expected[group] != split, dtype=bool)
    if config == "default" and held is None:  # no hash settings recorded: any of the three
        known_rows = np.array([pair["stratum"] in known for pair in pairs], dtype=bool)[group]
        bad &= ~(known_rows & np.isin(split, ["train", "validation", "test_id"]))
    found = _split_rows(
        tables,
        bad,
        "split is not the one the build gives the row's stratum and question (the manifest's "
        "splits: ood_strata, in_distribution_strata, seed and fractions)",
    )
    return found or _count_problem(tables, manifest, config)


def _count_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any], config: str
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split of ``config`` (its name, all its rows, what) whose count of questions or
    subgroups is not the manifest's (``configs.<config>.<split>``); None when none is (or the
    manifest records no whole count). Its ``samples`` are the binding's (rows of the file)."""
    counts = manifest.get("configs")
    recorded_counts = counts.get(config) if isinstance(counts, Mapping) else None
    for name, table in tables.items():
        record = recorded_counts.get(name) if isinstance(recorded_counts, Mapping) else None
        if not isinstance(record, Mapping):
            continue
        for what, column in (("questions", "question_id"), ("subgroups", "subgroup_id")):
            wanted = record.get(what)
            if column not in table.column_names or not _whole(wanted):
                continue
            held_here = len(table.column(column).unique())
            if held_here != wanted:
                return (
                    name,
                    np.ones(table.num_rows, dtype=bool),
                    f"the split holds {held_here} {what}; the manifest records {wanted} "
                    f"(configs.{config}.{name}.{what})",
                )
    return None


def _temporal_split_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any]
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first ``temporal`` split (its name, its rows that disagree, what) holding a row the
    build would have put in the other split or in none, or whose count of questions or
    subgroups is not the manifest's (``configs.temporal.<split>``); None when none does.

    A row's split is the one :func:`~sgbench.schema.temporal.temporal_splits` (the builder's
    rule) gives its ``wave`` and (subgroup, question) pair among the config's rows: ``test`` for
    the latest wave (``built_from.wave``), ``train`` for an earlier one (``earlier_waves[].wave``),
    and only for a pair both the latest and an earlier wave hold. A latest-wave row moved to
    ``train`` (a test answer trained on), an earlier one moved to ``test``, and a subgroup's rows
    deleted with the counts kept each passed ``validate``. Without a recorded latest wave, or
    the columns, only the counts are checked.
    """
    from sgbench.schema.temporal import temporal_splits

    waves = build_waves(manifest)
    every = _concatenated(tables, ["subgroup_id", "question_id", "wave"])
    if waves is not None and every is not None:
        latest, recorded = waves
        n = every.num_rows
        split = np.repeat(
            np.array(list(tables), dtype=object), [t.num_rows for t in tables.values()]
        )
        wave = np.asarray(every.column("wave").to_numpy(zero_copy_only=False), dtype=np.int64)
        pair = _distinct([every.column("subgroup_id"), every.column("question_id")], n)[1]
        expected = temporal_splits(wave, pair, latest)
        expected[~np.isin(wave, recorded)] = ""
        found = _split_rows(
            tables,
            np.asarray((expected != split) & (expected != ""), dtype=bool),
            "split is not the one the build gives the row's wave (test for the latest wave, "
            "built_from.wave; train for an earlier one, earlier_waves[].wave)",
        ) or _split_rows(
            tables,
            np.asarray(expected == "", dtype=bool),
            "no build puts this row in temporal: its wave is none the manifest records, or its "
            "(subgroup, question) pair is not held by both the latest wave and an earlier one",
        )
        if found is not None:
            return found
    return _count_problem(tables, manifest, "temporal")


def value_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any], config: str
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split (its name, its rows that disagree, what) holding a row whose subgroup
    the build could not have written: a value of its ``subgroup_id`` that is none of the
    manifest's values of that attribute (``attributes.<name>.values``, as ids spell them,
    :func:`~sgbench.schema.ids.slug`), or a subgroup the manifest lists as dropped
    (``subgroups.dropped``, ``splits.dropped_for_overlap``); then, in ``default`` and
    ``paper`` (which hold every subgroup of the latest wave; ``temporal`` holds those of both
    waves), a count of subgroups other than ``subgroups.kept`` less those dropped for their
    overlap. None when none does.

    Rows of ``religion=hindu`` renamed ``religion=jain`` (subgroup, id and persona alike), a
    value no build of the manifest has, were scored and published. Checked once per subgroup.
    """
    attributes = manifest.get("attributes")
    every = _concatenated(tables, ["subgroup_id"])
    if every is None or not isinstance(attributes, Mapping):
        return None
    values = {
        str(name): {slug(str(label)) for label in spec["values"]}
        for name, spec in attributes.items()
        if isinstance(spec, Mapping) and isinstance(spec.get("values"), Mapping)
    }
    record = manifest.get("subgroups")
    listed = record.get("dropped") if isinstance(record, Mapping) else None
    dropped = (
        {d.get("subgroup_id") for d in listed or () if isinstance(d, Mapping)}
        if isinstance(listed, list)
        else set()
    )
    splits = manifest.get("splits")
    near = splits.get("dropped_for_overlap") if isinstance(splits, Mapping) else None
    # Kept by size, then left out as near-copies of a training subgroup: counted, not written.
    overlap = {s for s in near if isinstance(s, str)} if isinstance(near, list) else set()
    n = every.num_rows
    first, group = _distinct([every.column("subgroup_id")], n)
    ids = every.column("subgroup_id").take(first).to_pylist()
    wrong: list[str | None] = []
    for subgroup in ids:
        unknown = [
            part
            for part in subgroup.split("&")
            if part.partition("=")[0] in values
            and part.partition("=")[2] not in values[part.partition("=")[0]]
        ]
        wrong.append(
            f"subgroup_id value {unknown[0]!r} is none of the manifest's values of its "
            "attribute (attributes.<name>.values)"
            if unknown
            else f"subgroup {subgroup!r} is one the manifest lists as dropped (subgroups.dropped)"
            if subgroup in dropped
            else f"subgroup {subgroup!r} is one the manifest lists as dropped for its overlap "
            "with training (splits.dropped_for_overlap)"
            if subgroup in overlap
            else None
        )
    what = next((w for w in wrong if w is not None), None)
    if what is not None:
        return _split_rows(tables, np.array([w == what for w in wrong], dtype=bool)[group], what)
    kept = record.get("kept") if isinstance(record, Mapping) else None
    if config in ("default", "paper") and _whole(kept) and kept - len(overlap) != len(ids):
        return _split_rows(
            tables,
            np.ones(n, dtype=bool),
            f"the config holds {len(ids)} subgroups; the manifest records {kept} kept, "
            f"{len(overlap)} of them then dropped for their overlap with training "
            "(subgroups.kept, splits.dropped_for_overlap)",
        )
    return None


def overlap_drop_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Every way a schema-valid ``manifest``'s ``splits.dropped_for_overlap`` is not what the
    build writes, as ``JSON_PATH: why``. The build leaves out exactly the subgroups of an OOD
    stratum whose Jaccard with their nearest training subgroup is above
    ``splits.max_train_overlap`` (``sgbench.builder.pipeline._too_close``), and records every
    kept OOD subgroup's Jaccard, rounded to six decimals (``train_overlap``). So a listed
    subgroup needs a numeric bound, an OOD stratum (the manifest's ``strata`` of its id's
    attributes, in ``splits.ood_strata``) and, where ``train_overlap`` is recorded, a Jaccard
    recorded above the bound; and a subgroup recorded above it must be listed.

    A forger deleted a subgroup's rows and listed it as dropped with no bound
    (``max_train_overlap: null``), and validate passed. Whether a recorded Jaccard is the
    respondents' own cannot be told from the dataset (it holds no respondents).
    """
    splits = manifest.get("splits")
    if not isinstance(splits, Mapping):
        return []
    near = splits.get("dropped_for_overlap")
    listed = [s for s in near if isinstance(s, str)] if isinstance(near, list) else []
    limit = splits.get("max_train_overlap")
    if not (isinstance(limit, int | float) and not isinstance(limit, bool)):
        return (
            [
                f"splits.dropped_for_overlap: lists {listed[0]!r} as left out for its overlap "
                "with training, but splits.max_train_overlap is null: with no bound a build "
                "leaves no subgroup out"
            ]
            if listed
            else []
        )
    strata = manifest.get("strata")
    known = (
        {frozenset(s): stratum_name(s) for s in strata if isinstance(s, list)}
        if isinstance(strata, list)
        else None
    )
    ood = splits.get("ood_strata")
    recorded = manifest.get("train_overlap")
    problems: list[str] = []
    for index, subgroup in enumerate(listed):
        path = f"splits.dropped_for_overlap[{index}]"
        attributes = [part.partition("=")[0] for part in subgroup.split("&")]
        stratum = stratum_name(attributes) if known is None else known.get(frozenset(attributes))
        record = recorded.get(subgroup) if isinstance(recorded, Mapping) else None
        jaccard = record.get("jaccard") if isinstance(record, Mapping) else None
        if isinstance(ood, list) and stratum not in ood:
            problems.append(
                f"{path}: {subgroup!r} is not a subgroup of an OOD stratum (splits.ood_strata); "
                "only held-out subgroups are left out for their overlap with training"
            )
        elif isinstance(recorded, Mapping) and not isinstance(jaccard, int | float):
            problems.append(
                f"{path}: {subgroup!r} is not among the OOD subgroups whose overlap the "
                "manifest records (train_overlap)"
            )
        elif isinstance(jaccard, int | float) and not jaccard > limit - OVERLAP_RECORD_TOLERANCE:
            problems.append(
                f"{path}: {subgroup!r} overlaps training by {jaccard:g} (train_overlap), not "
                f"above splits.max_train_overlap {limit:g}"
            )
    for subgroup, record in recorded.items() if isinstance(recorded, Mapping) else ():
        jaccard = record.get("jaccard") if isinstance(record, Mapping) else None
        if (
            isinstance(jaccard, int | float)
            and jaccard > limit + OVERLAP_RECORD_TOLERANCE
            and subgroup not in listed
        ):
            problems.append(
                f"train_overlap.{subgroup}: overlaps training by {jaccard:g}, above "
                f"splits.max_train_overlap {limit:g}, but splits.dropped_for_overlap does not "
                "list it (a build leaves it out of test_ood)"
            )
    return problems


def _id_stratum(subgroup: str, manifest: Mapping[str, Any]) -> str | None:
    """The recorded stratum (name) whose subgroup ``subgroup`` is, spelled as a build spells it
    (:func:`~sgbench.schema.ids.subgroup_id`: the stratum's attributes in its order, each with
    the slug of one of the manifest's ``attributes`` values); None when it is no such id."""
    attributes = manifest.get("attributes")
    strata = manifest.get("strata")
    if not isinstance(attributes, Mapping) or not isinstance(strata, list):
        return None
    parts = [part.partition("=") for part in subgroup.split("&")]
    names = [name for name, _, _ in parts]
    if not any(names == stratum for stratum in strata):
        return None
    for name, _, value in parts:
        spec = attributes.get(name)
        values = spec.get("values") if isinstance(spec, Mapping) else None
        if not isinstance(values, Mapping) or value not in {slug(str(v)) for v in values}:
            return None
    return stratum_name(names)


def recorded_config_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Every way the build config a schema-valid ``manifest`` records breaks the config loader's
    rules (:mod:`sgbench.schema.values`: each attribute's values distinct in ids and codes; each
    stratum of known attributes, none twice), or its waves are not a build's (``earlier_waves``
    distinct, none the latest ``built_from.wave``, and recorded exactly when a ``temporal``
    config is: a build of several waves always writes one). A forged manifest giving two values
    one code, or listing an earlier wave with no ``temporal`` config, passed ``validate``."""
    from sgbench.schema.values import strata_problem, value_rule, values_problem

    problems: list[str] = []
    attributes = manifest.get("attributes")
    if isinstance(attributes, Mapping):
        for name, spec in attributes.items():
            values = spec.get("values") if isinstance(spec, Mapping) else None
            if not isinstance(values, Mapping):
                continue
            try:
                rules = {str(label): value_rule(rule) for label, rule in values.items()}
            except (AssertionError, KeyError, TypeError, ValueError):
                continue  # the schema's to name
            problem = values_problem(rules)
            if problem is not None:
                problems.append(f"attributes.{name}.values{problem[0]}: {problem[1]}")
        strata = manifest.get("strata")
        if isinstance(strata, list):
            why = strata_problem([s for s in strata if isinstance(s, list)], list(attributes))
            if why is not None:
                problems.append(f"strata: {why}")
    built = manifest.get("built_from")
    latest = built.get("wave") if isinstance(built, Mapping) else None
    earlier = manifest.get("earlier_waves")
    if isinstance(earlier, list):
        seen: set[Any] = {latest}
        for index, entry in enumerate(earlier):
            wave = entry.get("wave") if isinstance(entry, Mapping) else None
            if wave in seen:
                problems.append(
                    f"earlier_waves[{index}].wave: wave {wave!r} is already recorded (in "
                    "built_from.wave or earlier_waves); a build reads each wave once"
                )
            seen.add(wave)
        configs = manifest.get("configs")
        if isinstance(configs, Mapping) and bool(earlier) != ("temporal" in configs):
            problems.append(
                "earlier_waves: "
                + (
                    "records an earlier wave, but configs has no temporal config"
                    if earlier
                    else "is empty, but configs has a temporal config"
                )
                + "; a build writes temporal exactly when it reads more than one wave"
            )
    return problems


def dropped_subgroup_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Every way a schema-valid ``manifest``'s ``subgroups.dropped`` is not what a build writes:
    each distinct subgroup it found and did not publish, an id of a recorded stratum with the
    recorded values (:func:`_id_stratum`), of 1 to ``min_subgroup_size - 1`` respondents unless
    disclosure control withheld it (then ``min_subgroup_size`` or more: exactly
    ``disclosure.withheld_subgroups`` of them). Whether no row holds it is the row rule's
    (:func:`value_problem`). A forged entry of 31 respondents, a duplicated entry and a
    value no attribute has passed ``validate``."""
    subgroups = manifest.get("subgroups")
    dropped = subgroups.get("dropped") if isinstance(subgroups, Mapping) else None
    least = manifest.get("min_subgroup_size")
    if not isinstance(dropped, list) or not _whole(least):
        return []
    problems: list[str] = []
    seen: set[str] = set()
    large: list[str] = []
    for index, entry in enumerate(dropped):
        sid = entry.get("subgroup_id") if isinstance(entry, Mapping) else None
        size = entry.get("subgroup_size") if isinstance(entry, Mapping) else None
        if not isinstance(sid, str) or not _whole(size):
            continue  # the schema's to name
        path = f"subgroups.dropped[{index}]"
        if sid in seen:
            problems.append(f"{path}: {sid!r} is listed twice; a build lists each subgroup once")
        elif _id_stratum(sid, manifest) is None:
            problems.append(
                f"{path}: {sid!r} is not a subgroup of a recorded stratum (strata) with the "
                "recorded attribute values (attributes)"
            )
        elif size < 1:
            problems.append(f"{path}: {sid!r} has {size} respondents; a build finds none empty")
        elif size >= least:
            large.append(f"{path}: {sid!r} has {size} respondents")
        seen.add(sid)
    disclosure = manifest.get("disclosure")
    withheld = disclosure.get("withheld_subgroups") if isinstance(disclosure, Mapping) else 0
    if _whole(withheld) and len(large) != withheld:
        problems.append(
            (large[withheld] if len(large) > withheld else "subgroups.dropped")
            + f": {len(large)} dropped subgroup(s) hold min_subgroup_size ({least}) respondents "
            f"or more, but disclosure.withheld_subgroups is {withheld}; a build drops such a "
            "subgroup only to withhold it"
        )
    return problems


def train_overlap_record_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Every ``train_overlap`` record of a schema-valid ``manifest`` that is not of an OOD
    subgroup (a recorded id of a stratum in ``splits.ood_strata``) or whose ``subgroup`` is not
    a training one (of a stratum outside it): the build records each kept OOD subgroup's
    nearest training subgroup (``sgbench.builder.pipeline._overlap``). That the rows hold them
    is the row rule's (:func:`subgroup_record_problem`)."""
    records = manifest.get("train_overlap")
    splits = manifest.get("splits")
    ood = splits.get("ood_strata") if isinstance(splits, Mapping) else None
    if not isinstance(records, Mapping) or not isinstance(ood, list):
        return []
    problems: list[str] = []
    for key, record in records.items():
        nearest = record.get("subgroup") if isinstance(record, Mapping) else None
        if _id_stratum(str(key), manifest) not in ood:
            problems.append(
                f"train_overlap.{key}: not a subgroup of an OOD stratum (splits.ood_strata) with "
                "the recorded attribute values; a build records the overlap of those only"
            )
        elif isinstance(nearest, str) and _id_stratum(nearest, manifest) in (*ood, None):
            problems.append(
                f"train_overlap.{key}.subgroup: {nearest!r} is not a training subgroup (of a "
                "recorded stratum outside splits.ood_strata, with the recorded values)"
            )
    return problems


def disclosure_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Every way a schema-valid ``manifest``'s ``disclosure`` breaks the definitions of its
    counts (:class:`sgbench.builder.manifest.Disclosure`): method ``none`` withholds nothing and
    ``suppress`` leaves nothing derivable; a smallest size is recorded exactly when its count is
    not 0 and lies in 1 to ``min_subgroup_size - 1``; exact remainders are among the recoverable
    ones; and the exact audit covers every recoverable remainder, so something recoverable is
    derivable, no larger than the smallest recoverable one. A forged ``withheld_subgroups: 3``
    under method ``none`` passed ``validate``."""
    record = manifest.get("disclosure")
    least = manifest.get("min_subgroup_size")
    if not isinstance(record, Mapping) or not _whole(least):
        return []
    get = record.get
    problems: list[str] = []

    def need(ok: bool, path: str, why: str) -> None:
        if not ok:
            problems.append(f"disclosure.{path}: {get(path.partition('[')[0])!r}: {why}")

    entries = [record, *(e for e in get("earlier_waves") or () if isinstance(e, Mapping))]
    for index, entry in enumerate(entries):
        at = "" if index == 0 else f"earlier_waves[{index - 1}]."
        if get("method") == "none":
            for name in ("withheld_subgroups", "withheld_samples"):
                if entry.get(name) not in (0, None):
                    problems.append(
                        f"disclosure.{at}{name}: {entry.get(name)!r}, but method is 'none', "
                        "which withholds nothing"
                    )
        if get("method") == "suppress" and entry.get("derivable_groups") not in (0, None):
            problems.append(
                f"disclosure.{at}derivable_groups: {entry.get('derivable_groups')!r}, but "
                "method 'suppress' withholds until nothing is derivable"
            )
        withheld, samples = entry.get("withheld_subgroups"), entry.get("withheld_samples")
        if _whole(samples) and samples > 0 and withheld == 0:
            problems.append(
                f"disclosure.{at}withheld_samples: {samples}, but withheld_subgroups is 0"
            )
        recoverable, derivable = entry.get("recoverable_groups"), entry.get("derivable_groups")
        if _whole(recoverable) and recoverable > 0 and derivable == 0:
            problems.append(
                f"disclosure.{at}derivable_groups: 0, but recoverable_groups is {recoverable} "
                "(the exact audit covers every recoverable remainder)"
            )
    for count, smallest in (
        ("recoverable_groups", "smallest_size"),
        ("derivable_groups", "derivable_smallest"),
    ):
        if _whole(get(count)) and (get(smallest) is None) != (get(count) == 0):
            need(False, smallest, f"recorded exactly when {count} ({get(count)}) is not 0")
        elif _whole(size := get(smallest)):
            need(
                0 < size < least,
                smallest,
                f"not in 1 to min_subgroup_size - 1 ({least - 1}), the sizes it counts",
            )
    exact, recoverable = get("exact_subgroups"), get("recoverable_groups")
    if _whole(exact) and _whole(recoverable):
        need(exact <= recoverable, "exact_subgroups", f"above recoverable_groups {recoverable}")
    derived, smallest_size = get("derivable_smallest"), get("smallest_size")
    if _whole(derived) and _whole(smallest_size) and not problems:
        need(
            derived <= smallest_size,
            "derivable_smallest",
            f"above smallest_size {smallest_size} (the exact audit covers every "
            "recoverable remainder)",
        )
    return problems


def manifest_structure_problems(manifest: Mapping[str, Any]) -> list[str]:
    """The recorded config's rules (:func:`recorded_config_problems`), then the dropped
    subgroups' (:func:`dropped_subgroup_problems`), the overlap records'
    (:func:`train_overlap_record_problems`) and the disclosure record's
    (:func:`disclosure_problems`)."""
    return [
        *recorded_config_problems(manifest),
        *dropped_subgroup_problems(manifest),
        *train_overlap_record_problems(manifest),
        *disclosure_problems(manifest),
    ]


def _wave_respondents(manifest: Mapping[str, Any]) -> dict[int, int]:
    """Each wave's respondents read (``built_from``, ``earlier_waves``) by the manifest."""
    entries = [manifest.get("built_from"), *(manifest.get("earlier_waves") or ())]
    return {
        e["wave"]: e["respondents"]
        for e in entries
        if isinstance(e, Mapping) and _whole(e.get("wave")) and _whole(e.get("respondents"))
    }


def _oversized(
    sizes: Mapping[str, int], strata: Sequence[Sequence[str]], respondents: int | None
) -> tuple[list[str], int, str] | None:
    """The first set of disjoint subgroups of one wave (id → ``subgroup_size``) whose sizes sum
    to more than what holds them all: a one-attribute stratum's subgroups, ``respondents``; the
    subgroups of a stratum that differ in one attribute's value only, the published subgroup of
    their other values. As (the ids, their sum, the container)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for sid in sizes:
        parts = sid.split("&")
        names = [p.partition("=")[0] for p in parts]
        if not any(names == list(s) for s in strata):
            continue  # another rule names it
        for left_out in range(len(parts)):
            container = "&".join(parts[:left_out] + parts[left_out + 1 :])
            groups.setdefault((container, names[left_out]), []).append(sid)
    for (container, _), members in groups.items():
        whole = sizes.get(container) if container else respondents
        total = sum(sizes[m] for m in members)
        if whole is not None and total > whole:
            return members, total, container or "built_from/earlier_waves respondents"
    return None


def subgroup_record_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any]
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split (its name, its rows, what) whose rows break what the manifest records of
    the subgroups: an OOD subgroup
    of the latest wave (in a config with ``test_ood``) without its ``train_overlap`` record, or
    whose recorded nearest training subgroup no row holds; disjoint subgroups of one wave whose
    ``subgroup_size`` sums to more than their container (:func:`_oversized`). None when none.

    The build records the overlap of every published OOD subgroup with a published training
    one (a row of a subgroup listed in ``subgroups.dropped`` is :func:`value_problem`'s), and
    counts each
    respondent in one value of an attribute: a forger who added 5 to ``sex=male``'s size in
    every row (976 + 1036 of 2012 respondents) passed ``validate``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    every = _concatenated(tables, ["subgroup_id", "stratum", "wave", "subgroup_size"])
    waves = build_waves(manifest)
    if every is None or waves is None:
        return None
    unique = every.group_by(["wave", "subgroup_id", "stratum", "subgroup_size"]).aggregate([])
    latest = every.column("wave").to_numpy(zero_copy_only=False) == waves[0]
    ids = every.column("subgroup_id")
    records = manifest.get("train_overlap")
    splits = manifest.get("splits")
    ood = splits.get("ood_strata") if isinstance(splits, Mapping) else None
    if "test_ood" in tables and isinstance(records, Mapping) and isinstance(ood, list):
        latest_ids = set(pc.filter(ids, pa.array(latest)).to_pylist())
        nearest = {key: r.get("subgroup") for key, r in records.items() if isinstance(r, Mapping)}
        unrecorded = [s for s in latest_ids if s not in nearest]
        unheld = [s for s in latest_ids if isinstance(nearest.get(s), str)]
        unheld = [s for s in unheld if nearest[s] not in latest_ids]
        for what, lacking in (
            ("has no manifest.json train_overlap record", unrecorded),
            ("has a manifest.json train_overlap record naming a subgroup no row holds", unheld),
        ):
            in_ood = pc.is_in(every.column("stratum"), value_set=pa.array(ood, pa.string()))
            found = pc.is_in(ids, value_set=pa.array(lacking, pa.string()))
            bad = latest & (
                in_ood.to_numpy(zero_copy_only=False) & found.to_numpy(zero_copy_only=False)
            )
            if bad.any():
                sid = ids[int(np.flatnonzero(bad)[0])].as_py()
                return _split_rows(tables, bad, f"OOD subgroup {sid!r} {what}")
    strata = [s for s in manifest.get("strata") or () if isinstance(s, list)]
    respondents = _wave_respondents(manifest)
    rows = unique.to_pydict()
    for wave in sorted(set(rows["wave"])):
        sizes = {
            sid: size
            for w, sid, size in zip(
                rows["wave"], rows["subgroup_id"], rows["subgroup_size"], strict=True
            )
            if w == wave and size is not None
        }
        found = _oversized(sizes, strata, respondents.get(wave))
        if found is not None:
            members, total, container = found
            in_wave = every.column("wave").to_numpy(zero_copy_only=False) == wave
            bad = in_wave & pc.is_in(ids, value_set=pa.array(members, pa.string())).to_numpy(
                zero_copy_only=False
            )
            shown = (
                container
                if "&" in container or "=" in container
                else (f"the {respondents.get(wave)} respondents of wave {wave} (manifest.json)")
            )
            return _split_rows(
                tables,
                bad,
                f"subgroup_size of the disjoint subgroups {', '.join(members[:4])}"
                f"{', ...' if len(members) > 4 else ''} (wave {wave}) sums to {total}, more "
                f"than {shown}" + ("" if shown != container else f" ({sizes[container]})"),
            )
    return None


def nesting_problem(
    tables: Mapping[str, pa.Table],
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split (its name, its rows that break it, what) holding a row larger than a
    subgroup nested around it, among ``tables`` (split → its rows, in split order); None when
    none is.

    A subgroup's respondents are among those of every subgroup whose values are a subset of its
    own (``age_group=16-24&religion=muslim`` of ``age_group=16-24``), of the same wave and
    country: the builder counts both from the same respondents and withholds subgroups (too
    small, suppressed) but never changes one. So its ``subgroup_size`` is at most the larger
    subgroup's (when both were published). Distinct subgroups are paired in Python (tens to
    hundreds), their rows by integer keys.
    """
    import pyarrow as pa

    present = set.intersection(*(set(t.column_names) for t in tables.values())) if tables else set()
    if not {"subgroup_id", "subgroup", "subgroup_size"} <= present:
        return None
    place = [c for c in ("wave", "country") if c in present]
    wanted = [*place, "subgroup_id", "subgroup", "subgroup_size"]
    every = pa.concat_tables([t.select(wanted) for t in tables.values()]).combine_chunks()
    n = every.num_rows
    if not n:
        return None
    first, group = _distinct([every.column(c) for c in [*place, "subgroup_id"]], n)
    head = every.take(pa.array(first))
    where = list(zip(*(head.column(c).to_pylist() for c in place), strict=True)) or [()] * len(
        first
    )
    values = [
        frozenset((a, v) for a, v in (struct or {}).items() if v is not None)
        for struct in head.column("subgroup").to_pylist()
    ]
    found = {(at, parts): g for g, (at, parts) in enumerate(zip(where, values, strict=True))}
    pairs = [
        (g, found[(where[g], frozenset(sub))])
        for g, parts in enumerate(values)
        for size in range(1, len(parts))
        for sub in itertools.combinations(sorted(parts), size)
        if (where[g], frozenset(sub)) in found
    ]
    if not pairs:
        return None
    child, parent = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
    ids = head.column("subgroup_id").to_pylist()
    sizes = np.asarray(head.column("subgroup_size").to_numpy(zero_copy_only=False), np.int64)
    larger = sizes[child] > sizes[parent]
    culprit = np.full(len(first), -1, dtype=np.int64)
    culprit[child[larger]] = parent[larger]
    bad = culprit[group] >= 0
    if not bad.any():
        return None
    larger_one = ids[int(culprit[group][int(np.flatnonzero(bad)[0])])]
    return _split_rows(
        tables,
        bad,
        f"subgroup_size exceeds that of subgroup {larger_one!r}, whose values are a subset of "
        "this subgroup's (its respondents are among that one's), in this config",
    )


IN_DISTRIBUTION: Final = ("train", "validation", "test_id")
"""The ``default`` splits whose samples form ``paper``'s ``train`` (the in-distribution strata,
divided by question in ``default``, whole in ``paper``: :func:`~sgbench.splits.assign_splits`)."""

Agreement = tuple[str, tuple[str, ...], tuple[str, ...], str]
"""One entry of :data:`CONFIG_AGREEMENT`."""

CONFIG_AGREEMENT: Final[dict[str, tuple[Agreement, ...]]] = {
    "default": (
        ("paper", IN_DISTRIBUTION, ("train",), "same"),
        ("paper", ("test_ood",), ("test_ood",), "same"),
        ("temporal", CONFIG_SPLITS["default"], ("test",), "holds"),
    ),
    "paper": (
        ("default", ("train",), IN_DISTRIBUTION, "same"),
        ("default", ("test_ood",), ("test_ood",), "same"),
    ),
    "temporal": (("default", ("test",), CONFIG_SPLITS["default"], "within"),),
}
"""What the row rule compares each config with (:func:`config_agreement_problem`): entries
``(other config, these splits, its splits, relation)``. The builder writes one row per sample
into every config that holds it, from the same table (``sgbench.builder.pipeline``): ``paper``'s
``test_ood`` is ``default``'s, ``paper``'s ``train`` is ``default``'s other three splits, and
``temporal``'s ``test`` is the latest wave's samples that an earlier wave also has, under the
same ids (no ``@w`` suffix). ``same``: both sides hold the same ids; ``within``: every id of
these splits is in the other's; ``holds``: every id of the other's is in these. ``default`` and
``paper`` check each other, and ``default`` and ``temporal`` too, so a disagreement is refused
by whichever of the pair a command reads (``paper`` is not read against ``temporal``: ``default``
sits between them)."""


@dataclass(frozen=True)
class _Side:
    """Some splits of one config, concatenated in split order."""

    config: str
    splits: tuple[str, ...]
    tables: tuple[pa.Table, ...]

    @property
    def ids(self) -> pa.ChunkedArray:
        import pyarrow as pa

        return pa.chunked_array(
            [c for t in self.tables for c in t.column("id").chunks], pa.string()
        )

    def where(self, i: int) -> tuple[str, int]:
        """The split and row number of row ``i`` of the concatenation."""
        for split, table in zip(self.splits, self.tables, strict=True):
            if i < table.num_rows:
                return split, i
            i -= table.num_rows
        raise IndexError(i)

    def column(self, name: str) -> pa.ChunkedArray | None:
        """One column across the splits; None when the splits type it differently."""
        import pyarrow as pa

        columns = [t.column(name) for t in self.tables]
        if any(not c.type.equals(columns[0].type) for c in columns):
            return None
        return pa.chunked_array([k for c in columns for k in c.chunks], columns[0].type)

    def values(self, name: str) -> list[Any]:
        return [v for t in self.tables for v in t.column(name).to_pylist()]


def config_agreement_problem(
    config: str,
    tables: Mapping[str, pa.Table],
    others: Mapping[str, Mapping[str, pa.Table]],
) -> tuple[str, str, str] | None:
    """The first sample on which ``config`` and the configs it is compared with
    (:data:`CONFIG_AGREEMENT`) disagree: the config and split of the file to name, and a message
    naming its row and id; None when they agree.

    A sample id holds an identical row (every :data:`ROW_COLUMNS` column both sides have) in
    every config that holds it, and configs hold the ids the build gives both (a forger rewrote
    ``paper``'s ``test_ood`` with the top two shares swapped, each row consistent on its own:
    the same predictions scored 0.361 on ``default`` and 0.183 on ``paper``). Ids are matched by
    hash (``index_in``) and each column compared whole (``equals``); only a column that differs
    is compared row by row, to name the first row. A config absent from ``others`` is skipped.

    Args:
        config: the config checked; ``tables`` its splits (its ids distinct across them).
        others: config → split → table, for the configs :data:`CONFIG_AGREEMENT` names.
    """
    import pyarrow.compute as pc

    for other, ours_splits, theirs_splits, relation in CONFIG_AGREEMENT.get(config, ()):
        if other not in others:
            continue
        ours = _Side(config, ours_splits, tuple(tables[s] for s in ours_splits))
        theirs = _Side(other, theirs_splits, tuple(others[other][s] for s in theirs_splits))
        if any("id" not in t.column_names for t in (*ours.tables, *theirs.tables)):
            return None  # the reader that asks for the ids names the file
        inner, outer = (theirs, ours) if relation == "holds" else (ours, theirs)
        inner_ids, outer_ids = inner.ids, outer.ids
        position = pc.index_in(inner_ids, value_set=outer_ids)
        missing = np.asarray(position.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
        if relation == "same" and not missing.any() and len(outer_ids) != len(inner_ids):
            # Every id here is there: a row there is another id, or an id twice.
            inner, outer = outer, inner
            inner_ids, outer_ids = outer_ids, inner_ids
            first = np.asarray(pc.index_in(inner_ids, value_set=inner_ids).to_numpy(), np.int64)
            missing = np.asarray(
                pc.invert(pc.is_in(inner_ids, value_set=outer_ids)).to_numpy(zero_copy_only=False),
                dtype=np.bool_,
            ) | (first != np.arange(len(inner_ids)))
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            split, row = inner.where(i)
            return (
                inner.config,
                split,
                (
                    f"row {row + 1} (id {inner_ids[i].as_py()!r}): not once in config "
                    f"{outer.config!r} (splits {list(outer.splits)}), where the build also writes "
                    f"it; {int(missing.sum())} row(s) affected; rebuild the dataset"
                ),
            )
        found = _row_disagreement(inner, outer, np.asarray(position.to_numpy(), np.int64))
        if found is not None:
            i, column, count = found
            j = int(position[i].as_py())
            split, row = ours.where(i if inner is ours else j)
            their_split, their_row = theirs.where(j if inner is ours else i)
            return (
                config,
                split,
                (
                    f"row {row + 1} (id {inner_ids[i].as_py()!r}): {column!r} differs from the "
                    f"same id's row in {split_file(other, their_split)} (row {their_row + 1}); the "
                    f"build writes one row per sample into every config holding it; {count} row(s) "
                    "affected; rebuild the dataset"
                ),
            )
    return None


def _row_disagreement(
    inner: _Side, outer: _Side, position: npt.NDArray[np.int64]
) -> tuple[int, str, int] | None:
    """The first row of ``inner`` (its index, the first column that differs, how many rows
    differ) whose row in ``outer`` (at ``position``) is another; None when none is."""
    import pyarrow as pa

    names = [
        c for c in ROW_COLUMNS if all(c in t.column_names for t in (*inner.tables, *outer.tables))
    ]
    # The two builds' splits keep the sample table's order: often no reordering is needed.
    same_order = bool(np.array_equal(position, np.arange(len(position))))
    take = pa.array(position)
    differing: list[tuple[str, npt.NDArray[np.bool_]]] = []
    for name in names:
        mine, theirs = inner.column(name), outer.column(name)
        if mine is not None and theirs is not None and mine.type.equals(theirs.type):
            taken = theirs if same_order and len(theirs) == len(mine) else theirs.take(take)
            if mine.equals(taken):
                continue
            left, right = mine.to_pylist(), taken.to_pylist()
        else:  # typed otherwise (a field order, an absent off_scale): compared as values
            every = outer.values(name)
            left, right = inner.values(name), [every[p] for p in position]
        differs = np.fromiter((a != b for a, b in zip(left, right, strict=True)), np.bool_)
        if differs.any():
            differing.append((name, differs))
    if not differing:
        return None
    bad = np.logical_or.reduce([d for _, d in differing])
    i = int(np.flatnonzero(bad)[0])
    return i, next(name for name, d in differing if d[i]), int(bad.sum())


# --- Records a build derives, recomputed (the builder reads these definitions too) -----------

ITEM_NOT_IN_FILE: Final = "not in the file"
"""``items_dropped``'s reason for a catalogue item the survey file lacks."""


def item_unanswered(country: str) -> str:
    """``items_dropped``'s reason for an item no respondent of ``country`` answered."""
    return f"no valid answer in {country}"


def item_without_samples(min_valid_answers: int) -> str:
    """``items_dropped``'s reason for an answered item no subgroup answered often enough."""
    return f"no subgroup with {min_valid_answers} valid answers"


def floor_record(thresholds: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's ``publication_floor`` of a build with ``thresholds`` (a build config's
    values, or a manifest's: it records the same names)."""
    return {"floor": PUBLICATION_FLOOR, "under_floor": under_floor(thresholds)}


PAPER_COUNTS: Final[Mapping[str, int]] = read_only(
    {
        "train_subgroups": 50,
        "ood_subgroups": 48,
        "train_samples": 10_700,
        "ood_samples": 10_177,
        "items": 214,
    }
)
"""Counts reported in the paper (citations, not computed here) for its Singapore split: the
manifest's ``paper_counts`` of a build of the paper's config, null in any other build."""


def derived_record_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Every record of a schema-valid build ``manifest`` that the build derives from the others
    and that is not what they give, as ``JSON_PATH: why``: ``publication_floor`` (from the
    thresholds, :func:`floor_record`), ``items.requested`` (``items.kept`` plus the items
    dropped), ``paper_counts`` (:data:`PAPER_COUNTS` or null) and each ``items_dropped`` reason
    (one of the three a build writes, for the country and threshold recorded; so for each
    earlier wave). A forger lowered the floor, edited the counts and wrote a free-text reason,
    re-bound them, and validate passed. Records of no build (a hand-made dataset's) are held
    to what they record only where they record it.
    """
    from sgbench.versioning import BUILD_LABELS, build_label

    if build_label(str(manifest.get("version"))) not in BUILD_LABELS:
        return []
    problems: list[str] = []
    floor = floor_record(manifest)
    if manifest.get("publication_floor") != floor:
        problems.append(
            f"$.publication_floor: {bounded(json.dumps(manifest.get('publication_floor')))} is "
            f"not what a build with these thresholds records ({json.dumps(floor)})"
        )
    items, dropped = manifest["items"], manifest["items_dropped"]
    if items["requested"] != items["kept"] + len(dropped):
        problems.append(
            f"$.items.requested: {items['requested']} is not items.kept {items['kept']} plus the "
            f"{len(dropped)} item(s) of items_dropped, as a build records"
        )
    counts = manifest.get("paper_counts")
    if counts is not None and counts != dict(PAPER_COUNTS):
        problems.append(
            "$.paper_counts: not the paper's counts a build cites (sgbench.dataset.PAPER_COUNTS) "
            "nor null"
        )
    country = str(manifest["built_from"]["country"])
    reasons = {
        ITEM_NOT_IN_FILE,
        item_unanswered(country),
        item_without_samples(manifest["min_valid_answers"]),
    }
    waves = [("$.items_dropped", dropped)] + [
        (f"$.earlier_waves[{n}].items_dropped", wave.get("items_dropped", {}))
        for n, wave in enumerate(manifest.get("earlier_waves", []))
    ]
    for path, recorded_reasons in waves:
        odd = next((q for q, why in recorded_reasons.items() if why not in reasons), None)
        if odd is not None:
            problems.append(
                f"{path}.{odd}: {bounded(repr(recorded_reasons[odd]))} is no reason a build gives "
                f"(one of {', '.join(repr(r) for r in sorted(reasons))})"
            )
    return problems


def derived_row_problem(
    tables: Mapping[str, pa.Table], manifest: Mapping[str, Any], config: str
) -> tuple[str, npt.NDArray[np.bool_], str] | None:
    """The first split of ``config`` whose rows contradict a record the build derives from
    them (its name, the rows, what), or None: a question of the rows listed in
    ``items_dropped``; ``items.kept`` other than the questions the ``default`` or ``paper``
    rows hold (at least that many when ``splits.dropped_for_overlap`` left subgroups out after
    the items were counted); ``pairs_below_min_valid_answers`` more than the pairs of
    ``subgroups.kept`` x answered items the rows leave (a bound: a pair no one in the subgroup
    answered is neither a row nor counted, so the count itself is not recomputable). Only a
    build's manifest records these; the checks apply to builds.
    Not ``num_bytes``: Arrow's ``nbytes`` depends on how the rows are laid out in memory (the
    same rows read from two row groups or one differ), so it is no function of the rows.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from sgbench.versioning import BUILD_LABELS, build_label

    if build_label(str(manifest.get("version"))) not in BUILD_LABELS or config == "temporal":
        return None
    dropped = sorted(manifest["items_dropped"])
    held: set[str] = set()
    for split, table in tables.items():
        questions = table.column("question_id")
        bad = pc.is_in(questions, value_set=pa.array(dropped, pa.string())).to_numpy(
            zero_copy_only=False
        )
        if bad.any():
            return split, bad, "its question is listed in the manifest's items_dropped"
        held.update(questions.unique().to_pylist())
    kept = manifest["items"]["kept"]
    overlap_drops = bool(manifest["splits"].get("dropped_for_overlap"))
    if len(held) > kept or (len(held) < kept and not overlap_drops):
        split = next(iter(tables))
        return (
            split,
            np.ones(tables[split].num_rows, dtype=bool),
            f"the config's rows hold {len(held)} questions; the manifest records {kept} "
            "(items.kept)",
        )
    # Samples and pairs below min_valid_answers are disjoint cells of the grid of kept
    # subgroups x items with an answer; the rows are the samples not dropped for overlap.
    answered = kept + sum(
        why == item_without_samples(manifest["min_valid_answers"])
        for why in manifest["items_dropped"].values()
    )
    grid = manifest["subgroups"]["kept"] * answered
    rows = sum(table.num_rows for table in tables.values())
    below = manifest["pairs_below_min_valid_answers"]
    if rows + below > grid:
        split = next(iter(tables))
        return (
            split,
            np.ones(tables[split].num_rows, dtype=bool),
            f"the config's {rows} rows and the manifest's pairs_below_min_valid_answers {below} "
            f"exceed the {grid} (subgroup, question) pairs of subgroups.kept x the answered "
            "items they are drawn from",
        )
    return None


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@public_class
@dataclass(frozen=True)
class BuiltDataset:
    """An opened dataset folder: its checked manifest, and its splits read on demand.

    Each data file is checked once per object (sha256 against the manifest, bound fields
    against the manifest; see the module docstring) before anything of it is returned. The
    object is frozen: a ``root`` assigned after a file was checked read another folder's file
    of that name unchecked.
    """

    root: Path
    manifest: Manifest
    _checked: dict[str, str] = field(default_factory=dict, repr=False, init=False)
    _ids: dict[str, dict[str, pa.ChunkedArray]] = field(
        default_factory=dict, repr=False, init=False
    )
    _row_problems: dict[str, tuple[Path, str] | None] = field(
        default_factory=dict, repr=False, init=False
    )

    def __fspath__(self) -> str:
        """The dataset's folder: an opened dataset is accepted wherever a dataset folder is
        (``sgbench.boundary.plain_numbers`` reads it as this path)."""
        return str(self.root)

    def check_config(self, config: str, split: str | None = None) -> None:
        """Raise :class:`InputError` for a config or split this dataset does not have."""
        check_config_split(config, split)
        check_built_config(self.root, self.manifest.raw, config)

    def path(self, config: str, split: str) -> Path:
        """The parquet file of one split.

        Raises:
            InputError: a config or split this dataset does not have.
        """
        self.check_config(config, split)
        return self.root / split_file(config, split)

    def file_hash(self, config: str, split: str) -> str:
        """The checked sha256 of one split's data file.

        Raises:
            InputError: the file is missing, unlisted in or different from the manifest (its
                size, then its sha256: :func:`recorded_problem`), or its bound fields, its path
                or its row count disagree with the manifest (:func:`binding_problem`).
        """
        self.check_config(config, split)
        return self._checked_hash(split_file(config, split))

    def check_binding(self) -> None:
        """Check the smallest data file the manifest lists (size, sha256, and its copy of the
        manifest), so that an edited field is refused when the dataset is opened, also by a
        command that reads only the manifest (the judge's dataset identity).

        Raises:
            InputError: as :meth:`file_hash`.
        """
        recorded_sizes = self.manifest.get("sizes")
        sizes = recorded_sizes if isinstance(recorded_sizes, Mapping) else {}

        def size(rel: str) -> float:
            value = sizes.get(rel)
            return value if isinstance(value, int | float) and not isinstance(value, bool) else 0

        # Only a split's own file, as every read: a path the manifest lists is not opened for it.
        splits = [
            split_file(config, split)
            for config in self.manifest.configs
            if config in CONFIG_SPLITS
            for split in CONFIG_SPLITS[config]
        ]
        if splits:
            self._checked_hash(min(splits, key=size))

    def _checked_hash(self, rel: str) -> str:
        if rel in self._checked:
            return self._checked[rel]
        problem = recorded_problem(self.root, rel, self.manifest.raw)
        if problem is not None:
            where, message = problem
            raise InputError(f"{where}: {message}")
        path = self.root / rel
        actual = self.manifest.files[rel]
        self._check_binding(path)
        self._checked[rel] = actual
        return actual

    def _check_binding(self, path: Path) -> None:
        import pyarrow.parquet as pq

        try:
            with pq.ParquetFile(path) as parquet:
                metadata = carried_metadata(parquet.metadata)
                rows = parquet.metadata.num_rows
        except FooterProblem as exc:
            raise InputError(bounded(f"{path}: {exc}")) from None
        except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
            raise InputError(f"{path}: not a readable parquet file ({exc})") from None
        relative = path.relative_to(self.root).as_posix()
        problem = binding_problem(metadata, self.manifest.raw, relative, rows)
        if problem is not None:
            where, message = problem
            raise InputError(bounded(f"{self.root / where}: {message}"))

    def files(self, config: str) -> dict[str, str]:
        """Relative path → checked sha256 of every data file of ``config``."""
        self.check_config(config)
        return {
            split_file(config, split): self.file_hash(config, split)
            for split in CONFIG_SPLITS[config]
        }

    def table(self, config: str, split: str, columns: Sequence[str] | None = None) -> pa.Table:
        """One split as an Arrow table (only ``columns`` when given), after its checks.

        A column may also be a parquet leaf path such as ``options.list.element.code``: the
        struct then keeps only the fields asked for (the option labels are most of a split's
        bytes, and scoring never reads them).
        """
        self.file_hash(config, split)
        self.check_rows(config)
        return self._read(config, split, columns)

    def check_rows(self, config: str) -> dict[str, str]:
        """Check every data file of ``config`` (:meth:`files`) and every row of it (the row
        rule, :meth:`row_problem`), as :meth:`table` does before it reads anything; returns
        :meth:`files`. For a reader that hands the files on unread (``export lm-eval``): it
        exported a row with an ``answer`` of 99 that every other reader refused.

        Raises:
            InputError: a data file fails its checks, or a row breaks the row rule (the
                message names its file, row, id and field).
        """
        files = self.files(config)
        problem = self.row_problem(config)
        if problem is not None:
            raise InputError(f"{problem[0]}: {problem[1]}")
        return files

    def row_problem(self, config: str) -> tuple[Path, str] | None:
        """The first row of ``config`` breaking the row rule (:func:`row_problems` in each
        split, then :func:`question_problem` across them): its file, and a message naming the
        row and what is wrong; None when every row keeps it.

        Checked once per opened dataset and config, on the :data:`ROW_COLUMNS` of every split
        (so also the null check of :data:`NO_NULLS`, whatever columns a reader asks for);
        :meth:`table` refuses every split of a config that
        breaks it, whatever columns are asked for.

        Raises:
            InputError: a data file is missing, changed or unreadable (see :meth:`table`).
        """
        self.check_config(config)
        if config not in self._row_problems:
            self._row_problems[config] = self._first_row_problem(config)
        return self._row_problems[config]

    def _first_row_problem(self, config: str) -> tuple[Path, str] | None:
        import pyarrow.parquet as pq

        tables: dict[str, pa.Table] = {}
        for split in CONFIG_SPLITS[config]:
            self.file_hash(config, split)
            path = self.path(config, split)
            try:
                names = pq.read_schema(path).names
            except Exception as exc:  # pyarrow raises several unrelated types
                raise InputError(
                    f"{path}: not a readable parquet file ({_first_line(exc)})"
                ) from None
            # A column a split lacks is named by the reader that asks for it.
            tables[split] = self._read(config, split, [c for c in ROW_COLUMNS if c in names])
        repeated = repeated_id(tables)
        if repeated is not None:
            twice, splits = repeated
            return self.root, f"id {twice!r} occurs more than once in config {config!r} " + (
                f"(splits: {splits})"
            )
        for split, table in tables.items():
            ids = table.column("id") if "id" in table.column_names else None
            for bad, what in row_problems(table, self.manifest.raw):
                if bad.any():
                    return self.path(config, split), _row_message(ids, bad, what)
        found = (
            question_problem(tables)
            or subgroup_problem(tables, self.manifest.raw)
            or nesting_problem(tables)
        )
        found = found or catalogue_problem(tables, self.manifest.raw)
        found = found or split_problem(tables, self.manifest.raw, config)
        found = found or value_problem(tables, self.manifest.raw, config)
        found = found or derived_row_problem(tables, self.manifest.raw, config)
        found = found or subgroup_record_problem(tables, self.manifest.raw)
        if found is None:
            return self._agreement_problem(config, tables)
        split, bad, what = found
        ids = tables[split].column("id") if "id" in tables[split].column_names else None
        return self.path(config, split), _row_message(ids, bad, what)

    def _agreement_problem(
        self, config: str, tables: Mapping[str, pa.Table]
    ) -> tuple[Path, str] | None:
        """:func:`config_agreement_problem` for ``config`` against the other configs of this
        folder it is compared with, their splits read through the checks of every read (sha256,
        binding, column types): a file of theirs edited without its hash is refused here."""
        import pyarrow.parquet as pq

        others: dict[str, dict[str, pa.Table]] = {}
        for other, _, splits, _ in CONFIG_AGREEMENT.get(config, ()):
            if other not in self.manifest.configs or other not in CONFIG_SPLITS:
                continue
            for split in splits:
                if split in others.get(other, {}):
                    continue
                self.file_hash(other, split)
                names = pq.read_schema(self.path(other, split)).names
                wanted = [c for c in ROW_COLUMNS if c in names]
                others.setdefault(other, {})[split] = self._read(other, split, wanted)
        found = config_agreement_problem(config, tables, others)
        if found is None:
            return None
        where, split, message = found
        return self.path(where, split), message

    def _read(self, config: str, split: str, columns: Sequence[str] | None) -> pa.Table:
        """One split's ``columns`` (every required one when None), checked against the declared
        sample schema: names and types (nulls are the row rule's, :meth:`row_problem`)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from sgbench.schema import load_schema

        path = self.path(config, split)
        try:
            schema = pq.read_schema(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
            raise InputError(f"{path}: not a readable parquet file ({_first_line(exc)})") from None
        # A file whose hashes were edited to match may still lack a column: say which, in one
        # line, rather than pyarrow's multi-line schema dump.
        if columns is not None:
            check_each(columns, (str,), "BuiltDataset.table()", "a column name")
        wanted = load_schema("sample")["required"] if columns is None else list(columns)
        twice = next((name for n, name in enumerate(wanted) if name in wanted[:n]), None)
        if twice is not None:
            raise InputError(
                f"BuiltDataset.table(): column {twice!r} is listed twice; list it once"
            )
        # A leaf path (``options.list.element.code``) is there when its top-level column is.
        absent = [name.split(".")[0] for name in wanted if name.split(".")[0] not in schema.names]
        if absent:
            raise InputError(f"{path}: no column {absent[0]!r}; not an sgbench split")
        # A file rewritten with its hash (a re-hashed manifest) passes the checks above; the
        # columns read must still have one name each and the declared types, or numpy reads
        # them as something else (an int id, a float code); nulls are the row rule's.
        declared = sample_schema(self.manifest.attributes)
        for name in dict.fromkeys(column.split(".")[0] for column in wanted):
            if schema.names.count(name) > 1:
                raise InputError(f"{path}: column {name!r} appears twice; not an sgbench split")
            if name in declared.names:
                problem = column_problem(name, schema.field(name).type, declared.field(name).type)
                if problem:
                    raise InputError(f"{path}: {problem}; not an sgbench split")
        try:
            if columns is not None and any("." in column for column in columns):
                table = pq.ParquetFile(path).read(columns=list(columns))
            else:
                table = pq.read_table(path, columns=None if columns is None else list(columns))
        except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
            raise InputError(f"{path}: not a readable parquet file ({_first_line(exc)})") from None
        # The declared schema's metadata (the features' `huggingface`), whatever else the
        # file's schema carries with its footer's consent (carried_metadata): a caller is
        # handed what sgbench declares, never a copy of the binding or a writer's extras.
        if table.num_columns:
            return table.replace_schema_metadata(declared.metadata)
        # `columns=[]`: a table of no column keeps its row count only through its batches
        # (replace_schema_metadata and cast give 0 rows).
        schema = table.schema.with_metadata(declared.metadata)
        return pa.Table.from_batches(table.to_batches(), schema=schema)

    def ids(self, config: str) -> dict[str, pa.ChunkedArray]:
        """Split → its sample ids in row order, for every split of ``config`` (only the ``id``
        columns are read, once per opened dataset)."""
        self.check_config(config)
        if config not in self._ids:
            self._ids[config] = {
                split: self.table(config, split, ["id"]).column("id")
                for split in CONFIG_SPLITS[config]
            }
        return dict(self._ids[config])

    def split(self, config: str, split: str) -> pd.DataFrame:
        """One split as a DataFrame, one row per sample.

        Nested fields come back as Python objects: ``options`` a list of ``{"code", "label"}``
        dicts, ``subgroup`` a dict, ``counts``/``distribution``/``modal_answers`` lists.
        """
        frame: pd.DataFrame = self.table(config, split).to_pandas(maps_as_pydicts="strict")
        return frame

    def config(self, config: str) -> dict[str, pd.DataFrame]:
        """Every split of one config, keyed by split name, in :data:`CONFIG_SPLITS` order."""
        self.check_config(config)
        return {split: self.split(config, split) for split in CONFIG_SPLITS[config]}


def release_arrow_memory() -> None:
    """Hand the Arrow memory pool's freed pages back to the system.

    The pool keeps them for reuse otherwise, so a split read after another one (the baselines'
    target splits, then ``train``) would stack on top of the first one's peak.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def resolve_dataset(dataset: PathArg) -> Path:
    """A local dataset folder, or a Hub dataset ``hf://org/name`` fetched into the local cache.

    Only ``hf://org/name`` (:func:`hub_id`) is downloaded, with
    ``huggingface_hub.snapshot_download(repo_type="dataset")`` (needs the ``hub`` extra and the
    network); anything else is a local path returned unchanged, so that reading it reports a
    missing folder at once.

    Raises:
        InputError: an empty path (it would read the working folder), a malformed ``hf://``
            name, no ``huggingface_hub``, or a failed download.
        TypeError: ``dataset`` is neither text nor a path.
    """
    if not isinstance(dataset, str | os.PathLike):
        raise TypeError(
            f"a dataset is a folder path or hf://org/name, not {type(dataset).__name__}"
        )
    if isinstance(dataset, str) and not dataset:
        raise InputError("an empty dataset path; give a built dataset folder or hf://org/name")
    repo = hub_id(dataset)
    if repo is None:
        return Path(dataset)
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            f"{dataset}: fetching a dataset from the Hugging Face Hub needs huggingface_hub "
            "(pip install 'sgbench[hub]')"
        ) from None
    try:
        local = snapshot_download(repo_id=repo, repo_type="dataset")
    except Exception as exc:  # the hub client raises many types
        raise InputError(
            f"{dataset}: fetching it from the Hugging Face Hub failed "
            # The hub client's messages run over several lines: the error is one.
            f"({type(exc).__name__}: {bounded(' '.join(str(exc).split()))})"
        ) from None
    return Path(local)


@public
def open_dataset(ref: PathArg | BuiltDataset) -> BuiltDataset:
    """Open a built dataset folder, or a Hub dataset ``hf://org/name`` (downloaded into the
    local cache; needs the ``hub`` extra and the network: a bare ``org/name`` is a local path).

    The manifest is read and checked against ``manifest.schema.json`` here, and against the copy
    its smallest data file carries (:meth:`BuiltDataset.check_binding`); every other data file
    is checked when first read. An already opened dataset is returned as is.

    Raises:
        InputError: no such folder, or a missing, unreadable, invalid or edited manifest.
    """
    if isinstance(ref, BuiltDataset):
        return ref
    root = resolve_dataset(ref)
    raw = load_manifest(root)
    built = BuiltDataset(root, Manifest.parse(raw, root / MANIFEST_FILE))
    built.check_binding()
    return built


@public
def load_split(dataset_dir: PathArg, config: str, split: str) -> pd.DataFrame:
    """One split of a dataset folder as a DataFrame (see :meth:`BuiltDataset.split`)."""
    return open_dataset(dataset_dir).split(config, split)


@public
def load_config(dataset_dir: PathArg, config: str) -> dict[str, pd.DataFrame]:
    """Every split of one config (see :meth:`BuiltDataset.config`)."""
    return open_dataset(dataset_dir).config(config)


__all__ = [
    "CONFIGS",
    "CONFIG_SPLITS",
    "PUBLICATION_FLOOR",
    "SPLITS",
    "BuiltDataset",
    "Manifest",
    "evaluation_split",
    "load_config",
    "load_manifest",
    "load_split",
    "open_dataset",
]
