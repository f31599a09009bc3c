//! Thumbtack's v4 OAuth server through the `oauth2` crate (Thumbtack asks partners not to
//! hand-roll OAuth): the authorize URL with PKCE S256 and the `audience`, and the code exchange
//! with HTTP Basic client authentication, over the process's one reqwest client.

use app::auth::Credential;
use app::connections::SCOPES;
use app::ports::{TokenSet, V4Error};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

/// The audience every authorize request must name (facts §1.2).
pub const AUDIENCE: &str = "urn:partner-api";

/// The OAuth server's URLs and our redirect URI, checked once at start.
#[derive(Debug, Clone)]
pub struct OAuthUrls {
    auth: AuthUrl,
    token: TokenUrl,
    redirect: RedirectUrl,
}

impl OAuthUrls {
    /// `Err` names which of the three is not a URL.
    pub fn new(auth: &str, token: &str, redirect: &str) -> Result<Self, &'static str> {
        Ok(OAuthUrls {
            auth: AuthUrl::new(auth.to_owned()).map_err(|_| "authorization URL")?,
            token: TokenUrl::new(token.to_owned()).map_err(|_| "token URL")?,
            redirect: RedirectUrl::new(redirect.to_owned()).map_err(|_| "redirect URI")?,
        })
    }

    pub fn redirect_uri(&self) -> &str {
        self.redirect.as_str()
    }

    fn client(
        &self,
        credential: &Credential,
    ) -> BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    > {
        BasicClient::new(ClientId::new(credential.username.clone()))
            .set_client_secret(ClientSecret::new(
                credential.password.expose_secret().to_owned(),
            ))
            .set_auth_uri(self.auth.clone())
            .set_token_uri(self.token.clone())
            .set_redirect_uri(self.redirect.clone())
    }

    /// The consent page's URL: our scopes, the `state`, the audience, the S256 challenge.
    pub fn authorize_url(&self, credential: &Credential, state: &str, verifier: &str) -> String {
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.into()));
        let state = state.to_owned();
        let (url, _) = self
            .client(credential)
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
            .add_extra_param("audience", AUDIENCE)
            .set_pkce_challenge(challenge)
            .url();
        url.into()
    }

    /// A refresh: new tokens for a refresh token, over `http`. Without the `token_type=REFRESH`
    /// two integrators send (facts §1.3): nothing shows it is needed.
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        credential: &Credential,
        refresh_token: &SecretString,
    ) -> Result<TokenSet, V4Error> {
        let send = |request: HttpRequest| send(http.clone(), request);
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let answer = self
            .client(credential)
            .exchange_refresh_token(&token)
            .request_async(&send)
            .await;
        token_set(answer)
    }

    /// The code exchanged for tokens, over `http`.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        credential: &Credential,
        code: &str,
        verifier: &str,
    ) -> Result<TokenSet, V4Error> {
        // The future owns its client (a clone shares the pool): `oauth2` wants one that lives as
        // long as it may hold it.
        let send = |request: HttpRequest| send(http.clone(), request);
        let answer = self
            .client(credential)
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&send)
            .await;
        token_set(answer)
    }
}

/// A token response as our [`TokenSet`], or the failure as a [`V4Error`].
fn token_set<E: std::error::Error + Send + Sync + 'static>(
    answer: Result<
        oauth2::basic::BasicTokenResponse,
        RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
    >,
) -> Result<TokenSet, V4Error> {
    match answer {
        Ok(token) => Ok(TokenSet {
            access_token: SecretString::from(token.access_token().secret().to_owned()),
            refresh_token: token
                .refresh_token()
                .map(|t| SecretString::from(t.secret().to_owned())),
            expires_in: token.expires_in(),
            scopes: token
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        }),
        // An RFC 6749 error body: its code says what went wrong (invalid_grant...).
        Err(RequestTokenError::ServerResponse(error)) => Err(V4Error::OAuth {
            code: error.error().to_string(),
        }),
        Err(RequestTokenError::Request(error)) => Err(V4Error::Unavailable(Box::new(error))),
        // A 5xx page, a WAF challenge, anything that is not a token or an error body.
        Err(RequestTokenError::Parse(_, _)) => Err(V4Error::Unavailable(
            "the token endpoint's answer is not a token response".into(),
        )),
        Err(RequestTokenError::Other(detail)) => Err(V4Error::Unavailable(detail.into())),
    }
}

/// `oauth2`'s request sent with our reqwest client (its own would be a second HTTP stack).
async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let response = http.execute(reqwest::Request::try_from(request)?).await?;
    let mut answer = http::Response::builder().status(response.status());
    if let Some(headers) = answer.headers_mut() {
        *headers = response.headers().clone();
    }
    let body = response.bytes().await?.to_vec();
    // Status and headers come from a parsed response: building from them cannot fail.
    Ok(answer.body(body).unwrap_or_default())
}
