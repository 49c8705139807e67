"""``sgbench import paper-outputs``: the study's released outputs as a responses file of ours.

Each released ``custom_id`` is matched exactly against the released-format ids of the dataset's
samples, enumerated from the dataset's own definitions (:mod:`sgbench.paper.ids`; no id is
spelled by two samples, :func:`build_index`). A row is matched when its id is a sample's and no
other row names that sample; every
other row is left out, never guessed, with one reason:

- ``garbled``: not ``<question>_<stratum>_<value>`` in shape (fewer than three parts, an empty
  part, or white space);
- ``unknown question``: no question of the catalogue or the dataset starts it;
- ``unknown stratum``: no stratum of the dataset follows the question;
- ``unknown value``: the values are not released labels of the stratum's attributes;
- ``not in dataset``: a valid subgroup and question the dataset has no sample for (the subgroup
  is below the size threshold, the pair below the valid-answer threshold, or the question was
  dropped);
- ``duplicate``: another row names the same sample (or has the same id);
- ``no response``: the response is not text.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.builder.config import stratum_name
from sgbench.catalogue import items_by_id
from sgbench.dataset import (
    CONFIG_SPLITS,
    HUB_PREFIX,
    check_config_split,
    open_dataset,
)
from sgbench.errors import InputError, model_name_problem, shown_exactly
from sgbench.files import (
    JSON_FLAT_OBJECT,
    JSON_STRING,
    FromFiles,
    OutputKind,
    check_outputs_apart,
    check_outputs_replaceable,
    json_lines_kind,
    opening_kind,
    reads,
    write_atomic,
)
from sgbench.paper.ids import (
    PART_SEPARATOR,
    ReleasedLabels,
    released_labels,
    stratum_spellings,
    subgroup_suffixes,
)
from sgbench.paper.source import HubLoader, read_source

if TYPE_CHECKING:
    import pandas as pd

TEMPLATE: Final = "paper-released"
"""The ``template`` of every imported line: the study's own prompts, not one of ours."""
REASONS: Final = (
    "garbled",
    "unknown question",
    "unknown stratum",
    "unknown value",
    "not in dataset",
    "duplicate",
    "no response",
)
UNRECOGNISED: Final = "(unrecognised)"
"""The stratum of an id whose stratum could not be read."""
_SHAPE: Final = re.compile(r"^[^\s_]+(?:_[^\s_]+){2,}$")


@dataclass(frozen=True)
class SampleIndex:
    """A dataset's samples under every released spelling, and what diagnosing a miss needs."""

    keys: pd.DataFrame
    """``custom_id`` (a released spelling), ``id`` (our sample id); sorted."""
    samples: pd.DataFrame
    """Every sample of the config: ``stratum`` and ``question_id``, indexed and sorted by id."""
    questions: frozenset[str]
    """The catalogue's and the dataset's question ids."""
    strata: dict[str, list[tuple[str, ...]]]
    """Released stratum spelling → the attribute orders it can name, longest spelling first."""
    stratum_names: dict[str, tuple[str, ...]]
    """The dataset's stratum name → its attributes."""
    labels: ReleasedLabels
    dataset: dict[str, Any]
    """``name``, ``version``, ``synthetic`` (from the manifest) and ``config``."""


def build_index(dataset_dir: PathArg, config: str = "paper") -> SampleIndex:
    """Every sample of ``config`` (all splits) under every released spelling of its id.

    Raises:
        InputError: the dataset folder, its manifest or a split file cannot be read, the build
            has no such config, or a split file differs from the manifest's hash.
    """
    import pandas as pd

    check_config_split(config)
    # Opened, not read by path: a split file is then checked against the manifest's hashes and
    # configs like every other reader's (an edited split was imported; a build without the
    # config named a missing parquet file).
    built = open_dataset(dataset_dir)  # a Hub dataset only when named hf://org/name
    dataset_dir = built.root
    manifest = built.manifest.raw
    try:
        strata = {stratum_name(tuple(s)): tuple(s) for s in manifest["strata"]}
        labels = released_labels(manifest["attributes"])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(
            f"{dataset_dir}: manifest.json lacks strata or attributes ({exc})"
        ) from None
    columns = ["id", "question_id", "subgroup_id", "stratum", "subgroup"]
    frames = [built.table(config, split, columns).to_pandas() for split in CONFIG_SPLITS[config]]
    samples = pd.concat(frames, ignore_index=True)
    # A hundred-odd subgroups, each spelled a few ways; the samples then join on subgroup_id.
    suffix_rows = []
    first = samples.drop_duplicates("subgroup_id")
    for subgroup_id, stratum, struct in zip(
        first["subgroup_id"], first["stratum"], first["subgroup"], strict=True
    ):
        values = {name: value for name, value in struct.items() if value is not None}
        for suffix in subgroup_suffixes(strata[stratum], values, labels):
            suffix_rows.append((subgroup_id, suffix))
    suffixes = pd.DataFrame(suffix_rows, columns=["subgroup_id", "suffix"])
    keys = samples.merge(suffixes, on="subgroup_id", how="inner")
    keys["custom_id"] = keys["question_id"] + PART_SEPARATOR + keys["suffix"]
    keys = keys[["custom_id", "id"]].sort_values(["custom_id", "id"])
    # No released id is spelled by two samples, so none is ever resolved by a guess: the last
    # one or two parts are codebook labels (none holds '_' or is all [a-z0-9], the form of an
    # attribute name, and no two variables share one), each naming one variable, hence one
    # attribute (one variable per attribute), and one value (no code in two values: the
    # recorded config's rules); question ids hold no '_' (the catalogue's, the row rules).
    # tests/test_paper_outputs.py checks those premises of the catalogue.
    assert keys["custom_id"].is_unique, "a released id spelled by two samples"
    spellings: dict[str, list[tuple[str, ...]]] = {}
    for stratum in strata.values():
        for spelling, order in stratum_spellings(stratum).items():
            spellings.setdefault(spelling, []).append(order)
    built_from = manifest.get("built_from")
    wave = built_from.get("wave", 7) if isinstance(built_from, dict) else 7
    try:
        catalogue = set(items_by_id(int(wave)))
    except ValueError:  # no catalogue for that wave: the dataset's own questions still count
        catalogue = set()
    questions = catalogue | set(samples["question_id"])
    return SampleIndex(
        keys=keys.reset_index(drop=True),
        samples=samples.set_index("id")[["stratum", "question_id"]].sort_index(),
        questions=frozenset(questions),
        strata=dict(sorted(spellings.items(), key=lambda kv: (-len(kv[0]), kv[0]))),
        stratum_names=strata,
        labels=labels,
        dataset={
            "name": manifest.get("name"),
            "version": manifest.get("version"),
            "synthetic": manifest.get("synthetic"),
            "config": config,
        },
    )


@dataclass(frozen=True)
class LeftOut:
    """A released row that was not imported."""

    custom_id: str
    reason: str
    """One of :data:`REASONS`."""
    stratum: str
    """The stratum the id names (the dataset's name for it), or :data:`UNRECOGNISED`."""
    candidates: tuple[str, ...] = ()
    """Our sample ids the id could stand for (``duplicate``)."""


@dataclass(frozen=True)
class ImportResult(FromFiles):
    """The imported responses and everything left out."""

    lines: tuple[dict[str, str], ...]
    """``{"id", "response", "model", "template", "custom_id"}`` per matched row, by ``id``."""
    left_out: tuple[LeftOut, ...]
    """Rows not imported, by ``custom_id`` then reason."""
    n_rows: int
    n_samples: dict[str, int]
    """Stratum → samples of the config."""
    without_output: dict[str, int]
    """Stratum → samples of the config no imported row names."""
    questions_without_output: tuple[str, ...]
    """Questions of the dataset no imported row asks (in catalogue order)."""
    unlabelled: dict[str, dict[str, str]]
    """Attribute → value → why it has no released label."""
    dataset: dict[str, Any]
    model: str

    def to_jsonl(self) -> str:
        """The responses as JSON Lines (a trailing newline; '' when none matched)."""
        return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in self.lines)

    def by_stratum(self) -> dict[str, dict[str, int]]:
        """Stratum → reason → rows left out, both sorted."""
        counts = Counter((row.stratum, row.reason) for row in self.left_out)
        table: dict[str, dict[str, int]] = {}
        for (stratum, reason), n in sorted(counts.items()):
            table.setdefault(stratum, {})[reason] = n
        return table

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``--report``): counts, every row left out, samples not covered."""
        reasons = Counter(row.reason for row in self.left_out)
        return {
            "dataset": self.dataset,
            "model": self.model,
            "template": TEMPLATE,
            "rows": self.n_rows,
            "imported": len(self.lines),
            "left_out": len(self.left_out),
            "left_out_by_reason": {r: reasons[r] for r in REASONS if reasons[r]},
            "left_out_by_stratum": self.by_stratum(),
            "left_out_rows": [
                {
                    "custom_id": row.custom_id,
                    "reason": row.reason,
                    "stratum": row.stratum,
                    "candidates": list(row.candidates),
                }
                for row in self.left_out
            ],
            "samples": self.n_samples,
            "samples_without_output": self.without_output,
            "questions_without_output": list(self.questions_without_output),
            "values_without_released_label": self.unlabelled,
        }

    def to_json(self) -> str:
        """The report as JSON text; the same inputs give the same bytes."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def summary(self, list_limit: int | None = None) -> str:
        """What stderr shows: counts, left-out rows per stratum and reason, and the rows
        themselves (the first ``list_limit`` of them, all when None)."""
        lines = [
            f"imported {len(self.lines)} of {self.n_rows} rows as model {self.model!r}; "
            f"{len(self.left_out)} left out; "
            f"{sum(self.without_output.values())} of {sum(self.n_samples.values())} samples "
            f"of config {self.dataset['config']!r} have no imported row",
        ]
        if self.questions_without_output:
            lines.append(
                f"{len(self.questions_without_output)} question(s) of the dataset have no "
                "imported row (see the report)"
            )
        for attribute, values in self.unlabelled.items():
            for value, why in values.items():
                lines.append(f"no released label for {attribute}={value!r}: {why}")
        if self.left_out:
            lines.append("left out, per stratum:")
            for stratum, reasons in self.by_stratum().items():
                counts = ", ".join(f"{reason}: {n}" for reason, n in reasons.items())
                lines.append(f"  {stratum}: {counts}")
            shown = self.left_out if list_limit is None else self.left_out[:list_limit]
            lines.append("rows left out ('custom_id': reason):")
            for row in shown:
                extra = f" ({', '.join(row.candidates)})" if row.candidates else ""
                # The SOURCE's own text, exactly (quoted, escaped): one line each, and the id
                # the file holds, padding and all.
                lines.append(f"  {shown_exactly(row.custom_id)}: {row.reason}{extra}")
            if len(shown) < len(self.left_out):
                lines.append(f"  ... and {len(self.left_out) - len(shown)} more in the report")
        return "\n".join(lines)


def _stratum_name(order: tuple[str, ...], index: SampleIndex) -> str:
    return next(name for name, names in index.stratum_names.items() if set(names) == set(order))


def diagnose(custom_id: str, index: SampleIndex) -> tuple[str, str]:
    """Why an id spelled by no sample is not one: ``(reason, stratum)`` (module docstring)."""
    if not _SHAPE.match(custom_id):
        return "garbled", UNRECOGNISED
    # The longest prefix ending before a separator that is a question id.
    cuts = [i for i, char in enumerate(custom_id) if char == PART_SEPARATOR]
    question = next(
        (custom_id[:i] for i in reversed(cuts) if custom_id[:i] in index.questions), None
    )
    if question is None:
        return "unknown question", UNRECOGNISED
    rest = custom_id[len(question) + 1 :]
    for spelling, orders in index.strata.items():
        values = rest[len(spelling) + 1 :]
        # "sex_x_caste_..." starts with the stratum "sex" but names a pair nobody defined.
        if not rest.startswith(spelling + PART_SEPARATOR) or values.startswith("x_"):
            continue
        stratum = _stratum_name(orders[0], index)
        for order in orders:
            texts = [list(index.labels.labels.get(name, {}).values()) for name in order]
            if values in {PART_SEPARATOR.join(c) for c in itertools.product(*texts)}:
                return "not in dataset", _stratum_name(order, index)
        return "unknown value", stratum
    return "unknown stratum", UNRECOGNISED


def match_outputs(frame: pd.DataFrame, index: SampleIndex, model: str) -> ImportResult:
    """Match released rows (``custom_id``, ``response``) to the samples of ``index``."""
    # One sample per id (build_index): a row's id names one sample or none.
    by_id = index.keys.set_index("custom_id")["id"]
    found = frame["custom_id"].isin(by_id.index)
    unique = frame[found].assign(id=lambda f: f["custom_id"].map(by_id))
    left_out: list[LeftOut] = []
    for custom_id in frame.loc[~found, "custom_id"]:
        reason, stratum = diagnose(custom_id, index)
        left_out.append(LeftOut(custom_id, reason, stratum))
    # A sample named by two rows (the same id twice, or two spellings) takes neither.
    repeated = unique["id"].duplicated(keep=False)
    for custom_id, sample_id in zip(
        unique.loc[repeated, "custom_id"], unique.loc[repeated, "id"], strict=True
    ):
        stratum = _stratum_of((sample_id,), index)
        left_out.append(LeftOut(custom_id, "duplicate", stratum, (sample_id,)))
    unique = unique[~repeated]
    # A bool mask even when no row is left (an empty object mask would select columns).
    no_text = ~unique["response"].map(lambda value: isinstance(value, str)).astype(bool)
    for custom_id, sample_id in zip(
        unique.loc[no_text, "custom_id"], unique.loc[no_text, "id"], strict=True
    ):
        left_out.append(LeftOut(custom_id, "no response", _stratum_of((sample_id,), index)))
    unique = unique[~no_text].sort_values("id")
    lines = tuple(
        {
            "id": sample_id,
            "response": response,
            "model": model,
            "template": TEMPLATE,
            "custom_id": custom_id,
        }
        for sample_id, response, custom_id in zip(
            unique["id"], unique["response"], unique["custom_id"], strict=True
        )
    )
    samples = index.samples
    uncovered = samples[~samples.index.isin(unique["id"])]
    missing = uncovered["stratum"].value_counts().sort_index()
    n_samples = samples["stratum"].value_counts().sort_index()
    no_question = sorted(
        set(samples["question_id"]) - set(samples.loc[unique["id"], "question_id"])
    )
    return ImportResult(
        lines=lines,
        left_out=tuple(sorted(left_out, key=lambda r: (r.custom_id, r.reason, r.candidates))),
        n_rows=len(frame),
        n_samples={str(k): int(v) for k, v in n_samples.items()},
        without_output={str(k): int(v) for k, v in missing.items()},
        questions_without_output=tuple(sorted(no_question, key=_question_order)),
        unlabelled=index.labels.unlabelled,
        dataset=index.dataset,
        model=model,
    )


def _question_order(question_id: str) -> tuple[int, str]:
    """Q2 before Q10: the number first, then the text."""
    digits = re.sub(r"\D", "", question_id)
    return (int(digits) if digits else 0, question_id)


def _stratum_of(sample_ids: tuple[str, ...], index: SampleIndex) -> str:
    strata = sorted(set(index.samples.loc[list(sample_ids), "stratum"]))
    return strata[0] if len(strata) == 1 else UNRECOGNISED


def _imported_line(obj: object) -> bool:
    """Whether a parsed line is one this import writes (its template and ``custom_id``)."""
    return isinstance(obj, dict) and obj.get("template") == TEMPLATE and "custom_id" in obj


IMPORTED: Final[OutputKind] = json_lines_kind(
    "a paper-outputs import file (its first line is not an imported line)", _imported_line
)
"""What ``--out`` replaces: an earlier import (its first line has this template and
``custom_id``), or an empty file."""
IMPORT_REPORT: Final[OutputKind] = opening_kind(
    "a report of sgbench import paper-outputs",
    rb'\{\s*"dataset"\s*:\s*'
    + JSON_FLAT_OBJECT
    + rb'\s*,\s*"model"\s*:\s*'
    + JSON_STRING
    + rb'\s*,\s*"template"\s*:\s*"'
    + TEMPLATE.encode()
    + rb'"',
)
"""What ``--report`` replaces: an earlier import's report (its first keys, ``dataset``, ``model``
and ``template``, fixed by :meth:`ImportResult.to_dict`), or an empty file."""


_SOURCE: Final = ArgumentName("source", "SOURCE")
_OUT: Final = ArgumentName("out", "--out")
_REPORT: Final = ArgumentName("report", "--report")
_MODEL: Final = ArgumentName("model", "--model")
_HUB_CONFIG: Final = ArgumentName("hub_config", "--hub-config")


@public
@reads(source="SOURCE", dataset_dir="--dataset")
def import_paper_outputs(
    source: PathArg,
    dataset_dir: PathArg,
    out: PathArg,
    *,
    config: str = "paper",
    model: str | None = None,
    hub_config: str | None = None,
    hub_split: str | None = None,
    report: PathArg | None = None,
    loader: HubLoader | None = None,
) -> ImportResult:
    """Read SOURCE, match its ids to ``config``'s samples, write the responses file ``out``
    (and the JSON report ``report``), each all or nothing.

    ``model`` defaults to ``hub_config`` when given, else SOURCE's file (or Hub dataset) name.
    Rows left out do not stop the import; the caller decides what they mean (the CLI exits with
    code 3).

    Raises:
        InputError: an output would overwrite an input or the other output
            (:func:`~sgbench.files.check_outputs_apart`), the model name breaks
            :func:`~sgbench.errors.model_name_problem`, SOURCE
            or the dataset cannot be read, ``out`` exists and is not an earlier import
            (:func:`~sgbench.files.check_replaceable`), or an output cannot be written.
    """
    # Here, not only in the CLI: a Python caller giving one path as out and report had the
    # responses replaced by the report (no line imported: an empty file is replaceable).
    check_outputs_apart(
        [
            (_SOURCE, source),
            (ArgumentName("dataset_dir", "--dataset"), dataset_dir),
        ],
        [(_OUT, out), (_REPORT, report)],
    )
    source = str(source)  # a local file's path, or a Hub dataset hf://owner/name
    name = model or hub_config or Path(source.removeprefix(HUB_PREFIX)).stem
    problem = model_name_problem(name)
    if problem:
        # A name taken from SOURCE's file name (or --hub-config) is recorded like a given one.
        taken = f"{_HUB_CONFIG}" if hub_config else f"{_SOURCE}'s file name"
        origin = "" if model else f" (taken from {taken}; give {_MODEL})"
        raise InputError(f"model name {name!r}{origin}: {problem}")
    # A responses file of `sgbench run` (hours of requests), a judgments file or notes named
    # as --out by mistake would be lost: only an earlier import is replaced.
    check_outputs_replaceable([(_OUT, out, IMPORTED), (_REPORT, report, IMPORT_REPORT)])
    # The local dataset first: a missing one should fail before any download.
    index = build_index(dataset_dir, config)
    frame = read_source(source, hub_config=hub_config, hub_split=hub_split, loader=loader)
    result = match_outputs(frame, index, name)
    write_atomic(out, result.to_jsonl(), kind=IMPORTED, what="responses")
    if report is not None:
        write_atomic(report, result.to_json(), kind=IMPORT_REPORT, what="report")
    return result
