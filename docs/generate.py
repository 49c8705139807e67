"""Regenerate the generated parts of README.md and docs/: the CLI reference and every figure.

- ``docs/cli.md`` is written from the click command tree (``sgbench.cli.main``): each command's
  usage, help text and options.
- ``docs/python-api.md`` is written from the public modules' ``__all__``
  (``sgbench.boundary.PUBLIC_MODULES``): each public name with its first docstring line.
- Every number the docs quote about the embedded default sits between markers,
  ``<!-- fig:KEY -->23,995<!-- /fig -->``. The value comes from :func:`figures`, which builds the
  embedded default into a temporary folder and runs the library on it (baselines, scoring,
  statistics), plus the catalogue and the committed benchmark results
  (``benchmarks/results/*.json``, written by the ``benchmarks/`` scripts, never re-run here).

Usage, from the repository root::

    python docs/generate.py           # rewrite README.md, docs/*.md and docs/cli.md in place
    python docs/generate.py --check   # exit 1, naming the stale files, when anything is out of date

The output depends only on the code and the committed files: no times, no paths.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import re
import sys
import tempfile
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent
CLI_PAGE = "docs/cli.md"
API_PAGE = "docs/python-api.md"
CHART = "docs/mds_by_section.svg"
REGENERATE = "python docs/generate.py"
MARKER = re.compile(r"<!-- fig:([a-z0-9_.]+) -->(.*?)<!-- /fig -->", re.DOTALL)


# --- CLI reference --------------------------------------------------------------------------


def _value(param: click.Parameter, ctx: click.Context) -> str:
    """What an option takes: ``flag``, the choices, or the type (with its range)."""
    if isinstance(param, click.Option) and param.is_flag:
        return "flag"
    kind = param.type
    if isinstance(kind, click.Choice):
        return " \\| ".join(f"`{c}`" for c in kind.choices)
    name = {"integer range": "integer", "float range": "number", "float": "number"}.get(
        kind.name, kind.name
    )
    if isinstance(kind, click.IntRange | click.FloatRange):
        low, high = kind.min, kind.max
        if low is not None and high is not None:
            name += f" {low}–{high}"
        elif low is not None:
            name += f" ≥ {low}" if not kind.min_open else f" > {low}"
    return name


def _option_row(param: click.Parameter, ctx: click.Context) -> str:
    """One Markdown table row for an option or argument: names, value, default, meaning."""
    if isinstance(param, click.Argument):
        names = f"`{(param.metavar or param.name or '').upper()}`"
        help_text = "argument" + ("" if param.required else " (optional)")
    else:
        names = ", ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
        help_text = inspect.cleandoc(getattr(param, "help", None) or "")
    default = ""
    if isinstance(param, click.Option):
        if param.required:
            help_text = "Required. " + help_text
        if param.multiple and "repeat" not in help_text.lower():
            help_text += " Repeatable."
        shown = param.default
        if param.show_default and shown not in (None, (), "") and not callable(shown):
            default = f"`{('on' if shown else 'off') if isinstance(shown, bool) else shown}`"
    cells = [names, _value(param, ctx), default, help_text.replace("|", "\\|")]
    return "| " + " | ".join(cells) + " |"


def _command_section(name: str, command: click.Command, parent: click.Context) -> list[str]:
    """The Markdown section of one command, and of its subcommands after it."""
    ctx = click.Context(command, info_name=name.split()[-1], parent=parent)
    lines = [f"## `{name}`", "", "```", command.get_usage(ctx).replace("Usage: ", ""), "```", ""]
    if command.help:
        lines += [inspect.cleandoc(command.help), ""]
    # --help is on every command; the page's introduction says so once.
    params = [p for p in command.get_params(ctx) if "--help" not in p.opts]
    if params:
        lines += ["| option | value | default | meaning |", "| --- | --- | --- | --- |"]
        lines += [_option_row(p, ctx) for p in params]
        lines.append("")
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            child = command.get_command(ctx, sub)
            if child is not None and not child.hidden:
                lines += _command_section(f"{name} {sub}", child, ctx)
    return lines


def cli_reference(main: click.Command) -> str:
    """``docs/cli.md``: every command of ``main`` with its usage, help and options."""
    root = click.Context(main, info_name="sgbench", **main.context_settings)
    head = [
        "# CLI reference",
        "",
        f"<!-- Generated from the click commands by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every command has `--help`. Errors are one `Error: …` line on stderr naming the file",
        "(and line or column), with exit code 2; outputs are written to a temporary place and",
        "moved into place only when complete ([the rules](errors.md)). The pages linked from",
        "the [README](../README.md) explain what each command does in depth.",
        "",
    ]
    body: list[str] = []
    if isinstance(main, click.Group):
        for sub in main.list_commands(root):
            command = main.get_command(root, sub)
            if command is not None and not command.hidden:
                body += _command_section(f"sgbench {sub}", command, root)
    return "\n".join(head + body).rstrip() + "\n"


# --- Python API reference -------------------------------------------------------------------


def _first_line(obj: object) -> str:
    """The first sentence-line of ``obj``'s docstring, on one line ("" without one)."""
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


class _RunDependent:
    """A default whose own text names a memory address: shown as ``…`` so the page is the same
    on every run."""

    def __repr__(self) -> str:
        return "…"


def _call_form(name: str, obj: object) -> str:
    """``name(a, b=1, *, c=None)``: the parameters without annotations, defaults shown only when
    their text does not depend on the run (no ``<object at 0x…>``). The text is the signature's
    own, so the keyword-only ``*`` and positional-only ``/`` markers are kept
    as Python reads them."""
    try:
        signature = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return name
    parameters = []
    for parameter in signature.parameters.values():
        plain = parameter.replace(annotation=inspect.Parameter.empty)
        if " at 0x" in str(plain):
            plain = plain.replace(default=_RunDependent())
        parameters.append(plain)
    shown = signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty)
    return f"{name}{shown}"


def _type_text(alias: object) -> str:
    return str(alias).replace("typing.", "")


def api_reference(modules: tuple[str, ...]) -> str:
    """``docs/python-api.md``: every public name of ``modules`` (their ``__all__``), what it is
    and its first docstring line."""
    import importlib

    lines = [
        "# Python API reference",
        "",
        f"<!-- Generated from the modules' `__all__` by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "The public Python API is the names listed here, and only these: each module's",
        "`__all__` (the modules are `sgbench.boundary.PUBLIC_MODULES`). Anything else may change",
        "in any release. Every public function checks its arguments where you call it: an",
        "argument of another kind (`None` for a number, a text where a list is meant, a name",
        "outside the choices) or a value the function cannot use (a NaN, a negative count, an",
        "output path equal to an input) raises `sgbench.errors.InputError` naming the argument;",
        "nothing else is meant to escape ([the rules](errors.md#the-python-api)). A path",
        "argument takes a text, a `pathlib.Path` or any `os.PathLike`, and a dataset folder an",
        "opened `BuiltDataset` too: equal arguments give equal results. Path arguments are",
        "annotated `sgbench.boundary.PathArg` (`str | os.PathLike[str]`), so a type checker",
        "takes each spelling too. The command line is documented in [cli.md](cli.md).",
        "",
    ]
    for module_name in modules:
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}`", ""]
        summary = _first_line(module)
        if summary:
            lines += [summary, ""]
        names = getattr(module, "__all__", ())
        for name in sorted(names, key=lambda n: (not callable(getattr(module, n)), n)):
            obj = getattr(module, name)
            if typing.get_origin(obj) is not None:  # an alias such as a Literal of names
                head = f"- `{name}` (type: `{_type_text(obj)}`)"
                obj = None
            elif inspect.isclass(obj):
                kind = "exception" if issubclass(obj, BaseException) else "class"
                head = (
                    f"- **class** `{_call_form(name, obj)}`"
                    if kind == "class"
                    else (f"- **exception** `{name}`")
                )
            elif callable(obj):
                head = f"- `{_call_form(name, obj)}`"
            else:
                head = f"- `{name}` (constant)"
                obj = None
            about = _first_line(obj) if obj is not None else ""
            lines.append(f"{head}: {about}" if about else head)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- figures --------------------------------------------------------------------------------


def _n(value: float) -> str:
    """An integer with thousands separators."""
    return f"{int(value):,}"


def _f3(value: float) -> str:
    return f"{value:.3f}"


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def dataset_figures(dataset: Path) -> dict[str, str]:
    """Counts of the built embedded default, read from its manifest."""
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    configs = manifest["configs"]
    strata = manifest["strata"]
    out = {
        "respondents": _n(manifest["built_from"]["respondents"]),
        "items_catalogue": _n(manifest["items"]["requested"]),
        "items_kept": _n(manifest["items"]["kept"]),
        "items_dropped": ", ".join(sorted(manifest["items_dropped"])),
        "subgroups_kept": _n(manifest["subgroups"]["kept"]),
        "subgroups_dropped": _n(len(manifest["subgroups"]["dropped"])),
        "subgroups_train": _n(configs["paper"]["train"]["subgroups"]),
        "subgroups_ood": _n(configs["paper"]["test_ood"]["subgroups"]),
        "min_subgroup_size": _n(manifest["min_subgroup_size"]),
        "min_valid_answers": _n(manifest["min_valid_answers"]),
        "validation_fraction": _pct(manifest["splits"]["validation_fraction"], 0),
        "test_id_fraction": _pct(manifest["splits"]["test_id_fraction"], 0),
        "strata": _n(len(strata)),
        "strata_single": _n(sum(len(s) == 1 for s in strata)),
        "strata_pairs": _n(sum(len(s) == 2 for s in strata)),
        "samples": _n(sum(s["samples"] for s in configs["default"].values())),
        "test_id_per_subgroup": _n(
            round(
                configs["default"]["test_id"]["samples"]
                / configs["default"]["test_id"]["subgroups"]
            )
        ),
        "judgments_ood": _n(2 * configs["default"]["test_ood"]["samples"]),
        "disclosure.groups": _n(manifest["disclosure"]["recoverable_groups"]),
        "disclosure.exact": _n(manifest["disclosure"]["exact_subgroups"]),
        "disclosure.smallest": _n(manifest["disclosure"]["smallest_size"]),
        "disclosure.derivable": _n(manifest["disclosure"]["derivable_groups"]),
        "disclosure.derivable_smallest": _n(manifest["disclosure"]["derivable_smallest"]),
    }
    for config, splits in configs.items():
        for split, counts in splits.items():
            out[f"samples.{config}.{split}"] = _n(counts["samples"])
    return out


EXAMPLE_SAMPLE = "Q27/age_group=25-34&religion=muslim"
EXAMPLE_FIELDS = ("id", "question", "options", "persona", "counts", "distribution", "answer")


def example_sample(dataset: Path) -> str:
    """A Markdown JSON block with the main fields of one ``test_ood`` sample (README)."""
    from sgbench.dataset import load_split

    split = load_split(dataset, "default", "test_ood")
    row = split[split["id"] == EXAMPLE_SAMPLE].iloc[0]
    shown: dict[str, Any] = {}
    for field in EXAMPLE_FIELDS:
        value = row[field]
        if field == "distribution":
            value = [round(float(v), 3) for v in value]
        elif field in ("options", "counts"):
            value = [dict(v) if isinstance(v, dict) else int(v) for v in value]
        elif field == "answer":
            value = int(value)
        shown[field] = value
    lines = ",\n ".join(
        f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in shown.items()
    )
    return f"\n```json\n{{{lines}}}\n```\n"


def catalogue_figures() -> dict[str, str]:
    """Counts of the package's catalogue: items, crosswalk coverage, countries."""
    from sgbench.catalogue import load_catalogue, load_countries, load_crosswalk

    crosswalk = load_crosswalk()
    countries = load_countries()
    out = {
        "catalogue_items": _n(len(load_catalogue())),
        "countries": _n(len(countries)),
        "countries_with_ethnicity": _n(sum(bool(c.ethnicity) for c in countries.values())),
    }
    for layout, items in crosswalk.items():
        out[f"crosswalk.{layout}"] = _n(len(items))
    return out


def layout_figures() -> dict[str, str]:
    """The design figures of the leaderboard page and of the charts (constants of the package)."""
    from sgbench.leaderboard.page import FIT_WIDTH, SPARE_COLUMNS
    from sgbench.stats.plots import HEATMAP_ROWS, LABEL_SIZE

    return {
        "page.fit_width": _n(FIT_WIDTH),
        "page.spare_columns": _n(SPARE_COLUMNS),
        "plots.heatmap_rows": _n(HEATMAP_ROWS),
        "plots.label_size": _n(LABEL_SIZE),
    }


def limit_figures() -> dict[str, str]:
    """The bounds on untrusted input (docs/errors.md), read from the constants that enforce them."""
    from sgbench.builder.config import MAX_TEXT
    from sgbench.builder.harmonise import WEIGHT_RANGE
    from sgbench.builder.reader import BLOCK_BYTES, MAX_EXTRACTED, MAX_RATIO
    from sgbench.builder.synthetic import MAX_RESPONDENTS
    from sgbench.errors import MAX_MESSAGE
    from sgbench.files import HEAD_BYTES, NAME_MAX
    from sgbench.jsonl import MAX_DEPTH, MAX_FILE_BYTES, MAX_KEPT_PROBLEMS, MAX_VALUES
    from sgbench.prompts.templates import MAX_FIELDS
    from sgbench.scoring.bootstrap import MAX_PERMUTATIONS
    from sgbench.scoring.parse import MAX_REPLY_CHARS
    from sgbench.scoring.predictions import (
        LINE_FRAME_BYTES,
        OPTION_BYTES,
        RESPONSE_ALLOWANCE,
        UNCHECKED_PREDICTIONS_BYTES,
    )
    from sgbench.scoring.samples import MAX_MAGNITUDE

    return {
        "limits.predictions_response_bytes": _n(RESPONSE_ALLOWANCE),
        "limits.predictions_line_frame": _n(LINE_FRAME_BYTES),
        "limits.predictions_option_bytes": _n(OPTION_BYTES),
        "limits.predictions_unchecked_mib": _n(UNCHECKED_PREDICTIONS_BYTES >> 20),
        "limits.csv_line_mib": _n(BLOCK_BYTES >> 20),
        "limits.name_max": _n(NAME_MAX),
        "limits.head_mib": _n(HEAD_BYTES >> 20),
        "limits.json_depth": _n(MAX_DEPTH),
        "limits.message_chars": _n(MAX_MESSAGE),
        "limits.json_values": _n(MAX_VALUES),
        "limits.json_file_mib": _n(MAX_FILE_BYTES >> 20),
        "limits.kept_problems": _n(MAX_KEPT_PROBLEMS),
        "limits.zip_member_gib": _n(MAX_EXTRACTED >> 30),
        "limits.zip_ratio": _n(MAX_RATIO),
        "limits.weight_min": f"{WEIGHT_RANGE[0]:g}",
        "limits.weight_max": f"{WEIGHT_RANGE[1]:g}",
        "limits.template_fields": _n(MAX_FIELDS),
        "limits.config_text_chars": _n(MAX_TEXT),
        "limits.synthetic_respondents": _n(MAX_RESPONDENTS),
        "limits.max_permutations": _n(MAX_PERMUTATIONS),
        "limits.max_magnitude": f"{MAX_MAGNITUDE:g}",
        "limits.reply_chars": _n(MAX_REPLY_CHARS),
    }


def publication_figures() -> dict[str, str]:
    """The publication floor (docs/publishing.md, README), read from its one constant."""
    from sgbench.dataset import PUBLICATION_FLOOR

    return {"publication_floor": _n(PUBLICATION_FLOOR)}


def clear_target_figures() -> dict[str, str]:
    """The least ``mode_stability`` of a clear target, the verdicts' samples
    (docs/metrics-and-fairness.md), read from its one constant."""
    from sgbench.scoring.fairness import CLEAR_STABILITY

    return {"clear_stability": f"{CLEAR_STABILITY}"}


def baseline_figures(dataset: Path, scratch: Path) -> dict[str, str]:
    """Each baseline scored on test_ood of ``paper`` and ``default`` (1,000 replicates, seed 0)."""
    from sgbench.baselines import BASELINES, run_baselines
    from sgbench.scoring import score_predictions

    n_boot, seed, split = 1000, 0, "test_ood"
    out = {"baseline.n_boot": _n(n_boot), "baseline.seed": _n(seed)}
    for config in ("paper", "default"):
        results = run_baselines(BASELINES, dataset, config=config, splits=[split], seed=seed)
        for name, result in zip(BASELINES, results, strict=True):
            path = scratch / f"{config}-{name}.jsonl"
            path.write_text(result.to_jsonl(), encoding="utf-8")
            scored = score_predictions(
                path, dataset, config=config, split=split, n_boot=n_boot, seed=seed
            )
            if (config, name) == ("default", "majority"):
                # What the README's Quickstart command prints.
                out["quickstart.score"] = f"\n```text\n{scored.render().rstrip()}\n```\n"
            report = scored.to_dict()
            key = f"baseline.{config}.{name}"
            low, high = report["ci"]["accuracy"]
            accuracy = _f3(report["metrics"]["accuracy"])
            out[f"{key}.accuracy"] = f"{accuracy} [{_f3(low)}, {_f3(high)}]"
            out[f"{key}.nmae"] = _f3(report["metrics"]["nmae"])
            for metric in ("accuracy", "nmae"):
                spread = report["fairness"]["subgroup"][metric]["norm_range"]
                out[f"{key}.norm_range_{metric}"] = _f3(spread)
            out.update(fairness_figures(key, report["fairness"]["subgroup"]))
            out[f"{key}.fallback"] = _n(result.n_fallback)
            out[f"{key}.unseen"] = _n(result.n_unseen)
            out[f"{key}.missing"] = _n(report["n_missing"])
    return out


NULL_SHUFFLE_SEED = 5
DEMOGRAPHICS = ("Q260", "Q262", "Q275R", "Q288R", "Q289", "Q290")


def suppression_figures(scratch: Path) -> dict[str, str]:
    """``disclosure.suppress.*``: the embedded default built with the Singapore config but
    ``disclosure_control: suppress``, read from its manifest."""
    import yaml

    from sgbench.builder import build_dataset

    config = ROOT / "sgbench" / "builder" / "configs" / "singapore.yaml"
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    path = scratch / "suppress.yaml"
    path.write_text(yaml.safe_dump({**raw, "disclosure_control": "suppress"}), encoding="utf-8")
    build_dataset(out_dir=scratch / "suppressed", config_path=path)
    manifest = json.loads((scratch / "suppressed" / "manifest.json").read_text(encoding="utf-8"))
    found = manifest["disclosure"]
    samples = sum(s["samples"] for s in manifest["configs"]["default"].values())
    return {
        "disclosure.suppress.withheld": _n(found["withheld_subgroups"]),
        "disclosure.suppress.kept_before": _n(
            manifest["subgroups"]["kept"] + found["withheld_subgroups"]
        ),
        "disclosure.suppress.samples": _n(found["withheld_samples"]),
        "disclosure.suppress.share": _pct(
            found["withheld_samples"] / (samples + found["withheld_samples"])
        ),
        "disclosure.suppress.after": _n(found["derivable_groups"] + found["recoverable_groups"]),
    }


def disclosure_bench_figures(bench: Mapping[str, Any]) -> dict[str, str]:
    """``bench_disclosure.*``: other countries' synthetic builds, the time, completeness."""
    countries = {k: v for k, v in bench["cases"].items() if not k.startswith("SGP")}
    shares = [c["withheld_share"] for c in countries.values()]
    withheld = [c["withheld_subgroups"] for c in countries.values()]
    kept = [c["subgroups_kept"] for c in countries.values()]
    after = sum(
        c["after"]["derivable_groups"] + c["after"]["recoverable_groups"]
        for c in bench["cases"].values()
    )
    tiny = bench["completeness"]
    return {
        "bench_disclosure.countries": ", ".join(sorted(countries)),
        "bench_disclosure.withheld_min": _n(min(withheld)),
        "bench_disclosure.withheld_max": _n(max(withheld)),
        "bench_disclosure.kept_min": _n(min(kept)),
        "bench_disclosure.kept_max": _n(max(kept)),
        "bench_disclosure.share_min": _pct(min(shares)),
        "bench_disclosure.share_max": _pct(max(shares)),
        "bench_disclosure.after": _n(after),
        "bench_disclosure.wave6.withheld": _n(bench["cases"]["SGP wave 6"]["withheld_subgroups"]),
        "bench_disclosure.wave6.share": _pct(bench["cases"]["SGP wave 6"]["withheld_share"]),
        "bench_disclosure.runs": _n(bench["runs"]),
        "bench_disclosure.atoms_max": _n(max(c["atoms"] for c in countries.values())),
        "bench_disclosure.audit_max": (
            f"{max(c['audit_median_s'] for c in countries.values()):.1f} s"
        ),
        "bench_disclosure.control_max": (
            f"{max(c['control_median_s'] for c in countries.values()):.1f} s"
        ),
        "bench_disclosure.control_sgp": f"{bench['cases']['SGP']['control_median_s']:.2f} s",
        "bench_disclosure.audit_sgp": f"{bench['cases']['SGP']['audit_median_s']:.2f} s",
        "bench_disclosure.tiny.tables": _n(tiny["tables"]),
        "bench_disclosure.tiny.before": _n(tiny["leaky_before"]),
        "bench_disclosure.tiny.after": _n(tiny["leaky_after"]),
    }


def null_build(scratch: Path) -> Path:
    """An unweighted build of the SYNTHETIC sample with every item's answers shuffled across
    respondents (seed :data:`NULL_SHUFFLE_SEED`): subgroups then differ only by chance."""
    import numpy as np

    from sgbench.builder import build_dataset
    from sgbench.builder.synthetic import synthetic_sample

    frame = synthetic_sample()
    rng = np.random.default_rng(NULL_SHUFFLE_SEED)
    for column in frame.columns:
        if column.startswith("Q") and column not in DEMOGRAPHICS:
            frame[column] = rng.permutation(frame[column].to_numpy())
    path = scratch / "shuffled.csv"
    frame.to_csv(path, index=False)
    build_dataset(wvs_path=path, out_dir=scratch / "null", weighted=False)
    return scratch / "null"


def offscale_items(catalogue: Any) -> str:
    """The items with off-scale options, runs of consecutive items with the same option merged:
    ``Q119 (0 "Hard to say"), Q122–Q129 (1 "Hard to say"), …``."""
    runs: list[tuple[list[int], str]] = []
    for item in catalogue:
        marked = ", ".join(f'{o.code} "{o.label}"' for o in item.options if o.off_scale)
        if not marked:
            continue
        number = int(re.sub(r"\D", "", item.question_id))
        if runs and runs[-1][1] == marked and runs[-1][0][-1] == number - 1:
            runs[-1][0].append(number)
        else:
            runs.append(([number], marked))
    return ", ".join(
        (f"Q{n[0]}" if len(n) == 1 else f"Q{n[0]}–Q{n[-1]}") + f" ({marked})" for n, marked in runs
    )


def null_monte_carlo(dataset: Path) -> dict[str, str]:
    """Monte Carlo standard error of the permutation-null MDS (the mean of its replicates) on
    the embedded default: per cell, and of the stratum means (mean over a stratum's cells; cells
    are dealt independently, so their errors add in quadrature)."""
    import numpy as np
    import pandas as pd

    from sgbench.stats.data import load_landscape
    from sgbench.stats.landscape import NULL_REPLICATES, NULL_SEED, null_modal_diversity

    data = load_landscape(dataset, "default")
    meta = data.items.meta
    cell, names = pd.factorize(meta["question_id"].astype(str) + "/" + meta["stratum"].astype(str))
    replicates = np.stack(
        [
            null_modal_diversity(data.counts, data.items.k, cell, len(names), seed=s, replicates=1)
            for s in range(NULL_REPLICATES)
        ]
    )
    defined = ~np.isnan(replicates).any(axis=0)
    se = replicates[:, defined].std(axis=0, ddof=1) / np.sqrt(NULL_REPLICATES)
    stratum = pd.Series([n.split("/", 1)[1] for n in names])[defined].to_numpy()
    per_stratum = pd.Series(se**2).groupby(stratum).agg(lambda v: np.sqrt(v.sum()) / len(v))
    return {
        "null.replicates": _n(NULL_REPLICATES),
        "null.seed": _n(NULL_SEED),
        "null.mc_se_cell_median": _f3(float(np.median(se))),
        "null.mc_se_cell_max": _f3(float(se.max())),
        "null.mc_se_stratum_max": _f3(float(per_stratum.max())),
    }


CEILING_CHECK_SEED = 3
AGREEMENT_SEED = 4
AGREEMENT_REPLICATES = 1000


def stability_agreement() -> dict[str, str]:
    """``mode_stability`` against a literal respondent bootstrap (:data:`AGREEMENT_REPLICATES`
    replicates, respondents drawn with replacement keeping their weights) on small pairs: 30
    per number of options (2, 3, 4, 5, 10), 30 to 35 respondents, answers from a Dirichlet(2)
    distribution, weights uniform in [0.3, 2.5], the sample's answer its weighted mode."""
    import numpy as np

    from sgbench.builder.reliability import mode_stability

    rng = np.random.default_rng(AGREEMENT_SEED)
    reps = AGREEMENT_REPLICATES
    differences = []
    for k in (2, 3, 4, 5, 10):
        for _ in range(30):
            n = int(rng.integers(30, 36))
            answers = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 2.0)))
            weights = rng.uniform(0.3, 2.5, n)
            totals = np.bincount(answers, weights=weights, minlength=k)
            squares = np.bincount(answers, weights=weights**2, minlength=k)
            top = int(totals.argmax())
            value = mode_stability(
                (totals / totals.sum())[None, :],
                np.array([totals.sum()]),
                squares[None, :],
                np.array([top]),
                np.array([k]),
                np.array([n]),
            )[0]
            draws = rng.integers(0, n, size=(reps, n))
            resampled = np.zeros((reps, k))
            np.add.at(
                resampled,
                (np.repeat(np.arange(reps), n), answers[draws].ravel()),
                weights[draws].ravel(),
            )
            literal = np.mean(resampled[:, top] >= resampled.max(axis=1) - 1e-9)
            differences.append(abs(value - literal))
    return {
        "stability.agreement.pairs": _n(len(differences)),
        "stability.agreement.replicates": _n(reps),
        "stability.agreement.mean": _f3(float(np.mean(differences))),
        "stability.agreement.max": _f3(float(np.max(differences))),
    }


def ceiling_check(frame: Any) -> dict[str, str]:
    """How well ``ceiling.accuracy`` (mean ``mode_stability``) predicts the accuracy of a
    predictor of the true distributions, on a world where the samples' distributions are the
    truth: each sample's ``n_valid`` answers redrawn from its distribution (unweighted, seed
    :data:`CEILING_CHECK_SEED`); the ceiling of the redrawn targets against the share of them
    whose modes include the true mode."""
    import numpy as np

    from sgbench.builder.reliability import mode_stability

    k = frame["options"].map(len).to_numpy()
    width = int(k.max())
    truth = np.zeros((len(frame), width))
    for row, values in enumerate(frame["distribution"]):
        truth[row, : len(values)] = values
    n = frame["n_valid"].to_numpy(dtype=np.int64)
    counts = np.random.default_rng(CEILING_CHECK_SEED).multinomial(n, truth).astype(np.float64)
    stability = mode_stability(
        counts / n[:, None], n.astype(np.float64), counts, counts.argmax(axis=1), k, n
    )
    modal = counts == counts.max(axis=1, keepdims=True)
    hit = modal[np.arange(len(frame)), truth.argmax(axis=1)]
    return {
        "ceiling.check.stability": _f3(float(stability.mean())),
        "ceiling.check.oracle": _f3(float(hit.mean())),
    }


def target_figures(dataset: Path, scratch: Path) -> dict[str, str]:
    """Splits by question, OOD overlap, target reliability, null MDS and off-scale items."""
    import numpy as np
    import pandas as pd

    from sgbench.catalogue import load_catalogue
    from sgbench.dataset import NEAR_COPY, load_config
    from sgbench.stats import compute_stats

    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for config, splits in manifest["configs"].items():
        for split, counts in splits.items():
            out[f"questions.{config}.{split}"] = _n(counts["questions"])
    overlap = sorted(manifest["train_overlap"].items(), key=lambda kv: (-kv[1]["jaccard"], kv[0]))
    jaccard = np.array([entry["jaccard"] for _, entry in overlap])
    out["overlap.near"] = _n((jaccard >= NEAR_COPY).sum())
    out["overlap.mid"] = _n(((jaccard >= 0.5) & (jaccard < NEAR_COPY)).sum())
    out["overlap.low"] = _n((jaccard < 0.5).sum())
    out["overlap.near_list"] = "; ".join(
        f"`{sid}` ≈ `{entry['subgroup']}` ({_f3(entry['jaccard'])})"
        for sid, entry in overlap
        if entry["jaccard"] >= NEAR_COPY
    )
    frames = load_config(dataset, "default")
    every = pd.concat(list(frames.values()), ignore_index=True)
    stability = every["mode_stability"]
    out["stability.mean"] = _f3(stability.mean())
    out["stability.median"] = _f3(stability.median())
    out["stability.below_0.9"] = _pct(float(np.mean(stability < 0.9)))
    out["stability.small"] = _f3(stability[every["n_valid"] <= 50].mean())
    out["stability.large"] = _f3(stability[every["n_valid"] > 400].mean())
    for split, frame in frames.items():
        out[f"ceiling.default.{split}"] = _f3(frame["mode_stability"].mean())
    out.update(ceiling_check(frames["test_ood"]))
    out.update(stability_agreement())
    null = compute_stats(null_build(scratch)).to_dict()["by_stratum"]
    for stratum, values in null.items():
        out[f"null.stratum.{stratum}.mds"] = _f3(values["mds"])
    out["null.max_abs_corrected"] = _f3(max(abs(v["mds_corrected"]) for v in null.values()))
    out.update(null_monte_carlo(dataset))
    out["offscale.items"] = offscale_items(load_catalogue())
    return out


def fairness_figures(key: str, subgroup: Mapping[str, Any]) -> dict[str, str]:
    """One baseline's noise-aware fairness across subgroups (docs/metrics-and-fairness.md)."""
    accuracy, nmae = subgroup["accuracy"], subgroup["nmae"]
    low, high = accuracy["ci"]["cv_between"]
    null = accuracy["null"]["mean"]
    degenerate = " (degenerate)" if nmae["norm_range_degenerate"] else ""
    return {
        f"{key}.cv_between": f"{_f3(accuracy['cv_between'])} [{_f3(low)}, {_f3(high)}]",
        f"{key}.p_accuracy": _f3(accuracy["p_value"]),
        f"{key}.null_norm_range": f"{_f3(accuracy['norm_range'])} ({_f3(null['norm_range'])})",
        f"{key}.null_cv": f"{_f3(accuracy['cv'])} ({_f3(null['cv'])})",
        f"{key}.nmae_gap": _f3(nmae["gap"]),
        f"{key}.nmae_sd_between": _f3(nmae["sd_between"]),
        f"{key}.p_nmae": _f3(nmae["p_value"]),
        f"{key}.nmae_norm_range": _f3(nmae["norm_range"]) + degenerate,
        f"{key}.null_share": _pct(null["norm_range"] / accuracy["norm_range"], 0),
    }


def random_truth(dataset: Path) -> dict[str, str]:
    """The random baseline's expected accuracy per OOD subgroup (mean over its samples of
    modal answers / options): how far apart the subgroups truly are for it."""
    from sgbench.dataset import load_split

    rows = load_split(dataset, "default", "test_ood")
    expected = rows["modal_answers"].map(len) / rows["options"].map(len)
    by_subgroup = expected.groupby(rows["subgroup_id"]).mean()
    return {
        "random.expected_low": _f3(by_subgroup.min()),
        "random.expected_high": _f3(by_subgroup.max()),
    }


def worked_example_figures() -> dict[str, str]:
    """The worked example of sgbench.scoring.noise, computed by the library: group a scores
    1, 1, 0 and group b 0, 0, 0 on three questions (exact p-value 0.5)."""
    import numpy as np

    from sgbench.scoring.bootstrap import bootstrap_intervals

    groups = ["a", "b"] * 3
    result = bootstrap_intervals(
        {"m": np.array([1.0, 0.0, 1.0, 0.0, 0.0, 0.0])},
        ["1", "1", "2", "2", "3", "3"],
        {"g": groups},
        ["m"],
        units=groups,
        n_boot=0,
        seed=0,
        n_permutations=100_000,
    )
    spread = result.spreads["g"]["m"]
    assert spread.null is not None
    out = {f"example.{k}": f"{v:.4f}" for k, v in spread.figures.items()}
    out["example.se"] = ", ".join(f"{se:.4f}" for se in spread.standard_errors)
    out["example.p_value"] = f"{spread.null.p_value:.4f}"
    out["example.n_permutations"] = _n(spread.null.n_permutations)
    return out


def stats_figures(dataset: Path, chart: Path | None = None) -> dict[str, str]:
    """The value landscape of the embedded default (``sgbench stats``); draws ``chart`` if given."""
    from sgbench.stats import compute_stats, write_stats

    stats = compute_stats(dataset, config="default")
    if chart is not None:
        with tempfile.TemporaryDirectory(prefix="sgbench-docs-stats-") as tmp:
            write_stats(stats, tmp, chart_format="svg")
            chart.write_bytes((Path(tmp) / chart.name).read_bytes())
    report = stats.to_dict()
    sections = sorted(report["by_section"].items(), key=lambda kv: -kv[1]["mds"])
    out = {
        "stats.section_max": sections[0][0],
        "stats.section_max_mds": _f3(sections[0][1]["mds"]),
        "stats.section_min": sections[-1][0],
        "stats.section_min_mds": _f3(sections[-1][1]["mds"]),
    }
    for stratum, values in report["by_stratum"].items():
        out[f"stats.stratum.{stratum}.mds"] = _f3(values["mds"])
        out[f"stats.stratum.{stratum}.mds_corrected"] = _f3(values["mds_corrected"])
        out[f"stats.stratum.{stratum}.distance"] = _f3(values["distance"])
    mode = report["population_mode"]
    out["stats.mode.accuracy"] = _f3(mode["overall"]["accuracy"])
    out["stats.mode.nmae"] = _f3(mode["overall"]["nmae"])
    for split, values in mode["by_split"].items():
        out[f"stats.mode.{split}.accuracy"] = _f3(values["accuracy"])
    population = report["population"]["strata"]
    out["stats.population_strata"] = ", ".join(f"`{s}`" for s in sorted(population))
    for attribute, rows in report["distance_from_population"]["by_attribute"].items():
        for rank, row in enumerate(rows[:2], start=1):
            out[f"stats.furthest.{attribute}.{rank}"] = str(row["value"])
            out[f"stats.furthest.{attribute}.{rank}.distance"] = _f3(row["distance"])
    margin = report["margin"]
    out["stats.margin.median"] = _f3(margin["quantiles"]["0.5"])
    out["stats.margin.below_0.05"] = _pct(margin["share_below_0.05"])
    out["stats.margin.tied"] = _pct(margin["share_tied"])
    return out


def file_metadata_figures(results: Path) -> dict[str, str]:
    """``bench_file_metadata.*``: the manifest's copy and the key-value metadata of the
    ``validation`` data file (the smallest of a build, where they weigh most) of the default
    build and of the largest --country ALL build measured."""
    bench = json.loads((results / "bench_file_metadata.json").read_text(encoding="utf-8"))
    builds = bench["builds"]
    largest = max((b for b in builds.values() if "countries" in b), key=lambda b: b["countries"])
    out = {"bench_file_metadata.countries": _n(largest["countries"])}
    for key, build in (("default", builds["default"]), ("all", largest)):
        figures = build["files"]["data/default/validation-00000-of-00001.parquet"]
        for name in ("file_bytes", "kv_bytes", "manifest_copy_bytes"):
            out[f"bench_file_metadata.{key}.{name}"] = f"{_n(round(figures[name] / 1024))} KiB"
        out[f"bench_file_metadata.{key}.copies"] = _n(figures["manifest_copies"])
    return out


def stats_memory_figures(results: Path) -> dict[str, str]:
    """``bench_stats_memory.*``: ``sgbench stats`` on the largest many-country build measured,
    and the checkout before the pairs were chunked where it ran there."""
    bench = json.loads((results / "bench_stats_memory.json").read_text(encoding="utf-8"))
    label, build = max(bench["builds"].items(), key=lambda b: b[1]["samples"])
    out = {
        "bench_stats_memory.build": label,
        "bench_stats_memory.samples": _n(build["samples"]),
        "bench_stats_memory.pairs": f"{build['pairs'] / 1e6:.1f} million",
        "bench_stats_memory.seconds": f"{build['after']['median_s']:.0f} s",
        "bench_stats_memory.peak": f"{_n(build['after']['peak_mib'])} MiB",
    }
    return out


def benchmark_figures(results: Path) -> dict[str, str]:
    """The committed results of the benchmark scripts (``benchmarks/results/*.json``)."""
    out: dict[str, str] = {}
    build = json.loads((results / "bench_build.json").read_text(encoding="utf-8"))
    out["bench_build.runs"] = _n(build["runs"])
    out["bench_build.respondents"] = _n(build["release"]["respondents"])
    out["bench_build.columns"] = _n(build["release"]["columns"])
    out["bench_build.mib"] = _n(round(build["release"]["mib"]))
    out["bench_build.countries"] = _n(build["countries"])
    out["bench_build.samples_all"] = f"{build['samples_all'] / 1e6:.1f} M"
    for case, key in (
        ("pandas.read_csv (all)", "read_csv"),
        ("sgbench build SGP", "sgp"),
        ("sgbench build ALL", "all"),
    ):
        figures = build["cases"][case]
        out[f"bench_build.{key}.median"] = f"{figures['median_s']:.1f} s"
        out[f"bench_build.{key}.peak"] = f"{_n(round(figures['peak_mib']))} MiB"
        if "ratio_to_read_csv" in figures:
            out[f"bench_build.{key}.ratio"] = f"{figures['ratio_to_read_csv']:.2f} ×"
    out.update(file_metadata_figures(results))
    score = json.loads((results / "bench_score.json").read_text(encoding="utf-8"))
    for key in ("runs", "questions", "subgroups", "bootstrap", "n_samples"):
        out[f"bench_score.{key}"] = _n(score[key])
    out["bench_score.missing"] = _pct(score["missing_share"], 0)
    out["bench_score.median"] = f"{score['median_s']:.2f} s"
    fairness = score["fairness"]
    out["bench_score.fairness.runs"] = _n(fairness["runs"])
    out["bench_score.fairness.extra"] = f"{fairness['extra_s']:.2f} s"
    out["bench_score.fairness.extra_cpu"] = f"{fairness['extra_cpu_s']:.2f} s"
    out["bench_score.fairness.load"] = f"{fairness['load_average']:.0f}"
    out["bench_score.fairness.score"] = f"{fairness['score_median_s']:.2f} s"
    out["bench_score.fairness.score_without"] = (
        f"{fairness['score_without_permutations_median_s']:.2f} s"
    )
    out["bench_score.fairness.clear_cpu"] = f"{fairness['clear_cpu_median_s']:.2f} s"
    out["bench_score.fairness.score_cpu"] = f"{fairness['score_cpu_median_s']:.2f} s"
    out["bench_score.fairness.clear_share_cpu"] = _pct(fairness["clear_share_cpu"], 0)
    out["bench_score.fairness.clear_share"] = _pct(fairness["clear_share"], 0)
    out["bench_score.fairness.n_clear"] = _n(fairness["n_clear"])
    scale = score["scale"]
    out["bench_score.scale.bootstrap"] = f"{scale['bootstrap_per_1000_s']:.0f} s"
    out["bench_score.scale.permutations"] = f"{scale['permutations_per_1000_s']:.1f} s"
    out["bench_score.scale.method"] = scale["null_method"]
    out["bench_score.scale.drawn"] = _n(scale["permutations_drawn"])
    out["bench_score.scale.load"] = f"{scale['load_average']:.0f}"
    out["bench_score.scale.peak"] = f"{scale['peak_gib']:.1f} GiB"
    reports = json.loads((results / "bench_reports.json").read_text(encoding="utf-8"))
    for key in ("runs", "bootstrap", "test_ood_samples", "leaderboard_entries", "judgments"):
        out[f"bench_reports.{key}"] = _n(reports[key])
    for key in (
        "stats_s",
        "stats_with_charts_s",
        "leaderboard_baselines_s",
        "leaderboard_with_entries_s",
        "judge_report_s",
    ):
        out[f"bench_reports.{key}"] = f"{reports[key]:.1f} s"
    paper = json.loads((results / "bench_paper_import.json").read_text(encoding="utf-8"))
    for key in ("runs", "rows", "imported", "left_out"):
        out[f"bench_paper_import.{key}"] = _n(paper[key])
    out["bench_paper_import.median"] = f"{paper['median_s']:.1f} s"
    out.update(scale_figures(json.loads((results / "bench_scale.json").read_text("utf-8"))))
    memory = json.loads((results / "bench_input_memory.json").read_text(encoding="utf-8"))
    for key in ("runs", "hostile_mib", "grow_gib"):
        out[f"bench_input_memory.{key}"] = _n(memory[key])
    out["bench_input_memory.bound_mib"] = f"{memory['bound_bytes'] / 2**20:.1f}"
    out["bench_input_memory.grown_refusal_s"] = f"{memory['grown_output_refusal_s']:.1f} s"
    for case, figures in memory["cases"].items():
        key = case.replace("at the bound", "at_bound").replace(" ", "_")
        out[f"bench_input_memory.{key}"] = _n(round(figures["peak_mib"]))
    out.update(stats_memory_figures(results))
    coverage = json.loads((results / "bench_interval_coverage.json").read_text(encoding="utf-8"))
    out.update(coverage_figures(coverage))
    disclosure = json.loads((results / "bench_disclosure.json").read_text(encoding="utf-8"))
    out.update(disclosure_bench_figures(disclosure))
    optimal = json.loads((results / "bench_disclosure_optimal.json").read_text(encoding="utf-8"))
    out.update(disclosure_optimal_figures(optimal))
    oracle = json.loads((results / "bench_oracle_fairness.json").read_text(encoding="utf-8"))
    out.update(oracle_fairness_figures(oracle))
    return out


def oracle_fairness_figures(bench: Mapping[str, Any]) -> dict[str, str]:
    """``bench_oracle_fairness.*``: how often the verdict finds a gap, on the clear targets (as
    the report tests it) and on every target, for a model that predicts every subgroup's true
    modal answer (with the comparisons: accuracy minus the ceiling, looser bounds of a clear
    target), for the oracle with errors alike in every group (a null) and with errors planted
    on the Malay subgroups; the oracle's accuracy, ceiling and accuracy on clear targets by
    ethnicity; the share of clear targets."""
    key = "bench_oracle_fairness"
    models = bench["rows"]
    oracle = models["oracle"]
    adjusted = "accuracy − ceiling"
    bounds = sorted(m for m in oracle["subgroup"] if m.startswith("accuracy, mode_stability"))

    def cell(rate: Mapping[str, float]) -> str:
        if not rate["n"]:  # no redraw gave the row a verdict
            return "–"
        if rate["share"] in (0.0, 1.0):  # a standard error of 0 would claim too much
            return f"{100 * rate['share']:.1f} ({'all' if rate['share'] else 'none'})"
        return f"{100 * rate['share']:.1f} ± {100 * rate['se']:.1f}"

    def ordered(rows: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return sorted(rows.items(), key=lambda row: row[0] != "subgroup")

    def name(label: str) -> str:
        return "`subgroup`" if label == "subgroup" else f"`attributes.{label}`"

    bound_heads = " | ".join(f"≥ {m.rsplit(' ', 1)[-1]}" for m in bounds)
    table = [
        "| row | every target: accuracy | every target: nmae | clear targets: accuracy | "
        f"clear targets: nmae | accuracy − ceiling | {bound_heads} |",
        "|---|---|---|---|---|---|" + "---|" * len(bounds),
    ]
    out = {
        f"{key}.sims": _n(bench["sims"]),
        f"{key}.n_permutations": _n(bench["n_permutations"]),
        f"{key}.n_subgroups": _n(bench["n_subgroups"]),
        f"{key}.n_samples": _n(bench["n_samples"]),
        f"{key}.size_min": _n(bench["subgroup_size"]["min"]),
        f"{key}.size_max": _n(bench["subgroup_size"]["max"]),
        f"{key}.min_mode_stability": f"{bench['min_mode_stability']}",
        f"{key}.planted_share": _pct(bench["planted_share"], 0),
    }
    for label, by_metric in ordered(oracle):
        accuracy, nmae = by_metric["accuracy"], by_metric["nmae"]
        looser = " | ".join(cell(by_metric[m]) for m in bounds)
        table.append(
            f"| {name(label)} | {cell(accuracy['every_target'])} | {cell(nmae['every_target'])} "
            f"| {cell(accuracy)} | {cell(nmae)} | {cell(by_metric[adjusted])} | {looser} |"
        )
        out[f"{key}.{label}.every"] = cell(accuracy["every_target"])
        out[f"{key}.{label}.clear"] = cell(accuracy)
        out[f"{key}.{label}.clear_nmae"] = cell(nmae)
        out[f"{key}.{label}.adjusted"] = cell(by_metric[adjusted])
        for m in bounds:
            out[f"{key}.{label}.bound_{m.rsplit(' ', 1)[-1]}"] = cell(by_metric[m])
    out[f"{key}.table"] = "\n\n" + "\n".join(table) + "\n\n"
    others = [
        "| row | errors alike: every target | errors alike: clear, accuracy | errors alike: "
        "clear, nmae | planted: every target | planted: clear, accuracy | planted: clear, nmae |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, _ in ordered(oracle):
        errors, planted = models["errors"][label], models["planted"][label]
        others.append(
            f"| {name(label)} | {cell(errors['accuracy']['every_target'])} | "
            f"{cell(errors['accuracy'])} | {cell(errors['nmae'])} | "
            f"{cell(planted['accuracy']['every_target'])} | {cell(planted['accuracy'])} | "
            f"{cell(planted['nmae'])} |"
        )
        out[f"{key}.errors.{label}"] = cell(errors["accuracy"])
        out[f"{key}.planted.{label}"] = cell(planted["accuracy"])
    out[f"{key}.others"] = "\n\n" + "\n".join(others) + "\n\n"
    two_way = bench.get("two_way")
    if two_way is not None:
        heads = [
            f"{model}: {where}"
            for model in ("oracle", "errors alike", "planted")
            for where in ("every target", "clear, accuracy", "clear, nmae")
        ]
        rows = ["| row | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
        for label, _ in ordered(oracle):
            cells = []
            for model in ("oracle", "errors", "planted"):
                by_metric = two_way["rows"][model][label]
                accuracy, nmae = by_metric["accuracy"], by_metric["nmae"]
                cells += [cell(accuracy["every_target"]), cell(accuracy), cell(nmae)]
                out[f"{key}.two_way.{model}.{label}"] = cell(accuracy)
                out[f"{key}.two_way.{model}.{label}.every"] = cell(accuracy["every_target"])
            rows.append(f"| {name(label)} | " + " | ".join(cells) + " |")
        out[f"{key}.two_way.table"] = "\n\n" + "\n".join(rows) + "\n\n"
        out[f"{key}.two_way.sims"] = _n(two_way["sims"])
        out[f"{key}.two_way.seconds"] = f"{two_way['seconds_per_redraw']:.1f}"
    out.update(bound_figures(bench, cell, name, key))
    for value, figures in bench["by_value"]["ethnicity"].items():
        slug = value.lower().replace(" ", "_")
        out[f"{key}.ethnicity.{slug}"] = (
            f"{_f3(figures['accuracy'])} (ceiling {_f3(figures['ceiling'])})"
        )
        out[f"{key}.ethnicity_clear.{slug}"] = _f3(figures["accuracy_clear"])
    overall = bench["mean_over_redraws"]
    out[f"{key}.sd_accuracy"] = _f3(overall["sd_subgroup_accuracy"])
    out[f"{key}.sd_ceiling"] = _f3(overall["sd_subgroup_ceiling"])
    out[f"{key}.correlation"] = f"{overall['correlation']:.2f}"
    out[f"{key}.normalised"] = _f3(overall["accuracy_normalised"])
    out[f"{key}.clear_share"] = _pct(overall["clear_share"], 0)
    for m in bounds:
        out[f"{key}.clear_share_{m.rsplit(' ', 1)[-1]}"] = _pct(overall[f"clear_share {m}"], 0)
    return out


def bound_figures(
    bench: Mapping[str, Any],
    cell: Callable[[Mapping[str, float]], str],
    name: Callable[[str], str],
    key: str,
) -> dict[str, str]:
    """``bench_oracle_fairness.bounds``: the table the bound is chosen by, every row's accuracy
    verdict at each measured bound of a clear target (the report's own, ``min_mode_stability``,
    is the verdict's column) for each model, in each mode the bench has run; and one figure per
    mode, model, row and bound (``…bound.<mode>.<model>.<row>.<bound>``); the oracle's mean
    misses on the targets reaching each bound, and the share of redraws with one (without one,
    no test can find the oracle unfair: an upper bound of its rate in either mode)."""
    report = float(bench["min_mode_stability"])
    if f"clear_misses ≥ {report}" not in bench["mean_over_redraws"]:
        return {}  # results of a bench from before the per-model bounds: no table to draw
    modes = {"questions": bench, "two-way": bench.get("two_way")}
    prefix = "accuracy, mode_stability ≥ "
    others = {
        float(m.removeprefix(prefix))
        for m in bench["rows"]["oracle"]["subgroup"]
        if m.startswith(prefix)
    }
    bounds = sorted(others | {report})
    heads = " | ".join(f"≥ {b}" + (" (report)" if b == report else "") for b in bounds)
    table = [f"| mode | model | row | {heads} |", "|---|---|---|" + "---|" * len(bounds)]
    out: dict[str, str] = {}
    labels = {"oracle": "oracle", "errors": "errors alike", "planted": "planted"}
    for mode, run in modes.items():
        if run is None:
            continue
        slug = mode.replace("-", "_")
        for model, model_name in labels.items():
            rows = sorted(run["rows"][model].items(), key=lambda row: row[0] != "subgroup")
            for label, by_metric in rows:
                cells = []
                for b in bounds:
                    rate = by_metric["accuracy" if b == report else f"{prefix}{b}"]
                    cells.append(cell(rate))
                    out[f"{key}.bound.{slug}.{model}.{label}.{b}"] = cell(rate)
                table.append(
                    f"| {mode} | {model_name} | {name(label)} | " + " | ".join(cells) + " |"
                )
    out[f"{key}.bounds"] = "\n\n" + "\n".join(table) + "\n\n"
    overall = bench["mean_over_redraws"]
    for b in bounds:
        out[f"{key}.misses_{b}"] = f"{overall[f'clear_misses ≥ {b}']:.1f}"
        out[f"{key}.missed_{b}"] = _pct(overall[f"clear_missed ≥ {b}"], 0)
    return out


def disclosure_optimal_figures(bench: Mapping[str, Any]) -> dict[str, str]:
    """``bench_disclosure_optimal.*``: what the earlier greedy withheld, the lower bounds, and
    in how many cases suppression withholds exactly the bound it is held to."""
    cases = bench["cases"]
    sgp = cases["SGP"]
    others = [c for name, c in cases.items() if not name.startswith("SGP")]

    def share(found: Mapping[str, Any], total: Mapping[str, Any]) -> float:
        return float(found["samples"]) / float(total["samples"])

    for found in cases.values():
        if not (found["bound"]["proven"] and found["bound_first"]["proven"]):
            raise ValueError("bench_disclosure_optimal: a bound is not proven")
    return {
        "bench_disclosure_optimal.greedy_sgp": _n(sgp["greedy"]["subgroups"]),
        "bench_disclosure_optimal.greedy_sgp_share": _pct(share(sgp["greedy"], sgp)),
        "bench_disclosure_optimal.greedy_min": _n(min(c["greedy"]["subgroups"] for c in others)),
        "bench_disclosure_optimal.greedy_max": _n(max(c["greedy"]["subgroups"] for c in others)),
        "bench_disclosure_optimal.greedy_share_min": _pct(
            min(share(c["greedy"], c) for c in others)
        ),
        "bench_disclosure_optimal.greedy_share_max": _pct(
            max(share(c["greedy"], c) for c in others)
        ),
        "bench_disclosure_optimal.bound_sgp": _n(sgp["bound"]["subgroups"]),
        "bench_disclosure_optimal.bound_sgp_share": _pct(share(sgp["bound"], sgp)),
        "bench_disclosure_optimal.first_sgp": _n(sgp["bound_first"]["subgroups"]),
        "bench_disclosure_optimal.first_sgp_share": _pct(share(sgp["bound_first"], sgp)),
        "bench_disclosure_optimal.cases": _n(len(cases)),
        "bench_disclosure_optimal.at_bound": _n(
            sum(
                c["control"]["subgroups"] == c["bound_first"]["subgroups"]
                and c["control"]["samples"] == c["bound_first"]["samples"]
                for c in cases.values()
            )
        ),
        "bench_disclosure_optimal.tiny.tables": _n(bench["tiny"]["tables"]),
        "bench_disclosure_optimal.tiny.greedy": _n(bench["tiny"]["greedy_leaky"]),
        "bench_disclosure_optimal.tiny.control": _n(bench["tiny"]["control_leaky"]),
        "bench_disclosure_optimal.still_open": _n(
            sum(
                c[m]["first_still_derivable"] + c[m]["after"]
                for c in cases.values()
                for m in ("greedy", "control")
            )
        ),
    }


def coverage_figures(coverage: Mapping[str, Any]) -> dict[str, str]:
    """``bench_interval_coverage.*``: the run's settings, the fewest questions whose intervals
    reach the coverage floor (the package's method, and the plain percentile's), how much wider
    the package's intervals are, and the coverage table (questions × scenarios, in %: plain
    percentile → the package's method)."""
    from sgbench.scoring.bootstrap import MIN_QUESTIONS, expanded_tail

    out = {f"bench_interval_coverage.{key}": _n(coverage[key]) for key in ("sims", "n_boot")}
    out["bench_interval_coverage.min_questions"] = _n(MIN_QUESTIONS)
    out["bench_interval_coverage.tail_at_min"] = _pct(expanded_tail(MIN_QUESTIONS))
    for key in ("supported_questions", "percentile_supported_questions"):
        found = coverage[key]
        out[f"bench_interval_coverage.{key}"] = "none of the grid" if found is None else _n(found)
    out["bench_interval_coverage.floor"] = _pct(coverage["floor"], 0)
    # How far the floor sits below nominal, in binomial standard errors of one cell, and how
    # rarely a cell that truly covers the nominal level falls under it (normal approximation).
    nominal = coverage["confidence"]
    distance = (nominal - coverage["floor"]) / math.sqrt(nominal * (1 - nominal) / coverage["sims"])
    out["bench_interval_coverage.floor_standard_errors"] = f"{distance:.1f}"
    chance = 0.5 * math.erfc(distance / math.sqrt(2))
    out["bench_interval_coverage.floor_chance"] = _n(round(1 / chance, -3))
    plain, method = coverage["coverage"]["percentile"], coverage["coverage"][coverage["method"]]
    scenarios = list(method)
    # How much wider (median widths, averaged over the floor's scenarios) at the floor's number
    # of questions and at the grid's largest.
    for label, n_questions in (
        ("floor", coverage["supported_questions"]),
        ("largest", coverage["grid"][-1]),
    ):
        if n_questions is None:
            continue
        ratios = [
            method[s][str(n_questions)]["median_width"] / plain[s][str(n_questions)]["median_width"]
            for s in coverage["floor_scenarios"]
        ]
        out[f"bench_interval_coverage.wider_at_{label}"] = _pct(sum(ratios) / len(ratios) - 1, 0)
    out["bench_interval_coverage.largest"] = _n(coverage["grid"][-1])
    # The spread's intervals where a report prints them (from MIN_QUESTIONS on): the range of
    # coverage over the planted spreads, and the least share of no-gap intervals with no spread.
    shown = [str(q) for q in coverage["grid"] if q >= MIN_QUESTIONS]
    spreads = [s for s in scenarios if s not in coverage["floor_scenarios"]]
    planted = [
        method[s][q]["coverage"] for s in spreads if coverage["truths"][s] > 0 for q in shown
    ]
    none = [method[s][q]["coverage"] for s in spreads if coverage["truths"][s] == 0 for q in shown]
    if planted:
        out["bench_interval_coverage.spread_planted"] = f"{_pct(min(planted))}–{_pct(max(planted))}"
    if none:
        out["bench_interval_coverage.spread_none"] = f"at least {_pct(min(none))}"
    # Would the plain tail suit the spread better where the expansion is largest (the fewest
    # questions shown up to 15)? Each planted spread and the null, plain → expanded.
    few = [q for q in shown if int(q) <= 15]

    def span(table: Mapping[str, Any], name: str) -> str:
        values = sorted(table[name][q]["coverage"] for q in few)
        low, high = _pct(values[0]), _pct(values[-1])
        return low if low == high else f"{low}–{high}"

    for s in spreads:
        label = "none" if coverage["truths"][s] == 0 else s.replace("spread, 4 groups", "planted")
        label = label.replace(", ", "_").replace(" ", "_")
        out[f"bench_interval_coverage.spread_tail.{label}"] = (
            f"{span(plain, s)} → {span(method, s)}"
        )
    out["bench_interval_coverage.spread_tail.questions"] = f"{few[0]}–{few[-1]}"
    excess = max(
        method[s][q]["coverage"] for s in spreads if coverage["truths"][s] > 0 for q in few
    )
    out["bench_interval_coverage.spread_tail.excess"] = f"{100 * (excess - nominal):.1f}"
    cell_se = math.sqrt(nominal * (1 - nominal) / coverage["sims"])
    out["bench_interval_coverage.cell_se"] = f"{100 * cell_se:.1f}"
    rows = [
        "| questions | " + " | ".join(scenarios) + " |",
        "|---|" + "---|" * len(scenarios),
    ]
    for n_questions in coverage["grid"]:
        cells = [
            f"{_pct(plain[s][str(n_questions)]['coverage'])} → "
            f"{_pct(method[s][str(n_questions)]['coverage'])}"
            for s in scenarios
        ]
        rows.append(f"| {n_questions} | " + " | ".join(cells) + " |")
    out["bench_interval_coverage.table"] = "\n\n" + "\n".join(rows) + "\n\n"
    out.update(replicate_figures(coverage["replicates"]))
    out.update(two_way_figures(coverage["two_way"]))
    out.update(two_way_spread_figures(coverage["two_way_spread"]))
    out.update(two_way_real_split_figures(coverage["two_way_real_split"]))
    return out


def _points(value: float) -> str:
    """A change of coverage in percentage points, signed (−4.8)."""
    return f"{100 * value:+.1f}".replace("-", "−")


def _listed(values: Sequence[object]) -> str:
    """``10, 12 and 15``."""
    words = [_n(v) if isinstance(v, int) else str(v) for v in values]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


def two_way_figures(two_way: Mapping[str, Any]) -> dict[str, str]:
    """``bench_interval_coverage.two_way.*``: coverage of the truths of a population of
    questions and subgroups by the intervals of both resampling modes, on the same splits
    (``--part two-way``)."""
    key = "bench_interval_coverage.two_way"
    one, both = two_way["coverage"]["questions"], two_way["coverage"]["questions+subgroups"]
    scenarios = list(both)
    out = {f"{key}.sims": _n(two_way["sims"]), f"{key}.n_boot": _n(two_way["n_boot"])}
    rows = [
        "| questions | " + " | ".join(scenarios) + " |",
        "|---|" + "---|" * len(scenarios),
    ]
    for q in two_way["grid"]:
        cells = [
            f"{_pct(one[s][str(q)]['coverage'])} → {_pct(both[s][str(q)]['coverage'])}"
            for s in scenarios
        ]
        rows.append(f"| {q} | " + " | ".join(cells) + " |")
    out[f"{key}.table"] = "\n\n" + "\n".join(rows) + "\n\n"
    se = [both[s][str(q)]["se"] for s in scenarios for q in two_way["grid"]]
    out[f"{key}.max_se"] = f"{100 * max(se):.1f}"
    grid = [str(q) for q in two_way["grid"]]

    def span(table: Mapping[str, Any], names: Sequence[str]) -> str:
        values = [table[s][q]["coverage"] for s in names for q in grid]
        return f"{_pct(min(values))}–{_pct(max(values))}"

    means = [s for s in scenarios if not s.startswith("spread")]
    spreads = [s for s in scenarios if s.startswith("spread")]
    out[f"{key}.means"] = span(both, means)
    out[f"{key}.spreads"] = span(both, spreads)
    dominated = [s for s in means if "dominated" in s]
    out[f"{key}.one_way_dominated"] = span(one, dominated)
    out[f"{key}.dominated_largest"] = _pct(both[dominated[0]][grid[-1]]["coverage"])
    out[f"{key}.grid"] = _listed(two_way["grid"])
    out[f"{key}.largest"] = grid[-1]
    # How much wider the two-way intervals are than the questions-only ones on the same splits
    # (median widths): the mean where the subgroups' effects are small, and the spreads.
    first = grid[0]
    out[f"{key}.wider_mean"] = _pct(
        both[means[0]][first]["median_width"] / one[means[0]][first]["median_width"] - 1, 0
    )
    ratios = [both[s][q]["median_width"] / one[s][q]["median_width"] for s in spreads for q in grid]
    out[f"{key}.wider_spreads"] = f"{min(ratios):.1f}–{max(ratios):.1f}"
    return out


def two_way_spread_figures(spread: Mapping[str, Any]) -> dict[str, str]:
    """``bench_interval_coverage.two_way_spread.*``: the two-way intervals of the spreads where
    the truth is known (``--part two-way-spread``): how often they claim a gap where nothing
    differs, how often they hold a planted spread, by number of subgroups and of questions, and
    the fewest subgroups a two-way interval is drawn from."""
    from sgbench.scoring.bootstrap import MIN_SUBGROUPS

    key = "bench_interval_coverage.two_way_spread"
    cases, rates, grid = spread["cases"], spread["rates"], [str(q) for q in spread["grid"]]
    sims = spread["sims"]
    out = {
        f"{key}.sims": _n(sims),
        f"{key}.n_boot": _n(spread["n_boot"]),
        f"{key}.n_permutations": _n(spread["n_permutations"]),
        f"{key}.grid": _listed(spread["grid"]),
        f"{key}.largest": grid[-1],
        f"{key}.min_subgroups": _n(MIN_SUBGROUPS),
        f"{key}.below_min": _n(MIN_SUBGROUPS - 1),
        # Binomial standard errors of a cell: at 5% (the null's nominal rate) and at 95%.
        f"{key}.se_5": f"{100 * math.sqrt(0.05 * 0.95 / sims):.1f}",
        # No claim in any of the splits bounds the rate at 3 / sims (95%, the rule of three).
        f"{key}.zero_bound": _pct(3 / sims),
    }
    # The results file sorts its keys: list the cases by subgroups, an attribute's values last.
    order = sorted(cases, key=lambda n: (cases[n]["n_values"] > 1, cases[n]["n_subgroups"], n))
    null = [name for name in order if cases[name]["truth"] == 0]
    planted = [name for name in order if cases[name]["truth"] > 0]

    def table(names: Sequence[str], figures: Sequence[str]) -> str:
        rows = ["| scenario | " + " | ".join(f"{q} questions" for q in grid) + " |"]
        rows.append("|---|" + "---|" * len(grid))
        for name in names:
            cells = [
                " · ".join(f"{100 * rates[name][q][f]['share']:.1f}" for f in figures) for q in grid
            ]
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n\n" + "\n".join(rows) + "\n\n"

    out[f"{key}.null_table"] = table(null, ("sd_gap", "cv_gap", "p_below_0.05", "verdict_gap"))
    out[f"{key}.planted_table"] = table(
        [n for n in planted if cases[n]["n_values"] == 1], ("sd_covers", "cv_covers", "mean_covers")
    )
    # The verdict a two-way report prints (p < 0.05 of the subgroup shuffle), against the
    # within-question p and the read-first interval (the rules before), from MIN_SUBGROUPS on.
    judged = [n for n in null + planted if cases[n]["n_subgroups"] >= MIN_SUBGROUPS]
    out[f"{key}.verdict_table"] = table(judged, ("p_below_0.05", "interval_gap", "verdict_gap"))

    def shares(names: Sequence[str], figure: str) -> list[float]:
        return [rates[name][q][figure]["share"] for name in names for q in grid]

    def span(values: Sequence[float]) -> str:
        low, high = _pct(min(values)), _pct(max(values))
        return low if low == high else f"{low}–{high}"

    shown = [n for n in null if cases[n]["n_subgroups"] >= MIN_SUBGROUPS]
    out[f"{key}.null_gap_max"] = _pct(max(shares(shown, "sd_gap") + shares(shown, "cv_gap")))
    out[f"{key}.null_gap_max_all"] = _pct(max(shares(null, "sd_gap") + shares(null, "cv_gap")))
    nothing = [n for n in null if cases[n]["spread"] == 0]
    values = [n for n in null if cases[n]["spread"] > 0]
    out[f"{key}.p_nothing"] = span(shares(nothing, "p_below_0.05"))
    out[f"{key}.p_values_largest"] = span(
        [rates[n][grid[-1]]["p_below_0.05"]["share"] for n in values]
    )
    # The few-subgroup floor is about spreads between subgroups; the planted gaps between an
    # attribute's values are the verdict's power (below).
    over_subgroups = [n for n in planted if cases[n]["n_values"] == 1]
    held = [n for n in over_subgroups if cases[n]["n_subgroups"] >= MIN_SUBGROUPS]
    few = [n for n in over_subgroups if cases[n]["n_subgroups"] < MIN_SUBGROUPS]
    for figure in ("sd_covers", "cv_covers", "mean_covers"):
        label = figure.replace("_covers", "")
        out[f"{key}.held_{label}"] = span(shares(held, figure))
        out[f"{key}.few_{label}"] = _pct(min(shares(few, figure)))
    out[f"{key}.cv_none_max"] = _pct(max(shares(list(cases), "cv_none")))
    judged_null = [n for n in judged if cases[n]["truth"] == 0]
    between = [n for n in judged if cases[n]["n_values"] > 1]
    out[f"{key}.verdict_null"] = span(shares(judged_null, "verdict_gap"))
    out[f"{key}.verdict_null_all"] = span(shares(null, "verdict_gap"))
    # The verdict's test is exact where the subgroups are exchangeable: its cells scatter around
    # 5% by Monte Carlo error; pooled over the cells, the level with its standard error.
    pooled = shares(judged_null, "verdict_gap")
    level = sum(pooled) / len(pooled)
    out[f"{key}.verdict_null_pooled"] = _pct(level)
    out[f"{key}.verdict_null_pooled_n"] = _n(len(pooled) * sims)
    out[f"{key}.verdict_null_pooled_se"] = (
        f"{100 * math.sqrt(level * (1 - level) / (len(pooled) * sims)):.1f}"
    )
    out[f"{key}.verdict_null_before"] = span(
        shares([n for n in judged_null if cases[n]["n_values"] > 1], "p_below_0.05")
    )
    out[f"{key}.interval_null_max"] = _pct(max(shares(judged_null, "interval_gap")))
    largest = grid[-1]
    powered = [n for n in between if cases[n]["truth"] > 0]
    out[f"{key}.verdict_power_largest"] = span(
        [rates[n][largest]["verdict_gap"]["share"] for n in powered]
    )
    out[f"{key}.verdict_power_between"] = span(shares(powered, "verdict_gap"))
    out[f"{key}.interval_power_largest"] = span(
        [rates[n][largest]["interval_gap"]["share"] for n in powered]
    )
    out[f"{key}.verdict_power_before_largest"] = span(
        [rates[n][largest]["p_below_0.05"]["share"] for n in powered]
    )
    subgroups = [n for n in judged if cases[n]["n_values"] == 1 and cases[n]["truth"] > 0]
    out[f"{key}.verdict_power_subgroups"] = span(shares(subgroups, "verdict_gap"))
    out[f"{key}.interval_power_subgroups"] = span(shares(subgroups, "interval_gap"))
    out[f"{key}.se_max"] = (
        f"{100 * max(c['se'] for n in judged for q in grid for c in rates[n][q].values()):.1f}"
    )
    return out


def two_way_real_split_figures(real: Mapping[str, Any]) -> dict[str, str]:
    """``bench_interval_coverage.two_way_real_split.*``: the two-way verdict on the default
    build's ``test_ood`` structure (``--part two-way-real-split``): its size, a table of how
    often an age gap is found per case, scope and metric, and the null's level per metric over
    the whole split, each stratum alone and the strata apart."""
    key = "bench_interval_coverage.two_way_real_split"
    cases, rates = real["cases"], real["rates"]
    metrics = ("accuracy", "nmae", "agreement")

    def cell(rate: Mapping[str, float]) -> str:
        return f"{100 * rate['share']:.1f} ± {100 * rate['se']:.1f}"

    rows = ["| case | subgroups of | " + " | ".join(metrics) + " |", "|---|---|---|---|---|"]
    for name in cases:
        for scope, by_metric in rates[name].items():
            where = {"real": "the split", "strata apart": "the split, strata apart"}.get(
                scope, f"`{scope}` alone"
            )
            rows.append(
                f"| {name} | {where} | " + " | ".join(cell(by_metric[m]) for m in metrics) + " |"
            )
    (null,) = [name for name, case in cases.items() if case["null"]]
    strata = real["strata"]
    out = {
        f"{key}.sims": _n(real["sims"]),
        f"{key}.n_permutations": _n(real["n_permutations"]),
        f"{key}.n_subgroups": _n(real["n_subgroups"]),
        f"{key}.n_questions": _n(real["n_questions"]),
        f"{key}.n_respondents": _n(real["n_respondents"]),
        f"{key}.strata": ", ".join(f"{_n(n)} of `{s}`" for s, n in sorted(strata.items())),
        f"{key}.age_subgroups": _n(real["labelled"]["age_group"]),
        f"{key}.age_values": _n(real["values"]["age_group"]),
        f"{key}.table": "\n\n" + "\n".join(rows) + "\n\n",
    }
    for metric in metrics:
        out[f"{key}.null_{metric}"] = cell(rates[null]["real"][metric])
        out[f"{key}.apart_{metric}"] = cell(rates[null]["strata apart"][metric])
        alone = [r[metric] for scope, r in rates[null].items() if scope.endswith(tuple(strata))]
        out[f"{key}.alone_{metric}"] = " and ".join(cell(r) for r in alone)
        for name, case in cases.items():
            if not case["null"]:
                slug = (
                    "model"
                    if case.get("erring")
                    else ("alone" if len(case["scales"]) == 1 else "beside")
                )
                out[f"{key}.power_{slug}_{metric}"] = cell(rates[name]["real"][metric])
    return out


def replicate_figures(replicates: Mapping[str, Any]) -> dict[str, str]:
    """``bench_interval_coverage.replicates.*``: the fewest replicates a command asks for, why
    (the tail they fill at the fewest questions), and the coverage measured by number of
    replicates (``--part replicates``), with the loss ``2 (1 − 2α') / (B + 1)`` expects."""
    from sgbench.scoring.bootstrap import (
        MIN_QUESTIONS,
        MIN_REPLICATES,
        TAIL_REPLICATES,
        expanded_tail,
    )

    key = "bench_interval_coverage.replicates"
    tail = expanded_tail(MIN_QUESTIONS)
    grid, table = replicates["grid"], replicates["coverage"]
    most = grid[-1]

    def expected(b: int) -> float:
        # Linear interpolation cuts a tail at a replicate of expected tail probability
        # (1 + (B − 1) α') / (B + 1): each tail is that much wider than α'.
        return 2 * (1 - 2 * tail) / (b + 1)

    out = {
        f"{key}.min": _n(MIN_REPLICATES),
        f"{key}.below_min": _n(MIN_REPLICATES - 1),
        f"{key}.per_tail": _n(TAIL_REPLICATES),
        f"{key}.old_per_tail": f"{40 * tail:.2f}",
        f"{key}.sims": _n(replicates["sims"]),
        f"{key}.questions": _listed(replicates["questions"]),
        f"{key}.most": _n(most),
        f"{key}.expected_at_min": f"{100 * expected(MIN_REPLICATES):.1f}",
    }
    scenarios = list(table)
    first = str(replicates["questions"][0])
    rows = [
        f"| replicates | expected change from {_n(most)} | " + " | ".join(scenarios) + " |",
        "|---|---|" + "---|" * len(scenarios),
    ]
    for b in grid:
        cells = [
            f"{_pct(table[s][first][str(b)]['coverage'])} "
            f"({_points(table[s][first][str(b)]['minus_most'])} ± "
            f"{100 * table[s][first][str(b)]['minus_most_se']:.1f})"
            for s in scenarios
        ]
        change = _points(expected(most) - expected(b))
        rows.append(f"| {_n(b)} | {change} | " + " | ".join(cells) + " |")
    out[f"{key}.table"] = "\n\n" + "\n".join(rows) + "\n\n"
    at_min = {s: table[s][first][str(MIN_REPLICATES)]["coverage"] for s in scenarios}
    lowest = min(at_min, key=lambda s: at_min[s])
    out[f"{key}.lowest_at_min"] = _pct(at_min[lowest])
    out[f"{key}.lowest_at_min_scenario"] = lowest
    out[f"{key}.lowest_at_most"] = _pct(table[lowest][first][str(most)]["coverage"])
    for label, b in (("old", 40), ("min", MIN_REPLICATES)):
        lost = [
            -table[s][str(q)][str(b)]["minus_most"]
            for s in scenarios
            for q in replicates["questions"]
        ]
        out[f"{key}.lost_{label}"] = f"{100 * min(lost):.1f}–{100 * max(lost):.1f}"
    return out


SCALE_STEPS = {
    "pandas.read_csv (all)": "read_csv",
    "build SGP": "sgp",
    "build ALL": "all",
    "baseline majority (ALL)": "baseline",
    "score (ALL, 1000 bootstrap)": "score",
    "leaderboard 5 entries (ALL)": "leaderboard",
}
"""``bench_scale.py``'s step names → the keys their figures are quoted under."""


def scale_figures(scale: Mapping[str, Any]) -> dict[str, str]:
    """``bench_scale.<before|after>.<step>.{median,peak}`` and the run conditions."""
    out = {
        "bench_scale.runs": _n(scale["runs"]),
        "bench_scale.load": f"{scale['load_average_before'][0]:.1f}",
    }
    for label, steps in scale["results"].items():
        for step, key in SCALE_STEPS.items():
            if step in steps:
                out[f"bench_scale.{label}.{key}.median"] = f"{steps[step]['median_s']:.1f} s"
                out[f"bench_scale.{label}.{key}.peak"] = f"{_n(steps[step]['peak_mib'])} MiB"
                out[f"bench_scale.{label}.{key}.runs"] = _n(steps[step]["runs"])
                if "load_1min" in steps[step]:
                    out[f"bench_scale.{label}.{key}.load"] = f"{steps[step]['load_1min']:.1f}"
        ratio = scale["build_sgp_over_read_csv"].get(label)
        if ratio is not None:
            out[f"bench_scale.{label}.sgp_ratio"] = f"{ratio:.2f} ×"
    return out


def corpus_figures() -> dict[str, str]:
    """How often ``parse`` and the judge's verdict reader agree with the hand-labelled corpora
    of ``tests/data`` (run live by ``benchmarks/bench_parse_corpus.py``'s functions, so the
    figures follow the rules)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_parse_corpus", ROOT / "benchmarks" / "bench_parse_corpus.py"
    )
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclass looks its module up by name.
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    out: dict[str, str] = {}
    replies = bench.read_replies()
    natural = [r for r in replies if bench.set_of(r.entry) == "natural"]
    for name, readings in (("replies", natural), ("verdicts", bench.read_verdicts())):
        agree, total = bench.by_category(readings)["all"]
        out[f"corpus.{name}"] = _n(total)
        out[f"corpus.{name}.agree"] = _n(agree)
        out[f"corpus.{name}.agreement"] = _pct(agree / total)
    out["corpus.replies.wrong_code"] = _n(bench.tally(natural)[1])
    out["corpus.replies.unanswered"] = _n(sum(r.entry["expected"] is None for r in natural))
    # The adversarial probe is counted apart: replies written to break the rules, where the
    # parser does read wrong codes; the docs quote them beside the natural set's.
    adversarial = [r for r in replies if bench.set_of(r.entry) == "adversarial"]
    agree, wrong, missing = bench.tally(adversarial)
    out["corpus.adversarial"] = _n(len(adversarial))
    out["corpus.adversarial.agree"] = _n(agree)
    out["corpus.adversarial.wrong_code"] = _n(wrong)
    out["corpus.adversarial.missing"] = _n(missing)
    return out


def paper_count_figures() -> dict[str, str]:
    """The paper's Singapore counts, as the package cites them (``PAPER_COUNTS``)."""
    from sgbench.builder.manifest import PAPER_COUNTS

    out = {f"paper.{key}": _n(value) for key, value in PAPER_COUNTS.items()}
    out["paper.samples"] = _n(PAPER_COUNTS["train_samples"] + PAPER_COUNTS["ood_samples"])
    return out


def figures(dataset: Path | None = None, chart: Path | None = None) -> dict[str, str]:
    """Every number the docs may quote, by key. Builds the embedded default unless given one.

    With ``chart``, also draws the stats chart of that name (``mds_by_section.svg``) there.
    """
    with tempfile.TemporaryDirectory(prefix="sgbench-docs-") as tmp:
        scratch = Path(tmp)
        if dataset is None:
            from sgbench.builder import build_dataset

            dataset = scratch / "wvs-sg-subgroups"
            build_dataset(out_dir=dataset)
        out = dataset_figures(dataset)
        out["readme.sample"] = example_sample(dataset)
        out.update(catalogue_figures())
        out.update(layout_figures())
        out.update(limit_figures())
        out.update(publication_figures())
        out.update(clear_target_figures())
        out.update(baseline_figures(dataset, scratch))
        out.update(worked_example_figures())
        out.update(random_truth(dataset))
        out.update(stats_figures(dataset, chart))
        out.update(target_figures(dataset, scratch))
        out.update(suppression_figures(scratch))
    out.update(paper_count_figures())
    out.update(corpus_figures())
    out.update(benchmark_figures(ROOT / "benchmarks" / "results"))
    return out


# --- pages ----------------------------------------------------------------------------------


def fill(text: str, values: Mapping[str, str], where: str) -> str:
    """``text`` with every figure marker's content replaced by its current value."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"{where}: unknown number key {key!r} (see docs/generate.py)")
        return f"<!-- fig:{key} -->{values[key]}<!-- /fig -->"

    return MARKER.sub(replace, text)


def pages(root: Path) -> list[Path]:
    """The hand-written pages that may hold number markers."""
    return [
        root / "README.md",
        *sorted(
            p
            for p in (root / "docs").glob("*.md")
            if p.name not in (Path(CLI_PAGE).name, Path(API_PAGE).name)
        ),
    ]


def render(root: Path, values: Mapping[str, str], main: click.Command) -> dict[Path, str]:
    """What every generated file should hold: the pages with figures filled, and the CLI page."""
    out = {
        page: fill(page.read_text(encoding="utf-8"), values, page.relative_to(root).as_posix())
        for page in pages(root)
    }
    out[root / CLI_PAGE] = cli_reference(main)
    from sgbench.boundary import PUBLIC_MODULES

    out[root / API_PAGE] = api_reference(PUBLIC_MODULES)
    return out


def stale(rendered: Mapping[Path, str]) -> list[Path]:
    """The files whose content differs from what they should hold."""
    return [
        path
        for path, text in rendered.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None, figures_of: Callable[..., dict[str, Any]] = figures) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if any file is out of date")
    args = parser.parse_args(argv)
    from sgbench.cli import main as cli_main

    # The chart is redrawn only when writing: its bytes depend on the matplotlib version, so
    # --check (and the test) compare the text alone.
    values = figures_of() if args.check else figures_of(chart=ROOT / CHART)
    rendered = render(ROOT, values, cli_main)
    outdated = stale(rendered)
    if args.check:
        for path in outdated:
            print(f"out of date: {path.relative_to(ROOT).as_posix()} (run `{REGENERATE}`)")
        return 1 if outdated else 0
    for path in outdated:
        path.write_text(rendered[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
