//! A Thumbtack that behaves as ../shared/thumbtack-v4.md and thumbtack-today.md say Thumbtack
//! behaves, legacy and v4, OAuth included, and fails on demand. docs/thumbtack-simulator.md marks
//! each behaviour with its evidence.
//!
//! In tests: `let sim = Simulator::start(Config::default()).await?;` serves on
//! `127.0.0.1:<random port>` (`sim.url()`); `sim.shutdown().await` stops it.

// A state section answers early with axum's `Response` (128 bytes) as its `Err`: it goes straight
// back to the caller, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod config;
pub mod control;
pub mod deliveries;
pub mod deployed;
pub mod drive;
pub mod faults;
mod ids;
pub mod legacy;
pub mod log;
mod middleware;
pub mod oauth;
pub mod payloads;
pub mod problem;
pub mod state;
pub mod store;
pub mod webhooks;

pub use config::{
    Business, Config, Lifetimes, OAuthClient, PartnerCredentials, RetryPolicy, Settings, User,
};
pub use drive::{Decision, DriveError, NewLead, Remote};
pub use log::LogEntry;

use axum::Router;
use axum::middleware::from_fn_with_state;
use state::{Shared, Sim};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every route: those a partner calls (faultable), then the control API, all logged.
pub fn router(sim: Sim) -> Router {
    Router::new()
        .merge(oauth::routes())
        .merge(api::routes())
        .merge(webhooks::routes())
        .merge(legacy::routes())
        .route_layer(from_fn_with_state(sim.clone(), middleware::endpoint_faults))
        .merge(legacy::read_routes())
        .merge(control::routes())
        .layer(from_fn_with_state(sim.clone(), middleware::record))
        .with_state(sim)
}

/// A running simulator.
#[derive(Debug)]
pub struct Simulator {
    url: String,
    sim: Sim,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Simulator {
    /// Serves on `127.0.0.1` on a port the system picks.
    pub async fn start(config: Config) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    pub async fn start_on(addr: SocketAddr, config: Config) -> std::io::Result<Self> {
        Self::serve(tokio::net::TcpListener::bind(addr).await?, config)
    }

    /// Serves on a listener bound already (so that its caller can name a busy address its way).
    pub fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<Self> {
        Self::serve_state(listener, Arc::new(Shared::new(config)))
    }

    /// Serves a simulator whose state lives in `store` (as the deployed function does), so that
    /// two of them on one store behave as two Lambda instances of one stage.
    pub fn serve_stored(
        listener: tokio::net::TcpListener,
        config: Config,
        store: Arc<dyn store::SnapshotStore>,
    ) -> std::io::Result<Self> {
        Self::serve_state(listener, Arc::new(Shared::stored(config, store)))
    }

    fn serve_state(listener: tokio::net::TcpListener, sim: Sim) -> std::io::Result<Self> {
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(sim.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Simulator {
            url,
            sim,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Everything received and delivered so far (in process; a stored simulator's log is at
    /// `GET /sim/log`).
    pub fn log(&self) -> Vec<LogEntry> {
        self.sim.lock().log.clone()
    }

    /// Stops accepting connections and waits for requests in flight.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
