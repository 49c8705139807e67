"""The docs: generated parts are current, relative links resolve, CI runs the README's command."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    """``docs/generate.py``, loaded from its file (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "sgbench_docs_generate", ROOT / "docs/generate.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_current(generate: ModuleType, built_default: Path) -> None:
    from sgbench.cli import main

    rendered = generate.render(ROOT, generate.figures(built_default), main)
    stale = [p.relative_to(ROOT).as_posix() for p in generate.stale(rendered)]
    assert not stale, f"out of date: {', '.join(stale)}; run `python docs/generate.py`"


def test_fill_replaces_marked_numbers_and_refuses_unknown_keys(generate: ModuleType) -> None:
    text = "a <!-- fig:n -->1<!-- /fig --> b <!-- fig:n -->old<!-- /fig -->"
    assert generate.fill(text, {"n": "2,000"}, "x.md") == text.replace(">1<", ">2,000<").replace(
        ">old<", ">2,000<"
    )
    with pytest.raises(KeyError, match=r"x\.md: unknown number key 'm'"):
        generate.fill("<!-- fig:m -->1<!-- /fig -->", {}, "x.md")


def test_cli_reference_lists_every_command_and_option(generate: ModuleType) -> None:
    @click.group()
    def tool() -> None:
        """A tool."""

    @tool.command()
    @click.argument("path")
    @click.option("--mode", type=click.Choice(["a", "b"]), default="a", show_default=True)
    @click.option("--n", type=click.IntRange(min=1), help="How many.")
    def go(path: str, mode: str, n: int | None) -> None:
        """Go somewhere."""

    @tool.group()
    def sub() -> None:
        """Subcommands."""

    @sub.command()
    @click.option("--flag", is_flag=True, help="A flag.")
    def leaf(flag: bool) -> None:
        """A leaf."""

    page = generate.cli_reference(tool)
    headings = re.findall(r"^## `(.+)`$", page, re.MULTILINE)
    assert headings == ["sgbench go", "sgbench sub", "sgbench sub leaf"]
    assert "| `PATH` | text |  | argument |" in page
    assert "| `--mode` | `a` \\| `b` | `a` |  |" in page
    assert "| `--n` | integer ≥ 1 |  | How many. |" in page
    assert "| `--flag` | flag |  | A flag. |" in page
    assert "--help" not in page.split("## ", 1)[1]


def test_api_call_forms_keep_the_keyword_and_positional_only_markers(
    generate: ModuleType,
) -> None:
    """The documented call must be one Python accepts: a parameter after ``*`` is keyword-only,
    so dropping the marker documents a call that raises TypeError."""

    class Opaque:
        pass

    def f(a: int, /, b: int, *, c: int = 1, d: object = Opaque()) -> int:
        return a

    def g(*args: int, e: int, **kw: int) -> None:
        pass

    assert generate._call_form("f", f) == "f(a, /, b, *, c=1, d=…)"
    assert generate._call_form("g", g) == "g(*args, e, **kw)"
    assert generate._call_form("len", 3) == "len"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Install and run the tests.*?```bash\n(.+?)\n```", readme, re.DOTALL)
    assert block is not None, "README.md: no test command after 'Install and run the tests'"
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == block.group(1)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces become hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a Markdown page; repeated headings get -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} (.+?)\s*$", FENCE.sub("", text), re.MULTILINE):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> Iterator[str]:
    """The relative link targets of a Markdown page, outside code."""
    for target in LINK.findall(INLINE_CODE.sub("", FENCE.sub("", text))):
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):
            yield target


def test_slug_and_anchors_follow_github() -> None:
    assert slug("`sgbench export lm-eval`") == "sgbench-export-lm-eval"
    assert slug("The value landscape: `sgbench stats`") == "the-value-landscape-sgbench-stats"
    assert slug("Score reports as charts: `sgbench score --plot OUT.png|OUT.svg`") == (
        "score-reports-as-charts-sgbench-score---plot-outpngoutsvg"
    )
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}
    assert list(links("[x](a.md#b) `[y](no.md)` [z](https://e.org) ![i](c.svg)")) == [
        "a.md#b",
        "c.svg",
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in links(text):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(resolved.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.relative_to(ROOT).as_posix()}: " + "; ".join(broken)
