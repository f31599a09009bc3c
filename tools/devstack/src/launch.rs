//! [`launch`]: everything `make dev` runs, started together: the table, queues and bus in the
//! emulator, the routes, the reply worker, the events worker, the speed-to-lead worker, and the
//! Thumbtack simulator.

use crate::events::EventsWorker;
use crate::routes::{Stack, router};
use crate::settings::{DevSettings, LocalThumbtackV4, login};
use crate::speed::{LocalScheduler, SpeedWorker};
use crate::worker::Worker;
use adapters::aws::SdkConfig;
use adapters::config::ReplyV4Settings;
use adapters::connect::{HttpThumbtackV4, KmsVault};
use adapters::dynamo::stream::TableStream;
use adapters::events_queue::EventsQueue;
use adapters::provision::{
    ensure_event_bus, ensure_queues, ensure_rule_to_queue, ensure_table, ensure_token_key,
};
use adapters::secrets::{CredentialSetting, partner_credentials, thumbtack_credentials};
use adapters::thumbtack::ThumbtackClient;
use adapters::{DynamoStore, EventBridgeBus, HttpThumbtack, SqsReplyQueue};
use app::connections::ConnectDeps;
use app::events::{EventsDeps, PublishPolicy};
use app::metrics::Metrics;
use app::ports::CredentialSource;
use app::replies::ReplyDeps;
use axum::Router;
use secrecy::ExposeSecret;
use simulator::{Config, OAuthClient, Simulator};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running local stack.
#[derive(Debug)]
pub struct Launched {
    pub base_url: String,
    /// The Thumbtack simulator's URL, when it runs (no THUMBTACK_API_BASE_URL given).
    pub simulator_url: Option<String>,
    /// The simulator's OAuth client, for the product's v4 settings.
    pub simulator_client: Option<OAuthClient>,
    pub thumbtack_url: String,
    /// The credential replies present to Thumbtack, as the console shows it.
    pub thumbtack_login: String,
    pub queue_url: String,
    pub dlq_url: String,
    /// Where a catch-all rule on the bus delivers every event.
    pub events_queue_url: String,
    /// The Thumbtack the reply worker sends through (v4 too, when configured): benchmarks time
    /// its send alone, without the queue.
    pub replies: HttpThumbtack,
    /// The v4 settings replies go out with, when v4 is configured.
    pub reply_v4: Option<ReplyV4Settings>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    simulator: Option<Simulator>,
}

impl Launched {
    /// The simulator, when it runs: its driver plays the pro on the consent page.
    pub fn simulator(&self) -> Option<&Simulator> {
        self.simulator.as_ref()
    }

    /// Stops the server, the workers and the simulator, and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Some(simulator) = self.simulator
            && let Err(error) = simulator.shutdown().await
        {
            tracing::error!(%error, "the simulator stopped");
        }
    }
}

/// Creates the table and queues in the emulator and starts everything `make dev` runs, wired
/// from the settings the functions would load.
pub async fn launch(settings: &DevSettings, sdk: &SdkConfig) -> cli::Result<Launched> {
    let table = &settings.inbound.table;
    ensure_table(sdk, table).await?;
    let (queue_url, dlq_url) = ensure_queues(
        sdk,
        &settings.reply_queue,
        settings.reply_visibility,
        settings.reply_max_receives,
    )
    .await?;
    let events_queue_url =
        ensure_event_bus(sdk, &settings.events.bus_name, &settings.events_queue).await?;
    // What the speed-to-lead function's rule takes from the bus in AWS.
    let lead_received = serde_json::json!({
        "source": [app::events::SOURCE],
        "detail-type": [app::events::DetailType::LeadReceived.as_str()],
    });
    let speed_queue_url = ensure_rule_to_queue(
        sdk,
        &settings.events.bus_name,
        &settings.speed_queue,
        &lead_received,
    )
    .await?;
    // Read from now on: opened before anything can write, so no change is missed.
    let stream = TableStream::open(sdk, table).await?;
    // Thumbtack: the real base URL if given, else the simulator on loopback.
    let simulator_listener = match settings.thumbtack_base_url() {
        Some(_) => None,
        None => Some(listen(settings.sandbox_addr, "SANDBOX_ADDR").await?),
    };
    let thumbtack_url = match &simulator_listener {
        Some(listener) => format!("http://{}", listener.local_addr()?),
        None => settings.thumbtack_base_url().unwrap_or_default(),
    };
    let reply = settings.reply(&queue_url, &dlq_url, &thumbtack_url)?;
    if simulator_listener.is_some()
        && !matches!(reply.thumbtack_credentials, CredentialSetting::Fixed(_))
    {
        return Err(
            "the simulator checks THUMBTACK_API_USERNAME and THUMBTACK_API_PASSWORD; \
            with THUMBTACK_CREDENTIALS_SECRET_ARN set THUMBTACK_API_BASE_URL too"
                .into(),
        );
    }

    let store = DynamoStore::from_config(sdk, table);
    let mut worker = Worker {
        deps: ReplyDeps {
            ledger: store.clone(),
            thumbtack: HttpThumbtack::new(
                &reply.thumbtack,
                thumbtack_credentials(&reply.thumbtack_credentials, sdk),
            )?,
            queue: SqsReplyQueue::from_config(sdk, &queue_url, &dlq_url),
            policy: reply.policy,
            // The local stack writes no metrics, whatever METRICS_NAMESPACE says.
            metrics: Metrics::off(),
        },
        invocation_timeout: settings.invocation_timeout(),
        wait: Duration::from_secs(1),
        batch_size: 1,
        lanes: 4,
    };
    let events = EventsWorker {
        deps: EventsDeps {
            store: store.clone(),
            bus: EventBridgeBus::from_config(sdk, &settings.events.bus_name),
            policy: PublishPolicy::default(),
            metrics: Metrics::off(),
        },
        stream,
        poll: settings.events_poll,
    };
    let (scheduler, due) = LocalScheduler::new();
    let speed = SpeedWorker {
        deps: app::speed::SpeedDeps {
            store: store.clone(),
            outbox: SqsReplyQueue::from_config(sdk, &queue_url, &dlq_url),
            scheduler,
            metrics: Metrics::off(),
            fresh_within: app::speed::DEFAULT_FRESH_WITHIN,
        },
        queue: EventsQueue::at(sdk, speed_queue_url),
        due,
    };
    let credentials = partner_credentials(&settings.inbound.credentials, sdk);
    // As the functions' init: the credentials are read now, not on the first request.
    credentials.accepted().await?;
    let listener = listen(settings.addr, "DEV_ADDR").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let mut stack = Stack::new(store.clone(), credentials, settings.read.pull.clone());
    // The connect flow (v4) against the simulator, its tokens sealed with a key of the emulator.
    let simulator_client = simulator_config(settings, &reply.thumbtack_credentials, &base_url)
        .clients
        .into_iter()
        .next();
    let local_v4 = match (&simulator_listener, &simulator_client) {
        (Some(_), Some(client)) => Some(LocalThumbtackV4 {
            url: &thumbtack_url,
            client_id: &client.client_id,
            client_secret: &client.client_secret,
        }),
        _ => None,
    };
    let token_key = ensure_token_key(sdk, "thumbtack-partner-local-tokens").await?;
    let mut replies_v4 = None;
    if let Some(connect) = settings.connections(&base_url, local_v4, &token_key)? {
        // Replies go through v4 for connected businesses and v4 leads, as in AWS: the same
        // Thumbtack, client and key as the connect flow, a token cache of the worker's own.
        let reply_v4 = ReplyV4Settings {
            api: connect.api.clone(),
            oauth: connect.oauth.clone(),
            client: connect.client.clone(),
            token_key_id: connect.token_key_id.clone(),
        };
        replies_v4 = Some(reply_v4.clone());
        worker.deps.thumbtack = worker.deps.thumbtack.clone().with_v4_settings(
            sdk,
            store.clone(),
            reply_v4,
            Metrics::off(),
        )?;
        let api = ThumbtackClient::new(&connect.api)?;
        let client = thumbtack_credentials(&connect.client, sdk);
        stack = stack.with_connections(ConnectDeps {
            store,
            thumbtack: HttpThumbtackV4::new(api, connect.oauth, client),
            vault: KmsVault::from_config(sdk, connect.token_key_id),
            settings: connect.connect,
            metrics: Metrics::off(),
        });
    }
    let app = router(Arc::new(stack));

    // Everything is built: only now does anything run, so a failure above leaves nothing behind.
    let (simulator, simulator_client) = match simulator_listener {
        Some(listener) => {
            let config = simulator_config(settings, &reply.thumbtack_credentials, &base_url);
            let client = config.clients.first().cloned();
            (Some(Simulator::serve(listener, config)?), client)
        }
        None => (None, None),
    };
    let (stop, stopped) = watch::channel(false);
    let replies = worker.deps.thumbtack.clone();
    let mut tasks = Vec::new();
    let worker_stop = stopped.clone();
    tasks.push(tokio::spawn(async move { worker.run(worker_stop).await }));
    let events_stop = stopped.clone();
    tasks.push(tokio::spawn(events.run(events_stop)));
    tasks.push(tokio::spawn(speed.run(stopped.clone())));
    tasks.push(tokio::spawn(serve(listener, app, stopped)));
    Ok(Launched {
        base_url,
        simulator_url: simulator.as_ref().map(|s| s.url().to_owned()),
        simulator_client,
        thumbtack_url,
        thumbtack_login: login(&reply.thumbtack_credentials),
        queue_url,
        dlq_url,
        events_queue_url,
        replies,
        reply_v4: replies_v4,
        stop,
        tasks,
        simulator,
    })
}

/// The simulator as the local stack plays against it: legacy replies accepted with the reply
/// function's credential (as the sandbox did), legacy deliveries sent to the local routes with
/// the partner credential, OAuth redirects back to the local stack, replies printed.
fn simulator_config(
    settings: &DevSettings,
    reply_credential: &CredentialSetting,
    base_url: &str,
) -> Config {
    let mut config = Config::default();
    if let CredentialSetting::Fixed(credential) = reply_credential {
        config.legacy_reply_username = credential.username.clone();
        config.legacy_reply_password = credential.password.expose_secret().to_owned();
    }
    if let CredentialSetting::Fixed(credential) = &settings.inbound.credentials {
        config.settings.legacy_partner_username = credential.username.clone();
        config.settings.legacy_partner_password = credential.password.expose_secret().to_owned();
    }
    config.settings.legacy_partner_url = Some(base_url.to_owned());
    for client in &mut config.clients {
        client.redirect_uris = vec![format!("{base_url}/v1/connections/callback")];
    }
    config.print_legacy_replies = true;
    config
}

/// A listener on `addr`, which the setting `variable` chose. An address in use is named, with
/// the setting and its likely cause: another `make dev` still running.
async fn listen(
    addr: std::net::SocketAddr,
    variable: &str,
) -> cli::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|error| {
        let what = if error.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "cannot listen on {addr} ({variable}): the address is in use, most likely by \
                another `make dev` still running (stop it with Ctrl-C in its terminal), or \
                start this one elsewhere, e.g. {variable}=127.0.0.1:{}",
                addr.port().saturating_add(1)
            )
        } else {
            format!("cannot listen on {addr} ({variable})")
        };
        cli::context(what, error)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::DevSettings;
    use adapters::config::Env;

    #[test]
    fn the_simulator_takes_the_replies_credential_and_delivers_to_the_local_routes() {
        let settings = DevSettings::from_env(Env::with(|var: &str| match var {
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:4566".to_owned()),
            "THUMBTACK_API_USERNAME" => Some("me".to_owned()),
            "THUMBTACK_API_PASSWORD" => Some("mine".to_owned()),
            _ => None,
        }))
        .unwrap();
        let reply = settings
            .reply("http://q", "http://d", "http://sim")
            .unwrap();
        let config = super::simulator_config(
            &settings,
            &reply.thumbtack_credentials,
            "http://127.0.0.1:3100",
        );
        assert_eq!(
            (
                config.legacy_reply_username.as_str(),
                config.legacy_reply_password.as_str()
            ),
            ("me", "mine")
        );
        let deliveries = &config.settings;
        assert_eq!(
            deliveries.legacy_partner_url.as_deref(),
            Some("http://127.0.0.1:3100")
        );
        assert_eq!(
            (
                deliveries.legacy_partner_username.as_str(),
                deliveries.legacy_partner_password.as_str()
            ),
            ("thumbtack", "local-dev-password")
        );
        assert_eq!(
            config.clients[0].redirect_uris,
            ["http://127.0.0.1:3100/v1/connections/callback"]
        );
        assert!(config.print_legacy_replies);
    }

    #[tokio::test]
    async fn an_address_in_use_is_named_with_its_setting_and_likely_cause() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let error = super::listen(addr, "DEV_ADDR").await.unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains(&format!("cannot listen on {addr} (DEV_ADDR)")),
            "{message}"
        );
        assert!(message.contains("another `make dev`"), "{message}");
    }
}
