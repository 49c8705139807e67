"""The build summary the CLI prints: what a build read, kept and dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sgbench.dataset import NEAR_COPY
from sgbench.errors import shown_name
from sgbench.files import FromFiles


def paper_comparison(manifest: dict[str, Any]) -> list[str]:
    """This build's paper-config counts beside the paper's (only for a build of its config)."""
    paper = manifest.get("paper_counts")
    if not paper:
        return []
    split = manifest["configs"]["paper"]
    ours = {
        "train_subgroups": split["train"]["subgroups"],
        "ood_subgroups": split["test_ood"]["subgroups"],
        "train_samples": split["train"]["samples"],
        "ood_samples": split["test_ood"]["samples"],
        "items": manifest["items"]["kept"],
    }
    return ["this build vs the paper (paper config):"] + [
        f"  {name.replace('_', ' ')}: {ours[name]} (paper: {paper[name]:,})" for name in ours
    ]


@dataclass(frozen=True)
class BuildSummary(FromFiles):
    """What a build read, kept and dropped; ``render()`` is the CLI's summary."""

    out_dir: Path
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """A human-readable summary of the build."""
        m = self.manifest
        built = m["built_from"]
        lines = [
            # File and folder names are the user's: escaped, as in every message
            # (a U+202E in a file name reordered the line, a newline split it).
            f"{m['name']} {m['version']} → {shown_name(str(self.out_dir))}",
            f"read {built['respondents']} respondents ({built['country']}) from "
            f"{shown_name(built['file'])} [{built['format']}]",
            f"items: {m['items']['kept']} kept, {len(m['items_dropped'])} dropped",
        ]
        reasons: dict[str, list[str]] = {}
        for question_id, reason in m["items_dropped"].items():
            reasons.setdefault(reason, []).append(question_id)
        for reason, ids in reasons.items():
            shown = ", ".join(ids[:12]) + (", …" if len(ids) > 12 else "")
            lines.append(f"  dropped {len(ids)}: {reason}: {shown}")
        dropped = m["subgroups"]["dropped"]
        # Withheld subgroups are listed with the dropped ones (manifest `subgroups.dropped`).
        withheld = m.get("disclosure", {}).get("withheld_subgroups", 0)
        why = f"< {m['min_subgroup_size']} respondents"
        if withheld:
            why += f", or {withheld} withheld so that no smaller group is recovered by subtraction"
        lines.append(f"subgroups: {m['subgroups']['kept']} kept, {len(dropped)} dropped ({why})")
        for entry in dropped[:8]:
            lines.append(f"  dropped {entry['subgroup_id']} ({entry['subgroup_size']})")
        if len(dropped) > 8:
            lines.append(f"  … and {len(dropped) - 8} more (see manifest.json)")
        lines.append(
            f"(subgroup, question) pairs below {m['min_valid_answers']} valid answers: "
            f"{m['pairs_below_min_valid_answers']}"
        )
        for config, splits in m["configs"].items():
            counts = ", ".join(f"{split} {info['samples']}" for split, info in splits.items())
            lines.append(f"samples [{config}]: {counts}")
        lines += paper_comparison(m)
        near = {
            sid: entry
            for sid, entry in m.get("train_overlap", {}).items()
            if entry["jaccard"] >= NEAR_COPY
        }
        if near:
            lines.append(
                f"OOD near-copies of a training subgroup (respondent Jaccard ≥ {NEAR_COPY}):"
            )
            lines += [f"  {sid} ≈ {e['subgroup']} ({e['jaccard']:.3f})" for sid, e in near.items()]
        dropped_close = m["splits"].get("dropped_for_overlap", [])
        if dropped_close:
            lines.append(
                f"left out of test_ood (overlap > {m['splits']['max_train_overlap']}): "
                + ", ".join(dropped_close)
            )
        for earlier in m.get("earlier_waves", []):
            lines.append(
                f"wave {earlier['wave']}: {earlier['respondents']} respondents from "
                f"{shown_name(earlier['file'])}, {len(earlier['items_dropped'])} items dropped"
            )
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)
