//! [`ListTime`]: the date of a `LIST` line, as much of it as the line tells.

use crate::timeval::{civil_from_days, days_from_civil, days_in_month};

/// English month abbreviations as `ls -l` writes them.
pub(crate) const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The month (1-12) of an English abbreviation, case-insensitive.
pub(crate) fn month_from_name(name: &[u8]) -> Option<u8> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        // cannot truncate: position is below 12.
        .map(|i| i as u8 + 1)
}

/// The modification time of a `LIST` entry, in the server's (unknown) time zone.
///
/// Unix `ls -l` shows either a year (`Mar  4  2019`) or a time of day (`Oct 22 12:34`) for
/// entries of the last six months; DOS/IIS listings show both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ListTime {
    /// The year, when the line shows one.
    pub year: Option<u16>,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
    /// Hour (0-23) and minute (0-59), when the line shows them.
    pub time: Option<(u8, u8)>,
}

impl ListTime {
    /// A time with the given fields; `None` when month, day, hour or minute is out of range
    /// (the day is checked against the month, and against the year when there is one).
    pub fn new(year: Option<u16>, month: u8, day: u8, time: Option<(u8, u8)>) -> Option<ListTime> {
        // Without a year, 29 February is possible.
        let max_day = days_in_month(year.unwrap_or(2000), month);
        let time_ok = time.map_or(true, |(h, m)| h < 24 && m < 60);
        (day >= 1 && day <= max_day && time_ok).then_some(ListTime {
            year,
            month,
            day,
            time,
        })
    }

    /// Seconds since 1970-01-01 00:00, reading the listing's local time as UTC (a listing
    /// carries no time zone), at midnight when the line has no time.
    ///
    /// Without a year, the year is guessed the way `ls` chose to omit it: the year of
    /// `now_unix` if that puts the time at most one day ahead of `now_unix`, else the year
    /// before. `None` for a 29 February that falls in no leap year so guessed.
    pub fn to_unix(&self, now_unix: i64) -> Option<i64> {
        let (h, m) = self.time.unwrap_or((0, 0));
        let at = |year: i64| -> Option<i64> {
            let max = days_in_month(u16::try_from(year).ok()?, self.month);
            (self.day <= max).then(|| {
                days_from_civil(year, self.month, self.day) * 86_400
                    + i64::from(h) * 3600
                    + i64::from(m) * 60
            })
        };
        match self.year {
            Some(y) => at(i64::from(y)),
            None => {
                let (this_year, _, _) = civil_from_days(now_unix.div_euclid(86_400));
                match at(this_year) {
                    Some(t) if t <= now_unix.saturating_add(86_400) => Some(t),
                    _ => at(this_year - 1),
                }
            }
        }
    }
}
