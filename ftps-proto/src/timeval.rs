//! [`TimeVal`]: the `YYYYMMDDHHMMSS[.fff]` time of MDTM, MFMT and MLSD facts (RFC 3659 §2.3).

/// A UTC time as carried by MDTM/MFMT/MLSD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeVal {
    /// Year, 0000-9999.
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-60 (leap second).
    pub second: u8,
    /// Fraction of a second in nanoseconds, and how many digits were sent (0 = no fraction).
    pub nanos: u32,
    /// Number of fraction digits as sent, 0-9.
    pub frac_digits: u8,
}
