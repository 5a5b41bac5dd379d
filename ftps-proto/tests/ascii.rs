//! `TYPE A` conversion tests: DAT-ASCII and DAT-ASCII-EDGE (and the TYPE A size of
//! X3659-SIZE) of CONFORMANCE.md.

use ftps_proto::ascii::{AsciiDecoder, AsciiEncoder};
use proptest::prelude::*;

fn encode_chunks(chunks: &[&[u8]]) -> Vec<u8> {
    let mut enc = AsciiEncoder::new();
    let mut out = Vec::new();
    for c in chunks {
        enc.convert(c, &mut out);
    }
    enc.finish(&mut out);
    out
}

fn decode_chunks(chunks: &[&[u8]]) -> Vec<u8> {
    let mut dec = AsciiDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        dec.convert(c, &mut out);
    }
    dec.finish(&mut out);
    out
}

/// Splits `data` at the given cut lengths (cycled).
fn cut<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    for &c in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at(c.clamp(1, rest.len()));
        out.push(a);
        rest = b;
    }
    out
}

#[test]
fn dat_ascii_send_lf_as_crlf() {
    assert_eq!(encode_chunks(&[b"a\nb\n"]), b"a\r\nb\r\n");
    assert_eq!(encode_chunks(&[b"a", b"\n", b"b\n"]), b"a\r\nb\r\n");
    assert_eq!(encode_chunks(&[b"\n\n"]), b"\r\n\r\n");
    assert_eq!(encode_chunks(&[b""]), b"");
    assert_eq!(encode_chunks(&[b"no line end"]), b"no line end");
}

#[test]
fn dat_ascii_receive_split_crlf() {
    assert_eq!(decode_chunks(&[b"a\r", b"\nb\r\n"]), b"a\nb\n");
    assert_eq!(decode_chunks(&[b"a\r", b"", b"\nb"]), b"a\nb");
    assert_eq!(decode_chunks(&[b"\r\n\r\n"]), b"\n\n");
}

#[test]
fn dat_ascii_edge_no_doubling() {
    // An existing CRLF is kept, never `CR CR LF`, also when split across chunks.
    assert_eq!(encode_chunks(&[b"x\r\ny\n"]), b"x\r\ny\r\n");
    assert_eq!(encode_chunks(&[b"x\r", b"\ny\n"]), b"x\r\ny\r\n");
    // A bare CR passes through both ways.
    assert_eq!(encode_chunks(&[b"a\rb"]), b"a\rb");
    assert_eq!(decode_chunks(&[b"a\rb"]), b"a\rb");
    assert_eq!(decode_chunks(&[b"a\r", b"b"]), b"a\rb");
    assert_eq!(decode_chunks(&[b"a\r"]), b"a\r");
    assert_eq!(decode_chunks(&[b"\r\r\n"]), b"\r\n");
    assert_eq!(decode_chunks(&[b"\r", b"\r", b"\n"]), b"\r\n");
    // A lone LF on the wire is kept.
    assert_eq!(decode_chunks(&[b"a\nb"]), b"a\nb");
}

#[test]
fn dat_ascii_edge_upload_download_never_doubles_cr() {
    // Upload `x\r\ny\n` in TYPE A, store, download in TYPE A.
    let wire_up = encode_chunks(&[b"x\r\ny\n"]);
    let stored = decode_chunks(&[&wire_up]);
    assert_eq!(stored, b"x\ny\n");
    let wire_down = encode_chunks(&[&stored]);
    assert_eq!(wire_down, b"x\r\ny\r\n");
    assert!(!wire_up.windows(3).any(|w| w == b"\r\r\n"));
    assert!(!wire_down.windows(3).any(|w| w == b"\r\r\n"));
}

#[test]
fn x3659_size_in_type_a() {
    // X3659-SIZE: 1830-byte LF file with 112 lines -> 1942 in TYPE A.
    let mut file = Vec::new();
    for i in 0..112 {
        let len = if i < 38 { 16 } else { 15 };
        file.extend(std::iter::repeat(b'x').take(len));
        file.push(b'\n');
    }
    assert_eq!(file.len(), 1830);
    let mut enc = AsciiEncoder::new();
    assert_eq!(enc.measure(&file), 1942);
    assert_eq!(encode_chunks(&[&file]).len(), 1942);
    // Split measurement, a CR at a chunk end.
    let mut enc = AsciiEncoder::new();
    assert_eq!(enc.measure(b"a\r") + enc.measure(b"\nb\n"), 6);
}

#[test]
fn converters_reset_after_finish() {
    let mut dec = AsciiDecoder::new();
    let mut out = Vec::new();
    dec.convert(b"a\r", &mut out);
    dec.finish(&mut out);
    dec.convert(b"\n", &mut out);
    assert_eq!(out, b"a\r\n");
    let mut enc = AsciiEncoder::new();
    let mut out = Vec::new();
    enc.convert(b"a\r", &mut out);
    enc.finish(&mut out);
    enc.convert(b"\n", &mut out);
    assert_eq!(out, b"a\r\r\n");
}

proptest! {
    // DAT-ASCII: chunking never changes the result, either way.
    #[test]
    fn dat_ascii_chunking_invariant(
        data in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), any::<u8>()], 0..200),
        cuts in proptest::collection::vec(1usize..8, 1..10),
    ) {
        let chunks = cut(&data, &cuts);
        prop_assert_eq!(encode_chunks(&chunks), encode_chunks(&[&data]));
        prop_assert_eq!(decode_chunks(&chunks), decode_chunks(&[&data]));
        let mut enc = AsciiEncoder::new();
        let measured: u64 = chunks.iter().map(|c| enc.measure(c)).sum();
        prop_assert_eq!(measured, encode_chunks(&[&data]).len() as u64);
    }

    // DAT-ASCII-EDGE: local text without CRLF comes back byte for byte through encode +
    // decode, over arbitrary chunkings; the wire never holds `CR CR LF` it did not get.
    #[test]
    fn dat_ascii_edge_round_trip(
        data in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), any::<u8>()], 0..200)
            // Local text holds no CRLF: drop the CRs that precede an LF.
            .prop_map(|d| {
                let mut out: Vec<u8> = Vec::with_capacity(d.len());
                for b in d {
                    while b == b'\n' && out.last() == Some(&b'\r') {
                        out.pop();
                    }
                    out.push(b);
                }
                out
            }),
        cuts in proptest::collection::vec(1usize..8, 1..10),
        cuts2 in proptest::collection::vec(1usize..8, 1..10),
    ) {
        let wire = encode_chunks(&cut(&data, &cuts));
        // Every LF on the wire follows a CR.
        for (i, &b) in wire.iter().enumerate() {
            if b == b'\n' {
                prop_assert!(i > 0 && wire[i - 1] == b'\r');
            }
        }
        prop_assert_eq!(decode_chunks(&cut(&wire, &cuts2)), data);
    }

    // Encoding network-form text (every LF after a CR) changes nothing.
    #[test]
    fn encoder_is_idempotent_on_wire_text(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let once = encode_chunks(&[&data]);
        prop_assert_eq!(encode_chunks(&[&once]), once.clone());
    }
}
