"""The one exception hierarchy of sgbench, and the rules for showing text it did not write.

Library code raises these; the CLI turns them into a one-line ``Error: ...`` on stderr and exit
code 2. Anything else escaping the library is a bug and is allowed to show a traceback.

Text from a user or a file (a file name, a model name, an id, a submission's notes) reaches
terminals, error lines, chart titles and the leaderboard, so that it cannot break a line, move
the cursor, reorder what surrounds it (bidirectional controls, "Trojan Source"), fail to encode
(a lone surrogate) or run to megabytes: every message line is :func:`shown_name` and
:func:`bounded` (the CLI does it for every error), and text set in a summary, a table or a
chart title is :func:`one_line` (and :func:`bounded`).
"""

from __future__ import annotations

import errno
import html
import os
import re
import resource
import unicodedata
from collections.abc import Iterable
from typing import Final

MAX_MESSAGE: Final = 500
"""Most characters of one problem line; longer ones keep their start and their end."""


def bounded(message: str) -> str:
    """``message`` cut to :data:`MAX_MESSAGE` characters around a ``…`` when longer: a problem
    quoting an untrusted value (a 10 MB model name, a 50 MB id) would otherwise be published in
    full in every output and message. The end, which says what is wrong, is kept."""
    if len(message) <= MAX_MESSAGE:
        return message
    half = (MAX_MESSAGE - 30) // 2
    return f"{message[:half]} … [{len(message) - 2 * half:,} characters] … {message[-half:]}"


def shown_name(name: str) -> str:
    """A file or folder name as a message or an output shows it: as is when every character is
    printable, else with Python's escapes (``\\n``, ``\\x1b``, ``\\u202e``, ``\\udcff``), so a
    name cannot start a line of its own, drive a terminal, reorder the text around it or break
    a UTF-8 writer (a name that is not UTF-8 holds lone surrogates)."""
    return name if name.isprintable() else repr(name)[1:-1]


_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
BIDI_CONTROLS: Final = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Characters that reorder the text around them (Trojan Source): dropped or escaped."""
_BIDI: Final = re.compile(f"[{BIDI_CONTROLS}]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """``text`` with every lone UTF-16 surrogate replaced by U+FFFD: JSON may carry one as an
    escape (``"\\ud800"``) and a file name undecodable bytes as one, and neither can be written
    as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character or a line separator (a newline, tab, escape,
    U+2028): the one test for a name that must stay on its line (a command-line argument, an
    output file's name)."""
    return _CONTROL.search(text) is not None


def shown_exactly(text: str) -> str:
    """Text a reader must find in their own file (an id), as a message quotes it: its ``repr``,
    quoted and with Python's escapes, :func:`bounded`. :func:`one_line` strips and turns controls
    into spaces, so a padded id (``' 12'``) or one holding a tab was named as another id the
    file did not hold; here padding shows inside the quotes, and two different texts never look
    alike."""
    return bounded(repr(text))


def shown_value(value: object) -> str:
    """A caller's value as a refusal quotes it: its ``repr`` on one line, cut to 60 characters
    (an argument may be a 100,000-character text or a table)."""
    text = one_line(repr(value))
    return text if len(text) <= 60 else f"{text[:57]}..."


def one_line(text: object) -> str:
    """``text`` shown on one line: control characters (line breaks, escape sequences) as
    spaces, bidirectional controls dropped, lone surrogates as U+FFFD, stripped (the length is
    :func:`bounded`'s business)."""
    return _CONTROL.sub(" ", _BIDI.sub("", replace_surrogates(str(text)))).strip()


_MD_PUNCTUATION: Final = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK_START: Final = re.compile(
    r"^( *)(#{1,6}(?= |$)|[+-](?= |$)|[0-9]{1,9}(?=[.)](?: |$)))([.)]?)"
)
"""A heading or list marker at the start of a text (CommonMark: followed by a space or the
end)."""


def md_text(text: object) -> str:
    """Untrusted text made inert in Markdown (and in the HTML Markdown may contain): one line
    (:func:`one_line`), ``& < > "`` as entities, a backslash before the punctuation that could
    start a link, emphasis, code or a table cell, and before a heading or list marker starting
    it. The one rule for every Markdown sgbench writes: the leaderboard and a dataset's card,
    where a file name holding ``|`` or a newline split the provenance table."""
    escaped = _MD_PUNCTUATION.sub(r"\\\1", one_line(text))
    escaped = _MD_BLOCK_START.sub(_escape_block_start, escaped, count=1)
    return html.escape(escaped, quote=False).replace('"', "&quot;")


def _escape_block_start(match: re.Match[str]) -> str:
    spaces, marker, dot = match.groups()
    return f"{spaces}{marker}\\{dot}" if dot else f"{spaces}\\{marker}"


def first_unseen(text: str, allowed: str = "") -> int | None:
    """The index of the first character of ``text`` that does not show as itself, other than
    those in ``allowed`` (None when there is none): whatever ``str.isprintable`` refuses, so a
    control (a NUL, an escape, a carriage return), a format character (a bidirectional control,
    a zero-width space, a word joiner, a soft hyphen, a tag character, which models read as
    ASCII), a line or paragraph separator, a space other than U+0020, an unassigned or private
    code point. The one rule for text sgbench puts into every prompt (templates, build
    configs): such a character would reach every model unseen in any editor."""
    if text.translate({ord(char): None for char in allowed}).isprintable():
        return None
    return next(n for n, char in enumerate(text) if char not in allowed and not char.isprintable())


def model_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a model (None when it can). A model name is recorded in every
    line and shown on the leaderboard and in chart titles, so it must read as it is: not blank,
    not padded with spaces, nothing that does not print (a control or a format character such
    as a bidirectional control). The one rule for every model name, given (``--model``) or
    taken from a file's name."""
    if not name.strip() or not name.isprintable() or name != name.strip():
        return "a model name is not blank, has no surrounding space and only printable characters"
    return None


def refuse_without_effect(*rules: tuple[str, bool, bool, str]) -> None:
    """Refuse an argument that the other arguments make meaningless, the one rule of the
    command line's options and the Python functions' arguments alike: each rule is ``(name,
    given, has effect, when it has none)``. An option is given when typed; a Python argument
    when it differs from its default (``samples=5`` without ``distribution='sample'`` was
    ignored, and a report recorded a ``resample`` mode with no replicates to shape).

    Raises:
        InputError: ``NAME has no effect REASON; leave it out``.
    """
    for name, given, effective, reason in rules:
        if given and not effective:
            raise InputError(f"{name} has no effect {reason}; leave it out")


def check_model_name(name: str, option: str = "--model") -> None:
    """Refuse a model name :func:`model_name_problem` refuses, before it is sent or recorded:
    what the command line's ``--model`` checks, a Python caller's name is held to as well.

    Raises:
        InputError: ``OPTION 'NAME': why``.
    """
    problem = model_name_problem(name)
    if problem:
        raise InputError(bounded(f"{option} {name!r}: {problem}"))


class SgbenchError(Exception):
    """Base class of every error sgbench raises on purpose."""


class InputError(SgbenchError):
    """A file, option or value given by the user cannot be used.

    The message is one line and names the file (and line or column where there is one).
    """


class ConfigError(InputError):
    """A build config is invalid."""


class SgbenchWarning(UserWarning):
    """A result was made, but one use of it is unsafe (fine-tuning records of a scored split).

    From Python it is this warning (``warnings.filterwarnings("error", category=SgbenchWarning)``
    makes it a refusal); on the command line, the same text as one ``warning: …`` line on
    stderr, shown by :class:`sgbench.cli.errors.SgbenchGroup` for every command.
    """


IGNORABLE: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
"""Unicode's Default_Ignorable_Code_Point characters: they show nothing (zero-width spaces,
joiners, bidirectional controls, variation selectors, the Hangul fillers, tags)."""


LOOKALIKES: Final = str.maketrans(
    # Cyrillic letters drawn as Latin ones (lower case, or upper case once case-folded).
    "\u0430\u0432\u0435\u0455\u0456\u0458\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445"
    "\u04bb\u0501\u051b\u051d\u04cf"
    # Greek letters drawn as Latin ones (most of them only in upper case).
    "\u03b1\u03b2\u03b5\u03b6\u03b7\u03b9\u03ba\u03bc\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03f2"
    # Armenian letters drawn as Latin ones.
    "\u0585\u057d\u0570\u0578\u0566\u0581"
    # Cherokee letters drawn as Latin capitals (case folding keeps Cherokee capitals).
    "\u13aa\u13f4\u13df\u13a0\u13ac\u13c0\u13bb\u13a5\u13ab\u13e6\u13de\u13b7\u13be\u13e2"
    "\u13da\u13a2\u13d9\u13b3\u13c3",
    "abesijkmhopctyxhdqwlabezhikmnoptyxcouhnqgabcdeghijklmopstvwz",
)
"""Cyrillic, Greek, Armenian and Cherokee letters a reader takes for Latin ones ('ОКАУ' in
Cyrillic reads 'OKAY'), mapped to them: a name written wholly in one of these scripts passes
for a Latin one. (Unicode's full confusables table, UTS #39, is not shipped; these are the
letters of the scripts names are spoofed in.)"""


def shown_model(name: object) -> str:
    """A model name as a reader tells it from another: Unicode NFKC (so fullwidth and
    mathematical letters are plain ones), case-folded, without the characters that show
    nothing (:data:`IGNORABLE`, format and control characters), runs of spaces as one, and
    letters of other scripts drawn as Latin ones read as those (:data:`LOOKALIKES`)."""
    shown = IGNORABLE.sub("", unicodedata.normalize("NFKC", str(name)))
    visible = "".join(c for c in shown if unicodedata.category(c) not in ("Cf", "Cc"))
    return " ".join(visible.casefold().translate(LOOKALIKES).split())


def size_limit_hit(exc: OSError) -> int | None:
    """The process's file size limit in bytes (``ulimit -f``, ``RLIMIT_FSIZE``) when ``exc`` is
    a write past it, else None. Python ignores the signal the limit sends (``SIGXFSZ``), so the
    write fails with ``EFBIG`` (File too large), which a file system's own size cap also gives."""
    system = os.strerror(errno.EFBIG)
    # The system's reason, maybe in a library's words (pyarrow: "Error writing bytes to file.
    # Detail: [errno 27] File too large"); not a bound of sgbench's own (jsonl.read_bounded).
    if exc.errno != errno.EFBIG or system not in (exc.strerror or system):
        return None
    return file_size_limit()


def file_size_limit() -> int | None:
    """The process's file size limit in bytes (``ulimit -f``, ``RLIMIT_FSIZE``), None when
    there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else soft


def write_reason(exc: OSError) -> str:
    """Why a write failed, for a message: the system's reason, and for a write past the file
    size limit (:func:`size_limit_hit`) that limit, since no other folder or disk helps (a
    build said to set TMPDIR, which cannot)."""
    limit = size_limit_hit(exc)
    if limit is None:
        return exc.strerror or str(exc)
    return (
        f"{os.strerror(errno.EFBIG)}: the file size limit of this process, {limit:,} bytes "
        "(ulimit -f, RLIMIT_FSIZE), was hit; raise it"
    )


def check_each(values: Iterable[object], kinds: tuple[type, ...], where: str, what: str) -> None:
    """Refuse an element of a list argument that is not of one of ``kinds`` (a ``bool`` is not
    a number): the public API's kind check (:mod:`sgbench.boundary`) sees a list, not what it
    holds, and a None among file paths went on to a TypeError, a True among wave numbers to a
    message about wave True, a None among question ids was split as the id ``'None'``. The one
    rule for the elements of the lists the public functions take.

    Raises:
        InputError: ``WHERE: element N must be WHAT, got KIND VALUE``.
    """
    for index, value in enumerate(values):
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise InputError(
                f"{where}: element {index} must be {what}, got {type(value).__name__} "
                f"{shown_value(value)}"
            )


__all__ = ["ConfigError", "InputError", "SgbenchError", "SgbenchWarning"]
"""The public names: what a caller catches. The display rules above are internal."""
