"""Samples stored normalised, and the rows of one split.

A dataset's rows repeat per-item fields (question text, options) and per-subgroup fields
(persona, the subgroup struct) millions of times in a multi-country build. A :class:`SampleSet`
keeps one row per sample with only the per-sample columns and two indexes, into an item table
and a subgroup table, and materialises full rows (every feature of
:func:`sgbench.dataset.sample_schema`) on demand, a chunk at a time when writing. Memory then
grows with the per-sample data, not with the text repeated on every row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class SampleSet:
    """The samples of one wave: per-sample columns plus the item and subgroup tables."""

    rows: pa.Table
    """One row per sample: ``item`` and ``subgroup`` (row numbers into ``items`` and
    ``subgroups``), ``n_valid``, ``counts``, ``distribution``, ``answer``, ``modal_answers``,
    ``margin``, ``mode_stability``; in subgroup order, then catalogue order."""
    items: pa.Table
    """``question_id``, ``question``, ``section``, ``options``, ``scale_type``."""
    subgroups: pa.Table
    """``subgroup_id``, ``stratum``, ``persona``, ``subgroup_size``, ``country``, ``year``,
    ``train_overlap``, and one string column per attribute (null where the stratum does not use
    it)."""
    attributes: tuple[str, ...]
    wave: int = 7
    id_suffix: str = ""
    """Appended to every id (earlier waves share subgroup and question ids with Wave 7)."""

    @property
    def num_rows(self) -> int:
        """Number of samples."""
        return int(self.rows.num_rows)

    def keys(self) -> pd.DataFrame:
        """``id``, ``stratum``, ``subgroup_id``, ``question_id`` of every sample (for splits)."""
        item, subgroup = self.rows["item"], self.rows["subgroup"]
        question_id = self.items["question_id"].take(item)
        subgroup_id = self.subgroups["subgroup_id"].take(subgroup)
        keys: pd.DataFrame = pa.table(
            {
                "id": self._ids(question_id, subgroup_id),
                "stratum": self.subgroups["stratum"].take(subgroup),
                "subgroup_id": subgroup_id,
                "question_id": question_id,
            }
        ).to_pandas()
        return keys

    def split_keys(self) -> pd.DataFrame:
        """What split assignment needs, compactly: ``stratum`` and ``question_id``
        (categoricals) and ``subgroup_id`` as integer row numbers (grouping needs only equality,
        and millions of repeated strings would not fit the memory target).
        """
        item, subgroup = self.rows["item"], self.rows["subgroup"]
        strata = pd.Categorical(self.subgroups["stratum"].to_pylist())
        return pd.DataFrame(
            {
                "stratum": strata.take(subgroup.to_numpy()),
                "subgroup_id": subgroup.to_numpy(),
                "question_id": pd.Categorical.from_codes(
                    item.to_numpy(), categories=self.items["question_id"].to_pylist()
                ),
            }
        )

    def _ids(self, question_id: pa.ChunkedArray, subgroup_id: pa.ChunkedArray) -> pa.Array:
        ids = pc.binary_join_element_wise(question_id, subgroup_id, "/")
        return pc.binary_join_element_wise(ids, self.id_suffix, "") if self.id_suffix else ids

    @staticmethod
    def _optional(table: pa.Table, name: str, kind: pa.DataType) -> pa.ChunkedArray | pa.Array:
        """A column the builder adds after aggregation; nulls before it has."""
        return table[name] if name in table.column_names else pa.nulls(table.num_rows, kind)

    def materialise(self, indices: np.ndarray | None = None) -> pa.Table:
        """Full sample rows (every dataset feature) for ``indices``, or for every sample."""
        rows = self.rows if indices is None else self.rows.take(pa.array(indices))
        item, subgroup = rows["item"], rows["subgroup"]
        question_id = self.items["question_id"].take(item)
        subgroup_id = self.subgroups["subgroup_id"].take(subgroup)
        by_subgroup = self.subgroups.take(subgroup)
        by_item = self.items.take(item)
        struct = pa.StructArray.from_arrays(
            [by_subgroup[name].combine_chunks() for name in self.attributes],
            names=list(self.attributes),
        )
        return pa.table(
            {
                "id": self._ids(question_id, subgroup_id),
                "question_id": question_id,
                "question": by_item["question"],
                "section": by_item["section"],
                "options": by_item["options"],
                "scale_type": by_item["scale_type"],
                "subgroup_id": subgroup_id,
                "subgroup": struct,
                "stratum": by_subgroup["stratum"],
                "persona": by_subgroup["persona"],
                "country": self._optional(by_subgroup, "country", pa.string()),
                "wave": pa.array(np.full(rows.num_rows, self.wave, dtype=np.int32)),
                "year": self._optional(by_subgroup, "year", pa.int32()),
                "subgroup_size": by_subgroup["subgroup_size"],
                "train_overlap": self._optional(by_subgroup, "train_overlap", pa.float64()),
                **{
                    name: rows[name]
                    for name in rows.column_names
                    if name not in ("item", "subgroup")
                },
            }
        )


@dataclass(frozen=True)
class SplitRows:
    """The samples of one split: row numbers into one or more sample sets."""

    parts: tuple[tuple[SampleSet, np.ndarray], ...]

    @property
    def num_rows(self) -> int:
        """Number of samples in the split."""
        return sum(len(indices) for _, indices in self.parts)

    def chunks(self, size: int) -> Iterator[pa.Table]:
        """Full rows, ``size`` at a time, in split order."""
        for samples, indices in self.parts:
            for start in range(0, len(indices), size):
                yield samples.materialise(indices[start : start + size])

    def materialise(self) -> pa.Table:
        """All full rows at once (small splits, tests)."""
        tables = [samples.materialise(indices) for samples, indices in self.parts]
        return pa.concat_tables(tables) if tables else pa.table({})

    def stats(self) -> dict[str, int]:
        """Samples, distinct subgroups and distinct questions, for the manifest."""
        subgroups: set[str] = set()
        questions: set[str] = set()
        for samples, indices in self.parts:
            rows = samples.rows.take(pa.array(indices))
            subgroup_rows = np.unique(rows["subgroup"].to_numpy())
            item_rows = np.unique(rows["item"].to_numpy())
            subgroups.update(
                samples.subgroups["subgroup_id"].take(pa.array(subgroup_rows)).to_pylist()
            )
            questions.update(samples.items["question_id"].take(pa.array(item_rows)).to_pylist())
        return {"samples": self.num_rows, "subgroups": len(subgroups), "questions": len(questions)}
