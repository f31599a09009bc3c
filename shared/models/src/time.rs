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

/// A time Thumbtack sends as text (a review's `createTime`) as unix seconds, within the bounds of
/// a lead's `createTimestamp` (0 to [`MAX_UNIX_SECONDS`]): digits are seconds (as
/// [`UnixSeconds::parse`] reads them: milliseconds are refused); `YYYY-MM-DDTHH:MM:SS`, then an
/// optional fraction, then nothing (UTC), `Z` or an offset `±HH:MM`, `±HHMM` or `±HH`, is read as
/// UTC with its offset. Anything else, a day that is not in its month included, is no time.
pub fn time_as_unix_seconds(time: &str) -> Option<u64> {
    if time.bytes().all(|b| b.is_ascii_digit()) {
        return UnixSeconds::parse(time).map(|seconds| seconds.0);
    }
    let bytes = time.as_bytes();
    if bytes.len() < 19
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    // Digits only: `i64::from_str` alone takes a sign.
    let number = |range: std::ops::Range<usize>| {
        let digits = time.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse::<i64>().ok())
            .flatten()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
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
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    // A fraction of a second (ignored), then the zone: an offset is subtracted.
    let mut rest = &time[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
        if rest.len() == fraction.len() {
            return None;
        }
    }
    let offset = match rest.as_bytes() {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), zone @ ..] => {
            let (hours, minutes) = match zone {
                [h1, h2] => ([*h1, *h2], [b'0', b'0']),
                [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => ([*h1, *h2], [*m1, *m2]),
                _ => return None,
            };
            let two_digits = |pair: [u8; 2]| {
                pair.iter()
                    .all(u8::is_ascii_digit)
                    .then(|| i64::from(pair[0] - b'0') * 10 + i64::from(pair[1] - b'0'))
            };
            let (hours, minutes) = (two_digits(hours)?, two_digits(minutes)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    u64::try_from(seconds - offset)
        .ok()
        .filter(|seconds| *seconds <= MAX_UNIX_SECONDS)
}

/// Days in `month` (1 to 12) of `year`, proleptic Gregorian.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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
    fn review_times_are_bounded_like_a_lead_create_timestamp() {
        for bad in [
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "yesterday-ish",
            "2026-01-01T00:00:00 or so",
            "2026-01-01T00:00:00+5:00",
            "2026-01-01T00:00:00+05:0",
            "2026-01-01T00:00:00.Z",
            "+202-01-01T00:00:00Z",
            "2026-01-01T+0:00:00Z",
            "1749481445000",
            "18446744073709551615",
            "253402300800",
            "9999-12-31T23:59:59-01:00",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(time_as_unix_seconds(bad), None, "{bad}");
        }
        assert_eq!(
            time_as_unix_seconds("2024-02-29T00:00:00Z"),
            Some(1_709_164_800)
        );
        assert_eq!(
            time_as_unix_seconds("2025-06-09T17:04:05+0200"),
            Some(1_749_481_445)
        );
        assert_eq!(
            time_as_unix_seconds("2025-06-09T13:04:05-02"),
            Some(1_749_481_445)
        );
        assert_eq!(
            time_as_unix_seconds("9999-12-31T23:59:59Z"),
            Some(MAX_UNIX_SECONDS)
        );
        assert_eq!(time_as_unix_seconds("253402300799"), Some(MAX_UNIX_SECONDS));
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
