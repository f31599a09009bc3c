//! Thumbtack's legacy messages API: `POST {base}/v1/business/{businessID}/lead/{leadID}/message`
//! with `{"text": ...}`, its answers read as [`super::answer::classify`] reads them.
//!
//! The ids become path segments: an id that is not valid is refused before any request
//! ([`ThumbtackClient::endpoint`] says why).

use super::answer::classify;
use super::auth::Authorize;
use super::client::ThumbtackClient;
use app::ports::{Accepted, SendError, Thumbtack};
use models::OutboundMessage;
use reqwest::Url;

/// The legacy API, authorised by `A` (HTTP basic in production).
#[derive(Debug, Clone)]
pub struct Legacy<A> {
    client: ThumbtackClient,
    auth: A,
}

impl<A: Authorize> Legacy<A> {
    pub fn new(client: ThumbtackClient, auth: A) -> Self {
        Legacy { client, auth }
    }

    /// `{base}/v1/business/{business_id}/lead/{lead_id}/message`, or `None` when an id is not
    /// valid (it would not stay one segment of that path).
    fn message_url(&self, business_id: &str, lead_id: &str) -> Option<Url> {
        self.client
            .endpoint(&["v1", "business", business_id, "lead", lead_id, "message"])
    }
}

impl<A: Authorize> Thumbtack for Legacy<A> {
    async fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> Result<Accepted, SendError> {
        let Some(url) = self.message_url(business_id, lead_id) else {
            return Err(SendError::Invalid {
                detail: "not sent: businessID or leadID is not a valid id".to_owned(),
            });
        };
        let body = OutboundMessage { text };
        let response = self
            .client
            .post_json(url, &body, &self.auth, business_id)
            .await?;
        classify(response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::ThumbtackCredentials;
    use crate::thumbtack::{BasicAuth, ThumbtackSettings};
    use std::time::Duration;

    fn client_for(base_url: String) -> Legacy<BasicAuth> {
        let client = ThumbtackClient::new(&ThumbtackSettings {
            base_url,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        })
        .unwrap();
        let credentials =
            ThumbtackCredentials::fixed(app::auth::Credential::new("partner", "secret"));
        Legacy::new(client, BasicAuth::new(credentials))
    }

    #[tokio::test]
    async fn hostile_ids_never_reach_another_path_and_dot_only_ids_send_nothing() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
        let thumbtack = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .mount(&thumbtack)
            .await;
        let client = client_for(thumbtack.uri());
        let dot_only = [".", "..", "..."];
        let hostile = [
            "../x", "a/b", "%2e%2e", ".%2E", "a?b", "a#b", "a\tb", "x\n", "a b", "",
        ];
        for (business, lead) in dot_only
            .iter()
            .flat_map(|id| [("b1", *id), (*id, "l1")])
            .chain(hostile.iter().flat_map(|id| [("b1", *id), (*id, "l1")]))
        {
            let before = thumbtack.received_requests().await.unwrap().len();
            let result = client.send_message(business, lead, "hello").await;
            let requests = thumbtack.received_requests().await.unwrap();
            if dot_only.contains(&business) || dot_only.contains(&lead) {
                assert_eq!(requests.len(), before, "{business:?}/{lead:?}: no request");
            }
            // Whatever is sent has exactly the message path's shape, each id one segment.
            for request in &requests[before..] {
                let segments: Vec<&str> = request.url.path_segments().unwrap().collect();
                assert_eq!(segments.len(), 6, "{business:?}/{lead:?}: {segments:?}");
                assert_eq!(
                    [segments[0], segments[1], segments[3], segments[5]],
                    ["v1", "business", "lead", "message"],
                    "{business:?}/{lead:?}"
                );
            }
            if requests.len() == before {
                assert!(
                    matches!(result, Err(SendError::Invalid { .. })),
                    "{business:?}/{lead:?}: {result:?}"
                );
            }
        }
        client
            .send_message("b-1", "l.1:a_b-c", "hello")
            .await
            .unwrap();
        let requests = thumbtack.received_requests().await.unwrap();
        let last = requests.last().unwrap();
        assert_eq!(
            last.url.path_segments().unwrap().collect::<Vec<_>>(),
            ["v1", "business", "b-1", "lead", "l.1:a_b-c", "message"]
        );
    }
}
