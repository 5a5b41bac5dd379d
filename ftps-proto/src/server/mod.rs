//! The sans-IO FTPS server session.
