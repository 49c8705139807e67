"""Writing one output file all or nothing, and hashing a file.

Every file sgbench writes on its own (a score or judge report, a chart, parsed predictions, a
tidied responses file) goes through :func:`write_atomic`: the content goes to a hidden temporary
file next to the target, which then replaces the target in one rename, so an error never leaves
a half-written file. Outputs of several files are staged as a whole folder instead (the builder's
:mod:`sgbench.builder.writer`, the leaderboard, the lm-eval export, the statistics).

(Named ``files`` rather than ``io`` so that it can never shadow the standard library's ``io``.)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sgbench.errors import InputError


def write_atomic(path: str | Path, content: str | bytes, *, what: str | None = None) -> None:
    """Write ``content`` (text as UTF-8, or bytes) to ``path`` through a temporary file
    ``.<name>.<pid>.tmp`` in the same folder and a rename.

    Raises:
        InputError: ``PATH: cannot write (REASON)`` (``cannot write the WHAT`` when ``what`` is
            given); the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if isinstance(content, str):
            temporary.write_text(content, encoding="utf-8")
        else:
            temporary.write_bytes(content)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        thing = f" the {what}" if what else ""
        raise InputError(f"{path}: cannot write{thing} ({exc.strerror})") from None


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks (memory stays flat on large files).

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
