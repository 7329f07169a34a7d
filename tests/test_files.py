"""Safe file loading (assistant.files): every hostile or broken file is skipped with a reason; the rest load."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from assistant import files
from assistant.files import FileLimits, RawFile, Skipped, decode_text, discover

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, symlinks and chmod semantics are POSIX")


class Hung(BaseException):
    """Not an Exception, so discover()'s per-file safety net cannot swallow it."""


@pytest.fixture(autouse=True)
def hang_guard():
    """Fail (instead of hanging the suite) if anything here blocks for more than 10 s, e.g. a FIFO regression."""

    def on_alarm(signum, frame):
        raise Hung("test hung for 10 s: discover() blocked (FIFO/device regression?)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def write(path: Path, data: str | bytes = "Some trial text.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def names(loaded: list[RawFile]) -> list[str]:
    return [raw.path.name for raw in loaded]


def reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in skipped}


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path) -> Path:
    """A readable file outside the named folder, standing in for /etc/passwd."""
    return write(tmp_path / "elsewhere" / "passwd.txt", "root:x:0:0:root:/root:/bin/bash\n")


# ---- regular files and folders ----------------------------------------------------------------------------------


def test_regular_files_load_with_bytes_path_and_lowercase_suffix(folder):
    write(folder / "a.txt", "alpha\n")
    write(folder / "B.MD", "# beta\n")
    write(folder / "c.json", '{"k": 1}')
    write(folder / "d.html", "<p>delta</p>")
    loaded, skipped = discover([folder])
    assert skipped == []
    assert [(r.path, r.data, r.suffix) for r in loaded] == [
        (folder / "B.MD", b"# beta\n", ".md"),
        (folder / "a.txt", b"alpha\n", ".txt"),
        (folder / "c.json", b'{"k": 1}', ".json"),
        (folder / "d.html", b"<p>delta</p>", ".html"),
    ]


def test_nested_folders_walked_recursively_in_sorted_order(folder):
    for rel in ("z.txt", "b/y.txt", "a/x.txt", "a/deeper/w.txt", "a/deeper/even/v.md"):
        write(folder / rel)
    loaded, skipped = discover([folder])
    assert skipped == []
    assert [r.path.relative_to(folder).as_posix() for r in loaded] == [
        "a/deeper/even/v.md",
        "a/deeper/w.txt",
        "a/x.txt",
        "b/y.txt",
        "z.txt",
    ]


def test_paths_are_kept_as_given_not_resolved(tmp_path, folder, monkeypatch):
    write(folder / "sub" / "a.txt")
    monkeypatch.chdir(tmp_path)
    loaded, _ = discover([Path("corpus")])
    assert [r.path for r in loaded] == [Path("corpus/sub/a.txt")]


def test_files_and_folders_can_be_mixed_and_overlaps_return_a_file_once(tmp_path, folder):
    write(folder / "a.txt")
    single = write(tmp_path / "single.md", "# one\n")
    loaded, skipped = discover([single, folder, folder / "a.txt"])
    assert skipped == []
    assert [r.path for r in loaded] == [single, folder / "a.txt"]


def test_duplicate_stems_are_all_returned(folder):
    write(folder / "a" / "report.txt", "one")
    write(folder / "b" / "report.txt", "two")
    write(folder / "x.txt", "three")
    write(folder / "x.json", '{"four": 4}')
    loaded, skipped = discover([folder])
    assert skipped == []
    assert sorted(r.path.relative_to(folder).as_posix() for r in loaded) == [
        "a/report.txt",
        "b/report.txt",
        "x.json",
        "x.txt",
    ]


def test_hidden_entries_and_manifest_skipped_silently(folder):
    write(folder / "keep.txt")
    write(folder / ".hidden.txt")
    write(folder / ".git" / "notes.txt")
    write(folder / "sub" / ".DS_Store", b"\x00\x01")
    write(folder / "manifest.json", "{}")
    loaded, skipped = discover([folder])
    assert names(loaded) == ["keep.txt"]
    assert skipped == []


def test_ignore_names_is_configurable(folder):
    write(folder / "manifest.json", "{}")
    write(folder / "skip-me.txt")
    loaded, skipped = discover([folder], ignore_names=("skip-me.txt",))
    assert names(loaded) == ["manifest.json"]
    assert skipped == []


def test_hidden_file_named_directly_is_read_but_manifest_is_not(folder):
    hidden = write(folder / ".notes.txt", "named by the user\n")
    manifest = write(folder / "manifest.json", "{}")
    loaded, skipped = discover([hidden, manifest])
    assert [r.path for r in loaded] == [hidden]
    assert skipped == []


def test_directory_with_a_file_suffix_is_walked_not_read(folder):
    write(folder / "looks-like.json" / "inner.txt", "inside\n")
    loaded, skipped = discover([folder])
    assert [r.path for r in loaded] == [folder / "looks-like.json" / "inner.txt"]
    assert skipped == []


def test_directory_passed_as_a_path_is_walked(folder):
    write(folder / "x.txt")
    loaded, skipped = discover([folder / ""])
    assert names(loaded) == ["x.txt"] and skipped == []


def test_directory_never_read_as_a_file(folder):
    """Even if a folder reaches the reading step (e.g. swapped in after the check), it is refused with its kind."""
    sub = folder / "d.txt"
    sub.mkdir()
    with pytest.raises(files._Skip, match=r"not a regular file \(directory\)"):
        files._load(sub, sub, os.lstat(sub), FileLimits(), nofollow=True)


def test_missing_path_is_reported(tmp_path):
    loaded, skipped = discover([tmp_path / "nope.txt"])
    assert loaded == []
    assert skipped == [Skipped(str(tmp_path / "nope.txt"), "not found")]


# ---- devices, FIFOs, symbolic links ----------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_symlink_to_dev_zero_is_skipped_promptly(folder):
    write(folder / "ok.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    start = time.monotonic()
    loaded, skipped = discover([folder])
    assert time.monotonic() - start < 2
    assert names(loaded) == ["ok.txt"]
    assert reasons(skipped) == {"zero.txt": f"symbolic link leading outside {folder.resolve()}"}


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_named_directly_is_reported_as_a_device(folder):
    link = folder / "zero.txt"
    link.symlink_to("/dev/zero")
    for path in (link, Path("/dev/zero")):
        loaded, skipped = discover([path])
        assert loaded == []
        assert skipped == [Skipped(str(path), "not a regular file (character device)")]


def test_fifo_returns_promptly_with_a_reason(folder):
    write(folder / "ok.txt")
    os.mkfifo(folder / "pipe.txt")
    start = time.monotonic()
    loaded, skipped = discover([folder])  # hang_guard fails the test instead of hanging if this blocks
    assert time.monotonic() - start < 2
    assert names(loaded) == ["ok.txt"]
    assert reasons(skipped) == {"pipe.txt": "not a regular file (FIFO)"}
    # named directly, and through a link inside the folder: same answer, no hang
    assert discover([folder / "pipe.txt"])[1] == [Skipped(str(folder / "pipe.txt"), "not a regular file (FIFO)")]
    (folder / "via-link.txt").symlink_to("pipe.txt")
    assert reasons(discover([folder])[1])["via-link.txt"] == "not a regular file (FIFO)"


def test_socket_is_reported_as_a_socket(tmp_path):
    import socket

    short = "/tmp" if len(str(tmp_path)) > 80 else str(tmp_path)  # AF_UNIX paths are limited to ~107 bytes
    folder = Path(tempfile.mkdtemp(prefix="sock-", dir=short))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(folder / "s.txt"))
        loaded, skipped = discover([folder])
        assert loaded == []
        assert reasons(skipped) == {"s.txt": "not a regular file (socket)"}
    finally:
        sock.close()
        os.unlink(folder / "s.txt")
        folder.rmdir()


def test_symlink_to_file_outside_the_folder_is_not_followed(folder, outside):
    write(folder / "ok.txt")
    (folder / "passwd.txt").symlink_to(outside)
    (folder / "relative-escape.txt").symlink_to(Path("..") / "elsewhere" / "passwd.txt")
    loaded, skipped = discover([folder])
    assert names(loaded) == ["ok.txt"]
    assert all(outside.read_bytes() != r.data for r in loaded)
    expected = f"symbolic link leading outside {folder.resolve()}"
    assert reasons(skipped) == {"passwd.txt": expected, "relative-escape.txt": expected}


def test_symlink_to_folder_outside_is_not_followed(folder, outside):
    (folder / "etc").symlink_to(outside.parent, target_is_directory=True)
    loaded, skipped = discover([folder])
    assert loaded == []
    assert reasons(skipped) == {"etc": f"symbolic link leading outside {folder.resolve()}"}


def test_file_named_directly_may_be_a_link_to_anywhere(tmp_path, outside):
    link = tmp_path / "named.txt"
    link.symlink_to(outside)
    loaded, skipped = discover([link])
    assert skipped == []
    assert [(r.path, r.data) for r in loaded] == [(link, outside.read_bytes())]


def test_symlink_inside_the_folder_is_followed(folder):
    write(folder / "real" / "target.txt", "target text\n")
    (folder / "alias.txt").symlink_to(Path("real") / "target.txt")
    loaded, skipped = discover([folder])
    assert skipped == []
    assert [(r.path.relative_to(folder).as_posix(), r.data) for r in loaded] == [
        ("alias.txt", b"target text\n"),  # reported under the link's own path, not the resolved one
        ("real/target.txt", b"target text\n"),
    ]


def test_symlink_to_hidden_folder_inside_is_followed(folder):
    write(folder / ".store" / "doc.txt", "stored\n")
    (folder / "docs").symlink_to(".store", target_is_directory=True)
    loaded, skipped = discover([folder])
    assert skipped == []
    assert [r.path for r in loaded] == [folder / "docs" / "doc.txt"]


def test_named_folder_may_itself_be_a_link(tmp_path, folder):
    write(folder / "a.txt")
    link = tmp_path / "corpus-link"
    link.symlink_to(folder, target_is_directory=True)
    loaded, skipped = discover([link])
    assert skipped == []
    assert [r.path for r in loaded] == [link / "a.txt"]


def test_symlink_loops_are_reported_not_followed(folder):
    write(folder / "sub" / "a.txt")
    (folder / "self.txt").symlink_to("self.txt")
    (folder / "ping.txt").symlink_to("pong.txt")
    (folder / "pong.txt").symlink_to("ping.txt")
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    (folder / "root").symlink_to(".", target_is_directory=True)
    (folder / "dangling.txt").symlink_to("missing.txt")
    loaded, skipped = discover([folder])
    assert [r.path for r in loaded] == [folder / "sub" / "a.txt"]
    got = reasons(skipped)
    assert got["self.txt"] == got["ping.txt"] == got["pong.txt"] == "symbolic link loop"
    assert got["up"].startswith("symbolic link loop") and got["root"].startswith("symbolic link loop")
    assert got["dangling.txt"] == "broken symbolic link (target does not exist)"
    assert len(skipped) == 6


def test_link_loop_named_directly(folder):
    (folder / "self.txt").symlink_to("self.txt")
    assert discover([folder / "self.txt"]) == ([], [Skipped(str(folder / "self.txt"), "symbolic link loop")])


def test_two_links_to_one_folder_walk_it_once(folder):
    write(folder / ".real" / "doc.txt")
    (folder / "a").symlink_to(".real", target_is_directory=True)
    (folder / "b").symlink_to(".real", target_is_directory=True)
    loaded, skipped = discover([folder])
    assert [r.path for r in loaded] == [folder / "a" / "doc.txt"]
    assert reasons(skipped) == {"b": f"symbolic link to a folder already included ({(folder / '.real').resolve()})"}


def test_many_links_do_not_blow_up(folder):
    """Each level links twice to the next: following every path would read 2**20 files; each folder is read once."""
    levels = 20
    for i in range(levels):
        (folder / f".l{i}").mkdir()
    write(folder / f".l{levels - 1}" / "leaf.txt")
    for i in range(levels - 1):
        for name in ("x", "y"):
            (folder / f".l{i}" / name).symlink_to(folder / f".l{i + 1}", target_is_directory=True)
    (folder / "start").symlink_to(".l0", target_is_directory=True)
    loaded, skipped = discover([folder])
    assert len(loaded) == 1 and loaded[0].path.name == "leaf.txt"
    assert len(skipped) == levels - 1  # every "y" link is reported as a folder already included


# ---- size, time, content -----------------------------------------------------------------------------------------


def test_oversize_file_is_skipped_with_sizes(folder):
    write(folder / "small.txt", "x" * 100)
    write(folder / "big.txt", "x" * 101)
    loaded, skipped = discover([folder], FileLimits(max_bytes=100))
    assert names(loaded) == ["small.txt"]
    assert reasons(skipped) == {"big.txt": "too large (101 bytes > 100 bytes limit)"}


def test_too_large_message_in_megabytes():
    assert files._too_large(12_300_000, 10_000_000) == "too large (12.3 MB > 10 MB limit)"
    assert files._too_large(10_000_001, 10_000_000) == "too large (10,000,001 bytes > 10,000,000 bytes limit)"


def test_read_itself_is_capped_even_if_size_lies():
    """A stream larger than its stat size (growing file, /proc-like file) is cut off at max_bytes + 1 bytes."""
    r, w = os.pipe()
    try:
        os.write(w, b"y" * 1000)
        os.set_blocking(r, False)
        with pytest.raises(files._Skip, match=r"too large \(grew past the 100 bytes limit while being read\)"):
            files._read_capped(r, max_bytes=100, timeout_s=5)
        assert len(os.read(r, 10_000)) == 1000 - 101  # exactly max_bytes + 1 were consumed
    finally:
        os.close(r)
        os.close(w)


def test_read_gives_up_at_the_deadline_when_no_data_comes():
    r, w = os.pipe()  # writer stays open and silent: a read would block forever
    try:
        os.write(w, b"partial")
        os.set_blocking(r, False)
        start = time.monotonic()
        with pytest.raises(files._Skip, match=r"read timed out \(after 0\.2 s\)"):
            files._read_capped(r, max_bytes=1000, timeout_s=0.2)
        assert 0.15 < time.monotonic() - start < 2
    finally:
        os.close(r)
        os.close(w)


def test_slow_regular_file_read_times_out(folder, monkeypatch):
    """A slow disk is simulated by a clock that advances 4 s per clock reading (one reading per 1 MB chunk):
    a 10-byte file finishes in 8 s, a 3 MB file passes the 10 s deadline before its third chunk."""
    write(folder / "slow.txt", b"a" * (3 << 20))
    write(folder / "fast.txt", b"b" * 10)
    ticks = iter(range(0, 10_000, 4))
    monkeypatch.setattr(files, "_clock", lambda: next(ticks))
    loaded, skipped = discover([folder])
    assert names(loaded) == ["fast.txt"]
    assert reasons(skipped) == {"slow.txt": "read timed out (after 10 s)"}


def test_binary_file_is_skipped(folder):
    write(folder / "blob.txt", b"PK\x03\x04\x00\x00rest")
    write(folder / "utf16.txt", "hello".encode("utf-16"))
    write(folder / "late-nul.txt", b"a" * 9000 + b"\x00")  # NUL beyond the first 8 KB: not detected as binary
    loaded, skipped = discover([folder])
    assert names(loaded) == ["late-nul.txt"]
    assert reasons(skipped) == {
        "blob.txt": "binary file",
        "utf16.txt": "binary file (looks like UTF-16 text; save it as UTF-8)",
    }


def test_empty_and_whitespace_only_files_are_skipped(folder):
    write(folder / "empty.txt", b"")
    write(folder / "blank.md", b" \n\t\r\n")
    write(folder / "bom-only.txt", b"\xef\xbb\xbf\n")
    loaded, skipped = discover([folder])
    assert loaded == []
    assert reasons(skipped) == {"empty.txt": "empty file", "blank.md": "empty file", "bom-only.txt": "empty file"}


def test_unsupported_suffix_is_skipped_before_reading(folder):
    write(folder / "tool.exe", b"MZ\x90\x00")
    write(folder / "README", "no suffix")
    write(folder / "ok.markdown", "# ok")
    loaded, skipped = discover([folder])
    assert names(loaded) == ["ok.markdown"]
    assert reasons(skipped) == {
        "tool.exe": "unsupported file type '.exe'",
        "README": "unsupported file type (no suffix)",
    }
    loaded, skipped = discover([folder], FileLimits(suffixes=(".exe",)))
    assert reasons(skipped)["tool.exe"] == "binary file"


def test_unreadable_file_is_skipped_and_the_rest_load(folder):
    write(folder / "a.txt")
    locked = write(folder / "locked.txt", "secret")
    write(folder / "z.txt")
    locked.chmod(0)
    try:
        loaded, skipped = discover([folder])
    finally:
        locked.chmod(0o644)
    if os.geteuid() == 0:
        # root ignores file permissions, so the file is readable here; only check that nothing broke.
        assert names(loaded) == ["a.txt", "locked.txt", "z.txt"]
        pytest.skip("running as root: chmod 000 does not stop root from reading, the 'unreadable' path is untested")
    assert names(loaded) == ["a.txt", "z.txt"]
    assert reasons(skipped) == {"locked.txt": "unreadable (Permission denied)"}


def test_os_error_on_open_is_reported_and_the_rest_load(folder, monkeypatch):
    """The unreadable path, independent of the user running the tests (root bypasses chmod 000)."""
    write(folder / "a.txt")
    write(folder / "locked.txt")
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):
        if Path(path).name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", fake_open)
    loaded, skipped = discover([folder])
    assert names(loaded) == ["a.txt"]
    assert reasons(skipped) == {"locked.txt": "unreadable (Permission denied)"}


def test_one_unexpected_error_never_stops_the_rest(folder, monkeypatch):
    write(folder / "a.txt")
    write(folder / "b.txt")
    real_load = files._load

    def flaky(shown, *args, **kwargs):
        if shown.name == "a.txt":
            raise MemoryError("boom")
        return real_load(shown, *args, **kwargs)

    monkeypatch.setattr(files, "_load", flaky)
    loaded, skipped = discover([folder])
    assert names(loaded) == ["b.txt"]
    assert reasons(skipped) == {"a.txt": "could not be read (MemoryError: boom)"}


def test_swapped_in_symlink_is_refused_at_open(folder, outside):
    """If a checked regular file is replaced by a link before it is opened, O_NOFOLLOW refuses it."""
    path = write(folder / "x.txt")
    st = os.lstat(path)
    path.unlink()
    path.symlink_to(outside)
    with pytest.raises(files._Skip, match=r"changed while scanning"):
        files._load(path, path, st, FileLimits(), nofollow=True)


# ---- decoding ------------------------------------------------------------------------------------------------------


def raw(data: bytes) -> RawFile:
    return RawFile(path=Path("doc.txt"), data=data, suffix=".txt")


def test_decode_utf8():
    assert decode_text(raw("Überleben 5 % – ok\n".encode())) == "Überleben 5 % – ok\n"


def test_decode_strips_utf8_bom():
    assert decode_text(raw(b"\xef\xbb\xbfHello")) == "Hello"


def test_decode_non_utf8_raises_clear_error_without_guessing():
    data = b"a" * 1234 + "café".encode("latin-1")  # é = 0xE9 followed by nothing: invalid continuation
    with pytest.raises(ValueError, match=r"^not UTF-8 \(unexpected end of data at byte 1237\)$"):
        decode_text(raw(data))
    with pytest.raises(ValueError, match=r"^not UTF-8 \(invalid start byte at byte 1\)$"):
        decode_text(raw(b"a\xff b"))
    # with a BOM the byte offset still counts from the start of the file
    with pytest.raises(ValueError, match=r"^not UTF-8 \(invalid start byte at byte 4\)$"):
        decode_text(raw(b"\xef\xbb\xbfa\xff"))


def test_decode_utf16_is_named():
    with pytest.raises(ValueError, match=r"looks like UTF-16"):
        decode_text(raw("hi".encode("utf-16")))


def test_limits_are_validated():
    with pytest.raises(ValueError):
        FileLimits(read_timeout_s=0)
    with pytest.raises(ValueError):
        FileLimits(max_bytes=-1)


def test_unreadable_folder_is_reported_and_the_rest_load(folder, monkeypatch):
    """Root-independent: scandir of one sub-folder fails with EACCES, as it would after chmod 000 for a normal user."""
    write(folder / "a.txt")
    write(folder / "closed" / "in.txt")
    real_scandir = os.scandir

    def fake_scandir(path):
        if Path(path).name == "closed":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(files.os, "scandir", fake_scandir)
    loaded, skipped = discover([folder])
    assert names(loaded) == ["a.txt"]
    assert reasons(skipped) == {"closed": "unreadable folder (Permission denied)"}
