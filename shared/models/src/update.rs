//! `PUT /v1/lead/update`: a lead's price, known only after the lead was sent:
//! `{"leadID": "...", "leadPrice": "$25.00", "chargeState": "Charged" | null}`.
//!
//! An update says what changed: a field left out leaves the lead's value as it was, an explicit
//! `null` clears it ([`Patch`](crate::patch::Patch)).

use crate::ids::is_valid_id;
use crate::patch::Patch;
use crate::path::Path;
use crate::problems::{Invalid, Parsed};
use crate::walk::{Entries, Need, Walker, parse};
use serde::{Deserialize, Serialize};

/// A lead update as we keep it typed: its key is `leadID`; a price or charge state of the wrong
/// type is a warning and changes nothing (the raw body keeps what was sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadUpdate {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub lead_price: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub charge_state: Patch<String>,
}

impl LeadUpdate {
    /// Refused only without a usable `leadID`; any other problem is a warning.
    pub fn parse(body: &[u8]) -> Result<Parsed<LeadUpdate>, Invalid> {
        parse(body, LeadUpdate::follows_the_rules, read_update)
    }

    /// The walker alone, without the fast path: the tests check that both agree on every input.
    #[doc(hidden)]
    pub fn parse_by_walking(body: &[u8]) -> Result<Parsed<LeadUpdate>, Invalid> {
        crate::walk::walk_only(body, read_update)
    }

    fn follows_the_rules(&self) -> bool {
        is_valid_id(&self.lead_id)
    }
}

fn read_update(w: &mut Walker, root: &Entries) -> Option<LeadUpdate> {
    let top = Path::Root;
    let lead_id = w.id(Need::Key, root, &top.key("leadID"));
    let lead_price = w.patch_text(Need::Field, root, &top.key("leadPrice"));
    let charge_state = w.patch_text(Need::Field, root, &top.key("chargeState"));
    Some(LeadUpdate {
        lead_id: lead_id?,
        lead_price,
        charge_state,
    })
}
