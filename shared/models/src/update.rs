//! `PUT /v1/lead/update`: a lead's price, known only after the lead was sent:
//! `{"leadID": "...", "leadPrice": "$25.00", "chargeState": "Charged" | null}`.

use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::{Invalid, Parsed};
use crate::walk::{Entries, Need, Walker, parse};
use serde::{Deserialize, Serialize};

/// A lead update as we keep it typed: its key is `leadID`; the price is a warning when missing or
/// unusable (the raw body keeps what was sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadUpdate {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_state: Option<String>,
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
        is_valid_id(&self.lead_id) && self.lead_price.is_some()
    }
}

fn read_update(w: &mut Walker, root: &Entries) -> Option<LeadUpdate> {
    let top = Path::Root;
    let lead_id = w.id(Need::Key, root, &top.key("leadID"));
    let lead_price = w.text(Need::Field, root, &top.key("leadPrice"));
    let charge_state = w.optional_text(Need::Field, root, &top.key("chargeState"));
    Some(LeadUpdate {
        lead_id: lead_id?,
        lead_price,
        charge_state,
    })
}
