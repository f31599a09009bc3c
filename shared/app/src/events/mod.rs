//! Events out: the partner's systems learn of every stored fact.
//!
//! A [`Fact`] is a change of the table that a conditional write made (a lead stored, a reply's
//! outcome recorded...), decoded by the adapter that reads the table's stream; an event exists
//! only because such a write succeeded. Each fact becomes one event whose `detail` is thin: ids,
//! times and non-personal facts of the lead. No customer name, phone, address, message or reply
//! text: those stay behind the IAM-protected read API.
//!
//! Delivery is at least once. The `eventID` is derived from the fact itself, so the same fact
//! delivered twice (a retried stream batch, a replayed archive) carries the same id and consumers
//! can drop the second.
//!
//! The catalogue is the [`Fact`] enum: a new event type is one variant, with its `detail-type`,
//! its id and its feed fields in the matches of its `impl` (in `facts.rs`). The same facts are
//! the changes feed's entries ([`FeedEntry`]): one shape, read from the table by one decoder
//! (`adapters::dynamo::changes`), whether from the stream or from the feed's index.

mod facts;
mod feed;
mod publish;

pub use crate::ports::Event;
pub use facts::{ConnectionChange, DetailType, Fact, LeadFacts, SOURCE, rfc3339_millis};
pub use feed::FeedEntry;
pub use publish::{Change, EventsDeps, PublishPolicy, publish};
