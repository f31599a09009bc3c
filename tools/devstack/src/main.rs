//! `make dev`'s process: creates the table and queues in the emulator, serves the HTTP routes on
//! loopback, runs the reply worker, and (unless THUMBTACK_API_BASE_URL is set) a Thumbtack sandbox.

use adapters::aws;
use adapters::config::Env;
use devstack::settings::login;
use devstack::{DevSettings, launch};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,aws_config=warn".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    cli::exit("devstack", run().await)
}

async fn run() -> cli::Result {
    let settings = DevSettings::from_env(Env::process())?;
    // The emulator's configuration: moto may answer a call in seconds, and a retry of one it is
    // still carrying out would put the same events on the bus twice.
    let sdk = aws::emulator_sdk_config().await;
    let stack = launch(&settings, &sdk).await?;
    let base = &stack.base_url;
    println!("devstack: emulator     {}", settings.endpoint);
    println!("devstack: table        {}", settings.inbound.table);
    println!("devstack: reply queue  {}", stack.queue_url);
    println!("devstack: parked (DLQ) {}", stack.dlq_url);
    println!(
        "devstack: credentials  {} (HTTP basic, what Thumbtack presents)",
        login(&settings.inbound.credentials)
    );
    match &stack.sandbox_url {
        None => println!(
            "devstack: thumbtack    {} (THUMBTACK_API_BASE_URL)",
            stack.thumbtack_url
        ),
        Some(url) => println!(
            "devstack: sandbox      {url} stands in for Thumbtack (credentials {})",
            stack.thumbtack_login
        ),
    }
    println!("devstack: reply worker polling the reply queue");
    println!(
        "devstack: events       {} on the stream, to the bus {}, to the queue {} (make events)",
        settings.inbound.table, settings.events.bus_name, stack.events_queue_url
    );
    println!(
        "devstack: speed        Lead Received from the bus to the speed-to-lead handler, wake-ups on a timer"
    );
    println!("devstack: POST {base}/v1/lead");
    println!("devstack: PUT  {base}/v1/lead/update");
    println!("devstack: POST {base}/v1/message");
    println!("devstack: POST {base}/v1/review");
    println!("devstack: GET  {base}/v1/leads/{{leadID}}");
    println!(
        "devstack: GET  {base}/v1/businesses/{{businessID}}/leads?since=&until=&limit=&cursor="
    );
    println!("devstack: GET  {base}/v1/businesses/{{businessID}}/reviews?limit=&cursor=");
    println!("devstack: GET  {base}/v1/businesses/{{businessID}}/settings (and PUT), /stats?days=");
    println!("devstack: GET  {base}/v1/changes?since=&limit=&cursor=");
    println!("devstack: GET  {base}/healthz");
    println!("devstack: make reply TEXT='...' enqueues a pro's reply");
    println!(
        "devstack: make business ARGS=\"set <businessID> --ack on\" turns the acknowledgement on"
    );
    println!("devstack: ready (Ctrl-C stops everything)");
    shutdown_signal().await;
    stack.stop().await;
    println!("devstack: stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
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
