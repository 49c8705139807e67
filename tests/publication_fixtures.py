"""A build config that meets every publication rule (tests/test_publication.py,
tests/test_publish.py): no dataset built by the package's own sample with the default config
does, since subtracting its published subgroups recovers smaller groups."""

from __future__ import annotations

from pathlib import Path

import yaml

from sgbench.builder.config import DEFAULT_CONFIG

PUBLISHABLE_ITEMS = tuple(f"Q{number}" for number in range(1, 21))


def publishable_config(folder: Path, **changes: object) -> Path:
    """A build config whose build from :func:`unmarked_csv` passes every publication rule:
    strata sex, age group and both (every subgroup has 30+ respondents and everyone has both
    values, so no subtraction leaves a group under 30), 20 items; ``changes`` override keys."""
    text = (Path(__file__).parents[1] / "sgbench/builder/configs" / DEFAULT_CONFIG).read_text()
    raw = yaml.safe_load(text)
    raw["attributes"] = {name: raw["attributes"][name] for name in ("sex", "age_group")}
    raw["strata"] = [["sex"], ["age_group"], ["sex", "age_group"]]
    raw["ood_strata"] = [["sex", "age_group"]]
    raw["items"] = list(PUBLISHABLE_ITEMS)
    raw.update(changes)
    path = folder / f"config-{len(list(folder.glob('config-*')))}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path
