//! The functions' log subscriber, set up once in `main`.
//!
//! As lambda_runtime's default: the format from `AWS_LAMBDA_LOG_FORMAT` (JSON or text), the level
//! from `AWS_LAMBDA_LOG_LEVEL` (what the template's `ApplicationLogLevel` sets), else `RUST_LOG`,
//! else INFO. Unlike it, every line carries an RFC 3339 UTC timestamp: Lambda reads `timestamp`
//! and `level` from a JSON line, and a line without them is filed as INFO at arrival time.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::time::SystemTime;

/// What the environment asks of the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub json: bool,
    pub level: LevelFilter,
    /// `RUST_LOG`'s directives (per-crate levels), applied over `level`.
    pub directives: String,
}

impl LogSettings {
    /// From `AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL` and `RUST_LOG`, read through `lookup`.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let json = lookup("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
        // Lambda's level, set by the template, wins over RUST_LOG altogether.
        if let Some(level) = lookup("AWS_LAMBDA_LOG_LEVEL") {
            return LogSettings {
                json,
                level: lambda_level(&level),
                directives: String::new(),
            };
        }
        let rust_log = lookup("RUST_LOG").unwrap_or_default();
        // RUST_LOG's bare level ("debug"), if it has one, else INFO.
        let level = rust_log
            .split(',')
            .map(str::trim)
            // Not the empty string, which tracing parses as OFF.
            .filter(|d| !d.is_empty())
            .find_map(|d| d.parse::<LevelFilter>().ok())
            .unwrap_or(LevelFilter::INFO);
        LogSettings {
            json,
            level,
            directives: rust_log,
        }
    }
}

/// Lambda's level names; FATAL, which tracing lacks, is ERROR.
fn lambda_level(name: &str) -> LevelFilter {
    match name.trim().to_ascii_uppercase().as_str() {
        "FATAL" => LevelFilter::ERROR,
        other => other.parse().unwrap_or(LevelFilter::INFO),
    }
}

/// The subscriber for `settings`, writing to `writer`.
pub fn subscriber<W>(
    settings: &LogSettings,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::builder()
        .with_default_directive(settings.level.into())
        .parse_lossy(&settings.directives);
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        // RFC 3339 in UTC, microseconds: `2026-12-01T14:55:16.123456Z`.
        .with_timer(SystemTime)
        .with_ansi(ansi)
        .with_env_filter(filter)
        .with_writer(writer);
    if settings.json {
        Box::new(builder.json().finish())
    } else {
        Box::new(builder.finish())
    }
}

/// Sets the process's subscriber from its environment, on stdout (where Lambda collects logs).
pub fn init() {
    let settings = LogSettings::from_env(|var| std::env::var(var).ok());
    let ansi = !settings.json && std::io::stdout().is_terminal();
    // Only fails if a subscriber is already set, which then stays.
    let _ = tracing::subscriber::set_global_default(subscriber(&settings, std::io::stdout, ansi));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn settings(vars: &[(&str, &str)]) -> LogSettings {
        LogSettings::from_env(|var| {
            vars.iter()
                .find(|(name, _)| *name == var)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    fn one_line(settings: &LogSettings) -> String {
        let captured = Captured::default();
        let subscriber = subscriber(settings, captured.clone(), false);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(lead_id = "42", "stored late");
        });
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`: RFC 3339 in UTC.
    fn is_rfc3339_utc(text: &str) -> bool {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
        };
        let fixed = digits(0..4)
            && bytes.get(4) == Some(&b'-')
            && digits(5..7)
            && bytes.get(7) == Some(&b'-')
            && digits(8..10)
            && bytes.get(10) == Some(&b'T')
            && digits(11..13)
            && bytes.get(13) == Some(&b':')
            && digits(14..16)
            && bytes.get(16) == Some(&b':')
            && digits(17..19);
        let rest = text.get(19..).unwrap_or("");
        let fraction = rest
            .strip_prefix('.')
            .map_or(rest, |r| r.trim_start_matches(|c: char| c.is_ascii_digit()));
        fixed && fraction == "Z"
    }

    #[test]
    fn the_timestamp_check_accepts_rfc3339_utc_and_nothing_else() {
        assert!(is_rfc3339_utc("2026-12-01T14:55:16.123456Z"));
        assert!(is_rfc3339_utc("2026-12-01T14:55:16Z"));
        assert!(!is_rfc3339_utc("2026-12-01 14:55:16Z"));
        assert!(!is_rfc3339_utc("WARN stored late"));
        assert!(!is_rfc3339_utc("2026-12-01T14:55:16+01:00"));
    }

    #[test]
    fn a_json_log_line_carries_an_rfc3339_timestamp_and_its_level() {
        let line = one_line(&settings(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]));
        let json: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        let timestamp = json["timestamp"].as_str().unwrap_or_default();
        assert!(
            is_rfc3339_utc(timestamp),
            "timestamp {timestamp:?} in {line}"
        );
        assert_eq!(json["level"], "WARN");
        assert_eq!(json["fields"]["lead_id"], "42");
    }

    #[test]
    fn a_text_log_line_starts_with_an_rfc3339_timestamp_then_its_level() {
        let line = one_line(&settings(&[]));
        let mut words = line.split_whitespace();
        let timestamp = words.next().unwrap_or_default();
        assert!(
            is_rfc3339_utc(timestamp),
            "timestamp {timestamp:?} in {line}"
        );
        assert_eq!(words.next(), Some("WARN"));
    }

    #[test]
    fn the_level_comes_from_lambda_then_rust_log_then_info() {
        let level = |vars: &[(&str, &str)]| settings(vars).level;
        assert_eq!(level(&[]), LevelFilter::INFO);
        assert_eq!(level(&[("RUST_LOG", "")]), LevelFilter::INFO);
        assert_eq!(level(&[("RUST_LOG", "debug")]), LevelFilter::DEBUG);
        assert_eq!(
            level(&[("AWS_LAMBDA_LOG_LEVEL", "WARN"), ("RUST_LOG", "debug")]),
            LevelFilter::WARN
        );
        assert_eq!(
            level(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]),
            LevelFilter::ERROR
        );
        assert!(one_line(&settings(&[("AWS_LAMBDA_LOG_LEVEL", "ERROR")])).is_empty());
        assert!(
            one_line(&settings(&[
                ("AWS_LAMBDA_LOG_LEVEL", "ERROR"),
                ("RUST_LOG", "debug")
            ]))
            .is_empty()
        );
    }
}
