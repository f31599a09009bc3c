//! `make bench` (speed to lead): how long after the 2xx of `POST /v1/lead` the Thumbtack
//! stand-in (the simulator) receives the lead's automatic acknowledgement, through the local stack:
//! the table's stream read every `EVENTS_POLL_MILLIS`, the events handler, `PutEvents`, the rule
//! delivering `Lead Received` to the speed-to-lead worker's queue, the handler enqueueing reply
//! `auto-<leadID>`, the reply worker, the simulator. One lead at a time, each after a random pause
//! of up to one poll interval, so leads land at every point of the poll cycle and the figure is
//! the path's latency, not a queue in the emulator.

use adapters::config::Env;
use bench::{local_stack, post_lead_in_the_poll_cycle, print_latencies};
use fixtures::BUSINESS_ID;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use cli::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("ack-bench", run().await)
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let leads = usize::try_from(env.number("ACK_LEADS", 50)?)?.max(1);
    let poll = env.number("EVENTS_POLL_MILLIS", 200)?;
    let name = format!("ack-bench-{}", app::now_millis());
    let (stack, sdk) = local_stack(&name, poll).await?;
    let http = reqwest::Client::new();
    let base = stack.base_url.clone();
    let sandbox = format!(
        "{}/sandbox/messages",
        stack.simulator_url.clone().unwrap_or_default()
    );

    // Turned on for the sample business, through the route a partner would use.
    let settings_url = format!("{base}/v1/businesses/{BUSINESS_ID}/settings");
    let mut document: Value = http.get(&settings_url).send().await?.json().await?;
    document["autoAcknowledgement"]["enabled"] = json!(true);
    let saved = http.put(&settings_url).json(&document).send().await?;
    if !saved.status().is_success() {
        return Err(format!("PUT settings answered {}", saved.status()).into());
    }

    let mut latencies = Vec::with_capacity(leads);
    let mut missing = 0;
    for n in 0..leads {
        let id = format!("{name}-{n}");
        let stored = post_lead_in_the_poll_cycle(&http, &base, &id, poll).await?;
        let deadline = stored + Duration::from_secs(15);
        // The sandbox is in this process: asking it every 10 ms costs the path nothing.
        loop {
            let received: Value = http.get(&sandbox).send().await?.json().await?;
            let arrived = received
                .as_array()
                .is_some_and(|all| all.iter().any(|m| m["leadID"] == id.as_str()));
            if arrived {
                latencies.push(stored.elapsed());
                break;
            }
            if Instant::now() > deadline {
                missing += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stack.stop().await;
    adapters::provision::drop_table(&sdk, &name).await;
    if missing > 0 {
        return Err(
            format!("{missing} of {leads} leads got no acknowledgement within 15 s").into(),
        );
    }
    println!(
        "From the 2xx of POST /v1/lead to its acknowledgement at the Thumbtack sandbox, {leads} leads one at a time, stream polled every {poll} ms\n"
    );
    print_latencies(&mut latencies, Duration::from_secs(2), "p50 under 2 s");
    Ok(())
}
