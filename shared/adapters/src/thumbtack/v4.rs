//! Thumbtack's v4 messages API (facts §4.1): `POST {v4 base}/v4/negotiations/{negotiationID}/
//! messages` with `{"text": ...}` and the pro's Bearer token, the v4 base being
//! `https://api.thumbtack.com/api`. Its answers as [`super::answer::classify`] reads them, but:
//!
//! - a 202 is Thumbtack's WAF silent challenge (facts §5), not a delivery: transient, tried again;
//! - a 2xx answers with the created message (the spec's `MessageV4`, unverified): its
//!   `messageID` is kept, for the echo of the reply to be recognised by it;
//! - text over [`MAX_TEXT_CHARS`] is refused before any request.
//!
//! A 401 gets one more try with a refreshed token (`ThumbtackClient::post_json`); a 401 after it
//! (a missing scope: "required scope(s) [...] not found") is permanent, with Thumbtack's words.

use super::answer::classify;
use super::auth::Authorize;
use super::client::ThumbtackClient;
use app::ports::{Accepted, SendError};
use models::{Contract, OutboundMessage};
use reqwest::Url;

/// The longest text the send takes (facts §4.1: 1..16384 characters).
pub const MAX_TEXT_CHARS: usize = 16_384;

/// The v4 API, authorised by `A` (the pro's token in production), over a client whose base URL
/// is the v4 API base.
#[derive(Debug, Clone)]
pub struct V4<A> {
    client: ThumbtackClient,
    auth: A,
}

impl<A: Authorize> V4<A> {
    pub fn new(client: ThumbtackClient, auth: A) -> Self {
        V4 { client, auth }
    }

    /// Whose token the sends carry.
    pub fn auth(&self) -> &A {
        &self.auth
    }

    /// `{base}/v4/negotiations/{negotiation_id}/messages`, or `None` when the id is not valid.
    fn messages_url(&self, negotiation_id: &str) -> Option<Url> {
        self.client
            .endpoint(&["v4", "negotiations", negotiation_id, "messages"])
    }

    /// Sends `text` to the negotiation (our leadID), authorised for `subject` (whom `A` finds
    /// the token by: the Thumbtack user the business is connected through).
    pub async fn send(
        &self,
        subject: &str,
        negotiation_id: &str,
        text: &str,
    ) -> Result<Accepted, SendError> {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(SendError::Invalid {
                detail: format!("not sent: the text is over {MAX_TEXT_CHARS} characters"),
            });
        }
        let Some(url) = self.messages_url(negotiation_id) else {
            return Err(SendError::Invalid {
                detail: "not sent: leadID is not a valid id".to_owned(),
            });
        };
        let body = OutboundMessage { text };
        let response = self
            .client
            .post_json(url, &body, &self.auth, subject)
            .await?;
        read_answer(response).await
    }
}

/// A v4 answer: a 202 is a challenge to try again after; any other 2xx the created message.
async fn read_answer(response: reqwest::Response) -> Result<Accepted, SendError> {
    let status = response.status().as_u16();
    if status == 202 {
        return Err(SendError::Transient {
            status: Some(202),
            retry_after: None,
            detail: "Thumbtack answered 202 (its WAF challenge): not delivered".to_owned(),
        });
    }
    if !response.status().is_success() {
        return classify(response).await;
    }
    // A body that is not the created message does not undo the delivery: only the id is lost
    // (the echo is then matched by lead, text and time).
    let body = response.bytes().await.unwrap_or_default();
    Ok(Accepted {
        status,
        contract: Contract::V4,
        message_id: message_id(&body),
    })
}

/// The created message's `messageID` (a string of an int64, or a number).
fn message_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    match value.get("messageID")? {
        serde_json::Value::String(id) if !id.is_empty() => Some(id.clone()),
        serde_json::Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thumbtack::ThumbtackSettings;
    use crate::thumbtack::auth::header_value;
    use reqwest::header::HeaderValue;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A token per generation: a refusal moves to the next one.
    #[derive(Debug, Default)]
    struct Tokens(AtomicU32);

    impl Authorize for Tokens {
        async fn authorization(&self, subject: &str) -> Result<HeaderValue, SendError> {
            let generation = self.0.load(Ordering::SeqCst) + 1;
            header_value(format!("Bearer {subject}-{generation}"))
        }

        async fn after_refusal(
            &self,
            subject: &str,
            _refused: &HeaderValue,
        ) -> Result<Option<HeaderValue>, SendError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            self.authorization(subject).await.map(Some)
        }
    }

    async fn v4(server: &MockServer) -> V4<Tokens> {
        let client = ThumbtackClient::new(&ThumbtackSettings {
            base_url: format!("{}/api", server.uri()),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        })
        .unwrap();
        V4::new(client, Tokens::default())
    }

    fn messages() -> wiremock::MockBuilder {
        Mock::given(method("POST")).and(path("/api/v4/negotiations/n1/messages"))
    }

    #[tokio::test]
    async fn a_send_posts_the_text_with_the_bearer_token_and_keeps_the_created_message_id() {
        let server = MockServer::start().await;
        messages()
            .and(header("authorization", "Bearer u1-1"))
            .and(body_json(serde_json::json!({"text": "hello"})))
            .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
                "messageID": "5501", "negotiationID": "n1", "from": "Business", "text": "hello"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let accepted = v4(&server).await.send("u1", "n1", "hello").await.unwrap();
        assert_eq!(
            accepted,
            Accepted {
                status: 201,
                contract: Contract::V4,
                message_id: Some("5501".to_owned()),
            }
        );
    }

    #[tokio::test]
    async fn a_202_is_the_waf_challenge_and_is_tried_again_not_taken_for_a_delivery() {
        let server = MockServer::start().await;
        messages()
            .respond_with(ResponseTemplate::new(202).set_body_string("<html>challenge</html>"))
            .mount(&server)
            .await;
        let answer = v4(&server).await.send("u1", "n1", "hello").await;
        assert!(
            matches!(
                answer,
                Err(SendError::Transient {
                    status: Some(202),
                    ..
                })
            ),
            "{answer:?}"
        );
    }

    #[tokio::test]
    async fn a_401_is_tried_once_more_with_a_refreshed_token() {
        let server = MockServer::start().await;
        messages()
            .and(header("authorization", "Bearer u1-1"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        messages()
            .and(header("authorization", "Bearer u1-2"))
            .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
                "messageID": 77
            })))
            .expect(1)
            .mount(&server)
            .await;
        let accepted = v4(&server).await.send("u1", "n1", "hello").await.unwrap();
        assert_eq!(accepted.message_id.as_deref(), Some("77"));
    }

    #[tokio::test]
    async fn a_missing_scope_fails_for_good_with_thumbtacks_words() {
        let server = MockServer::start().await;
        messages()
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "title": "Unauthorized", "status": 401,
                "detail": "required scope(s) [supply::messages.write] not found"
            })))
            .expect(2)
            .mount(&server)
            .await;
        let answer = v4(&server).await.send("u1", "n1", "hello").await;
        match answer {
            Err(SendError::Permanent { status, excerpt }) => {
                assert_eq!(status, 401);
                assert!(excerpt.contains("supply::messages.write"), "{excerpt}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn rate_limits_and_server_errors_are_read_as_on_legacy() {
        let server = MockServer::start().await;
        messages()
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        messages()
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        let api = v4(&server).await;
        assert!(matches!(
            api.send("u1", "n1", "hello").await,
            Err(SendError::Transient {
                status: Some(429),
                retry_after: Some(wait),
                ..
            }) if wait == Duration::from_secs(3)
        ));
        assert!(matches!(
            api.send("u1", "n1", "hello").await,
            Err(SendError::Transient {
                status: Some(503),
                ..
            })
        ));
    }

    #[tokio::test]
    async fn text_over_16384_characters_is_refused_before_any_request() {
        let server = MockServer::start().await;
        messages()
            .respond_with(ResponseTemplate::new(201))
            .mount(&server)
            .await;
        let api = v4(&server).await;
        // Characters, not bytes: 16,384 two-byte characters still go.
        let longest = "é".repeat(MAX_TEXT_CHARS);
        assert_eq!(api.send("u1", "n1", &longest).await.unwrap().status, 201);
        let answer = api.send("u1", "n1", &format!("{longest}x")).await;
        assert!(
            matches!(answer, Err(SendError::Invalid { .. })),
            "{answer:?}"
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }
}
