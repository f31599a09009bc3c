//! One Thumbtack v4 webhook delivery at the inbound edge, whole (`POST /v4/webhooks/{businessID}`):
//! the secret checked against the hash our webhook of that business was registered with, the size
//! bounded, the envelope read and stored as the fact it maps onto ([`super::store_v4`]), and a
//! refusal noted. The HTTP edge makes this one call, as legacy's makes [`super::deliver`].
//!
//! The legacy rules hold: answered 2xx only once durably kept, 5xx on a storage fault, refused
//! (4xx, the body kept in quarantine byte for byte) only when a key is missing or unusable. Two
//! A message from the business is the pro's reply typed in Thumbtack's app, recorded in the reply
//! ledger, or the echo of a reply we sent ([`super::from_business`]). Other deliveries are kept
//! without being read into a fact, and answered 2xx all the same: an event type we do not read
//! (Thumbtack adds types: refusing one would lose it, and make Thumbtack send it again for
//! nothing), an echo, a message from a sender nobody documents. They go to the quarantine under
//! the route `v4-webhook` with a problem that says why, not counted as refused: an operator lists
//! them there and replays them once a release reads them (docs/thumbtack-contract.md).

use super::from_business::{self, FromBusiness};
use super::{Accepted, MAX_BODY_BYTES, NotTaken, StoredV4, keep_refused, store_v4, text};
use crate::auth::AuthFailure;
use crate::connections::secret_hash;
use crate::deps::InboundDeps;
use crate::metrics::{Metric, Metrics};
use crate::ports::{Refusal, RefusalLog, ReplyLedger, Route, WebhookRegistry};
use crate::{LeadStore, StoreError};
use models::v4::{Data, Delivery, Received, Sender};
use models::{Invalid, InvalidKind, Parsed, Problems};
use subtle::ConstantTimeEq;

/// What a webhook request brought, and when it came.
#[derive(Debug, Clone, Copy)]
pub struct WebhookDelivery<'a> {
    /// The business in the webhook's path: whose webhook it claims to be.
    pub business_id: &'a str,
    /// The value of [`crate::connections::WEBHOOK_SECRET_HEADER`] as sent, if any.
    pub secret: Option<&'a [u8]>,
    /// The body as sent (base64 already decoded where the gateway encoded it).
    pub body: &'a [u8],
    /// When it arrived, unix milliseconds.
    pub at_ms: u64,
}

/// A webhook delivery taken: stored as a fact, or kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAccepted {
    /// A lead, a customer's message or a review, stored (or found stored before).
    Stored(Accepted),
    /// Kept byte for byte, not read into a fact: its event type, and why.
    Kept { event_type: String, why: KeptWhy },
    /// A message the pro typed in Thumbtack's app, recorded as their reply `reply_id`.
    Replied {
        lead_id: String,
        message_id: String,
        reply_id: String,
        arrival: super::Arrival,
    },
}

/// Why a delivery was kept rather than stored as a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptWhy {
    /// An event type we do not read.
    UnknownEventType,
    /// A message whose `from` is neither `Customer` nor `Business`, or a test delivery's.
    NotFromTheCustomer,
    /// The echo of a reply we sent: the conversation has it already.
    EchoOfOurReply,
    /// A message from the business whose replyID another reply has taken.
    ReplyConflict,
    /// Thumbtack's automated Quick Reply: not the pro's reply.
    QuickReply,
}

impl KeptWhy {
    pub fn code(self) -> &'static str {
        match self {
            KeptWhy::UnknownEventType => "unknown-event-type",
            KeptWhy::NotFromTheCustomer => "not-from-the-customer",
            KeptWhy::EchoOfOurReply => "echo-of-our-reply",
            KeptWhy::ReplyConflict => "reply-conflict",
            KeptWhy::QuickReply => "quick-reply",
        }
    }

    /// The problem the kept record carries: the path it is about, and what became of it.
    fn problem(self) -> (&'static str, &'static str) {
        match self {
            KeptWhy::UnknownEventType => (
                "event.eventType",
                "is an event type this release does not read: kept as sent, answered 2xx",
            ),
            KeptWhy::NotFromTheCustomer => (
                "data.from",
                "is neither Customer nor Business (or a test delivery's): kept as sent, answered 2xx",
            ),
            KeptWhy::EchoOfOurReply => (
                "data.messageID",
                "is the echo of a reply we sent: kept as sent, answered 2xx, nothing added",
            ),
            KeptWhy::ReplyConflict => (
                "data.messageID",
                "names a reply another message took: kept as sent, answered 2xx",
            ),
            KeptWhy::QuickReply => (
                "data.sentAt",
                "is within moments of the lead's creation: Thumbtack's Quick Reply, not the pro's \
                 reply; kept as sent, answered 2xx",
            ),
        }
    }
}

/// Takes one delivery to our webhook of `delivery.business_id`. A refusal (401, 413, 400) is
/// counted in the refusal log, best effort, as on legacy.
pub async fn deliver_webhook<S, C>(
    deps: &InboundDeps<S, C>,
    delivery: WebhookDelivery<'_>,
) -> Result<WebhookAccepted, NotTaken>
where
    S: LeadStore + RefusalLog + WebhookRegistry + ReplyLedger,
    C: Send + Sync,
{
    let taken = Box::pin(take(&deps.store, &deps.metrics, delivery)).await;
    if let Err(error) = &taken
        && let Some(reason) = error.refusal()
    {
        let refusal = Refusal {
            at_ms: delivery.at_ms,
            route: Route::V4Webhook,
            reason,
        };
        crate::refusals::note(&deps.store, &refusal).await;
    }
    taken
}

async fn take<S: LeadStore + WebhookRegistry + ReplyLedger>(
    store: &S,
    metrics: &Metrics,
    delivery: WebhookDelivery<'_>,
) -> Result<WebhookAccepted, NotTaken> {
    let route = Route::V4Webhook;
    if let Err(failure) = authenticate(store, delivery.business_id, delivery.secret).await? {
        metrics.count(Metric::AuthFailures, Some(("Route", route.as_str())));
        return Err(NotTaken::Unauthorized(failure));
    }
    let (body, at_ms) = (delivery.body, delivery.at_ms);
    if body.len() > MAX_BODY_BYTES {
        let invalid = Invalid::body(
            InvalidKind::TooLarge,
            format!("is over the {MAX_BODY_BYTES}-byte limit"),
        );
        keep_refused(store, metrics, route, body, &invalid, at_ms).await?;
        return Err(NotTaken::TooLarge {
            size: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    let read = Delivery::parse(body)
        .and_then(|parsed| {
            of_the_webhook(&parsed, delivery.business_id)?;
            Ok(parsed)
        })
        .and_then(|parsed| Ok((parsed, text(body)?)));
    let (parsed, raw) = match read {
        Ok(read) => read,
        Err(invalid) => {
            keep_refused(store, metrics, route, body, &invalid, at_ms).await?;
            return Err(NotTaken::Invalid(invalid));
        }
    };
    let received = Received {
        webhook_business_id: delivery.business_id,
        at_ms,
    };
    let event_type = parsed.value.event.event_type.clone();
    let stored = match store_v4(store, metrics, &parsed, raw, received).await {
        Ok(stored) => stored,
        Err(StoreError::TooLarge(cause)) => {
            tracing::warn!(error = %crate::error_chain(&*cause), "payload too large to store; quarantined");
            let invalid = Invalid::body(
                InvalidKind::Fields,
                "is too large to store with its indexed fields",
            );
            keep_refused(store, metrics, route, body, &invalid, at_ms).await?;
            return Err(NotTaken::TooLargeToStore);
        }
        Err(error) => return Err(error.into()),
    };
    let why = match stored {
        StoredV4::Stored(fact) => {
            return Ok(WebhookAccepted::Stored(Accepted {
                lead_id: fact.lead_id,
                id: fact.id,
                kind: fact.kind,
                arrival: fact.arrival,
                lead_known: fact.lead_known,
                warnings: parsed.warnings,
            }));
        }
        StoredV4::NotACustomerMessage(fact) if fact.sender == Sender::Business && !fact.test => {
            match from_business::take(store, &fact, at_ms).await? {
                FromBusiness::TypedInApp { reply_id, arrival } => {
                    return Ok(WebhookAccepted::Replied {
                        lead_id: fact.message.lead_id.clone(),
                        message_id: fact.message.message.message_id.clone(),
                        reply_id,
                        arrival,
                    });
                }
                FromBusiness::Echo { reply_id } => {
                    tracing::info!(reply_id, "the echo of our reply");
                    KeptWhy::EchoOfOurReply
                }
                FromBusiness::Conflict => KeptWhy::ReplyConflict,
                FromBusiness::QuickReply => KeptWhy::QuickReply,
            }
        }
        StoredV4::NotACustomerMessage(_) => KeptWhy::NotFromTheCustomer,
        StoredV4::UnknownEvent { .. } => KeptWhy::UnknownEventType,
    };
    keep(store, body, why, at_ms).await?;
    Ok(WebhookAccepted::Kept { event_type, why })
}

/// Keeps a delivery we do not read into a fact, byte for byte, beside the refused ones (a
/// redelivery counts up on the same record), without counting it as refused.
async fn keep<S: LeadStore>(
    store: &S,
    body: &[u8],
    why: KeptWhy,
    at_ms: u64,
) -> Result<(), StoreError> {
    let (path, reason) = why.problem();
    let mut problems = Problems::default();
    problems.add(path, reason);
    let invalid = Invalid {
        kind: InvalidKind::Fields,
        problems,
    };
    super::quarantine(store, Route::V4Webhook, body, &invalid, at_ms).await
}

/// A lead or a message naming a business must name the webhook's: a secret opens its own
/// business's webhook only, never another business's leads.
fn of_the_webhook(parsed: &Parsed<Delivery>, business_id: &str) -> Result<(), Invalid> {
    let named = match &parsed.value.data {
        Data::Negotiation(lead) => Some((
            "data.business.businessID",
            lead.business.business_id.as_str(),
        )),
        Data::Message(message) => message
            .business_id()
            .map(|id| ("data.business.businessID", id)),
        Data::Review(review) => review
            .business_id
            .as_deref()
            .map(|id| ("data.businessID", id)),
        Data::Unknown(_) => None,
    };
    match named {
        Some((path, named)) if named != business_id => {
            let mut problems = Problems::default();
            problems.add(
                path,
                "must be the business of the webhook it was delivered to",
            );
            Err(Invalid {
                kind: InvalidKind::Fields,
                problems,
            })
        }
        _ => Ok(()),
    }
}

/// Checks the presented secret against the hash our webhook of `business_id` was registered with,
/// in constant time. An unknown business is the same failure as a wrong secret: the answer tells
/// a caller nothing of which businesses are connected.
async fn authenticate<R: WebhookRegistry>(
    registry: &R,
    business_id: &str,
    secret: Option<&[u8]>,
) -> Result<Result<(), AuthFailure>, StoreError> {
    let Some(secret) = secret else {
        return Ok(Err(AuthFailure::Missing));
    };
    let stored = registry.webhook_secret_hash(business_id).await?;
    // Hashed whether or not there is anything to compare it with: the same work either way.
    let presented = secret_hash(&String::from_utf8_lossy(secret));
    let Some(stored) = stored else {
        return Ok(Err(AuthFailure::Mismatch));
    };
    if bool::from(presented.as_bytes().ct_eq(stored.as_bytes())) {
        Ok(Ok(()))
    } else {
        Ok(Err(AuthFailure::Mismatch))
    }
}

#[cfg(test)]
mod tests;
