//! The simulator driven from Rust, for tests in other crates: play the pro's browser on the consent
//! page, and the control API's calls, over HTTP like anyone else.

use crate::{LogEntry, Simulator};
use serde_json::Value;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("the simulator could not be reached: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0} answered {1}: {2}")]
    Refused(String, u16, String),
    #[error("the consent page has no challenge (an error page?): {0}")]
    NoConsentForm(String),
    #[error("no redirect after the decision")]
    NoRedirect,
}

/// The pro's choice on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// A new lead made by [`Simulator::new_lead`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLead {
    pub negotiation_id: String,
    pub message_id: String,
}

fn client() -> Result<reqwest::Client, DriveError> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// A simulator wherever it runs (in this process, `make dev`'s, a stage's deployed one), driven
/// over HTTP at its base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    url: String,
}

impl Remote {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens `authorize_url` (as the product built it) and decides: the URL the browser is sent
    /// back to, with `code` and `state` or `error`.
    pub async fn consent(
        &self,
        authorize_url: &str,
        decision: Decision,
    ) -> Result<String, DriveError> {
        let http = client()?;
        let page = http.get(authorize_url).send().await?;
        if page.status().is_redirection() {
            // Refused before the page (wrong state, audience...): the error redirect.
            return location(&page);
        }
        let page = page.text().await?;
        let marker = "name=\"challenge\" value=\"";
        let start = page
            .find(marker)
            .map(|i| i + marker.len())
            .ok_or_else(|| DriveError::NoConsentForm(page.chars().take(200).collect()))?;
        let end = page[start..].find('"').map(|i| start + i).unwrap_or(start);
        let decision = match decision {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        };
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("challenge", &page[start..end])
            .append_pair("decision", decision)
            .finish();
        let answer = http
            .post(format!("{}/oauth2/auth/consent", self.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await?;
        location(&answer)
    }

    /// A control call (`/sim/...`): its JSON answer, `Null` when empty.
    pub async fn control(&self, path: &str, body: Value) -> Result<Value, DriveError> {
        let response = client()?
            .post(format!("{}{path}", self.url()))
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(DriveError::Refused(path.to_owned(), status.as_u16(), text));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A customer requests `business_id`, with the configured gap and order.
    pub async fn new_lead(&self, business_id: &str) -> Result<NewLead, DriveError> {
        let path = format!("/sim/v4/businesses/{business_id}/requests");
        let answer = self.control(&path, serde_json::json!({})).await?;
        let text = |key: &str| answer[key].as_str().unwrap_or_default().to_owned();
        Ok(NewLead {
            negotiation_id: text("negotiationID"),
            message_id: text("messageID"),
        })
    }
}

impl Simulator {
    /// This simulator, driven over HTTP like any other.
    pub fn remote(&self) -> Remote {
        Remote::new(self.url())
    }

    /// [`Remote::consent`] on this simulator.
    pub async fn consent(
        &self,
        authorize_url: &str,
        decision: Decision,
    ) -> Result<String, DriveError> {
        self.remote().consent(authorize_url, decision).await
    }

    /// [`Remote::control`] on this simulator.
    pub async fn control(&self, path: &str, body: Value) -> Result<Value, DriveError> {
        self.remote().control(path, body).await
    }

    /// [`Remote::new_lead`] on this simulator.
    pub async fn new_lead(&self, business_id: &str) -> Result<NewLead, DriveError> {
        self.remote().new_lead(business_id).await
    }

    /// The deliveries logged so far, once there are at least `count` (or `within` has passed).
    pub async fn wait_for_deliveries(&self, count: usize, within: Duration) -> Vec<LogEntry> {
        let deadline = Instant::now() + within;
        loop {
            let delivered: Vec<LogEntry> = self
                .log()
                .into_iter()
                .filter(|e| e.kind == "delivered")
                .collect();
            if delivered.len() >= count || Instant::now() >= deadline {
                return delivered;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn location(response: &reqwest::Response) -> Result<String, DriveError> {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
        .ok_or(DriveError::NoRedirect)
}
