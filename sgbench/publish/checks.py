"""Checks of a built dataset folder before it is published (and by ``sgbench validate``).

:func:`check_dataset` never stops at the first problem: it returns every problem it finds, each
naming the file concerned, so one run tells the whole story. What is checked:

- ``manifest.json`` is present, parses, and has the keys the other checks need; it lists exactly
  one data file per (config, split) of its ``configs``;
- every listed data file exists and has the size, then the sha256, the manifest records
  (:func:`sgbench.dataset.recorded_problem`), as has the card; the folder holds nothing else
  (:func:`sgbench.files.foreign_entries`: a stale shard would be picked up by the card's
  ``data_files`` globs, and ``build --out`` refuses to replace a folder holding a foreign file);
- every data file is readable parquet, has the declared sample features as its Arrow schema, the
  same schema (metadata included) as every other split and config, and, in its key-value
  metadata, its copy of the manifest and its path, and as many rows as the manifest counts (the
  rule of every reader: :func:`sgbench.dataset.binding_problem`);
- ``README.md`` is present and its YAML front matter parses; its ``configs`` name the manifest's
  configs and splits, each ``data_files`` glob matching exactly that split's file; its
  ``dataset_info`` declares, per config, the features
  :func:`sgbench.dataset.sample_features` gives for the manifest's attributes and, per split, the
  manifest's ``num_examples``; its title names the manifest's version, and its Changelog has an
  entry for that version.

Whether the dataset may be *published* is another question: a SYNTHETIC build, one under the
publication floor or with groups recoverable by subtraction is valid here (it can be scored) and
carries its reasons (:attr:`DatasetCheck.unpublishable`, from
:func:`sgbench.publish.publication_problems`), which :func:`sgbench.publish.push_dataset`
refuses on and ``sgbench validate`` shows as a note.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from sgbench.boundary import PathArg, public
from sgbench.dataset import (
    BINDING_KEY,
    CARD_FILE,
    CARD_KEY,
    MANIFEST_FILE,
    PATH_KEY,
    FooterProblem,
    binding_problem,
    card_data_files,
    carried_metadata,
    manifest_problems,
    recorded_problem,
    sample_features,
    sample_schema,
    split_file,
)
from sgbench.errors import InputError, bounded, shown_name, shown_value
from sgbench.files import FromFiles, foreign_entries, input_problem, reads
from sgbench.jsonl import loads_yaml, read_bounded, read_json_file
from sgbench.publish.publication import PUBLISHING_DOC, not_a_build, publication_problems
from sgbench.versioning import BUILD_LABELS, build_label

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

DATA_DIR: Final = "data"
CHANGELOG_HEADING: Final = "## Changelog"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset folder."""

    file: str
    """The file concerned, as a path under the folder given to :func:`check_dataset`."""
    message: str
    """What is wrong, one line."""

    def __str__(self) -> str:
        return self._shown(self.file)

    def under(self, folder: Path) -> str:
        """The problem as a message listing several shows it: its file named under ``folder``,
        which the message names first. Each problem repeated the whole folder, so two problems
        in a deep folder passed the bound of one line and the first one's reason was cut."""
        try:
            file = str(Path(self.file).relative_to(folder))
        except ValueError:
            file = self.file
        return self._shown(file)

    def _shown(self, file: str) -> str:
        # The name shown on its own (sgbench.errors.shown_name), not as part of the line: a name
        # ending in a space was shown bare, `data/x.parquet : not listed`, as the listed file.
        return bounded(f"{shown_name(file)}: {shown_name(self.message)}")


@dataclass(frozen=True)
class DatasetCheck(FromFiles):
    """The result of :func:`check_dataset`: what the folder holds and every problem found."""

    dataset_dir: Path
    """The folder checked."""
    name: str | None
    """The manifest's dataset name (None when the manifest is unusable)."""
    version: str | None
    """The manifest's dataset version, e.g. ``1.0.0`` (None when the manifest is unusable)."""
    synthetic: bool
    """The build comes from the embedded SYNTHETIC sample, not from WVS data."""
    files: tuple[str, ...]
    """Relative paths a push uploads: the card, the manifest and every listed data file."""
    problems: tuple[Problem, ...]
    """Every problem found, in check order; empty when the folder is valid."""
    manifest: Mapping[str, Any] | None = dataclasses.field(default=None, repr=False, compare=False)
    """The manifest as read (None when it is unusable)."""

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    @property
    def unpublishable(self) -> tuple[str, ...]:
        """Why the dataset cannot be published (:func:`~sgbench.publish.publication_problems`,
        a SYNTHETIC build counted); empty when it can, or when the folder is not valid (its
        fields cannot be trusted: fix the problems first)."""
        if not self.ok or self.manifest is None:
            return ()
        return tuple(publication_problems(self.manifest))

    @property
    def tag(self) -> str:
        """The Hub tag of this version, ``v<version>``."""
        if self.version is None:
            raise InputError(f"{self.dataset_dir / MANIFEST_FILE}: no usable version")
        return f"v{self.version}"

    def render(self) -> str:
        """Human-readable summary: one line per problem, or that the folder is valid."""
        label = f"{self.name} {self.version}" if self.version else "unknown version"
        head = bounded(shown_name(f"dataset folder {self.dataset_dir} ({label})"))
        lines: list[str] = []
        if self.ok:
            lines.append(f"{head}: valid ({len(self.files)} files checked)")
        else:
            lines.append(f"{head}: {len(self.problems)} problem(s)")
            lines += [str(problem) for problem in self.problems]
        if self.ok and self.version is not None and build_label(self.version) not in BUILD_LABELS:
            lines.append(not_a_build(self.version))
        elif self.synthetic:
            lines.append(
                "SYNTHETIC build: not WVS data; `sgbench push` refuses it without --allow-synthetic"
            )
        elif self.unpublishable:
            # A note, not a problem: the folder is a valid dataset (it can be scored).
            lines.append(f"not publishable: `sgbench push` refuses it ({PUBLISHING_DOC}):")
            lines += [f"  {reason}" for reason in self.unpublishable]
        return "\n".join(lines)


class InvalidDatasetError(InputError):
    """A dataset folder failed :func:`check_dataset`; the message lists every problem."""

    def __init__(self, check: DatasetCheck) -> None:
        self.check = check
        problems = "; ".join(problem.under(check.dataset_dir) for problem in check.problems)
        super().__init__(
            f"{check.dataset_dir}: {len(check.problems)} problem(s), not published: {problems}"
        )


def release_version(version: str) -> str:
    """The ``MAJOR.MINOR.PATCH`` part of a dataset version (``1.0.0+synthetic`` → ``1.0.0``)."""
    return version.split("+", 1)[0]


@public
@reads(dataset_dir="DIR")
def check_dataset(dataset_dir: PathArg) -> DatasetCheck:
    """Check a built dataset folder and return every problem found (see the module docstring).

    Raises:
        InputError: ``dataset_dir`` is not a folder (nothing to check).
    """
    root = Path(dataset_dir)
    problem = input_problem(root, folder=True)
    if problem is not None:
        raise InputError(
            f"{root}: no such dataset folder"
            if problem == "missing"
            else f"{root}: {problem}; a dataset is a folder built by sgbench build"
        )
    manifest, problems = _read_manifest(root)
    if manifest is None:
        return DatasetCheck(root, None, None, False, (), tuple(problems))
    files: dict[str, str] = manifest["files"]
    data_problems = _data_file_problems(root, manifest)
    problems += data_problems
    unread = {p.file for p in data_problems if p.message.startswith(_UNREADABLE)}
    readable = {name: sha for name, sha in files.items() if str(root / name) not in unread}
    schemas, footers, unreadable = _parquet_facts(root, readable)
    problems += unreadable
    problems += _binding_problems(root, footers, manifest)
    problems += _schema_problems(root, schemas, list(manifest["attributes"]))
    if not problems:
        problems += _row_value_problems(root, manifest)
    problems += _card_problems(root, manifest)
    return DatasetCheck(
        dataset_dir=root,
        name=manifest["name"],
        version=manifest["version"],
        synthetic=manifest["synthetic"],
        files=(CARD_FILE, MANIFEST_FILE, *sorted(files)),
        problems=tuple(problems),
        manifest=manifest,
    )


_UNREADABLE: Final = "cannot be read"


def _where(root: Path, relative: str) -> str:
    return str(root / relative)


def _read_manifest(root: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The manifest when usable by the other checks, and the problems found in it."""
    where = _where(root, MANIFEST_FILE)
    path = root / MANIFEST_FILE
    if not path.is_file():
        if path.exists() or path.is_symlink():  # a FIFO, a folder, a link to nothing
            return None, [Problem(where, "not a regular file")]
        return None, [Problem(where, "missing; is this a built sgbench dataset?")]
    try:
        manifest = read_json_file(path, "manifest")
    except InputError as exc:
        return None, [Problem(where, str(exc).removeprefix(f"{path}: "))]
    if not isinstance(manifest, dict):
        return None, [Problem(where, "not a JSON object")]
    problems = [Problem(where, problem) for problem in manifest_problems(manifest)]
    if problems:
        return None, problems
    problems += _manifest_content_problems(where, manifest)
    return (None if problems else manifest), problems


def _manifest_content_problems(where: str, manifest: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    files = manifest["files"]
    configs = manifest["configs"]
    sizes: dict[str, Any] = manifest.get("sizes") or {}
    expected: set[str] = set()
    for config, splits in configs.items():
        if not isinstance(splits, dict) or not all(
            isinstance(info, dict) and isinstance(info.get("samples"), int)
            for info in splits.values()
        ):
            problems.append(Problem(where, f"configs.{config}: each split needs `samples`"))
            continue
        expected |= {split_file(config, split) for split in splits}
    for relative in sorted(expected - set(files)):
        problems.append(Problem(where, f"`files` does not list {relative}"))
    for relative in sorted(set(files) - expected):
        problems.append(Problem(where, f"`files` lists {relative}, which is no config's split"))
    # One problem for a whole older manifest, not one per file it cannot check.
    absent = [f"`{key}`" for key in ("sizes", CARD_KEY) if key not in manifest]
    if absent:
        problems.append(
            Problem(
                where,
                f"no {' or '.join(absent)}: written by an sgbench that recorded neither the "
                "data files' sizes nor the card's sha256; rebuild the dataset",
            )
        )
    else:
        # A file `sizes` lacks is named by the check of that file (recorded_problem).
        for relative in sorted(set(sizes) - set(files)):
            problems.append(Problem(where, f"`sizes` lists {relative}, which `files` does not"))
    return problems


def _data_file_problems(root: Path, manifest: Mapping[str, Any]) -> list[Problem]:
    """Listed files missing or changed since the build (their size, then their sha256:
    :func:`~sgbench.dataset.recorded_problem`), and every entry that is not the dataset's own
    (:func:`~sgbench.files.foreign_entries`, the rule by which ``build --out`` refuses to replace
    the folder): a stale shard would be picked up by the card's globs, and a file of the user's
    (``notes.txt``, a subfolder, a symlink) passed here, then made the next build refuse."""
    problems: list[Problem] = []
    files: Mapping[str, str] = manifest["files"]
    for relative in sorted(files):
        problem = recorded_problem(root, relative, manifest)
        if problem is not None:
            problems.append(Problem(str(problem[0]), problem[1]))
    try:
        foreign = foreign_entries(root, [CARD_FILE, MANIFEST_FILE, *files])
    except OSError as exc:
        return [*problems, Problem(str(root), f"cannot list what it holds ({exc.strerror})")]
    own = {CARD_FILE, MANIFEST_FILE, *files}
    for relative in foreign:
        if relative in own and not os.path.islink(root / relative):
            continue  # a FIFO or a device in a listed file's place: its own check names it
        what = (
            "a symlink"
            if os.path.islink(root / relative)
            else "an empty folder"
            if relative.endswith("/")
            else f"not listed in {MANIFEST_FILE} (a stale shard, or a file of yours?)"
        )
        problems.append(
            Problem(
                _where(root, relative),
                f"{what}: not the dataset's own; move it out of the dataset folder (`sgbench "
                "build --out` replaces only a folder holding nothing else)",
            )
        )
    return problems


def _row_value_problems(root: Path, manifest: dict[str, Any]) -> list[Problem]:
    """Rows breaking the row rule every reader applies (:meth:`BuiltDataset.row_problem
    <sgbench.dataset.BuiltDataset.row_problem>`: counts, thresholds, shares, a question's fields
    equal in all its rows; the first per config), then the scorer's layout checks (duplicate
    option codes, ids, ...), so that a dataset that passes here can be read by every command."""
    from sgbench.dataset import open_dataset
    from sgbench.scoring.data import attribute_names, item_arrays, split_ids

    try:
        dataset = open_dataset(root)
    except InputError as exc:
        return [Problem(str(root), str(exc))]
    problems: list[Problem] = []
    for config, splits in sorted(dataset.manifest.configs.items()):
        try:
            broken = dataset.row_problem(config)
        except InputError as exc:
            broken = (root, str(exc).removeprefix(f"{root}: "))
        if broken is not None:  # every split of the config would repeat it
            problems.append(Problem(str(broken[0]), broken[1]))
            continue
        for split in splits:
            path = dataset.path(config, split)
            try:
                table = dataset.table(config, split)
                item_arrays(table, attribute_names(table, dataset.manifest), path)
            except InputError as exc:
                problems.append(Problem(str(path), str(exc).removeprefix(f"{path}: ")))
        try:
            split_ids(dataset, config)
        except InputError as exc:
            problems.append(Problem(str(root), str(exc).removeprefix(f"{root}: ")))
    return problems


def _parquet_facts(
    root: Path, files: Mapping[str, str]
) -> tuple[dict[str, pa.Schema], dict[str, pq.FileMetaData], list[Problem]]:
    """Arrow schema and parquet footer (row count, key-value metadata) of each readable listed
    file, and the unreadable ones."""
    import pyarrow.parquet as pq

    schemas: dict[str, pa.Schema] = {}
    footers: dict[str, pq.FileMetaData] = {}
    problems: list[Problem] = []
    for relative in sorted(files):
        path = root / relative
        if not path.is_file():
            continue
        try:
            parquet = pq.ParquetFile(path)
            schemas[relative] = parquet.schema_arrow
            footers[relative] = parquet.metadata
        except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
            problems.append(Problem(str(path), f"not a readable parquet file ({_one_line(exc)})"))
    return schemas, footers, problems


def _binding_problems(
    root: Path, footers: Mapping[str, pq.FileMetaData], manifest: Mapping[str, Any]
) -> list[Problem]:
    """Data files whose copy of the manifest (:func:`~sgbench.dataset.binding`) disagrees with
    it (the manifest was edited after the build), which carry another file's path (files
    swapped or copied with their hashes; see :mod:`sgbench.dataset`), or whose row count is not
    the manifest's: the rule every reader applies (:func:`~sgbench.dataset.binding_problem`)."""
    problems = []
    for relative, footer in footers.items():
        rows = int(footer.num_rows)
        try:
            carried = carried_metadata(footer)
        except FooterProblem as exc:
            problems.append(Problem(str(root / relative), str(exc)))
            continue
        problem = binding_problem(carried, manifest, relative, rows)
        if problem is not None:
            where, message = problem
            problems.append(Problem(_where(root, where), message))
    return problems


def schema_difference(actual: pa.Schema, expected: pa.Schema) -> str:
    """The first difference between two Arrow schemas, in words ("" when they are equal)."""
    missing = [name for name in expected.names if name not in actual.names]
    if missing:
        return f"missing field(s) {missing}"
    extra = [name for name in actual.names if name not in expected.names]
    if extra:
        return f"unexpected field(s) {extra}"
    if actual.names != expected.names:
        return f"fields in another order: {actual.names}"
    for field in expected:
        other = actual.field(field.name)
        if not other.equals(field):
            return f"field {field.name!r} is {other.type}, expected {field.type}"
    if not actual.equals(expected, check_metadata=True):
        return "schema metadata differ"
    return ""


def _without_binding(schema: pa.Schema) -> pa.Schema:
    metadata = schema.metadata or {}
    unbound = {k: v for k, v in metadata.items() if k not in (BINDING_KEY, PATH_KEY)}
    return schema.with_metadata(unbound)


def _schema_problems(
    root: Path, schemas: Mapping[str, pa.Schema], attribute_names: list[str]
) -> list[Problem]:
    """Each file against the declared features, and every file against the first."""
    if not schemas:
        return []
    declared = sample_schema(attribute_names)
    problems: list[Problem] = []
    # The binding is no feature (checked by binding_problem, from the key-value metadata): a
    # file whose schema carries it too (an earlier build's) has the features of one without.
    schemas = {relative: _without_binding(schema) for relative, schema in schemas.items()}
    first, reference = next(iter(schemas.items()))
    for relative, schema in schemas.items():
        if not schema.equals(declared):
            problems.append(
                Problem(
                    _where(root, relative),
                    "Arrow schema differs from the declared sample features: "
                    + schema_difference(schema, declared),
                )
            )
        elif not schema.equals(reference, check_metadata=True):
            problems.append(
                Problem(
                    _where(root, relative),
                    f"features differ from {first}: {schema_difference(schema, reference)}",
                )
            )
    return problems


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines) or type(exc).__name__


def split_card(text: str) -> tuple[str | None, str]:
    """A card's YAML front matter (None when it has none) and its Markdown body."""
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---\n", 3)
    if end < 0:
        return None, text
    return text[4 : end + 1], text[end + 5 :]


def _card_problems(root: Path, manifest: dict[str, Any]) -> list[Problem]:
    where = _where(root, CARD_FILE)
    path = root / CARD_FILE
    problem = input_problem(path)
    if problem is not None:
        return [Problem(where, f"{problem} (the dataset card)")]
    # The card is the build's output as much as the data: an edit of it (its text, or front
    # matter that still parses) is named here, and its content is checked as well.
    changed = recorded_problem(root, CARD_FILE, manifest)
    problems = [] if changed is None else [Problem(str(changed[0]), changed[1])]
    try:
        text = read_bounded(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [*problems, Problem(where, f"unreadable ({exc})")]
    front, body = split_card(text)
    if front is None:
        return [*problems, Problem(where, "no YAML front matter (--- … --- at the top)")]
    try:
        metadata = loads_yaml(front)
    except yaml.YAMLError as exc:
        return [*problems, Problem(where, f"YAML front matter does not parse ({_one_line(exc)})")]
    except ValueError as exc:  # too deep or too large
        return [*problems, Problem(where, f"YAML front matter {exc}")]
    if not isinstance(metadata, dict):
        return [*problems, Problem(where, "YAML front matter is not a mapping")]
    messages = [
        *_card_config_messages(metadata, manifest),
        *_card_info_messages(metadata, manifest),
        *_card_body_messages(body, manifest),
    ]
    # The specific messages say what is wrong where they can; the comparison with the card a
    # build writes catches every other edit (a licence, a country's name).
    # An edit its recorded hash or size already names is one problem, not two.
    rendered = None if messages or problems else _render_problem(text, manifest)
    return [*problems, *(Problem(where, m) for m in [*messages, *filter(None, [rendered])])]


def _render_problem(text: str, manifest: dict[str, Any]) -> str | None:
    """Why a build's card is not the one its builder writes for ``manifest``, or None.

    A build's card is :func:`sgbench.builder.card.render_card` of its manifest, a pure function
    of it: any other text (a country or licence rewritten, its hash and size re-recorded and
    re-bound) said what no build says and passed. A card of a hand-made dataset (a version whose
    label is not a build's) is held only to the structural checks that follow.
    """
    from sgbench.builder.card import render_card

    if build_label(manifest["version"]) not in BUILD_LABELS:
        return None
    try:
        expected = render_card(manifest)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # The build schema should make this unreachable; say so rather than skip the check.
        return f"cannot be compared with the card a build writes for this manifest ({exc!r})"
    if text == expected:
        return None
    lines, wanted = text.splitlines(), expected.splitlines()
    line = next(
        (n for n, (a, b) in enumerate(zip(lines, wanted, strict=False), 1) if a != b),
        min(len(lines), len(wanted)) + 1,
    )
    return (
        f"differs from the card a build writes for this manifest: first differing line {line} "
        "(rebuild the dataset; the card is generated, never edited)"
    )


def _entries(value: Any, key: str) -> dict[str, Any] | None:
    """A card list of mappings (``configs``, ``dataset_info``) keyed by ``config_name``."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        return None
    return {str(entry.get(key, "default")): entry for entry in value}


def _card_config_messages(metadata: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    configs = _entries(metadata.get("configs"), "config_name")
    if configs is None:
        return ["front matter: `configs` missing or not a list of configs"]
    wanted: dict[str, dict[str, Any]] = manifest["configs"]
    messages = [
        f"configs: no config {name!r} (the manifest has it)"
        for name in wanted
        if name not in configs
    ]
    messages += [
        f"configs: config {name!r} is not in the manifest" for name in configs if name not in wanted
    ]
    for name in (n for n in wanted if n in configs):
        data_files = configs[name].get("data_files")
        if not isinstance(data_files, list) or not all(isinstance(d, dict) for d in data_files):
            messages.append(f"configs.{name}: `data_files` is not a list of {{split, path}}")
            continue
        by_split = {str(entry.get("split")): entry.get("path") for entry in data_files}
        for split in wanted[name]:
            if split not in by_split:
                messages.append(f"configs.{name}: no data_files for split {split!r}")
                continue
            # Compared as text: the files a pattern matches are the data files the manifest
            # lists only when it is the build's (foreign entries are refused above).
            expected = card_data_files(name, split)
            if by_split[split] not in (expected, [expected]):
                messages.append(
                    f"configs.{name}.{split}: data_files path {shown_value(by_split[split])}, "
                    f"expected {expected!r} (what sgbench build writes)"
                )
        messages += [
            f"configs.{name}: split {split!r} is not in the manifest"
            for split in by_split
            if split not in wanted[name]
        ]
    return messages


def _card_info_messages(metadata: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    from datasets import Features

    infos = _entries(metadata.get("dataset_info"), "config_name")
    if infos is None:
        return ["front matter: `dataset_info` missing or not a list of configs"]
    declared = sample_features(list(manifest["attributes"]))
    wanted: dict[str, dict[str, Any]] = manifest["configs"]
    messages: list[str] = []
    for name, splits in wanted.items():
        info = infos.get(name)
        if info is None:
            messages.append(f"dataset_info: no entry for config {name!r}")
            continue
        try:
            features = Features._from_yaml_list(info.get("features"))
        except Exception as exc:  # datasets raises several types for malformed features
            messages.append(f"dataset_info.{name}.features: not valid features ({_one_line(exc)})")
        else:
            if features != declared:
                difference = schema_difference(features.arrow_schema, declared.arrow_schema)
                messages.append(
                    f"dataset_info.{name}.features differ from the sample features of the "
                    f"manifest's attributes: {difference or 'feature types differ'}"
                )
        card_splits = info.get("splits")
        counts = (
            {str(s.get("name")): s.get("num_examples") for s in card_splits if isinstance(s, dict)}
            if isinstance(card_splits, list)
            else {}
        )
        for split, split_info in splits.items():
            if split not in counts:
                messages.append(f"dataset_info.{name}: no split {split!r}")
            elif counts[split] != split_info["samples"]:
                messages.append(
                    f"dataset_info.{name}.{split}: num_examples {counts[split]}, "
                    f"{MANIFEST_FILE} counts {split_info['samples']}"
                )
    return messages


def _card_body_messages(body: str, manifest: dict[str, Any]) -> list[str]:
    name, version = manifest["name"], manifest["version"]
    messages: list[str] = []
    title = next((line for line in body.splitlines() if line.startswith("# ")), None)
    if title != f"# {name} {version}":
        messages.append(
            f"title {title!r} does not name the manifest's version (expected '# {name} {version}')"
        )
    _, _, changelog = body.partition(f"\n{CHANGELOG_HEADING}\n")
    section = changelog.split("\n## ", 1)[0]
    release = release_version(version)
    if not any(line.startswith(f"- {release}:") for line in section.splitlines()):
        messages.append(f"Changelog has no entry for version {release}")
    return messages
