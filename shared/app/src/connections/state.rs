//! The OAuth `state`: sealed with HMAC-SHA256 under a generated key, so that the callback can
//! trust what it carries (the partner's reference and return URL, its expiry) without storing
//! anything at start. Its nonce is consumed once at the callback (`ConnectionStore::consume_state`).
//!
//! The PKCE verifier is not in the state (the state passes through the browser and the redirect
//! URL, where an intercepted code would come with it): it is derived from the nonce under the same
//! key, so only we can compute it, at start and at the callback.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a state is accepted after it was issued.
pub const STATE_LIFETIME_MS: u64 = 10 * 60 * 1000;

/// A key shorter than this is refused by the settings: a guessable key would let anyone forge a
/// state (and choose where the pro is sent back to).
pub const MIN_STATE_KEY_BYTES: usize = 32;

const VERSION: &str = "s1";

/// The HMAC key of the states.
#[derive(Clone)]
pub struct StateKey(Vec<u8>);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(..)")
    }
}

/// What a state carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateClaims {
    /// 128 random bits, base64url: what is consumed once.
    #[serde(rename = "n")]
    pub nonce: String,
    #[serde(rename = "r")]
    pub reference: String,
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// When the state stops being accepted (ms since the epoch).
    #[serde(rename = "e")]
    pub expires_at: u64,
}

/// Why a state was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not one of ours: malformed, or its seal does not match (tampered, or another key).
    #[error("the state is not one we issued")]
    Invalid,
    /// Ours, but past its expiry: what it carries is still trustworthy (to send the pro back).
    #[error("the state has expired")]
    Expired(StateClaims),
}

impl StateKey {
    pub fn new(key: Vec<u8>) -> Self {
        StateKey(key)
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        // HMAC takes a key of any length.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for part in parts {
            mac.update(part);
        }
        mac
    }

    /// `s1.<claims, base64url JSON>.<HMAC, base64url>`.
    pub fn seal(&self, claims: &StateClaims) -> String {
        let payload = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let tag = self
            .mac(&[b"state\0", VERSION.as_bytes(), b".", payload.as_bytes()])
            .finalize()
            .into_bytes();
        format!("{VERSION}.{payload}.{}", B64.encode(tag))
    }

    /// The claims of a state we sealed, checked (in constant time) and within its lifetime at
    /// `now` (ms).
    pub fn open(&self, state: &str, now: u64) -> Result<StateClaims, StateError> {
        let mut parts = state.split('.');
        let (Some(VERSION), Some(payload), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(StateError::Invalid);
        };
        let tag = B64.decode(tag).map_err(|_| StateError::Invalid)?;
        self.mac(&[b"state\0", VERSION.as_bytes(), b".", payload.as_bytes()])
            .verify_slice(&tag)
            .map_err(|_| StateError::Invalid)?;
        let claims: StateClaims = B64
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(StateError::Invalid)?;
        if now >= claims.expires_at {
            return Err(StateError::Expired(claims));
        }
        Ok(claims)
    }

    /// The key the connection list's cursors are sealed with: derived under this key (its own
    /// label), so the connections function has one secret, not two.
    pub fn cursor_key(&self) -> crate::paging::CursorKey {
        crate::paging::CursorKey::new(self.mac(&[b"cursor\0"]).finalize().into_bytes().to_vec())
    }

    /// The PKCE code verifier of a nonce: 256 bits derived under the key, base64url (43
    /// characters, within RFC 7636's 43 to 128).
    pub fn pkce_verifier(&self, nonce: &str) -> String {
        B64.encode(
            self.mac(&[b"pkce\0", nonce.as_bytes()])
                .finalize()
                .into_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StateKey {
        StateKey::new(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    fn claims() -> StateClaims {
        StateClaims {
            nonce: "bm9uY2U".into(),
            reference: "pro-42".into(),
            return_url: Some("https://partner.example/done".into()),
            expires_at: 1_000_000,
        }
    }

    #[test]
    fn a_sealed_state_opens_to_what_it_carries_until_it_expires() {
        let state = key().seal(&claims());
        assert_eq!(key().open(&state, 999_999), Ok(claims()));
        assert_eq!(
            key().open(&state, 1_000_000),
            Err(StateError::Expired(claims()))
        );
    }

    #[test]
    fn a_state_changed_in_any_way_or_sealed_with_another_key_is_refused() {
        let state = key().seal(&claims());
        let mut other = claims();
        other.return_url = Some("https://evil.example/".into());
        let forged_payload = key().seal(&other);
        let swapped = format!(
            "{}.{}",
            &forged_payload[..forged_payload.rfind('.').unwrap()],
            &state[state.rfind('.').unwrap() + 1..]
        );
        let other_key = StateKey::new(b"another key of thirty-two bytes!".to_vec()).seal(&claims());
        for bad in [
            swapped.as_str(),
            other_key.as_str(),
            "",
            "s1..",
            &state[..state.len() - 2],
            &format!("{state}.x"),
            &state.replacen("s1.", "s2.", 1),
        ] {
            assert_eq!(key().open(bad, 0), Err(StateError::Invalid), "{bad}");
        }
    }

    #[test]
    fn the_pkce_verifier_is_the_same_for_a_nonce_differs_between_nonces_and_keys_and_is_valid() {
        let verifier = key().pkce_verifier("a");
        assert_eq!(verifier, key().pkce_verifier("a"));
        assert_ne!(verifier, key().pkce_verifier("b"));
        assert_ne!(
            verifier,
            StateKey::new(b"another key of thirty-two bytes!".to_vec()).pkce_verifier("a")
        );
        assert_eq!(verifier.len(), 43);
        assert!(
            verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert!(!format!("{:?}", key()).contains("0123"));
    }
}
