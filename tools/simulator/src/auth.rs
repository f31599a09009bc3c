//! HTTP Basic and Bearer credentials as presented to the simulator, and form/query parsing.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// `Authorization: Basic base64(user:password)`, the scheme case-insensitive.
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    // OAuth clients form-encode their id and secret before Basic (RFC 6749 §2.3.1).
    Some((unform(user), unform(password)))
}

fn unform(value: &str) -> String {
    form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| value.to_owned())
}

pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Compares secrets without stopping at the first difference.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub fn basic_header(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    )
}

/// `a=1&b=2` (a query string or a form body); a repeated key keeps its first value.
pub fn form(input: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in form_urlencoded::parse(input) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_basic_header_decodes_to_its_user_and_password() {
        let mut headers = HeaderMap::new();
        let value = basic_header("sim-client", "s3cret:with:colons");
        headers.insert(header::AUTHORIZATION, value.parse().expect("header"));
        assert_eq!(
            basic(&headers),
            Some(("sim-client".into(), "s3cret:with:colons".into()))
        );
    }

    #[test]
    fn secrets_of_different_lengths_are_not_the_same() {
        assert!(!same("abc", "abcd"));
        assert!(same("abc", "abc"));
    }
}
