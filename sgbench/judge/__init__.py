"""Open-ended answers judged pairwise by an LLM judge: ``sgbench judge`` and ``judge-report``.

:mod:`~sgbench.judge.prompt` builds the judge's request and reads its verdicts back (pure
functions); :mod:`~sgbench.judge.run` sends every (sample, order) pair through the runner
(:mod:`sgbench.runner`) and appends one judgment line each; :mod:`~sgbench.judge.report` turns a
judgments file into win rates with bootstrap intervals, position-bias and order-agreement
figures, and the scorer's fairness figures across subgroups and attribute values.
"""

from __future__ import annotations

from sgbench.judge.prompt import CRITERIA, JUDGE_PROMPT, parse_criteria, parse_verdicts
from sgbench.judge.report import JudgeReport, judge_report, write_judge_report
from sgbench.judge.run import DEFAULT_MAX_TOKENS, ORDERS, JudgeSummary, judge_files

# The public API is ``sgbench judge`` and ``judge-report`` as calls, and reading a judge's
# reply; the request-building and file-reading pieces (build_tasks, judge_messages,
# repair_messages, read_responses, read_judgments, JUDGMENTS) stay in their modules, internal.
__all__ = [
    "CRITERIA",
    "DEFAULT_MAX_TOKENS",
    "JUDGE_PROMPT",
    "ORDERS",
    "JudgeReport",
    "JudgeSummary",
    "judge_files",
    "judge_report",
    "parse_criteria",
    "parse_verdicts",
    "write_judge_report",
]
