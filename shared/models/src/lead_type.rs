//! `leadType`: what kind of lead Thumbtack sent. The known values are typed; a value Thumbtack adds
//! later is kept as it is, never refused.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LeadType {
    Availability,
    Contact,
    Estimation,
    Call,
    Booking,
    PhoneConsultation,
    InstantBook,
    Sponsored,
    InstantConsult,
    ServiceCall,
    Fulfillment,
    RequestAQuote,
    MismatchRequestAQuote,
    /// A value not known when this was written, as Thumbtack sent it.
    Other(String),
}

const KNOWN: [(LeadType, &str); 13] = [
    (LeadType::Availability, "AVAILABILITY"),
    (LeadType::Contact, "CONTACT"),
    (LeadType::Estimation, "ESTIMATION"),
    (LeadType::Call, "CALL"),
    (LeadType::Booking, "BOOKING"),
    (LeadType::PhoneConsultation, "PHONE_CONSULTATION"),
    (LeadType::InstantBook, "INSTANT_BOOK"),
    (LeadType::Sponsored, "SPONSORED"),
    (LeadType::InstantConsult, "INSTANT_CONSULT"),
    (LeadType::ServiceCall, "SERVICE_CALL"),
    (LeadType::Fulfillment, "FULFILLMENT"),
    (LeadType::RequestAQuote, "REQUEST_A_QUOTE"),
    (LeadType::MismatchRequestAQuote, "MISMATCH_REQUEST_A_QUOTE"),
];

impl LeadType {
    /// The wire name: a known value's, or the other value as received.
    pub fn as_str(&self) -> &str {
        match self {
            LeadType::Other(text) => text,
            known => KNOWN
                .iter()
                .find(|(kind, _)| kind == known)
                .map_or("", |(_, name)| name),
        }
    }

    /// Any text: a known value, or [`LeadType::Other`].
    pub fn from_wire(text: &str) -> Self {
        KNOWN.iter().find(|(_, name)| *name == text).map_or_else(
            || LeadType::Other(text.to_owned()),
            |(kind, _)| kind.clone(),
        )
    }
}

impl Serialize for LeadType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LeadType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(LeadType::from_wire(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_lead_type_reads_back_from_its_name_and_a_new_one_is_kept() {
        for (kind, name) in &KNOWN {
            assert_eq!(LeadType::from_wire(name), *kind);
            assert_eq!(kind.as_str(), *name);
        }
        let new = LeadType::from_wire("VIDEO_CONSULT");
        assert_eq!(new, LeadType::Other("VIDEO_CONSULT".into()));
        assert_eq!(new.as_str(), "VIDEO_CONSULT");
        assert_eq!(
            serde_json::to_string(&LeadType::InstantBook).unwrap_or_default(),
            "\"INSTANT_BOOK\""
        );
    }
}
