//! Where a deployed simulator keeps its state: one JSON snapshot with a version, written back only
//! if nobody wrote it since it was read (optimistic concurrency: Lambda instances share nothing
//! but the table). In process the state stays in memory and no store is used.

mod dynamo;

pub use dynamo::{DynamoStore, KEY, PARTITION_PREFIX};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;

/// Below DynamoDB's 400 KB item limit, with room for the key and version attributes.
pub const MAX_SNAPSHOT_BYTES: usize = 350_000;

pub type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The stored snapshot and the version it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub body: String,
    pub version: u64,
}

/// A trait object, not a generic: `Sim` is every handler's axum state, and a type parameter there
/// would reach every route for a choice made once per process.
pub trait SnapshotStore: std::fmt::Debug + Send + Sync {
    /// The snapshot, `None` before the first write.
    fn load(&self) -> Boxed<'_, Option<Stored>>;
    /// Writes `body` as the version after `expected` (`None`: only if nothing is stored yet).
    /// `false` when someone else wrote first.
    fn save(&self, body: String, expected: Option<u64>) -> Boxed<'_, bool>;
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the simulator's table could not be reached: {0}")]
    Unavailable(String),
    #[error("the simulator's stored state does not read: {0}")]
    Corrupt(String),
    #[error("the simulator's state kept changing under this request")]
    Contended,
}

impl StoreError {
    pub fn corrupt(error: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

/// A 503 for a busy or unreachable table, 500 for a state that does not read; the cause is logged,
/// not answered.
impl IntoResponse for StoreError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "simulator state");
        let status = match self {
            StoreError::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
            StoreError::Unavailable(_) | StoreError::Contended => StatusCode::SERVICE_UNAVAILABLE,
        };
        crate::problem::problem(status, "the simulator's state is unavailable")
    }
}
