//! One invocation: an API Gateway request for one of the connection routes, or the daily
//! schedule's event (EventBridge's `Scheduled Event`), which sweeps the connections idle too long.
//!
//! A request is read by lambda_http's own reader and answered in the shape its gateway expects
//! (`http_api::connections::handle` decides). The sweep's failure fails the invocation, so that
//! Lambda's asynchronous retries run it again (each of its steps is safe to repeat) and the
//! function's errors alarm sees it.

use app::connections::{ConnectDeps, Swept, sweep_idle};
use app::ports::{ConnectionStore, ThumbtackV4, TokenVault};
use app::{error_chain, now_millis};
use lambda_http::lambda_runtime::LambdaEvent;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Error, Service, service_fn};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::convert::Infallible;

/// What the function was invoked with.
#[derive(Debug)]
pub enum Invocation {
    /// The daily schedule.
    Sweep,
    /// A request on one of the routes.
    Http(Box<LambdaRequest>),
}

/// The fields that make an EventBridge schedule's event (and no API Gateway request has).
#[derive(Deserialize)]
struct Scheduled {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
}

/// The invocation an event is: the schedule's, else an API Gateway request; `Err` for neither
/// (never the event itself in the message: a malformed one could carry anything).
pub fn invocation(event: &RawValue) -> Result<Invocation, Error> {
    if let Ok(scheduled) = serde_json::from_str::<Scheduled>(event.get())
        && scheduled.source == "aws.events"
        && scheduled.detail_type == "Scheduled Event"
    {
        return Ok(Invocation::Sweep);
    }
    serde_json::from_str::<LambdaRequest>(event.get())
        .map(|request| Invocation::Http(Box::new(request)))
        .map_err(|_| Error::from("neither an API Gateway request nor the daily schedule's event"))
}

pub async fn handle<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    event: LambdaEvent<Box<RawValue>>,
) -> Result<Value, Error>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let LambdaEvent { payload, context } = event;
    match invocation(&payload)? {
        Invocation::Sweep => Ok(serde_json::to_value(sweep(deps).await?)?),
        Invocation::Http(request) => {
            // lambda_http's adapter: the request with its context in, the answer in the shape
            // of the gateway it came from (REST or HTTP API) out.
            let mut adapter = Adapter::from(service_fn(|request| async {
                Ok::<_, Infallible>(http_api::connections::handle(deps, request).await)
            }));
            let response = match adapter.call(LambdaEvent::new(*request, context)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok(serde_json::to_value(response)?)
        }
    }
}

/// The daily sweep (`app::connections::sweep_idle`): every connection idle for 150 days is
/// refreshed, so that none dies of Thumbtack's 180-day limit on a refresh token. Its counts are
/// logged and answered; a sweep that could not refresh every idle connection fails.
async fn sweep<S, T, V>(deps: &ConnectDeps<S, T, V>) -> Result<Swept, Error>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let span = tracing::info_span!("daily_sweep");
    let _entered = span.enter();
    match sweep_idle(deps, now_millis).await {
        Ok(swept) => {
            tracing::info!(
                checked = swept.checked,
                refreshed = swept.refreshed,
                broken = swept.broken,
                "swept"
            );
            Ok(swept)
        }
        Err(error) => {
            tracing::error!(error = %error_chain(&error), "the sweep is incomplete; to be retried");
            Err(Error::from(error))
        }
    }
}

#[cfg(test)]
mod tests;
