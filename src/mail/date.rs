//! Dates as mail writes them (RFC 5322 §3.3): `Tue, 01 Dec 2026 12:00:00 +0000`.
//!
//! Every `Date:` header, every `Received:` stamp and every DSN `Arrival-Date`
//! carries one. mailflow runs on simulated time, so the instant is always
//! handed in as Unix seconds (the scenario fixes the epoch); nothing here
//! reads a clock. The simulation speaks UTC, so the zone is always `+0000`.
//!
//! The calendar arithmetic is Howard Hinnant's `civil_from_days` /
//! `days_from_civil`: the proleptic Gregorian calendar in a few lines of
//! integer division, with no date library.
//!
//! Reading ([`parse_rfc5322_date`]) is tolerant, as RFC 5322 §4.3 asks of a
//! reader: the day of the week is optional, years may have two digits,
//! seconds may be missing, and the old zone names (`GMT`, `EST`, ...) count.

const SECONDS_PER_DAY: i64 = 86_400;
const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats Unix seconds as an RFC 5322 §3.3 `date-time` in UTC, e.g.
/// `Tue, 01 Dec 2026 12:00:00 +0000`.
///
/// The grammar wants a year of at least four digits and 1900 or later; the
/// simulation's epochs are, and other instants are formatted the same way
/// without complaint.
pub fn rfc5322_date(unix_seconds: i64) -> String {
    let mut out = String::with_capacity(31);
    push_rfc5322_date(&mut out, unix_seconds);
    out
}

/// [`rfc5322_date`] written at the end of `out`, digit by digit: every
/// `Received:` stamp of every hop is dated here.
pub fn push_rfc5322_date(out: &mut String, unix_seconds: i64) {
    let days = unix_seconds.div_euclid(SECONDS_PER_DAY);
    let secs = unix_seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday (index 4).
    out.push_str(DAY_NAMES[(days + 4).rem_euclid(7) as usize]);
    out.push_str(", ");
    push_two_digits(out, i64::from(day));
    out.push(' ');
    out.push_str(MONTH_NAMES[(month - 1) as usize]);
    out.push(' ');
    if (0..10_000).contains(&year) {
        push_two_digits(out, year / 100);
        push_two_digits(out, year % 100);
    } else {
        // Outside four digits, as `{:04}` writes it (sign included).
        use std::fmt::Write;
        let _ = write!(out, "{year:04}");
    }
    out.push(' ');
    push_two_digits(out, secs / 3600);
    out.push(':');
    push_two_digits(out, secs % 3600 / 60);
    out.push(':');
    push_two_digits(out, secs % 60);
    out.push_str(" +0000");
}

/// `n` (0..=99) as two digits.
fn push_two_digits(out: &mut String, n: i64) {
    out.push(char::from(b'0' + (n / 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// Reads an RFC 5322 `date-time` (and the obsolete forms of §4.3) back
/// into Unix seconds, applying the zone offset. `None` when it is not one.
pub fn parse_rfc5322_date(text: &str) -> Option<i64> {
    let cleaned = strip_comments(text).replace(',', " ");
    let mut tokens = cleaned.split_ascii_whitespace().peekable();
    // An optional day of the week; it is redundant, so it is not checked.
    if tokens
        .peek()
        .is_some_and(|t| t.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        tokens.next();
    }
    let day: u32 = small_number(tokens.next()?, 2)?;
    let month = month_number(tokens.next()?)?;
    let year = year_number(tokens.next()?)?;
    let (hour, minute, second) = time_of_day(tokens.next()?)?;
    let offset = match tokens.next() {
        Some(zone) => zone_offset_seconds(zone)?,
        None => 0,
    };
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let local = days * SECONDS_PER_DAY
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    Some(local - offset)
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // shift the epoch to 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // day of the 400-year era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March year
    let mp = (5 * doy + 2) / 153; // month counted from March, 0..=11
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month 1..=12, day 1..=31) → days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Removes `(comments)`, nested ones too (RFC 5322 §3.2.2), as in
/// `+0000 (UTC)`.
fn strip_comments(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn small_number(token: &str, max_digits: usize) -> Option<u32> {
    if token.is_empty() || token.len() > max_digits || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

fn month_number(token: &str) -> Option<u32> {
    let name = token.get(..3)?;
    let index = MONTH_NAMES
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))?;
    Some(index as u32 + 1)
}

/// Four digits, or the obsolete two and three digit years of §4.3:
/// 00-49 mean 2000-2049, 50-99 mean 1950-1999, three digits add 1900.
fn year_number(token: &str) -> Option<i64> {
    if token.is_empty() || token.len() > 6 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = token.parse().ok()?;
    Some(match token.len() {
        1 | 2 if year < 50 => 2000 + year,
        1 | 2 => 1900 + year,
        3 => 1900 + year,
        _ => year,
    })
}

/// `hh:mm` or `hh:mm:ss`; a leap second (60) is accepted (§3.3).
fn time_of_day(token: &str) -> Option<(u32, u32, u32)> {
    let mut parts = token.split(':');
    let hour = small_number(parts.next()?, 2)?;
    let minute = small_number(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(s) => small_number(s, 2)?,
        None => 0,
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some((hour, minute, second))
}

/// `+hhmm` / `-hhmm`, or an obsolete zone name (§4.3). Military letters
/// other than `Z` were defined wrongly in RFC 822, so they count as `-0000`.
fn zone_offset_seconds(zone: &str) -> Option<i64> {
    if let Some(sign) = zone.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits = &zone[1..];
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let hours: i64 = digits[..2].parse().ok()?;
        let minutes: i64 = digits[2..].parse().ok()?;
        if minutes > 59 {
            return None;
        }
        let offset = hours * 3600 + minutes * 60;
        return Some(if sign == '-' { -offset } else { offset });
    }
    let hours = match zone.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        z if z.len() == 1 && z.bytes().all(|b| b.is_ascii_alphabetic()) => 0,
        _ => return None,
    };
    Some(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_is_a_thursday_rfc5322_3_3() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc5322_date(-1), "Wed, 31 Dec 1969 23:59:59 +0000");
    }

    #[test]
    fn leap_days_rfc5322_3_3() {
        // 2000 is a leap year (divisible by 400); 1900 and 2100 are not.
        assert_eq!(rfc5322_date(951_868_799), "Tue, 29 Feb 2000 23:59:59 +0000");
        assert_eq!(
            rfc5322_date(1_709_164_800),
            "Thu, 29 Feb 2024 00:00:00 +0000"
        );
        assert_eq!(
            rfc5322_date(-2_203_891_200),
            "Thu, 01 Mar 1900 00:00:00 +0000"
        );
        assert_eq!(
            rfc5322_date(4_107_542_400),
            "Mon, 01 Mar 2100 00:00:00 +0000"
        );
    }

    #[test]
    fn known_instants_rfc5322_3_3() {
        assert_eq!(
            rfc5322_date(1_796_126_400),
            "Tue, 01 Dec 2026 12:00:00 +0000"
        );
        assert_eq!(
            rfc5322_date(2_147_483_648),
            "Tue, 19 Jan 2038 03:14:08 +0000"
        );
        assert_eq!(
            rfc5322_date(253_402_300_799),
            "Fri, 31 Dec 9999 23:59:59 +0000"
        );
    }

    #[test]
    fn date_written_digit_by_digit_is_the_formatted_one_rfc5322_3_3() {
        let formatted = |t: i64| {
            let days = t.div_euclid(SECONDS_PER_DAY);
            let secs = t.rem_euclid(SECONDS_PER_DAY);
            let (year, month, day) = civil_from_days(days);
            let weekday = DAY_NAMES[(days + 4).rem_euclid(7) as usize];
            let month = MONTH_NAMES[(month - 1) as usize];
            format!(
                "{weekday}, {day:02} {month} {year:04} {:02}:{:02}:{:02} +0000",
                secs / 3600,
                secs % 3600 / 60,
                secs % 60
            )
        };
        let years = 366 * SECONDS_PER_DAY;
        let mut t = -2_000 * years;
        while t < 10_000 * years {
            assert_eq!(rfc5322_date(t), formatted(t), "{t}");
            t += 7_777_777;
        }
        for t in [0, -1, 59, 3_599, 86_399, 253_402_300_799, 253_402_300_800] {
            assert_eq!(rfc5322_date(t), formatted(t), "{t}");
        }
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for t in [i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1] {
            assert!(!rfc5322_date(t).is_empty());
        }
    }

    #[test]
    fn calendar_round_trip_every_day_for_900_years() {
        for days in -30_000..300_000 {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=days_in_month(y, m)).contains(&d));
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn written_dates_parse_back_rfc5322_3_3() {
        for t in [0, -1, 951_868_799, 1_796_126_400, 253_402_300_799] {
            assert_eq!(parse_rfc5322_date(&rfc5322_date(t)), Some(t));
        }
    }

    #[test]
    fn zones_are_applied_rfc5322_3_3() {
        let utc = Some(1_796_126_400);
        assert_eq!(parse_rfc5322_date("Tue, 1 Dec 2026 13:30:00 +0130"), utc);
        assert_eq!(parse_rfc5322_date("Tue, 01 Dec 2026 07:00:00 -0500"), utc);
        assert_eq!(
            parse_rfc5322_date("Tue, 01 Dec 2026 12:00:00 +0000 (UTC)"),
            utc
        );
    }

    #[test]
    fn obsolete_forms_are_read_rfc5322_4_3() {
        let utc = Some(1_796_126_400);
        assert_eq!(parse_rfc5322_date("01 Dec 26 12:00 GMT"), utc);
        assert_eq!(parse_rfc5322_date("Tue,  1 Dec 2026 07:00:00 EST"), utc);
        assert_eq!(parse_rfc5322_date("1 dec 2026 12:00:00"), utc);
        assert_eq!(parse_rfc5322_date("1 Dec 126 12:00:00 Z"), utc);
        assert_eq!(
            parse_rfc5322_date("1 Jan 99 00:00:00 +0000"),
            Some(915_148_800)
        );
    }

    #[test]
    fn impossible_dates_are_refused_rfc5322_3_3() {
        for bad in [
            "",
            "Tue, 30 Feb 2026 12:00:00 +0000",
            "Tue, 29 Feb 2100 12:00:00 +0000",
            "Tue, 01 Dec 2026 24:00:00 +0000",
            "Tue, 01 Dec 2026 12:60:00 +0000",
            "Tue, 01 Foo 2026 12:00:00 +0000",
            "Tue, 01 Dec 2026 12:00:00 +00",
            "Tue, 01 Dec 2026 12:00:00 nowhere",
            "Tue, 01 Dec 99999999999 12:00:00 +0000",
        ] {
            assert_eq!(parse_rfc5322_date(bad), None, "{bad}");
        }
    }
}
