//! What each inbound route stores, and how: a lead, a message, a lead update, a review.

use super::{Arrival, settle};
use crate::digest::json_digest;
use crate::ports::{
    LeadStore, NewLead, NewLeadUpdate, NewMessage, NewReview, NewRevision, Price, Route,
    StoreError, UpdateRecord,
};
use models::{
    InboundMessage, Invalid, Lead, LeadUpdate, Parsed, Patch, ReviewDelivery, RevisionOf,
};
use std::future::Future;

/// The ids a stored payload names, for answers and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids<'a> {
    /// The lead it is about (a review need not name one).
    pub lead_id: Option<&'a str>,
    /// Its own id, and which id that is.
    pub id: &'a str,
    pub kind: IdKind,
}

/// Which id a payload's own is: a lead's (a lead, a lead update), a message's or a review's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Lead,
    Message,
    Review,
}

/// What storing a payload came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub arrival: Arrival,
    /// Whether its lead is stored, where the route answers 202 otherwise.
    pub lead_known: Option<bool>,
}

/// What the inbound routes store.
pub trait Payload: Sized + Send + Sync {
    const ROUTE: Route;

    fn parse(body: &[u8]) -> Result<Parsed<Self>, Invalid>;

    fn ids(&self) -> Ids<'_>;

    /// Stores it once, whatever the number of deliveries, with what follows from it.
    fn store<S: LeadStore>(
        store: &S,
        parsed: &Parsed<Self>,
        raw: &str,
        received_at_ms: u64,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send;
}

impl Payload for Lead {
    const ROUTE: Route = Route::Lead;

    fn parse(body: &[u8]) -> Result<Parsed<Self>, Invalid> {
        Lead::parse(body)
    }

    fn ids(&self) -> Ids<'_> {
        Ids {
            lead_id: Some(&self.lead_id),
            id: &self.lead_id,
            kind: IdKind::Lead,
        }
    }

    /// A new lead takes from the updates that came before it the fields they gave (the newest
    /// of each); so does a redelivery, in case the first delivery stopped between the writes.
    async fn store<S: LeadStore>(
        store: &S,
        parsed: &Parsed<Self>,
        raw: &str,
        received_at_ms: u64,
    ) -> Result<Stored, StoreError> {
        let lead = &parsed.value;
        let new = NewLead {
            lead,
            warnings: &parsed.warnings,
            raw,
            marks: models::v4::stored::marks(raw),
            received_at_ms,
        };
        let insert = store.insert_lead(new).await?;
        let revision = NewRevision {
            lead_id: Some(&lead.lead_id),
            business_id: &lead.business.business_id,
            of: RevisionOf::Lead,
            id: &lead.lead_id,
            digest: "",
            raw,
            received_at_ms,
        };
        let arrival = settle(store, insert, revision).await?;
        if arrival != Arrival::Revision {
            let updates = store.stored_updates(&lead.lead_id).await?;
            for price in newest_of_each_field(&updates) {
                store.apply_price(&lead.lead_id, price).await?;
            }
        }
        Ok(Stored {
            arrival,
            lead_known: None,
        })
    }
}

/// What a lead that arrives after its updates takes from them: for each field, the newest update
/// that gave it (a value or `null`); one write when the same update gave both.
fn newest_of_each_field(updates: &[UpdateRecord]) -> Vec<Price<'_>> {
    let newest = |gave: fn(&UpdateRecord) -> bool| {
        updates
            .iter()
            .filter(|update| gave(update))
            .max_by_key(|update| update.received_at_ms)
    };
    let price = newest(|u| !u.lead_price.is_unchanged());
    let charge = newest(|u| !u.charge_state.is_unchanged());
    let both = matches!((price, charge), (Some(p), Some(c)) if std::ptr::eq(p, c));
    let mut prices = Vec::with_capacity(2);
    if let Some(update) = price {
        prices.push(Price {
            lead_price: update.lead_price.as_deref(),
            charge_state: if both {
                update.charge_state.as_deref()
            } else {
                Patch::Unchanged
            },
            at_ms: update.received_at_ms,
        });
    }
    if let Some(update) = charge.filter(|_| !both) {
        prices.push(Price {
            lead_price: Patch::Unchanged,
            charge_state: update.charge_state.as_deref(),
            at_ms: update.received_at_ms,
        });
    }
    prices
}

impl Payload for InboundMessage {
    const ROUTE: Route = Route::Message;

    fn parse(body: &[u8]) -> Result<Parsed<Self>, Invalid> {
        InboundMessage::parse(body)
    }

    fn ids(&self) -> Ids<'_> {
        Ids {
            lead_id: Some(&self.lead_id),
            id: &self.message.message_id,
            kind: IdKind::Message,
        }
    }

    /// Stored whether or not its lead is; whether it is comes from one read at the same time.
    async fn store<S: LeadStore>(
        store: &S,
        parsed: &Parsed<Self>,
        raw: &str,
        received_at_ms: u64,
    ) -> Result<Stored, StoreError> {
        let message = &parsed.value;
        let new = NewMessage {
            message,
            warnings: &parsed.warnings,
            raw,
            received_at_ms,
        };
        let (insert, lead) = tokio::join!(
            store.insert_message(new),
            store.stored_lead(&message.lead_id)
        );
        let revision = NewRevision {
            lead_id: Some(&message.lead_id),
            business_id: &message.business_id,
            of: RevisionOf::Message,
            id: &message.message.message_id,
            digest: "",
            raw,
            received_at_ms,
        };
        let arrival = settle(store, insert?, revision).await?;
        Ok(Stored {
            arrival,
            lead_known: Some(lead?.is_some()),
        })
    }
}

impl Payload for LeadUpdate {
    const ROUTE: Route = Route::LeadUpdate;

    fn parse(body: &[u8]) -> Result<Parsed<Self>, Invalid> {
        LeadUpdate::parse(body)
    }

    fn ids(&self) -> Ids<'_> {
        Ids {
            lead_id: Some(&self.lead_id),
            id: &self.lead_id,
            kind: IdKind::Lead,
        }
    }

    /// Each distinct update once (a different one is another update, not a revision); its price
    /// set on the lead unless a newer one is, as of when the update was first stored.
    async fn store<S: LeadStore>(
        store: &S,
        parsed: &Parsed<Self>,
        raw: &str,
        received_at_ms: u64,
    ) -> Result<Stored, StoreError> {
        let update = &parsed.value;
        let digest = json_digest(raw);
        let inserted = store
            .insert_update(NewLeadUpdate {
                update,
                digest: &digest,
                warnings: &parsed.warnings,
                raw,
                received_at_ms,
            })
            .await?;
        let price = Price {
            lead_price: update.lead_price.as_deref(),
            charge_state: update.charge_state.as_deref(),
            at_ms: inserted.stored_at_ms,
        };
        let lead_known = store.apply_price(&update.lead_id, price).await?;
        Ok(Stored {
            arrival: if inserted.created {
                Arrival::Stored
            } else {
                Arrival::Duplicate
            },
            lead_known: Some(lead_known),
        })
    }
}

impl Payload for ReviewDelivery {
    const ROUTE: Route = Route::Review;

    fn parse(body: &[u8]) -> Result<Parsed<Self>, Invalid> {
        ReviewDelivery::parse(body)
    }

    fn ids(&self) -> Ids<'_> {
        Ids {
            lead_id: self.review.lead_id.as_deref(),
            id: &self.review.review_id,
            kind: IdKind::Review,
        }
    }

    /// Once per reviewID (a changed redelivery a revision); shown in its lead's conversation
    /// when it names a lead.
    async fn store<S: LeadStore>(
        store: &S,
        parsed: &Parsed<Self>,
        raw: &str,
        received_at_ms: u64,
    ) -> Result<Stored, StoreError> {
        let review = &parsed.value.review;
        let new = NewReview {
            review,
            warnings: &parsed.warnings,
            raw,
            received_at_ms,
        };
        let insert = store.insert_review(new).await?;
        let revision = NewRevision {
            lead_id: review.lead_id.as_deref(),
            business_id: &review.business_id,
            of: RevisionOf::Review,
            id: &review.review_id,
            digest: "",
            raw,
            received_at_ms,
        };
        let arrival = settle(store, insert, revision).await?;
        // The first version is the record: a revision does not replace what the lead shows.
        if arrival != Arrival::Revision
            && let Some(lead_id) = &review.lead_id
        {
            store.link_review(new, lead_id).await?;
        }
        Ok(Stored {
            arrival,
            lead_known: None,
        })
    }
}
