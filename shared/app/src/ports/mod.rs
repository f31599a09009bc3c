//! The ports: what the domain needs from the outside world, as traits the adapters implement
//! (DynamoDB, SQS, Secrets Manager, reqwest) and `memory` implements in memory for unit tests.
//!
//! - [`storage`]: what Thumbtack sends, stored once, and a lead's conversation read back;
//! - [`listings`]: the index's listings, a page at a time (operators, the partner's systems);
//! - [`quarantine`]: one quarantined payload, and the note of its replay (operators);
//! - [`refusals`]: the trace of refused deliveries, without their bodies (operators);
//! - [`replies`]: the reply ledger, Thumbtack's messages API, the reply queue;
//! - [`credentials`]: the credentials accepted from Thumbtack;
//! - [`events`]: the bus the partner's systems learn of stored facts from;
//! - [`speed`]: speed to lead: business settings, acknowledgements, wake-ups;
//! - [`connections`]: v4 connections: the registry, the token vault, Thumbtack's v4 OAuth and API;
//! - [`webhooks`]: the secret a v4 delivery to our webhook of a business is checked against.
//!
//! Ports are traits with `impl Future + Send` methods, injected as generic parameters: see the
//! crate's documentation.

pub mod connections;
pub mod credentials;
pub mod events;
pub mod listings;
pub mod quarantine;
pub mod refusals;
pub mod replies;
pub mod speed;
pub mod storage;
pub mod webhooks;

pub use connections::{
    ConnectedBusiness, Connection, ConnectionStatus, ConnectionStore, SaveNotes, StatusChange,
    ThumbtackV4, TokenSet, TokenVault, V4Business, V4Error, V4User, V4Webhook, VaultError,
    WebhookSpec,
};
pub use credentials::{CredentialError, CredentialSource};
pub use events::{BusError, Event, EventBus, Put};
pub use listings::{CreatedWindow, Cursor, LeadSummary, Listed, Listings, Page, QuarantineRecord};
pub use quarantine::{QuarantineDesk, ReplayNote};
pub use refusals::{Refusal, RefusalCount, RefusalLog, RefusalReason};
pub use replies::{
    Accepted, Claim, LeadFirstReply, Parked, QueueError, Recorded, ReplyClaim, ReplyContext,
    ReplyLedger, ReplyQueue, ReplyRecord, SendError, Thumbtack,
};
pub use speed::{
    AckNote, AckStatus, BusinessDesk, DayStats, Outbox, ScheduleError, Scheduler, StatsDesk,
    Wakeup, WakeupKind,
};
pub use storage::{
    BoxError, ConversationRecords, Insert, LeadRef, LeadStore, MessageRecord, NewLead,
    NewLeadUpdate, NewMessage, NewReview, NewRevision, Price, Quarantined, ReviewRecord,
    RevisionRecord, Route, StoreError, UpdateInsert, UpdateRecord,
};
pub use webhooks::WebhookRegistry;
