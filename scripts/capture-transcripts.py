#!/usr/bin/env python3
"""Captures real FTP control-connection transcripts for the fuzz seed corpora.

Starts the tokio example server (`ftps-proto-tokio/examples/ftps-server.rs`) in plain mode on
127.0.0.1 with a fresh root directory per case, puts a recording TCP proxy in front of its
control port, and drives curl, Python's ftplib, lftp and the project's own example client
(`ftps-client --plain`) through the proxy. Data connections go straight to the server (the
229/227 replies carry the server's own loopback address) or, in active mode, from the server
straight to the client. Every control connection is written as
`fuzz/transcripts/<tool>-<case>.c2s` (client to server) and `.s2c` (server to client);
`fuzz/make_seeds.py` turns them into seeds.

    python3 scripts/capture-transcripts.py [--only TOOL] [--out DIR]

Stdlib only. Every client run is bounded by a timeout; a tool that is not installed is
skipped with a note. Tool versions go to `<out>/VERSIONS`.
"""
import argparse
import ftplib
import io
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVER_BIN = ROOT / "target" / "debug" / "examples" / "ftps-server"
CLIENT_BIN = ROOT / "target" / "debug" / "examples" / "ftps-client"
USER, PASSWORD = "anna", "secret"
TIMEOUT = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class Session:
    """One proxied control connection: the bytes of each direction, in order."""

    def __init__(self):
        self.c2s = bytearray()
        self.s2c = bytearray()
        self.open_pumps = 2
        self.lock = threading.Lock()

    def done(self):
        with self.lock:
            return self.open_pumps == 0


class Proxy:
    """A threaded TCP proxy that records every control connection it carries."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.sessions = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            s = Session()
            with self.lock:
                self.sessions.append(s)
            threading.Thread(target=self._pump, args=(client, server, s, s.c2s), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, s, s.s2c), daemon=True).start()

    @staticmethod
    def _pump(src, dst, session, record):
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                with session.lock:
                    record.extend(chunk)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                try:
                    sock.shutdown(how)
                except OSError:
                    pass
            with session.lock:
                session.open_pumps -= 1
                last = session.open_pumps == 0
            if last:
                src.close()
                dst.close()

    def take(self, since, wait=5.0):
        """The sessions opened after `since`, once each has ended (or `wait` passed)."""
        end = time.monotonic() + wait
        while time.monotonic() < end:
            with self.lock:
                new = self.sessions[since:]
            if all(s.done() for s in new):
                break
            time.sleep(0.05)
        with self.lock:
            return self.sessions[since:]

    def count(self):
        with self.lock:
            return len(self.sessions)

    def close(self):
        self.listener.close()


def make_root(base):
    """The server's root for one case: a few files and a small tree."""
    root = base / "root"
    if root.exists():
        shutil.rmtree(root)
    (root / "tree" / "sub").mkdir(parents=True)
    (root / "pub").mkdir()
    (root / "hello.txt").write_bytes(b"hello from the ftps-proto capture\n")
    (root / "notes.txt").write_bytes(b"line one\nline two\nline three\n")
    (root / "data.bin").write_bytes(bytes((i * 7 + 3) % 256 for i in range(20000)))
    (root / "tree" / "a.txt").write_bytes(b"a\n")
    (root / "tree" / "sub" / "b.txt").write_bytes(b"bb\n")
    (root / "pub" / "readme").write_bytes(b"read me\n")
    return root


class Server:
    def __init__(self, base, root):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(SERVER_BIN), "--listen", f"127.0.0.1:{self.port}", "--root", str(root),
             "--user", USER, "--password", PASSWORD, "--tls", "none",
             "--write-cert", str(base / "cert.pem")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run(cmd, cwd, stdin=b""):
    try:
        p = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, timeout=TIMEOUT)
        return p.returncode
    except subprocess.TimeoutExpired:
        return "timeout"


# ---- the cases: (tool, case, function(port, local_dir) -> status) ----

def curl(*args):
    def case(port, local):
        url = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{port}/"
        argv = [a.replace("URL/", url) for a in args]
        stdin = b"uploaded by curl\n" * 40 if "-" in argv else b""
        return run(["curl", "-sS", "--max-time", str(TIMEOUT - 5)] + argv, local, stdin)
    case.what = "curl " + " ".join(a if " " not in a else f"'{a}'" for a in args)
    return case


def curl_resume(port, local):
    """curl -C - -o data.bin ftp://.../data.bin (a 5000-byte local part: REST + RETR)."""
    (local / "data.bin").write_bytes(bytes((i * 7 + 3) % 256 for i in range(5000)))
    return curl("-C", "-", "-o", "data.bin", "URL/data.bin")(port, local)


def ftplib_session(port, local):
    """Python ftplib: login, pwd, cwd, mkd, nlst, mlsd, retrbinary, storbinary, size, rename, delete, MDTM, STAT, FEAT, HELP, quit."""
    f = ftplib.FTP()
    f.connect("127.0.0.1", port, timeout=TIMEOUT)
    f.login(USER, PASSWORD)
    f.pwd()
    f.cwd("pub")
    f.cwd("/")
    f.mkd("newdir")
    f.nlst()
    list(f.mlsd())
    f.retrbinary("RETR hello.txt", io.BytesIO().write)
    f.storbinary("STOR upload.bin", io.BytesIO(bytes(range(256)) * 8))
    f.size("upload.bin")
    f.rename("upload.bin", "moved.bin")
    f.delete("moved.bin")
    for cmd in ["MDTM hello.txt", "STAT", "FEAT", "HELP"]:
        try:
            f.sendcmd(cmd)
        except ftplib.Error:
            pass
    f.quit()
    return 0


def ftplib_active(port, local):
    """Python ftplib, active mode (PORT): LIST, storlines, retrlines."""
    f = ftplib.FTP()
    f.connect("127.0.0.1", port, timeout=TIMEOUT)
    f.login(USER, PASSWORD)
    f.set_pasv(False)
    f.retrlines("LIST", lambda line: None)
    f.storlines("STOR lines.txt", io.BytesIO(b"one\ntwo\nthree\n"))
    f.retrlines("RETR notes.txt", lambda line: None)
    f.quit()
    return 0


def ftplib_ascii(port, local):
    """Python ftplib: NLST tree, retrlines RETR, storlines APPE, retrbinary with rest=10."""
    f = ftplib.FTP()
    f.connect("127.0.0.1", port, timeout=TIMEOUT)
    f.login(USER, PASSWORD)
    f.retrlines("NLST tree", lambda line: None)
    f.retrlines("RETR notes.txt", lambda line: None)
    f.storlines("APPE notes.txt", io.BytesIO(b"four\n"))
    f.retrbinary("RETR data.bin", io.BytesIO().write, rest=10)
    f.quit()
    return 0


def lftp(*commands, setup=""):
    def case(port, local):
        script = (f"set net:timeout 5; set net:max-retries 1; set net:reconnect-interval-base 1; "
                  f"set ftp:ssl-allow no; set cmd:fail-exit no; {setup}"
                  f"open -u {USER},{PASSWORD} ftp://127.0.0.1:{port}; " + "; ".join(commands) + "; bye")
        return run(["lftp", "-c", script], local)
    case.what = "lftp -c '" + setup + "; ".join(commands) + "'"
    return case


def lftp_upload_tree(port, local):
    """lftp: put put.txt; mirror -R up up (a two-level tree)."""
    (local / "up" / "inner").mkdir(parents=True)
    (local / "up" / "one.txt").write_bytes(b"one\n")
    (local / "up" / "inner" / "two.txt").write_bytes(b"two\n")
    (local / "put.txt").write_bytes(b"put by lftp\n")
    return lftp("put put.txt", "mirror -R up up")(port, local)


def own_client(*args, setup=None):
    def case(port, local):
        if setup:
            setup(local)
        url = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{port}/"
        argv = [a.replace("URL", url) for a in args]
        return run([str(CLIENT_BIN), "--plain", "--timeout", "10", url] + argv, local)
    case.what = "ftps-client --plain URL " + " ".join(args)
    return case


def write_upload(local):
    (local / "up.bin").write_bytes(bytes(range(256)) * 16)


CASES = [
    ("curl", "list", curl("URL/")),
    ("curl", "nlst", curl("--list-only", "URL/tree/")),
    ("curl", "retr", curl("-o", "out.txt", "URL/hello.txt")),
    ("curl", "head", curl("-I", "URL/hello.txt")),
    ("curl", "stor", curl("-T", "-", "URL/upload.txt")),
    ("curl", "create-dirs", curl("-T", "-", "--ftp-create-dirs", "URL/new/deep/up.txt")),
    ("curl", "pasv", curl("--disable-epsv", "-o", "out.bin", "URL/data.bin")),
    ("curl", "active", curl("-P", "-", "URL/tree/")),
    ("curl", "active-stor", curl("-P", "-", "--disable-eprt", "-T", "-", "URL/act.txt")),
    ("curl", "resume", curl_resume),
    ("curl", "quote", curl("-Q", "NOOP", "-Q", "SYST", "-Q", "SITE HELP", "URL/")),
    ("curl", "post-quote", curl("-Q", "-DELE notes.txt", "-o", "out.txt", "URL/hello.txt")),
    ("ftplib", "session", ftplib_session),
    ("ftplib", "active", ftplib_active),
    ("ftplib", "ascii", ftplib_ascii),
    ("lftp", "ls", lftp("ls", "cls -l tree")),
    ("lftp", "get", lftp("get hello.txt -o got.txt", "get data.bin -o got.bin")),
    ("lftp", "put", lftp_upload_tree),
    ("lftp", "mirror", lftp("mirror tree tree-copy")),
    ("lftp", "rm-mv", lftp("mv notes.txt renamed.txt", "rm renamed.txt", "mkdir made", "rmdir made")),
    ("lftp", "active", lftp("ls", "get hello.txt -o got.txt", setup="set ftp:passive-mode off; ")),
    ("ftps-client", "ls", own_client("ls")),
    ("ftps-client", "mlsd", own_client("mlsd", "tree")),
    ("ftps-client", "get", own_client("get", "data.bin", "got.bin")),
    ("ftps-client", "put", own_client("put", "up.bin", "up.bin", setup=write_upload)),
    ("ftps-client", "active", own_client("--active", "get", "hello.txt", "got.txt")),
    ("ftps-client", "pasv", own_client("--no-epsv", "nlst")),
]

TOOLS = {
    "curl": ["curl", "--version"],
    "lftp": ["lftp", "--version"],
    "ftplib": [sys.executable, "--version"],
    "ftps-client": [str(CLIENT_BIN), "--version"],
}


def version(tool):
    try:
        out = subprocess.run(TOOLS[tool], capture_output=True, timeout=10).stdout.decode()
        return out.splitlines()[0].strip() if out else "?"
    except (OSError, subprocess.TimeoutExpired):
        return None


def describe(fn):
    """What a case runs, for the README."""
    what = getattr(fn, "what", None) or (fn.__doc__ or fn.__name__).strip()
    return what.replace("URL/", "ftp://.../")


def write_readme(out, versions, captured):
    text = [
        "# Real control-connection transcripts",
        "",
        "Written by `python3 scripts/capture-transcripts.py` (do not edit by hand): each",
        "`<tool>-<case>.c2s` holds the bytes the client sent on the control connection, `.s2c` the",
        "bytes the server (the tokio example server `ftps-proto-tokio/examples/ftps-server.rs`,",
        "`--tls none`, on 127.0.0.1, user `anna`, password `secret`) sent back, as a recording proxy",
        "saw them. `fuzz/make_seeds.py` builds the `real-*` seeds from them (see `fuzz/README.md`).",
        "",
        "Tools and versions of this capture:",
        "",
    ]
    text += [f"- `{t}`: {v}" for t, v in versions.items() if v]
    text += ["", "| transcript | what ran | exit status | connections |", "| --- | --- | --- | --- |"]
    for tool, case, fn, status, n in captured:
        what = describe(fn).replace("|", "\\|")
        text.append(f"| `{tool}-{case}` | {what} | {status} | {n} |")
    text += ["", "A non-zero status is the tool's own verdict on a refused command (curl exits 21",
             "when the server answers `SITE HELP` with `502`): the transcript is still what was said.", ""]
    (out / "README.md").write_text("\n".join(text))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="capture only this tool's cases")
    ap.add_argument("--out", default=str(ROOT / "fuzz" / "transcripts"))
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not (SERVER_BIN.exists() and CLIENT_BIN.exists()):
        subprocess.run(["cargo", "build", "-q", "-p", "ftps-proto-tokio", "--example", "ftps-server",
                        "--example", "ftps-client"], cwd=ROOT, check=True)
    versions = {t: version(t) for t in TOOLS}
    written, captured = 0, []
    with tempfile.TemporaryDirectory(prefix="ftp-capture-") as tmp:
        base = pathlib.Path(tmp)
        for tool, case, fn in CASES:
            if args.only and tool != args.only:
                continue
            if versions[tool] is None:
                print(f"skip {tool}-{case}: {tool} is not installed")
                continue
            root = make_root(base)
            local = base / "local"
            shutil.rmtree(local, ignore_errors=True)
            local.mkdir()
            server = Server(base, root)
            proxy = Proxy(server.port)
            try:
                since = proxy.count()
                try:
                    status = fn(proxy.port, local)
                except (OSError, ftplib.Error, EOFError) as e:
                    status = f"error: {e}"
                sessions = proxy.take(since)
            finally:
                proxy.close()
                server.stop()
            captured.append((tool, case, fn, status, len(sessions)))
            for i, s in enumerate(sessions):
                name = f"{tool}-{case}" + (f"-{i + 1}" if i else "")
                (out / f"{name}.c2s").write_bytes(bytes(s.c2s))
                (out / f"{name}.s2c").write_bytes(bytes(s.s2c))
                written += 1
            print(f"{tool}-{case}: status {status}, {len(sessions)} session(s), "
                  + ", ".join(f"{len(s.c2s)}/{len(s.s2c)} bytes" for s in sessions))
    if not args.only:
        write_readme(out, versions, captured)
    print(f"{written} transcripts in {out}")


if __name__ == "__main__":
    main()
