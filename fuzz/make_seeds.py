#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/seed-*.

Run from anywhere: `python3 fuzz/make_seeds.py`. Seeds come from the replies and listings
captured from real servers (../shared/data/peers, copied here so the corpus is self-contained)
and from hand-written client and server transcripts. The byte layouts follow the harness
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


# ---- client command transcripts (curl, ftplib and lftp style) ----
CURL = (b"AUTH TLS\r\nUSER anna\r\nPASS secret\r\nPBSZ 0\r\nPROT P\r\nPWD\r\nCWD pub\r\n"
        b"EPSV\r\nTYPE I\r\nSIZE file.bin\r\nRETR file.bin\r\nQUIT\r\n")
FTPLIB = (b"AUTH TLS\r\nUSER anna\r\nPASS secret\r\nPBSZ 0\r\nPROT P\r\nTYPE A\r\nPASV\r\n"
          b"LIST\r\nTYPE I\r\nPASV\r\nSTOR up.bin\r\nQUIT\r\n")
LFTP = (b"FEAT\r\nAUTH TLS\r\nOPTS UTF8 ON\r\nUSER anna\r\nPASS secret\r\nPWD\r\nPBSZ 0\r\n"
        b"PROT P\r\nEPSV\r\nMLSD\r\nMDTM f.txt\r\nREST 100\r\nEPSV\r\nRETR f.txt\r\nQUIT\r\n")
ODD = (b"noop\r\nRETR my \"quoted\" dir/caf\xc3\xa9.txt\r\nSTOR a\r\0\nb\r\nCWD ../../..\r\n"
       b"\xff\xf4\xff\xf2ABOR\r\nPORT 1,2,3,300,4,5\r\nEPRT |2|::1|21|\r\nTYPE L 8\r\n"
       b"MFMT 20240229123456.250 f\r\nREST 18446744073709551616\r\nSITE CHMOD 644 x\r\n"
       b"ADAT " + b"QUFB" * 40 + b"\r\n\r\nX\r\n  \r\n")


def main():
    if CORPUS.exists():
        for d in CORPUS.iterdir():
            for f in d.glob("seed-*"):
                f.unlink()

    # command_parse: limits byte, chunking byte, stream.
    for i, (name, t) in enumerate([("curl", CURL), ("ftplib", FTPLIB), ("lftp", LFTP), ("odd", ODD)]):
        write("command_parse", name, bytes([0, i * 7]) + t)
        write("command_parse", name + "-small-limits", bytes([0x81 + i, 0]) + t)
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
    write("server_session", "curl", tls + login + b"PBSZ 0\r\nPROT P\r\nPWD\r\nCWD pub\r\n" + app(0, 0)
          + b"EPSV\r\n" + data(0, 0) + b"TYPE I\r\nSIZE f.txt\r\n" + app(0, 0, b"\x10") + b"RETR f.txt\r\n"
          + app(0, 0) + data(0, 2) + data(0, 5, 50) + b"QUIT\r\n")
    write("server_session", "ftplib", tls + login + list_passive + retr_pasv + b"QUIT\r\n")
    write("server_session", "lftp", b"FEAT\r\n" + tls + b"OPTS UTF8 ON\r\n" + login + b"PBSZ 0\r\nPROT P\r\n"
          + b"EPSV\r\n" + data(0, 0) + b"MLSD\r\n" + app(0, 0) + data(0, 2) + data(0, 5, 1)
          + b"MDTM f.txt\r\n" + app(0, 0, b"\x01\x02\x03\x04") + b"REST 100\r\n" + retr_pasv + b"QUIT\r\n")
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
