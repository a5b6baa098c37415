"""Opening and writing files safely: one place every reader and writer goes through.

A path handed to pgmkit may be a FIFO (reading it blocks forever), a link to
``/dev/zero`` (reading it never ends), a directory, a symbolic-link loop, a gzip file
that is truncated or not gzip at all, or a file far larger than any model. Every reader
asks :func:`read_bytes` / :func:`read_text` / :func:`checked_file` first, so each of
those is one named error (``SpecError`` for model files, ``DataError`` for data and
saved weights) instead of a hang, a ``MemoryError`` or a raw ``OSError``.

Every writer goes through :func:`atomic_write`: the content goes to a temporary file in
the target's folder and is renamed over the target only once complete, so a crash or a
full disk never leaves half a file, and a target that is a directory, a device, or one
of the command's own input files is refused before anything is written.
:func:`check_output` runs the same checks up front, so a command can refuse a bad
``-o`` before it spends minutes fitting.

Budgets (bytes) are module constants, documented in ``docs/limits.md``.
"""
from __future__ import annotations

import errno
import gzip
import io
import os
import stat
import tempfile
import zlib
from pathlib import Path
from typing import Callable, Iterable

from pgmkit.errors import DataError, PgmkitError, SpecError

#: Largest model file (YAML, JSON, BIF, XMLBIF; after decompression) read into memory.
MAX_MODEL_BYTES = 256 * 2**20
#: Largest data file (CSV, Parquet, .npy/.npz) or saved-weights file read.
MAX_DATA_BYTES = 8 * 2**30
#: Byte budget when reading a file into memory with no other limit given.
DEFAULT_LIMIT = MAX_MODEL_BYTES


def _describe_mode(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def checked_file(path: str | os.PathLike, what: str = "model file",
                 error: type[PgmkitError] = SpecError, limit: int | None = None) -> Path:
    """``path`` if it is an existing, readable regular file within ``limit`` bytes.

    Raises ``error`` naming the path and what is wrong: missing, a directory, a FIFO or
    device, a symbolic-link loop, unreadable, or too large.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(f"{p}: a loop of symbolic links; expected a {what}") from None
        if exc.errno == errno.ENOTDIR:
            raise error(f"{p}: a parent of this path is a file, not a folder") from None
        raise error(f"{p}: cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: is a directory; expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p}: is {_describe_mode(st.st_mode)}; expected a regular {what}")
    limit = DEFAULT_LIMIT if limit is None else limit
    if st.st_size > limit:
        raise error(f"{p}: is {st.st_size:,} bytes; a {what} may have at most {limit:,} bytes")
    if not os.access(p, os.R_OK):
        raise error(f"{p}: permission denied")
    return p


def _is_gzip(path: Path, head: bytes) -> bool:
    return path.suffix == ".gz" or head[:2] == b"\x1f\x8b"


def read_bytes(path: str | os.PathLike, what: str = "model file",
               error: type[PgmkitError] = SpecError, limit: int | None = None) -> bytes:
    """The content of a regular file, gunzipped when it is gzip, within ``limit`` bytes."""
    limit = DEFAULT_LIMIT if limit is None else limit
    p = checked_file(path, what, error, limit)
    try:
        with open(p, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{p}: cannot read ({exc.strerror})") from None
    if len(raw) > limit:  # grew since stat, or a special file posing as a regular one
        raise error(f"{p}: more than {limit:,} bytes; a {what} may have at most that")
    if not _is_gzip(p, raw):
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            out = gz.read(limit + 1)
    except (gzip.BadGzipFile, OSError) as exc:
        raise error(f"{p}: not a valid gzip file ({exc})") from None
    except EOFError:
        raise error(f"{p}: the gzip data is truncated (it ends before its end marker)") from None
    except zlib.error as exc:
        raise error(f"{p}: the gzip data is corrupt ({exc})") from None
    if len(out) > limit:
        raise error(f"{p}: decompresses to more than {limit:,} bytes; a {what} may have at "
                    "most that")
    return out


def read_text(path: str | os.PathLike, what: str = "model file",
              error: type[PgmkitError] = SpecError, limit: int | None = None) -> str:
    """The UTF-8 text of a regular (possibly gzipped) file; see :func:`read_bytes`."""
    raw = read_bytes(path, what, error, limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def open_data(path: str | os.PathLike, what: str = "data file") -> io.BytesIO:
    """A data file's bytes as a seekable buffer (for pandas, numpy and torch readers)."""
    return io.BytesIO(read_bytes(path, what, DataError, MAX_DATA_BYTES))


def load_weights(path: str | os.PathLike, what: str = "weights file",
                 error: type[PgmkitError] = DataError):
    """``torch.load(path, weights_only=True)`` on a checked regular file.

    The ``weights_only`` guard is what keeps a malicious file from running code; it
    stays, and what it refuses (``UnpicklingError``), like a truncated or foreign file,
    becomes one ``error`` naming the path.
    """
    import pickle
    import zipfile

    import torch

    p = checked_file(path, what, error, MAX_DATA_BYTES)
    try:
        return torch.load(p, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        # torch's own text advises weights_only=False, which would run the file's code:
        # say what happened instead
        raise error(f"{p}: refused to load: not a plain {what} (it is corrupt, or holds "
                    "objects other than tensors, which could run code)") from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, AttributeError,
            zipfile.BadZipFile, UnicodeDecodeError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise error(f"{p}: cannot load the {what} (corrupt or not written by pgmkit: "
                    f"{text[:200]})") from None


def save_weights(obj, path: str | os.PathLike, what: str = "weights file") -> Path:
    """``torch.save`` through :func:`atomic_write`."""
    import torch

    return atomic_write(path, lambda tmp: torch.save(obj, tmp), what=what)


# -- writing -----------------------------------------------------------------------------

def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (),
                 directory: bool | None = False, what: str = "output") -> Path:
    """Refuse an output path that cannot be written, before any work is done.

    Checks that the target is not an input of the command, is not a directory (or, with
    ``directory=True``, not a file; ``None`` allows either), a device or a FIFO, and that
    its nearest existing ancestor is a writable folder. Raises ``DataError`` naming the
    path.
    """
    p = Path(path)
    if not str(path):
        raise DataError(f"the {what} path is empty")
    for src in inputs:
        if src is not None and Path(src).exists() and p.exists() and _same_file(p, Path(src)):
            raise DataError(f"{p}: is also an input of this command; write the {what} "
                            "elsewhere (inputs are never overwritten)")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise DataError(f"{p}: a parent of this path is a file, not a folder") from None
        if exc.errno == errno.ELOOP:
            raise DataError(f"{p}: a loop of symbolic links") from None
        raise DataError(f"{p}: cannot write ({exc.strerror})") from None
    if st is not None:
        is_dir = stat.S_ISDIR(st.st_mode)
        if directory and not is_dir:
            raise DataError(f"{p}: exists and is not a folder; the {what} is a folder")
        if directory is False and is_dir:
            raise DataError(f"{p}: is a directory; expected a file path for the {what}")
        if not is_dir and not stat.S_ISREG(st.st_mode):
            raise DataError(f"{p}: is {_describe_mode(st.st_mode)}; the {what} must be a "
                            "regular file")
    parent = p if (st is not None and stat.S_ISDIR(st.st_mode)) else p.parent
    parent = Path(os.path.abspath(parent))
    while not parent.exists() and not os.path.lexists(parent):
        parent = parent.parent
    if not parent.is_dir():
        raise DataError(f"{p}: cannot write there: '{parent}' is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DataError(f"{p}: cannot write there: permission denied on '{parent}'")
    return p


def make_dirs(folder: str | os.PathLike, what: str = "output") -> Path:
    """Create ``folder`` (and its parents), turning failures into one ``DataError``."""
    p = Path(folder)
    check_output(p, directory=True, what=what)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{p}: cannot create the folder ({exc.strerror})") from None
    return p


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None],
                 inputs: Iterable[str | os.PathLike] = (), what: str = "output") -> Path:
    """Write ``path`` by ``write(tmp)`` on a temporary file in the same folder, then rename.

    The target appears complete or not at all. Failures (a full disk, a parent that is a
    file, a target that is a directory or device) raise ``DataError`` naming the path.
    """
    p = check_output(path, inputs, what=what)
    make_dirs(p.parent if str(p.parent) else Path("."), what)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a saved file gets the usual mode
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except OSError as exc:
        raise DataError(f"{p}: cannot write ({exc.strerror or exc})") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return p


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str, inputs: Iterable = (),
               what: str = "output") -> Path:
    """Atomically write UTF-8 ``text`` to ``path`` (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), inputs, what)
