"""Figures about targets and splits on the embedded SYNTHETIC default, as quoted in the docs.

Builds the embedded default into a temporary folder and prints, from the built dataset:

- samples, subgroups and questions per config and split;
- the OOD subgroups' overlap with training subgroups (near-copies first);
- how reliable the modal targets are (``mode_stability``), overall and by subgroup size;
- the accuracy ceiling of each split;
- MDS and null-corrected MDS per stratum and the sections' range, and both on a NULL build whose
  answers are shuffled across respondents (no subgroup differs: the corrected MDS is near 0);
- the items with off-scale options;
- the reference baselines on ``test_ood`` of both configs (95% intervals over questions,
  1,000 replicates, seed 0).

Every figure is SYNTHETIC (generated sample, not WVS data). Usage::

    python benchmarks/targets_figures.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from sgbench.baselines import BASELINES, run_baselines
from sgbench.builder import build_dataset
from sgbench.builder.synthetic import synthetic_sample
from sgbench.catalogue import load_catalogue
from sgbench.dataset import CONFIG_SPLITS, load_config, load_manifest
from sgbench.scoring import score_predictions
from sgbench.stats import compute_stats

NULL_SEED = 5
DEMOGRAPHICS = ("Q260", "Q262", "Q275R", "Q288R", "Q289", "Q290")


def _null_build(scratch: Path) -> Path:
    """An unweighted build of the SYNTHETIC sample with every item's answers shuffled across
    respondents (seed :data:`NULL_SEED`): subgroups then differ only by chance."""
    frame = synthetic_sample()
    rng = np.random.default_rng(NULL_SEED)
    for column in frame.columns:
        if column.startswith("Q") and column not in DEMOGRAPHICS:
            frame[column] = rng.permutation(frame[column].to_numpy())
    path = scratch / "shuffled.csv"
    frame.to_csv(path, index=False)
    build_dataset(wvs_path=path, out_dir=scratch / "null", weighted=False)
    return scratch / "null"


def _baselines(folder: Path, scratch: Path) -> None:
    """Each baseline's test_ood scores in ``paper`` and ``default``, as in the README table."""
    print("\nconfig   baseline     accuracy [95% CI]      NMAE  norm_range acc  NMAE  missing")
    for config in ("paper", "default"):
        for name, result in zip(
            BASELINES, run_baselines(BASELINES, folder, config, ["test_ood"]), strict=True
        ):
            path = scratch / f"{config}-{name}.jsonl"
            path.write_text(result.to_jsonl(), encoding="utf-8")
            report = score_predictions(path, folder, config=config).to_dict()
            low, high = report["ci"]["accuracy"]
            fairness = report["fairness"]["subgroup"]
            print(
                f"{config:<9}{name:<13}{report['metrics']['accuracy']:.3f} [{low:.3f}, "
                f"{high:.3f}]{report['metrics']['nmae']:>8.3f}"
                f"{fairness['accuracy']['norm_range']:>15.3f}"
                f"{fairness['nmae']['norm_range']:>7.3f}{report['n_missing']:>8}"
                f"  (fallback to majority: {result.n_fallback})"
            )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sgbench-figures-") as scratch:
        folder = Path(scratch) / "wvs-sg-subgroups"
        build_dataset(out_dir=folder)
        manifest = load_manifest(folder)
        print("SYNTHETIC figures (embedded sample, not WVS data)\n")
        print("config   split       samples  subgroups  questions")
        for config in ("default", "paper"):
            for split in CONFIG_SPLITS[config]:
                info = manifest["configs"][config][split]
                print(
                    f"{config:<9}{split:<12}{info['samples']:>7,}{info['subgroups']:>11}"
                    f"{info['questions']:>11}"
                )
        overlap = sorted(
            manifest["train_overlap"].items(), key=lambda kv: (-kv[1]["jaccard"], kv[0])
        )
        values = np.array([entry["jaccard"] for _, entry in overlap])
        print(
            f"\nOOD subgroups: {len(values)}; train_overlap ≥ 0.9: {(values >= 0.9).sum()}, "
            f"0.5–0.9: {((values >= 0.5) & (values < 0.9)).sum()}, < 0.5: {(values < 0.5).sum()}"
        )
        for subgroup, entry in overlap:
            if entry["jaccard"] >= 0.9:
                print(f"  {subgroup} ≈ {entry['subgroup']} ({entry['jaccard']:.3f})")

        frames = load_config(folder, "default")
        every = pd.concat([f.assign(split=s) for s, f in frames.items()], ignore_index=True)
        stability = every["mode_stability"]
        print(
            f"\nmode_stability: mean {stability.mean():.3f}, median {stability.median():.3f}, "
            f"below 0.9 {np.mean(stability < 0.9):.1%}, below 0.6 {np.mean(stability < 0.6):.1%}"
        )
        sizes = pd.cut(every["n_valid"], [0, 50, 100, 200, 400, 10_000])
        by_size = every.groupby(sizes, observed=True)["mode_stability"].agg(["mean", "size"])
        for band, row in by_size.iterrows():
            print(f"  n_valid {band}: mean {row['mean']:.3f} over {int(row['size']):,} samples")
        print("\naccuracy ceiling (mean mode_stability) per split of `default`:")
        for split, frame in frames.items():
            print(f"  {split}: {frame['mode_stability'].mean():.3f}")

        report = compute_stats(folder).to_dict()
        sections = sorted(report["by_section"].items(), key=lambda kv: -kv[1]["mds"])
        for label, (section, row) in (("highest", sections[0]), ("lowest", sections[-1])):
            print(f"\nsection MDS {label}: {row['mds']:.3f} ({section})", end="")
        null = compute_stats(_null_build(Path(scratch))).to_dict()["by_stratum"]
        print("\n\nstratum                  MDS   MDS − null   NULL build: MDS   MDS − null")
        for stratum, row in report["by_stratum"].items():
            print(
                f"  {stratum:<22}{row['mds']:>6.3f}{row['mds_corrected']:>10.3f}"
                f"{null[stratum]['mds']:>20.3f}{null[stratum]['mds_corrected']:>12.3f}"
            )

        _baselines(folder, Path(scratch))

        print("\nitems with off-scale options:")
        for item in load_catalogue():
            marked = [o for o in item.options if o.off_scale]
            if marked:
                labels = ", ".join(f'{o.code} "{o.label}"' for o in marked)
                print(f"  {item.question_id}: {labels}")


if __name__ == "__main__":
    main()
