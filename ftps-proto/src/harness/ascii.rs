//! The `TYPE A` converter target.

use crate::ascii::{AsciiDecoder, AsciiEncoder};

use super::reader::{Chunks, Reader};

fn encode(pieces: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = AsciiEncoder::new();
    let mut measure = AsciiEncoder::new();
    let mut measured = 0u64;
    for piece in pieces {
        let before = out.len();
        enc.convert(piece, &mut out);
        let n = measure.measure(piece);
        assert_eq!(
            n,
            (out.len() - before) as u64,
            "measure disagrees with convert"
        );
        measured += n;
    }
    enc.finish(&mut out);
    assert_eq!(measured, out.len() as u64);
    out
}

fn decode(pieces: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut dec = AsciiDecoder::new();
    for piece in pieces {
        dec.convert(piece, &mut out);
    }
    dec.finish(&mut out);
    out
}

/// ASCII conversion (DAT-ASCII, DAT-ASCII-EDGE): encoding and decoding give the same bytes
/// however the data is chunked; `measure` agrees with `convert`; the network form has every
/// LF after a CR; the decoder never grows its input; and decode(encode(x)) == x for any `x`
/// without a CRLF pair (a CR alone survives).
///
/// Input: a chunking byte, then the data.
pub fn ascii(data: &[u8]) {
    let mut r = Reader::new(data);
    let mut chunks = Chunks::new(r.u8());
    let x = r.rest();
    let pieces = chunks.split(x);

    let wire = encode(&[x]);
    assert_eq!(encode(&pieces), wire, "encoder depends on chunking");
    for (i, _) in wire.iter().enumerate().filter(|(_, &b)| b == b'\n') {
        assert!(
            i > 0 && wire.get(i - 1) == Some(&b'\r'),
            "bare LF in the network form"
        );
    }
    let local = decode(&[x]);
    assert_eq!(decode(&pieces), local, "decoder depends on chunking");
    assert!(local.len() <= x.len());

    let back = decode(&chunks.split(&wire));
    if !x.windows(2).any(|w| w == b"\r\n") {
        assert_eq!(back, x, "ASCII round trip lost bytes");
    }
    // The network form is a fixed point of the encoder.
    assert_eq!(encode(&[&wire]), wire);
}
