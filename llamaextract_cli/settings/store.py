"""The settings file on disk: TOML read strictly, written atomically, 0600, locked.

- Reading: a missing file is an empty document; a malformed one is a
  ``ConfigError`` naming the file, line and column; an unreadable one is a
  ``ConfigError`` too. A file other users can read gets one warning per run.
- Writing (``update``): under an exclusive ``flock`` on a sibling ``.lock`` file,
  the document is read again, changed, and written to a temporary file created
  with mode 0600 in the same directory, fsynced and renamed over the original
  (``os.replace``), so a reader sees the old file or the new one, never a torn
  one, and two writers cannot lose each other's change. A malformed file is never
  overwritten. The directory is created with mode 0700.
- The ``profiles`` cache (one profile name a line) in the cache directory is
  refreshed after every write, for the shell completion scripts. It never holds
  anything but profile names.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from llamaextract_cli.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

T = TypeVar("T")
Document = dict[str, Any]
Warn = Callable[[str], None]

PROFILES_CACHE_NAME = "profiles"

# Paths already warned about in this process ("once per run").
_warned: set[str] = set()


def reset_warnings() -> None:
    """Forget which files were warned about (a new run; used by tests)."""
    _warned.clear()


def _stderr_warn(message: str) -> None:
    """Print to the run's stderr (main.run keeps a stack of it), else sys.stderr."""
    streams = getattr(sys.modules.get("llamaextract_cli.cli.main"), "_err_stream", None)
    stream = streams[-1] if streams else sys.stderr
    with contextlib.suppress(OSError, ValueError):
        print(message, file=stream, flush=True)


def _check_mode(path: Path, mode: int, warn: Warn | None) -> None:
    if os.name != "posix" or not mode & 0o044:
        return
    key = str(path)
    if key in _warned:
        return
    _warned.add(key)
    (warn or _stderr_warn)(f"lx: warning: {path} is readable by other users; run chmod 600 {path}")


_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def parse(data: bytes, path: Path) -> Document:
    """The TOML document in ``data``; ``ConfigError`` naming file, line and column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError(
            f"invalid settings file {path} (line {line}): not UTF-8 text",
            hint="fix or move the file away; lx will not overwrite it",
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        where = ""
        m = _TOML_POS.search(message)
        if m:
            where = f" (line {m.group(1)}, column {m.group(2)})"
            message = message[: m.start()]
        else:
            m = _TOML_END.search(message)
            if m:
                where = f" (line {text.count(chr(10)) + 1}, at the end)"
                message = message[: m.start()]
        raise ConfigError(
            f"invalid settings file {path}{where}: {message}",
            hint="fix or move the file away; lx will not overwrite it",
        ) from None


def read(path: Path, *, warn: Warn | None = None, check_mode: bool = True) -> Document:
    """The document at ``path``: ``{}`` when there is no file."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except IsADirectoryError:
        raise ConfigError(
            f"cannot read settings file {path}: it is a directory",
            hint="point LX_CONFIG at a file",
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read settings file {path}: permission denied",
            hint=f"check the file's owner, or chmod 600 {path}",
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read settings file {path}: {e.strerror or e}") from None
    if check_mode:
        _check_mode(path, st.st_mode, warn)
    return parse(data, path)


def _target(path: Path) -> Path:
    """Where a write goes: through a symlink (dotfile managers) to the real file."""
    try:
        return Path(os.path.realpath(path)) if path.is_symlink() else path
    except OSError:
        return path


def _write_error(path: Path, e: OSError) -> ConfigError:
    if isinstance(e, PermissionError):
        reason = "permission denied"
    elif isinstance(e, (NotADirectoryError, FileExistsError)):
        reason = "a parent is not a directory"
    else:
        reason = e.strerror or str(e)
    return ConfigError(
        f"cannot write settings file {path}: {reason}",
        hint="nothing was changed; check the directory's owner and mode, or set LX_CONFIG",
    )


def ensure_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) if missing; the directory itself gets 0700."""
    if directory.is_dir():
        return
    os.makedirs(directory, mode=0o700, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: atomic replace only
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file (0600 from creation), fsync, rename."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            if os.name == "posix":
                os.fchmod(f.fileno(), 0o600)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def dumps(doc: Document) -> bytes:
    import tomli_w

    return tomli_w.dumps(doc).encode("utf-8")


def update(path: Path, change: Callable[[Document], T]) -> tuple[T, Document]:
    """Read-modify-write ``path`` under a lock; ``change`` edits the document in place.

    ``change`` may raise (a usage error): nothing is written then. The file is
    written only when the document changed. Returns ``change``'s result and the
    document as it is now.
    """
    target = _target(path)
    try:
        ensure_dir(target.parent)
    except OSError as e:
        raise _write_error(target, e) from None
    try:
        with _locked(target.parent / f"{target.name}.lock"):
            doc = read(target, check_mode=False)
            before = copy.deepcopy(doc)
            result = change(doc)
            if doc != before:
                atomic_write(target, dumps(doc))
    except OSError as e:
        raise _write_error(target, e) from None
    return result, doc


def write_profiles_cache(cache_dir: Path, names: Iterable[str]) -> None:
    """Best effort: the completion scripts' list of profile names (never keys)."""
    lines = [n for n in dict.fromkeys(names) if n and not any(c.isspace() for c in n)]
    try:
        ensure_dir(cache_dir)
        atomic_write(cache_dir / PROFILES_CACHE_NAME, "".join(f"{n}\n" for n in lines).encode())
    except OSError:
        pass


def cache_is_stale(cache_dir: Path, config: Path) -> bool:
    """True when the config file is newer than the profiles cache (or it is missing)."""
    try:
        config_mtime = config.stat().st_mtime_ns
    except OSError:
        return False
    try:
        return (cache_dir / PROFILES_CACHE_NAME).stat().st_mtime_ns < config_mtime
    except OSError:
        return True
