//! How a delivery ended: what becomes of its queue message, and what is logged and counted.

use crate::metrics::{Metric, Metrics};
use std::time::Duration;

/// What to do with the queue message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Handled for good (sent, sent before, or parked): delete it.
    Done,
    /// Not handled: leave it to the queue, which delivers it again.
    RetryLater,
}

/// Why a reply was given up, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Thumbtack refused it (a 4xx other than 408/429).
    Refused,
    /// Transient failures until the queue's last delivery.
    GaveUp,
    /// The queue message is not a valid reply.
    Invalid,
    /// Its replyID belongs to another reply.
    Conflict,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::GaveUp => "gave_up",
            FailureKind::Invalid => "invalid",
            FailureKind::Conflict => "conflict",
        }
    }
}

/// How a delivery ended, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        attempt: u32,
        status: u16,
        /// The successful HTTP call to Thumbtack.
        send_latency: Duration,
        /// From the lead's creation to this reply, when it is the lead's first reply sent.
        first_response: Option<Duration>,
    },
    AlreadySent,
    /// Moved to the DLQ without a ledger record (not a reply, or a replyID conflict).
    Parked {
        reason: String,
        kind: FailureKind,
    },
    /// The automatic acknowledgement, behind a person's reply to the lead: recorded `failed`
    /// with the reason, never sent, not parked.
    Skipped {
        reason: String,
    },
    /// Recorded as `failed` and moved to the DLQ.
    Failed {
        reason: String,
        kind: FailureKind,
    },
    Retrying {
        delay: Duration,
        error: String,
    },
    /// Another delivery holds the claim; back to the queue for `delay`.
    Busy {
        delay: Duration,
    },
    /// The ledger or the queue failed; back to the queue (for `delay`, when it could be set).
    StorageUnavailable {
        delay: Option<Duration>,
    },
    NoTimeLeft,
}

impl Outcome {
    pub fn disposition(&self) -> Disposition {
        match self {
            Outcome::Sent { .. }
            | Outcome::AlreadySent
            | Outcome::Parked { .. }
            | Outcome::Skipped { .. }
            | Outcome::Failed { .. } => Disposition::Done,
            Outcome::Retrying { .. }
            | Outcome::Busy { .. }
            | Outcome::StorageUnavailable { .. }
            | Outcome::NoTimeLeft => Disposition::RetryLater,
        }
    }

    /// How long the queue holds the message back before delivering it again, when we set it.
    pub fn redelivery_delay(&self) -> Option<Duration> {
        match self {
            Outcome::Retrying { delay, .. } | Outcome::Busy { delay } => Some(*delay),
            Outcome::StorageUnavailable { delay } => *delay,
            // Released at once: the next invocation can send it.
            Outcome::NoTimeLeft => Some(Duration::ZERO),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Sent { .. } => "sent",
            Outcome::AlreadySent => "already_sent",
            Outcome::Parked { .. } => "parked",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Failed { .. } => "failed",
            Outcome::Retrying { .. } => "retrying",
            Outcome::Busy { .. } => "busy",
            Outcome::StorageUnavailable { .. } => "storage_unavailable",
            Outcome::NoTimeLeft => "no_time_left",
        }
    }
}

/// Logs kinds and status codes only: reasons may quote Thumbtack's answer, which stays in the
/// ledger. Metrics: `RepliesSent`, `SendLatency`, `FirstResponseTime`, `ReplyRetries` and
/// `ReplyFailures` by `Reason`.
pub fn report(metrics: &Metrics, outcome: &Outcome, elapsed: Duration) {
    let latency_ms = elapsed.as_micros() as f64 / 1000.0;
    let kind = outcome.kind();
    match outcome {
        Outcome::Sent {
            attempt,
            status,
            send_latency,
            first_response,
        } => {
            let first_response_s = first_response.map(|d| d.as_secs());
            let send_ms = send_latency.as_micros() as f64 / 1000.0;
            tracing::info!(
                outcome = kind,
                attempt,
                status,
                send_ms,
                latency_ms,
                first_response_s,
                "reply sent"
            );
            metrics.count(Metric::RepliesSent, None);
            metrics.record(Metric::SendLatency, send_ms, None);
            if let Some(time) = first_response {
                metrics.record(Metric::FirstResponseTime, time.as_secs_f64(), None);
            }
        }
        Outcome::AlreadySent => tracing::info!(outcome = kind, latency_ms, "reply was sent before"),
        Outcome::Skipped { .. } => {
            tracing::info!(
                outcome = kind,
                latency_ms,
                "acknowledgement not sent: a person replied first"
            );
            metrics.count(
                Metric::AcknowledgementsSkipped,
                Some(("Reason", "person-replied")),
            );
        }
        Outcome::Retrying { delay, .. } => {
            tracing::warn!(
                outcome = kind,
                retry_in_s = delay.as_secs(),
                latency_ms,
                "reply will be retried"
            );
            metrics.count(Metric::ReplyRetries, None);
        }
        Outcome::Parked { kind: why, .. } | Outcome::Failed { kind: why, .. } => {
            tracing::error!(
                outcome = kind,
                reason = why.as_str(),
                latency_ms,
                "reply failed and was parked"
            );
            metrics.count(Metric::ReplyFailures, Some(("Reason", why.as_str())));
        }
        Outcome::Busy { .. } | Outcome::StorageUnavailable { .. } | Outcome::NoTimeLeft => {
            tracing::warn!(outcome = kind, latency_ms, "reply left for redelivery")
        }
    }
}
