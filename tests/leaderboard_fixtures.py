"""The leaderboard's crafted dataset and submissions, as described in the docstring of
``tests/test_leaderboard.py``; shared with the browser test. A helper module, not a test module."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scoring_fixtures import FOUR_POINT, HANDMADE_VERSION, make_row, write_dataset

QUESTIONS = ("Q1", "Q2", "Q3", "Q4")
OOD_SUBGROUPS = (
    {"age_group": "16-24", "religion": "Muslim"},
    {"age_group": "25-34", "religion": "Muslim"},
    {"age_group": "16-24", "religion": "Buddhist"},
)
ID_SUBGROUP = {"sex": "Female"}
TRAIN_SUBGROUPS = ({"sex": "Male"}, {"age_group": "16-24"}, {"religion": "Muslim"})
MODE = [6, 2, 1, 1]

HOSTILE_MODEL = '<script>document.title="pwned"</script>Evil "model" | *x*'
HOSTILE_ORGANISATION = '=HYPERLINK("http://example.invalid","click")'
HOSTILE_NOTES = "line one\n</script><img src=x onerror=\"document.title='pwned'\"> `code` [a](b)"
HOSTILE_URL = "https://example.org/?a=1&b='x'"
HOSTILE_FOLDER = "<img src=x onerror=alert(1)>"

Answer = Callable[[str, Mapping[str, str]], int]


def sample_id(question: str, subgroup: Mapping[str, str]) -> str:
    return f"{question}/" + "&".join(f"{k}={v.lower()}" for k, v in subgroup.items())


def ood_ids() -> list[tuple[str, Mapping[str, str]]]:
    return [(q, s) for q in QUESTIONS for s in OOD_SUBGROUPS]


def write_board_dataset(root: Path) -> Path:
    """The crafted dataset of the module docstring (train rows feed the baselines)."""
    return write_dataset(
        root,
        {
            "test_ood": [make_row(q, s, FOUR_POINT, MODE) for q, s in ood_ids()],
            "test_id": [make_row(q, ID_SUBGROUP, FOUR_POINT, MODE) for q in QUESTIONS],
            "train": [
                make_row(q, s, FOUR_POINT, [1, 5, 3, 1]) for q in QUESTIONS for s in TRAIN_SUBGROUPS
            ],
        },
    )


def metadata(**changes: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "model": "A model",
        "method": "zero-shot",
        "organisation": "A lab",
        "url": None,
        "dataset_version": HANDMADE_VERSION,
        "date": "2026-03-01",
        "notes": "",
    }
    meta.update(changes)
    return meta


def wrong_on(questions: set[str], answer: int) -> Answer:
    return lambda q, s: answer if q in questions else 1


def submit(
    root: Path,
    slug: str,
    answer: Answer | None,
    meta: Mapping[str, Any] | None = None,
    *,
    with_id: bool = False,
    extra_lines: tuple[str, ...] = (),
) -> Path:
    """Write SUBMISSIONS/<slug>/ with predictions from ``answer`` (None: no predictions file)."""
    folder = root / slug
    folder.mkdir(parents=True)
    if meta is not None:
        (folder / "submission.json").write_text(json.dumps(meta), encoding="utf-8")
    if answer is not None:
        lines = [json.dumps({"id": sample_id(q, s), "answer": answer(q, s)}) for q, s in ood_ids()]
        if with_id:
            lines += [json.dumps({"id": sample_id(q, ID_SUBGROUP), "answer": 1}) for q in QUESTIONS]
        lines += list(extra_lines)
        (folder / "predictions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def write_valid_submissions(root: Path) -> Path:
    """The seven valid entries of the module docstring."""
    submit(root, "alpha", wrong_on(set(), 1), metadata(model="Alpha"), with_id=True)
    submit(root, "beta", wrong_on({"Q1"}, 2), metadata(model="Beta"))
    submit(root, "delta", wrong_on({"Q1"}, 2), metadata(model="Delta", method="fine-tuned"))
    hostile = metadata(
        model=HOSTILE_MODEL, organisation=HOSTILE_ORGANISATION, notes=HOSTILE_NOTES, url=HOSTILE_URL
    )
    submit(root, "hostile", wrong_on({"Q1"}, 2), hostile)
    submit(root, "gamma", wrong_on({"Q1"}, 4), metadata(model="Gamma"))
    submit(root, "epsilon", wrong_on({"Q1", "Q2"}, 4), metadata(model="Epsilon"))
    submit(root, "zeta", wrong_on(set(QUESTIONS), 4), metadata(model="Zeta", method="other"))
    return root


def write_invalid_submissions(root: Path) -> dict[str, str]:
    """Invalid submissions → a phrase their problems must contain."""
    submit(root, "no-metadata", wrong_on(set(), 1), None)
    submit(root, "bad-schema", wrong_on(set(), 1), metadata(method="magic", colour="red"))
    submit(
        root,
        "bad-lines",
        wrong_on({"Q1"}, 9),
        metadata(),
        extra_lines=('{"id": "Q9/nobody", "answer": 1}',),
    )
    only_id = submit(root, "only-id", None, metadata())
    (only_id / "predictions.jsonl").write_text(
        json.dumps({"id": sample_id("Q1", ID_SUBGROUP), "answer": 1}) + "\n", encoding="utf-8"
    )
    submit(root, "old-version", wrong_on(set(), 1), metadata(dataset_version="2.0.0+handmade"))
    submit(root, "Bad_Slug", wrong_on(set(), 1), metadata())
    submit(root, HOSTILE_FOLDER, wrong_on(set(), 1), metadata())
    return {
        "no-metadata": "no-metadata/submission.json: missing",
        "bad-schema": "bad-schema/submission.json: $.method: 'magic' is not one of",
        "bad-lines": "bad-lines/predictions.jsonl: line 1: answer 9 is not an option",
        "only-id": "only-id/predictions.jsonl: no prediction for any sample of test_ood",
        "old-version": "the major versions differ",
        "Bad_Slug": "folder name 'Bad_Slug' is not a slug",
        HOSTILE_FOLDER: "is not a slug",
    }
