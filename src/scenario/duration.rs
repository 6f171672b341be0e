//! Durations as teachers write them: `"150ms"`, `"30s"`, `"5m"`, `"2h"`,
//! `"1d"`, and sums such as `"1h30m"`.

use std::time::Duration;

use thiserror::Error;

/// What is wrong with a duration's text; its message is written for the
/// person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("an empty duration; write e.g. \"30s\", \"5m\" or \"2h\"")]
    Empty,
    /// Something other than a number where a number must start.
    #[error("{text:?} is not a duration; write e.g. \"30s\", \"5m\" or \"1h30m\"")]
    NotANumber { text: String },
    #[error("{text:?} needs a unit: ms, s, m, h or d")]
    NoUnit { text: String },
    #[error("{text:?} has an unknown unit {unit:?}; use ms, s, m, h or d")]
    UnknownUnit { text: String, unit: String },
    /// A number of more than 64 bits.
    #[error("{text:?} has a number too large")]
    NumberTooLarge { text: String },
    /// More than a `Duration` holds.
    #[error("{text:?} is too long a time")]
    TooLong { text: String },
}

impl DurationError {
    /// Whether the text is a duration, only longer than any run.
    pub fn is_too_long(&self) -> bool {
        matches!(
            self,
            DurationError::TooLong { .. } | DurationError::NumberTooLarge { .. }
        )
    }
}

/// Parses a duration.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let too_long = || DurationError::TooLong { text: text.into() };
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(DurationError::NotANumber { text: text.into() });
        }
        // Only digits: the one way to fail is a number past 64 bits.
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::NumberTooLarge { text: text.into() })?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let (scale, millis) = match unit {
            "ms" => (1, true),
            "s" => (1, false),
            "m" | "min" => (60, false),
            "h" => (3600, false),
            "d" => (86_400, false),
            "" => return Err(DurationError::NoUnit { text: text.into() }),
            other => {
                return Err(DurationError::UnknownUnit {
                    text: text.into(),
                    unit: other.into(),
                });
            }
        };
        let amount = number.checked_mul(scale).ok_or_else(too_long)?;
        let step = if millis {
            Duration::from_millis(amount)
        } else {
            Duration::from_secs(amount)
        };
        total = total.checked_add(step).ok_or_else(too_long)?;
    }
    Ok(total)
}

/// The opposite, for messages: `1h30m`, `5m`, `150ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if !ms.is_multiple_of(1000) && ms < 60_000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_sums() {
        assert_eq!(parse_duration("150ms"), Ok(Duration::from_millis(150)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(matches!(
            parse_duration("5"),
            Err(DurationError::NoUnit { .. })
        ));
        assert!(matches!(
            parse_duration("5 min"),
            Err(DurationError::UnknownUnit { unit, .. }) if unit == " min"
        ));
        assert!(matches!(
            parse_duration("m5"),
            Err(DurationError::NotANumber { .. })
        ));
        assert_eq!(parse_duration(" "), Err(DurationError::Empty));
    }

    #[test]
    fn too_long_is_told_apart() {
        assert!(matches!(
            parse_duration("99999999999999999999s"),
            Err(DurationError::NumberTooLarge { .. })
        ));
        for text in ["999999999999999999d", "18446744073709551615s1s"] {
            assert!(
                matches!(parse_duration(text), Err(DurationError::TooLong { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn formats_back() {
        for text in ["150ms", "5m", "1h30m", "2d", "1d2h3m4s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
