//! Every control reply captured from real servers (`shared/data/peers`, see its README.md)
//! decodes into the reply codes its `index.md` lists, whole and byte by byte; the bodies a
//! client needs (227, 229, 257, 213, 211 FEAT, 200 PBSZ=) are extracted from them.
//! REP-FORMAT, REP-MULTI, REP-ANYMULTI, FRM-EOL, C959-PASV, C959-PWD, C959-MKD, E2428-229,
//! X3659-SIZE, X3659-MDTM, F2389-PARSE, T4217-FEAT, S2228-PBSZ.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};

use ftps_proto::codec::reply_body::{
    parse_213_size, parse_213_time, parse_227, parse_229, parse_257, parse_feat, parse_pbsz,
};
use ftps_proto::codec::ReplyAssembler;
use ftps_proto::{Limits, Reply, Status};

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/peers")
}

fn read(server: &str, file: &str) -> Vec<u8> {
    let path = peers().join(server).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// All replies of a capture, decoded with `Reply::parse` from the whole buffer.
fn replies(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match Reply::parse(rest, &Limits::default()) {
            Ok(Status::Complete((used, reply))) => {
                out.push((reply.code().get(), reply.text().to_vec()));
                rest = &rest[used..];
            }
            other => panic!("{other:?} at {:?}", String::from_utf8_lossy(rest)),
        }
    }
    out
}

/// The same, byte by byte through line framing and a `ReplyAssembler`.
fn replies_bytewise(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut assembler = ReplyAssembler::new(Limits::default());
    let mut line = Vec::new();
    let mut out = Vec::new();
    for &b in bytes {
        if b != b'\n' {
            line.push(b);
            continue;
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if let Some(reply) = assembler.push_line(&line).expect("valid reply line") {
            out.push((reply.code().get(), reply.text().to_vec()));
        }
        line.clear();
    }
    assert!(line.is_empty() && !assembler.in_progress());
    out
}

/// The single reply of a capture.
fn only(server: &str, file: &str) -> (u16, Vec<u8>) {
    let mut all = replies(&read(server, file));
    assert_eq!(all.len(), 1, "{server}/{file}");
    all.remove(0)
}

/// `(file, bytes, codes)` for every row of a server's capture table in index.md (the table of
/// the listed tree has fewer columns).
fn index(server: &str) -> Vec<(String, usize, Vec<u16>)> {
    let text = String::from_utf8(read(server, "index.md")).expect("UTF-8 index");
    text.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| line.split('|').map(str::trim).collect::<Vec<&str>>())
        .filter(|cells| cells.len() == 7)
        .map(|cells| {
            let file = cells[1].trim_matches('`').to_string();
            let bytes = cells[3].parse().expect("byte count");
            let codes = cells[4]
                .split_whitespace()
                .map(|c| c.parse().expect("reply code"))
                .collect();
            (file, bytes, codes)
        })
        .collect()
}

const SERVERS: [&str; 6] = [
    "vsftpd-explicit",
    "vsftpd-implicit",
    "proftpd",
    "proftpd-implicit",
    "pure-ftpd",
    "pyftpdlib",
];

#[test]
fn every_control_capture_decodes_to_its_indexed_codes() {
    let mut checked = 0;
    for server in SERVERS {
        let rows = index(server);
        assert!(!rows.is_empty(), "{server}: empty index");
        for (file, size, codes) in rows {
            let bytes = read(server, &file);
            // vsftpd's PWD/MKD captures had the FTP root's real path replaced by `/srv/ftp`
            // after the index was written (README.md).
            let path_replaced = server == "vsftpd-explicit"
                && ["pwd.bin", "mkd.bin", "pwd-in-dir.bin"].contains(&file.as_str());
            if !path_replaced {
                assert_eq!(bytes.len(), size, "{server}/{file}: size");
            }
            let is_listing_data = file.ends_with(".bin")
                && !file.ends_with(".replies.bin")
                && peers()
                    .join(server)
                    .join(file.replace(".bin", ".replies.bin"))
                    .exists();
            if is_listing_data {
                assert!(
                    codes.is_empty(),
                    "{server}/{file}: data files carry no codes"
                );
                continue;
            }
            let whole = replies(&bytes);
            let got: Vec<u16> = whole.iter().map(|(c, _)| *c).collect();
            assert_eq!(got, codes, "{server}/{file}");
            assert_eq!(
                replies_bytewise(&bytes),
                whole,
                "{server}/{file}: byte by byte"
            );
            checked += 1;
        }
    }
    // 4 full servers x ~40 control captures + 2 implicit greetings.
    assert!(checked >= 150, "only {checked} captures checked");
}

#[test]
fn every_bin_file_is_indexed() {
    for server in SERVERS {
        let indexed: Vec<String> = index(server).into_iter().map(|(f, _, _)| f).collect();
        for entry in std::fs::read_dir(peers().join(server)).expect("server dir") {
            let name = entry
                .expect("dir entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name");
            if name.ends_with(".bin") {
                assert!(indexed.contains(&name), "{server}/{name} not in index.md");
            }
        }
    }
}

#[test]
fn c959_pasv_227_from_every_server() {
    for (server, p1, p2) in [
        ("vsftpd-explicit", 117, 165),
        ("proftpd", 117, 180),
        ("pure-ftpd", 117, 210), // no trailing period
        ("pyftpdlib", 117, 221),
    ] {
        let (code, text) = only(server, "pasv.bin");
        assert_eq!(code, 227);
        assert_eq!(
            parse_227(&text),
            Ok(SocketAddrV4::new(Ipv4Addr::LOCALHOST, p1 * 256 + p2)),
            "{server}"
        );
    }
}

#[test]
fn e2428_229_from_every_server() {
    for (server, port) in [
        ("vsftpd-explicit", 30119),
        ("proftpd", 30135),
        ("pure-ftpd", 30161),
        ("pyftpdlib", 30179),
    ] {
        let (code, text) = only(server, "epsv.bin");
        assert_eq!((code, parse_229(&text)), (229, Ok(port)), "{server}");
    }
}

#[test]
fn c959_pwd_and_mkd_257_from_every_server() {
    let quoted: &[u8] = br#"/my "quoted" dir"#;
    for (server, root, mkd) in [
        (
            "vsftpd-explicit",
            &b"/srv/ftp"[..],
            &br#"/srv/ftp/my "quoted" dir"#[..],
        ),
        ("proftpd", b"/", quoted),
        // Pure-FTPd neither doubles the quotes nor gives an absolute path in MKD.
        ("pure-ftpd", b"/", br#"my "quoted" dir"#),
        ("pyftpdlib", b"/", quoted),
    ] {
        let (code, text) = only(server, "pwd.bin");
        assert_eq!(code, 257);
        assert_eq!(parse_257(&text).unwrap(), root, "{server} pwd");
        let (code, text) = only(server, "mkd.bin");
        assert_eq!(code, 257);
        assert_eq!(parse_257(&text).unwrap(), mkd, "{server} mkd");
        let (code, text) = only(server, "pwd-in-dir.bin");
        assert_eq!(code, 257);
        let expected = if server == "vsftpd-explicit" {
            &br#"/srv/ftp/my "quoted" dir"#[..]
        } else {
            quoted
        };
        assert_eq!(parse_257(&text).unwrap(), expected, "{server} pwd-in-dir");
    }
}

#[test]
fn x3659_size_and_mdtm_213() {
    for server in ["vsftpd-explicit", "proftpd", "pure-ftpd", "pyftpdlib"] {
        let (code, text) = only(server, "size.bin");
        assert_eq!((code, parse_213_size(&text)), (213, Ok(1234)), "{server}");
        let (code, text) = only(server, "mdtm.bin");
        assert_eq!(code, 213);
        let t = parse_213_time(&text).expect("time-val");
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute),
            (2026, 11, 21, 11, 48),
            "{server}"
        );
    }
    let (_, text) = only("vsftpd-explicit", "mdtm.bin");
    assert_eq!(parse_213_time(&text).map(|t| t.second), Ok(7));
    // SIZE in TYPE A: answered by vsftpd and Pure-FTPd, refused by ProFTPD and pyftpdlib.
    assert_eq!(only("pure-ftpd", "size-ascii.bin").0, 213);
    assert_eq!(only("proftpd", "size-ascii.bin").0, 550);
}

#[test]
fn f2389_feat_from_every_server() {
    for server in ["vsftpd-explicit", "proftpd", "pure-ftpd", "pyftpdlib"] {
        for file in ["feat.bin", "plain-feat.bin"] {
            let (code, text) = only(server, file);
            assert_eq!(code, 211);
            let feat = parse_feat(&text);
            // T4217-FEAT
            for name in [
                "AUTH TLS",
                "PBSZ",
                "PROT",
                "EPSV",
                "REST STREAM",
                "SIZE",
                "MDTM",
                "TVFS",
            ] {
                assert!(feat.contains(name), "{server}/{file}: {name}");
            }
            assert!(!feat.contains("FEATURES:") && !feat.contains("END"));
        }
    }
    assert_eq!(parse_feat(&only("vsftpd-explicit", "feat.bin").1).len(), 10);
    let proftpd = parse_feat(&only("proftpd", "feat.bin").1);
    assert_eq!(proftpd.len(), 20);
    assert_eq!(proftpd.params("LANG"), Some(&b"C.UTF-8*"[..]));
    assert_eq!(
        proftpd.params("MFF"),
        Some(&b"modify;UNIX.group;UNIX.mode;"[..])
    );
    let facts: Vec<&[u8]> = proftpd
        .mlst_facts()
        .filter(|(_, d)| *d)
        .map(|(f, _)| f)
        .collect();
    assert_eq!(facts.len(), 10);
    assert_eq!(facts[0], b"modify");
    let pure = parse_feat(&only("pure-ftpd", "feat.bin").1);
    assert!(pure.mlst_facts().any(|(f, d)| f == b"sizd" && d));
    let py = parse_feat(&only("pyftpdlib", "feat.bin").1);
    assert!(py.contains("AUTH SSL") && py.contains("AUTH TLS"));
    assert!(py.mlst_facts().any(|(f, d)| f == b"unix.mode" && !d));
}

#[test]
fn s2228_pbsz_200_from_every_server() {
    for (server, size) in [
        ("vsftpd-explicit", None),
        ("proftpd", None),
        ("pure-ftpd", Some(0)),
        ("pyftpdlib", Some(0)),
    ] {
        let (code, text) = only(server, "pbsz-0.bin");
        assert_eq!((code, parse_pbsz(&text)), (200, size), "{server}");
    }
}

#[test]
fn rep_anymulti_pure_ftpd_greeting_quit_and_listing() {
    let (code, text) = only("pure-ftpd", "greeting.bin");
    assert_eq!(code, 220);
    let reply = Reply::new(ftps_proto::ReplyCode::C220, text.as_slice());
    assert_eq!(reply.lines().count(), 5);
    assert_eq!(
        reply.lines().next(),
        Some(&b"--------- Welcome to Pure-FTPd [privsep] [TLS] ----------"[..])
    );
    assert_eq!(
        only("pure-ftpd", "quit.bin"),
        (
            221,
            b"Goodbye. You uploaded 0 and downloaded 0 kbytes.\nLogout.".to_vec()
        )
    );
    assert_eq!(
        replies(&read("pure-ftpd", "list-root.replies.bin")),
        [
            (150, b"Accepted data connection".to_vec()),
            (226, b"Options: -l \n9 matches total".to_vec())
        ]
    );
    assert_eq!(only("pure-ftpd", "plain-user.bin").0, 421);
}

#[test]
fn rep_multi_stat_and_help_bodies() {
    let (code, text) = only("vsftpd-explicit", "stat.bin");
    assert_eq!(code, 211);
    assert_eq!(text.split(|&b| b == b'\n').count(), 11);
    let (code, text) = only("proftpd", "help.bin");
    assert_eq!(code, 214);
    assert_eq!(
        text.split(|&b| b == b'\n').next_back(),
        Some(&b"Direct comments to root@127.0.0.1"[..])
    );
    let (code, text) = only("proftpd", "mlst-file.bin");
    assert_eq!(code, 250);
    assert!(text
        .split(|&b| b == b'\n')
        .nth(1)
        .unwrap()
        .ends_with(b"; /file1234.bin"));
}

/// The capture with one space before each inner line that starts with a digit (REP-PAD),
/// which is what the encoder must produce for these CRLF captures.
fn padded(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Ok(Status::Complete((used, _))) = Reply::parse(rest, &Limits::default()) {
        let lines: Vec<&[u8]> = rest[..used].split_inclusive(|&b| b == b'\n').collect();
        for (i, line) in lines.iter().enumerate() {
            let inner = i > 0 && i + 1 < lines.len();
            if inner && line.first().is_some_and(u8::is_ascii_digit) {
                out.push(b' ');
            }
            out.extend_from_slice(line);
        }
        rest = &rest[used..];
    }
    out
}

#[test]
fn encode_reproduces_every_capture() {
    // Encoding the decoded replies gives back the captured bytes (all CRLF, no IAC), with
    // digit-leading inner lines padded.
    let mut padded_files = Vec::new();
    for server in SERVERS {
        for (file, _, codes) in index(server) {
            if codes.is_empty() {
                continue;
            }
            let bytes = read(server, &file);
            let mut out = Vec::new();
            let mut rest = &bytes[..];
            while let Ok(Status::Complete((used, reply))) = Reply::parse(rest, &Limits::default()) {
                reply.encode(&mut out).unwrap();
                rest = &rest[used..];
            }
            let expected = padded(&bytes);
            if expected != bytes {
                padded_files.push(format!("{server}/{file}"));
            }
            assert_eq!(out, expected, "{server}/{file}");
        }
    }
    // Pure-FTPd repeats `220-` on the inner lines of its greeting.
    assert_eq!(
        padded_files,
        ["pure-ftpd/plain-greeting.bin", "pure-ftpd/greeting.bin"]
    );
}
