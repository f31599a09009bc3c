//! Which of Thumbtack's contracts carried a fact: the legacy routes or v4 webhooks. Nothing stores
//! it: a stored body's shape says it (`v4::stored::contract_of`), so records from before v4 are
//! legacy with no migration.

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
    /// The name in JSON (`"contract": "v4"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Contract::Legacy => "legacy",
            Contract::V4 => "v4",
        }
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
}
