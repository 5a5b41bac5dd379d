//! Time-val tests (RFC 3659 §2.3): rows X3659-TIME and X3659-MDTM of CONFORMANCE.md.

use ftps_proto::timeval::TimeVal;
use proptest::prelude::*;

fn encoded(t: &TimeVal) -> Vec<u8> {
    let mut out = Vec::new();
    t.encode(&mut out);
    out
}

// X3659-TIME: the suggested vectors.
#[test]
fn x3659_time_accepts_fraction() {
    let t = TimeVal::parse(b"19980615100045.014").unwrap();
    assert_eq!(
        t,
        TimeVal {
            year: 1998,
            month: 6,
            day: 15,
            hour: 10,
            minute: 0,
            second: 45,
            nanos: 14_000_000,
            frac_digits: 3,
        }
    );
    assert_eq!(encoded(&t), b"19980615100045.014");
    assert_eq!(t.to_string(), "19980615100045.014");
}

#[test]
fn x3659_time_rejects_short_bad_month_and_bare_dot() {
    assert_eq!(TimeVal::parse(b"1998061510004"), None);
    assert_eq!(TimeVal::parse(b"19981315100045"), None);
    assert_eq!(TimeVal::parse(b"19980615100045."), None);
}

#[test]
fn x3659_time_whole_seconds_have_no_fraction() {
    let t = TimeVal::from_unix(1_000_000_000, 0).unwrap();
    assert_eq!(t.frac_digits, 0);
    assert_eq!(t.to_string(), "20010909014640");
}

#[test]
fn x3659_time_field_ranges() {
    // Leap years: 2024 and 2000 are, 1900 and 2023 are not.
    assert!(TimeVal::parse(b"20240229000000").is_some());
    assert!(TimeVal::parse(b"20000229000000").is_some());
    assert_eq!(TimeVal::parse(b"19000229000000"), None);
    assert_eq!(TimeVal::parse(b"20230229000000"), None);
    assert_eq!(TimeVal::parse(b"20240230000000"), None);
    assert_eq!(TimeVal::parse(b"20240431000000"), None);
    assert!(TimeVal::parse(b"20240131000000").is_some());
    assert_eq!(TimeVal::parse(b"20240132000000"), None);
    assert_eq!(TimeVal::parse(b"20240100000000"), None);
    assert_eq!(TimeVal::parse(b"20240001000000"), None);
    assert_eq!(TimeVal::parse(b"20240101240000"), None);
    assert_eq!(TimeVal::parse(b"20240101236000"), None);
    // Second 60 (leap second) is allowed, 61 is not.
    assert_eq!(TimeVal::parse(b"20161231235960").unwrap().second, 60);
    assert_eq!(TimeVal::parse(b"20161231235961"), None);
    // Years 1000-9999 only.
    assert!(TimeVal::parse(b"10000101000000").is_some());
    assert_eq!(TimeVal::parse(b"09991231235959"), None);
    assert!(TimeVal::parse(b"99991231235959").is_some());
}

#[test]
fn x3659_time_rejects_hostile_bytes() {
    assert_eq!(TimeVal::parse(b""), None);
    assert_eq!(TimeVal::parse(b"2024010100000\0"), None);
    assert_eq!(TimeVal::parse(b"2024010100000\xff"), None);
    assert_eq!(TimeVal::parse(b"+2024010100000"), None);
    assert_eq!(TimeVal::parse(b"20240101000000 "), None);
    assert_eq!(TimeVal::parse(b" 20240101000000"), None);
    assert_eq!(TimeVal::parse(b"202401010000000"), None);
    assert_eq!(TimeVal::parse(b"20240101000000.1x"), None);
    assert_eq!(TimeVal::parse(b"20240101000000.-1"), None);
    assert_eq!(TimeVal::parse(b"20240101000000,5"), None);
    // Ten fraction digits are finer than TimeVal stores: refused, not rounded.
    assert_eq!(TimeVal::parse(b"20240101000000.1234567890"), None);
    assert_eq!(TimeVal::parse(&[b'9'; 1 << 20]), None);
}

#[test]
fn x3659_time_fraction_digits_kept() {
    let t = TimeVal::parse(b"20240101000000.5").unwrap();
    assert_eq!((t.nanos, t.frac_digits), (500_000_000, 1));
    let t = TimeVal::parse(b"20240101000000.000000001").unwrap();
    assert_eq!((t.nanos, t.frac_digits), (1, 9));
    let t = TimeVal::parse(b"20240101000000.000").unwrap();
    assert_eq!((t.nanos, t.frac_digits), (0, 3));
    assert_eq!(encoded(&t), b"20240101000000.000");
}

#[test]
fn unix_conversion_known_answers() {
    let epoch = TimeVal::parse(b"19700101000000").unwrap();
    assert_eq!(epoch.to_unix(), 0);
    assert_eq!(TimeVal::from_unix(0, 0), Some(epoch));
    // The old-2019.txt of the captures: 2019-03-04 05:06:07 UTC.
    let t = TimeVal::parse(b"20190304050607").unwrap();
    assert_eq!(t.to_unix(), 1_551_675_967);
    assert_eq!(TimeVal::from_unix(1_551_675_967, 0), Some(t));
    // Before 1970.
    let t = TimeVal::parse(b"19691231235959").unwrap();
    assert_eq!(t.to_unix(), -1);
    assert_eq!(TimeVal::from_unix(-1, 0), Some(t));
    // Fraction: shortest exact digits.
    let t = TimeVal::from_unix(1, 120_000_000).unwrap();
    assert_eq!(t.to_string(), "19700101000001.12");
    assert_eq!(
        TimeVal::from_unix(1, 1).unwrap().to_string(),
        "19700101000001.000000001"
    );
    // Leap second counts as the next minute's first second.
    assert_eq!(TimeVal::parse(b"19700101000060").unwrap().to_unix(), 60);
    // Range ends.
    assert_eq!(
        TimeVal::from_unix(253_402_300_799, 0).unwrap().to_string(),
        "99991231235959"
    );
    assert_eq!(TimeVal::from_unix(253_402_300_800, 0), None);
    assert_eq!(
        TimeVal::from_unix(-30_610_224_000, 0).unwrap().to_string(),
        "10000101000000"
    );
    assert_eq!(TimeVal::from_unix(-30_610_224_001, 0), None);
    assert_eq!(TimeVal::from_unix(0, 1_000_000_000), None);
    assert_eq!(TimeVal::from_unix(i64::MAX, 0), None);
    assert_eq!(TimeVal::from_unix(i64::MIN, 0), None);
}

#[test]
fn new_validates() {
    assert_eq!(
        TimeVal::new(2024, 2, 29, 23, 59, 60).unwrap().to_string(),
        "20240229235960"
    );
    assert_eq!(TimeVal::new(2023, 2, 29, 0, 0, 0), None);
    assert_eq!(TimeVal::new(999, 1, 1, 0, 0, 0), None);
}

// X3659-MDTM: the reply text of a 213 is exactly a time-val; the captured MDTM replies parse.
#[test]
fn x3659_mdtm_captured_replies() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/peers");
    for server in ["vsftpd-explicit", "proftpd", "pure-ftpd", "pyftpdlib"] {
        let bytes = std::fs::read(dir.join(server).join("mdtm.bin")).unwrap();
        let line = bytes
            .strip_prefix(b"213 ")
            .unwrap()
            .strip_suffix(b"\r\n")
            .unwrap();
        let t = TimeVal::parse(line).unwrap();
        assert_eq!(encoded(&t), line, "{server}");
        assert_eq!(t.year, 2026, "{server}");
    }
}

fn any_timeval() -> impl Strategy<Value = TimeVal> {
    (
        1000u16..=9999,
        1u8..=12,
        1u8..=31,
        0u8..=23,
        0u8..=59,
        0u8..=60,
        0u8..=9,
        0u32..1_000_000_000,
    )
        .prop_filter_map("valid day", |(y, mo, d, h, mi, s, digits, n)| {
            let scale = 10u32.pow(9 - u32::from(digits));
            let nanos = if digits == 0 { 0 } else { n / scale * scale };
            let t = TimeVal {
                year: y,
                month: mo,
                day: d,
                hour: h,
                minute: mi,
                second: s,
                nanos,
                frac_digits: digits,
            };
            t.is_valid().then_some(t)
        })
}

proptest! {
    // X3659-TIME: encode -> parse -> encode is the identity.
    #[test]
    fn x3659_time_round_trip(t in any_timeval()) {
        let bytes = encoded(&t);
        let back = TimeVal::parse(&bytes).unwrap();
        prop_assert_eq!(back, t);
        prop_assert_eq!(encoded(&back), bytes);
    }

    #[test]
    fn unix_round_trip(secs in -30_610_224_000i64..=253_402_300_799, nanos in 0u32..1_000_000_000) {
        let t = TimeVal::from_unix(secs, nanos).unwrap();
        prop_assert!(t.is_valid());
        prop_assert!(t.second < 60);
        prop_assert_eq!(t.to_unix(), secs);
        prop_assert_eq!(TimeVal::parse(&encoded(&t)), Some(t));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
        if let Some(t) = TimeVal::parse(&bytes) {
            prop_assert_eq!(encoded(&t), bytes);
        }
    }
}
