//! One delivery at the inbound edge, whole: its credentials checked (a failure counted), its size
//! bounded (a body over it kept all the same), its body ingested, and a refusal noted. The HTTP
//! edge makes this one call and only turns a request into a [`Delivery`] and the result into an
//! answer.

use super::{Arrival, IdKind, IngestError, MAX_BODY_BYTES, Payload, ingest, keep_too_large};
use crate::auth::AuthFailure;
use crate::deps::InboundDeps;
use crate::ports::{CredentialError, CredentialSource, Refusal, RefusalLog, RefusalReason, Route};
use crate::{LeadStore, StoreError};
use models::{InboundMessage, Invalid, Lead, LeadUpdate, Problems, ReviewDelivery};

/// What a request brought, and when it came.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The `Authorization` header's value as sent, if any.
    pub authorization: Option<&'a [u8]>,
    /// The body as sent (base64 already decoded where the gateway encoded it).
    pub body: &'a [u8],
    /// When it arrived, unix milliseconds: its `receivedAt`, and the time of its refusal.
    pub at_ms: u64,
}

/// A delivery that was stored (or found stored before): what its answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The lead it is about (a review need not name one).
    pub lead_id: Option<String>,
    /// Its own id, and which id that is.
    pub id: String,
    pub kind: IdKind,
    pub arrival: Arrival,
    /// Whether the lead it is about is stored, where that is asked (a message, a lead update):
    /// `Some(false)` is answered 202.
    pub lead_known: Option<bool>,
    /// What was wrong in its fields, stored beside it.
    pub warnings: Problems,
}

/// Why a delivery was not taken: refused (4xx, with its reason) or not stored for a fault (5xx,
/// Thumbtack sends it again). The refused bodies that were authenticated are in quarantine.
#[derive(Debug, thiserror::Error)]
pub enum NotTaken {
    #[error("not authenticated: {0}")]
    Unauthorized(AuthFailure),
    /// Over [`MAX_BODY_BYTES`]: not read, kept in quarantine.
    #[error("request body of {size} bytes is over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    /// Under the body limit, but too large to store with its copied fields (kept in quarantine).
    #[error("request body too large to store")]
    TooLargeToStore,
    /// A key missing or unusable, or not a JSON object (kept in quarantine).
    #[error("payload refused: {0}")]
    Invalid(Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

impl NotTaken {
    /// The reason of a refusal, or `None` for a fault.
    pub fn refusal(&self) -> Option<RefusalReason> {
        Some(match self {
            NotTaken::Unauthorized(AuthFailure::Missing) => RefusalReason::MissingCredentials,
            NotTaken::Unauthorized(AuthFailure::NotBasic | AuthFailure::Malformed) => {
                RefusalReason::MalformedCredentials
            }
            NotTaken::Unauthorized(AuthFailure::Mismatch) => RefusalReason::WrongCredentials,
            NotTaken::TooLarge { .. } => RefusalReason::PayloadTooLarge,
            NotTaken::TooLargeToStore => RefusalReason::TooLargeToStore,
            NotTaken::Invalid(invalid) => RefusalReason::Invalid(invalid.kind),
            NotTaken::Store(_) | NotTaken::Credentials(_) => return None,
        })
    }
}

impl From<IngestError> for NotTaken {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Refused(invalid) => NotTaken::Invalid(invalid),
            IngestError::TooLarge | IngestError::Store(StoreError::TooLarge(_)) => {
                NotTaken::TooLargeToStore
            }
            IngestError::Store(error) => NotTaken::Store(error),
        }
    }
}

/// Takes one delivery on `route`: accepted once it is durably stored (or was stored before). A
/// refusal (401, 413, 400) is counted in the refusal log (route and reason, never the body), best
/// effort: the result is the same whether that write works or not.
pub async fn deliver<S: LeadStore + RefusalLog, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    route: Route,
    delivery: Delivery<'_>,
) -> Result<Accepted, NotTaken> {
    // Each on the heap: four payloads' futures (the SDK's calls in them are large) would
    // otherwise all be laid out in this one, and in every future that awaits it.
    let taken = match route {
        Route::Lead => Box::pin(take::<Lead, S, C>(deps, delivery)).await,
        Route::LeadUpdate => Box::pin(take::<LeadUpdate, S, C>(deps, delivery)).await,
        Route::Message => Box::pin(take::<InboundMessage, S, C>(deps, delivery)).await,
        Route::Review => Box::pin(take::<ReviewDelivery, S, C>(deps, delivery)).await,
        // v4 deliveries are `deliver_webhook`'s: they carry no Basic credential of ours.
        Route::V4Webhook => Err(NotTaken::Unauthorized(AuthFailure::Mismatch)),
    };
    if let Err(error) = &taken
        && let Some(reason) = error.refusal()
    {
        let refusal = Refusal {
            at_ms: delivery.at_ms,
            route,
            reason,
        };
        crate::refusals::note(&deps.store, &refusal).await;
    }
    taken
}

async fn take<P: Payload, S: LeadStore, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    delivery: Delivery<'_>,
) -> Result<Accepted, NotTaken> {
    let route = P::ROUTE;
    if let Err(failure) = authenticate(&deps.credentials, delivery.authorization).await? {
        deps.metrics.count(
            crate::metrics::Metric::AuthFailures,
            Some(("Route", route.as_str())),
        );
        return Err(NotTaken::Unauthorized(failure));
    }
    let (body, at_ms) = (delivery.body, delivery.at_ms);
    if body.len() > MAX_BODY_BYTES {
        keep_too_large::<P, S>(&deps.store, &deps.metrics, body, MAX_BODY_BYTES, at_ms).await?;
        return Err(NotTaken::TooLarge {
            size: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    let ingested = ingest::<P, S>(&deps.store, &deps.metrics, body, at_ms).await?;
    let ids = ingested.parsed.value.ids();
    Ok(Accepted {
        lead_id: ids.lead_id.map(str::to_owned),
        id: ids.id.to_owned(),
        kind: ids.kind,
        arrival: ingested.arrival,
        lead_known: ingested.lead_known,
        warnings: ingested.parsed.warnings,
    })
}

/// Checks an `Authorization` header against the accepted set; a credential that matches none of
/// it is tried once more against what the source reads only then (a rotation's previous password).
async fn authenticate<C: CredentialSource>(
    credentials: &C,
    header: Option<&[u8]>,
) -> Result<Result<(), AuthFailure>, CredentialError> {
    let accepted = credentials.accepted().await?;
    Ok(match accepted.verify_header(header) {
        Err(AuthFailure::Mismatch) => match credentials.after_mismatch().await? {
            Some(more) => more.verify_header(header),
            None => Err(AuthFailure::Mismatch),
        },
        verdict => verdict,
    })
}
