//! Durations as teachers write them: `"150ms"`, `"30s"`, `"5m"`, `"2h"`,
//! `"1d"`, and sums such as `"1h30m"`.

use std::time::Duration;

/// Parses a duration; the error says what is wrong, for the scenario error.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty duration; write e.g. \"30s\", \"5m\" or \"2h\"".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "{text:?} is not a duration; write e.g. \"30s\", \"5m\" or \"1h30m\""
            ));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?} has a number too large"))?;
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
            "" => return Err(format!("{text:?} needs a unit: ms, s, m, h or d")),
            other => {
                return Err(format!(
                    "{text:?} has an unknown unit {other:?}; use ms, s, m, h or d"
                ));
            }
        };
        let too_long = || format!("{text:?} is too long a time");
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
        assert!(parse_duration("5").unwrap_err().contains("unit"));
        assert!(parse_duration("5 min").is_err());
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
    }

    #[test]
    fn formats_back() {
        for text in ["150ms", "5m", "1h30m", "2d", "1d2h3m4s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
