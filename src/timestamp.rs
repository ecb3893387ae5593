//! RFC 3339 timestamps, parsed strictly enough never to guess.
//!
//! The Misar keys API (SPEC §2) reports `last_used_at` and `created_at` as
//! text; `keys audit` needs them as instants to compute ages. This module
//! parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` — `T` or `t` or a space
//! between date and time, `Z` or `z`, any number of fraction digits, a leap
//! second (`:60`) read as `:59` — and checks every field's range (including
//! February 29 only in leap years). Anything else (a bare date, an offset
//! without a colon, epoch numbers, `2024-02-30`) is an error with the reason:
//! the caller reports it instead of guessing.
//!
//! A small hand-written parser instead of a date crate: the format is one
//! line of grammar, and the crate graph stays as it is.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// An instant, as whole seconds since 1970-01-01T00:00:00Z (fractions are
/// dropped: ages are counted in days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        Self(secs)
    }

    /// From seconds since the Unix epoch.
    pub fn from_unix(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parse an RFC 3339 date-time (see the module docs).
    pub fn parse_rfc3339(text: &str) -> Result<Self, ParseError> {
        parse(text.trim()).map(Self)
    }

    /// Whole days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: Self) -> i64 {
        (self.0 - earlier.0).div_euclid(DAY)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, to the second: `2026-11-23T02:16:08Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, rem) = (self.0.div_euclid(DAY), self.0.rem_euclid(DAY));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Why a timestamp was refused. Holds no input text (the caller has it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 date-time ({0})")]
pub struct ParseError(&'static str);

fn parse(s: &str) -> Result<i64, ParseError> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize, what: &'static str| -> Result<i64, ParseError> {
        let part = b.get(from..from + len).ok_or(ParseError(what))?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(ParseError(what));
        }
        Ok(part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let expect = |at: usize, allowed: &[u8], what: &'static str| match b.get(at) {
        Some(c) if allowed.contains(c) => Ok(()),
        _ => Err(ParseError(what)),
    };
    let year = num(0, 4, "expected a four-digit year")?;
    expect(4, b"-", "expected `-` after the year")?;
    let month = num(5, 2, "expected a two-digit month")?;
    expect(7, b"-", "expected `-` after the month")?;
    let day = num(8, 2, "expected a two-digit day")?;
    expect(10, b"Tt ", "expected `T` and a time after the date")?;
    let hour = num(11, 2, "expected a two-digit hour")?;
    expect(13, b":", "expected `:` after the hour")?;
    let minute = num(14, 2, "expected two-digit minutes")?;
    expect(16, b":", "expected `:` after the minutes")?;
    let second = num(17, 2, "expected two-digit seconds")?;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(ParseError("expected digits after the decimal point"));
        }
        i += digits;
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1, 2, "expected a `±HH:MM` offset")?;
            expect(i + 3, b":", "expected a `±HH:MM` offset")?;
            let om = num(i + 4, 2, "expected a `±HH:MM` offset")?;
            if oh > 23 || om > 59 {
                return Err(ParseError("offset out of range"));
            }
            i += 6;
            let secs = oh * 3600 + om * 60;
            if sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(ParseError("expected `Z` or a `±HH:MM` offset")),
    };
    if i != b.len() {
        return Err(ParseError("unexpected text after the offset"));
    }
    if !(1..=12).contains(&month) {
        return Err(ParseError("month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(ParseError("day out of range for the month"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(ParseError("time out of range"));
    }
    let days = days_from_civil(year, month, day);
    Ok(days * DAY + hour * 3600 + minute * 60 + second.min(59) - offset)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A duration as people write it on a command line: a whole number and a
/// unit, `500ms`, `30s`, `5m`, `1h`, `2d`, or several of them in a row
/// (`1h30m`). A bare number is refused (seconds or minutes?).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let bad = || {
        format!("`{text}` is not a duration: write a number and a unit, e.g. `30s`, `5m`, `1h` or `1h30m`")
    };
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = std::time::Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        if digits == 0 || unit_len == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = match &rest[digits..digits + unit_len] {
            "ms" => std::time::Duration::from_millis(1),
            "s" => std::time::Duration::from_secs(1),
            "m" => std::time::Duration::from_secs(60),
            "h" => std::time::Duration::from_secs(3600),
            "d" => std::time::Duration::from_secs(DAY as u64),
            _ => return Err(bad()),
        };
        let part = u32::try_from(n)
            .ok()
            .and_then(|n| unit.checked_mul(n))
            .ok_or_else(bad)?;
        total = total.checked_add(part).ok_or_else(bad)?;
        rest = &rest[digits + unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        Timestamp::parse_rfc3339(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .unix()
    }

    #[test]
    fn parses_the_forms_apis_write() {
        assert_eq!(ts("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ts("2026-01-01T00:00:00Z"), 1_767_225_600);
        assert_eq!(ts("2026-01-01T00:00:00.123456Z"), 1_767_225_600);
        assert_eq!(ts("2026-01-01t00:00:00z"), 1_767_225_600);
        assert_eq!(ts("2026-01-01 00:00:00+00:00"), 1_767_225_600);
        assert_eq!(ts("2026-01-01T02:00:00+02:00"), 1_767_225_600);
        assert_eq!(ts("2025-12-31T19:00:00.5-05:00"), 1_767_225_600);
        assert_eq!(ts("2016-12-31T23:59:60Z"), ts("2016-12-31T23:59:59Z"));
        assert_eq!(ts("2024-02-29T00:00:00Z") + DAY, ts("2024-03-01T00:00:00Z"));
        assert_eq!(ts("1969-12-31T23:59:59Z"), -1);
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00+0000",
            "2026-01-01T00:00Z",
            "2026-1-01T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00Z junk",
            "1767225600",
            "yesterday",
            "２026-01-01T00:00:00Z",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:34:56Z",
            "2026-11-23T02:16:08Z",
            "1969-07-20T20:17:40Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn days_are_whole_and_floor() {
        let a = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let b = Timestamp::parse_rfc3339("2026-01-02T23:59:59Z").unwrap();
        assert_eq!(b.days_since(a), 1);
        assert_eq!(a.days_since(b), -2);
    }

    #[test]
    fn durations_need_a_unit() {
        use std::time::Duration;
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "30", "s", "5 m", "1.5h", "-1s", "3y", "99999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
