//! [`RecordingQueue`]: the reply queue, recording what the handler asked of it.

use crate::ports::{Parked, QueueError, ReplyQueue};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A [`ReplyQueue`] that records what the handler asked of it.
#[derive(Debug, Default)]
pub struct RecordingQueue {
    delays: Mutex<Vec<(String, Duration)>>,
    parked: Mutex<Vec<(String, String)>>,
    failing: AtomicBool,
}

impl RecordingQueue {
    /// `(receipt handle, delay)` of every `retry_later`.
    pub fn delays(&self) -> Vec<(String, Duration)> {
        self.delays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `(message id, reason)` of every parked message.
    pub fn parked(&self) -> Vec<(String, String)> {
        self.parked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn fail_all_calls(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError("injected queue fault".into()));
        }
        Ok(())
    }
}

impl ReplyQueue for RecordingQueue {
    async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        self.check()?;
        self.delays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((receipt_handle.to_owned(), delay));
        Ok(())
    }

    async fn park(&self, parked: Parked<'_>) -> Result<(), QueueError> {
        self.check()?;
        self.parked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((parked.message_id.to_owned(), parked.reason.to_owned()));
        Ok(())
    }
}
