//! The payload walker: reads a `serde_json::Value` field by field, records every problem with its
//! path, and hands back what it could read so the caller can build the typed struct when nothing
//! was wrong.

use crate::ids::{ID_RULE, is_valid_id};
use crate::path::Path;
use crate::problems::{FieldProblem, Invalid, InvalidKind};
use crate::time::UnixSeconds;
use serde_json::{Map, Value};
use std::borrow::Cow;

pub(crate) type Object = Map<String, Value>;

/// Parses `body` as `T`. The common case, a valid payload, costs serde's typed parse and the
/// format rules (`valid`). Anything else goes to the walker (`read`), which reads the body field by
/// field and reports every problem with its path: it alone words refusals.
///
/// Duplicate keys: the typed parse fails on a duplicate of any field it reads, and the walker then
/// refuses the body as ambiguous. A duplicate among fields nobody reads is not ambiguous for us
/// (the raw body is kept as received), so it does not make a valid payload invalid.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    body: &[u8],
    valid: fn(&T) -> bool,
    read: fn(&mut Walker, &Object) -> Option<T>,
) -> Result<T, Invalid> {
    if let Ok(crate::map_only::MapOnly(value)) = serde_json::from_slice(body)
        && valid(&value)
    {
        return Ok(value);
    }
    walk_only(body, read)
}

/// The walker alone, without the typed fast path: for tests that the two agree.
pub(crate) fn walk_only<T>(
    body: &[u8],
    read: fn(&mut Walker, &Object) -> Option<T>,
) -> Result<T, Invalid> {
    let object = object_body(body)?;
    let mut walker = Walker::default();
    let value = read(&mut walker, &object);
    walker.finish(value)
}

fn duplicate(key: &str) -> Invalid {
    let shown: String = key.chars().take(40).collect();
    Invalid::body(
        InvalidKind::NotJson,
        format!("the request body is ambiguous: duplicate key {shown:?}"),
    )
}

/// Parses the body into a JSON object, or explains why it is not one.
pub(crate) fn object_body(body: &[u8]) -> Result<Object, Invalid> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Invalid::body(
            InvalidKind::EmptyBody,
            "the request body is empty",
        ));
    }
    if let Some(key) = crate::duplicates::first_duplicate_key(body) {
        return Err(duplicate(&key));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Invalid::body(
            InvalidKind::NotAnObject,
            "the request body must be a JSON object",
        )),
        // serde_json's syntax errors name a position, never the payload's content.
        Err(error) => Err(Invalid::body(
            InvalidKind::NotJson,
            format!("the request body is not valid JSON: {error}"),
        )),
    }
}

#[derive(Debug, Default)]
pub(crate) struct Walker {
    problems: Vec<FieldProblem>,
}

impl Walker {
    pub(crate) fn report(&mut self, path: &Path<'_>, reason: impl Into<Cow<'static, str>>) {
        self.problems.push(FieldProblem {
            path: path.to_string(),
            reason: reason.into(),
        });
    }

    /// `Ok(value)` when nothing was reported, else every problem found.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, Invalid> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => Err(Invalid {
                kind: InvalidKind::Fields,
                problems: self.problems,
            }),
        }
    }

    /// A field that must be present and not null.
    fn required<'v>(&mut self, object: &'v Object, path: &Path<'_>) -> Option<&'v Value> {
        match object.get(leaf(path)) {
            None => {
                self.report(path, "is required");
                None
            }
            Some(Value::Null) => {
                self.report(path, "is required and must not be null");
                None
            }
            Some(value) => Some(value),
        }
    }

    pub(crate) fn object<'v>(&mut self, parent: &'v Object, path: &Path<'_>) -> Option<&'v Object> {
        match self.required(parent, path)? {
            Value::Object(object) => Some(object),
            _ => {
                self.report(path, "must be an object");
                None
            }
        }
    }

    /// A required string; empty is allowed (free text such as an answer may be empty).
    pub(crate) fn text(&mut self, parent: &Object, path: &Path<'_>) -> Option<String> {
        match self.required(parent, path)? {
            Value::String(text) => Some(text.clone()),
            _ => {
                self.report(path, "must be a string");
                None
            }
        }
    }

    /// A required string with at least one non-whitespace character (names, titles).
    pub(crate) fn non_empty(&mut self, parent: &Object, path: &Path<'_>) -> Option<String> {
        let text = self.text(parent, path)?;
        if text.trim().is_empty() {
            self.report(path, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// An optional string: absent and null both mean "not given".
    pub(crate) fn optional_text(
        &mut self,
        parent: &Object,
        path: &Path<'_>,
    ) -> Result<Option<String>, ()> {
        match parent.get(leaf(path)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => {
                self.report(path, "must be a string");
                Err(())
            }
        }
    }

    pub(crate) fn id(&mut self, parent: &Object, path: &Path<'_>) -> Option<String> {
        let id = self.text(parent, path)?;
        if !is_valid_id(&id) {
            self.report(path, ID_RULE);
            return None;
        }
        Some(id)
    }

    pub(crate) fn timestamp(&mut self, parent: &Object, path: &Path<'_>) -> Option<UnixSeconds> {
        let text = self.text(parent, path)?;
        let parsed = UnixSeconds::parse(&text);
        if parsed.is_none() {
            self.report(path, "must be a string of unix seconds (digits only)");
        }
        parsed
    }

    /// A required string that must satisfy `rule`, described by `reason` when it does not.
    pub(crate) fn formatted(
        &mut self,
        parent: &Object,
        path: &Path<'_>,
        rule: fn(&str) -> bool,
        reason: &'static str,
    ) -> Option<String> {
        let text = self.text(parent, path)?;
        if !rule(&text) {
            self.report(path, reason);
            return None;
        }
        Some(text)
    }
}

/// The key a path ends in; walker paths always end in a key when a field is looked up.
fn leaf<'p>(path: &Path<'p>) -> &'p str {
    match path {
        Path::Key(_, key) => key,
        Path::Root | Path::Index(..) => "",
    }
}
