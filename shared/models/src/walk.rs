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

/// Parses the body into a JSON object, or explains why it is not one.
pub(crate) fn object_body(body: &[u8]) -> Result<Object, Invalid> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Invalid::body(
            InvalidKind::EmptyBody,
            "the request body is empty",
        ));
    }
    match serde_json::from_slice::<Strict>(body).map(|strict| strict.0) {
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

/// A JSON value that refuses duplicate object keys. `serde_json::Value` keeps the last of two
/// `"leadID"`s silently; another parser on the way might have kept the first, so such a body is
/// ambiguous and refused rather than guessed at.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let shown: String = key.chars().take(40).collect();
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate key {shown:?}"
                )));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}
