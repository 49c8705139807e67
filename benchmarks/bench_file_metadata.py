"""How many bytes of each data file are its metadata, and how many the manifest's copy.

Every data file carries a copy of the manifest (``sgbench.dataset.binding``) in its parquet
key-value metadata. The manifest grows with the countries of a build (their attributes, strata
and overlaps), so this measures, per data file of each build:

- the file's size;
- the bytes of its key-value metadata (every key and value);
- the bytes of the manifest's copy (the value of ``sgbench.dataset.BINDING_KEY``);
- how many copies of the manifest the footer holds: the key-value copy, plus one more when the
  serialised Arrow schema (``ARROW:schema``, which pyarrow writes by default) carries it too.

Builds: the default (Singapore, the embedded SYNTHETIC sample) and ``--country ALL`` on
SYNTHETIC releases of several countries, each :func:`sgbench.builder.synthetic.synthetic_sample`
relabelled as one country (as :mod:`bench_build` does at full size). Prints a table and writes
``benchmarks/results/bench_file_metadata.json``, which ``docs/generate.py`` quotes. Usage::

    PYTHONPATH=. python benchmarks/bench_file_metadata.py [--countries 6 --countries 20]
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from sgbench.builder import build_dataset
from sgbench.builder.synthetic import synthetic_sample
from sgbench.catalogue import load_countries
from sgbench.dataset import BINDING_KEY

RESULTS = Path(__file__).parent / "results" / "bench_file_metadata.json"
PER_COUNTRY = 1470  # the Wave 7 release's respondents per country, as bench_build
ARROW_SCHEMA_KEY = b"ARROW:schema"


def write_release(path: Path, n_countries: int) -> None:
    """A SYNTHETIC release of ``n_countries`` countries (Singapore first)."""
    known = load_countries()
    others = [c for alpha, c in known.items() if alpha != "SGP"][: n_countries - 1]
    frames = []
    for index, country in enumerate([known["SGP"], *others]):
        frame = synthetic_sample(seed=1000 + index, n=PER_COUNTRY)
        frame["B_COUNTRY"] = country.numeric
        frame["B_COUNTRY_ALPHA"] = country.alpha
        frames.append(frame)
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)


def file_figures(path: Path) -> dict[str, int]:
    """One data file's size, key-value metadata bytes and manifest copies (see the module)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        metadata: dict[bytes, bytes] = parquet.metadata.metadata or {}
        footer = int(parquet.metadata.serialized_size)
    copy = metadata.get(BINDING_KEY, b"")
    arrow_schema = metadata.get(ARROW_SCHEMA_KEY)
    # ARROW:schema is base64 of the IPC schema message, in which the metadata values are raw.
    in_schema = copy != b"" and arrow_schema is not None and copy in base64.b64decode(arrow_schema)
    return {
        "file_bytes": path.stat().st_size,
        "footer_bytes": footer,
        "kv_bytes": sum(len(key) + len(value) for key, value in metadata.items()),
        "arrow_schema_bytes": len(arrow_schema or b""),
        "manifest_copy_bytes": len(copy),
        "manifest_copies": (copy != b"") + in_schema,
    }


def build_figures(folder: Path) -> dict[str, Any]:
    """Every data file's figures of one build folder, and the manifest's own size."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {
        "manifest_bytes": (folder / "manifest.json").stat().st_size,
        "files": {name: file_figures(folder / name) for name in sorted(manifest["files"])},
    }


def show(name: str, figures: dict[str, Any]) -> None:
    print(f"{name}: manifest.json {figures['manifest_bytes']:,} bytes")
    print(f"  {'file':<48} {'size':>10} {'footer':>9} {'kv':>9} {'copy':>9} copies")
    for file, f in figures["files"].items():
        print(
            f"  {file:<48} {f['file_bytes']:>10,} {f['footer_bytes']:>9,} {f['kv_bytes']:>9,} "
            f"{f['manifest_copy_bytes']:>9,} {f['manifest_copies']:>6}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--countries",
        type=int,
        action="append",
        help="countries of a SYNTHETIC --country ALL build (repeatable; default 6 and 20)",
    )
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    counts = args.countries or [6, 20]
    builds: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sgbench-bench-") as scratch:
        folder = Path(scratch)
        build_dataset(out_dir=folder / "default")
        builds["default"] = build_figures(folder / "default")
        show("default", builds["default"])
        for n in counts:
            release = folder / f"release-{n}.csv"
            write_release(release, n)
            name = f"ALL ({n} countries)"
            build_dataset(release, folder / f"all-{n}", country="ALL")
            builds[name] = build_figures(folder / f"all-{n}")
            builds[name]["countries"] = n
            show(name, builds[name])
    results = {"script": "benchmarks/bench_file_metadata.py", "builds": builds}
    args.json.parent.mkdir(exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
