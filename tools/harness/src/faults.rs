//! A fault-injecting HTTP proxy between the AWS SDK and the emulator: it fails a chosen share of
//! DynamoDB calls (those with `X-Amz-Target: DynamoDB_...`) and forwards everything else.
//!
//! Kinds of fault, picked at random among those enabled:
//! - `ServerError`: 500 `InternalServerError`, nothing written;
//! - `Throttle`: 400 `ThrottlingException`, nothing written;
//! - `Timeout`: the call is held past the client's timeout, nothing written;
//! - `LostAnswer`: the call *is* forwarded and applied, then the answer is replaced by a 500, so
//!   the client retries a write that already happened (the hardest case for idempotency).
//!
//! Beside the faults, it counts calls by operation ([`FaultCounts::calls`]), and can
//! answer a number of `BatchGetItem` calls with every key unprocessed
//! ([`RunningProxy::leave_batch_keys_unprocessed`]), as DynamoDB does when it is throttled
//! within a batch; moto never does.
//!
//! Loopback only: it binds 127.0.0.1 and forwards to the emulator URL it is given.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ServerError,
    Throttle,
    Timeout,
    LostAnswer,
}

pub const ALL_FAULTS: [Fault; 4] = [
    Fault::ServerError,
    Fault::Throttle,
    Fault::Timeout,
    Fault::LostAnswer,
];

#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// Share of DynamoDB calls that fail, 0.0 to 1.0.
    pub share: f64,
    pub kinds: Vec<Fault>,
    /// How long a `Timeout` holds a call: longer than the client's attempt timeout.
    pub hold: Duration,
}

impl FaultPlan {
    /// No faults: the proxy only counts.
    pub fn none() -> Self {
        FaultPlan {
            share: 0.0,
            kinds: Vec::new(),
            hold: Duration::ZERO,
        }
    }
}

/// How many calls the proxy saw and failed, by kind.
#[derive(Debug, Default)]
pub struct FaultCounts {
    /// When the first call of any kind arrived.
    pub first_call: std::sync::OnceLock<std::time::Instant>,
    pub dynamodb_calls: AtomicU64,
    pub server_errors: AtomicU64,
    pub throttles: AtomicU64,
    pub timeouts: AtomicU64,
    pub lost_answers: AtomicU64,
    /// Faults decided so far: the next one's kind is the plan's kind of this number.
    faults_drawn: std::sync::atomic::AtomicUsize,
    /// Calls by operation (`X-Amz-Target` after the dot), faulted ones included.
    by_operation: Mutex<BTreeMap<String, u64>>,
}

impl FaultCounts {
    /// How many calls of `operation` arrived: DynamoDB's (`"GetItem"`, `"BatchGetItem"`...) or
    /// any other JSON API's (`"GetSecretValue"`), faulted ones included.
    pub fn calls(&self, operation: &str) -> u64 {
        self.by_operation
            .lock()
            .map_or(0, |counts| counts.get(operation).copied().unwrap_or(0))
    }

    pub fn injected(&self) -> u64 {
        self.server_errors.load(Ordering::Relaxed)
            + self.throttles.load(Ordering::Relaxed)
            + self.timeouts.load(Ordering::Relaxed)
            + self.lost_answers.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
struct Proxy {
    upstream: String,
    plan: FaultPlan,
    counts: Arc<FaultCounts>,
    client: reqwest::Client,
    /// `BatchGetItem` calls still to be answered with every key unprocessed.
    unprocessed_answers: AtomicU32,
}

/// A running proxy: point the SDK's endpoint at `url`.
#[derive(Debug)]
pub struct RunningProxy {
    pub url: String,
    pub counts: Arc<FaultCounts>,
    proxy: Arc<Proxy>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningProxy {
    /// The next `answers` `BatchGetItem` calls are not forwarded: each is answered 200 with no
    /// item and every key it asked for in `UnprocessedKeys`.
    pub fn leave_batch_keys_unprocessed(&self, answers: u32) {
        self.proxy
            .unprocessed_answers
            .store(answers, Ordering::SeqCst);
    }
}

impl Drop for RunningProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(upstream: &str, plan: FaultPlan) -> std::io::Result<RunningProxy> {
    let counts = Arc::new(FaultCounts::default());
    let proxy = Arc::new(Proxy {
        upstream: upstream.trim_end_matches('/').to_owned(),
        plan,
        counts: Arc::clone(&counts),
        client: reqwest::Client::new(),
        unprocessed_answers: AtomicU32::new(0),
    });
    let app = Router::new()
        .fallback(forward)
        .with_state(Arc::clone(&proxy));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(RunningProxy {
        url,
        counts,
        proxy,
        task,
    })
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    proxy.counts.first_call.get_or_init(std::time::Instant::now);
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // `DynamoDB_20120810.GetItem`, `secretsmanager.GetSecretValue`: the operation after the dot.
    if let Some((_, operation)) = target.split_once('.')
        && let Ok(mut counts) = proxy.counts.by_operation.lock()
    {
        *counts.entry(operation.to_owned()).or_default() += 1;
    }
    let dynamodb = target.starts_with("DynamoDB_");
    if dynamodb {
        proxy.counts.dynamodb_calls.fetch_add(1, Ordering::Relaxed);
        if target.ends_with(".BatchGetItem")
            && proxy
                .unprocessed_answers
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return nothing_processed(&body);
        }
    }
    let fault = if dynamodb {
        // Whether a call fails is random; which fault it gets goes round the plan's kinds, so a
        // run with a handful of faults has every kind (a random pick left a kind out now and then).
        (fastrand::f64() < proxy.plan.share && !proxy.plan.kinds.is_empty()).then(|| {
            let nth = proxy.counts.faults_drawn.fetch_add(1, Ordering::Relaxed);
            proxy.plan.kinds[nth % proxy.plan.kinds.len()]
        })
    } else {
        None
    };
    match fault {
        Some(Fault::ServerError) => {
            proxy.counts.server_errors.fetch_add(1, Ordering::Relaxed);
            dynamodb_error(500, "InternalServerError")
        }
        Some(Fault::Throttle) => {
            proxy.counts.throttles.fetch_add(1, Ordering::Relaxed);
            dynamodb_error(400, "ThrottlingException")
        }
        Some(Fault::Timeout) => {
            proxy.counts.timeouts.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(proxy.plan.hold).await;
            dynamodb_error(500, "InternalServerError")
        }
        Some(Fault::LostAnswer) => {
            proxy.counts.lost_answers.fetch_add(1, Ordering::Relaxed);
            let _ = pass_on(&proxy.client, &proxy.upstream, &parts, body).await;
            dynamodb_error(500, "InternalServerError")
        }
        None => match pass_on(&proxy.client, &proxy.upstream, &parts, body).await {
            Ok(response) => response,
            Err(_) => StatusCode::BAD_GATEWAY.into_response(),
        },
    }
}

/// Sends the request on to `upstream` as it came, and its answer back as it went (the hop's own
/// headers left out): what every recording or fault-injecting proxy of the tests does.
pub async fn pass_on(
    client: &reqwest::Client,
    upstream: &str,
    parts: &axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, reqwest::Error> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = client
        .request(parts.method.clone(), format!("{upstream}{path}"))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let upstream = request.send().await?;
    let status = upstream.status();
    let mut headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            headers.insert(name.clone(), value.clone());
        }
    }
    let bytes = upstream.bytes().await?;
    let mut response = (status, bytes).into_response();
    response.headers_mut().extend(headers);
    Ok(response)
}

/// A `BatchGetItem` answer that served nothing: every key the request asked for comes back in
/// `UnprocessedKeys`, as asked (projection and consistency included).
fn nothing_processed(request: &[u8]) -> Response {
    let request: serde_json::Value = serde_json::from_slice(request).unwrap_or_default();
    let tables = request["RequestItems"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let responses: serde_json::Map<String, serde_json::Value> = tables
        .keys()
        .map(|table| (table.clone(), serde_json::Value::Array(Vec::new())))
        .collect();
    let body = serde_json::json!({"Responses": responses, "UnprocessedKeys": tables});
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}

fn dynamodb_error(status: u16, code: &str) -> Response {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"injected by the fault proxy"}}"#
    );
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_str(code).unwrap_or(HeaderValue::from_static("InternalServerError")),
    );
    response
}

/// How a Thumbtack stand-in misbehaves on a share of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThumbtackFault {
    /// 503, message not taken.
    Unavailable,
    /// 429 with `Retry-After: 1`, message not taken.
    TooManyRequests,
    /// Answers only after the client's timeout, and never takes the message.
    SlowBeforeTaking,
    /// Takes the message, then answers after the client's timeout: the client cannot know.
    SlowAfterTaking,
    /// Drops the connection without an answer, message not taken.
    Reset,
}

/// A Thumbtack stand-in with faults, on loopback. It counts the messages it *took*, by text.
#[derive(Debug)]
pub struct FaultyThumbtack {
    pub url: String,
    /// Texts in the order they were taken (a text twice if taken twice).
    pub taken: Arc<std::sync::Mutex<Vec<String>>>,
    pub faults: Arc<std::sync::Mutex<HashMap<ThumbtackFault, u32>>>,
    pub requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultyThumbtack {
    fn drop(&mut self) {
        self.task.abort();
    }
}

use std::collections::HashMap;

pub async fn faulty_thumbtack(
    share: f64,
    kinds: Vec<ThumbtackFault>,
    slow: Duration,
) -> std::io::Result<FaultyThumbtack> {
    use http_body_util::{BodyExt, Full};
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let taken: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let faults: Arc<std::sync::Mutex<HashMap<ThumbtackFault, u32>>> = Arc::default();
    let requests = Arc::new(AtomicU64::new(0));
    let (taken2, faults2, requests2) = (
        Arc::clone(&taken),
        Arc::clone(&faults),
        Arc::clone(&requests),
    );
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (taken, faults, requests, kinds) = (
                Arc::clone(&taken2),
                Arc::clone(&faults2),
                Arc::clone(&requests2),
                kinds.clone(),
            );
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (taken, faults, requests, kinds) = (
                        Arc::clone(&taken),
                        Arc::clone(&faults),
                        Arc::clone(&requests),
                        kinds.clone(),
                    );
                    async move {
                        requests.fetch_add(1, Ordering::Relaxed);
                        let body = request
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let text = serde_json::from_slice::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["text"].as_str().map(str::to_owned))
                            .unwrap_or_default();
                        let fault = (fastrand::f64() < share && !kinds.is_empty())
                            .then(|| kinds[fastrand::usize(..kinds.len())]);
                        if let Some(fault) = fault {
                            *faults
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .entry(fault)
                                .or_default() += 1;
                        }
                        let take = |taken: &std::sync::Mutex<Vec<String>>| {
                            taken
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .push(text.clone());
                        };
                        let answer = |status: u16| {
                            let mut response = hyper::Response::new(Full::new(bytes_of(status)));
                            *response.status_mut() = hyper::StatusCode::from_u16(status)
                                .unwrap_or(hyper::StatusCode::OK);
                            response
                        };
                        match fault {
                            Some(ThumbtackFault::Unavailable) => Ok(answer(503)),
                            Some(ThumbtackFault::TooManyRequests) => {
                                let mut response = answer(429);
                                response
                                    .headers_mut()
                                    .insert("retry-after", HeaderValue::from_static("1"));
                                Ok(response)
                            }
                            Some(ThumbtackFault::SlowBeforeTaking) => {
                                tokio::time::sleep(slow).await;
                                Ok(answer(503))
                            }
                            Some(ThumbtackFault::SlowAfterTaking) => {
                                take(&taken);
                                tokio::time::sleep(slow).await;
                                Ok(answer(200))
                            }
                            // An error from the service makes hyper drop the connection unanswered.
                            Some(ThumbtackFault::Reset) => Err(std::io::Error::other("reset")),
                            None => {
                                take(&taken);
                                Ok(answer(200))
                            }
                        }
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(FaultyThumbtack {
        url,
        taken,
        faults,
        requests,
        task,
    })
}

fn bytes_of(status: u16) -> Bytes {
    if status == 200 {
        Bytes::from_static(br#"{"status":"success"}"#)
    } else {
        Bytes::from_static(br#"{"status":"error"}"#)
    }
}
