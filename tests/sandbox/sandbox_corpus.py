"""The program corpus (tests/corpus/) and an arena that proves nothing got out.

Adversarial files start with comment headers:

    # expect: forbidden           categories accepted from the normal admission path
    # direct: escape crashed      categories accepted when the static filter is bypassed
                                  (only files with this line run that way)

and may use the placeholders SENTINEL_PATH, SECRET_PATH, VICTIM_PATH and LISTEN_PORT,
which the arena replaces by a path that must stay absent, a root-only secret, a file that
must stay unchanged and a loopback port nobody may connect to.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from actmine.sandbox import uids

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
VALID = sorted((CORPUS / "valid").glob("*.py"))
ADVERSARIAL = sorted((CORPUS / "adversarial").glob("*.py"))


@dataclass(frozen=True)
class Program:
    path: Path
    source: str
    expect: frozenset[str]
    direct: frozenset[str]  # empty: not run past the static filter

    @property
    def name(self) -> str:
        return self.path.stem


def load(path: Path) -> Program:
    source = path.read_text()
    headers: dict[str, frozenset[str]] = {}
    for line in source.splitlines():
        if not line.startswith("# ") or ":" not in line:
            break
        key, _, value = line[2:].partition(":")
        headers[key.strip()] = frozenset(value.split())
    if "expect" not in headers:
        raise ValueError(f"{path} has no '# expect:' header")
    return Program(path, source, headers["expect"], headers.get("direct", frozenset()))


class Arena:
    """Resources a hostile candidate would love to touch, and checks that it did not."""

    def __init__(self, root: Path):
        self.token = "actmine-secret-" + secrets.token_hex(8)
        self.sentinel = root / "sentinel"
        self.secret = root / "secret.txt"
        self.secret.write_text(self.token)
        self.secret.chmod(0o600)
        self.victim = root / "victim.bin"
        self.victim.write_bytes(b"original")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]

    def fill(self, source: str) -> str:
        return (source.replace("SENTINEL_PATH", repr(str(self.sentinel)))
                .replace("SECRET_PATH", repr(str(self.secret)))
                .replace("VICTIM_PATH", repr(str(self.victim)))
                .replace("LISTEN_PORT", str(self.port)))

    def assert_untouched(self, zygote_pid: int | None, *outputs: object) -> None:
        assert not self.sentinel.exists(), "the candidate wrote a file outside the sandbox"
        assert self.victim.read_bytes() == b"original", "the candidate modified a host file"
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:
            pass
        else:
            conn.close()
            raise AssertionError("the candidate connected to a loopback listener")
        for out in outputs:
            text = json.dumps(out, default=str)
            assert self.token not in text, "the secret leaked into the verdict"
            assert "PATH=" not in text, "an environment leaked into the verdict"
        assert_no_survivors(zygote_pid)

    def close(self) -> None:
        self.listener.close()


def _status_fields(pid: str) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return dict(line.split(":", 1) for line in fh if ":" in line)
    except OSError:
        return {}


def survivors(zygote_pid: int | None) -> list[str]:
    """Live processes the zygote still has as children, or that run as a sandbox uid.

    The zygote is a child subreaper, so every live descendant of a candidate either is its
    child or has an ancestor that is; checking its children is checking the whole tree."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        fields = _status_fields(pid)
        if not fields or fields.get("State", "").split()[:1] == ["Z"]:
            continue
        uid = int(fields.get("Uid", "0").split()[0])
        ppid = int(fields.get("PPid", "0").strip() or 0)
        if uids.is_sandbox_uid(uid) or (zygote_pid is not None and ppid == zygote_pid):
            found.append(f"{pid} ({fields.get('Name', '?').strip()}, uid {uid})")
    return found


def assert_no_survivors(zygote_pid: int | None, settle: float = 2.0) -> None:
    deadline = time.monotonic() + settle  # SIGKILLed processes take a moment to die
    while (left := survivors(zygote_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes survived the candidate: {left}"
