//! Faults on demand: on an endpoint the partner calls (`POST /sim/faults`), or on the next
//! deliveries (`POST /sim/faults/deliveries`). Each fault is used up after `times` uses.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Fault {
    /// Answer this status (429, 5xx...) with a `ProblemDetails`, and `Retry-After` when given.
    #[serde(rename_all = "camelCase")]
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Thumbtack's WAF silent challenge (facts §5): a 202 with a page, nothing done.
    WafChallenge,
    /// Wait, then answer normally.
    Latency { ms: u64 },
    /// Wait longer than a client should, then answer 504 without doing anything.
    Timeout {
        #[serde(default = "default_timeout")]
        ms: u64,
    },
}

fn default_timeout() -> u64 {
    30_000
}

fn one() -> u32 {
    1
}

/// A fault on one endpoint, named `METHOD /path` as routed (`POST /api/v4/negotiations/{negotiationID}/messages`)
/// or as called (`POST /api/v4/negotiations/42/messages`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointFault {
    pub endpoint: String,
    pub fault: Fault,
    #[serde(default = "one")]
    pub times: u32,
}

/// What happens to the next deliveries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeliveryFault {
    /// Deliver twice.
    pub duplicate: bool,
    /// Deliver this much later, in the background: later deliveries overtake it (out of order).
    pub delay_ms: Option<u64>,
    pub times: u32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Faults {
    pub endpoints: Vec<EndpointFault>,
    pub deliveries: Vec<DeliveryFault>,
}

impl Faults {
    pub(crate) fn take_endpoint(&mut self, called: &str) -> Option<Fault> {
        let index = self
            .endpoints
            .iter()
            .position(|f| matches(&f.endpoint, called))?;
        let entry = &mut self.endpoints[index];
        let fault = entry.fault.clone();
        entry.times = entry.times.saturating_sub(1);
        if entry.times == 0 {
            self.endpoints.remove(index);
        }
        Some(fault)
    }

    pub fn take_delivery(&mut self) -> Option<DeliveryFault> {
        let entry = self.deliveries.first_mut()?;
        let fault = entry.clone();
        entry.times = entry.times.saturating_sub(1);
        if entry.times == 0 {
            self.deliveries.remove(0);
        }
        Some(fault)
    }
}

/// `POST /a/{id}/b` names `POST /a/42/b`: a `{...}` segment stands for any one segment.
fn matches(pattern: &str, called: &str) -> bool {
    let (mut p, mut c) = (pattern.split('/'), called.split('/'));
    loop {
        match (p.next(), c.next()) {
            (None, None) => return true,
            (Some(p), Some(c)) if p == c || (p.starts_with('{') && p.ends_with('}')) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn an_endpoint_pattern_names_every_path_of_its_route_and_no_other() {
        let pattern = "POST /api/v4/negotiations/{negotiationID}/messages";
        assert!(matches(pattern, "POST /api/v4/negotiations/42/messages"));
        assert!(!matches(pattern, "GET /api/v4/negotiations/42/messages"));
        assert!(!matches(pattern, "POST /api/v4/negotiations/42"));
        assert!(matches("GET /api/v4/businesses", "GET /api/v4/businesses"));
    }
}
