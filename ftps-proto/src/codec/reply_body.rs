//! Parsers for the reply bodies a client needs: 227, 229, 257, 213, 211 FEAT, 150 FILE:, 110
//! MARK, 200 PBSZ=, 522.
