"""Judge two responses files pairwise with an LLM judge: ``sgbench judge A.jsonl B.jsonl``.

For every sample of the split that both files answer (a line with a non-empty ``response`` and
no ``error``), the judge is asked twice: order ``AB`` shows A's response first, order ``BA``
shows B's first. Each request goes through the runner (:mod:`sgbench.runner`): the same bounded
pool, retries with backoff, resumable append-only output and progress line as ``sgbench run``.
A reply whose verdicts cannot all be read is retried once, with a request for the JSON object
alone (:func:`~sgbench.judge.prompt.repair_messages`); if the retry cannot be read either, the
judgment is recorded with ``parse: "unparsed"`` and null for each unread criterion, never
guessed, and never asked again. A request that fails after every attempt becomes an error line,
tried again by the next run. A run whose first max(``concurrency``, 3) judgments give no
verdict for some criterion stops, naming it (:class:`~sgbench.runner.run.Breaker`): a judge
never read for a criterion is misconfigured, and would cost two requests per judgment of the
split for nothing.

A judgment line (JSON, one per sample and order)::

    {"id", "order": "AB"|"BA", "question_id", "subgroup_id", "subgroup",
     "verdicts": {"<criterion>": "A"|"B"|"tie"|null}, "parse": "ok"|"unparsed",
     "raw": "<the judge's last reply>", ["raw_first": "<the unread first reply>",]
     "judge_model", "judge_prompt", "criteria", "params", "a", "b", "dataset",
     "finish_reason", "usage", "attempts"}

Verdicts name the file (``A`` or ``B``), whatever the order it was shown in. ``a`` and ``b`` are
``{"model", "template"}`` of the two responses files; ``dataset`` is ``{"name", "version",
"synthetic", "config", "split"}``. ``attempts`` counts every request sent for the judgment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.errors import InputError, bounded, check_model_name, shown_name
from sgbench.files import FromFiles, check_output_name, check_outputs_apart, reads, same_file
from sgbench.jsonl import read_lines, response_lines
from sgbench.judge.prompt import (
    JUDGE_PROMPT,
    Position,
    check_criteria,
    judge_messages,
    parse_verdicts,
    repair_messages,
)
from sgbench.prompts import Message
from sgbench.runner import Endpoint, RetryPolicy, SamplingParams
from sgbench.runner.progress import format_duration
from sgbench.runner.run import Outcome, Requests, append_pending, request_with_retries
from sgbench.runner.store import (
    PROMPT_KEY,
    RUN_KEYS,
    LineFormat,
    first_other_prompt,
    request_digest,
)
from sgbench.scoring.predictions import PredictionsError

if TYPE_CHECKING:
    # For type checking only: sgbench.boundary cannot check typing.TextIO at run time (no
    # stream is an instance of it), so judge_files' progress_stream is left to Python.
    from typing import TextIO

Order = Literal["AB", "BA"]
ORDERS: Final[tuple[Order, Order]] = ("AB", "BA")
"""Both orders of a pair: ``AB`` shows A's response first."""

VERDICTS: Final = ("A", "B", "tie")
"""A recorded verdict names the better file, or a tie; null when the reply could not be read."""

PARSE_STATUS: Final = ("ok", "unparsed")

JUDGMENTS: Final = LineFormat(
    keys=("id", "order"),
    run_keys=("judge_model", "judge_prompt", "criteria", "params", "a", "b", "dataset"),
    name="judgment line of `sgbench judge`",
    settings="judge model, criteria, sampling parameters, dataset split or pair of files",
    fields=("judge_model", "judge_prompt", "criteria", "params"),
)
"""The judgments file: one line per (sample, order); settings that must match to resume."""

DEFAULT_MAX_TOKENS: Final = 256
"""The judge's token budget: room for a short preamble before the JSON object."""


@dataclass(frozen=True)
class Responses:
    """The answered samples of one responses file (as written by ``sgbench run``)."""

    path: Path
    model: str | None
    """The lines' ``model`` (None when the file does not say)."""
    template: str | None
    """The lines' ``template`` (None when the file does not say)."""
    texts: Mapping[str, str]
    """Id → response, for lines with a non-empty response and no ``error``."""
    n_lines: int
    n_unanswered: int
    """Error lines and empty responses."""
    prompts: Mapping[str, str] = field(default_factory=dict)
    """Id → the ``prompt_sha256`` its line records (lines of ``sgbench run`` record one)."""

    def identity(self) -> dict[str, str | None]:
        """``{"model", "template"}``, recorded with every judgment."""
        return {"model": self.model, "template": self.template}


@dataclass(frozen=True)
class JudgeTask:
    """One request to the judge: a sample, an order, and the messages showing it."""

    id: str
    order: Order
    question_id: str
    subgroup_id: str
    subgroup: Mapping[str, str | None]
    messages: list[Message]

    @property
    def key(self) -> str:
        """The judgment's identity in the output file (:func:`~sgbench.runner.store.line_key`)."""
        return f"{self.id}\t{self.order}"


@dataclass(frozen=True)
class JudgeSummary(FromFiles):
    """What a judge run did."""

    out: Path
    n_samples: int
    """Samples of the split answered in both files."""
    n_only_one: int
    """Samples of the split answered in one file only (not judged)."""
    n_already_done: int
    """Judgments already in the output file (skipped)."""
    n_judged: int
    """Judgments recorded in this run (parsed or unparsed)."""
    n_unparsed: int
    """Of those, judgments with at least one criterion unread after the retry: left out of that
    criterion's figures (``judge-report``) and never asked again, so the command ends with exit
    code 3 (:attr:`complete` is False)."""
    n_errors: int
    """Judgments whose requests all failed (error lines; the next run retries them)."""
    n_retried_errors: int
    elapsed: float

    def render(self) -> str:
        """A short summary for stderr."""
        text = (
            f"judge: {self.n_samples} samples answered in both files, "
            f"{2 * self.n_samples} judgments (both orders): {self.n_judged} judged "
            f"({self.n_unparsed} unparsed)"
        )
        if self.n_already_done:
            text += f", {self.n_already_done} already in {shown_name(str(self.out))}"
        if self.n_retried_errors:
            text += f", {self.n_retried_errors} earlier error(s) retried"
        text += f", {self.n_errors} error(s) in {format_duration(self.elapsed)}"
        if self.n_only_one:
            text += f"; {self.n_only_one} sample(s) answered in only one file were left out"
        if self.n_unparsed:
            text += (
                f"; {self.n_unparsed} judgment(s) with an unread verdict are left out of that "
                "criterion's figures and not asked again (their replies are under raw)"
            )
        if self.n_errors:
            text += "; run the same command again to retry the errors"
        return text

    @property
    def complete(self) -> bool:
        """Whether every judgment of this run was recorded and read: no error line and no
        unparsed verdict (either is left out of ``judge-report``'s figures)."""
        return not (self.n_errors or self.n_unparsed)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def read_responses(path: PathArg, ids: Collection[str] | None = None) -> Responses:
    """Read a responses file of ``sgbench run`` (any ``{"id", "response"}`` JSON Lines file),
    streamed (:class:`~sgbench.jsonl.JsonLines`). With ``ids``, only the responses of those
    samples are kept (every line is still checked): memory holds the split judged, not the file.

    Raises:
        PredictionsError: lines that are not objects with a string ``id`` and ``response``,
            duplicate ids, or a ``model``, ``template``, ``params`` or ``distribution_mode``
            other than the first line's (every problem listed, ``FILE: line N: ...``).
        InputError: the file is missing, unreadable or empty.
    """
    lines = read_lines(path, "no responses")
    problems = lines.problems
    texts: dict[str, str] = {}
    prompts: dict[str, str] = {}
    identity: tuple[str | None, str | None] | None = None
    first: dict[str, Any] | None = None
    unanswered = 0
    for number, obj in response_lines(lines, problems):
        sample_id: str = obj["id"]
        response: str = obj["response"]
        # One run's settings on every line, as a run's resume insists: a file joined from
        # runs at two temperatures was judged as one model's answers.
        settings = {key: obj.get(key) for key in RUN_KEYS}
        if first is None:
            first = settings
            identity = (_text_or_none(obj.get("model")), _text_or_none(obj.get("template")))
        elif settings != first:
            key = next(key for key in RUN_KEYS if settings[key] != first[key])
            problems.append(
                (
                    number,
                    bounded(
                        f"{key} {settings[key]!r} differs from the first line's {first[key]!r}"
                    ),
                )
            )
            continue
        if "error" in obj or not response.strip():
            unanswered += 1
            continue
        if ids is not None and sample_id not in ids:
            continue
        texts[sample_id] = response
        if isinstance(obj.get(PROMPT_KEY), str):
            prompts[sample_id] = obj[PROMPT_KEY]
    if problems:
        raise PredictionsError(str(path), problems)
    model, template = identity if identity is not None else (None, None)
    return Responses(
        path=Path(path),
        model=model,
        template=template,
        texts=texts,
        n_lines=lines.count,
        n_unanswered=unanswered,
        prompts=prompts,
    )


def build_tasks(
    rows: Sequence[Mapping[str, Any]],
    a: Mapping[str, str],
    b: Mapping[str, str],
    criteria: Sequence[str],
) -> list[JudgeTask]:
    """Both orders of every row that ``a`` and ``b`` (id → response) both answer, in row order."""
    tasks: list[JudgeTask] = []
    for row in rows:
        sample_id = str(row["id"])
        if sample_id not in a or sample_id not in b:
            continue
        shown = {"AB": (a[sample_id], b[sample_id]), "BA": (b[sample_id], a[sample_id])}
        subgroup = {str(k): _text_or_none(v) for k, v in (row.get("subgroup") or {}).items()}
        for order in ORDERS:
            first, second = shown[order]
            tasks.append(
                JudgeTask(
                    id=sample_id,
                    order=order,
                    question_id=str(row["question_id"]),
                    subgroup_id=str(row["subgroup_id"]),
                    subgroup=subgroup,
                    messages=judge_messages(row, first, second, criteria),
                )
            )
    return tasks


def to_files(verdicts: Mapping[str, Position | None], order: Order) -> dict[str, str | None]:
    """Verdicts by position (``1``/``2``/``tie``) → by file (``A``/``B``/``tie``) for ``order``."""
    by_position = {"1": order[0], "2": order[1], "tie": "tie"}
    return {name: None if v is None else by_position[v] for name, v in verdicts.items()}


def judge_one(
    task: JudgeTask,
    *,
    criteria: Sequence[str],
    requests: Requests,
    run: Mapping[str, Any],
    sleep: Callable[[float], object],
    stop: threading.Event,
) -> dict[str, Any] | None:
    """Ask the judge about one task (retrying an unread reply once); its output line as a dict.

    Returns None when ``stop`` was set before it finished.

    Raises:
        RequestFailed: a fatal status (the run must stop).
    """
    head = {
        "id": task.id,
        "order": task.order,
        "question_id": task.question_id,
        "subgroup_id": task.subgroup_id,
        "subgroup": dict(task.subgroup),
    }

    def ask(messages: Sequence[Message]) -> Outcome | None:
        return request_with_retries(messages, requests, key=task.key, sleep=sleep, stop=stop)

    outcome = ask(task.messages)
    if outcome is None:
        return None
    attempts = outcome.attempts
    asked = {PROMPT_KEY: request_digest(task.messages)}
    if outcome.completion is None:
        return {**head, "error": outcome.error, **run, **asked, "attempts": attempts}
    completion = outcome.completion
    verdicts = parse_verdicts(completion.text, criteria)
    first_raw: str | None = None
    if any(v is None for v in verdicts.values()):
        first_raw = completion.text
        retry = ask(repair_messages(task.messages, first_raw, criteria))
        if retry is None:
            return None
        attempts += retry.attempts
        if retry.completion is None:
            return {**head, "error": retry.error, **run, **asked, "attempts": attempts}
        completion = retry.completion
        verdicts = parse_verdicts(completion.text, criteria)
    status = "ok" if all(v is not None for v in verdicts.values()) else "unparsed"
    record: dict[str, Any] = {
        **head,
        "verdicts": to_files(verdicts, task.order),
        "parse": status,
        "raw": completion.text,
    }
    if first_raw is not None:
        record["raw_first"] = first_raw
    record.update(run)
    record.update(asked)
    record.update(finish_reason=completion.finish_reason, usage=completion.usage, attempts=attempts)
    return record


def is_unparsed(record: Mapping[str, Any]) -> bool:
    """Whether a judgment line records a verdict left unread after the retry."""
    return record.get("parse") == "unparsed"


def unread_criteria(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The criteria a judgment line records no verdict for after the retry, in its order (none
    for a line read whole): the pool stops a judge that gives no verdict for a criterion in any
    of its first judgments, and names it (:class:`~sgbench.runner.run.Breaker`)."""
    verdicts = record.get("verdicts")
    if not is_unparsed(record) or not isinstance(verdicts, Mapping):
        return ()
    return tuple(name for name, verdict in verdicts.items() if verdict is None)


def dataset_identity(root: Path, config: str, split: str) -> dict[str, Any]:
    """``{"name", "version", "synthetic", "config", "split"}`` of the judged split."""
    from sgbench.dataset import open_dataset

    manifest = open_dataset(root).manifest
    return {
        "name": manifest.name,
        "version": manifest.version,
        "synthetic": manifest.synthetic,
        "config": config,
        "split": split,
    }


_A: Final = ArgumentName("a_path", "A")
_B: Final = ArgumentName("b_path", "B")
_MODEL: Final = ArgumentName("model", "--model")
_OUT: Final = ArgumentName("out", "--out")
_DATASET: Final = ArgumentName("dataset", "--dataset")


@public
@reads(a_path="A", b_path="B", dataset="--dataset")
def judge_files(
    a_path: PathArg,
    b_path: PathArg,
    out: PathArg,
    *,
    dataset: PathArg,
    model: str,
    endpoint: Endpoint,
    config: str = "default",
    split: str = "test_ood",
    criteria: Sequence[str] = ("overall", "value", "persona"),
    params: SamplingParams | None = None,
    concurrency: int = 8,
    policy: RetryPolicy | None = None,
    progress_stream: TextIO | None = None,
    show_progress: bool | None = None,
    sleep: Callable[[float], object] | None = None,
) -> JudgeSummary:
    """Judge every sample of ``split`` that both files answer, in both orders, appending one
    line per judgment to ``out`` (module docstring); judgments already in ``out`` are skipped.

    ``params`` default to temperature 0 and :data:`DEFAULT_MAX_TOKENS`; ``show_progress``,
    ``progress_stream`` and ``sleep`` are as for :func:`~sgbench.runner.run_model`.

    Raises:
        InputError: criteria that are not distinct known names
            (:func:`~sgbench.judge.prompt.check_criteria`), a model name ``--model`` would
            refuse, ``out`` an input or inside the dataset folder
            (:func:`~sgbench.files.check_outputs_apart`), unreadable inputs, no sample answered
            in both files, an output file that cannot be resumed, a fatal HTTP status, a
            judge server failing request after request, or the first judgments of the run all
            unparsed (:class:`~sgbench.runner.run.Breaker`; lines written before any of these
            stay in ``out``).
    """
    from sgbench.dataset import resolve_dataset
    from sgbench.prompts import split_rows

    criteria = check_criteria(criteria)
    check_model_name(model, _MODEL)
    # Judged again when locked (sgbench.locks.exclusive), but first here, as by every writer:
    # it was judged only once both files and the dataset were read.
    check_output_name(out)
    # Here, not only in the CLI: a Python caller's out inside the dataset folder was written.
    check_outputs_apart(
        [
            (_A, a_path),
            (_B, b_path),
            (_DATASET, dataset),
        ],
        [(_OUT, out)],
    )
    params = params or SamplingParams(max_tokens=DEFAULT_MAX_TOKENS)
    policy = policy or RetryPolicy()
    if same_file(a_path, b_path):
        # Every verdict would be a tie, measuring nothing but position bias.
        raise InputError(
            f"{shown_name(str(a_path))}, {shown_name(str(b_path))}: {_A} and {_B} are the same "
            "file; judge two runs"
        )
    root = resolve_dataset(dataset)
    rows = split_rows(root, config, split)
    in_split = {str(row["id"]) for row in rows}
    a, b = read_responses(a_path, in_split), read_responses(b_path, in_split)
    tasks = build_tasks(rows, a.texts, b.texts, criteria)
    if not tasks:
        raise InputError(
            f"{shown_name(str(a_path))}, {shown_name(str(b_path))}: no sample of split "
            f"{split!r} (config {config!r}) is answered in both files"
        )
    for name, responses in ((a_path, a), (b_path, b)):
        # Responses to another build's prompts (other personas or texts under the same ids)
        # would be judged against this one's subgroups.
        other = first_other_prompt(rows, responses.template, responses.prompts)
        if other is not None:
            raise InputError(
                f"{shown_name(str(name))}: sample {bounded(other)!r} answered another prompt "
                f"than {_DATASET}'s with template {responses.template!r} (a dataset built "
                "otherwise); judge responses with the dataset they answered"
            )
    n_only_one = len((set(a.texts) ^ set(b.texts)) & in_split)
    run = {
        "judge_model": model,
        "judge_prompt": JUDGE_PROMPT,
        "criteria": list(criteria),
        "params": params.to_dict(),
        "a": a.identity(),
        "b": b.identity(),
        "dataset": dataset_identity(root, config, split),
    }
    requests = Requests(
        model, endpoint, params, policy, concurrency, progress_stream, show_progress, sleep
    )
    unparsed = 0
    lock = threading.Lock()

    def work(
        task: JudgeTask, wait: Callable[[float], object], stop: threading.Event
    ) -> dict[str, Any] | None:
        nonlocal unparsed
        record = judge_one(
            task, criteria=criteria, requests=requests, run=run, sleep=wait, stop=stop
        )
        if record is not None and is_unparsed(record):
            with lock:
                unparsed += 1
        return record

    # A judgment of other response texts (a file rerun under the same model name) is refused,
    # never counted with these.
    appended = append_pending(
        tasks,
        work,
        out,
        requests,
        key=lambda task: task.key,
        run=run,
        asked={task.key: request_digest(task.messages) for task in tasks},
        line_format=JUDGMENTS,
        label="judge",
        kept="judgments",
        unread=unread_criteria,
        out_name=_OUT,
    )
    counts = appended.counts
    return JudgeSummary(
        out=Path(out),
        n_samples=len(tasks) // 2,
        n_only_one=n_only_one,
        n_already_done=appended.n_already_done,
        n_judged=counts.n_done,
        n_unparsed=unparsed,
        n_errors=counts.n_errors,
        n_retried_errors=appended.n_retried_errors,
        elapsed=counts.elapsed,
    )
