use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A Unix timestamp in seconds, which Thumbtack sends as a string of digits (`"1498760294"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixSeconds(pub u64);

/// 9999-12-31T23:59:59Z: anything later is a unit mistake (milliseconds), not a date.
pub const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

impl UnixSeconds {
    /// Digits only (no sign, no fraction, no spaces), at most [`MAX_UNIX_SECONDS`].
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let seconds: u64 = text.parse().ok()?;
        (seconds <= MAX_UNIX_SECONDS).then_some(UnixSeconds(seconds))
    }

    pub fn now() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        UnixSeconds(seconds)
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

impl<'de> Deserialize<'de> for UnixSeconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        UnixSeconds::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("expected a string of unix seconds"))
    }
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
    fn timestamps_serialise_as_strings() {
        let json = serde_json::to_string(&UnixSeconds(42)).unwrap_or_default();
        assert_eq!(json, "\"42\"");
    }
}
