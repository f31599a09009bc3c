//! The payload walker: reads a body field by field, records every problem with its path, and
//! hands back what it could read.
//!
//! Problems have two weights. A *key* (what a payload is stored under: a leadID, a messageID, a
//! creation time) that is missing or unusable refuses the payload. Any other field that is missing,
//! empty, of the wrong type or format is a *warning*: the payload is stored as received and the
//! warning beside it, because a lead Thumbtack charged the pro for must not be turned away over a
//! ZIP+4 or an empty title.
//!
//! Objects are read as lists of entries whose values stay raw JSON text: nothing the walker does
//! not look at is interpreted, exactly as the typed fast path skips unknown fields. So both accept
//! the same bodies (numbers such as `1e400` and lone surrogate escapes in unknown fields included),
//! and a key given twice is seen where the fast path sees it: in the fields that are read.

use crate::ids::{ID_RULE, is_valid_id};
use crate::path::Path;
use crate::problems::{FieldProblem, Invalid, InvalidKind, Parsed, Problems};
use crate::time::UnixSeconds;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Parses `body` as `T`. The common case, a payload with nothing wrong, costs serde's typed parse
/// and the format rules (`valid`). Anything else goes to the walker (`read`), which alone words
/// refusals and warnings.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    body: &[u8],
    valid: fn(&T) -> bool,
    read: fn(&mut Walker, &Entries<'_>) -> Option<T>,
) -> Result<Parsed<T>, Invalid> {
    let text = text_body(body)?;
    if let Ok(crate::map_only::MapOnly(value)) = serde_json::from_str(text)
        && valid(&value)
    {
        return Ok(Parsed {
            value,
            warnings: Problems::default(),
        });
    }
    walk_text(text, read)
}

/// The walker alone, without the typed fast path: for tests that the two agree.
pub(crate) fn walk_only<T>(
    body: &[u8],
    read: fn(&mut Walker, &Entries<'_>) -> Option<T>,
) -> Result<Parsed<T>, Invalid> {
    walk_text(text_body(body)?, read)
}

fn walk_text<T>(
    text: &str,
    read: fn(&mut Walker, &Entries<'_>) -> Option<T>,
) -> Result<Parsed<T>, Invalid> {
    let root = object_body(text)?;
    let mut walker = Walker::default();
    let value = read(&mut walker, &root);
    walker.finish(value)
}

/// The body as text: JSON is UTF-8 (RFC 8259), and the typed parse would skip invalid bytes inside
/// strings it ignores, so this is checked first, for both paths alike.
fn text_body(body: &[u8]) -> Result<&str, Invalid> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Invalid::body(
            InvalidKind::EmptyBody,
            "the request body is empty",
        ));
    }
    std::str::from_utf8(body).map_err(|_| {
        Invalid::body(
            InvalidKind::NotJson,
            "the request body is not valid JSON: it is not UTF-8",
        )
    })
}

/// The body as an object's entries, or why it is not one.
fn object_body(text: &str) -> Result<Entries<'_>, Invalid> {
    // serde_json's syntax errors name a position, never the payload's content.
    let not_json = |error: serde_json::Error| {
        Invalid::body(
            InvalidKind::NotJson,
            format!("the request body is not valid JSON: {error}"),
        )
    };
    let value: &RawValue = serde_json::from_str(text).map_err(not_json)?;
    if !value.get().starts_with('{') {
        return Err(Invalid::body(
            InvalidKind::NotAnObject,
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_str(value.get()).map_err(not_json)
}

/// An object's entries in order, duplicates kept, values as raw JSON text.
#[derive(Debug, Default)]
pub(crate) struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl Entries<'_> {
    /// Whether `key` is given, whatever its value: for a field that has two names, to pick the
    /// one to read without reporting on both.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(name, _)| name == key)
    }
}

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8).min(32));
                while let Some(Key(key)) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// An object key, borrowed from the body unless it had escapes to decode.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }

            fn visit_string<E>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// What a problem costs the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// A key: a problem refuses the payload.
    Key,
    /// Any other field: a problem is a warning.
    Field,
}

#[derive(Debug, Default)]
pub(crate) struct Walker {
    refusals: Problems,
    warnings: Problems,
}

/// A field looked up in an object.
enum Found<'v> {
    Absent,
    Null,
    Value(&'v RawValue),
    /// Given more than once: ambiguous, already reported.
    Repeated,
}

impl Walker {
    pub(crate) fn report(
        &mut self,
        need: Need,
        path: &Path<'_>,
        reason: impl Into<Cow<'static, str>>,
    ) {
        let problem = FieldProblem {
            path: path.to_string(),
            reason: reason.into(),
        };
        match need {
            Need::Key => self.refusals.push(problem),
            Need::Field => self.warnings.push(problem),
        }
    }

    /// The value with its warnings when no key was refused, else every refusal.
    pub(crate) fn finish<T>(mut self, value: Option<T>) -> Result<Parsed<T>, Invalid> {
        match value {
            Some(value) if self.refusals.is_empty() => Ok(Parsed {
                value,
                warnings: self.warnings,
            }),
            _ => {
                if self.refusals.is_empty() {
                    self.report(Need::Key, &Path::Root, "could not be read");
                }
                Err(Invalid {
                    kind: InvalidKind::Fields,
                    problems: self.refusals,
                })
            }
        }
    }

    fn find<'v>(&mut self, need: Need, object: &Entries<'v>, path: &Path<'_>) -> Found<'v> {
        let key = leaf(path);
        let mut matches = object.0.iter().filter(|(name, _)| name == key);
        let Some((_, value)) = matches.next() else {
            return Found::Absent;
        };
        if matches.next().is_some() {
            self.report(need, path, "is given more than once");
            return Found::Repeated;
        }
        if value.get() == "null" {
            Found::Null
        } else {
            Found::Value(value)
        }
    }

    /// A field that must be present and not null.
    pub(crate) fn required<'v>(
        &mut self,
        need: Need,
        object: &Entries<'v>,
        path: &Path<'_>,
    ) -> Option<&'v RawValue> {
        match self.find(need, object, path) {
            Found::Absent => self.report(need, path, "is required"),
            Found::Null => self.report(need, path, "is required and must not be null"),
            Found::Value(value) => return Some(value),
            Found::Repeated => {}
        }
        None
    }

    /// A field that may be absent or null.
    pub(crate) fn optional<'v>(
        &mut self,
        need: Need,
        object: &Entries<'v>,
        path: &Path<'_>,
    ) -> Option<&'v RawValue> {
        match self.find(need, object, path) {
            Found::Value(value) => Some(value),
            Found::Absent | Found::Null | Found::Repeated => None,
        }
    }

    pub(crate) fn object<'v>(
        &mut self,
        need: Need,
        parent: &Entries<'v>,
        path: &Path<'_>,
    ) -> Option<Entries<'v>> {
        let value = self.required(need, parent, path)?;
        self.entries(need, value, path)
    }

    /// An object already looked up (an array's element).
    pub(crate) fn entries<'v>(
        &mut self,
        need: Need,
        value: &'v RawValue,
        path: &Path<'_>,
    ) -> Option<Entries<'v>> {
        let entries = value
            .get()
            .starts_with('{')
            .then(|| serde_json::from_str(value.get()).ok())
            .flatten();
        if entries.is_none() {
            self.report(need, path, "must be an object");
        }
        entries
    }

    fn string(&mut self, need: Need, value: &RawValue, path: &Path<'_>) -> Option<String> {
        match serde_json::from_str::<String>(value.get()) {
            Ok(text) => Some(text),
            // A string with a lone surrogate escape (`"\ud800"`) is not text.
            Err(_) if value.get().starts_with('"') => {
                self.report(need, path, "must be a string of valid Unicode");
                None
            }
            Err(_) => {
                self.report(need, path, "must be a string");
                None
            }
        }
    }

    /// A required string; empty is allowed (free text such as an answer may be empty).
    pub(crate) fn text(&mut self, need: Need, parent: &Entries, path: &Path<'_>) -> Option<String> {
        let value = self.required(need, parent, path)?;
        self.string(need, value, path)
    }

    /// A required string with visible text (names, titles, a reply's text): see
    /// [`has_visible_text`](crate::text::has_visible_text).
    pub(crate) fn non_empty(
        &mut self,
        need: Need,
        parent: &Entries,
        path: &Path<'_>,
    ) -> Option<String> {
        let text = self.text(need, parent, path)?;
        if !crate::text::has_visible_text(&text) {
            self.report(need, path, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// An optional string: absent and null both mean "not given".
    pub(crate) fn optional_text(
        &mut self,
        need: Need,
        parent: &Entries,
        path: &Path<'_>,
    ) -> Option<String> {
        let value = self.optional(need, parent, path)?;
        self.string(need, value, path)
    }

    /// A string an update may leave out (unchanged), give as `null` (cleared) or give (set); of
    /// another type, or given twice, it is reported and changes nothing.
    pub(crate) fn patch_text(
        &mut self,
        need: Need,
        parent: &Entries,
        path: &Path<'_>,
    ) -> crate::patch::Patch<String> {
        use crate::patch::Patch;
        match self.find(need, parent, path) {
            Found::Absent | Found::Repeated => Patch::Unchanged,
            Found::Null => Patch::Cleared,
            Found::Value(value) => self
                .string(need, value, path)
                .map_or(Patch::Unchanged, Patch::Set),
        }
    }

    pub(crate) fn id(&mut self, need: Need, parent: &Entries, path: &Path<'_>) -> Option<String> {
        let id = self.text(need, parent, path)?;
        if !is_valid_id(&id) {
            self.report(need, path, ID_RULE);
            return None;
        }
        Some(id)
    }

    /// Unix seconds, as Thumbtack sends them (a string of digits) or as a whole number.
    pub(crate) fn timestamp(
        &mut self,
        need: Need,
        parent: &Entries,
        path: &Path<'_>,
    ) -> Option<UnixSeconds> {
        let value = self.required(need, parent, path)?;
        let text = value.get();
        let parsed = if text.starts_with('"') {
            serde_json::from_str::<String>(text)
                .ok()
                .and_then(|digits| UnixSeconds::parse(&digits))
        } else {
            serde_json::from_str::<u64>(text)
                .ok()
                .and_then(UnixSeconds::from_number)
        };
        if parsed.is_none() {
            self.report(need, path, crate::time::TIMESTAMP_RULE);
        }
        parsed
    }

    /// A required string that must satisfy `rule`, described by `reason` when it does not.
    pub(crate) fn formatted(
        &mut self,
        need: Need,
        parent: &Entries,
        path: &Path<'_>,
        rule: fn(&str) -> bool,
        reason: &'static str,
    ) -> Option<String> {
        let text = self.text(need, parent, path)?;
        if !rule(&text) {
            self.report(need, path, reason);
            return None;
        }
        Some(text)
    }

    /// An optional whole number (a count, a size): a JSON number, or a string of digits.
    pub(crate) fn optional_count(
        &mut self,
        need: Need,
        parent: &Entries,
        path: &Path<'_>,
    ) -> Option<u64> {
        let value = self.optional(need, parent, path)?;
        let text = value.get();
        let read = if text.starts_with('"') {
            serde_json::from_str::<String>(text)
                .ok()
                .and_then(|t| digits(&t))
        } else {
            serde_json::from_str::<u64>(text).ok()
        };
        if read.is_none() {
            self.report(need, path, "must be a whole number");
        }
        read
    }

    /// An optional array's elements, raw.
    pub(crate) fn optional_array<'v>(
        &mut self,
        need: Need,
        parent: &Entries<'v>,
        path: &Path<'_>,
    ) -> Vec<&'v RawValue> {
        let Some(value) = self.optional(need, parent, path) else {
            return Vec::new();
        };
        let items = value
            .get()
            .starts_with('[')
            .then(|| serde_json::from_str::<Vec<&RawValue>>(value.get()).ok())
            .flatten();
        items.unwrap_or_else(|| {
            self.report(need, path, "must be an array");
            Vec::new()
        })
    }
}

/// The key a path ends in; walker paths always end in a key when a field is looked up.
fn leaf<'p>(path: &Path<'p>) -> &'p str {
    match path {
        Path::Key(_, key) => key,
        Path::Root | Path::Index(..) => "",
    }
}

/// A string of digits (no sign, no space) as a number, if it fits.
pub(crate) fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
