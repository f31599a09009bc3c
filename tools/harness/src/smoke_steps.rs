//! What each step of the smoke test stands on (`smoke`, `smoke_v4`): its settings, the read API
//! that notes the routes a run covers, and the steps that print one line each.

use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cli::Error;

#[derive(Debug, Clone)]
pub struct SmokeSettings {
    pub base_url: String,
    pub username: String,
    pub password: String,
    /// Sign the read request with SigV4 (a deployed stack).
    pub sign_reads: bool,
    pub region: String,
    /// The reply status to wait for: `sent` locally; `sent` or `failed` in AWS.
    pub accept_failed_reply: bool,
    pub reply_timeout: Duration,
    /// The stack's Thumbtack simulator (`make dev`'s, or a stage's): with it the run also
    /// connects a pro through OAuth and takes a v4 lead (`smoke_v4`).
    pub simulator_url: Option<String>,
}

/// The routes a run called, as the template declares them: `(method, path with {parameters})`.
pub type Routes = BTreeSet<(String, String)>;

/// The read API (IAM-authorised in AWS): each call names its route, and notes it as covered.
pub(crate) struct ReadApi<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) settings: &'a SmokeSettings,
    pub(crate) sdk: &'a adapters::aws::SdkConfig,
    pub(crate) base: &'a str,
    pub(crate) covered: &'a Mutex<Routes>,
}

impl ReadApi<'_> {
    /// `GET route` with its `{parameters}` filled and `query` (with its `?`, or empty): the
    /// answer's JSON, which must be a 200.
    pub(crate) async fn get(
        &self,
        route: &str,
        parameters: &[(&str, &str)],
        query: &str,
    ) -> Result<Value, Error> {
        self.call("GET", route, parameters, query, None).await
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        route: &str,
        parameters: &[(&str, &str)],
        query: &str,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        self.note(method, route);
        let path = parameters
            .iter()
            .fold(route.to_owned(), |path, (name, value)| {
                path.replace(&format!("{{{name}}}"), value)
            });
        call_read_api(
            self.http,
            self.settings,
            self.sdk,
            self.base,
            method,
            &format!("{path}{query}"),
            body,
        )
        .await
    }
}

impl ReadApi<'_> {
    /// Notes a route as covered by the run (one the run reaches other than through `call`).
    pub(crate) fn note(&self, method: &str, route: &str) {
        self.covered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((method.to_owned(), route.to_owned()));
    }
}

/// Runs one step, printing one line: its name and time, or why it failed.
pub(crate) async fn step(
    name: &str,
    work: impl std::future::Future<Output = Result<(), Error>>,
) -> Result<(), Error> {
    let started = Instant::now();
    match work.await {
        Ok(()) => {
            println!("  ok   {name} ({} ms)", started.elapsed().as_millis());
            Ok(())
        }
        Err(error) => {
            println!("  FAIL {name}: {error}");
            Err(format!("{name}: {error}").into())
        }
    }
}

/// A step that answers a value for the next ones.
pub(crate) async fn step_value<T>(
    name: &str,
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let mut value = None;
    step(name, async {
        value = Some(work.await?);
        Ok(())
    })
    .await?;
    value.ok_or_else(|| format!("{name}: no value").into())
}

/// A call of the read API at `path` (query included), signed when the stack wants IAM: the
/// answer's JSON, which must be a 200.
async fn call_read_api(
    http: &reqwest::Client,
    settings: &SmokeSettings,
    sdk: &adapters::aws::SdkConfig,
    base: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, Error> {
    let url = format!("{base}{path}");
    let body = body.map(Value::to_string).unwrap_or_default().into_bytes();
    let mut request = http::Request::builder()
        .method(method)
        .uri(&url)
        .body(body.clone())?;
    if settings.sign_reads {
        crate::sigv4::sign_execute_api(&mut request, sdk, &settings.region).await?;
    }
    let mut builder = http.request(reqwest::Method::from_bytes(method.as_bytes())?, &url);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    if !body.is_empty() {
        builder = builder
            .header("content-type", "application/json")
            .body(body);
    }
    let response = builder.send().await?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        return Err(format!("{method} {url} answered {status}: {body}").into());
    }
    Ok(body)
}
