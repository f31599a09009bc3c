//! The local stack: the HTTP front (routes as API Gateway does, calls the Lambda handlers), the
//! reply worker, and the Thumbtack sandbox, started together by [`launch`].

use crate::sandbox::{self, Sandbox};
use crate::settings::DevSettings;
use crate::worker::Worker;
use adapters::provision::{ensure_queues, ensure_table};
use adapters::secrets::ThumbtackCredentials;
use adapters::thumbtack::ThumbtackSettings;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue};
use app::auth::{Credential, StaticCredentials};
use app::metrics::Metrics;
use app::replies::{ReplyDeps, RetryPolicy};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_api::{InboundDeps, ReadDeps};
use lambda_http::RequestExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// API Gateway refuses payloads over 10 MB before any function runs; so do we. Smaller bodies
/// reach the handlers, which apply their own limit.
pub const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// What the local routes serve: the same dependencies the Lambda functions build in `main`.
#[derive(Debug, Clone)]
pub struct Stack {
    pub inbound: InboundDeps<DynamoStore, StaticCredentials>,
    pub read: ReadDeps<DynamoStore>,
}

impl Stack {
    pub fn new(store: DynamoStore, credentials: StaticCredentials) -> Self {
        Stack {
            inbound: InboundDeps {
                store: store.clone(),
                credentials,
                metrics: Metrics::off(),
            },
            read: ReadDeps { store },
        }
    }
}

pub fn router(stack: Arc<Stack>) -> Router {
    Router::new()
        .route("/v1/lead", post(lead))
        .route("/v1/message", post(message))
        .route("/v1/leads/{leadID}", get(read_lead))
        .route("/healthz", get(health))
        .layer(DefaultBodyLimit::disable())
        .with_state(stack)
}

async fn lead(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    match to_lambda(request, HashMap::new()).await {
        Ok(request) => from_lambda(lead_inbound::handler::handle(&stack.inbound, request).await),
        Err(response) => response,
    }
}

async fn message(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    match to_lambda(request, HashMap::new()).await {
        Ok(request) => from_lambda(message_inbound::handler::handle(&stack.inbound, request).await),
        Err(response) => response,
    }
}

async fn read_lead(
    State(stack): State<Arc<Stack>>,
    Path(parameters): Path<HashMap<String, String>>,
    request: Request,
) -> Response {
    match to_lambda(request, parameters).await {
        Ok(request) => from_lambda(lead_read::handler::handle(&stack.read, request).await),
        Err(response) => response,
    }
}

/// 200 once the table answers: the emulator is up and the table exists.
async fn health(State(stack): State<Arc<Stack>>) -> Response {
    match stack.read.store.check().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(error = %app::error_chain(&error), "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

/// The request as API Gateway would hand it to the function.
async fn to_lambda(
    request: Request,
    path_parameters: HashMap<String, String>,
) -> Result<lambda_http::Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, GATEWAY_MAX_BODY)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        lambda_http::Body::Binary(bytes.to_vec())
    };
    Ok(lambda_http::Request::from_parts(parts, body).with_path_parameters(path_parameters))
}

fn from_lambda(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        lambda_http::Body::Empty => axum::body::Body::empty(),
        lambda_http::Body::Text(text) => axum::body::Body::from(text),
        lambda_http::Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    Response::from_parts(parts, body)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A running local stack.
#[derive(Debug)]
pub struct Launched {
    pub base_url: String,
    /// The sandbox's URL, when it runs (no THUMBTACK_API_BASE_URL given).
    pub sandbox_url: Option<String>,
    pub sandbox: Option<Arc<Sandbox>>,
    pub thumbtack_url: String,
    pub queue_url: String,
    pub dlq_url: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Launched {
    /// Stops the server, the worker and the sandbox, and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Creates the table and queues in the emulator and starts everything `make dev` runs.
pub async fn launch(
    settings: &DevSettings,
    sdk: &aws_config::SdkConfig,
) -> Result<Launched, BoxError> {
    let store = DynamoStore::from_config(sdk, &settings.table);
    ensure_table(sdk, &settings.table).await?;
    let (queue_url, dlq_url) = ensure_queues(
        sdk,
        &settings.reply_queue,
        settings.reply_visibility,
        settings.reply_max_receives,
    )
    .await?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();

    // Thumbtack: the real base URL if given, else the sandbox on loopback.
    let (thumbtack_url, sandbox_url, sandbox) = match &settings.thumbtack_base_url {
        Some(url) => (url.clone(), None, None),
        None => {
            let listener = tokio::net::TcpListener::bind(settings.sandbox_addr).await?;
            let url = format!("http://{}", listener.local_addr()?);
            let sandbox = Arc::new(Sandbox::new(
                &settings.thumbtack_username,
                &settings.thumbtack_password,
            ));
            let app = sandbox::router(Arc::clone(&sandbox));
            tasks.push(tokio::spawn(serve(listener, app, stopped.clone())));
            (url.clone(), Some(url), Some(sandbox))
        }
    };

    let worker = Worker {
        deps: ReplyDeps {
            ledger: store.clone(),
            thumbtack: HttpThumbtack::new(
                &ThumbtackSettings {
                    base_url: thumbtack_url.clone(),
                    connect_timeout: Duration::from_secs(3).min(settings.thumbtack_timeout),
                    timeout: settings.thumbtack_timeout,
                },
                ThumbtackCredentials::fixed(Credential::new(
                    &settings.thumbtack_username,
                    &settings.thumbtack_password,
                )),
            )?,
            queue: SqsReplyQueue::from_config(sdk, &queue_url, &dlq_url),
            policy: RetryPolicy {
                max_attempts: settings.reply_max_attempts,
                redelivery_base: settings.reply_retry_base,
                redelivery_cap: settings.reply_retry_base * 8,
                attempt_budget: settings.thumbtack_timeout + Duration::from_secs(2),
                ..RetryPolicy::default()
            },
            metrics: Metrics::off(),
        },
        // Shorter than the queue's visibility timeout, as in AWS.
        invocation_timeout: settings.reply_visibility.mul_f64(0.8),
        wait: Duration::from_secs(1),
        batch_size: 1,
        lanes: 4,
    };
    let worker_stop = stopped.clone();
    tasks.push(tokio::spawn(async move { worker.run(worker_stop).await }));

    let credentials =
        StaticCredentials::new(&[Credential::new(&settings.username, &settings.password)]);
    let app = router(Arc::new(Stack::new(store, credentials)));
    let listener = tokio::net::TcpListener::bind(settings.addr).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    tasks.push(tokio::spawn(serve(listener, app, stopped)));
    Ok(Launched {
        base_url,
        sandbox_url,
        sandbox,
        thumbtack_url,
        queue_url,
        dlq_url,
        stop,
        tasks,
    })
}

async fn serve(listener: tokio::net::TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let shutdown = async move {
        let _ = stop.changed().await;
    };
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(%error, "local server stopped");
    }
}
