"""Exit codes and error handling of the command line, in one place.

Exit codes:

- ``0`` (:data:`EXIT_OK`): done.
- ``2`` (:data:`EXIT_ERROR`): an error (a library :class:`~sgbench.errors.SgbenchError`, shown as
  one ``Error: ...`` line on stderr) or a usage error (a missing argument, an unknown option:
  one ``Error: ...`` line too, naming the command's ``--help``); nothing half-written.
- ``3`` (:data:`EXIT_LEFT_OUT`): completed and outputs written, but something was left out
  (``leaderboard``: an invalid submission; ``run`` and ``judge``: requests that still failed;
  ``judge``: verdicts left unparsed;
  ``import paper-outputs``: released rows matching no sample or several).
- ``130`` (:data:`EXIT_INTERRUPTED`): interrupted with Ctrl-C.
- ``141`` (:data:`EXIT_BROKEN_PIPE`): the reader of standard output went away (``| head``);
  nothing is said.

:class:`SgbenchGroup` turns library errors and Ctrl-C into these codes for every command, so no
command handles them itself. It also refuses, before any command runs, what no command could use:
an argument that is not UTF-8 text or holds a control character, an option that takes one value
given twice, a working folder that was deleted, and a closed standard output; and it sets the
standard streams whatever the environment gives (:func:`_standard_streams`).
"""

from __future__ import annotations

import codecs
import errno
import fcntl
import io
import os
import re
import select
import stat
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, ClassVar, Final, TextIO

import click

from sgbench.boundary import named_as_on_the_command_line
from sgbench.errors import (
    SgbenchError,
    SgbenchWarning,
    bounded,
    file_size_limit,
    has_control,
    shown_name,
    write_reason,
)
from sgbench.files import StreamClash, check_standard_streams, stderr_named

EXIT_OK: Final = 0
EXIT_ERROR: Final = 2
EXIT_LEFT_OUT: Final = 3
EXIT_INTERRUPTED: Final = 130
EXIT_BROKEN_PIPE: Final = 141
"""128 + SIGPIPE: the code the shell reports for a program the signal ended, as ``yes | head``
ends ``yes``; not 0, so ``set -o pipefail`` still sees the output cut."""

_INTERRUPT_NOTE: Final = "sgbench.interrupt_note"


class SgbenchClickError(click.ClickException):
    """A library error shown as one ``Error: ...`` line, with exit code 2."""

    exit_code = EXIT_ERROR
    quiet: ClassVar[bool] = False
    """Set for each command line by :meth:`SgbenchGroup.main`: standard error is a file the
    command line names, so the line is not shown (it would be written into that file)."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Show the line, unless :attr:`quiet`."""
        if not SgbenchClickError.quiet:
            super().show(file)


def on_interrupt(note: str | Callable[[], str]) -> None:
    """Say ``note`` on stderr if the running command is interrupted with Ctrl-C; a callable is
    asked then, for a note about what the command had done by that time."""
    click.get_current_context().find_root().meta[_INTERRUPT_NOTE] = note


def left_out() -> None:
    """End the running command with :data:`EXIT_LEFT_OUT` (its outputs are complete)."""
    click.get_current_context().exit(EXIT_LEFT_OUT)


_STREAM_ERRORS: Final = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE, errno.EBADF}
)
"""Failed writes of standard output; ``EBADF`` is a descriptor opened for reading (``1<file``)."""


def _read_only(stream: Any) -> bool:
    """Whether ``stream``'s descriptor is open for reading only (``1<file``, ``2<file``): Python
    opens it all the same, and the first write fails (a traceback and exit code 120 or 1)."""
    try:
        flags = fcntl.fcntl(stream.fileno(), fcntl.F_GETFL)
    except (AttributeError, OSError, ValueError):  # no real descriptor (a test runner's buffer)
        return False
    return flags & os.O_ACCMODE == os.O_RDONLY


def _standard_streams() -> None:
    """Standard output in UTF-8 and standard error never failing, whatever the locale; a closed
    standard error made the null device.

    Standard output carries data (JSON Lines, JSON reports): in the locale's encoding its bytes
    changed with ``LANG`` or ``PYTHONIOENCODING``, and a character the encoding lacks (the en
    dash of an option label under latin-1) crashed the command with a traceback half-way
    through. Messages on stderr keep the terminal's encoding, a missing character shown as an
    escape (``\u2014``). With descriptor 2 closed (``2>&-``) click wrote ``Error:`` lines and
    notes to standard output, into the data. A standard error open for reading only (``2<file``)
    is taken as closed: a failed message turned exit code 2 into 1.
    """
    if sys.stderr is None or _read_only(sys.stderr):
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (kept to the end)
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and codecs.lookup(stdout.encoding).name != "utf-8":
        stdout.reconfigure(encoding="utf-8", errors="strict")
    if isinstance(sys.stderr, io.TextIOWrapper):
        sys.stderr.reconfigure(errors="backslashreplace")


def check_delivered() -> None:
    """Raise the failed write of standard output that the interpreter dropped: run after every
    command, and before every summary line on standard error (:func:`sgbench.cli.output.say`).

    Writing a large block to a pipe whose reader has gone (``sgbench baseline ... | head -1``)
    can return short without an error, and Python then drops the rest: the command ended with
    exit code 0 and a cut output. The write end of such a pipe polls as an error. A file that
    reached the file size limit (``> out.jsonl`` under ``ulimit -f``) was cut the same way: the
    write up to the limit returns short, and the next one's error was dropped.
    """
    if sys.stdout is None:
        return
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # no real descriptor (a test runner's buffer)
        return
    limit = file_size_limit()
    if (
        limit is not None
        and stat.S_ISREG(os.fstat(fd).st_mode)
        and os.lseek(fd, 0, os.SEEK_CUR) >= limit
    ):
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    if any(events & select.POLLERR for _, events in poller.poll(0)):
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def _drop_stdout() -> None:
    """Point stdout at the null device, so the interpreter's flush at exit does not fail on
    the same write again (a second message after the one ``Error:`` line)."""
    _drop_stream(1)


def _drop_stream(fd: int) -> None:
    """Point standard output (1) or standard error (2) at the null device."""
    stream = sys.stdout if fd == 1 else sys.stderr
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError):  # no real descriptor (a test runner's buffer)
        pass
    finally:
        os.close(devnull)


def _argument_problem(arg: str) -> str | None:
    """Why a command-line argument cannot be used, or None.

    A file name that is not UTF-8 arrives with lone surrogates (``\\udcff``), which no output,
    manifest or library that encodes text can write; a control character (a newline in a file
    name) would break the one-line messages and the tables that quote it. An empty argument (an
    unset shell variable, ``--out "$OUT"``) names nothing: as a path it reads as the working
    folder (``score --json ''`` crashed, ``run --out ''`` blamed hard links), and no option
    takes an empty value.
    """
    if arg == "":
        return "is empty (an unset shell variable?)"
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return _not_utf8(arg)
    if has_control(arg):
        return "holds a control character (a newline, tab or escape)"
    return None


def _command_of(
    group: click.Group, ctx: click.Context, args: list[str]
) -> tuple[click.Command | None, list[str], list[str]]:
    """The command ``args`` name under ``group`` (through nested groups), its names and its own
    arguments; no command when they name none (click then says so)."""
    command: click.Command | None = group
    names: list[str] = []
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        names.append(args[0])
        command, args = command.get_command(ctx, args[0]), args[1:]
    return (None if isinstance(command, click.Group) else command), names, args


def _option_names(command: click.Command, ctx: click.Context) -> dict[str, click.Option]:
    """Every name of ``command``'s options (``--out``, ``-h``, ``--no-progress``)."""
    return {
        name: param
        for param in command.get_params(ctx)
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    }


def _option_problem(command: click.Command, ctx: click.Context, args: list[str]) -> str | None:
    """Why the options in ``args`` cannot be read as the user meant, or None.

    click takes the word after an option as its value whatever it is, so ``build --out --help``
    built a dataset into a folder named ``--help`` with exit code 0: a value that is one of the
    command's option names is refused. (An option given twice is refused by
    :meth:`SgbenchGroup.resolve_command`.) Words after ``--`` are arguments, never options.
    """
    options = _option_names(command, ctx)
    reserved = {*options, *_option_names(ctx.command, ctx)}  # the group's --version too
    words = iter(args)
    for word in words:
        if word == "--":
            break
        name, attached, value = word.partition("=") if word.startswith("--") else (word, "", "")
        param = options.get(name)
        if param is None or param.is_flag:
            continue
        given = value if attached else next(words, None)
        if given in reserved and not attached:
            return (
                f"the value of {name} is '{given}', an option of sgbench; give "
                f"{name} a value (write {name}={given} if you mean that name)"
            )
        problem = _number_problem(param, given)
        if problem is not None:
            return f"the value of {name} is '{given}', {problem}"
    return None


_PLAIN_INTEGER: Final = re.compile(r"-?[0-9]+|[-+]?[A-Za-z]+")
_PLAIN_REAL: Final = re.compile(
    r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[A-Za-z]+"
)


def _number_problem(param: click.Option, given: str | None) -> str | None:
    """Why ``given`` is no plain number for a numeric option, or None. click reads numbers with
    Python's ``int`` and ``float``, which take ``1_0`` (10), `` 5``, ``+5`` and digits of any
    script (``٥``): a typo or a pasted value became a number the user never wrote. Only ASCII
    digits, a minus sign, a point and an exponent are numbers here; a word (``none``, ``nan``,
    ``many``) passes on to the option's own type, which accepts it or names why not."""
    if given is None:
        return None
    whole = isinstance(param.type, click.types.IntParamType)
    if whole and _PLAIN_INTEGER.fullmatch(given) is None:
        return "not a whole number written with the digits 0-9 (and a leading '-')"
    real = isinstance(param.type, click.types.FloatParamType)
    if real and _PLAIN_REAL.fullmatch(given) is None:
        return "not a number written with the digits 0-9 (a '-', a '.' and an 'e' allowed)"
    return None


def _not_utf8(arg: str) -> str:
    """Why ``arg``, holding bytes the locale could not decode, is refused: UTF-8 text read under
    a locale whose file names are not UTF-8 (``LC_ALL=C PYTHONUTF8=0``) is the locale's problem,
    not the file's (``pré.jsonl`` was called "not UTF-8")."""
    encoding = sys.getfilesystemencoding()
    try:
        os.fsencode(arg).decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text (a file name in another encoding?)"
    return (
        f"is UTF-8 text, but the locale reads arguments as {encoding}; set a UTF-8 locale "
        "(LC_ALL=C.UTF-8) or PYTHONUTF8=1"
    )


def _check_stdout() -> None:
    """Refuse a closed standard output, or one open for reading only: checked by
    :meth:`SgbenchGroup.main` before click runs anything, as the other stream rules are. Checked
    once a command ran, it let ``sgbench --version >&-`` (answered by click before any command)
    end with exit code 0 having written nothing, where ``--help``, usage errors and every
    command exit 2."""
    if sys.stdout is None:  # Python's stdout when descriptor 1 is closed (`>&-`)
        raise SgbenchClickError(
            "standard output is closed; redirect it to a file or /dev/null instead"
        )
    if _read_only(sys.stdout):
        raise SgbenchClickError(
            "standard output is open for reading only (1<file); redirect it with > to a file "
            "or /dev/null instead"
        )


def _check_environment() -> None:
    """Refuse a working folder that no longer exists and a umask that takes permissions from
    the owner.

    Under ``umask 777`` every folder a command makes (a staging folder, matplotlib's temporary
    cache) is made without the owner's permissions, so a user other than root is locked out of
    it: commands failed naming the output or TMPDIR as unwritable, and score and stats printed
    tracebacks at exit, leaving unreadable folders in /tmp.
    """
    try:
        os.getcwd()
    except OSError as exc:
        raise SgbenchClickError(
            f"the working folder cannot be found ({exc.strerror}): it was deleted or moved "
            "while this shell was in it; cd to an existing folder"
        ) from None
    mask = os.umask(0)
    os.umask(mask)
    if mask & 0o700 and os.geteuid() != 0:
        raise SgbenchClickError(
            f"the umask {mask:04o} takes permissions from the owner: the folders and files this "
            "command makes would be closed to it; set a umask such as 022 or 077"
        )


def _usage_line(exc: click.UsageError, fallback: str) -> SgbenchClickError:
    """A usage error as one line: click shows the usage and a hint on two lines of their own
    before its ``Error:`` line, which breaks the one-line contract scripts rely on; the hint is
    kept, on the same line (``fallback`` names the group when click gives no command)."""
    where = exc.ctx.command_path if exc.ctx is not None else fallback
    message = bounded(shown_name(exc.format_message()))
    return SgbenchClickError(f"{message} (see '{where} --help')")


_HELP_ON_NO_ARGS: Final = getattr(click.exceptions, "NoArgsIsHelpError", ())
"""click (8.2+) shows a group's help, not an error, when it is called with no arguments."""


def _os_error_line(exc: OSError) -> SgbenchClickError:
    """An OSError as one line, or ``exc`` itself re-raised when it is neither about a path nor a
    failed write of standard output.

    An OSError naming a file is a path the system refused wherever it was first touched (a name
    too long for the file system fails even ``Path.exists()``): a problem of that path. One with
    no file name is a failed write to stdout (``> /dev/full``, a full disk), also of the
    group's own ``--help`` and ``--version``, which click writes before any command runs. A
    reader gone (``EPIPE``) is no error line: :data:`EXIT_BROKEN_PIPE`, nothing said.
    """
    if exc.filename is not None:
        where = bounded(shown_name(os.fsdecode(exc.filename)))
        return SgbenchClickError(f"{where}: {write_reason(exc)}")
    if exc.errno not in _STREAM_ERRORS:
        raise exc
    _drop_stdout()
    if exc.errno == errno.EPIPE:
        # The reader went away (`| head`): it has all it wanted, and a line saying so was noise
        # on every `sgbench CMD --help | head`. Stopped quietly, as POSIX tools and git are by
        # SIGPIPE and as Python's note on SIGPIPE advises; a full disk still has its line.
        raise click.exceptions.Exit(EXIT_BROKEN_PIPE)
    return SgbenchClickError(f"cannot write standard output ({write_reason(exc)})")


def out_of_memory(exc: MemoryError) -> str:
    """The one line for a command that ran out of memory (a ``ulimit -v``, a container's cap)."""
    detail = f" ({bounded(shown_name(str(exc)))})" if str(exc) else ""
    return (
        f"out of memory{detail}; free some memory or raise the limit (ulimit -v) and run the "
        "command again"
    )


def _refuse_repeated(command: click.Command, parent: click.Context, args: list[str]) -> None:
    """Refuse an option that takes one value given more than once, in ``command`` or the
    subcommand it leads to.

    click keeps the last value silently: ``build --country ALL --country SGP`` built Singapore,
    ``build --out a --out b`` wrote only ``b``, ``push --tag --no-tag`` did not tag. A dry parse
    (no callback runs) lists the options in the order given; one that is neither repeatable
    (``--wvs``, ``--wave``) nor counted, seen twice (a flag too: ``-q -q``), is a usage error
    naming it. An argument
    the parse cannot read is left to the real parse, which names it.
    """
    ctx = click.Context(command, parent=parent, info_name=command.name, resilient_parsing=True)
    try:
        _, rest, order = command.make_parser(ctx).parse_args(args=list(args))
    except click.UsageError:
        return
    for param in dict.fromkeys(order):
        if (
            isinstance(param, click.Option)
            and not param.multiple
            and not param.count
            and not param.is_eager  # --help, which ends the command anyway
            and order.count(param) > 1
        ):
            names = "/".join([*param.opts, *param.secondary_opts])
            raise click.UsageError(
                f"{names} is given {order.count(param)} times; give it once",
                ctx=ctx,
            )
    if isinstance(command, click.Group) and rest:
        subcommand = command.get_command(ctx, rest[0])
        if subcommand is not None:
            _refuse_repeated(subcommand, ctx, rest[1:])


@contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Show every :class:`~sgbench.errors.SgbenchWarning` a command's functions raise as one
    ``warning: …`` line on stderr, each time (the functions warn; the command line words it
    once, here); other warnings are shown as Python shows them.

    The caller's own warning filters come first, as everywhere in Python: ``python -W error``
    (or ``PYTHONWARNINGS``) makes the warning raised, which :meth:`SgbenchGroup.invoke` turns
    into an ``Error:`` line, and ``-W ignore`` silences it; the filter showing each one is
    appended after them. Put first, it had ``-W error`` print a ``warning:`` line and go on."""
    with warnings.catch_warnings():
        python_shows = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if issubclass(category, SgbenchWarning):
                click.echo(f"warning: {bounded(shown_name(str(message)))}", err=True)
            else:
                python_shows(message, category, filename, lineno, file, line)

        warnings.filterwarnings("always", category=SgbenchWarning, append=True)
        warnings.showwarning = show
        yield


class SgbenchGroup(click.Group):
    """A click group whose commands' library errors, usage errors and Ctrl-C end with the codes
    above."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse the group's own options; a usage error there is one line (:func:`_usage_line`),
        and so is a failed write of ``--help`` or ``--version`` (:func:`_os_error_line`)."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except _HELP_ON_NO_ARGS:
            raise
        except click.UsageError as exc:
            raise _usage_line(exc, info_name or "sgbench") from None
        except OSError as exc:
            raise _os_error_line(exc) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Set the standard streams (:func:`_standard_streams`), then run the command line.

        A standard error that is a file the command line names (``2>> TEMPLATE``) gets no
        ``Error:`` line (:func:`sgbench.files.stderr_named`): the command refuses it once it runs
        (:func:`sgbench.files.check_outputs_apart`, which needs the stream as it is), but a
        usage error found before was written into that file.

        Before click runs anything, a closed standard output (:func:`_check_stdout`) and a
        standard stream no command may write (:func:`sgbench.files.check_standard_streams`) are
        refused: everything the command line writes comes
        after this point, a command's output, its ``Error:`` line, ``--help``, ``--version``, a
        usage error, the help shown for no arguments and a shell completion script. click
        answers completion (``_SGBENCH_COMPLETE=bash_source``) inside its own ``main``, before
        any context is made, so the check made with the root context let ``sgbench >
        ds/comp.sh`` write a completion script into the dataset ``ds`` with exit code 0.

        Everything runs :func:`~sgbench.boundary.named_as_on_the_command_line`: a message names
        an argument as the command line's user typed it (``--json``, ``PRED``), where a Python
        caller reads the parameter (``path``, ``predictions_path``)."""
        _standard_streams()
        given = kwargs.get("args", args[0] if args else None)
        SgbenchClickError.quiet = stderr_named(sys.argv[1:] if given is None else given)
        refusal: SgbenchClickError | None = None
        try:
            _check_stdout()
            check_standard_streams()
        except StreamClash as exc:
            if exc.stderr_too:
                _drop_stream(2)  # the line would be written into that file
            refusal = SgbenchClickError(bounded(shown_name(str(exc))))
        except SgbenchClickError as exc:
            refusal = exc
        if refusal is not None:
            if not kwargs.get("standalone_mode", args[3] if len(args) > 3 else True):
                raise refusal from None
            refusal.show()
            sys.exit(refusal.exit_code)
        with named_as_on_the_command_line():
            return super().main(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse an argument no command could use (:func:`_argument_problem`), by position."""
        for number, arg in enumerate(args, start=1):
            problem = _argument_problem(arg)
            if problem is not None:
                before = args[number - 2] if number > 1 else ""
                which = f"the value of {before}" if before.startswith("-") else f"argument {number}"
                raise SgbenchClickError(
                    f"{which} ('{bounded(shown_name(arg))}') {problem}; rename the file or "
                    "retype the value"
                )
        command, names, own = _command_of(self, ctx, args)
        problem = _option_problem(command, ctx, own) if command is not None else None
        if problem is not None:
            where = " ".join([ctx.command_path, *names])
            raise SgbenchClickError(f"{bounded(shown_name(problem))} (see '{where} --help')")
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Find the command, refusing an option given twice (:func:`_refuse_repeated`)."""
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _refuse_repeated(command, ctx, rest)
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; :class:`SgbenchError` becomes exit 2 (each line of its message made
        :func:`~sgbench.errors.shown_name` and :func:`~sgbench.errors.bounded`), Ctrl-C exit
        130, and a :class:`~sgbench.errors.SgbenchWarning` a ``warning:`` line
        (:func:`_warnings_as_lines`), or exit 2 where the caller's filters make it an error."""
        _check_environment()
        try:
            try:
                with _warnings_as_lines():
                    done = super().invoke(ctx)
            except click.exceptions.Exit as exc:
                if exc.exit_code in (EXIT_OK, EXIT_LEFT_OUT):
                    check_delivered()
                raise
            check_delivered()
            return done
        except _HELP_ON_NO_ARGS:
            raise
        except click.UsageError as exc:
            raise _usage_line(exc, ctx.command_path) from None
        except SgbenchWarning as exc:  # raised: the caller's warning filters said "error"
            raise SgbenchClickError(bounded(shown_name(str(exc)))) from None
        except SgbenchError as exc:
            if getattr(exc, "stderr_too", False):
                # stderr is a file the command reads or writes (files.StreamClash): the line
                # would be written into it.
                _drop_stream(2)
            # Lines are kept (score lists one problem per line), each shown escaped and bounded.
            shown = "\n".join(bounded(shown_name(line)) for line in str(exc).split("\n"))
            raise SgbenchClickError(shown) from None
        except OSError as exc:
            raise _os_error_line(exc) from None
        except MemoryError as exc:  # numpy's and pyarrow's own errors for it are MemoryErrors
            raise SgbenchClickError(out_of_memory(exc)) from None
        except KeyboardInterrupt:
            note = ctx.meta.get(_INTERRUPT_NOTE)
            if callable(note):
                note = note()
            click.echo(f"\ninterrupted{': ' + note if note else ''}", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
