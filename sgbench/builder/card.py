"""The dataset card (``README.md``) of a built dataset, generated from its manifest.

The YAML front matter uses the Hub's dataset-card keys, so ``load_dataset`` finds both configs
and their declared features in a local folder as on the Hub; the body explains fields, splits,
provenance, the WVS terms and the limitations.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from sgbench.dataset import NEAR_COPY, card_data_files, sample_card_features
from sgbench.errors import md_text
from sgbench.versioning import CHANGELOG, VERSION_POLICY

WVS_CITATION: Final = (
    "Haerpfer, C., Inglehart, R., Moreno, A., Welzel, C., Kizilova, K., Diez-Medrano J., "
    "M. Lagos, P. Norris, E. Ponarin & B. Puranen (eds.). 2022. World Values Survey: Round "
    "Seven - Country-Pooled Datafile Version 5.0. Madrid, Spain & Vienna, Austria: JD Systems "
    "Institute & WVSA Secretariat. doi:10.14281/18241.20 (cite the release version you built "
    "from)"
)
PAPER_CITATION: Final = (
    "Can Persona-Prompted LLMs Emulate Subgroup Values? An Empirical Analysis of "
    "Generalisability and Fairness in Cultural Alignment. ACL 2026. arXiv:2604.12851"
)
WVS_TERMS_URL: Final = "https://www.worldvaluessurvey.org/WVSContents.jsp?CMSID=Documentation"

FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("id", "stable sample id: `<question_id>/<subgroup_id>`"),
    ("question_id", "WVS Wave 7 variable, e.g. `Q27`"),
    ("question", "question text (sgbench's own wording of the WVS item)"),
    ("section", "one of the 12 WVS thematic sections"),
    (
        "options",
        "substantive answers `{code, label, off_scale}` in scale order (codes as in WVS files); "
        "`off_scale` marks an answer that is not a point of the scale (e.g. a spontaneous "
        '"hard to say"), which metrics treat nominally',
    ),
    ("scale_type", "`ordinal`, `nominal` or `binary`"),
    ("subgroup_id", "e.g. `age_group=25-34&religion=muslim`"),
    ("subgroup", "one value per attribute; null where the stratum does not use it"),
    ("stratum", "the attributes the subgroup fixes, e.g. `age_group_x_religion`"),
    ("persona", "one sentence describing the subgroup, for persona prompts"),
    ("country", "country code as given to the builder"),
    ("wave", "WVS wave"),
    ("year", "survey year of the country-wave (the most common interview year)"),
    ("subgroup_size", "respondents in the subgroup"),
    ("n_valid", "respondents in the subgroup with a substantive answer to the question"),
    ("counts", "unweighted respondents per option, aligned with `options`"),
    ("distribution", "weighted share per option, aligned with `options`, sums to 1"),
    ("answer", "modal option code (on a tie, the first tied option in scale order)"),
    ("modal_answers", "every tied modal option code, in scale order"),
    ("margin", "top share minus second share (0 on a tie)"),
    (
        "mode_stability",
        "share of bootstrap resamples of the pair's respondents in which `answer` stays modal: "
        "how reliable the target is (the best any predictor can expect to score)",
    ),
    (
        "train_overlap",
        "largest share of respondents (Jaccard) the subgroup has in common with a training "
        "subgroup; 1 for training subgroups, near 1 for an OOD near-copy",
    ),
)


SIZE_CATEGORIES: Final = (
    "n<1K",
    "1K<n<10K",
    "10K<n<100K",
    "100K<n<1M",
    "1M<n<10M",
    "10M<n<100M",
    "100M<n<1B",
    "1B<n<10B",
    "10B<n<100B",
    "100B<n<1T",
    "n>1T",
)
"""The Hub's ``size_categories`` values, smallest first: one per power of ten from 1K to 1T."""


def size_category(n: int) -> str:
    """The Hub's size category of ``n`` rows: ``n<1K`` below 1,000, then one per power of ten
    (``1K<n<10K`` for 1,000 ≤ n < 10,000, ...), ``n>1T`` from 10^12 on."""
    index = 0 if n < 1_000 else min(len(str(n)) - 3, len(SIZE_CATEGORIES) - 1)
    return SIZE_CATEGORIES[index]


class _NoAliasDumper(yaml.SafeDumper):
    """Writes repeated objects (the features of each config) in full: the Hub's card parser
    does not expect YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _place(manifest: dict[str, Any]) -> str:
    """Where the respondents live, for titles: a country's name, or "all-country"."""
    built = manifest["built_from"]
    name = str(built.get("country_name") or built["country"])
    return "all-country" if built["country"] == "ALL" else name.removeprefix("the ")


def card_metadata(manifest: dict[str, Any]) -> dict[str, Any]:
    """The card's YAML front matter as a dict."""
    configs = manifest["configs"]
    features = sample_card_features(list(manifest["attributes"]))
    total = sum(split["samples"] for split in configs["default"].values())
    synthetic = manifest["synthetic"]
    return {
        "pretty_name": f"WVS {_place(manifest)} subgroups" + (" (SYNTHETIC)" if synthetic else ""),
        "license": "other",
        "license_name": "wvs-terms-of-use",
        "license_link": WVS_TERMS_URL,
        "language": ["en"],
        "task_categories": ["multiple-choice", "question-answering"],
        "size_categories": [size_category(total)],
        "source_datasets": ["original"],
        "tags": ["world-values-survey", "cultural-alignment", "persona", "fairness"]
        + (["synthetic"] if synthetic else []),
        "configs": [
            {
                "config_name": config,
                **({"default": True} if config == "default" else {}),
                "data_files": [
                    {"split": split, "path": card_data_files(config, split)}
                    for split in configs[config]
                ],
            }
            for config in configs
        ],
        "dataset_info": [
            {
                "config_name": config,
                "features": features,
                "splits": [
                    {
                        "name": split,
                        "num_bytes": configs[config][split]["num_bytes"],
                        "num_examples": configs[config][split]["samples"],
                    }
                    for split in configs[config]
                ],
            }
            for config in configs
        ],
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("+", 1)[0].split("."))


def changelog_lines(version: str) -> list[str]:
    """Changelog entries of ``version`` and every earlier release, newest first."""
    current = _version_key(version)
    released = sorted(
        (v for v in CHANGELOG if _version_key(v) <= current), key=_version_key, reverse=True
    )
    return [f"- {v}: {CHANGELOG[v]}" for v in released]


def _overlap_lines(manifest: dict[str, Any]) -> list[str]:
    """The OOD subgroups that are near-copies of a training subgroup, as a card paragraph."""
    overlap = manifest.get("train_overlap", {})
    near = [(sid, e) for sid, e in overlap.items() if e["jaccard"] >= NEAR_COPY]
    text = (
        "Each row's `train_overlap` is the largest share of respondents (Jaccard) its subgroup "
        "has in common with a training subgroup; `manifest.json` names that subgroup for every "
        "`test_ood` subgroup. "
    )
    if near:
        text += (
            f"{len(near)} OOD subgroup(s) are near-copies (≥ {NEAR_COPY}) of a training "
            "subgroup, so their answers test recall more than composition: "
            + ", ".join(f"`{sid}` ≈ `{e['subgroup']}` ({e['jaccard']:.2f})" for sid, e in near)
            + ". The scorer reports OOD metrics by overlap band (`by_overlap`)."
        )
    dropped = manifest["splits"].get("dropped_for_overlap", [])
    if dropped:
        text += (
            f" Left out of `test_ood` (overlap above {manifest['splits']['max_train_overlap']}): "
            + ", ".join(f"`{sid}`" for sid in dropped)
            + "."
        )
    return [text + "\n"]


def _disclosure_sentence(manifest: dict[str, Any]) -> str:
    """What subtracting published subgroups recovers, from the manifest's ``disclosure``: each
    row is an aggregate of at least the minimum, but counts add up. With suppression, what was
    withheld so that nothing is; without, what the exact audit finds as well."""
    found = manifest["disclosure"]
    smallest = manifest["min_subgroup_size"]
    method = found.get("method")
    if method == "suppress":
        withheld = found["withheld_subgroups"]
        return (
            "Answer counts add up, so subgroups that would let a smaller group be recovered by "
            f"subtracting published ones were withheld: {withheld} "
            f"subgroup{'s' if withheld != 1 else ''} of at least {smallest} respondents "
            f"({found['withheld_samples']} samples); after that, subtraction recovers "
            f"{found['recoverable_groups']} and the exact audit finds "
            f"{found['derivable_groups']} groups of fewer than {smallest} respondents "
            "(manifest `disclosure`)."
        )
    if not found["recoverable_groups"]:
        sentence = (
            "Subtracting a subgroup's published children (along one attribute) from it recovers "
            f"no group of fewer than {smallest} respondents (manifest `disclosure`)."
        )
    else:
        groups = found["recoverable_groups"]
        sentence = (
            "Answer counts add up, though: subtracting a subgroup's published children (along "
            f"one attribute) from it recovers the counts of {groups} "
            f"group{'s' if groups != 1 else ''} of fewer than {smallest} respondents, "
            f"{found['exact_subgroups']} of them exactly one dropped subgroup, the smallest of "
            f"{found['smallest_size']} respondents (manifest `disclosure`)."
        )
    if method == "none" and found["derivable_groups"]:
        least = found["derivable_smallest"]
        sentence += (
            " Combining published counts in any way (the exact audit: every cell of every "
            f"cross-tabulation and their remainders) gives {found['derivable_groups']} such "
            f"groups, the smallest of {least} respondent{'s' if least != 1 else ''}; nothing "
            "was withheld (`disclosure_control: none`)."
        )
    return sentence


def _paper_lines(manifest: dict[str, Any]) -> list[str]:
    """This build's `paper` counts beside the paper's, for a build of its config."""
    paper = manifest.get("paper_counts")
    if not paper:
        return []
    split = manifest["configs"]["paper"]
    rows = [
        ["train subgroups", split["train"]["subgroups"], paper["train_subgroups"]],
        ["OOD subgroups", split["test_ood"]["subgroups"], paper["ood_subgroups"]],
        ["train samples", split["train"]["samples"], f"{paper['train_samples']:,}"],
        ["OOD samples", split["test_ood"]["samples"], f"{paper['ood_samples']:,}"],
        ["items", manifest["items"]["kept"], paper["items"]],
    ]
    return [
        "The `paper` config beside the counts the paper reports for its Singapore split "
        "(citations; a release file of another version can differ):\n",
        _table(["", "this build", "paper"], rows) + "\n",
    ]


def render_card(manifest: dict[str, Any]) -> str:
    """The whole ``README.md`` of a dataset folder."""
    front = yaml.dump(
        card_metadata(manifest), Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True
    )
    built = manifest["built_from"]
    name, version = manifest["name"], manifest["version"]
    synthetic = manifest["synthetic"]
    parts = [f"---\n{front}---\n", f"# {name} {version}\n"]
    if synthetic:
        parts.append(
            "> **SYNTHETIC.** This build comes from a sample that sgbench generates; it is "
            f"**not** World Values Survey data and says nothing about {_place(manifest)}. It "
            "exists to try the tools end to end. Build from your own WVS download for real "
            "figures.\n"
        )
    under = (manifest.get("publication_floor") or {}).get("under_floor") or {}
    if under:
        shown = " and ".join(f"{name} {value}" for name, value in under.items())
        parts.append(
            f"> **Not for publication.** Built with {shown}, under the publication floor of "
            f"{manifest['publication_floor']['floor']}: `sgbench push` refuses it (for tests and "
            "research only).\n"
        )
    parts.append(
        "Can a language model, told it is a member of a demographic subgroup, answer a World "
        "Values Survey question the way that subgroup actually answers it? Each sample is one "
        "(subgroup, question) pair with the subgroup's answer distribution and modal answer. "
        f"Built by sgbench {manifest['sgbench_version']}.\n"
    )
    parts.append("## Loading\n")
    parts.append(
        "```python\nfrom datasets import load_dataset\n"
        f'ds = load_dataset("<org>/{name}", revision="v{version}")   # default config\n'
        f'paper = load_dataset("<org>/{name}", "paper", revision="v{version}")\n'
        f'local = load_dataset("path/to/{name}")                      # a local build\n```\n'
    )
    parts.append(
        "Every release is a Hub tag `v<version>` that is never moved: pass "
        '`revision="v<version>"` to load exactly that release (see the Changelog).\n'
    )
    parts.append("## Configs and splits\n")
    rows = []
    for config in manifest["configs"]:
        for split in manifest["configs"][config]:
            info = manifest["configs"][config][split]
            rows.append([config, split, info["samples"], info["subgroups"], info["questions"]])
    parts.append(_table(["config", "split", "samples", "subgroups", "questions"], rows) + "\n")
    splits = manifest["splits"]
    parts.append(
        "- `paper`: `train` = the in-distribution strata ("
        + ", ".join(f"`{s}`" for s in splits["in_distribution_strata"])
        + "); `test_ood` = the held-out strata ("
        + ", ".join(f"`{s}`" for s in splits["ood_strata"])
        + "), whose subgroups appear in no other split.\n"
        "- `default`: the same `test_ood`; the in-distribution samples divided by *question*: a "
        f"seeded hash of the question id (seed {splits['seed']}) holds out whole questions for "
        f"`validation` (~{splits['validation_fraction']:.0%} of questions) and `test_id` "
        f"(~{splits['test_id_fraction']:.0%}). So `test_id` measures **known subgroups on "
        "unseen questions**, and no held-out answer can be rebuilt from `train` (a subgroup is "
        "the union of its sex × attribute children: with a question in both, adding and "
        "subtracting training answers would recover a held-out one).\n"
    )
    parts += _overlap_lines(manifest)
    parts += _paper_lines(manifest)
    if "temporal" in manifest["configs"]:
        earlier = ", ".join(str(e["wave"]) for e in manifest["earlier_waves"])
        parts.append(
            f"- `temporal`: `train` = the subgroups' answers in wave(s) {earlier} (ids end in "
            f"`@w<wave>`), `test` = the same subgroups' answers to the same questions in wave "
            f"{manifest['built_from']['wave']}: does a model track how values moved?\n"
        )
    parts.append("## Fields\n")
    parts.append(_table(["field", "meaning"], [[f"`{f}`", text] for f, text in FIELDS]) + "\n")
    parts.append("## Subgroups\n")
    rows = [
        # A config's and a file's names are the user's text: escaped, or a `|` splits a cell.
        [name_, md_text(spec["variable"]), md_text(", ".join(spec["values"]))]
        for name_, spec in manifest["attributes"].items()
    ]
    parts.append(_table(["attribute", "WVS variable", "values"], rows) + "\n")
    parts.append(
        f"Strata: {', '.join('×'.join(s) for s in manifest['strata'])}. A subgroup needs at "
        f"least {manifest['min_subgroup_size']} respondents and a (subgroup, question) pair at "
        f"least {manifest['min_valid_answers']} valid answers. Answers coded negative (don't "
        "know, no answer, not asked, missing) and non-substantive codes are missing. "
        + (
            f"Distributions are weighted by `{manifest['weight']}`.\n"
            if manifest["weight"]
            else "Distributions are unweighted.\n"
        )
    )
    parts.append("## Provenance\n")
    parts.append(
        _table(
            ["", ""],
            [
                ["source file", md_text(built["file"]) + (" (generated)" if synthetic else "")],
                ["sha256", f"`{built['sha256']}`"],
                ["format", built["format"]],
                ["layout", built.get("layout", "wvs7")],
                ["wave", built["wave"]],
                ["survey year", built.get("year")],
                ["country", built["country"]],
                ["respondents", built["respondents"]],
                ["items kept", manifest["items"]["kept"]],
                ["items dropped", len(manifest["items_dropped"])],
            ],
        )
        + "\n"
    )
    parts.append("## Terms of use\n")
    parts.append(
        "The World Values Survey data are free for non-commercial research and may not be "
        f"redistributed ({WVS_TERMS_URL}). This dataset holds only aggregates (answer counts and "
        f"shares) of subgroups of at least {manifest['min_subgroup_size']} respondents, never "
        f"respondent records. {_disclosure_sentence(manifest)} Use it for non-commercial "
        "research, and cite the WVS release.\n"
    )
    parts.append("## Citation\n")
    parts.append(
        f"- The study: {PAPER_CITATION}\n- The survey: {WVS_CITATION}\n"
        f"- This dataset: {name} {version} (Hub tag `v{version}`), built with sgbench "
        f"{manifest['sgbench_version']}.\n"
    )
    parts.append("## Limitations\n")
    parts.append(
        "- A modal answer of a small subgroup is noisy: look at `mode_stability`, `margin` and "
        "`n_valid`; many modes are near ties. A perfect predictor of the true distributions "
        "would still score about the mean `mode_stability` in accuracy; the scorer reports it "
        "as `ceiling.accuracy`.\n"
        "- Subgroups are defined by survey codes; personas flatten people into categories.\n"
        "- Question texts are paraphrases of the WVS items; answers were given to the original "
        "questionnaire in the interview language.\n"
        "- Weights adjust for age, sex, education and region, not for every attribute used here.\n"
    )
    parts.append("## Changelog\n")
    parts.append(
        "Versions are `MAJOR.MINOR.PATCH`. Major: "
        + VERSION_POLICY["major"]
        + ". Minor: "
        + VERSION_POLICY["minor"]
        + ". Patch: "
        + VERSION_POLICY["patch"]
        + ".\n"
    )
    parts.append("\n".join(changelog_lines(version)) + "\n")
    return "\n".join(parts)
