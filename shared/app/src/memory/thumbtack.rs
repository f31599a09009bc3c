//! [`ScriptedThumbtack`]: Thumbtack's messages API answering from a script.

use crate::ports::{Accepted, SendError, Thumbtack};
use std::collections::VecDeque;
use std::sync::Mutex;

/// A [`Thumbtack`] that answers from a script and records what it was sent.
#[derive(Debug, Default)]
pub struct ScriptedThumbtack {
    script: Mutex<VecDeque<Result<Accepted, SendError>>>,
    sent: Mutex<Vec<(String, String, String)>>,
}

impl ScriptedThumbtack {
    /// Answers these in order, then 200 for ever.
    pub fn answering(answers: impl IntoIterator<Item = Result<Accepted, SendError>>) -> Self {
        ScriptedThumbtack {
            script: Mutex::new(answers.into_iter().collect()),
            sent: Mutex::default(),
        }
    }

    /// `(businessID, leadID, text)` of every call, in order.
    pub fn calls(&self) -> Vec<(String, String, String)> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A 503, the typical transient answer.
pub fn unavailable() -> SendError {
    SendError::Transient {
        status: Some(503),
        retry_after: None,
        detail: "Thumbtack answered 503".to_owned(),
    }
}

impl Thumbtack for ScriptedThumbtack {
    async fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> Result<Accepted, SendError> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((business_id.to_owned(), lead_id.to_owned(), text.to_owned()));
        self.script
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop_front()
            .unwrap_or(Ok(Accepted::legacy(200)))
    }
}
