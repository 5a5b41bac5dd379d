//! Decoding of command lines into [`Command`].
