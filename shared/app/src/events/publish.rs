//! From a batch of the table's changes to events on the bus, in order, nothing lost.
//!
//! Changes come in the stream's order. The leads of the batch's messages and updates are looked
//! up first, all in one call (`leadKnown`: was the lead stored before the fact?), then the events
//! go to the bus ten at a time; an event the bus refuses is put again a few times. The first
//! change whose event cannot be put (or whose lead cannot be looked up: when the lookup fails, the
//! first change that needed it) is where the batch stops: the caller reports it, and the stream
//! delivers it and everything after it again. Events before it were put; some after it may have
//! been too, and come again with the same `eventID`: delivery is at least once.

use super::{Event, Fact};
use crate::metrics::{Metric, Metrics};
use crate::ports::{EventBus, LeadRef, LeadStore, Put};
use std::collections::HashMap;
use std::time::Duration;

/// One change of the table, as the stream delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The stream's id for it (a sequence number): what a partial batch failure names.
    pub id: String,
    /// The stored fact it means, if any (a quarantine record counted again, a reply claimed or
    /// retried, a deletion: none).
    pub fact: Option<Fact>,
}

/// How often an event the bus refused is put again within one invocation, and how long to wait.
#[derive(Debug, Clone, Copy)]
pub struct PublishPolicy {
    pub tries: u32,
    pub backoff: Duration,
}

impl Default for PublishPolicy {
    fn default() -> Self {
        PublishPolicy {
            tries: 3,
            backoff: Duration::from_millis(100),
        }
    }
}

/// What the events function needs.
#[derive(Debug, Clone)]
pub struct EventsDeps<S, B> {
    pub store: S,
    pub bus: B,
    pub policy: PublishPolicy,
    pub metrics: Metrics,
}

/// Publishes the events of `changes`; `None` when every one was put, else the id of the first
/// change whose event was not (it and everything after it are to be delivered again).
pub async fn publish<S: LeadStore, B: EventBus>(
    deps: &EventsDeps<S, B>,
    changes: &[Change],
) -> Option<String> {
    let leads = leads_of(&deps.store, changes).await;
    let mut events: Vec<(usize, Event)> = Vec::with_capacity(changes.len());
    let mut stop = None;
    for (index, change) in changes.iter().enumerate() {
        let Some(fact) = &change.fact else { continue };
        let mut fact = fact.clone();
        if let Some(lead_id) = fact.lead_to_look_up() {
            let Some(leads) = &leads else {
                stop = Some(index);
                break;
            };
            let lead = leads.get(lead_id);
            fact.know_lead(lead);
        }
        events.push((index, fact.event()));
    }
    let put = put_in_order(deps, &events).await;
    let published = match put {
        Ok(count) => count,
        Err(first_left) => first_left,
    };
    if published > 0 {
        deps.metrics
            .record(Metric::EventsPublished, published as f64, None);
    }
    let failed_at = match (put, stop) {
        (Err(event), _) => Some(events[event].0),
        (Ok(_), stop) => stop,
    };
    failed_at.map(|index| {
        deps.metrics.count(Metric::EventFailures, None);
        changes[index].id.clone()
    })
}

/// The stored leads of the changes' messages and updates, in one lookup (none to make: empty);
/// `None` when the lookup failed.
async fn leads_of<S: LeadStore>(store: &S, changes: &[Change]) -> Option<HashMap<String, LeadRef>> {
    let mut wanted: Vec<&str> = changes
        .iter()
        .filter_map(|change| change.fact.as_ref()?.lead_to_look_up())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Some(HashMap::new());
    }
    match store.stored_leads(&wanted).await {
        Ok(leads) => Some(leads),
        Err(error) => {
            tracing::error!(error = %crate::error_chain(&error), leads = wanted.len(), "could not look up the leads of a batch's messages");
            None
        }
    }
}

/// Puts the events ten at a time, in order; `Ok(count)` when all went, `Err(index)` of the first
/// that did not after the policy's tries.
async fn put_in_order<S, B: EventBus>(
    deps: &EventsDeps<S, B>,
    events: &[(usize, Event)],
) -> Result<usize, usize> {
    for (chunk_index, chunk) in events.chunks(B::MAX_PER_PUT).enumerate() {
        let first = chunk_index * B::MAX_PER_PUT;
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        let mut wait = deps.policy.backoff;
        for try_number in 1..=deps.policy.tries.max(1) {
            let batch: Vec<Event> = pending.iter().map(|&i| chunk[i].1.clone()).collect();
            let refused: Vec<usize> = match deps.bus.put(&batch).await {
                Ok(answers) => pending
                    .iter()
                    .zip(answers.iter().map(Some).chain(std::iter::repeat(None)))
                    .filter_map(|(&i, answer)| match answer {
                        Some(Put::Taken) => None,
                        Some(Put::Refused { code }) => {
                            tracing::warn!(code = %code, detail_type = chunk[i].1.detail_type, "event refused by the bus");
                            Some(i)
                        }
                        // An answer missing for an event: not known to be taken.
                        None => Some(i),
                    })
                    .collect(),
                Err(error) => {
                    tracing::warn!(error = %crate::error_chain(&error), try_number, "the bus could not be reached");
                    pending.clone()
                }
            };
            pending = refused;
            if pending.is_empty() || try_number == deps.policy.tries.max(1) {
                break;
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
        if let Some(&first_left) = pending.iter().min() {
            return Err(first + first_left);
        }
    }
    Ok(events.len())
}
