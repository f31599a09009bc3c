//! `make dev`'s process: creates the table and queues in the emulator, serves the HTTP routes on
//! loopback, runs the reply worker, and (unless THUMBTACK_API_BASE_URL is set) the Thumbtack
//! simulator.

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
    match &stack.simulator_url {
        None => println!(
            "devstack: thumbtack    {} (THUMBTACK_API_BASE_URL)",
            stack.thumbtack_url
        ),
        Some(url) => print_simulator(url, &stack),
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
    println!(
        "devstack: POST {base}/v1/connections {{\"reference\", \"returnURL\"?}} (v4: connect a pro; its authorizeURL opens the simulator's consent page)"
    );
    println!(
        "devstack: GET  {base}/v1/connections/callback (the pro's browser, back from consent)"
    );
    println!(
        "devstack: GET  {base}/v1/connections?limit=&cursor= (every connection, a page at a time)"
    );
    println!("devstack: GET  {base}/v1/connections/{{userID}} (a connection, never its tokens)");
    println!(
        "devstack: POST {base}/v1/connections/{{userID}}/sync, DELETE {base}/v1/connections/{{userID}} (businesses again; disconnect)"
    );
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

/// The simulator's URL, its OAuth client and one example of each control call
/// (docs/thumbtack-simulator.md).
fn print_simulator(url: &str, stack: &devstack::Launched) {
    println!(
        "devstack: simulator    {url} plays Thumbtack, legacy and v4 (legacy replies with {})",
        stack.thumbtack_login
    );
    if let Some(client) = &stack.simulator_client {
        println!(
            "devstack: simulator    OAuth client {} / {}, redirect {}",
            client.client_id,
            client.client_secret,
            client.redirect_uris.join(" ")
        );
    }
    let business = fixtures::BUSINESS_ID;
    let post = format!("curl -sS -X POST -H 'content-type: application/json' {url}/sim");
    for example in [
        format!("{post}/v4/businesses/{business}/requests -d '{{}}'"),
        format!(
            "{post}/v4/negotiations/{{negotiationID}}/customer-messages -d '{{\"text\":\"Hi\"}}'"
        ),
        format!(
            "{post}/v4/negotiations/{{negotiationID}}/pro-messages -d '{{\"text\":\"Hello\"}}'"
        ),
        format!("{post}/v4/negotiations/{{negotiationID}}/reviews -d '{{\"rating\":5}}'"),
        format!("{post}/v4/businesses/{business}/test-webhook"),
        format!(
            "{post}/legacy/leads -d '{{}}'  (also /legacy/messages, /legacy/lead-updates, /legacy/reviews)"
        ),
        format!(
            "curl -sS -X PUT -H 'content-type: application/json' {url}/sim/settings -d '{{\"retry\":{{\"maxAttempts\":3}}}}'"
        ),
        format!(
            "{post}/faults -d '{{\"endpoint\":\"POST /v1/business/{{businessID}}/lead/{{leadID}}/message\",\"fault\":{{\"kind\":\"status\",\"status\":503}},\"times\":1}}'"
        ),
        format!("{post}/faults/deliveries -d '{{\"duplicate\":true,\"times\":1}}'"),
        format!("curl -sS -X DELETE {url}/sim/faults"),
        format!("{post}/users/{{userID}}/revoke  (or /invalid-grant)"),
        format!("curl -sS {url}/sim/log"),
    ] {
        println!("devstack: sim  {example}");
    }
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
