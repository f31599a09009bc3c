//! [`launch`]: everything `make dev` runs, started together: the table and queues in the
//! emulator, the routes, the reply worker, and the Thumbtack sandbox.

use crate::routes::{Stack, router};
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
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
    sdk: &adapters::aws::SdkConfig,
) -> cli::Result<Launched> {
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
