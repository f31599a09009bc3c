//! Cursors for the list routes: opaque to the caller, tamper-evident, bound to the query they
//! continue.
//!
//! A cursor is the index position after which the next page starts, with an HMAC-SHA256 over that
//! position and the query's scope (the route and its filters). A cursor that was changed, or that
//! belongs to another query (another business, other bounds), is refused as such, never read as a
//! position somewhere else in the index.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// Bytes of the MAC kept in a cursor: 128 bits, as much as anyone needs to guess.
const MAC_BYTES: usize = 16;

/// The key cursors are signed with.
#[derive(Debug, Clone)]
pub struct CursorKey(SecretSlice<u8>);

impl CursorKey {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        CursorKey(SecretSlice::from(key.into()))
    }

    fn hmac(&self, scope: &str, position: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(position.as_bytes());
        mac
    }

    /// The cursor for continuing `scope` after `position`.
    pub fn seal(&self, scope: &str, position: &str) -> String {
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(position),
            URL_SAFE_NO_PAD
                .encode(&self.hmac(scope, position).finalize().into_bytes()[..MAC_BYTES])
        )
    }

    /// The position a cursor of `scope` stands for, or why it is refused.
    pub fn open(&self, scope: &str, cursor: &str) -> Result<String, CursorRefused> {
        let (position, mac) = cursor.split_once('.').ok_or(CursorRefused)?;
        let position = URL_SAFE_NO_PAD
            .decode(position)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(CursorRefused)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| CursorRefused)?;
        if mac.len() != MAC_BYTES {
            return Err(CursorRefused);
        }
        // Constant time, on the kept prefix.
        self.hmac(scope, &position)
            .verify_truncated_left(&mac)
            .map_err(|_| CursorRefused)?;
        Ok(position)
    }
}

/// A cursor that was not issued for this query, or was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor was not issued for this query, or was changed")]
pub struct CursorRefused;

/// `limit` as asked, checked against the route's bounds.
pub fn page_size(asked: Option<u64>, default: usize, max: usize) -> Result<usize, LimitRefused> {
    match asked {
        None => Ok(default),
        Some(0) => Err(LimitRefused { max }),
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| *n <= max)
            .ok_or(LimitRefused { max }),
    }
}

/// A whole number as a query parameter gives it: digits only (`u64::from_str` alone would take a
/// leading `+`), too many of them read as `u64::MAX` (out of bounds like any other large number);
/// `None` for anything else.
pub fn whole_number(text: &str) -> Option<u64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u64>().unwrap_or(u64::MAX))
}

/// A `limit` of 0 or over the route's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number from 1 to {max}")]
pub struct LimitRefused {
    pub max: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::new(b"a test key".to_vec())
    }

    #[test]
    fn a_cursor_opens_to_its_position_for_its_own_query() {
        let cursor = key().seal("leads|b-1", "001498760294#l-1");
        assert_eq!(
            key().open("leads|b-1", &cursor).as_deref(),
            Ok("001498760294#l-1")
        );
        assert!(!cursor.contains("001498760294"), "opaque: {cursor}");
    }

    #[test]
    fn a_changed_cursor_or_one_of_another_query_is_refused() {
        let cursor = key().seal("leads|b-1", "001498760294#l-1");
        assert_eq!(key().open("leads|b-2", &cursor), Err(CursorRefused));
        let other_key = CursorKey::new(b"another key".to_vec());
        assert_eq!(other_key.open("leads|b-1", &cursor), Err(CursorRefused));
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode("009999999999#l-9"),
            cursor.split_once('.').unwrap().1
        );
        assert_eq!(key().open("leads|b-1", &forged), Err(CursorRefused));
        for bad in [
            "",
            ".",
            "abc",
            "abc.def",
            &cursor[1..],
            &format!("{cursor}x"),
        ] {
            assert_eq!(key().open("leads|b-1", bad), Err(CursorRefused), "{bad:?}");
        }
        let short = &cursor[..cursor.len() - 4];
        assert_eq!(key().open("leads|b-1", short), Err(CursorRefused));
    }

    #[test]
    fn a_limit_is_the_default_or_within_the_bounds() {
        assert_eq!(page_size(None, 25, 100), Ok(25));
        assert_eq!(page_size(Some(100), 25, 100), Ok(100));
        assert_eq!(page_size(Some(0), 25, 100), Err(LimitRefused { max: 100 }));
        assert_eq!(
            page_size(Some(101), 25, 100),
            Err(LimitRefused { max: 100 })
        );
    }
}
