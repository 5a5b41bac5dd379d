#!/usr/bin/env python3
"""A pyftpdlib FTPS peer for scripts/interop.sh.

Explicit FTPS (AUTH TLS) with TLS required on the control and the data
connections, one read-write user, a passive port range, active mode allowed
(to the control peer's address only, pyftpdlib's default). Loopback only.
Prints "ready HOST PORT" on stdout once it listens, then serves until killed.
"""

import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--cert", required=True, help="certificate chain PEM")
    p.add_argument("--key", required=True, help="private key PEM")
    p.add_argument("--passive-ports", required=True, help="LO-HI")
    p.add_argument("--log", help="protocol log file (default: stderr)")
    a = p.parse_args()

    lo, hi = (int(x) for x in a.passive_ports.split("-", 1))
    if not 1024 <= lo <= hi <= 65535:
        p.error("bad --passive-ports")

    logging.basicConfig(
        filename=a.log,
        level=logging.DEBUG,
        format="%(asctime)s %(message)s",
    )

    authorizer = DummyAuthorizer()
    # e l r a d f m w M T: every read and write permission.
    authorizer.add_user(a.user, a.password, a.root, perm="elradfmwMT")

    class Handler(TLS_FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.certfile = a.cert
    Handler.keyfile = a.key
    Handler.tls_control_required = True
    Handler.tls_data_required = True
    Handler.passive_ports = range(lo, hi + 1)
    Handler.permit_foreign_addresses = False
    Handler.timeout = 60

    server = FTPServer(("127.0.0.1", a.port), Handler)
    server.max_cons = 32
    host, port = server.address[:2]
    print(f"ready {host} {port}", flush=True)
    server.serve_forever(timeout=1.0, blocking=True, handle_exit=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
