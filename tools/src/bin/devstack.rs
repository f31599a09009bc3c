//! `make dev`'s server: creates the table in the emulator and serves the routes on loopback.

use adapters::config::Env;
use adapters::{DynamoStore, aws, schema};
use app::auth::{Credential, StaticCredentials};
use std::process::ExitCode;
use std::sync::Arc;
use tools::devstack::{Stack, router};
use tools::settings::DevSettings;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,aws_config=warn".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("devstack: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = DevSettings::from_env(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let store = DynamoStore::from_config(&sdk, &settings.table);
    schema::ensure_table(store.client(), &settings.table).await?;
    let credentials =
        StaticCredentials::new(&[Credential::new(&settings.username, &settings.password)]);
    let app = router(Arc::new(Stack::new(store, credentials)));
    let listener = tokio::net::TcpListener::bind(settings.addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("devstack: emulator     {}", settings.endpoint);
    println!("devstack: table        {}", settings.table);
    println!(
        "devstack: credentials  {}:{} (HTTP basic, what Thumbtack presents)",
        settings.username, settings.password
    );
    println!("devstack: POST {base}/v1/lead");
    println!("devstack: POST {base}/v1/message");
    println!("devstack: GET  {base}/v1/leads/{{leadID}}");
    println!("devstack: GET  {base}/healthz");
    println!("devstack: ready (Ctrl-C stops everything)");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    println!("devstack: stopped");
    Ok(())
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return interrupt.await.unwrap_or(()),
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or(());
}
