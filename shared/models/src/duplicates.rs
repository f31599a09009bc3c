//! Duplicate object keys. `serde_json` keeps the last of two `"leadID"`s silently, and another
//! parser on the way may have kept the first: such a body is ambiguous, so it is refused rather
//! than guessed at. This scan finds the first duplicate key of any object without building values.

use std::borrow::Cow;
use std::collections::HashSet;

/// Objects with more keys than this are checked with a hash set rather than by comparison, so a
/// hostile object with thousands of keys costs linear time.
const LINEAR_LIMIT: usize = 32;

/// An open object or array: where its keys start in the shared key list.
struct Frame<'a> {
    object: bool,
    expecting_key: bool,
    first_key: usize,
    large: Option<HashSet<Cow<'a, [u8]>>>,
}

/// The first key that appears twice in one object, if any. Malformed JSON is not this scan's
/// business (the parser reports it); it only has to terminate on any input. One pass, and no
/// allocation per object: the keys of all open objects share one list.
pub(crate) fn first_duplicate_key(body: &[u8]) -> Option<String> {
    let mut frames: Vec<Frame<'_>> = Vec::with_capacity(16);
    let mut keys: Vec<Cow<'_, [u8]>> = Vec::with_capacity(64);
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            byte @ (b'{' | b'[') => frames.push(Frame {
                object: byte == b'{',
                expecting_key: byte == b'{',
                first_key: keys.len(),
                large: None,
            }),
            b'}' | b']' => {
                if let Some(frame) = frames.pop() {
                    keys.truncate(frame.first_key);
                }
            }
            b',' => {
                if let Some(top) = frames.last_mut() {
                    top.expecting_key = top.object;
                }
            }
            b'"' => {
                let start = i + 1;
                let mut end = start;
                let mut escaped = false;
                while end < body.len() && body[end] != b'"' {
                    if body[end] == b'\\' {
                        escaped = true;
                        end += 1;
                    }
                    end += 1;
                }
                if let Some(top) = frames.last_mut()
                    && top.object
                    && top.expecting_key
                {
                    top.expecting_key = false;
                    let raw = &body[start..end.min(body.len())];
                    // An escaped key is compared by its meaning: "lead\u0049D" is "leadID".
                    let key = if escaped {
                        let quoted = &body[i..(end + 1).min(body.len())];
                        match serde_json::from_slice::<String>(quoted) {
                            Ok(text) => Cow::Owned(text.into_bytes()),
                            Err(_) => Cow::Borrowed(raw),
                        }
                    } else {
                        Cow::Borrowed(raw)
                    };
                    let duplicate = match &mut top.large {
                        Some(set) => !set.insert(key.clone()),
                        None => {
                            let seen = &keys[top.first_key..];
                            let duplicate = seen.contains(&key);
                            if !duplicate && seen.len() >= LINEAR_LIMIT {
                                let mut set: HashSet<_> = keys.drain(top.first_key..).collect();
                                set.insert(key.clone());
                                top.large = Some(set);
                            } else if !duplicate {
                                keys.push(key.clone());
                            }
                            duplicate
                        }
                    };
                    if duplicate {
                        return Some(String::from_utf8_lossy(&key).into_owned());
                    }
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_duplicate_key;

    #[test]
    fn a_repeated_key_in_any_object_is_found() {
        assert_eq!(
            first_duplicate_key(br#"{"a":1,"b":2,"a":3}"#).as_deref(),
            Some("a")
        );
        assert_eq!(
            first_duplicate_key(br#"{"x":{"c":1,"c":2}}"#).as_deref(),
            Some("c")
        );
        assert_eq!(
            first_duplicate_key(br#"{"x":[{"q":1},{"q":2,"q":3}]}"#).as_deref(),
            Some("q")
        );
        assert_eq!(
            first_duplicate_key(br#"{"lead\u0049D":1,"leadID":2}"#).as_deref(),
            Some("leadID")
        );
    }

    #[test]
    fn equal_keys_in_different_objects_and_string_values_are_not_duplicates() {
        assert_eq!(
            first_duplicate_key(br#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#),
            None
        );
        assert_eq!(first_duplicate_key(br#"{"a":"a","b":"a,\"a\":1"}"#), None);
        assert_eq!(first_duplicate_key(br#"["a","a"]"#), None);
    }

    #[test]
    fn objects_with_many_keys_are_checked_too() {
        let mut body = String::from("{");
        for i in 0..100 {
            body.push_str(&format!("\"k{i}\":{i},"));
        }
        body.push_str("\"k42\":0}");
        assert_eq!(first_duplicate_key(body.as_bytes()).as_deref(), Some("k42"));
    }

    #[test]
    fn malformed_input_ends_the_scan() {
        for body in [&b"{\"a"[..], b"\"\\", b"{{{{", b"}}]]", b"{\"a\":\"\\"] {
            let _ = first_duplicate_key(body);
        }
    }
}
