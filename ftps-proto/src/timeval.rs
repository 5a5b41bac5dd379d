//! [`TimeVal`]: the `YYYYMMDDHHMMSS[.fff]` time of MDTM, MFMT and MLSD facts (RFC 3659 §2.3).
//!
//! The wire form is always UTC. [`TimeVal::parse`] validates every field (month 1-12, the days of
//! that month including leap years, hour 0-23, minute 0-59, second 0-60) and accepts a fraction of
//! 1 to 9 digits; [`TimeVal::encode`] writes back exactly the form that was read, so
//! `encode(parse(x)) == x` for every accepted `x`.
//!
//! ```
//! use ftps_proto::timeval::TimeVal;
//!
//! let t = TimeVal::parse(b"20240229123456.250").unwrap();
//! assert_eq!((t.year, t.month, t.day), (2024, 2, 29));
//! assert_eq!(t.nanos, 250_000_000);
//! assert_eq!(t.to_unix(), 1_709_210_096);
//! let mut out = Vec::new();
//! t.encode(&mut out);
//! assert_eq!(out, b"20240229123456.250");
//! assert_eq!(TimeVal::from_unix(1_709_210_096, 0).unwrap().to_string(), "20240229123456");
//! ```

use core::fmt;

/// A UTC time as carried by MDTM/MFMT/MLSD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeVal {
    /// Year, 1000-9999 (RFC 3659 §2.3).
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

/// Smallest year a time-val may carry (RFC 3659 §2.3: four digits, 1000 and later).
const MIN_YEAR: u16 = 1000;
/// Largest year a time-val may carry.
const MAX_YEAR: u16 = 9999;

/// Whether `year` is a leap year of the proleptic Gregorian calendar.
pub(crate) fn is_leap_year(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days of `month` (1-12) in `year`; 0 for a month out of range.
pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), valid for any `i64` year
/// in the range this module uses.
pub(crate) fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // cannot truncate: day is in 1..=31 and month in 1..=12 by the ranges above.
    (year, month as u8, day as u8)
}

/// Reads `N` ASCII digits as a number; `None` if any byte is not a digit.
fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

impl TimeVal {
    /// Builds a validated time with no fraction; `None` if a field is out of range
    /// (the same ranges [`TimeVal::parse`] enforces).
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<TimeVal> {
        let t = TimeVal {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos: 0,
            frac_digits: 0,
        };
        t.is_valid().then_some(t)
    }

    /// Whether every field is in its range: year 1000-9999, month 1-12, day within the month
    /// (leap years counted), hour 0-23, minute 0-59, second 0-60, `nanos` below one second,
    /// `frac_digits` 0-9.
    pub fn is_valid(&self) -> bool {
        (MIN_YEAR..=MAX_YEAR).contains(&self.year)
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 60
            && self.nanos < 1_000_000_000
            && self.frac_digits <= 9
    }

    /// Parses an RFC 3659 time-val: exactly `YYYYMMDDHHMMSS`, optionally followed by `.` and
    /// 1 to 9 fraction digits, nothing else (no sign, no spaces). Returns `None` for any other
    /// input or for an out-of-range field (year before 1000, 30 February, hour 24, ...).
    /// A leap second (`60`) is accepted. More than 9 fraction digits (finer than a nanosecond)
    /// are refused rather than rounded, so that [`TimeVal::encode`] can write back the same bytes.
    pub fn parse(s: &[u8]) -> Option<TimeVal> {
        let (main, frac) = match s.get(14) {
            None if s.len() == 14 => (s, None),
            Some(b'.') => (s.get(..14)?, Some(s.get(15..)?)),
            _ => return None,
        };
        let field = |from: usize, to: usize| main.get(from..to).and_then(digits);
        // cannot truncate: each value has at most 4 (year) or 2 digits.
        let mut t = TimeVal {
            year: field(0, 4)? as u16,
            month: field(4, 6)? as u8,
            day: field(6, 8)? as u8,
            hour: field(8, 10)? as u8,
            minute: field(10, 12)? as u8,
            second: field(12, 14)? as u8,
            nanos: 0,
            frac_digits: 0,
        };
        if let Some(frac) = frac {
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            let value = digits(frac)?; // at most 9 digits: below 10^9, no overflow
                                       // cannot truncate: frac.len() is 1..=9.
            t.frac_digits = frac.len() as u8;
            t.nanos = value * 10u32.pow(9 - u32::from(t.frac_digits));
        }
        t.is_valid().then_some(t)
    }

    /// Appends the wire form to `out`: `YYYYMMDDHHMMSS`, then `.` and `frac_digits` digits of
    /// `nanos` when `frac_digits > 0` (digits beyond that precision are dropped). Fields are
    /// written as they are; call [`TimeVal::is_valid`] first for a value not made by this module.
    pub fn encode(&self, out: &mut Vec<u8>) {
        fn put(out: &mut Vec<u8>, value: u32, width: u32) {
            for i in (0..width).rev() {
                // cannot truncate: a single decimal digit.
                out.push(b'0' + (value / 10u32.pow(i) % 10) as u8);
            }
        }
        put(out, u32::from(self.year), 4);
        put(out, u32::from(self.month), 2);
        put(out, u32::from(self.day), 2);
        put(out, u32::from(self.hour), 2);
        put(out, u32::from(self.minute), 2);
        put(out, u32::from(self.second), 2);
        let digits = u32::from(self.frac_digits.min(9));
        if digits > 0 {
            out.push(b'.');
            put(out, self.nanos / 10u32.pow(9 - digits), digits);
        }
    }

    /// The time for `secs` seconds and `nanos` nanoseconds after 1970-01-01T00:00:00 UTC.
    /// `None` when `nanos` is not below one second or the time is outside years 1000-9999.
    /// The fraction is kept with as few digits as represent it exactly (none when `nanos` is 0).
    pub fn from_unix(secs: i64, nanos: u32) -> Option<TimeVal> {
        if nanos >= 1_000_000_000 {
            return None;
        }
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let year = u16::try_from(year)
            .ok()
            .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))?;
        let mut frac_digits = 0u8;
        if nanos > 0 {
            frac_digits = 9;
            let mut n = nanos;
            while n % 10 == 0 {
                n /= 10;
                frac_digits -= 1;
            }
        }
        // cannot truncate: rem is below 86 400.
        Some(TimeVal {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
            nanos,
            frac_digits,
        })
    }

    /// Seconds since 1970-01-01T00:00:00 UTC (negative before 1970); the fraction is dropped.
    /// A leap second (`:60`) counts as the first second of the next minute.
    pub fn to_unix(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

/// Writes the wire form, the same bytes as [`TimeVal::encode`] (`20240229123456.250`).
impl fmt::Display for TimeVal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::with_capacity(24);
        self.encode(&mut buf);
        // The encoder writes ASCII digits and `.` only.
        f.write_str(&String::from_utf8_lossy(&buf))
    }
}
