//! Encoding of [`Command`] into bytes.
