//! One invocation: a `Lead Received` event from the bus's rule, or a wake-up a schedule sends.
//! Anything else is logged and dropped: retrying it would not make it readable.
//!
//! An error (storage, the queue, the scheduler) fails the invocation, so Lambda's asynchronous
//! retries (and the rule's or the schedule's own) deliver it again; every step is safe to repeat.

use app::events::DetailType;
use app::ports::{BusinessDesk, LeadStore, Outbox, Scheduler, StatsDesk, Wakeup};
use app::speed::{EventOrigin, SpeedDeps, SpeedError, on_lead_received, on_wakeup};
use app::{error_chain, now_millis};
use serde::Deserialize;
use serde_json::Value;

/// What the function was invoked with.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    LeadReceived {
        lead_id: String,
        business_id: String,
        origin: EventOrigin,
    },
    Wakeup(Wakeup),
    Other,
}

/// The invocation an event is: an EventBridge event (`detail-type`, `detail`) or a wake-up.
pub fn invocation(event: &Value) -> Invocation {
    #[derive(Deserialize)]
    struct Ids {
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID")]
        business_id: String,
    }
    if event.get("detail-type").and_then(Value::as_str) == Some(DetailType::LeadReceived.as_str()) {
        return match Ids::deserialize(&event["detail"]) {
            Ok(ids) => Invocation::LeadReceived {
                lead_id: ids.lead_id,
                business_id: ids.business_id,
                // EventBridge marks every event it replays from an archive.
                origin: match event.get("replay-name") {
                    Some(_) => EventOrigin::Replay,
                    None => EventOrigin::Live,
                },
            },
            Err(_) => Invocation::Other,
        };
    }
    match Wakeup::deserialize(event) {
        Ok(wakeup) => Invocation::Wakeup(wakeup),
        Err(_) => Invocation::Other,
    }
}

pub async fn handle<S, Q, W>(deps: &SpeedDeps<S, Q, W>, event: Value) -> Result<(), SpeedError>
where
    S: LeadStore + BusinessDesk + StatsDesk,
    Q: Outbox,
    W: Scheduler,
{
    let now = now_millis();
    let result = match invocation(&event) {
        Invocation::LeadReceived {
            lead_id,
            business_id,
            origin,
        } => on_lead_received(deps, &lead_id, &business_id, origin, now)
            .await
            .map(|done| tracing::info!(%lead_id, %business_id, outcome = ?done, "lead received")),
        Invocation::Wakeup(wakeup) => on_wakeup(deps, &wakeup, now).await.map(|done| {
            tracing::info!(lead_id = %wakeup.lead_id, kind = ?wakeup.kind, outcome = ?done, "woken up");
        }),
        Invocation::Other => {
            // Never the event itself: a malformed one could carry anything.
            tracing::warn!("neither a Lead Received event nor a wake-up: dropped");
            Ok(())
        }
    };
    result
        .inspect_err(|error| tracing::error!(error = %error_chain(error), "failed; to be retried"))
}

#[cfg(test)]
mod tests;
