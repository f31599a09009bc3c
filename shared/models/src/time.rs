use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A Unix timestamp in seconds, which Thumbtack sends as a string of digits (`"1498760294"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixSeconds(pub u64);

/// 9999-12-31T23:59:59Z: anything later is a unit mistake (milliseconds), not a date.
pub const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

/// What a creation time must be.
pub const TIMESTAMP_RULE: &str = "must be unix seconds: a string of digits or a whole number";

impl UnixSeconds {
    /// Digits only (no sign, no fraction, no spaces), at most [`MAX_UNIX_SECONDS`].
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::from_number(text.parse().ok()?)
    }

    /// A number of seconds, at most [`MAX_UNIX_SECONDS`].
    pub fn from_number(seconds: u64) -> Option<Self> {
        (seconds <= MAX_UNIX_SECONDS).then_some(UnixSeconds(seconds))
    }
}

impl fmt::Display for UnixSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for UnixSeconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Thumbtack sends a string of digits; a whole number is read too.
impl<'de> Deserialize<'de> for UnixSeconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecondsVisitor;
        impl serde::de::Visitor<'_> for SecondsVisitor {
            type Value = UnixSeconds;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(TIMESTAMP_RULE)
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<UnixSeconds, E> {
                UnixSeconds::parse(text).ok_or_else(|| E::custom(TIMESTAMP_RULE))
            }

            fn visit_u64<E: serde::de::Error>(self, seconds: u64) -> Result<UnixSeconds, E> {
                UnixSeconds::from_number(seconds).ok_or_else(|| E::custom(TIMESTAMP_RULE))
            }

            fn visit_i64<E: serde::de::Error>(self, seconds: i64) -> Result<UnixSeconds, E> {
                u64::try_from(seconds)
                    .ok()
                    .and_then(UnixSeconds::from_number)
                    .ok_or_else(|| E::custom(TIMESTAMP_RULE))
            }
        }
        deserializer.deserialize_any(SecondsVisitor)
    }
}

/// A time Thumbtack sends as text (a review's `createTime`) as unix seconds: digits are seconds; `YYYY-MM-DDTHH:MM:SS` (any fraction and
/// zone after it ignored but `Z`/`±hh:mm`) is read as UTC with its offset.
pub fn time_as_unix_seconds(time: &str) -> Option<u64> {
    if !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit()) {
        return time.parse().ok();
    }
    let bytes = time.as_bytes();
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b' ')
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| time.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let mut seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    // An offset after the seconds (and any fraction): `+hh:mm` or `-hh:mm` is subtracted.
    let rest = &time[19..];
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(sign @ ('+' | '-')) = rest.chars().next() {
        let offset = rest.get(1..3)?.parse::<i64>().ok()? * 3600
            + rest
                .get(4..6)
                .and_then(|m| m.parse::<i64>().ok())
                .unwrap_or(0)
                * 60;
        seconds += if sign == '+' { -offset } else { offset };
    }
    u64::try_from(seconds).ok()
}

/// `2026-12-01T14:47:50.123Z` for unix milliseconds (proleptic Gregorian, UTC).
pub fn rfc3339_millis(ms: u64) -> String {
    let seconds = ms / 1000;
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_within_range_parse_as_seconds() {
        assert_eq!(
            UnixSeconds::parse("1498760294"),
            Some(UnixSeconds(1_498_760_294))
        );
        assert_eq!(UnixSeconds::parse("0"), Some(UnixSeconds(0)));
        assert_eq!(
            UnixSeconds::parse("253402300799"),
            Some(UnixSeconds(MAX_UNIX_SECONDS))
        );
    }

    #[test]
    fn signs_fractions_spaces_and_milliseconds_are_refused() {
        for bad in [
            "",
            "-1",
            "+1",
            "1.5",
            " 1",
            "1 ",
            "1e9",
            "abc",
            "1498760294000",
            "253402300800",
        ] {
            assert_eq!(UnixSeconds::parse(bad), None, "{bad:?} should be refused");
        }
    }

    #[test]
    fn timestamps_are_read_from_strings_and_whole_numbers() {
        let read = |json: &str| serde_json::from_str::<UnixSeconds>(json).ok();
        assert_eq!(read("\"1498760294\""), Some(UnixSeconds(1_498_760_294)));
        assert_eq!(read("1498760294"), Some(UnixSeconds(1_498_760_294)));
        for bad in ["-1", "1.5", "1e9", "253402300800", "\"-1\"", "null", "true"] {
            assert_eq!(read(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_serialise_as_strings() {
        let json = serde_json::to_string(&UnixSeconds(42)).unwrap_or_default();
        assert_eq!(json, "\"42\"");
    }

    #[test]
    fn review_times_are_read_as_unix_seconds_or_not_at_all() {
        assert_eq!(
            time_as_unix_seconds("2025-06-09T15:04:05Z"),
            Some(1_749_481_445)
        );
        assert_eq!(
            time_as_unix_seconds("2025-06-09T15:04:05.250Z"),
            Some(1_749_481_445)
        );
        assert_eq!(
            time_as_unix_seconds("2025-06-09T17:04:05+02:00"),
            Some(1_749_481_445)
        );
        assert_eq!(time_as_unix_seconds("1749481445"), Some(1_749_481_445));
        assert_eq!(time_as_unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        for bad in [
            "",
            "yesterday",
            "2025-13-01T00:00:00Z",
            "2025-06-09",
            "06/09/2025 15:04",
        ] {
            assert_eq!(time_as_unix_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_798_761_599_999),
            "2026-12-31T23:59:59.999Z"
        );
    }
}
