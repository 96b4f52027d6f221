"""Active-mode IPv6 FTP sessions (EPRT |2|) for samples/ipv6-active.pcap (scripts/capture-ipv6-active.sh).

  ipv6_active.py files DIR           write the served tree (deterministic content, varied sizes and types)
  ipv6_active.py serve DIR PORT [HOST]  pyftpdlib on HOST:PORT (default [::1]), anonymous read/write on DIR
  ipv6_active.py client PORT UPDIR   Python ftplib sessions with passive mode off: over IPv6 ftplib
                                     announces its data endpoint with EPRT |2|::1|port| (RFC 2428)
  ipv6_active.py sizes PORT HOST     samples/transfer-sizes.pcap: over IPv4 (HOST), the files of SIZES
                                     downloaded and uploaded once passive (PASV) and once active (PORT)

Transfers of 0 B to 100 kB both ways (RETR, STOR, APPE, LIST, NLST), so the data records cover the sniff
classes (text, binary, gzip, empty) and sizes around the sniff's 320 bytes and a TCP segment.
"""
import gzip
import io
import random
import sys
import time
from ftplib import FTP

# name -> size; content by kind (see content())
FILES = {
    "empty.txt": 0,
    "one.txt": 1,
    "short.txt": 319,
    "exact.bin": 320,
    "notes.txt": 2500,
    "segment.bin": 1448,
    "big.bin": 65536,
    "archive.gz": 0,  # a real gzip of text: its size is what gzip makes
    "large.bin": 100000,
}
UPLOADS = {"up-small.txt": 700, "up-seg.bin": 5000, "up-large.bin": 80000}
# transfer-sizes: 0 B to 512 KiB, six orders of magnitude (the other samples stop at about 5 kB)
SIZES = {"s0.bin": 0, "s1.txt": 1, "s100.txt": 100, "s1448.bin": 1448, "s10k.bin": 10000, "s100k.bin": 100000, "s512k.bin": 524288}


def content(name: str, size: int) -> bytes:
    rng = random.Random(name)
    if name.endswith(".gz"):
        text = "".join("line %d of the archive %s\n" % (i, rng.random()) for i in range(400))
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
            g.write(text.encode())
        return buf.getvalue()
    if name.endswith(".txt"):
        words = ["alpha", "beta", "gamma", "delta", "ftp", "ipv6", "eprt", "row"]
        text = ""
        while len(text) < size:
            text += " ".join(rng.choice(words) for _ in range(8)) + "\n"
        return text[:size].encode()
    return bytes(rng.randrange(256) for _ in range(size))


def files(root: str) -> None:
    import os

    os.makedirs(root + "/pub", exist_ok=True)
    os.makedirs(root + "/incoming", exist_ok=True)
    for name, size in {**FILES, **SIZES}.items():
        with open(f"{root}/pub/{name}", "wb") as f:
            f.write(content(name, size))


def serve(root: str, port: int, host: str = "::1") -> None:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    auth = DummyAuthorizer()
    auth.add_anonymous(root, perm="elradfmw")
    auth.add_user("ipv6user", "v6-Pass!word", root, perm="elradfmw")
    handler = FTPHandler
    handler.authorizer = auth
    handler.banner = "pyftpdlib ready (ftp-ids ipv6-active sample)"
    server = FTPServer((host, port), handler)
    server.serve_forever()


def client(port: int, updir: str) -> None:
    def session(user: str, password: str, body) -> None:
        ftp = FTP()
        ftp.connect("::1", port, timeout=10)
        ftp.login(user, password)
        ftp.set_pasv(False)  # active: EPRT |2|::1|port| (ftplib uses EPRT for an IPv6 control connection)
        body(ftp)
        ftp.quit()
        time.sleep(0.2)

    def downloads(ftp: FTP) -> None:
        ftp.cwd("/pub")
        ftp.retrlines("LIST", lambda line: None)
        for name in FILES:
            got = bytearray()
            ftp.retrbinary("RETR " + name, got.extend)
            want = content(name, FILES[name])
            if bytes(got) != want:
                raise SystemExit(f"RETR {name}: {len(got)} bytes, expected {len(want)}")

    def uploads(ftp: FTP) -> None:
        ftp.cwd("/incoming")
        for name, size in UPLOADS.items():
            ftp.storbinary("STOR " + name, io.BytesIO(content(name, size)))
        ftp.storbinary("APPE up-small.txt", io.BytesIO(b"appended line\n"))
        ftp.nlst()
        ftp.retrlines("LIST", lambda line: None)

    def mixed(ftp: FTP) -> None:
        ftp.cwd("/pub")
        ftp.nlst()
        ftp.retrbinary("RETR notes.txt", lambda b: None)
        ftp.retrbinary("RETR archive.gz", lambda b: None)
        ftp.cwd("/incoming")
        ftp.storbinary("STOR mixed.bin", io.BytesIO(content("mixed.bin", 3000)))
        ftp.delete("mixed.bin")

    session("anonymous", "guest@example.org", downloads)
    session("ipv6user", "v6-Pass!word", uploads)
    session("ipv6user", "v6-Pass!word", mixed)


def sizes(port: int, host: str) -> None:
    """Every file of SIZES down and up again, in one passive and one active session (PASV / PORT)."""
    for passive in (True, False):
        ftp = FTP()
        ftp.connect(host, port, timeout=20)
        ftp.login("anonymous", "sizes@example.org")
        ftp.set_pasv(passive)
        ftp.cwd("/pub")
        for name, size in SIZES.items():
            got = bytearray()
            ftp.retrbinary("RETR " + name, got.extend)
            if bytes(got) != content(name, size):
                raise SystemExit(f"RETR {name}: {len(got)} bytes, expected {size}")
        ftp.cwd("/incoming")
        for name, size in SIZES.items():
            ftp.storbinary("STOR %s-%s" % ("pasv" if passive else "port", name), io.BytesIO(content(name, size)))
        ftp.quit()
        time.sleep(0.2)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "files":
        files(sys.argv[2])
    elif cmd == "serve":
        serve(sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
    elif cmd == "sizes":
        sizes(int(sys.argv[2]), sys.argv[3])
    elif cmd == "client":
        client(int(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(__doc__)
