use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// One thing wrong with a payload: where (`request.location.zipCode`) and why.
///
/// Reasons describe the rule, never the offending value, so they are safe to log: payloads carry
/// customers' names and words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub path: String,
    pub reason: Cow<'static, str>,
}

/// Why a payload was refused. Every variant carries at least one [`FieldProblem`]; problems with the
/// body as a whole (empty, not JSON, not an object) have the path `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub kind: InvalidKind,
    pub problems: Vec<FieldProblem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    EmptyBody,
    NotJson,
    NotAnObject,
    Fields,
}

impl InvalidKind {
    /// Stable machine-readable code for the error body.
    pub fn code(self) -> &'static str {
        match self {
            InvalidKind::EmptyBody => "empty_body",
            InvalidKind::NotJson => "invalid_json",
            InvalidKind::NotAnObject => "not_an_object",
            InvalidKind::Fields => "invalid_fields",
        }
    }
}

impl Invalid {
    pub fn body(kind: InvalidKind, reason: impl Into<Cow<'static, str>>) -> Self {
        Invalid {
            kind,
            problems: vec![FieldProblem {
                path: "$".to_owned(),
                reason: reason.into(),
            }],
        }
    }

    /// The paths of all problems, in the order found (handy in logs and tests).
    pub fn paths(&self) -> Vec<&str> {
        self.problems.iter().map(|p| p.path.as_str()).collect()
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s) in the request body", self.problems.len())
    }
}

impl std::error::Error for Invalid {}
