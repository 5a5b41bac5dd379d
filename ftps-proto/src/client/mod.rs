//! The sans-IO FTPS client session.
