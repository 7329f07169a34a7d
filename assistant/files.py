"""Safe file loading for ingest: find the files the user named and read them with limits.

Every file is checked before it is read, and nothing one file does can stop the others:

* only regular files are read. FIFOs, sockets, devices (``/dev/zero``) and directories are reported with their
  kind and never opened for reading (files are opened with ``O_NONBLOCK``, and with ``O_NOFOLLOW`` when the
  path must not be a link, and checked again with ``fstat`` after opening, in case the file was swapped);
* symbolic links inside a named folder are followed only when their target stays inside that folder (links to
  folders included); link loops and links to an already-included folder are reported, not walked twice;
* a file named directly by the user may be a link to a regular file anywhere: the user named it;
* sizes are checked before reading and the read itself is capped at ``max_bytes + 1`` bytes, with a deadline;
* binary (NUL bytes), empty and unsupported files are reported with a one-line reason.

``discover`` never raises for one bad file; it returns what loaded and what was skipped, with reasons.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FileLimits", "RawFile", "Skipped", "decode_text", "discover"]

_CHUNK = 1 << 20  # bytes per read() call; the deadline is checked between calls
_BINARY_PROBE = 8192  # NUL bytes in this many leading bytes mean "binary file"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

# The clock used for read deadlines; a module attribute so tests can substitute a fake one.
_clock = time.monotonic


@dataclass(frozen=True)
class RawFile:
    path: Path  # the path as found under the folder the user named (not resolved)
    data: bytes  # the file's bytes, read with limits
    suffix: str  # lower-case suffix, e.g. ".txt", ".md", ".json", ".html"


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # short and human, e.g. "not a regular file (FIFO)"


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int = 10_000_000
    read_timeout_s: float = 10.0
    suffixes: tuple[str, ...] = (".txt", ".md", ".markdown", ".json", ".html", ".htm")

    def __post_init__(self) -> None:
        if self.max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {self.max_bytes}")
        if not self.read_timeout_s > 0:
            raise ValueError(f"read_timeout_s must be > 0, got {self.read_timeout_s}")


class _Skip(Exception):
    """One file cannot be used; ``reason`` says why (internal, never leaves this module)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------------------------------------------
# public API


def discover(
    paths: Iterable[Path],
    limits: FileLimits = FileLimits(),
    ignore_names: Iterable[str] = ("manifest.json",),
) -> tuple[list[RawFile], list[Skipped]]:
    """Read every usable file under ``paths`` (files or folders).

    Folders are walked recursively in sorted order; hidden entries (name starting with ".") and ``ignore_names``
    inside them are skipped silently. A file named directly is read even if hidden (the user named it), but an
    ignored name (the manifest) is still skipped silently, so ``ingest corpus/*`` does not index it.
    Returns ``(loaded, skipped)``; a file reached twice by the same path (overlapping arguments) is returned once.
    """
    ignore = frozenset(ignore_names)
    loaded: list[RawFile] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()

    def add(found: list[RawFile]) -> None:
        for raw in found:
            key = os.path.abspath(raw.path)
            if key not in seen:
                seen.add(key)
                loaded.append(raw)

    for given in paths:
        path = Path(given)
        try:
            st = _stat_given(path)
            if stat.S_ISDIR(st.st_mode):
                found, skips = _Walk(path, limits, ignore).run()
                add(found)
                skipped.extend(skips)
                continue
            if path.name in ignore:
                continue
            if not stat.S_ISREG(st.st_mode):
                raise _Skip(f"not a regular file ({_kind(st.st_mode)})")
            add([_load(path, path, st, limits, nofollow=False)])
        except _Skip as skip:
            skipped.append(Skipped(str(path), skip.reason))
        except Exception as exc:  # safety net: one bad path must never stop the rest
            skipped.append(Skipped(str(path), _unexpected(exc)))
    return loaded, skipped


def decode_text(raw: RawFile) -> str:
    """Decode ``raw.data`` as UTF-8, dropping a leading BOM; raise ValueError with a reason if it is not UTF-8."""
    data = raw.data
    offset = 0
    if data.startswith(_UTF8_BOM):
        data, offset = data[len(_UTF8_BOM) :], len(_UTF8_BOM)
    elif data.startswith(_UTF16_BOMS):
        raise ValueError("not UTF-8 (looks like UTF-16; save the file as UTF-8)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start + offset})") from None


# --------------------------------------------------------------------------------------------------------------
# walking a named folder


class _Walk:
    """Walk one folder the user named. Real sub-folders first, then folder links (so each folder is read once)."""

    def __init__(self, top: Path, limits: FileLimits, ignore: frozenset[str]) -> None:
        self.top = top
        self.root = top.resolve(strict=True)
        self.limits = limits
        self.ignore = ignore
        self.loaded: list[RawFile] = []
        self.skipped: list[Skipped] = []
        self.visited: set[Path] = set()  # resolved folders already walked
        self.folder_links: deque[tuple[Path, Path]] = deque()  # (link as found, resolved target folder)

    def run(self) -> tuple[list[RawFile], list[Skipped]]:
        self._walk_tree(self.top, self.root)
        while self.folder_links:
            link, target = self.folder_links.popleft()
            if target in self.visited:
                parent = _resolve_quiet(link.parent)
                if parent is not None and parent.is_relative_to(target):
                    self._skip(link, "symbolic link loop (leads back to a folder that contains it)")
                else:
                    self._skip(link, f"symbolic link to a folder already included ({target})")
                continue
            self._walk_tree(link, target)
        order = lambda item: Path(item.path).parts  # noqa: E731 - parts order == recursive sorted walk order
        return sorted(self.loaded, key=order), sorted(self.skipped, key=order)

    def _skip(self, path: Path, reason: str) -> None:
        self.skipped.append(Skipped(str(path), reason))

    def _walk_tree(self, top: Path, resolved_top: Path) -> None:
        """Walk real (non-link) folders under ``top``; links to folders are queued for ``run``."""
        stack = [(top, resolved_top)]
        while stack:
            folder, resolved = stack.pop()
            self.visited.add(resolved)
            try:
                with os.scandir(folder) as it:
                    names = sorted(entry.name for entry in it)
            except OSError as exc:
                self._skip(folder, f"unreadable folder ({_os_reason(exc)})")
                continue
            subfolders = []
            for name in names:
                if name.startswith(".") or name in self.ignore:
                    continue
                path = folder / name
                try:
                    sub = self._entry(path)
                    if sub is not None:
                        subfolders.append((path, resolved / name))
                except _Skip as skip:
                    self._skip(path, skip.reason)
                except Exception as exc:  # safety net: one bad file must never stop the rest
                    self._skip(path, _unexpected(exc))
            stack.extend(reversed(subfolders))

    def _entry(self, path: Path) -> Path | None:
        """Handle one folder entry. Returns ``path`` if it is a real sub-folder to walk, else None."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise _Skip("disappeared while scanning") from None
        except OSError as exc:
            raise _Skip(f"unreadable ({_os_reason(exc)})") from None
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            return path
        if stat.S_ISLNK(mode):
            self._link(path)
            return None
        if not stat.S_ISREG(mode):
            raise _Skip(f"not a regular file ({_kind(mode)})")
        self.loaded.append(_load(path, path, st, self.limits, nofollow=True))
        return None

    def _link(self, link: Path) -> None:
        """Follow a symbolic link only if its resolved target stays inside the named folder."""
        try:
            target = link.resolve(strict=True)
        except RuntimeError:  # Python 3.11: "Symlink loop from ..."
            raise _Skip("symbolic link loop") from None
        except FileNotFoundError:
            raise _Skip("broken symbolic link (target does not exist)") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _Skip("symbolic link loop") from None
            raise _Skip(f"unreadable ({_os_reason(exc)})") from None
        if not target.is_relative_to(self.root):
            raise _Skip(f"symbolic link leading outside {self.root}")
        try:
            st = os.lstat(target)  # ``target`` is fully resolved: its last component is not a link
        except OSError as exc:
            raise _Skip(f"unreadable ({_os_reason(exc)})") from None
        if stat.S_ISDIR(st.st_mode):
            self.folder_links.append((link, target))
            return
        if not stat.S_ISREG(st.st_mode):
            raise _Skip(f"not a regular file ({_kind(st.st_mode)})")
        # Open the resolved target with O_NOFOLLOW, so a link swapped in after the check is refused, not followed.
        self.loaded.append(_load(link, target, st, self.limits, nofollow=True))


# --------------------------------------------------------------------------------------------------------------
# reading one file


def _load(shown: Path, open_path: Path, st: os.stat_result, limits: FileLimits, *, nofollow: bool) -> RawFile:
    """Read one regular file with limits; raise _Skip with a reason if it cannot be used."""
    suffix = shown.suffix.lower()
    if suffix not in limits.suffixes:
        raise _Skip(f"unsupported file type '{suffix}'" if suffix else "unsupported file type (no suffix)")
    if st.st_size > limits.max_bytes:
        raise _Skip(_too_large(st.st_size, limits.max_bytes))
    try:
        fd = os.open(open_path, _OPEN_FLAGS | (_O_NOFOLLOW if nofollow else 0))
    except FileNotFoundError:
        raise _Skip("disappeared before it could be read") from None
    except OSError as exc:
        if nofollow and exc.errno == errno.ELOOP:
            raise _Skip("changed while scanning (it is now a symbolic link)") from None
        raise _Skip(f"unreadable ({_os_reason(exc)})") from None
    try:
        fst = os.fstat(fd)  # the file actually opened, which may differ from the one checked
        if not stat.S_ISREG(fst.st_mode):
            raise _Skip(f"not a regular file ({_kind(fst.st_mode)})")
        if fst.st_size > limits.max_bytes:
            raise _Skip(_too_large(fst.st_size, limits.max_bytes))
        data = _read_capped(fd, limits.max_bytes, limits.read_timeout_s)
    finally:
        os.close(fd)
    head = data[:_BINARY_PROBE]
    if b"\x00" in head:
        if head.startswith(_UTF16_BOMS):
            raise _Skip("binary file (looks like UTF-16 text; save it as UTF-8)")
        raise _Skip("binary file")
    if not data.removeprefix(_UTF8_BOM).strip():
        raise _Skip("empty file")
    return RawFile(path=shown, data=data, suffix=suffix)


def _read_capped(fd: int, max_bytes: int, timeout_s: float) -> bytes:
    """Read at most ``max_bytes + 1`` bytes from ``fd``, giving up after ``timeout_s`` seconds.

    The deadline is checked between reads of at most 1 MB; a non-blocking descriptor with no data yet waits in
    ``select`` for at most the time left. (A single read() stuck inside the kernel cannot be interrupted from
    here; on a regular file on a healthy disk it returns quickly.)
    """
    deadline = _clock() + timeout_s
    limit = max_bytes + 1
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        remaining = deadline - _clock()
        if remaining <= 0:
            raise _Skip(f"read timed out (after {timeout_s:g} s)")
        try:
            chunk = os.read(fd, min(_CHUNK, limit - total))
        except BlockingIOError:
            select.select([fd], [], [], min(remaining, 0.1))
            continue
        except OSError as exc:
            raise _Skip(f"unreadable ({_os_reason(exc)})") from None
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise _Skip(f"too large (grew past the {_size(max_bytes)} limit while being read)")
    return b"".join(chunks)


# --------------------------------------------------------------------------------------------------------------
# helpers


def _stat_given(path: Path) -> os.stat_result:
    """stat() a path the user named (following links: the user named it), with reasons for failures."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise _Skip("broken symbolic link (target does not exist)") from None
        raise _Skip("not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Skip("symbolic link loop") from None
        raise _Skip(f"unreadable ({_os_reason(exc)})") from None


def _resolve_quiet(path: Path) -> Path | None:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return "unknown file kind"


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    value, unit = (n / 1e3, "KB") if n < 1_000_000 else (n / 1e6, "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def _too_large(size: int, limit: int) -> str:
    shown, cap = _size(size), _size(limit)
    if shown == cap:  # rounding hid the difference: show exact byte counts
        shown, cap = f"{size:,} bytes", f"{limit:,} bytes"
    return f"too large ({shown} > {cap} limit)"


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _unexpected(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"unreadable ({_os_reason(exc)})"
    return f"could not be read ({type(exc).__name__}: {exc})"
