//! The binaries the cold start takes turns between: the floors, each function and its by-hand
//! baseline, with the event each gets first.

use std::path::{Path, PathBuf};

use cli::Error;

/// The floors, with the event each gets first.
pub(super) const FLOORS: [(&str, &str); 2] = [
    // The previous target's baseline: one `PutItem` per request.
    ("putitem-lambda", "POST /v1/lead (REST v1)"),
    // A `lambda_http` process that answers without calling anything.
    ("hello-lambda", "POST /v1/lead (REST v1)"),
];

/// The functions, with the event each gets first; each has a `baseline-<function>`.
pub(super) const FUNCTIONS: [(&str, &str); 7] = [
    ("lead-inbound", "POST /v1/lead (REST v1)"),
    // lead-inbound again, its first event a v4 webhook delivery of a new lead.
    (V4_WEBHOOK, "POST /v4/webhooks/{id} (HTTP v2)"),
    ("message-inbound", "POST /v1/message (REST v1)"),
    ("partner-api", "GET /v1/leads/{id} (REST v1)"),
    ("reply-outbound", "SQS batch of one reply"),
    ("events-out", "stream batch of one lead"),
    ("speed-to-lead", "Lead Received from the bus"),
];

/// The row of lead-inbound started by a v4 webhook delivery (its baseline is
/// `baseline-lead-inbound-v4`).
pub(super) const V4_WEBHOOK: &str = "lead-inbound-v4";

/// The header secret of the connected business's webhook, whose hash the table holds.
pub(super) const V4_SECRET: &str = "coldstart-webhook-secret-of-256-bits-or-so";

/// The business of Thumbtack's sample negotiation, connected: its webhook's secret hash stored.
pub(super) const V4_BUSINESS: &str = "586100000000000001";

pub(super) fn baseline_of(function: &str) -> String {
    format!("baseline-{function}")
}

/// Every binary with its first event, in the order they take turns: the floors, then each
/// function's baseline and the function.
pub(super) fn rows() -> Vec<(String, &'static str)> {
    let mut rows: Vec<(String, &str)> = FLOORS.iter().map(|(n, e)| ((*n).to_owned(), *e)).collect();
    for (function, event) in FUNCTIONS {
        rows.push((baseline_of(function), event));
        rows.push((function.to_owned(), event));
    }
    rows
}

/// The function whose environment and events a binary gets: a baseline gets its function's.
pub(super) fn function_of(binary: &str) -> &str {
    binary.strip_prefix("baseline-").unwrap_or(binary)
}

/// The binary a row starts: the v4 webhook's row is lead-inbound's.
pub(super) fn binary_of(row: &str) -> &str {
    if row == V4_WEBHOOK {
        "lead-inbound"
    } else {
        row
    }
}

/// The release binary `name`: beside this one, or for a baseline or a floor in `by_hand` when
/// given (`COLDSTART_BASELINES`: built as a user's own project is, without this workspace's
/// `.cargo/config.toml`).
pub(super) fn release_binary(name: &str, by_hand: Option<&Path>) -> Result<PathBuf, Error> {
    let ours = FUNCTIONS.iter().any(|(function, _)| *function == name);
    let here = std::env::current_exe()?;
    let dir = match by_hand {
        Some(dir) if !ours => dir,
        _ => here.parent().ok_or("no parent")?,
    };
    let path = dir.join(name);
    if !path.exists() {
        return Err(format!(
            "{} is missing: build it with cargo build --release",
            path.display()
        )
        .into());
    }
    Ok(path)
}
