"""The item catalogue is complete and internally consistent."""

from __future__ import annotations

import re

from sgbench.catalogue import SECTIONS, items_by_id, load_catalogue


def test_catalogue_has_the_239_wave7_value_items() -> None:
    items = load_catalogue()
    ids = [item.question_id for item in items]
    assert len(items) == 239
    assert len(set(ids)) == 239
    numbers = [int(re.match(r"Q(\d+)", q).group(1)) for q in ids]  # type: ignore[union-attr]
    assert numbers == sorted(numbers), "items are in questionnaire order"
    assert min(numbers) == 1
    assert max(numbers) == 259
    # Demographics (Q260+) and the non-value blocks are not items.
    assert not {"Q42", "Q82", "Q93", "Q105", "Q152", "Q157", "Q223"} & set(ids)


def test_every_item_is_well_formed() -> None:
    for item in load_catalogue():
        codes = [o.code for o in item.options]
        excluded = [o.code for o in item.excluded]
        assert item.section in SECTIONS, item.question_id
        assert item.question.strip().endswith(("?", ".")), item.question_id
        assert len(codes) >= 2, item.question_id
        assert len(set(codes + excluded)) == len(codes) + len(excluded), item.question_id
        assert all(code >= 0 for code in codes + excluded), item.question_id
        assert all(o.label.strip() for o in item.options), item.question_id
        assert (item.scale_type == "binary") == (len(codes) == 2), item.question_id
        assert item.scale_type in {"ordinal", "nominal", "binary"}


def test_every_section_is_used() -> None:
    assert {item.section for item in load_catalogue()} == set(SECTIONS)


def test_items_whose_codes_are_not_in_scale_order() -> None:
    items = items_by_id()
    # "Better off, about the same, worse off" is coded 1, 3, 2.
    assert items["Q56"].codes == (1, 3, 2)
    # "Hard to say" (0) is the middle of the agreement scale.
    assert items["Q119"].codes == (1, 2, 0, 3, 4)
    # "Against democracy" (0) lies beyond "not essential" (1).
    assert items["Q241"].codes == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)


def test_non_substantive_codes_are_excluded_not_options() -> None:
    items = items_by_id()
    assert [o.code for o in items["Q254"].excluded] == [5]
    assert 5 not in items["Q254"].codes
    assert [o.code for o in items["Q111"].excluded] == [3]
    assert items["Q111"].scale_type == "binary"
    assert [o.code for o in items["Q221"].excluded] == [4]
