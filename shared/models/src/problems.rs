use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// At most this many problems are listed anywhere a list of them goes: an error answer, a stored
/// record, a log line. The total is always counted. A hostile body (a 250 KB array of `1`s where
/// objects belong) has over 100,000 problems; listing them all made a 7.5 MB answer, over Lambda's
/// 6 MB response limit.
pub const MAX_LISTED_PROBLEMS: usize = 50;

/// One thing wrong with a payload: where (`request.location.zipCode`) and why.
///
/// Reasons describe the rule, never the offending value, so they are safe to log: payloads carry
/// customers' names and words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub path: String,
    pub reason: Cow<'static, str>,
}

/// The problems found in a payload: the first [`MAX_LISTED_PROBLEMS`] and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    listed: Vec<FieldProblem>,
    total: usize,
}

impl Problems {
    /// No problems at all.
    pub const NONE: Problems = Problems {
        listed: Vec::new(),
        total: 0,
    };

    /// One problem; only counted once the list is full.
    pub fn push(&mut self, problem: FieldProblem) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(problem);
        }
    }

    /// One problem at `path`, for `reason` (see [`Problems::push`]).
    pub fn add(&mut self, path: impl Into<String>, reason: impl Into<Cow<'static, str>>) {
        self.push(FieldProblem {
            path: path.into(),
            reason: reason.into(),
        });
    }

    /// Problems listed elsewhere (a stored record), with the total counted then.
    pub fn from_stored(listed: Vec<FieldProblem>, total: usize) -> Self {
        let mut listed = listed;
        listed.truncate(MAX_LISTED_PROBLEMS);
        let total = total.max(listed.len());
        Problems { listed, total }
    }

    /// The first problems, in the order found.
    pub fn listed(&self) -> &[FieldProblem] {
        &self.listed
    }

    /// How many problems there were, listed or not.
    pub fn total(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The paths of the listed problems (handy in logs and tests).
    pub fn paths(&self) -> Vec<&str> {
        self.listed.iter().map(|p| p.path.as_str()).collect()
    }
}

impl From<Vec<FieldProblem>> for Problems {
    fn from(all: Vec<FieldProblem>) -> Self {
        let total = all.len();
        Problems::from_stored(all, total)
    }
}

/// Why a payload was refused. Every variant carries at least one [`FieldProblem`]; problems with the
/// body as a whole (empty, not JSON, not an object) have the path `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub kind: InvalidKind,
    pub problems: Problems,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    EmptyBody,
    NotJson,
    NotAnObject,
    Fields,
    /// Over the size limit: not read at all.
    TooLarge,
    /// A request's parameters (query string, path), not its body.
    Parameters,
}

impl InvalidKind {
    /// Stable machine-readable code for the error body.
    pub fn code(self) -> &'static str {
        match self {
            InvalidKind::EmptyBody => "empty_body",
            InvalidKind::NotJson => "invalid_json",
            InvalidKind::NotAnObject => "not_an_object",
            InvalidKind::Fields => "invalid_fields",
            InvalidKind::TooLarge => "payload_too_large",
            InvalidKind::Parameters => "invalid_parameters",
        }
    }
}

impl Invalid {
    pub fn body(kind: InvalidKind, reason: impl Into<Cow<'static, str>>) -> Self {
        let mut problems = Problems::default();
        problems.add("$", reason);
        Invalid { kind, problems }
    }

    /// The paths of the listed problems, in the order found.
    pub fn paths(&self) -> Vec<&str> {
        self.problems.paths()
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.problems.total();
        let listed = self.problems.listed().len();
        let place = match self.kind {
            InvalidKind::Parameters => "the request's parameters",
            _ => "the request body",
        };
        if total > listed {
            write!(
                f,
                "{total} problem(s) in {place}; the first {listed} are listed"
            )
        } else {
            write!(f, "{total} problem(s) in {place}")
        }
    }
}

impl std::error::Error for Invalid {}

/// A payload that could be keyed and stored, with what was wrong in its other fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub value: T,
    /// Fields that are missing, empty, of the wrong type or format: kept as received in the raw
    /// body, reported beside it.
    pub warnings: Problems,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(index: usize) -> FieldProblem {
        FieldProblem {
            path: format!("request.details[{index}]"),
            reason: "must be an object".into(),
        }
    }

    #[test]
    fn problems_past_the_limit_are_counted_but_not_listed() {
        let mut problems = Problems::default();
        for index in 0..(MAX_LISTED_PROBLEMS + 7) {
            problems.push(problem(index));
        }
        assert_eq!(problems.total(), MAX_LISTED_PROBLEMS + 7);
        assert_eq!(problems.listed().len(), MAX_LISTED_PROBLEMS);
        assert_eq!(problems.listed()[0], problem(0));
    }

    #[test]
    fn a_refusal_with_more_problems_than_listed_says_so() {
        let mut invalid = Invalid::body(InvalidKind::Fields, "x");
        for index in 0..100 {
            invalid.problems.push(problem(index));
        }
        assert_eq!(
            invalid.to_string(),
            "101 problem(s) in the request body; the first 50 are listed"
        );
    }
}
