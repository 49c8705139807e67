"""Open-ended answers judged pairwise by an LLM judge: ``sgbench judge`` and ``judge-report``.

:mod:`~sgbench.judge.prompt` builds the judge's request and reads its verdicts back (pure
functions); :mod:`~sgbench.judge.run` sends every (sample, order) pair through the runner
(:mod:`sgbench.runner`) and appends one judgment line each; :mod:`~sgbench.judge.report` turns a
judgments file into win rates with bootstrap intervals, position-bias and order-agreement
figures, and the scorer's fairness figures across subgroups and attribute values.
"""

from __future__ import annotations

from sgbench.judge.prompt import (
    CRITERIA,
    JUDGE_PROMPT,
    judge_messages,
    parse_criteria,
    parse_verdicts,
    repair_messages,
)
from sgbench.judge.report import JudgeReport, judge_report, read_judgments, write_judge_report
from sgbench.judge.run import (
    DEFAULT_MAX_TOKENS,
    JUDGMENTS,
    ORDERS,
    JudgeSummary,
    build_tasks,
    judge_files,
    read_responses,
)

__all__ = [
    "CRITERIA",
    "DEFAULT_MAX_TOKENS",
    "JUDGE_PROMPT",
    "JUDGMENTS",
    "ORDERS",
    "JudgeReport",
    "JudgeSummary",
    "build_tasks",
    "judge_files",
    "judge_messages",
    "judge_report",
    "parse_criteria",
    "parse_verdicts",
    "read_judgments",
    "read_responses",
    "repair_messages",
    "write_judge_report",
]
