//! The local HTTP front: routes as API Gateway has them, each turning the HTTP request into the
//! `lambda_http::Request` API Gateway would deliver (body, headers, path and query parameters), calling the
//! very handler that runs in Lambda, and turning its response back into HTTP.

use adapters::DynamoStore;
use adapters::connect::{HttpThumbtackV4, KmsVault};
use adapters::secrets::PartnerCredentials;
use app::connections::ConnectDeps;
use app::deps::{InboundDeps, ReadDeps};
use app::metrics::Metrics;
use app::pull::PullSettings;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, get, on};
use http_api::routes::{Function, ROUTES};
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use std::collections::HashMap;
use std::sync::Arc;

/// API Gateway refuses payloads over 10 MB before any function runs; so do we. Smaller bodies
/// reach the handlers, which apply their own limit.
pub const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// What the local routes serve: the same dependencies the Lambda functions build in `main`.
#[derive(Debug)]
pub struct Stack {
    pub inbound: InboundDeps<DynamoStore, PartnerCredentials>,
    pub read: ReadDeps<DynamoStore>,
    /// The connect flow (v4), when there is a v4 client to use ([`Stack::with_connections`]).
    pub connections: Option<ConnectDeps<DynamoStore, HttpThumbtackV4, KmsVault>>,
}

impl Stack {
    pub fn new(store: DynamoStore, credentials: PartnerCredentials, pull: PullSettings) -> Self {
        Stack {
            inbound: InboundDeps {
                store: store.clone(),
                credentials,
                metrics: Metrics::off(),
            },
            read: ReadDeps { store, pull },
            connections: None,
        }
    }

    /// The same stack, serving the connection routes with `deps`.
    pub fn with_connections(
        mut self,
        deps: ConnectDeps<DynamoStore, HttpThumbtackV4, KmsVault>,
    ) -> Self {
        self.connections = Some(deps);
        self
    }
}

/// Every route of the route table to the handler of the function that serves it in AWS (the
/// read API's routes are IAM's there, open on loopback here; the connection routes are served
/// here before the template deploys their function), and `/healthz`.
pub fn router(stack: Arc<Stack>) -> Router {
    let mut router = Router::new();
    for route in &ROUTES {
        let method = MethodFilter::try_from(route.method.clone())
            .unwrap_or_else(|_| panic!("{} is a method axum routes", route.method));
        router = match route.function {
            Function::LeadInbound => router.route(route.path, on(method, lead)),
            Function::MessageInbound => router.route(route.path, on(method, message)),
            Function::PartnerApi => router.route(route.path, on(method, read)),
            Function::Connections => router.route(route.path, on(method, connections)),
        };
    }
    router
        .route("/healthz", get(health))
        .layer(DefaultBodyLimit::disable())
        .with_state(stack)
}

/// lead-inbound's routes.
async fn lead(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    match to_lambda(request, HashMap::new()).await {
        Ok(request) => from_lambda(lead_inbound::handler::handle(&stack.inbound, request).await),
        Err(response) => response,
    }
}

/// message-inbound's routes.
async fn message(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    match to_lambda(request, HashMap::new()).await {
        Ok(request) => from_lambda(message_inbound::handler::handle(&stack.inbound, request).await),
        Err(response) => response,
    }
}

async fn read(
    State(stack): State<Arc<Stack>>,
    Path(parameters): Path<HashMap<String, String>>,
    request: Request,
) -> Response {
    match to_lambda(request, parameters).await {
        Ok(request) => from_lambda(partner_api::handler::handle(&stack.read, request).await),
        Err(response) => response,
    }
}

/// The connections function's routes; 404 when the stack has no v4 client.
async fn connections(
    State(stack): State<Arc<Stack>>,
    Path(parameters): Path<HashMap<String, String>>,
    request: Request,
) -> Response {
    let Some(deps) = &stack.connections else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match to_lambda(request, parameters).await {
        Ok(request) => from_lambda(http_api::connections::handle(deps, request).await),
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

/// The request as API Gateway would hand it to the function: its path (without a stage), path
/// parameters and query parameters beside it.
async fn to_lambda(
    request: Request,
    path_parameters: HashMap<String, String>,
) -> Result<lambda_http::Request, Response> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query: QueryMap = parts
        .uri
        .query()
        .unwrap_or_default()
        .parse()
        .unwrap_or_else(|never| match never {});
    let bytes = axum::body::to_bytes(body, GATEWAY_MAX_BODY)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        lambda_http::Body::Binary(bytes.to_vec())
    };
    Ok(lambda_http::Request::from_parts(parts, body)
        .with_raw_http_path(path)
        .with_path_parameters(path_parameters)
        .with_query_string_parameters(query))
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
