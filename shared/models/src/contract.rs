//! Which of Thumbtack's contracts carried a fact: the legacy routes or v4 webhooks. Records stored
//! before v4 carry no mark and are legacy, so none needs a migration.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contract {
    /// `POST /v1/lead`, `/v1/message`, `PUT /v1/lead/update`, `POST /v1/review`, with Basic.
    #[default]
    Legacy,
    /// A business webhook's `NegotiationCreatedV4`, `MessageCreatedV4`, `ReviewCreatedV4`.
    V4,
}

impl Contract {
    /// The name in JSON (`"contract": "v4"`), and wherever it is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Contract::Legacy => "legacy",
            Contract::V4 => "v4",
        }
    }

    /// The contract a stored mark names: none (a record from before v4) is legacy.
    pub fn from_stored(mark: Option<&str>) -> Result<Contract, crate::conversation::UnknownName> {
        mark.map_or(Ok(Contract::Legacy), str::parse)
    }
}

impl std::str::FromStr for Contract {
    type Err = crate::conversation::UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [Contract::Legacy, Contract::V4]
            .into_iter()
            .find(|contract| contract.as_str() == name)
            .ok_or(crate::conversation::UnknownName("contract"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_reads_back_from_its_name_which_is_its_json() {
        for contract in [Contract::Legacy, Contract::V4] {
            assert_eq!(contract.as_str().parse::<Contract>(), Ok(contract));
            assert_eq!(
                serde_json::to_value(contract).unwrap_or_default(),
                contract.as_str()
            );
        }
        assert!("V4".parse::<Contract>().is_err());
    }

    #[test]
    fn a_record_without_a_mark_is_legacy() {
        assert_eq!(Contract::from_stored(None), Ok(Contract::Legacy));
        assert_eq!(Contract::from_stored(Some("v4")), Ok(Contract::V4));
        assert!(Contract::from_stored(Some("v5")).is_err());
    }
}
