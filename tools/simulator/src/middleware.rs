//! The layers every request goes through, which read and change the shared state: the
//! endpoint faults (`POST /sim/faults`) and the log (`GET /sim/log`). Apart from the faults' and
//! the log's own data ([`crate::faults`], [`crate::log`]), which the state holds.

use crate::faults::Fault;
use crate::log::LogEntry;
use crate::problem::problem;
use crate::state::Sim;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Applies a pending fault of the endpoint a request is routed to.
pub async fn endpoint_faults(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let called = format!("{} {}", request.method(), request.uri().path());
    let fault = match sim
        .update(|state| state.faults.take_endpoint(&called))
        .await
    {
        Ok(fault) => fault,
        Err(error) => return error.into_response(),
    };
    match fault {
        None => next.run(request).await,
        Some(Fault::Latency { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(request).await
        }
        Some(Fault::Timeout { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            problem(StatusCode::GATEWAY_TIMEOUT, "simulated timeout")
        }
        Some(Fault::WafChallenge) => (
            StatusCode::ACCEPTED,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><script>/* challenge */</script></body></html>",
        )
            .into_response(),
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = problem(status, "simulated fault");
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

/// Appends `entry`, numbered after the last one. A storage fault loses the entry, not the request.
pub async fn push(sim: &Sim, entry: LogEntry) {
    let stored = sim
        .update(|state| crate::log::append(&mut state.log, entry.clone()))
        .await;
    if let Err(error) = stored {
        tracing::warn!(error = %error, "a log entry was not kept");
    }
}

/// Records every request but reads of the log itself.
pub async fn record(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if path != "/sim/log" {
        let mut entry = LogEntry::new("received", &method, &path);
        entry.status = Some(response.status().as_u16());
        push(&sim, entry).await;
    }
    response
}
