//! What each function needs, on one floor: the ports (generic, see the crate's documentation) and
//! the settings a function builds once in its init and hands to every invocation.

use crate::metrics::Metrics;
use crate::pull::PullSettings;

pub use crate::events::EventsDeps;
pub use crate::replies::ReplyDeps;
pub use crate::speed::SpeedDeps;

/// What the inbound functions (leads, messages) need: where deliveries are stored (and refusals
/// noted), the credentials Thumbtack must present, and the counters.
#[derive(Debug, Clone)]
pub struct InboundDeps<S, C> {
    pub store: S,
    pub credentials: C,
    pub metrics: Metrics,
}

/// What the read function needs: the store (a lead's conversation, the listings, a business's
/// settings and stats) and the pull routes' settings (the cursor key, the changes feed's settle
/// window).
#[derive(Debug, Clone)]
pub struct ReadDeps<S> {
    pub store: S,
    pub pull: PullSettings,
}
