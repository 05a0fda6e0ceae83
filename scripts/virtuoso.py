"""Start or stop a private Virtuoso (Debian's virtuoso-opensource-7-bin) for `kg --endpoint`.

    python scripts/virtuoso.py start DIR [--http-port N] [--isql-port N] [--memory MB]
    python scripts/virtuoso.py stop DIR

`start` makes DIR (new or empty: it refuses a folder it did not make) and writes there a
virtuoso.ini of its own: the database, its log and lock files in DIR, the SQL (ISQL) and
HTTP ports on 127.0.0.1 only (free ones unless given), no Unix socket, file access
(DirsAllowed) limited to DIR, and small buffers (--memory, 256 MiB by default: raise it
for millions of triples). It starts the server, waits until its SPARQL endpoint answers,
and on the first start, over ISQL on loopback:

- replaces the built-in passwords of the dba and dav accounts (dba/dba, dav/dav) by
  random ones; dba's is kept in DIR/dba-password (mode 0600) for an operator's isql-vt;
- grants SPARQL_UPDATE to the anonymous SPARQL user, so that `kg push` can load a named
  graph through the Graph Store Protocol endpoint /sparql-graph-crud. Like `oxigraph
  serve`, the endpoint is then writable by any local process: this is a private
  instance for one user's tests and benchmarks, not a shared server.

It prints the query endpoint and the Graph Store URL and writes them to DIR/endpoint.json.
`stop` ends the server it started (SIGTERM: Virtuoso checkpoints and exits) and touches no
file but its own pid file. Nothing outside DIR is ever written.

Then:

    kg push --endpoint http://127.0.0.1:PORT/sparql \\
            --store-url http://127.0.0.1:PORT/sparql-graph-crud --graph https://example.org/kg
    kg --endpoint http://127.0.0.1:PORT/sparql --graph https://example.org/kg who-met
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

MARKER = ".kg-virtuoso"  # written first into a folder this script makes; nothing else is used
SET_UP = ".set-up"  # written once the first start has replaced the passwords
SERVER, ISQL = "virtuoso-t", "isql-vt"  # Debian's names (virtuoso-opensource-7-bin)
INSTALL = "apt-get install virtuoso-opensource-7-bin"


class Refused(Exception):
    """Something this script will not do, said in one line."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ini_text(folder: Path, http_port: int, isql_port: int, memory_mb: int) -> str:
    """A virtuoso.ini keeping every file in `folder` and every port on loopback."""
    # About 85,000 buffers of 8 KiB per GB, as Virtuoso's own guide sizes them.
    buffers = max(2000, memory_mb * 85)
    d = folder
    return f"""\
; Written by kg's scripts/virtuoso.py for a private instance; rewritten at each start.
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
MaxClientConnections = 8
ServerThreads = 8
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = {d}
VADInstallDir = {d}/vad
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {buffers * 3 // 4}
MaxQueryMem = {max(64, memory_mb // 2)}M
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4
; A push of millions of triples is one transaction: let its log grow (the most it reads:
; a value over 2^31 turns into no room at all).
TransactionAfterImageLimit = 2000000000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
; An empty folder: Virtuoso serves the files under ServerRoot.
ServerRoot = {d}/www
ServerThreads = 8
MaxClientConnections = 8
MaxKeepAlives = 8
KeepAliveTimeout = 10
EnabledDavVSP = 0
HTTPProxyEnabled = 0
Charset = UTF-8

[SPARQL]
; No ResultSetMaxRows, MaxQueryExecutionTime or MaxQueryCostEstimationTime: with them
; Virtuoso cuts answers short without an error; kg's client has its own timeout.
DefaultQuery = ASK {{ }}
"""


def make_folder(folder: Path) -> None:
    """Make folder for a new instance, or accept one this script made; refuse any other."""
    if (folder / MARKER).is_file():
        return
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise Refused(
            f"{folder} is not empty and was not made by this script ({MARKER} is missing): "
            "give a new or empty folder"
        )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / MARKER).write_text("a private Virtuoso of kg's scripts/virtuoso.py\n")


def running_pid(folder: Path) -> int | None:
    """The pid of the server started from folder, if it still runs."""
    try:
        pid = int((folder / "virtuoso.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    # The pid file may be stale and the number reused: it must be our server on our ini.
    ini = str(folder / "virtuoso.ini").encode()
    if cmdline and Path(cmdline[0].decode()).name == SERVER and ini in cmdline:
        return pid
    return None


def ask(url: str) -> bool:
    """Whether the SPARQL endpoint answers a query (a form POST, as kg sends)."""
    data = urllib.parse.urlencode({"query": "ASK { }"}).encode()
    req = urllib.request.Request(
        url, data=data, headers={"Accept": "application/sparql-results+json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status == 200 and b"boolean" in resp.read()
    except (OSError, urllib.error.URLError):
        return False


def isql(isql_port: int, password: str, sql: str) -> str:
    """Run SQL statements through isql-vt on loopback (the SQL goes in by stdin); return
    what it printed."""
    exe = shutil.which(ISQL)
    if exe is None:
        raise Refused(f"{ISQL} is not installed ({INSTALL})")
    proc = subprocess.run(
        [exe, f"127.0.0.1:{isql_port}", "dba", password, "VERBOSE=OFF", "ERRORS=STDOUT"],
        input=sql + "\nEXIT;\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "*** Error" in out:
        raise Refused(f"setting up Virtuoso failed: {' '.join(out.split())[:400]}")
    return out


def first_setup(folder: Path, isql_port: int, wait: float) -> None:
    """Replace the built-in passwords and let the anonymous SPARQL user load graphs."""
    # The dav account appears a moment after the server answers: wait for it (a few s).
    deadline = time.monotonic() + wait
    probe = "SELECT 'account:' || U_NAME FROM SYS_USERS WHERE U_NAME = 'dav';"
    while "account:dav" not in isql(isql_port, "dba", probe):
        if time.monotonic() > deadline:
            raise Refused(f"Virtuoso's dav account did not appear within {wait:g} s")
        time.sleep(0.5)
    dba, dav = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    # Kept before it is set, so that no failure can leave a password nobody knows.
    fd = os.open(folder / "dba-password", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(dba + "\n")
    # One statement per call, dba's password last: a failure leaves dba/dba, and a start
    # again sets it up (the passwords are URL-safe characters: no quote can occur).
    isql(isql_port, "dba", 'GRANT SPARQL_UPDATE TO "SPARQL";')
    isql(isql_port, "dba", f"USER_CHANGE_PASSWORD('dav', 'dav', '{dav}');")
    isql(isql_port, "dba", f"USER_SET_PASSWORD('dba', '{dba}');")
    (folder / SET_UP).write_text("passwords replaced, SPARQL_UPDATE granted\n")


def log_tail(folder: Path, lines: int = 8) -> str:
    try:
        text = (folder / "virtuoso.log").read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def start(
    folder: Path, http_port: int, isql_port: int, memory_mb: int, wait: float
) -> dict[str, object]:
    exe = shutil.which(SERVER)
    if exe is None:
        raise Refused(f"{SERVER} is not installed ({INSTALL})")
    folder = folder.resolve()
    make_folder(folder)
    if (pid := running_pid(folder)) is not None:
        raise Refused(f"a Virtuoso started from {folder} is running already (pid {pid})")
    http_port = http_port or free_port()
    isql_port = isql_port or free_port()
    fresh = not (folder / SET_UP).exists()  # set up once, after the first start
    (folder / "www").mkdir(exist_ok=True)
    ini = folder / "virtuoso.ini"
    ini.write_text(ini_text(folder, http_port, isql_port, memory_mb))
    ini.chmod(0o600)
    with open(folder / "virtuoso.out", "ab") as out:
        proc = subprocess.Popen(
            [exe, "+configfile", str(ini), "+foreground"],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # it outlives this script; `stop` ends it
        )
    (folder / "virtuoso.pid").write_text(f"{proc.pid}\n")
    endpoint = f"http://127.0.0.1:{http_port}/sparql"
    deadline = time.monotonic() + wait
    while not ask(endpoint):
        if proc.poll() is not None:
            raise Refused(f"Virtuoso exited ({proc.returncode}): {log_tail(folder)}")
        if time.monotonic() > deadline:
            stop(folder)
            raise Refused(f"Virtuoso did not answer within {wait:g} s: {log_tail(folder)}")
        time.sleep(0.2)
    if fresh:
        try:
            first_setup(folder, isql_port, wait)
        except Refused as exc:
            stop(folder)
            raise Refused(f"{exc} (remove {folder} and start again)") from None
    info = {
        "endpoint": endpoint,
        "store": f"http://127.0.0.1:{http_port}/sparql-graph-crud",
        "isql": f"127.0.0.1:{isql_port}",
        "pid": proc.pid,
    }
    (folder / "endpoint.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def stop(folder: Path, wait: float = 60) -> bool:
    """End the server started from folder; return whether one was running."""
    folder = folder.resolve()
    if not (folder / MARKER).is_file():
        raise Refused(f"{folder} was not made by this script ({MARKER} is missing)")
    pid = running_pid(folder)
    if pid is None:
        (folder / "virtuoso.pid").unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while running_pid(folder) is not None and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    if running_pid(folder) is not None:
        os.kill(pid, signal.SIGKILL)
        while running_pid(folder) is not None:
            _reap(pid)
            time.sleep(0.1)
    # Gone from /proc is not yet gone: a start right after a stop under load found the
    # database still locked ("Virtuoso is already running"). Wait for the lock to be free.
    while _locked(folder / "virtuoso.lck") and time.monotonic() < deadline + wait:
        time.sleep(0.1)
    (folder / "virtuoso.pid").unlink(missing_ok=True)
    return True


def _locked(path: Path) -> bool:
    """Whether a process holds the lock on Virtuoso's lock file."""
    import fcntl

    if not path.exists():
        return False
    try:
        with open(path, "a") as fh:
            try:
                fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.lockf(fh, fcntl.LOCK_UN)
    except OSError:  # gone meanwhile: nothing holds it
        return False
    return False


def _reap(pid: int) -> None:
    """Collect the server's exit status when this process started it (no zombie left)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start Virtuoso with its files in DIR")
    p_start.add_argument("folder", metavar="DIR", type=Path)
    p_start.add_argument("--http-port", type=int, default=0, help="default: a free port")
    p_start.add_argument("--isql-port", type=int, default=0, help="default: a free port")
    p_start.add_argument(
        "--memory", type=int, default=256, metavar="MB", help="buffer memory (default 256)"
    )
    p_start.add_argument(
        "--wait", type=float, default=120, metavar="S", help="seconds to wait for it (120)"
    )
    p_stop = sub.add_parser("stop", help="stop the Virtuoso started from DIR")
    p_stop.add_argument("folder", metavar="DIR", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            info = start(args.folder, args.http_port, args.isql_port, args.memory, args.wait)
            print(f"Virtuoso running (pid {info['pid']}), files in {args.folder}")
            print(f"endpoint:  {info['endpoint']}")
            print(f"store URL: {info['store']}")
        elif stop(args.folder):
            print(f"stopped the Virtuoso of {args.folder}")
        else:
            print(f"no Virtuoso of {args.folder} was running")
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
