//! Lambda entry point of the deployed simulator (`SimulatorEnabled=true`): wiring only; the
//! simulator is the library, its deployed configuration `simulator::deployed`.

use lambda_http::Error;

// One thread: an invocation waits on I/O (the table, the stage it delivers to).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // JSON with the time (RFC 3339, UTC), at INFO: requests and deliveries are in /sim/log.
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    let sim = simulator::deployed::init().await?;
    lambda_http::run(simulator::router(sim)).await
}
