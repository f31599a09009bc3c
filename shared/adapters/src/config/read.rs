//! The read API's settings.

use super::{ConfigError, Env, table_name};
use app::paging::CursorKey;
use app::pull::PullSettings;
use std::time::Duration;

/// What the read function needs.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    pub table: String,
    pub pull: PullSettings,
}

/// A cursor key shorter than this is refused: a guessable key would let anyone forge a cursor.
const MIN_CURSOR_KEY_BYTES: usize = 16;

/// `TABLE_NAME`; `CURSOR_KEY`, the HMAC key of the list routes' cursors (at least 16 bytes; in AWS
/// a generated secret); `CHANGES_SETTLE_SECONDS` (30), how old an entry of the changes feed must
/// be before it is served.
pub fn read_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<ReadSettings, ConfigError> {
    let table = table_name(env)?;
    let key = env.required("CURSOR_KEY")?;
    if key.len() < MIN_CURSOR_KEY_BYTES {
        return Err(ConfigError {
            var: "CURSOR_KEY",
            problem: "must be at least 16 bytes",
        });
    }
    let settle = Duration::from_secs(env.number("CHANGES_SETTLE_SECONDS", 30)?);
    // A fact is placed in the feed as its write is sent and is visible within the SDK's
    // operation timeout; a window shorter than twice that could serve past a write in flight.
    if settle < 2 * crate::aws::OPERATION_TIMEOUT {
        return Err(ConfigError {
            var: "CHANGES_SETTLE_SECONDS",
            problem: "must be at least 16: twice the longest a write can take (8 s)",
        });
    }
    Ok(ReadSettings {
        table,
        pull: PullSettings {
            cursors: CursorKey::new(key.into_bytes()),
            settle,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::env;

    #[test]
    fn the_read_function_takes_its_cursor_key_and_the_settle_window_of_the_changes_feed() {
        let key = "k".repeat(32);
        let settings = read_settings(&env(&[("TABLE_NAME", "t"), ("CURSOR_KEY", &key)])).unwrap();
        assert_eq!(settings.table, "t");
        assert_eq!(settings.pull.settle, Duration::from_secs(30));
        let cursor = settings.pull.cursors.seal("scope", "position");
        let same_key = app::paging::CursorKey::new(key.clone().into_bytes());
        assert_eq!(same_key.open("scope", &cursor).as_deref(), Ok("position"));
        assert!(!format!("{settings:?}").contains(&key), "{settings:?}");

        let settled = read_settings(&env(&[
            ("TABLE_NAME", "t"),
            ("CURSOR_KEY", &key),
            ("CHANGES_SETTLE_SECONDS", "16"),
        ]))
        .unwrap();
        assert_eq!(settled.pull.settle, Duration::from_secs(16));
        for (vars, var) in [
            (vec![("TABLE_NAME", "t")], "CURSOR_KEY"),
            (
                vec![("TABLE_NAME", "t"), ("CURSOR_KEY", "short")],
                "CURSOR_KEY",
            ),
            (
                vec![
                    ("TABLE_NAME", "t"),
                    ("CURSOR_KEY", &key),
                    ("CHANGES_SETTLE_SECONDS", "0"),
                ],
                "CHANGES_SETTLE_SECONDS",
            ),
            // Shorter than twice a write's longest: a write in flight could land behind a reader.
            (
                vec![
                    ("TABLE_NAME", "t"),
                    ("CURSOR_KEY", &key),
                    ("CHANGES_SETTLE_SECONDS", "15"),
                ],
                "CHANGES_SETTLE_SECONDS",
            ),
        ] {
            assert_eq!(read_settings(&env(&vars)).unwrap_err().var, var);
        }
    }
}
