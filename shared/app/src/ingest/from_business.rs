//! A v4 message from the business side (`from: "Business"`, facts §3.6): the echo of a reply we
//! sent, or the pro typing in Thumbtack's app (issue 23, item 3). [`models::v4::classify`] tells
//! them apart against the replies the ledger has sent on the lead.
//!
//! - An echo adds nothing to the conversation: the reply is there already. It marks the reply
//!   delivered (the ledger keeps the echo's time and messageID, so that a redelivery of the
//!   echo is found by its id and no other message is taken for it).
//! - A message typed in the app is the pro's reply: it goes into the reply ledger as a reply sent
//!   (replyID [`APP_PREFIX`] + its messageID, so a redelivery finds it), which is what the read
//!   API shows as an outbound message, what `Reply Sent` is published from, and what the
//!   acknowledgement and the stats ask about: a person's reply, the lead's first response when
//!   it is the first.
//!
//! An echo is matched by the messageID our v4 send was answered with (kept on the reply); failing
//! that (a reply sent through legacy, or an answer without an id), by lead, text and
//! [`models::v4::ECHO_WINDOW_SECONDS`] around the reply's enqueueing, which precedes its send by
//! the queue's delay only.

use super::Arrival;
use crate::ports::{Claim, LeadStore, ReplyClaim, ReplyLedger, StoreError};
use models::v4::{MessageFact, Origin, SentReply, classify};
use models::{ReplyRequest, ReplyStatus};

/// The replyID prefix of a reply the pro typed in Thumbtack's app.
pub const APP_PREFIX: &str = "tt-app-";

/// How long the record of an app message may be held by one delivery before another may take it.
const LEASE_MS: u64 = 30_000;

/// What a business-side message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromBusiness {
    /// The echo of our reply `reply_id`: nothing stored.
    Echo { reply_id: String },
    /// Thumbtack's automated Quick Reply ([`models::v4::is_quick_reply`]): not the pro's reply,
    /// kept as sent by the caller.
    QuickReply,
    /// Typed in the app: recorded as the sent reply `reply_id` (or found recorded before).
    TypedInApp { reply_id: String, arrival: Arrival },
    /// Its replyID is taken by another reply (another lead or text under the same messageID):
    /// not recorded, kept as sent by the caller.
    Conflict,
}

/// Classifies a `Business` message and records what the pro typed in the app.
pub(super) async fn take<S: LeadStore + ReplyLedger>(
    store: &S,
    fact: &MessageFact,
    at_ms: u64,
) -> Result<FromBusiness, StoreError> {
    let message = &fact.message;
    let reply_id = format!("{APP_PREFIX}{}", message.message.message_id);
    let records = store.conversation(&message.lead_id).await?;
    let replies = records.replies;
    // Ours, of this very message: a redelivery. The lead's first response is written again
    // (it is written once), should the delivery that recorded the reply have failed before it.
    if let Some(recorded) = replies.iter().find(|r| r.reply_id == reply_id) {
        if recorded.status == ReplyStatus::Sent {
            store
                .first_reply(&message.lead_id, false, recorded.enqueued_at_ms)
                .await?;
        }
        return Ok(FromBusiness::TypedInApp {
            reply_id,
            arrival: Arrival::Duplicate,
        });
    }
    let sent: Vec<SentReply<'_>> = replies
        .iter()
        .filter(|r| r.status == ReplyStatus::Sent && !r.reply_id.starts_with(APP_PREFIX))
        .map(|r| SentReply {
            reply_id: &r.reply_id,
            lead_id: &message.lead_id,
            // The id our send was answered with; failing that, the echo's own, once one was
            // matched by text: its redelivery is found by it.
            message_id: r
                .sent_message_id
                .as_deref()
                .or(r.echo_message_id.as_deref()),
            text: &r.text,
            sent_at_seconds: r.enqueued_at_ms / 1000,
            echoed: r.delivered_at_ms.is_some(),
        })
        .collect();
    if let Origin::Echo { reply_id, .. } = classify(message, &sent) {
        store
            .mark_delivered(
                &message.lead_id,
                reply_id,
                &message.message.message_id,
                at_ms,
            )
            .await?;
        return Ok(FromBusiness::Echo {
            reply_id: reply_id.to_owned(),
        });
    }
    let lead_created = records.lead_raw.as_deref().and_then(|raw| {
        let received_at_ms = records.lead_received_at_ms.unwrap_or_default();
        models::v4::stored::lead(raw, received_at_ms).map(|stored| stored.lead.create_timestamp.0)
    });
    if models::v4::is_quick_reply(message.message.create_timestamp.0, lead_created) {
        return Ok(FromBusiness::QuickReply);
    }
    let reply = ReplyRequest {
        reply_id: reply_id.clone(),
        business_id: message.business_id.clone(),
        lead_id: message.lead_id.clone(),
        text: message.message.text.clone().unwrap_or_default(),
    };
    // When the pro sent it: the reply's time in the conversation and the lead's first response.
    let sent_at_ms = message.message.create_timestamp.0.saturating_mul(1000);
    let claim = ReplyClaim {
        reply: &reply,
        enqueued_at_ms: sent_at_ms,
        sequence: None,
        now_ms: at_ms,
        lease_until_ms: at_ms + LEASE_MS,
    };
    let attempt = match store.claim(claim).await? {
        Claim::Claimed { attempt } => attempt,
        Claim::AlreadySent => {
            return Ok(FromBusiness::TypedInApp {
                reply_id,
                arrival: Arrival::Duplicate,
            });
        }
        // Another delivery of the same message is recording it: answered as a fault, so that
        // Thumbtack sends it again and that delivery's outcome is found.
        Claim::Busy { .. } => {
            return Err(StoreError::Unavailable(
                "the app message is being recorded by another delivery".into(),
            ));
        }
        Claim::Conflict { .. } => return Ok(FromBusiness::Conflict),
    };
    // Sent through v4 by Thumbtack's app: its contract and its own messageID on the reply.
    let accepted = crate::ports::Accepted {
        status: 200,
        contract: models::Contract::V4,
        message_id: Some(message.message.message_id.clone()),
    };
    store
        .mark_sent_via(&reply, attempt, &accepted, at_ms)
        .await?;
    store.first_reply(&reply.lead_id, false, sent_at_ms).await?;
    Ok(FromBusiness::TypedInApp {
        reply_id,
        arrival: Arrival::Stored,
    })
}
