"""sgbench.boundary: the kind check at the public API, on hand-made functions whose answer is
known for each argument."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pytest

from sgbench.boundary import described, is_public, matches, public, public_class
from sgbench.errors import InputError

if TYPE_CHECKING:
    from decimal import Decimal  # only for type checking: not resolvable at run time


@public
def sample(
    share: float,
    count: int = 1,
    names: Sequence[str] = (),
    where: str | Path | None = None,
    how: Literal["mean", "median"] = "mean",
    weights: Mapping[str, float] | None = None,
    flag: bool = False,
    opaque: Decimal | None = None,
    *more: int,
) -> tuple[Any, ...]:
    """A function with one parameter of each kind the API uses."""
    return (share, count, names, where, how, weights, flag, opaque, more)


@public_class
@dataclass(frozen=True)
class Settings:
    """A class a caller constructs."""

    replicates: int
    level: float | None = None

    def scaled(self, factor: float) -> float:
        """A method: checked as a function is."""
        return self.replicates * factor

    @classmethod
    def parse(cls, text: str) -> Settings:
        """A class method: checked too."""
        return cls(int(text))

    @staticmethod
    def label(name: str) -> str:
        """A static method: checked too."""
        return f"<{name}>"

    def _internal(self, anything: int) -> object:
        """Not public: not checked."""
        return anything


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: sample(None), "sample(): argument 'share' must be float, got NoneType None"),
        (lambda: sample("0.5"), "argument 'share' must be float, got str '0.5'"),
        (lambda: sample(0.5, True), "argument 'count' must be int, got bool True"),
        (lambda: sample(0.5, 1.0), "argument 'count' must be int, got float 1.0"),
        (lambda: sample(0.5, names="abc"), "argument 'names' must be Sequence, got str 'abc'"),
        (lambda: sample(0.5, where=3), "argument 'where' must be str or Path or None, got int 3"),
        (lambda: sample(0.5, how="mode"), "argument 'how' must be one of 'mean', 'median'"),
        (lambda: sample(0.5, weights=[1]), "argument 'weights' must be Mapping or None, got list"),
        (lambda: sample(0.5, flag="no"), "argument 'flag' must be bool, got str 'no'"),
        (lambda: sample(0.5, 1, (), None, "mean", None, False, None, 2, "3"), "argument 'more'"),
        (lambda: Settings(1.5), "Settings(): argument 'replicates' must be int, got float 1.5"),
        (lambda: Settings(2, "high"), "argument 'level' must be float or None, got str 'high'"),
        # A public class's methods are entry points too (BuiltDataset.split(["default"], ...)
        # was a TypeError).
        (lambda: Settings(2).scaled("2"), "Settings.scaled(): argument 'factor' must be float"),
        (lambda: Settings.parse(None), "Settings.parse(): argument 'text' must be str"),
        (lambda: Settings(2).parse(["1"]), "Settings.parse(): argument 'text' must be str"),
        (lambda: Settings.label(1), "Settings.label(): argument 'name' must be str, got int 1"),
    ],
)
def test_an_argument_of_another_kind_is_one_input_error_naming_it(
    call: Callable[[], object], fragment: str
) -> None:
    with pytest.raises(InputError) as caught:
        call()
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_arguments_of_their_kind_pass_through_unchanged() -> None:
    path = Path("x")
    assert sample(1, np.int64(2), ["a"], path, "median", {"a": 1.0}, np.True_, None, 4, 5) == (
        1,
        2,
        ["a"],
        path,
        "median",
        {"a": 1.0},
        np.True_,
        None,
        (4, 5),
    )
    assert sample(np.float32(0.5))[0] == np.float32(0.5)
    assert Settings(np.int64(3), 0.5) == Settings(3, 0.5)


def test_an_annotation_not_resolvable_at_run_time_is_not_checked() -> None:
    # Decimal is imported for type checking only: anything passes rather than everything failing.
    assert sample(0.5, opaque="anything")[7] == "anything"


def test_a_call_the_signature_cannot_bind_is_pythons_own_type_error() -> None:
    with pytest.raises(TypeError):
        sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        sample(0.5, nonsense=1)  # type: ignore[call-arg]


def test_marks_and_metadata_are_kept() -> None:
    assert is_public(sample)
    assert is_public(Settings)
    assert not is_public(test_marks_and_metadata_are_kept)
    assert sample.__name__ == "sample"
    assert sample.__doc__ == "A function with one parameter of each kind the API uses."


@pytest.mark.parametrize(
    ("value", "hint", "expected"),
    [
        (1, float, True),
        (True, float, False),
        (np.float64("nan"), float, True),  # a NaN is a float: values are the function's check
        ("abc", Iterable[str], False),
        (b"abc", Sequence[int], False),
        (iter([1]), Iterable[int], True),
        ((1, 2), tuple[int, ...], True),
        ([1, 2], tuple[int, ...], False),
        (len, Callable[[str], int], True),
        ("x", Callable[[str], int], False),
        (None, int | None, True),
        (None, Any, True),
        (1, Literal[True], False),
        (True, Literal[True], True),
        (True, Literal[1], False),
        (np.str_("a"), Literal["a", "b"], True),  # p10score H4: a numpy text names a choice
        (np.str_("c"), Literal["a", "b"], False),
        (b"a", Literal["a"], False),
    ],
)
def test_matches_reads_annotations_as_python_does_except_for_bools_and_texts(
    value: object, hint: Any, expected: bool
) -> None:
    assert matches(value, hint) is expected


def test_described_names_each_option_once() -> None:
    assert described(int | float | None) == "int or float or None"
    assert described(Literal["a", "b"]) == "one of 'a', 'b'"
    assert described(Sequence[str] | list[int]) == "Sequence or list"


def test_hints_are_read_from_the_undecorated_function_and_the_class_module() -> None:
    """apirun: the harness asked a decorated function (whose globals are boundary's) and a
    class (whose generated __init__ has none of its module's names), so every annotation naming
    something other than a builtin came back unknown and its cases were never generated."""
    from sgbench.boundary import argument_hints

    hints = argument_hints(sample)
    assert hints["names"] == Sequence[str]
    assert hints["where"] == str | Path | None
    assert hints["how"] == Literal["mean", "median"]
    assert argument_hints(Settings) == {"replicates": int, "level": float | None}


def test_real_streams_are_streams() -> None:
    import io
    import sys
    from typing import TextIO

    assert matches(sys.stderr, TextIO)
    assert matches(io.StringIO(), TextIO)
    assert not matches("stderr", TextIO)


def test_numpy_numbers_reach_the_function_as_pythons_own() -> None:
    """`run_baselines(seed=np.int64(5))` was let through as a number, then refused by
    `isinstance(seed, int)` with a message quoting np.int64(5); a float32 does not serialise to
    JSON. Converted at the boundary, every function sees plain numbers."""
    result = sample(np.float32(0.5), np.int64(2))
    assert type(result[0]) is float
    assert result[0] == 0.5
    assert type(result[1]) is int
    assert result[1] == 2
    assert type(sample(np.float64(0.25))[0]) is float
    assert sample(0.5, 1, (), None, "mean", None, np.True_)[6] is np.True_  # a bool stays
    assert type(Settings(np.int64(3)).replicates) is int


def test_public_methods_work_and_private_ones_are_left_alone() -> None:
    settings = Settings(2)
    assert settings.scaled(1.5) == 3.0
    assert Settings.parse("4") == Settings(4)
    assert Settings.label("x") == "<x>"
    assert settings._internal("not an int") == "not an int"  # type: ignore[arg-type]
    assert all(is_public(m) for m in (Settings.scaled, Settings.parse, Settings.label))
    assert not is_public(Settings._internal)


def test_a_text_subclass_reaches_the_function_as_plain_text() -> None:
    """`class Config(str, Enum)`'s member "default" equals "default" but formats as
    `Config.DEFAULT`: load_split(ds, Config.DEFAULT, ...) looked for data/Config.DEFAULT/."""
    import enum

    class Config(str, enum.Enum):  # noqa: UP042 - the mixin is the case
        DEFAULT = "default"

    class Mine(str):
        def __str__(self) -> str:
            return "something else"

    for value in (Config.DEFAULT, Mine("default")):
        where = sample(0.5, where=value)[3]
        assert type(where) is str
        assert where == "default"
        assert f"{where}" == "default"
        assert type(Settings.label(value)) is str
        assert Settings.label(value) == "<default>"


class Name(str):
    """A caller's own text type."""


@pytest.mark.parametrize("text", [np.str_("median"), Name("median")], ids=["numpy", "subclass"])
def test_a_text_subclass_names_a_literal_choice_and_reaches_the_function_as_it(
    text: str,
) -> None:
    """p10score H4: ``resample=np.str_("questions")`` (a name read from an array) was refused as
    "must be one of 'questions', ..., got str_ 'questions'", while a plain ``str`` parameter took
    the same value. The function gets the choice itself, a plain ``str``."""
    how = sample(0.5, how=text)[4]
    assert how == "median"
    assert type(how) is str


def test_a_numpy_seed_scores_as_the_same_int(tmp_path: Path) -> None:
    from scoring_fixtures import HAND_PREDICTIONS, write_hand_dataset, write_jsonl

    from sgbench.scoring import score_predictions

    dataset = write_hand_dataset(tmp_path / "ds")
    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    numpy_seeded = score_predictions(predictions, dataset, n_boot=0, seed=np.int64(5))
    plain = score_predictions(predictions, dataset, n_boot=0, seed=5)
    assert numpy_seeded.to_json() == plain.to_json()


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.EACCES, "Permission denied"),
        (errno.ENOTDIR, "Not a directory"),
        (errno.EROFS, "Read-only file system"),
        (errno.ENOSPC, "No space left on device"),
        (errno.ENAMETOOLONG, "File name too long; give a shorter name"),
    ],
)
def test_an_os_error_naming_a_file_is_an_input_error_naming_it(code: int, reason: str) -> None:
    """The system's refusal of a path reached a Python caller raw (a PermissionError from a
    read-only output folder), where the command line gave one line: it is an InputError from
    every public function, with the path and the system's reason."""

    @public
    def write(path: str) -> None:
        raise OSError(code, os.strerror(code), path)

    with pytest.raises(InputError) as raised:
        write("out/report.json")
    assert str(raised.value) == f"out/report.json: {reason}"


def test_an_os_error_naming_no_file_goes_through() -> None:
    """A broken pipe or a lost connection is not about a path the caller gave."""

    @public
    def send(text: str) -> None:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    with pytest.raises(BrokenPipeError):
        send("x")
