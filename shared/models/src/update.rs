//! `PUT /v1/lead/update`: a lead's price, known only after the lead was sent:
//! `{"leadID": "...", "leadPrice": "$25.00", "chargeState": "Charged" | null}`.
//!
//! An update says what changed: a field left out leaves the lead's value as it was, an explicit
//! `null` clears it ([`Patch`]).

use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::{Invalid, Parsed};
use crate::walk::{Entries, Need, Walker, parse};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// What an update does to one field of its lead: left out, the lead keeps its value; `null`
/// clears it; a value sets it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Patch<T> {
    /// Not given (or not usable): the lead keeps what it has.
    #[default]
    Unchanged,
    /// Given as `null`: the lead has none any more.
    Cleared,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Patch::Unchanged)
    }

    pub fn as_deref(&self) -> Patch<&T::Target>
    where
        T: std::ops::Deref,
    {
        match self {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Cleared => Patch::Cleared,
            Patch::Set(value) => Patch::Set(value),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Cleared => Patch::Cleared,
            Patch::Set(value) => Patch::Set(f(value)),
        }
    }

    /// The value it sets, if it sets one.
    pub fn set(self) -> Option<T> {
        match self {
            Patch::Set(value) => Some(value),
            Patch::Unchanged | Patch::Cleared => None,
        }
    }
}

/// Only called for a field that is there (`#[serde(default)]` makes a missing one unchanged):
/// `null` clears, a value sets.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Patch::Cleared,
            Some(value) => Patch::Set(value),
        })
    }
}

/// `null` for cleared, the value for set; an unchanged field is left out
/// (`skip_serializing_if = "Patch::is_unchanged"`), and written as `null` if it is not.
impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(value) => value.serialize(serializer),
            Patch::Unchanged | Patch::Cleared => serializer.serialize_none(),
        }
    }
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
