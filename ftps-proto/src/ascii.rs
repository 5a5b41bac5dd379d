//! ASCII-mode (`TYPE A`) conversion between the network form (CRLF) and the local form.
