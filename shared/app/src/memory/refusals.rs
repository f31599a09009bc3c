//! The refusal log over [`MemoryStore`]: one count per minute and kind, as the table keeps them.

use super::MemoryStore;
use crate::ports::{Refusal, RefusalCount, RefusalLog, StoreError};
use std::sync::atomic::Ordering;

impl MemoryStore {
    /// From now on recording a refusal fails (`true`); nothing else does.
    pub fn fail_refusals(&self, failing: bool) {
        self.refusals_failing.store(failing, Ordering::SeqCst);
    }

    /// Every count, oldest minute first.
    pub fn refusal_counts(&self) -> Vec<RefusalCount> {
        self.lock().refusals.values().cloned().collect()
    }
}

impl RefusalLog for MemoryStore {
    async fn record(&self, refusal: &Refusal) -> Result<(), StoreError> {
        // Not `check()`: that would spend the calls `fail_after` counts on the paths under test.
        if self.failing.load(Ordering::SeqCst) || self.refusals_failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected refusal log fault".into()));
        }
        let (route, reason) = (refusal.route.as_str(), refusal.reason.code());
        let mut state = self.lock();
        let count = state
            .refusals
            .entry((refusal.minute(), route, reason))
            .or_insert_with(|| RefusalCount {
                minute: refusal.minute(),
                route: route.to_owned(),
                status: refusal.reason.status(),
                reason: reason.to_owned(),
                credentials_presented: refusal.reason.credentials_presented(),
                count: 0,
                first_at_ms: refusal.at_ms,
                last_at_ms: refusal.at_ms,
            });
        count.count += 1;
        count.first_at_ms = count.first_at_ms.min(refusal.at_ms);
        count.last_at_ms = count.last_at_ms.max(refusal.at_ms);
        Ok(())
    }

    async fn refusals(&self, limit: usize) -> Result<Vec<RefusalCount>, StoreError> {
        Ok(self
            .lock()
            .refusals
            .values()
            .rev()
            .take(limit)
            .cloned()
            .collect())
    }
}
