//! HTTP basic authentication of Thumbtack's calls.
//!
//! The accepted credentials are kept only as SHA-256 digests of `username:password`. A presented
//! credential is hashed and compared with every accepted digest in constant time, so neither the
//! comparison nor the number of accepted credentials (two during a rotation) leaks through timing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// A username and password pair. The password never appears in `Debug` output.
#[derive(Debug, Clone)]
pub struct Credential {
    pub username: String,
    pub password: SecretString,
}

impl Credential {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credential {
            username: username.into(),
            password: SecretString::from(password.into()),
        }
    }
}

/// Why a request is not authenticated. All of them answer 401; the kind is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("no Authorization header")]
    Missing,
    #[error("Authorization header is not HTTP Basic")]
    NotBasic,
    #[error("Authorization header is not valid base64 of user:password")]
    Malformed,
    #[error("credentials do not match")]
    Mismatch,
}

/// The set of credentials accepted right now (one, or two while rotating).
#[derive(Clone)]
pub struct AcceptedCredentials {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for AcceptedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AcceptedCredentials({} credential(s))",
            self.digests.len()
        )
    }
}

impl AcceptedCredentials {
    pub fn new<'a>(credentials: impl IntoIterator<Item = &'a Credential>) -> Self {
        let digests = credentials
            .into_iter()
            .map(|c| {
                let mut hasher = Sha256::new();
                hasher.update(c.username.as_bytes());
                hasher.update(b":");
                hasher.update(c.password.expose_secret().as_bytes());
                hasher.finalize().into()
            })
            .collect();
        AcceptedCredentials { digests }
    }

    /// Checks an `Authorization` header value (`None` when the header is absent).
    pub fn verify_header(&self, header: Option<&[u8]>) -> Result<(), AuthFailure> {
        let decoded = basic_credentials(header.ok_or(AuthFailure::Missing)?)?;
        let presented: [u8; 32] = Sha256::digest(&decoded).into();
        // Compare with every accepted digest, without stopping at the first match.
        let matched = self
            .digests
            .iter()
            .fold(Choice::from(0), |acc, d| acc | d.ct_eq(&presented));
        if bool::from(matched) {
            Ok(())
        } else {
            Err(AuthFailure::Mismatch)
        }
    }
}

/// Decodes `Basic <base64(user:password)>` into the `user:password` bytes.
///
/// The scheme is case-insensitive (RFC 7235); the decoded value must contain a colon (RFC 7617).
pub fn basic_credentials(header: &[u8]) -> Result<Vec<u8>, AuthFailure> {
    let header = header.trim_ascii();
    let (scheme, rest) = match header.iter().position(|b| *b == b' ') {
        Some(space) => header.split_at(space),
        None => return Err(AuthFailure::NotBasic),
    };
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return Err(AuthFailure::NotBasic);
    }
    let decoded = STANDARD
        .decode(rest.trim_ascii())
        .map_err(|_| AuthFailure::Malformed)?;
    if !decoded.contains(&b':') {
        return Err(AuthFailure::Malformed);
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user_pass: &str) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(user_pass)).into_bytes()
    }

    fn accepted() -> AcceptedCredentials {
        AcceptedCredentials::new(&[Credential::new("thumbtack", "s3cret:with:colons")])
    }

    #[test]
    fn the_auth_table_accepts_only_the_exact_credentials() {
        type Case = (Option<Vec<u8>>, Result<(), AuthFailure>);
        let cases: Vec<Case> = vec![
            (Some(header("thumbtack:s3cret:with:colons")), Ok(())),
            (
                Some(b"basic dGh1bWJ0YWNrOnMzY3JldDp3aXRoOmNvbG9ucw==".to_vec()),
                Ok(()),
            ),
            (
                Some(b"  Basic   dGh1bWJ0YWNrOnMzY3JldDp3aXRoOmNvbG9ucw==  ".to_vec()),
                Ok(()),
            ),
            (None, Err(AuthFailure::Missing)),
            (Some(b"".to_vec()), Err(AuthFailure::NotBasic)),
            (Some(b"Basic".to_vec()), Err(AuthFailure::NotBasic)),
            (Some(b"Bearer abc".to_vec()), Err(AuthFailure::NotBasic)),
            (
                Some(b"Basic !!!notbase64".to_vec()),
                Err(AuthFailure::Malformed),
            ),
            (Some(header("no-colon-here")), Err(AuthFailure::Malformed)),
            (Some(header("thumbtack:wrong")), Err(AuthFailure::Mismatch)),
            (
                Some(header("Thumbtack:s3cret:with:colons")),
                Err(AuthFailure::Mismatch),
            ),
            (
                Some(header("thumbtack:s3cret:with:colons ")),
                Err(AuthFailure::Mismatch),
            ),
            (Some(header(":")), Err(AuthFailure::Mismatch)),
        ];
        let accepted = accepted();
        for (value, expected) in cases {
            assert_eq!(
                accepted.verify_header(value.as_deref()),
                expected,
                "header {:?}",
                value.map(|v| String::from_utf8_lossy(&v).into_owned())
            );
        }
    }

    #[test]
    fn during_a_rotation_both_credentials_are_accepted() {
        let accepted = AcceptedCredentials::new(&[
            Credential::new("thumbtack", "new-password"),
            Credential::new("thumbtack", "old-password"),
        ]);
        assert_eq!(
            accepted.verify_header(Some(&header("thumbtack:new-password"))),
            Ok(())
        );
        assert_eq!(
            accepted.verify_header(Some(&header("thumbtack:old-password"))),
            Ok(())
        );
        assert_eq!(
            accepted.verify_header(Some(&header("thumbtack:other"))),
            Err(AuthFailure::Mismatch)
        );
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let credential = Credential::new("thumbtack", "hunter2");
        assert!(!format!("{credential:?}").contains("hunter2"));
        assert!(!format!("{:?}", accepted()).contains("s3cret"));
    }
}
