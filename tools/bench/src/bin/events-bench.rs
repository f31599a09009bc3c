//! `make bench` (events): how long after the 2xx of `POST /v1/lead` the lead's `Lead Received`
//! event is on the events queue, through the local stack (the table's stream read every
//! `EVENTS_POLL_MILLIS`, the events handler, `PutEvents`, the bus's catch-all rule, the queue).
//! One lead at a time: each is posted once the previous one's event has arrived, after a random
//! pause of up to one poll interval, so that the leads land at every point of the poll cycle and
//! the figure is the path's latency, not a queue of leads waiting for the emulator (moto serves
//! every call from one Python process: leads posted faster than it can carry them through the
//! stream, the bus and the queue wait in line, and the wait grows with the run). A reader
//! long-polls the queue and notes when each event arrives.

use adapters::config::Env;
use adapters::events_queue::EventsQueue;
use bench::{local_stack, post_lead_in_the_poll_cycle, print_latencies};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use cli::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("events-bench", run().await)
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let leads = usize::try_from(env.number("EVENTS_LEADS", 200)?)?;
    let poll = env.number("EVENTS_POLL_MILLIS", 200)?;
    let stamp = app::now_millis();
    let name = format!("events-bench-{stamp}");
    let (stack, sdk) = local_stack(&name, poll).await?;
    let queue = EventsQueue::at(&sdk, &stack.events_queue_url);

    // The reader: each `Lead Received` with the moment it came off the queue.
    let (arrived, mut arrivals) = mpsc::unbounded_channel::<(String, Instant)>();
    let reader = tokio::spawn(async move {
        loop {
            let Ok(events) = queue.receive(Duration::from_secs(1)).await else {
                continue;
            };
            let now = Instant::now();
            for event in &events {
                if event.detail_type == "Lead Received" {
                    let lead = event.detail["leadID"].as_str().unwrap_or_default();
                    if arrived.send((lead.to_owned(), now)).is_err() {
                        return;
                    }
                }
            }
            let queue = queue.clone();
            tokio::spawn(async move { queue.delete(&events).await });
        }
    });

    let http = reqwest::Client::new();
    let base = stack.base_url.clone();
    let mut latencies = Vec::with_capacity(leads);
    let mut missing = 0;
    for n in 0..leads {
        let id = format!("{name}-{n}");
        let stored = post_lead_in_the_poll_cycle(&http, &base, &id, poll).await?;
        let deadline = stored + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, arrivals.recv()).await {
                Ok(Some((lead, at))) if lead == id => {
                    latencies.push(at.saturating_duration_since(stored));
                    break;
                }
                // An earlier lead's event delivered again (at least once): not this one.
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    missing += 1;
                    break;
                }
            }
        }
    }
    reader.abort();
    stack.stop().await;
    adapters::provision::drop_table(&sdk, &name).await;
    if missing > 0 {
        return Err(format!("{missing} of {leads} leads had no event within 10 s").into());
    }
    println!(
        "From the 2xx of POST /v1/lead to its Lead Received event on the events queue, {leads} leads one at a time, stream polled every {poll} ms\n"
    );
    print_latencies(&mut latencies, Duration::from_secs(1), "p50 under 1 s");
    Ok(())
}
