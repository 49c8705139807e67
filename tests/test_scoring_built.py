"""The scorer on a dataset made by the real builder (the SYNTHETIC default build of conftest)."""

from __future__ import annotations

import json
from pathlib import Path

from sgbench.dataset import load_split
from sgbench.scoring import parse_responses, score_predictions
from sgbench.scoring.bootstrap import MIN_REPLICATES


def test_modal_answers_score_perfectly(built_default: Path, tmp_path: Path) -> None:
    frame = load_split(built_default, "default", "test_ood")
    path = tmp_path / "modal.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": i, "answer": int(a)}) + "\n"
            for i, a in zip(frame["id"], frame["answer"], strict=True)
        ),
        encoding="utf-8",
    )
    report = score_predictions(path, built_default, n_boot=MIN_REPLICATES).to_dict()
    assert report["n_samples"] == len(frame)
    assert report["n_missing"] == 0
    assert report["metrics"]["accuracy"] == 1.0
    assert report["metrics"]["nmae"] == 0.0
    assert report["fairness"]["subgroup"]["accuracy"]["gap"] == 0.0
    assert set(report["by_stratum"]) == set(frame["stratum"])
    assert (
        report["dataset"]["version"]
        == json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))["version"]
    )


def test_labels_parse_back_to_their_codes(built_default: Path, tmp_path: Path) -> None:
    frame = load_split(built_default, "default", "validation").head(200)
    lines = []
    expected = {}
    for sample_id, options in zip(frame["id"], frame["options"], strict=True):
        last = options[-1]
        lines.append(json.dumps({"id": sample_id, "response": f"Answer: {last['label']}"}))
        expected[sample_id] = int(last["code"])
    path = tmp_path / "responses.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = parse_responses(path, built_default)
    parsed = {p["id"]: p["answer"] for p in result.predictions}
    assert result.unparsed_ids == ()
    assert parsed == expected
