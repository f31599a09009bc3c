//! The quarantine desk over [`MemoryStore`].

use super::MemoryStore;
use crate::ports::{QuarantineDesk, QuarantineRecord, ReplayNote, StoreError};

impl QuarantineDesk for MemoryStore {
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
