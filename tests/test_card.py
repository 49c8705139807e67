"""The dataset card's metadata: read back by huggingface_hub's ``DatasetCard`` and by ``datasets``,
and the Hub's size category for every size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sgbench.builder.card import SIZE_CATEGORIES, card_metadata, size_category
from sgbench.dataset import sample_features


def test_card_metadata_round_trips_through_huggingface_hub(built_default: Path) -> None:
    from huggingface_hub import DatasetCard

    manifest = json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))
    card = DatasetCard.load(built_default / "README.md")
    assert card.data.to_dict() == card_metadata(manifest)
    # Rebuilt from its own metadata, the card reads back the same.
    again = DatasetCard(card.content)
    assert again.data.to_dict() == card.data.to_dict()
    total = sum(split["samples"] for split in manifest["configs"]["default"].values())
    assert card.data.size_categories == [size_category(total)]
    assert card.data.license == "other"


def test_card_features_are_what_datasets_reads(built_default: Path) -> None:
    import datasets

    manifest = json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))
    declared = sample_features(list(manifest["attributes"]))
    for config in ("default", "paper"):
        builder = datasets.load_dataset_builder(str(built_default), config)
        assert builder.info.features == declared
        assert builder.config.name == config


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1_000, "1K<n<10K"),
        (99_999, "10K<n<100K"),
        (100_000, "100K<n<1M"),
        (2_300_000, "1M<n<10M"),  # an ALL build
        (10**7, "10M<n<100M"),
        (10**8, "100M<n<1B"),
        (10**9, "1B<n<10B"),
        (10**10, "10B<n<100B"),
        (10**11, "100B<n<1T"),
        (10**12 - 1, "100B<n<1T"),
        (10**12, "n>1T"),
        (10**15, "n>1T"),
    ],
)
def test_size_category(n: int, expected: str) -> None:
    assert size_category(n) == expected


def test_size_categories_are_the_hubs_in_order() -> None:
    # One per power of ten: the lower bound of entry k (k >= 1) is 10^(k + 2).
    for k, label in enumerate(SIZE_CATEGORIES[1:-1], start=1):
        assert size_category(10 ** (k + 2)) == label
        assert size_category(10 ** (k + 3) - 1) == label
