//! The quarantine desk over [`MemoryStore`], in the order and with the positions of the DynamoDB
//! index: `<firstReceivedAt>#<digest>` descending (docs/data-model.md).

use super::MemoryStore;
use super::listings::page;
use crate::ports::{Cursor, Page, QuarantineDesk, QuarantineRecord, ReplayNote, StoreError};

impl QuarantineDesk for MemoryStore {
    async fn list_quarantine(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<QuarantineRecord>, StoreError> {
        self.check()?;
        let mut listed: Vec<(String, QuarantineRecord)> = self
            .lock()
            .quarantine
            .values()
            .map(|r| {
                let position = format!("{:015}#{}", r.first_received_at_ms, r.digest);
                (position, r.clone())
            })
            .filter(|(position, _)| after.is_none_or(|after| *position < after.0))
            .collect();
        listed.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(page(listed, limit, None))
    }

    async fn quarantined(&self, digest: &str) -> Result<Option<QuarantineRecord>, StoreError> {
        self.check()?;
        Ok(self.lock().quarantine.get(digest).cloned())
    }

    async fn note_replay(&self, digest: &str, note: &ReplayNote) -> Result<(), StoreError> {
        self.check()?;
        if let Some(record) = self.lock().quarantine.get_mut(digest) {
            record.replay = Some(note.clone());
        }
        Ok(())
    }
}
