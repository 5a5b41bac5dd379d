#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/{seed,real}-*.

Run from anywhere: `python3 fuzz/make_seeds.py`. Seeds come from the replies and listings
captured from real servers (../shared/data/peers, copied here so the corpus is self-contained),
from scripted sessions (`seed-*`), and from the real control-connection transcripts of curl,
ftplib, lftp and ftps-client against our server in fuzz/transcripts/ (`real-*`; recapture them
with `python3 scripts/capture-transcripts.py`). The byte layouts follow the harness
docs in ftps-proto/src/harness/ (a header of parameter bytes, then the stream or script).
"""
import os
import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent
PEERS = HERE.parent.parent / "shared" / "data" / "peers"
CORPUS = HERE / "corpus"
SERVERS = ["vsftpd-explicit", "proftpd", "pure-ftpd", "pyftpdlib"]

# Script steps (ftps-proto/src/harness/script.rs).
EOF_ = b"\x00"
TLS_OK, TLS_FAIL, TLS_STOP = b"\x04", b"\x05", b"\x06"
DEADLINE = b"\x03"


def adv_ms(n):
    return b"\x01" + bytes([n])


def adv_s(n):
    return b"\x02" + bytes([n])


def data(pick, kind, arg=0):
    return b"\x07" + bytes([pick, kind, arg])


def app(which, sel, extra=b""):
    return bytes([[0x08, 0x0B, 0x0C, 0x0F, 0x11][which], sel]) + extra


def repeat(n):
    return b"\x0e" + bytes([n])


def short(b):
    return bytes([len(b)]) + b


def write(target, name, content):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(content)


def peer(server, name):
    p = PEERS / server / f"{name}.bin"
    return p.read_bytes() if p.exists() else None


def control_replies(server):
    out = []
    for p in sorted((PEERS / server).glob("*.bin")):
        n = p.name
        is_listing = n.startswith(("list-", "nlst-", "mlsd-")) and not n.endswith(".replies.bin")
        if not is_listing:
            out.append((p.stem, p.read_bytes()))
    return out


ODD = (b"noop\r\nRETR my \"quoted\" dir/caf\xc3\xa9.txt\r\nSTOR a\r\0\nb\r\nCWD ../../..\r\n"
       b"\xff\xf4\xff\xf2ABOR\r\nPORT 1,2,3,300,4,5\r\nEPRT |2|::1|21|\r\nTYPE L 8\r\n"
       b"MFMT 20240229123456.250 f\r\nREST 18446744073709551616\r\nSITE CHMOD 644 x\r\n"
       b"ADAT " + b"QUFB" * 40 + b"\r\n\r\nX\r\n  \r\n")


# ---- real transcripts (fuzz/transcripts, captured by scripts/capture-transcripts.py) ----
TRANSCRIPTS = HERE / "transcripts"
SERVER_NAME = "ftps-proto-tokio"  # the server every transcript was captured against
TRANSFER_VERBS = {b"RETR": 0, b"STOR": 1, b"APPE": 2, b"STOU": 3, b"LIST": 4, b"NLST": 5, b"MLSD": 6}
PASSIVE_VERBS = (b"PASV", b"EPSV")
ACTIVE_VERBS = (b"PORT", b"EPRT")
# Commands the server session asks the application (storage) to answer.
STORAGE_VERBS = (b"PASS", b"CWD", b"CDUP", b"MKD", b"RMD", b"DELE", b"RNFR", b"RNTO", b"MFMT",
                 b"SIZE", b"MDTM", b"XMKD", b"XRMD", b"XCWD")


def write_real(target, name, content):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"real-{name}").write_bytes(content)


def lines(stream):
    """The stream cut after each LF (a last unterminated piece is kept)."""
    out = []
    while stream:
        n = stream.find(b"\n")
        n = len(stream) if n < 0 else n + 1
        out.append(stream[:n])
        stream = stream[n:]
    return out


def replies(s2c):
    """The server's replies, each as (code, bytes); a multi-line reply is one item."""
    out, cur, code = [], b"", None
    for line in lines(s2c):
        cur += line
        if code is None:
            code = line[:3]
            if line[3:4] != b"-":
                out.append((int(code), cur))
                cur, code = b"", None
        elif line[:3] == code and line[3:4] == b" ":
            out.append((int(code), cur))
            cur, code = b"", None
    return out


def verb_arg(cmd):
    text = cmd.rstrip(b"\r\n")
    verb, _, arg = text.partition(b" ")
    return verb.upper(), arg


def pairs(c2s, s2c):
    """The greeting, then each command with its replies (a 1yz reply and the final one)."""
    rs = replies(s2c)
    greeting, rest = (rs[0][1], rs[1:]) if rs else (b"", [])
    out = []
    for cmd in lines(c2s):
        got = []
        while rest:
            code, r = rest.pop(0)
            got.append((code, r))
            if code >= 200:
                break
        out.append((cmd, got))
    return greeting, out


def transcripts():
    """(name, c2s, s2c) for every captured control connection, sorted by name."""
    out = []
    for c in sorted(TRANSCRIPTS.glob("*.c2s")):
        s = c.with_suffix(".s2c")
        if s.exists():
            out.append((c.stem, c.read_bytes(), s.read_bytes()))
    return out


def reply_size(rs):
    """The `Reader::size` bytes for the size in a `213` reply (0 when there is none)."""
    final = rs[-1][1] if rs else b""
    try:
        n = int(final[4:].strip()) if final.startswith(b"213") else 0
    except ValueError:
        n = 0
    n = min(n, 0xFFFF_FFFF)
    return bytes([n]) if n < 0xC0 else b"\xc0" + n.to_bytes(4, "little")


def server_script(c2s, s2c, tls):
    """A client's command stream as a `server_session` script: the header, then each command
    line as it was sent, followed by the adapter and application steps that make the session
    go on as the real server did (login accepted, storage answers, data connections that
    connect and finish). With `tls`, `AUTH TLS` + TLS established + `PBSZ 0` + `PROT P` go in
    before `USER`, and data connections report a resumed TLS session."""
    _, ps = pairs(c2s, s2c)
    verbs = [verb_arg(cmd)[0] for cmd, _ in ps]
    active = any(v in ACTIVE_VERBS for v in verbs)
    # c0: TLS none / explicit; c2: 3 login attempts, active to any address of the peer's
    # choosing when the client used PORT/EPRT (the captures ran on loopback, the harness peer
    # is 198.51.100.2); c3: no failed-login delay.
    out = bytes([0x01 if tls else 0x00, 0x00, 0x03 | (0x04 if active else 0), 0x02])
    connected = 2 if tls else 1
    secured = not tls
    listen = 0
    for cmd, rs in ps:
        verb, arg = verb_arg(cmd)
        if verb == b"USER" and not secured:
            out += b"AUTH TLS\r\n" + TLS_OK + b"PBSZ 0\r\nPROT P\r\n"
            secured = True
        out += cmd
        codes = [c for c, _ in rs]
        # The storage refused what the real server's storage refused (550: not found).
        failed = bool(codes) and codes[-1] >= 400
        if verb in PASSIVE_VERBS:
            out += data(0, 0, listen)
            listen += 1
        elif verb in TRANSFER_VERBS and failed and 150 not in codes and 125 not in codes:
            out += app(0, 3)
        elif verb in TRANSFER_VERBS:
            # 125: the client's data connection was there before the storage answered.
            early = 125 in codes and not active
            out += data(0, connected) if early else b""
            out += app(0, 0) + (short(b"u.bin") if verb == b"STOU" else b"")
            out += b"" if early else data(0, connected)
            out += data(0, 5, 100)
        elif verb in STORAGE_VERBS and failed:
            out += app(0, 3)
        elif verb == b"SIZE":
            out += app(0, 0, reply_size(rs))
        elif verb == b"MDTM" and b" " not in arg.strip():
            out += app(0, 0, (1_700_000_000 // 8).to_bytes(4, "little"))
        elif verb in (b"STAT", b"MLST") and arg:
            out += app(0, 3)  # a storage error: the harness's file facts need no bytes then
        elif verb in STORAGE_VERBS:
            out += app(0, 0)
    return out


# The client harness's operations (ftps-proto/src/harness/client.rs, application step B).
CLIENT_COMMANDS = {b"CWD": 0, b"CDUP": 1, b"PWD": 2, b"MKD": 3, b"RMD": 4, b"DELE": 5, b"SIZE": 7,
                   b"MDTM": 8, b"SITE": 11, b"SYST": 13, b"NOOP": 15, b"FEAT": 16, b"QUIT": 20}


def pool_key(cmd):
    """The verb, with the type for `TYPE` (`TYPE A` and `TYPE I` have their own replies)."""
    verb, arg = verb_arg(cmd)
    return verb + b" " + arg[:1].upper() if verb == b"TYPE" else verb


class ReplyPool:
    """Replies by verb: this transcript's first, in order, then any other transcript's."""

    def __init__(self, ps, fallback):
        self.own = {}
        for cmd, rs in ps:
            self.own.setdefault(pool_key(cmd), []).append(rs)
        self.fallback = fallback

    def take(self, *verbs):
        for v in verbs:
            if self.own.get(v):
                return self.own[v].pop(0)
        for v in verbs:
            if self.fallback.get(v):
                return self.fallback[v][0]
        return [(200, b"200 ok\r\n")]


def joined(rs):
    return b"".join(r for _, r in rs)


def client_script(c2s, s2c, fallback):
    """A server's reply stream as a `client_session` script: the operations the client tool
    performed, asked of the harness's client (login, commands, transfers), each answered with
    the replies the server sent for the same verbs in the capture (a reply the tool never
    asked for, such as `FEAT` for curl, comes from another capture of the same server), and
    the data connections that connect and finish."""
    greeting, ps = pairs(c2s, s2c)
    verbs = [verb_arg(cmd)[0] for cmd, _ in ps]
    active = any(v in ACTIVE_VERBS for v in verbs)
    # A client that used PASV only would need `PassiveMode::PasvOnly`, which the header cannot
    # select without also selecting active mode (0x20 alone reads as text): such transcripts
    # get EPSV and its 229 from another capture instead.
    pool = ReplyPool(ps, fallback)
    c0 = 0x80 if active else 0
    out = bytes([c0, 0x00, 0x00]) + greeting
    feat = pool.take(b"FEAT")
    out += joined(feat)
    if b"UTF8" in joined(feat):
        out += joined(pool.take(b"OPTS"))
    out += app(0, 0) + joined(pool.take(b"USER")) + joined(pool.take(b"PASS"))
    current_type, tool_type, rest = None, b"A", None
    for i, (cmd, _) in enumerate(ps):
        verb, arg = verb_arg(cmd)
        if verb == b"TYPE":
            tool_type = arg[:1].upper()
        if verb == b"REST":
            rest = int(arg) if arg.isdigit() else None
        if verb in TRANSFER_VERBS:
            kind = TRANSFER_VERBS[verb]
            listing = kind >= 4
            ascii_ = not listing and tool_type == b"A"
            # The client sends TYPE for file transfers only, when the type changes.
            want = current_type if listing else b"A" if ascii_ else b"I"
            # The tool's file argument (options such as `-a` are left out).
            path = b"" if arg.startswith(b"-") else arg
            flags = (0x80 if not path and listing else 0) | (0x40 if rest else 0) | (0x20 if ascii_ else 0)
            sel = next(v for v in range(256) if v % len(TRANSFER_VERBS) == kind and v & 0xE0 == flags)
            out += app(2, sel, short(path[:255]) + (reply_size([(213, b"213 %d" % rest)]) if rest else b""))
            if want != current_type:
                out += joined(pool.take(b"TYPE " + want))
                current_type = want
            if active:
                out += data(0, 0) + joined(pool.take(b"EPRT", b"PORT"))
            else:
                out += joined(pool.take(b"EPSV"))
                out += data(0, 1)
            if rest:
                out += joined(pool.take(b"REST"))
            rest = None
            rs = pool.take(verb)
            if active:
                out += data(0, 1)
            if len(rs) > 1:
                out += rs[0][1]
            out += data(0, 3, 100) + joined(rs[-1:])
        elif verb == b"RNFR":
            out += app(1, 6, short(arg[:255])) + joined(pool.take(b"RNFR")) + joined(pool.take(b"RNTO"))
        elif verb == b"TYPE" and arg.upper().startswith(b"I") and i + 1 < len(ps) \
                and verb_arg(ps[i + 1][0])[0] not in (*PASSIVE_VERBS, *ACTIVE_VERBS, *TRANSFER_VERBS):
            out += app(1, 17, short(b"")) + joined(pool.take(b"TYPE I"))
            current_type = b"I"
        elif verb in CLIENT_COMMANDS and (verb != b"FEAT" or i > 0):
            out += app(1, CLIENT_COMMANDS[verb], short(arg[:255])) + joined(pool.take(verb))
    return out


def real_transcript_seeds():
    """The real-* seeds of four targets, from every transcript in fuzz/transcripts."""
    all_ts = transcripts()
    fallback = {}
    for _, c2s, s2c in all_ts:
        for cmd, rs in pairs(c2s, s2c)[1]:
            if rs:
                fallback.setdefault(pool_key(cmd), []).append(rs)
    small_done = set()
    for i, (name, c2s, s2c) in enumerate(all_ts):
        tool = name.split("-")[0]
        write_real("command_parse", name, bytes([0, i * 7 % 64]) + c2s)
        write_real("reply_parse", f"{SERVER_NAME}-{name}", bytes([0, i * 5 % 64]) + s2c)
        if tool not in small_done:
            small_done.add(tool)
            write_real("command_parse", f"{name}-small-limits", bytes([0x81 + len(small_done), 0]) + c2s)
            write_real("reply_parse", f"{SERVER_NAME}-{name}-small-limits", b"\x9d\x00" + s2c)
        write_real("server_session", name, server_script(c2s, s2c, tls=False))
        write_real("server_session", f"{name}-tls", server_script(c2s, s2c, tls=True))
        write_real("client_session", f"{SERVER_NAME}-{name}", client_script(c2s, s2c, fallback))


def main():
    if CORPUS.exists():
        for d in CORPUS.iterdir():
            for f in [*d.glob("seed-*"), *d.glob("real-*")]:
                f.unlink()

    # command_parse: limits byte, chunking byte, stream.
    write("command_parse", "odd", b"\x00\x15" + ODD)
    write("command_parse", "odd-small-limits", b"\x84\x00" + ODD)
    write("command_parse", "long-line", b"\x80\x03" + b"A" * 200 + b"\r\nNOOP\r\n")
    write("command_parse", "telnet", b"\x00\x05\xff\xfd\x18\xff\xfb\x01US\xff\xffER x\r\nNOOP\r\xff\xf1\n")

    # reply_parse: limits byte, chunking byte, stream of replies.
    for server in SERVERS:
        allr = b"".join(b for _, b in control_replies(server))
        write("reply_parse", f"{server}-all", b"\x00\x03" + allr)
        write("reply_parse", f"{server}-all-small", b"\x9d\x00" + allr)
        for name in ["greeting", "feat", "help", "pwd", "quit", "epsv", "pasv"]:
            b = peer(server, name)
            if b:
                write("reply_parse", f"{server}-{name}", b"\x00\x01" + b)
    write("reply_parse", "bare-lf", b"\x00\x02220-a\n123 inner\n220 end\n331\n")
    write("reply_parse", "protected", b"\x00\x00631-AAAA\r\n631-BBBB\r\n631 CCCC\r\n")

    # command_roundtrip: verb index, arguments, escaping byte.
    for v in range(58):
        write("command_roundtrip", f"verb{v:02}", bytes([v]) + short(b"my file.txt") + b"\x01\x02\x03\x04\x05\x06\x07\x08\x00")
    write("command_roundtrip", "cr-escaped", bytes([16]) + short(b"a\r\nb") + b"\x01")

    # reply_roundtrip: two code bytes, text.
    for i, (code, text) in enumerate([(220, b"ready"), (211, b"Features:\n SIZE\n123 x\nEnd"),
                                      (631, b"AAAA\nBBBB\nCCCC"), (550, b"bad\r\n230 fake\0\xff")]):
        write("reply_roundtrip", f"r{i}", (code - 100).to_bytes(2, "little") + text)
    for server in SERVERS:
        b = peer(server, "feat")
        if b:
            write("reply_roundtrip", f"{server}-feat", (211 - 100).to_bytes(2, "little") + b[4:].replace(b"\r\n", b"\n"))

    # reply_body: selector, 40 value bytes, text.
    values = bytes(range(1, 41))
    for server in SERVERS:
        for name in ["pasv", "epsv", "pwd", "mkd", "size", "mdtm", "feat", "pbsz-0"]:
            b = peer(server, name)
            if b:
                text = b[4:].rstrip(b"\r\n").replace(b"\r\n", b"\n")
                write("reply_body", f"{server}-{name}", bytes([len(name) % 5]) + values + text)
    write("reply_body", "mark", b"\x02" + values + b"MARK 12 = 34")
    write("reply_body", "timeval", b"\x04" + values + b"20240229123456.250")

    # listing_parse: max-line byte, chunking byte, total byte, listing.
    for server in SERVERS:
        for name in ["list-root", "list-a-root", "nlst-root", "mlsd-root", "list-subdir"]:
            b = peer(server, name)
            if b:
                write("listing_parse", f"{server}-{name}", b"\x03\x05\x00" + b)
    write("listing_parse", "dos", b"\x03\x00\x00" + b"01-02-24  01:30PM       <DIR>          my dir\r\n"
          b"12-31-99  11:59AM              1234 file.txt\r\n")
    write("listing_parse", "devices", b"\x02\x09\x90" + b"total 8\ncrw-rw---- 1 root tty 4, 64 Jan  1 12:00 tty0\n"
          b"lrwxrwxrwx 1 0 0 12 Oct 22  2019 a -> b\n")

    # listing_roundtrip: FileInfo fields, fact-set, now.
    for i, kind in enumerate(range(7)):
        fi = (bytes([kind]) + short(b"name with spaces.txt") + b"\x05" + b"\xa4\x81\x00\x00" + b"\x01"
              + b"\x3f" + (1_600_000_000).to_bytes(8, "little") + short(b"owner") + short(b"group")
              + short(b"target") + short(b"u123") + short(b"adfr"))
        write("listing_roundtrip", f"kind{i}", fi + short(b"type;size;modify;perm;unique;UNIX.mode;UNIX.owner;UNIX.group;")
              + (900_000_000).to_bytes(4, "little"))

    # path_jail: limits byte, cwd, argument.
    for i, (cwd, arg) in enumerate([(b"/pub", b"../../../etc/passwd"), (b"a/b/c", b"./x//y/"),
                                    (b"/", b"/..\\..\\win"), (b"/d", b"a\0b"), (b"", b"~/..//.")]):
        write("path_jail", f"p{i}", b"\x00" + short(cwd) + arg)
    write("path_jail", "limits", b"\x9a" + short(b"/a") + b"b/c/d/e/f/g")

    # ascii: chunking byte, data.
    write("ascii", "text", b"\x00line one\nline two\r\nlone\rcr\n\n")
    write("ascii", "crlf-split", b"\x07" + b"a\r\n" * 20 + b"\r")
    for server in SERVERS[:2]:
        write("ascii", f"{server}-list", b"\x05" + (peer(server, "list-root") or b""))

    # server_session: [header], then a script of client lines and events.
    login = b"USER anna\r\nPASS secret\r\n" + app(0, 0)
    tls = b"AUTH TLS\r\n" + TLS_OK
    list_passive = (b"PBSZ 0\r\nPROT P\r\nEPSV\r\n" + data(0, 0) + b"LIST\r\n" + app(0, 0)
                    + data(0, 2, 1) + data(0, 6, 100) + data(0, 5, 200))
    retr_pasv = b"TYPE I\r\nPASV\r\n" + data(0, 0, 3) + b"RETR f.txt\r\n" + app(0, 0) + data(0, 2, 1) + data(0, 5, 9)
    stor_active = b"PORT 198,51,100,2,156,64\r\nSTOR up.bin\r\n" + app(0, 0) + data(0, 2, 0) + data(0, 5, 7)
    write("server_session", "plain-active", b"\x00\x00\x00\x00" + login + stor_active + b"CCC\r\nQUIT\r\n")
    write("server_session", "implicit", b"\x03\x00\x00\x00" + TLS_OK + login + list_passive + b"QUIT\r\n")
    write("server_session", "steal-and-clear", tls + login + b"PROT P\r\nPBSZ 0\r\nPROT P\r\nPASV\r\n" + data(0, 0)
          + b"RETR f\r\n" + app(0, 0) + data(0, 4) + data(0, 1) + data(0, 3) + data(0, 2) + data(0, 5, 1))
    write("server_session", "injection", b"AUTH TLS\r\nUSER evil\r\n" + TLS_OK + b"USER x\r\n")
    write("server_session", "timeouts", b"\x02\x80\x00\x02" + b"USER a\r\n" + DEADLINE + adv_s(200) + DEADLINE)
    write("server_session", "flood", b"\x01\xc1\x00\x00" + b"NOOP " + b"x" * 100 + repeat(255) + b"USER a\r\n" + repeat(100))
    write("server_session", "failed-logins", b"\x01\x00\x03\x00" + (b"USER a\r\nPASS b\r\n" + app(0, 1) + DEADLINE) * 4)
    write("server_session", "rename-stat", tls + login + b"RNFR a\r\n" + app(0, 0) + b"RNTO b\r\n" + app(0, 0)
          + b"STAT f\r\n" + app(0, 0, b"\x02" + b"\x00" * 40) + b"MLST f\r\n" + app(0, 0, b"\x01" * 40)
          + b"MKD \"d\"\r\n" + app(0, 1, short(b"x")) + b"STOU\r\n" + b"REIN\r\n" + TLS_STOP)

    # client_session: [header], then a script of server lines, events and caller requests.
    greet_tls = b"220 ready\r\n234 ok\r\n" + TLS_OK + b"211-Features:\r\n UTF8\r\n EPSV\r\n211 End\r\n200 ok\r\n200 PBSZ=0\r\n200 ok\r\n"
    login_c = app(0, 0) + b"331 pw\r\n230 in\r\n"
    write("client_session", "explicit-list", greet_tls + login_c + app(2, 4, short(b""))
          + b"229 Entering Extended Passive Mode (|||40000|)\r\n" + data(0, 2) + b"150 ok\r\n" + data(0, 3, 5)
          + b"226 done\r\n" + app(1, 20, short(b"")) + b"221 bye\r\n")
    write("client_session", "retr-offset", greet_tls + login_c + app(2, 0x40, short(b"f.bin") + b"\x64")
          + b"200 type\r\n229 (|||40000|)\r\n" + data(0, 2) + b"350 rest\r\n150 ok\r\n" + data(0, 3, 9) + b"226 ok\r\n")
    write("client_session", "plain-pasv", b"\x00\x00\x00220 hi\r\n211 no\r\n" + login_c + app(2, 1, short(b"up"))
          + b"200 ok\r\n500 no epsv\r\n227 Entering Passive Mode (10,0,0,9,156,64)\r\n" + data(0, 1)
          + b"150 ok\r\n" + data(0, 3, 1) + b"226 ok\r\n" + app(1, 2, short(b"")) + b"257 \"/a\"\"b\" ok\r\n")
    write("client_session", "active", b"\x80\x00\x01220 hi\r\n234 ok\r\n" + TLS_OK + b"211 no\r\n200 ok\r\n200 ok\r\n"
          + login_c + app(2, 5, short(b"")) + data(0, 0) + b"200 type\r\n200 port\r\n150 ok\r\n" + data(0, 2)
          + data(0, 3) + b"226 ok\r\n")
    write("client_session", "implicit", b"\x03\x00\x00" + TLS_OK + b"220 hi\r\n211 no\r\n200 ok\r\n200 ok\r\n" + login_c
          + app(1, 0, short(b"dir")) + b"250 ok\r\n" + app(1, 6, short(b"a")) + b"350 ok\r\n250 ok\r\n")
    real_transcript_seeds()
    write("client_session", "injection", b"220 hi\r\n234 ok\r\n230 injected\r\n")
    write("client_session", "endless", b"\x00\x95\x00220-hi\r\n" + b"more text\r\n" + repeat(200))
    write("client_session", "timeouts", b"\x01\x00\x20" + app(0, 0) + adv_s(1) + b"220 hi\r\n" + DEADLINE + DEADLINE)
    write("client_session", "abort", greet_tls + login_c + app(2, 0, short(b"big")) + b"200 ok\r\n229 (|||40000|)\r\n"
          + data(0, 2) + b"150 ok\r\n" + app(3, 0) + b"426 aborted\r\n226 abor ok\r\n" + app(4, 60, short(b"XCRC f")))
    for server in SERVERS:
        b = peer(server, "greeting")
        f = peer(server, "feat")
        if b and f:
            write("client_session", f"{server}-greeting", b + (peer(server, "auth-tls") or b"") + TLS_OK + f)

    # pair_session: two configuration bytes, then steps (harness/pair.rs).
    def xfer(kind, path, data=b"", flags=0, offset=None):
        out = bytes([1, kind, path, len(data)]) + data + bytes([flags])
        return out + (bytes([offset]) if offset is not None else b"")

    def cmd(path, which):
        return bytes([5, path, which])

    login_p = b"\x00"
    basic = (login_p + xfer(1, 0, b"hello world\n") + xfer(0, 0) + xfer(4, 3) + xfer(6, 4) + xfer(5, 4)
             + xfer(2, 0, b"more") + xfer(3, 4, b"unique") + cmd(0, 6) + cmd(2, 5) + cmd(0, 1) + cmd(0, 11))
    write("pair_session", "explicit", b"\x01\x00" + basic)
    write("pair_session", "plain-active", b"\x04\x00" + basic)
    write("pair_session", "implicit-pasv", b"\x0a\x10" + basic)
    write("pair_session", "opportunistic", b"\x03\x20" + basic)
    write("pair_session", "faults", b"\x01\x00" + login_p + bytes([10, 0, 3]) + xfer(1, 0, b"x" * 50)
          + bytes([10, 1, 2]) + xfer(0, 1) + bytes([10, 2]) + xfer(0, 0) + bytes([14]) + bytes([11, 0])
          + xfer(4, 3) + bytes([9]) + bytes([12, 5]) + b"230 x" + bytes([8]))
    write("pair_session", "big-ascii", b"\x01\x00" + login_p + xfer(1, 2, b"", 0) [:-2] + bytes([210, 2])
          + xfer(0, 2, b"", 2) + xfer(1, 1, b"abc", 1, 2))
    write("pair_session", "stall", b"\x01\x40" + login_p + bytes([10, 2]) + xfer(0, 0) + bytes([13, 0, 16])
          + bytes([11, 3]) + xfer(4, 4) + bytes([14, 14, 14]))


if __name__ == "__main__":
    main()
