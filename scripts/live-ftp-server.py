#!/usr/bin/python3
"""A pyftpdlib FTP server on loopback for the live-pipeline test (test/live.test.ts).

    /usr/bin/python3 scripts/live-ftp-server.py ROOT_DIR [ADDRESS] [BANNER_DELAY_SECONDS]

Serves ROOT_DIR read/write to user "alice" (password "wonderland7") and read-only to anonymous, on a
free port of ADDRESS (default 127.0.0.1), sending its greeting BANNER_DELAY_SECONDS after accepting (default 0;
the test uses it to reset a connection before the greeting, deterministically). Prints "PORT <n>" on stdout once it listens, then serves until
killed (the test stops it by PID).  Needs python3-pyftpdlib (Debian), installed by .ci/run.
"""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

root = sys.argv[1]
address = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
banner_delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0


class Handler(FTPHandler):
    def handle(self):
        if banner_delay <= 0:
            return super().handle()
        self.ioloop.call_later(banner_delay, self._greet)

    def _greet(self):
        if not self._closed:  # the client may have reset the connection meanwhile
            FTPHandler.handle(self)


auth = DummyAuthorizer()
auth.add_user("alice", "wonderland7", root, perm="elradfmw")
auth.add_anonymous(root)
handler = Handler
handler.authorizer = auth
handler.passive_ports = range(40000, 40100)
server = FTPServer((address, 0), handler)
print(f"PORT {server.socket.getsockname()[1]}", flush=True)
server.serve_forever(timeout=0.1, handle_exit=True)
