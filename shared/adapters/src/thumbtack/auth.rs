//! How a request to Thumbtack is authorised, behind [`Authorize`]: one implementation per scheme,
//! asked per request for the business the request is made for. Today's is
//! [`super::BasicAuth`] (one partner credential for every business, read again when Thumbtack
//! refuses it during a rotation); v4's Bearer token per pro, from the OAuth registry and
//! refreshed once after a 401, is another beside it.

use app::ports::SendError;
use reqwest::header::HeaderValue;
use std::future::Future;

/// Authorisation for requests made on behalf of a business.
pub trait Authorize: Send + Sync {
    /// The `Authorization` header for a request on behalf of `business_id`. An error is the
    /// send's: no request is made.
    fn authorization(
        &self,
        business_id: &str,
    ) -> impl Future<Output = Result<HeaderValue, SendError>> + Send;

    /// Thumbtack refused `refused` (401 or 403): another header worth one more try (rotated
    /// credentials, a refreshed token), or `None` when there is none and the refusal stands.
    fn after_refusal(
        &self,
        business_id: &str,
        refused: &HeaderValue,
    ) -> impl Future<Output = Result<Option<HeaderValue>, SendError>> + Send;
}

/// `value` as an `Authorization` header, marked sensitive (kept out of debug output).
pub(super) fn header_value(value: String) -> Result<HeaderValue, SendError> {
    let mut header = HeaderValue::try_from(value).map_err(|_| SendError::Transient {
        status: None,
        retry_after: None,
        detail: "Thumbtack credentials are not a valid header".to_owned(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thumbtack::{Legacy, ThumbtackClient, ThumbtackSettings};
    use app::ports::Thumbtack;
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A token per business, as v4's OAuth registry will hold them; a refusal refreshes the
    /// business's token once.
    #[derive(Debug, Default)]
    struct BearerPerBusiness {
        generation: Mutex<HashMap<String, u32>>,
    }

    impl BearerPerBusiness {
        fn token(&self, business_id: &str) -> String {
            let generations = self.generation.lock().unwrap();
            let generation = generations.get(business_id).copied().unwrap_or(1);
            format!("Bearer {business_id}-token-{generation}")
        }
    }

    impl Authorize for BearerPerBusiness {
        async fn authorization(&self, business_id: &str) -> Result<HeaderValue, SendError> {
            header_value(self.token(business_id))
        }

        async fn after_refusal(
            &self,
            business_id: &str,
            refused: &HeaderValue,
        ) -> Result<Option<HeaderValue>, SendError> {
            if *refused != self.token(business_id) {
                return Ok(None);
            }
            *self
                .generation
                .lock()
                .unwrap()
                .entry(business_id.to_owned())
                .or_insert(1) += 1;
            header_value(self.token(business_id)).map(Some)
        }
    }

    #[tokio::test]
    async fn another_authorisation_plugs_into_the_shared_client_per_business_with_one_retry() {
        let thumbtack = MockServer::start().await;
        let answer = |status: u16, token: &str, business: &str| {
            Mock::given(method("POST"))
                .and(path(format!("/v1/business/{business}/lead/l1/message")))
                .and(header("authorization", format!("Bearer {token}").as_str()))
                .respond_with(ResponseTemplate::new(status))
                .expect(1)
        };
        // b1's token expired: refused once, refreshed, accepted. b2's is good. b3's refresh
        // is refused too: the refusal stands after one more try.
        answer(401, "b1-token-1", "b1").mount(&thumbtack).await;
        answer(200, "b1-token-2", "b1").mount(&thumbtack).await;
        answer(200, "b2-token-1", "b2").mount(&thumbtack).await;
        answer(401, "b3-token-1", "b3").mount(&thumbtack).await;
        answer(401, "b3-token-2", "b3").mount(&thumbtack).await;
        let client = ThumbtackClient::new(&ThumbtackSettings {
            base_url: thumbtack.uri(),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        })
        .unwrap();
        let api = Legacy::new(client, BearerPerBusiness::default());

        assert_eq!(
            api.send_message("b1", "l1", "hello").await.unwrap().status,
            200
        );
        assert_eq!(
            api.send_message("b2", "l1", "hello").await.unwrap().status,
            200
        );
        assert!(matches!(
            api.send_message("b3", "l1", "hello").await,
            Err(SendError::Permanent { status: 401, .. })
        ));
        thumbtack.verify().await;
    }
}
