//! Content digests and comparisons, used to tell a redelivery from a revision and to key revisions
//! and quarantine records so that a redelivered body is stored once.
//!
//! Two deliveries are the same document when they differ only in whitespace and in the order of
//! object keys. The comparison works on the text as received, never on a re-encoding: serde_json's
//! `Value` cannot hold a lone surrogate escape or a number such as `1e400`, and a comparison through
//! it would call two identical deliveries different (or two different ones equal).

use sha2::{Digest, Sha256};

/// SHA-256 of the bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// SHA-256 of a JSON document in canonical form, so that two deliveries of the same document with
/// different key order or spacing match. Text that cannot be canonicalised (not JSON, or nested
/// deeper than [`MAX_DEPTH`]) is digested as it is.
pub fn json_digest(text: &str) -> String {
    match canonical(text) {
        Some(canonical) => sha256_hex(&canonical),
        None => sha256_hex(text.as_bytes()),
    }
}

/// Two JSON documents are the same delivery when their canonical forms are equal; when either has
/// none, only identical text is the same.
pub fn same_document(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (canonical(a), canonical(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Deeper documents are compared as text: the walk is recursive.
pub const MAX_DEPTH: usize = 128;

/// The document without insignificant whitespace, object keys sorted at every level (by their
/// canonical bytes, stable for repeated keys), strings with their escapes written one way, numbers
/// and literals exactly as received.
pub fn canonical(text: &str) -> Option<Vec<u8>> {
    let mut reader = Canonical {
        bytes: text.as_bytes(),
        at: 0,
    };
    let mut out = Vec::with_capacity(text.len());
    reader.value(&mut out, 0)?;
    reader.skip_whitespace();
    (reader.at == reader.bytes.len()).then_some(out)
}

struct Canonical<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Canonical<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match self.peek()? {
            b'{' => self.object(out, depth),
            b'[' => self.array(out, depth),
            b'"' => self.string(out),
            _ => self.scalar(out),
        }
    }

    fn object(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.at += 1;
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.skip_whitespace();
                let mut key = Vec::new();
                self.string(&mut key)?;
                self.expect(b':')?;
                let mut value = Vec::new();
                self.value(&mut value, depth + 1)?;
                entries.push((key, value));
                self.skip_whitespace();
                match self.peek()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        out.push(b'{');
        for (index, (key, value)) in entries.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        Some(())
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.at += 1;
        out.push(b'[');
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                self.value(out, depth + 1)?;
                self.skip_whitespace();
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        out.push(b',');
                    }
                    b']' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        out.push(b']');
        Some(())
    }

    /// Numbers, `true`, `false`, `null`: their bytes as received.
    fn scalar(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let start = self.at;
        while let Some(byte) = self.peek() {
            if matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.at += 1;
        }
        let token = &self.bytes[start..self.at];
        let literal = matches!(token, b"true" | b"false" | b"null");
        let number = !token.is_empty()
            && token
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
        if !(literal || number) {
            return None;
        }
        out.extend_from_slice(token);
        Some(())
    }

    /// A string with its escapes decoded and written back one way: `\"`, `\\`, `\u00XX` for
    /// control characters, everything else as itself, except lone surrogates, which stay escaped.
    fn string(&mut self, out: &mut Vec<u8>) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.at += 1;
        out.push(b'"');
        loop {
            let byte = self.peek()?;
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escape = self.peek()?;
                    self.at += 1;
                    let decoded = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => match self.code_point()? {
                            Ok(c) => c,
                            Err(surrogate) => {
                                out.extend_from_slice(format!("\\u{surrogate:04x}").as_bytes());
                                continue;
                            }
                        },
                        _ => return None,
                    };
                    write_char(decoded, out);
                }
                0x00..=0x1f => return None,
                _ => out.push(byte),
            }
        }
        out.push(b'"');
        Some(())
    }

    /// After `\u`: a character, or `Err` with a surrogate that has no partner.
    fn code_point(&mut self) -> Option<Result<char, u16>> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return Some(char::from_u32(u32::from(high)).ok_or(high));
        }
        let paired = self.bytes.get(self.at..self.at + 2) == Some(b"\\u");
        if paired {
            let save = self.at;
            self.at += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                return Some(char::from_u32(code).ok_or(high));
            }
            self.at = save;
        }
        Some(Err(high))
    }

    fn hex4(&mut self) -> Option<u16> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        let value = u16::from_str_radix(text, 16).ok()?;
        self.at += 4;
        Some(value)
    }
}

fn write_char(c: char, out: &mut Vec<u8>) {
    match c {
        '"' => out.extend_from_slice(b"\\\""),
        '\\' => out.extend_from_slice(b"\\\\"),
        c if u32::from(c) < 0x20 => {
            out.extend_from_slice(format!("\\u{:04x}", u32::from(c)).as_bytes());
        }
        c => {
            let mut buffer = [0_u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_spacing_do_not_change_the_digest() {
        let a = r#"{"b": 1, "a": {"y": [1, 2], "x": "é"}}"#;
        let b = r#"{"a":{"x":"é","y":[1,2]},"b":1}"#;
        assert_eq!(json_digest(a), json_digest(b));
        assert_ne!(
            json_digest(a),
            json_digest(r#"{"b": 2, "a": {"x": "é", "y": [1, 2]}}"#)
        );
    }

    #[test]
    fn the_digest_of_known_bytes_matches_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn documents_are_the_same_when_only_spacing_and_key_order_differ() {
        assert!(same_document(r#"{"a":1,"b":2}"#, r#"{ "b": 2, "a": 1 }"#));
        assert!(!same_document(r#"{"a":1}"#, r#"{"a":2}"#));
        assert!(!same_document("not json", "not json "));
    }

    #[test]
    fn a_lone_surrogate_or_a_huge_number_in_a_redelivery_is_the_same_document() {
        // serde_json's Value refuses both, so a comparison through it saw a change here.
        let first = r#"{"leadID": "1", "extra": "\ud800", "big": 1e400}"#;
        let again = r#"{"big":1e400,"extra":"\ud800","leadID":"1"}"#;
        assert!(same_document(first, again));
        assert_eq!(json_digest(first), json_digest(again));
        let changed = r#"{"big":1e401,"extra":"\ud800","leadID":"1"}"#;
        assert!(!same_document(first, changed));
        let other_surrogate = r#"{"big":1e400,"extra":"\ud801","leadID":"1"}"#;
        assert!(!same_document(first, other_surrogate));
    }

    #[test]
    fn escapes_that_mean_the_same_text_are_the_same_document() {
        assert!(same_document(r#"{"a":"\u00e9\/"}"#, r#"{"a":"é/"}"#));
        assert!(same_document(r#"{"a":"\ud83e\ude9f"}"#, r#"{"a":"🪟"}"#));
        assert!(same_document(r#"{"a":"\u000a"}"#, r#"{"a":"\n"}"#));
        assert!(!same_document(r#"{"a":"\\n"}"#, r#"{"a":"\n"}"#));
        // An escaped quote in a key must not let two different documents meet.
        assert!(!same_document(r#"{"a\"":1}"#, r#"{"a":1}"#));
    }

    #[test]
    fn numbers_are_compared_as_received() {
        assert!(!same_document(r#"{"a":1}"#, r#"{"a":1.0}"#));
        assert!(same_document(r#"{"a": 1.0 }"#, r#"{"a":1.0}"#));
    }

    #[test]
    fn repeated_keys_keep_their_order() {
        assert!(!same_document(r#"{"a":1,"a":2}"#, r#"{"a":2,"a":1}"#));
        assert!(same_document(r#"{"a":1, "a":2}"#, r#"{"a":1,"a":2}"#));
    }

    #[test]
    fn very_deep_documents_are_compared_as_text_without_exhausting_the_stack() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(canonical(&deep).is_none());
        assert!(same_document(&deep, &deep.clone()));
        assert!(!same_document(
            &deep,
            &deep.replacen("\"a\":", "\"a\" :", 1)
        ));
        assert_eq!(json_digest(&deep), sha256_hex(deep.as_bytes()));
    }

    #[test]
    fn malformed_text_has_no_canonical_form() {
        for bad in ["", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "\"\\x\"", "tru"] {
            assert!(canonical(bad).is_none(), "{bad:?}");
        }
    }
}
