"""Reading the study's released outputs: rows of ``custom_id`` and ``response``.

A SOURCE is a local ``.jsonl``, ``.csv`` or ``.parquet`` file, or a Hugging Face Hub dataset
named ``hf://owner/name`` (:func:`sgbench.dataset.hub_id`, the one rule for Hub names), loaded
with ``datasets`` (online). Nothing else reaches the network: a missing local file is an error.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sgbench import jsonl
from sgbench.boundary import ArgumentName
from sgbench.builder.reader import check_distinct_header
from sgbench.dataset import HUB_PREFIX, hub_id, not_local
from sgbench.errors import InputError, bounded
from sgbench.jsonl import json_objects, raw_lines, read_lines

if TYPE_CHECKING:
    import pandas as pd

COLUMNS: Final = ("custom_id", "response")
"""The columns every source needs (others are ignored)."""
LOCAL_FORMATS: Final = (".jsonl", ".csv", ".parquet")
RELEASED_OUTPUTS: Final = "hf://Incomple/SubgroupValuesSG-outputs"
"""The Hub dataset holding the study's model outputs."""

HubLoader = Callable[..., Any]
"""``datasets.load_dataset``'s signature: ``(path, name, split=...)`` → a ``Dataset``."""


def _read_jsonl(path: Path) -> pd.DataFrame:
    import pandas as pd

    lines = read_lines(path, "no responses")
    problems = lines.problems
    rows = [obj for _, obj in json_objects(lines, problems)]
    if problems:
        number, message = problems[0]
        raise InputError(f"{path}: line {number}: {message}")
    return pd.DataFrame(rows)


def _check_line_lengths(path: Path) -> None:
    """Refuse a CSV source with a line longer than a JSON Lines source may have.

    pandas reads a line whole: a 1 GB line of NULs took 40 s and gigabytes to be called a file
    without the columns, and a 300 MB response was imported into a responses line that `parse`
    then refuses, where a `.jsonl` source stops at :data:`sgbench.jsonl.MAX_LINE_BYTES` at once.
    """
    for number, raw, _ in raw_lines(path):
        if raw is None:
            bound = jsonl.MAX_LINE_BYTES  # read when called: tests lower it
            raise InputError(f"{path}: line {number}: longer than {bound:,} bytes; not read")


def _read_local(path: Path) -> pd.DataFrame:
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            return _read_jsonl(path)
        if suffix == ".csv":
            _check_line_lengths(path)
            # Strings as written: an id or response must never become a number or NaN.
            strings: dict[str, Any] = {"dtype": str, "keep_default_na": False, "encoding": "utf-8"}
            # pandas renames a repeated column ("custom_id.1"), so the header is checked raw.
            header = pd.read_csv(path, header=None, nrows=1, **strings)
            check_distinct_header([str(name) for name in header.iloc[0]], f"{path}: line 1")
            # A row with more fields than the header made pandas take the first column as the
            # index, so every id was read from the response column: refuse a ragged file.
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                try:
                    frame: pd.DataFrame = pd.read_csv(path, index_col=False, **strings)
                except pd.errors.ParserWarning:
                    raise InputError(
                        f"{path}: a row has more fields than the header's {header.shape[1]}; "
                        "is a comma inside a response not quoted?"
                    ) from None
            return frame
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            # Readers fail on a repeated column without naming it: the schema is checked first.
            check_distinct_header(pq.read_schema(path).names, str(path))
            return pd.read_parquet(path)
    except InputError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many unrelated types for a bad file
        # Their messages can run over several lines (a schema dump): the first says what.
        why = next(iter(str(exc).splitlines()), type(exc).__name__)
        raise InputError(f"{path}: not a readable {suffix[1:]} file ({why})") from None
    raise InputError(f"{path}: unknown format; use one of {', '.join(LOCAL_FORMATS)}")


def _load_hub(
    source: str, config: str | None, split: str, loader: HubLoader | None
) -> pd.DataFrame:
    if loader is None:
        from datasets import load_dataset

        # Their retry notes ("Retrying in 8s") went to stderr around the one Error: line.
        for library in ("datasets", "huggingface_hub"):
            logging.getLogger(library).setLevel(logging.ERROR)
        loader = load_dataset
    try:
        dataset = loader(source, config, split=split)
    except Exception as exc:  # the Hub client raises many types (offline, missing, auth)
        why = bounded(" ".join(str(exc).split()))  # the Hub client's messages run over lines
        raise InputError(f"{HUB_PREFIX}{source}: cannot load from the Hub ({why})") from None
    frame: pd.DataFrame = dataset.to_pandas()
    return frame


_SOURCE: Final = ArgumentName("source", "SOURCE")
_HUB_CONFIG: Final = ArgumentName("hub_config", "--hub-config")
_HUB_SPLIT: Final = ArgumentName("hub_split", "--hub-split")


def read_source(
    source: str,
    *,
    hub_config: str | None = None,
    hub_split: str | None = None,
    loader: HubLoader | None = None,
) -> pd.DataFrame:
    """The ``custom_id`` and ``response`` columns of SOURCE, in its row order.

    Args:
        source: a local file path, or a Hub dataset ``hf://owner/name``.
        hub_config, hub_split: the Hub dataset's config and split (default ``train``); only for
            a Hub SOURCE.
        loader: replaces ``datasets.load_dataset`` (tests inject one; nothing else should).

    Raises:
        InputError: no such file, ``hub_config`` or ``hub_split`` for a local file, an unreadable
            file, a missing column, or a ``custom_id`` that is not text (the message names
            SOURCE and the column or line).
    """
    repo = hub_id(source)
    if repo is not None:
        frame = _load_hub(repo, hub_config, hub_split or "train", loader)
    elif hub_config is not None or hub_split is not None:
        raise InputError(
            f"{source}: {_HUB_CONFIG} and {_HUB_SPLIT} choose part of a Hub {_SOURCE} "
            f"({HUB_PREFIX}owner/name), not of a local file"
        )
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(not_local(source, "file"))
        if not path.is_file():
            raise InputError(f"{source}: not a file")
        frame = _read_local(path)
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {missing}; a source needs {list(COLUMNS)}")
    frame = frame.loc[:, list(COLUMNS)].reset_index(drop=True)
    not_text = ~frame["custom_id"].map(lambda value: isinstance(value, str))
    if not_text.any():
        row = int(not_text.to_numpy().argmax())
        raise InputError(f"{source}: row {row + 1}: custom_id is not text")
    return frame
