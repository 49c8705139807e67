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
    a UTF-8 writer (a name that is not UTF-8 holds lone surrogates).

    A name that would still start or end in a space is shown as Python's ``repr`` writes it,
    quoted (``'data/x.parquet '``): a space has no escape, and shown bare, ``data/x.parquet :
    not listed in manifest.json`` read as the listed file, not the one beside it.
    """
    shown = name if name.isprintable() else repr(name)[1:-1]
    return repr(name) if shown != shown.strip() else shown


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
    code point; and what prints but draws nothing (:func:`unseen`: U+2800 BRAILLE PATTERN BLANK,
    the Hangul fillers), other than a combining mark (a variation selector changes the glyph
    before it, so '❤️' stays). The one rule for text sgbench puts into every prompt (templates,
    build configs): such a character would reach every model unseen in any editor."""
    return next(
        (
            n
            for n, char in enumerate(text)
            if char not in allowed
            and (not char.isprintable() or (unseen(char) and unicodedata.category(char) != "Mn"))
        ),
        None,
    )


def model_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a model (None when it can). A model name is recorded in every
    line and shown on the leaderboard and in chart titles, so it must read as it is: not blank,
    not padded with spaces, nothing that does not print (a control or a format character such
    as a bidirectional control), nor one drawn as nothing that Python calls printable (a
    Hangul filler, a variation selector, U+2800 BRAILLE PATTERN BLANK: :func:`unseen`). The one
    rule for every model name, given (``--model``) or taken from a file's name."""
    if not name.strip() or not name.isprintable() or name != name.strip():
        return "a model name is not blank, has no surrounding space and only printable characters"
    blank = next((char for char in name if unseen(char)), None)
    if blank is not None:
        # Printable to Python, yet drawn as nothing: 'gpt-4\u2800' would read 'gpt-4'.
        return (
            f"U+{ord(blank):04X} ({unicodedata.name(blank, 'unnamed')}) draws nothing; a model "
            "name holds only characters that show"
        )
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


def check_model_name(name: str, option: object) -> None:
    """Refuse a model name :func:`model_name_problem` refuses, before it is sent or recorded:
    what the command line's ``--model`` checks, a Python caller's name is held to as well.
    ``option`` names the argument as its caller wrote it (an
    :class:`~sgbench.boundary.ArgumentName`: ``model`` from Python, ``--model`` on the command
    line; this module lies below that one).

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


DASHES: Final = (
    # Unicode's dash punctuation (category Pd), then the minus signs drawn as a hyphen.
    "\u002d\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a"
    "\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
    "\u2212\u02d7\u2043\u2796"
)
"""Characters a reader takes for a hyphen ('GPT‐4' with U+2010 HYPHEN reads 'GPT-4'): every
dash of Unicode (category Pd) and the minus signs (U+2212, U+02D7, U+2043, U+2796)."""


LOOKALIKES: Final = str.maketrans(
    {
        source: target
        for target, sources in {
            "2": "\u01a7\u03e8\u14bf\ua644\ua6ef\ua75a",
            "3": "\u01b7\u021c\u0417\u04e0\u2ccc\ua76a\ua7ab\U000118ca\U00016f3b",
            "4": "\u13ce\U000118af",
            "5": "\u01bc\U000118bb",
            "6": "\u0431\u13ee\u2cd2\U000118d5",
            "7": "\U000104d2\U000118c6",
            "8": "\u0222\u0223\u09ea\u0a6a\U0001031a\U0001e8cb",
            "9": "\u09ed\u0a67\u0b68\u0d6d\u2cca\ua76e\U000118ac\U000118cc\U000118d6",
            "a": "\u0251\u0391\u03b1\u0410\u0430\u13aa\u15c5\ua4ee\U000102a0\U00016f40",
            "b": (
                "\u0184\u0392\u0412\u042c\u13cf\u13f4\u1472\u15af\u15f7\ua4d0\ua7b4\U00010282"
                "\U000102a1\U00010301"
            ),
            "c": (
                "\u0421\u0441\u13df\u1d04\u2ca4\u2ca5\ua4da\uabaf\U000102a2\U00010302\U00010415"
                "\U0001043d\U0001051c\U000118e9\U000118f2"
            ),
            "d": "\u0501\u13a0\u13e7\u146f\u15de\u15ea\ua4d2\ua4d3",
            "e": "\u0395\u0415\u0435\u04bd\u13ac\u2d39\ua4f0\uab32\U00010286\U000118a6\U000118ae",
            "f": (
                "\u03dc\u0584\u15b4\u1e9d\ua4dd\ua798\ua799\uab35\U00010287\U000102a5\U00010525"
                "\U000118a2\U000118c2"
            ),
            "g": "\u018d\u0261\u050c\u0581\u13c0\u13f3\u1d83\ua4d6",
            "h": "\u0397\u041d\u04bb\u0570\u13bb\u13c2\u157c\u2c8e\ua4e7\U000102cf",
            "i": (
                "\u0131\u0196\u0269\u026a\u0399\u03b9\u0406\u0456\u04c0\u04cf\u13a5\u16c1\u2c92\ua4f2"
                "\ua647\uab75\U00010309\U000118c3"
            ),
            "j": "\u037f\u03f3\u0408\u0458\u13ab\u148d\ua4d9\ua7b2",
            "k": "\u039a\u041a\u13e6\u16d5\u2c94\ua4d7\U00010518",
            "l": (
                "\u01c0\u05d5\u05df\u0627\u0661\u06f1\u07ca\u13de\u14aa\u2cd0\u2d4f\ua4e1\U0001028a"
                "\U00010320\U0001041b\U00010526\U000118a3\U000118b2\U00016f16\U00016f28\U0001e8c7"
            ),
            "m": "\u039c\u03fa\u041c\u13b7\u15f0\u16d6\u2c98\ua4df\U000102b0\U00010311",
            "n": "\u039d\u0578\u057c\u2c9a\ua4e0\U00010513",
            "o": (
                "\u039f\u03bf\u03c3\u041e\u043e\u0555\u0585\u05e1\u0647\u0665\u06be\u06c1\u06d5\u06f5"
                "\u07c0\u0966\u09e6\u0a66\u0ae6\u0b20\u0b66\u0be6\u0c66\u0ce6\u0d20\u0d66\u0e50\u0ed0"
                "\u101d\u1040\u10ff\u12d0\u1d0f\u1d11\u2c9e\u2c9f\u2d54\u3007\ua4f3\uab3d\U00010292"
                "\U000102ab\U00010404\U0001042c\U000104c2\U000104ea\U00010516\U000114d0\U000118b5"
                "\U000118c8\U000118d7\U000118e0"
                "\u13be"  # Cherokee NA, which UTS #39 leaves out: 'ᎻᎬᏞᏞᎾ' reads 'HELLO'
            ),
            "p": "\u03a1\u03c1\u0420\u0440\u13e2\u146d\u2ca2\u2ca3\ua4d1\U00010295",
            "q": "\u051b\u0563\u0566\u2d55",
            "r": (
                "\u01a6\u0433\u13a1\u13d2\u1587\u1d26\u2c85\ua4e3\uab47\uab48\uab81\U000104b4"
                "\U00016f35"
            ),
            "s": (
                "\u01bd\u0405\u0455\u054f\u13d5\u13da\ua4e2\ua731\uabaa\U00010296\U00010420\U00010448"
                "\U000118c1\U00016f3a"
            ),
            "t": "\u03a4\u0422\u13a2\u2ca6\ua4d4\U00010297\U000102b1\U00010315\U000118bc\U00016f0a",
            "u": (
                "\u028b\u03c5\u054d\u057d\u1200\u144c\u1d1c\ua4f4\ua79f\uab4e\uab52\U000104ce"
                "\U000104f6\U000118b8\U000118d8\U00016f42"
            ),
            "v": (
                "\u03bd\u0474\u0475\u05d8\u0667\u06f7\u13d9\u142f\u1d20\u2d38\ua4e6\ua6df\uaba9"
                "\U0001051d\U00011706\U000118a0\U000118c0\U00016f08"
            ),
            "w": (
                "\u026f\u0461\u051c\u051d\u0561\u13b3\u13d4\u1d21\ua4ea\uab83\U0001170a\U0001170e"
                "\U0001170f\U000118e6\U000118ef"
            ),
            "x": (
                "\u03a7\u0425\u0445\u1541\u157d\u16b7\u2cac\u2d5d\ua4eb\ua7b3\U00010290\U000102b4"
                "\U00010317\U00010322\U00010527\U000118ec"
            ),
            "y": (
                "\u0263\u028f\u03a5\u03b3\u0423\u0443\u04ae\u04af\u10e7\u13a9\u13bd\u1d8c\u1eff\u2ca8"
                "\ua4ec\uab5a\U000102b2\U000118a4\U000118dc\U00016f43"
            ),
            "z": "\u0396\u13c3\u1d22\ua4dc\uab93\U000102f5\U000118a9\U000118c4\U000118e5",
        }.items()
        for source in sources
    }
)
"""Letters and digits of any script a reader takes for a Latin letter or digit ('ОКАУ' in
Cyrillic reads 'OKAY', 'mıstral' with a dotless i reads 'mistral', 'ɡ' is 'g'), mapped to
it. Generated once from Unicode's confusables (UTS #39 ``confusables.txt``, Unicode 14.0, the
version of this Python's ``unicodedata``): every letter or digit that NFKC keeps as it is,
outside ASCII, whose prototype is one ASCII letter or digit, case-folded; a capital (or a
letter named I or IOTA) whose prototype is 'l' maps to 'i', since UTS #39 draws capital I as
'l' and names here are case-folded. ASCII itself is not folded ('I', 'l' and '1', 'O' and
'0', 'rn' and 'm' stay apart: names such as 'l1' are real). One letter is added by hand,
Cherokee NA, drawn as 'O'."""

FOLD: Final = {**dict.fromkeys(map(ord, DASHES), "-"), **LOOKALIKES}
"""What :func:`read_as` translates: :data:`DASHES` to '-' and :data:`LOOKALIKES`."""

BLANKS: Final = "\u2800"
"""Characters that draw as nothing but are neither spaces, format characters nor
Default_Ignorable (:data:`IGNORABLE`, which holds the Hangul fillers): U+2800 BRAILLE PATTERN
BLANK, a symbol (So) drawn as an empty cell, so 'gpt-4\u2800' reads 'gpt-4'."""

ZWJ: Final = "\u200d"
_EMOJI_TRAIL: Final = frozenset("\ufe0e\ufe0f" + "".join(map(chr, range(0x1F3FB, 0x1F400))))
"""What may stand between an emoji and the joiner after it: a variation selector, a skin tone."""


def _joins_emoji(text: str, at: int) -> bool:
    """Whether the zero-width joiner at ``at`` joins two symbols (category So, what emoji
    are): there it draws one glyph of two (U+1F468 ZWJ U+1F4BB is one technologist, without
    it a man and a laptop), so it is seen; between letters it draws nothing. Walks back over
    the trail only (no copy of the text before it), so a text of many joiners is read in
    linear time: a regex search over ``text[:at]`` per joiner made 30,000 of them take 48 s."""
    if at + 1 >= len(text) or not _is_symbol(text[at + 1]):
        return False
    base = at - 1
    while base >= 0 and text[base] in _EMOJI_TRAIL:
        base -= 1
    return base >= 0 and _is_symbol(text[base])


def _is_symbol(char: str) -> bool:
    return unicodedata.category(char) == "So"


def unseen(char: str) -> bool:
    """Whether a character draws nothing on its own: Default_Ignorable (:data:`IGNORABLE`),
    a format (Cf) or control (Cc) character, or one of :data:`BLANKS`. The one test of what
    :func:`read_as` drops and :func:`model_name_problem` refuses."""
    return (
        IGNORABLE.match(char) is not None
        or unicodedata.category(char) in ("Cf", "Cc")
        or char in BLANKS
    )


def read_as(text: object) -> str:
    """Text as a reader tells it from other text, the one fold of names compared by eye (model
    names, :func:`shown_model`; a config's country name): Unicode NFKC (so fullwidth and
    mathematical letters are plain ones), without the characters that draw nothing
    (:func:`unseen`; a zero-width joiner between two emoji is kept, since it makes them one
    glyph), every dash and minus sign a hyphen (:data:`DASHES`), letters and digits of any
    script drawn as Latin ones read as those (:data:`LOOKALIKES`), case-folded, and runs of
    spaces (any Unicode space) as one. Lookalikes are read before case folding (Greek 'Ν' is
    'N', its small 'ν' is 'v') and again after it, for a capital whose small letter is the
    lookalike."""
    visible = without_unseen(unicodedata.normalize("NFKC", str(text)))
    return " ".join(visible.translate(FOLD).casefold().translate(FOLD).split())


def without_unseen(text: str, keep_spaces: bool = False) -> str:
    """``text`` without the characters that draw nothing (:func:`unseen`), so it reads as it
    displays: a zero-width joiner between two emoji is kept (it makes them one glyph), and with
    ``keep_spaces`` so are the controls that are white space (a tab, a line break), which part
    lines and words. The one removal of :func:`read_as` and of a model's reply before it is read
    (``sgbench.scoring.parse.readable``: 'Answer: 1<ZWSP>2' displays and reads as 12)."""
    return "".join(
        char
        for at, char in enumerate(text)
        if not unseen(char)
        or (keep_spaces and char.isspace())
        or (char == ZWJ and _joins_emoji(text, at))
    )


def shown_model(name: object) -> str:
    """A model name as a reader tells it from another: :func:`read_as`, the fold of every
    name compared by eye."""
    return read_as(name)


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
    build said to set TMPDIR, which cannot); for a file that cannot be created in a folder
    that exists (``/proc/self``), that the folder takes no new file."""
    limit = size_limit_hit(exc)
    if limit is None and exc.errno == errno.ENOENT and exc.filename is not None:
        # A folder that exists and lets no file be created (/proc): its "No such file or
        # directory" read as a missing folder. Not named: it may be the folder a symlink
        # leads to (/proc/self is /proc/PID), not the one the message's path shows.
        folder = os.path.dirname(os.fsdecode(exc.filename)) or "."
        if os.path.isdir(folder):
            return f"{exc.strerror}: its folder exists but takes no new file"
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
