//! A small Lambda Runtime API of our own, on loopback: what a function binary polls in Lambda
//! (`/2018-06-01/runtime/invocation/next`, then `/response` or `/error`). The tests run the real
//! binaries under it; the cold-start benchmark times their init up to the first `next`.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, oneshot};

/// What the function answered for one invocation.
#[derive(Debug)]
pub enum Answer {
    Response(Value),
    Error(Value),
}

#[derive(Default)]
struct RuntimeState {
    next: tokio::sync::Mutex<Option<mpsc::Receiver<(String, Value)>>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    first_poll: Mutex<Option<Instant>>,
    polled: Notify,
    /// Run at the first `next`, before the event is handed over (`before_first_event`).
    on_first_poll: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl std::fmt::Debug for RuntimeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeState")
            .field("first_poll", &self.first_poll)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct RuntimeApi {
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    events: mpsc::Sender<(String, Value)>,
    state: Arc<RuntimeState>,
    counter: std::sync::atomic::AtomicU32,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let (events, receiver) = mpsc::channel(16);
        let state = Arc::new(RuntimeState {
            next: tokio::sync::Mutex::new(Some(receiver)),
            ..RuntimeState::default()
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                // Read past axum's 2 MB default: the answer is held to Lambda's own limit below.
                post(respond).layer(DefaultBodyLimit::disable()),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            address,
            events,
            state,
            counter: Default::default(),
            task,
        })
    }

    /// When the function first asked for an invocation (the end of its init), waiting up to
    /// `limit` for it.
    pub async fn first_poll(&self, limit: Duration) -> Option<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.state.polled.notified();
            if let Some(at) = *lock(&self.state.first_poll) {
                return Some(at);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if tokio::time::timeout(left, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Runs `hook` when the function first asks for an invocation, before it gets the event (at
    /// once if it already has): the cold-start benchmark holds a process to Lambda's CPU share
    /// from its first invocation on.
    pub fn before_first_event(&self, hook: impl FnOnce() + Send + 'static) {
        let polled = lock(&self.state.first_poll).is_some();
        if polled {
            hook();
        } else {
            *lock(&self.state.on_first_poll) = Some(Box::new(hook));
            // It may have polled while the hook was stored.
            if lock(&self.state.first_poll).is_some()
                && let Some(hook) = lock(&self.state.on_first_poll).take()
            {
                hook();
            }
        }
    }

    /// Hands `event` to the function and waits (up to 30 s) for its answer.
    pub async fn invoke(&self, event: Value) -> Option<Answer> {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("invocation-{n}");
        let (sender, receiver) = oneshot::channel();
        lock(&self.state.waiting).insert(id.clone(), sender);
        self.events.send((id, event)).await.ok()?;
        tokio::time::timeout(Duration::from_secs(30), receiver)
            .await
            .ok()?
            .ok()
    }
}

async fn next(State(state): State<Arc<RuntimeState>>) -> Response {
    {
        let mut first = lock(&state.first_poll);
        if first.is_none() {
            *first = Some(Instant::now());
            state.polled.notify_waiters();
        }
    }
    if let Some(hook) = lock(&state.on_first_poll).take() {
        hook();
    }
    let mut guard = state.next.lock().await;
    let Some(receiver) = guard.as_mut() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some((id, event)) = receiver.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline = app::now_millis() + 30_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:under-test".to_owned(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".to_owned(),
    );
    (headers, event.to_string()).into_response()
}

/// A lock that a panicked holder does not poison: the state stays usable for the test's report.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The most a synchronous invocation may answer, in bytes: Lambda's 6 MB response payload
/// (the API Gateway envelope and its escaped body included), as its error message gives it.
pub const LAMBDA_RESPONSE_LIMIT: usize = 6_291_556;

async fn respond(
    State(state): State<Arc<RuntimeState>>,
    Path(id): Path<String>,
    body: String,
) -> StatusCode {
    // Lambda fails such an invocation (API Gateway answers 502) whatever the function meant.
    if body.len() > LAMBDA_RESPONSE_LIMIT {
        let error = serde_json::json!({
            "errorType": "Function.ResponseSizeTooLarge",
            "errorMessage": format!(
                "Response payload size ({} bytes) exceeded maximum allowed payload size \
                 ({LAMBDA_RESPONSE_LIMIT} bytes).",
                body.len()
            ),
        });
        answer(&state, &id, Answer::Error(error));
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    answer(&state, &id, Answer::Response(value))
}

async fn error(
    State(state): State<Arc<RuntimeState>>,
    Path(id): Path<String>,
    body: String,
) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    answer(&state, &id, Answer::Error(value))
}

fn answer(state: &RuntimeState, id: &str, answer: Answer) -> StatusCode {
    if let Some(sender) = lock(&state.waiting).remove(id) {
        let _ = sender.send(answer);
    }
    StatusCode::ACCEPTED
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    async fn poll_next(runtime: &RuntimeApi) -> reqwest::Response {
        reqwest::get(format!(
            "http://{}/2018-06-01/runtime/invocation/next",
            runtime.address
        ))
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_first_event_hook_runs_when_the_function_asks_and_before_it_gets_the_event() {
        let runtime = Arc::new(RuntimeApi::start().await.unwrap());
        let ran = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&ran);
        runtime.before_first_event(move || seen.store(true, Ordering::SeqCst));
        assert!(!ran.load(Ordering::SeqCst), "ran before anything polled");

        let invoking = Arc::clone(&runtime);
        let invocation =
            tokio::spawn(async move { invoking.invoke(serde_json::json!({"n": 1})).await });
        let event = poll_next(&runtime).await;
        assert!(
            ran.load(Ordering::SeqCst),
            "the event came before the hook ran"
        );
        let id = event.headers()["lambda-runtime-aws-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        reqwest::Client::new()
            .post(format!(
                "http://{}/2018-06-01/runtime/invocation/{id}/response",
                runtime.address
            ))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert!(matches!(
            invocation.await.unwrap(),
            Some(Answer::Response(_))
        ));
    }

    #[tokio::test]
    async fn a_hook_set_after_the_first_poll_runs_at_once() {
        let runtime = Arc::new(RuntimeApi::start().await.unwrap());
        let polling = Arc::clone(&runtime);
        let _poll = tokio::spawn(async move { poll_next(&polling).await });
        runtime.first_poll(Duration::from_secs(5)).await.unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&ran);
        runtime.before_first_event(move || seen.store(true, Ordering::SeqCst));
        assert!(ran.load(Ordering::SeqCst));
    }
}
