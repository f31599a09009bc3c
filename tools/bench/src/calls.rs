//! The calls a process makes, in the order it makes them: a loopback proxy in front of the
//! emulator (and a Thumbtack stand-in) that notes each request's operation and when it started
//! and ended. The cold-start benchmark runs every function and its by-hand baseline once through
//! it, so the table can say that a baseline makes the same calls in the same order.

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request: its operation (`DynamoDB PutItem`, `Thumbtack POST`...), when it started and
/// ended, from the log's start, and the connection it came on (the client's port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub label: String,
    pub start: Duration,
    pub end: Duration,
    pub connection: u16,
}

/// The calls noted so far, shared by the proxy and the stand-in.
#[derive(Debug, Clone)]
pub struct CallLog {
    since: Instant,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Default for CallLog {
    fn default() -> Self {
        CallLog {
            since: Instant::now(),
            calls: Arc::default(),
        }
    }
}

impl CallLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Call>> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes `label`, begun at `started` on `connection` and ended now.
    pub fn note(&self, label: String, started: Instant, connection: u16) {
        let call = Call {
            label,
            start: started.duration_since(self.since),
            end: self.since.elapsed(),
            connection,
        };
        self.lock().push(call);
    }

    /// Everything noted since the last `take`, by start.
    pub fn take(&self) -> Vec<Call> {
        let mut calls = std::mem::take(&mut *self.lock());
        calls.sort_by_key(|c| c.start);
        calls
    }
}

/// A running proxy to `upstream` (the emulator): point a process's `AWS_ENDPOINT_URL` at `url`.
#[derive(Debug)]
pub struct Recorder {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Clone)]
struct Forward {
    upstream: String,
    client: reqwest::Client,
    log: CallLog,
    latency: Duration,
}

impl Recorder {
    pub async fn start(upstream: &str, log: CallLog) -> std::io::Result<Recorder> {
        Self::with_latency(upstream, log, Duration::ZERO).await
    }

    /// A proxy that holds each call `latency` before passing it on, calls at once held side by
    /// side: the emulator with a network's and a service's wait added. On moto every call is
    /// the CPU of one Python process, so calls made at once take as long as one after the other;
    /// in AWS a call is mostly waiting, and calls made at once overlap.
    pub async fn with_latency(
        upstream: &str,
        log: CallLog,
        latency: Duration,
    ) -> std::io::Result<Recorder> {
        let state = Forward {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            log,
            latency,
        };
        let app = Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, app).await;
        });
        Ok(Recorder { url, task })
    }
}

async fn forward(
    State(proxy): State<Forward>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let label = label(&parts.method, parts.uri.path(), &parts.headers, &body);
    if !proxy.latency.is_zero() {
        tokio::time::sleep(proxy.latency).await;
    }
    let answer = harness::faults::pass_on(&proxy.client, &proxy.upstream, &parts, body).await;
    proxy.log.note(label, started, peer.port());
    answer.unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// What a request to the emulator is: the service and operation of its `X-Amz-Target` (the JSON
/// protocols), else its method and first path segment (Scheduler's REST API); with what tells
/// calls of one operation apart: the secret's version stage, the index queried, a warm-up.
pub fn label(method: &axum::http::Method, path: &str, headers: &HeaderMap, body: &[u8]) -> String {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) else {
        let resource = path.trim_start_matches('/').split('/').next().unwrap_or("");
        return match (method.as_str(), resource) {
            ("POST", "schedules") => "Scheduler CreateSchedule".to_owned(),
            (method, resource) => format!("{method} /{resource}"),
        };
    };
    let (service, operation) = target.split_once('.').unwrap_or(("", target));
    let service = match service {
        s if s.starts_with("DynamoDB") => "DynamoDB",
        "secretsmanager" => "SecretsManager",
        "AWSEvents" => "EventBridge",
        "AmazonSQS" => "SQS",
        other => other,
    };
    let mut label = format!("{service} {operation}");
    if operation == "GetSecretValue" {
        let stage = json["VersionStage"].as_str().unwrap_or("AWSCURRENT");
        label.push_str(&format!(" {stage}"));
    }
    if let Some(index) = json["IndexName"].as_str() {
        label.push_str(&format!(" {index}"));
    }
    if String::from_utf8_lossy(body).contains("WARMUP#") {
        label.push_str(" (warm-up)");
    }
    label
}

/// The calls as one line: `A → B & C → D`, where `&` joins calls that overlapped (made
/// concurrently) and `→` separates a call from one that started after it ended.
pub fn sequence(calls: &[Call]) -> String {
    groups(calls)
        .iter()
        .map(|group| group.join(" & "))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The calls in groups of those that overlapped, by start; each group's labels in the order
/// they started.
pub fn groups(calls: &[Call]) -> Vec<Vec<String>> {
    grouped(calls)
        .into_iter()
        .map(|group| group.into_iter().map(|c| c.label.clone()).collect())
        .collect()
}

fn grouped(calls: &[Call]) -> Vec<Vec<&Call>> {
    let mut groups: Vec<Vec<&Call>> = Vec::new();
    let mut open_until: Option<Duration> = None;
    for call in calls {
        match (groups.last_mut(), open_until) {
            (Some(group), Some(until)) if call.start < until => {
                group.push(call);
                open_until = Some(until.max(call.end));
            }
            _ => {
                groups.push(vec![call]);
                open_until = Some(call.end);
            }
        }
    }
    groups
}

/// The calls that do the work: warm-ups left out (they only open connections).
pub fn work(calls: &[Call]) -> Vec<Call> {
    calls
        .iter()
        .filter(|c| !c.label.ends_with("(warm-up)"))
        .cloned()
        .collect()
}

/// Whether `baseline` makes the calls of `function` in the same order, warm-ups aside: group by
/// group, where a group of calls the function makes concurrently may come in any order (a
/// baseline makes them one after the other).
pub fn same_work(function: &[Call], baseline: &[Call]) -> bool {
    let theirs: Vec<String> = work(baseline).into_iter().map(|c| c.label).collect();
    let mut rest = theirs.as_slice();
    for mut group in groups(&work(function)) {
        if rest.len() < group.len() {
            return false;
        }
        let (next, after) = rest.split_at(group.len());
        let mut next = next.to_vec();
        next.sort();
        group.sort();
        if next != group {
            return false;
        }
        rest = after;
    }
    rest.is_empty()
}

/// The Thumbtack stand-in of the cold start: answers every request with success and notes it
/// (`Thumbtack HEAD` is reply-outbound's warm-up). Its URL.
pub async fn thumbtack(log: CallLog) -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let app = Router::new().fallback(
        move |ConnectInfo(peer): ConnectInfo<SocketAddr>, request: Request| {
            let log = log.clone();
            async move {
                let started = Instant::now();
                let method = request.method().clone();
                let _ = axum::body::to_bytes(request.into_body(), 1024 * 1024).await;
                let warm_up = if method == axum::http::Method::HEAD {
                    " (warm-up)"
                } else {
                    ""
                };
                log.note(format!("Thumbtack {method}{warm_up}"), started, peer.port());
                "{\"status\":\"success\"}"
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

/// The connections the calls came on: to the emulator and to Thumbtack, each new one a TCP (in
/// AWS, a TLS) handshake.
pub fn connections(calls: &[Call]) -> usize {
    calls
        .iter()
        .map(|c| (c.label.starts_with("Thumbtack"), c.connection))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(label: &str, start: u64, end: u64) -> Call {
        Call {
            label: label.to_owned(),
            start: Duration::from_millis(start),
            end: Duration::from_millis(end),
            connection: 1,
        }
    }

    #[test]
    fn calls_that_overlap_are_one_group_and_calls_one_after_the_other_are_not() {
        let calls = [
            call("SecretsManager GetSecretValue AWSCURRENT", 0, 5),
            call("DynamoDB GetItem (warm-up)", 1, 4),
            call("DynamoDB Query", 6, 9),
            call("DynamoDB GetItem", 7, 8),
            call("Scheduler CreateSchedule", 10, 12),
        ];
        assert_eq!(
            sequence(&calls),
            "SecretsManager GetSecretValue AWSCURRENT & DynamoDB GetItem (warm-up) → \
             DynamoDB Query & DynamoDB GetItem → Scheduler CreateSchedule"
        );
        let baseline = [
            call("SecretsManager GetSecretValue AWSCURRENT", 0, 5),
            call("DynamoDB GetItem", 6, 7),
            call("DynamoDB Query", 8, 9),
            call("Scheduler CreateSchedule", 10, 12),
        ];
        assert!(
            same_work(&calls, &baseline),
            "concurrent calls in any order"
        );
        let mut swapped = baseline.clone();
        swapped.swap(0, 3);
        assert!(
            !same_work(&calls, &swapped),
            "the order of the groups holds"
        );
        assert!(!same_work(&calls, &baseline[..3]), "every call");
        let mut more = baseline.to_vec();
        more.push(call("DynamoDB PutItem", 13, 14));
        assert!(!same_work(&calls, &more), "no more calls");
    }

    #[test]
    fn a_call_is_named_by_its_target_and_what_tells_it_apart() {
        let post = axum::http::Method::POST;
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-target",
            "secretsmanager.GetSecretValue".parse().unwrap(),
        );
        assert_eq!(
            label(&post, "/", &headers, br#"{"SecretId": "s"}"#),
            "SecretsManager GetSecretValue AWSCURRENT"
        );
        assert_eq!(
            label(
                &post,
                "/",
                &headers,
                br#"{"SecretId": "s", "VersionStage": "AWSPREVIOUS"}"#
            ),
            "SecretsManager GetSecretValue AWSPREVIOUS"
        );
        headers.insert("x-amz-target", "DynamoDB_20120810.Query".parse().unwrap());
        assert_eq!(
            label(&post, "/", &headers, br#"{"IndexName": "GSI1"}"#),
            "DynamoDB Query GSI1"
        );
        assert_eq!(
            label(&post, "/schedules/s-1", &HeaderMap::new(), b"{}"),
            "Scheduler CreateSchedule"
        );
    }
}
