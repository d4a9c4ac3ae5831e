"""The job IDs that shell completion offers: ``<cache_dir>/job_ids``.

Every listing calls `remember_job_ids` with the IDs it showed; the static scripts
in ``completions/`` read the file directly (no Python on TAB). The file holds
only IDs, one a line, newest first, de-duplicated, at most `MAX_JOB_IDS` lines;
each is checked to be a plain token, so no result, key or escape sequence can
ever land in it. It is replaced atomically (temporary file + ``os.replace``)
with mode 0600, in a directory created with mode 0700.

Two listings finishing at the same moment may each overwrite the other's
additions: it is a cache, the next listing fills it again. The write is not
fsync'ed for the same reason: it runs after every listing and must stay cheap.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

JOB_IDS_FILE = "job_ids"
MAX_JOB_IDS = 500
_MAX_READ = 256 * 1024  # 500 lines of at most 128 characters, with room to spare
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def cache_dir(environ: Mapping[str, str]) -> Path:
    """The completion cache directory (the same rule as `settings.cache_dir`).

    LX_CACHE_DIR, else platformdirs' user cache dir for "lx".
    """
    try:
        from llamaextract_cli.settings.profiles import cache_dir as settings_cache_dir
    except ImportError:  # settings not available: the same rule, written here
        explicit = environ.get("LX_CACHE_DIR")
        if explicit:
            return Path(explicit).expanduser()
        import platformdirs

        return platformdirs.user_cache_path("lx", appauthor=False)
    return settings_cache_dir(environ)


def is_token(value: object) -> bool:
    """True for a string usable as a job ID in the cache: ``[A-Za-z0-9._:-]{1,128}``."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def read_job_ids(environ: Mapping[str, str]) -> list[str]:
    """The cached IDs, newest first (an unreadable or missing file reads as none)."""
    try:
        return _read(cache_dir(environ) / JOB_IDS_FILE)
    except (OSError, RuntimeError, ValueError):
        return []


def remember_job_ids(environ: Mapping[str, str], ids: Iterable[str]) -> bool:
    """Put `ids` (newest first) at the top of the cache; returns whether the file changed.

    Anything that is not a plain token is dropped. Never raises for I/O problems
    (an unwritable cache dir just means no job IDs on TAB).
    """
    fresh: list[str] = []
    for value in ids:
        if is_token(value):
            fresh.append(value)
            if len(fresh) >= MAX_JOB_IDS:
                break
    if not fresh:
        return False
    try:
        directory = cache_dir(environ)
        path = directory / JOB_IDS_FILE
        old = _read(path)
        merged = list(dict.fromkeys([*fresh, *old]))[:MAX_JOB_IDS]
        if merged == old:
            return False
        _ensure_dir(directory)
        _atomic_write(path, "".join(f"{i}\n" for i in merged).encode("ascii"))
    except (OSError, RuntimeError, ValueError):
        return False
    return True


def _read(path: Path) -> list[str]:
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_READ)
    except FileNotFoundError:
        return []
    lines = data.decode("ascii", "replace").splitlines()
    return [line for line in dict.fromkeys(lines) if _TOKEN.fullmatch(line)][:MAX_JOB_IDS]


def _ensure_dir(directory: Path) -> None:
    if directory.is_dir():
        return
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
