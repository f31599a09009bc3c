//! `make bench` (events): how long after the 2xx of `POST /v1/lead` the lead's `Lead Received`
//! event is on the events queue, through the local stack (the table's stream read every
//! `EVENTS_POLL_MILLIS`, the events handler, `PutEvents`, the bus's catch-all rule, the queue).
//! One lead at a time: each is posted once the previous one's event has arrived, after a random
//! pause of up to one poll interval, so that the leads land at every point of the poll cycle and
//! the figure is the path's latency, not a queue of leads waiting for the emulator (moto serves
//! every call from one Python process: leads posted faster than it can carry them through the
//! stream, the bus and the queue wait in line, and the wait grows with the run). A reader
//! long-polls the queue and notes when each event arrives.
//!
//! Then the records per second one shard of the stream carries: a full batch of the mapping (100
//! records of the mix: a lead, its 5 messages and its update), read from the table's
//! stream, handed to the events path `EVENTS_BATCH_RUNS` times (the change decoded, the leads
//! looked up, `PutEvents` on a bus without rules), its DynamoDB calls counted by a proxy. The
//! mapping hands a shard one batch at a time (`ParallelizationFactor: 1`), so a shard carries at
//! most a batch's records per batch time. Beside it, taking turns on the same batch, the path as
//! it was before issue 19 (one `GetItem` a record that looks up a lead). `EVENTS_SHARD_ONLY=1`
//! runs this part alone.

use adapters::config::Env;
use adapters::dynamo::changes;
use adapters::dynamo::stream::{ShardBatch, TableStream};
use adapters::events_queue::EventsQueue;
use adapters::{DynamoStore, EventBridgeBus, provision};
use app::LeadStore;
use app::events::{Change, DetailType, EventsDeps, PublishPolicy, publish};
use app::metrics::Metrics;
use app::ports::EventBus;
use bench::{local_stack, ms, percentile, post_lead_in_the_poll_cycle, print_latencies};
use models::{InboundMessage, Lead, LeadUpdate};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use cli::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("events-bench", run().await)
}

async fn run() -> Result<(), Error> {
    // EVENTS_SHARD_ONLY=1: the figure per shard alone.
    if Env::process().optional("EVENTS_SHARD_ONLY").is_none() {
        latency().await?;
        println!();
    }
    per_shard().await
}

async fn latency() -> Result<(), Error> {
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
                if event.detail_type == DetailType::LeadReceived.as_str() {
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

/// The mapping's batch size (infra/template.yaml, `BatchSize`).
const BATCH: usize = 100;

async fn per_shard() -> Result<(), Error> {
    let env = Env::process();
    let runs = usize::try_from(env.number("EVENTS_BATCH_RUNS", 30)?)?;
    let name = format!("events-shard-bench-{}", app::now_millis());
    let sdk = adapters::aws::sdk_config().await;
    provision::ensure_table(&sdk, &name).await?;
    // A bus without rules: moto delivers to a rule's targets inside `PutEvents` (docs/benchmarks.md).
    provision::ensure_bus(&sdk, &name).await?;
    let result = measure(&sdk, &name, runs).await;
    provision::drop_table(&sdk, &name).await;
    let figures = result?;
    println!(
        "Records per second per shard: a batch of {} stream records ({} facts, {} of them looking up one of {} leads), {runs} turns each, taken in turn\n",
        figures.records, figures.facts, figures.lookups, figures.leads
    );
    println!(
        "| the events path | batch time p50 | p90 | DynamoDB calls per batch | PutEvents per batch | records per second per shard (p50) |"
    );
    println!("|---|---|---|---|---|---|");
    let puts = figures.facts.div_ceil(10);
    for (name, mut times, calls) in [
        (
            "one BatchGetItem a batch (events-out)",
            figures.batch,
            figures.batch_calls,
        ),
        (
            "one GetItem a record (before)",
            figures.each,
            figures.each_calls,
        ),
    ] {
        times.sort();
        let p50 = percentile(&times, 0.5);
        println!(
            "| {name} | {} | {} | {} | {puts} | {:.0} |",
            ms(p50),
            ms(percentile(&times, 0.9)),
            calls as f64 / runs as f64,
            figures.records as f64 / p50.as_secs_f64(),
        );
    }
    Ok(())
}

struct ShardFigures {
    records: usize,
    facts: usize,
    lookups: usize,
    leads: usize,
    /// The events path as events-out runs it, and its DynamoDB calls over all turns.
    batch: Vec<Duration>,
    batch_calls: u64,
    /// The same batch with one `GetItem` per record that looks up a lead (events-out before
    /// issue 19), and its calls.
    each: Vec<Duration>,
    each_calls: u64,
}

async fn measure(
    sdk: &adapters::aws::SdkConfig,
    name: &str,
    runs: usize,
) -> Result<ShardFigures, Error> {
    let mut stream = TableStream::open(sdk, name).await?;
    let writer = DynamoStore::from_config(sdk, name);
    // The model per lead: 5 messages and an update (its replies aside). 13 leads make
    // 117 records: a lead, 5 messages, an update, and its price and charge state set on the lead
    // (two writes).
    for n in 0..13 {
        write_lead_with_its_facts(&writer, &format!("{name}-{n}")).await?;
    }
    // One hand-over of the mapping.
    let mut batch = ShardBatch {
        shard_id: String::new(),
        records: Vec::with_capacity(BATCH),
    };
    let mut quiet = 0;
    while batch.records.len() < BATCH && quiet < 5 {
        let read = stream.next(i32::try_from(BATCH)?).await?;
        quiet = if read.is_empty() { quiet + 1 } else { 0 };
        batch
            .records
            .extend(read.into_iter().flat_map(|b| b.records));
    }
    batch.records.truncate(BATCH);
    let decoded: Vec<Change> = batch
        .records
        .iter()
        .filter_map(|r| changes::change(r).ok())
        .collect();
    let facts: Vec<_> = decoded.iter().filter_map(|c| c.fact.as_ref()).collect();
    let lookups: Vec<&str> = facts.iter().filter_map(|f| f.lead_to_look_up()).collect();
    let leads = lookups
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();

    // The events function's DynamoDB calls through a proxy that only counts them.
    let endpoint = Env::process().required("AWS_ENDPOINT_URL")?;
    let plan = harness::faults::FaultPlan::none();
    let proxy = harness::faults::start(&endpoint, plan).await?;
    let config = aws_sdk_dynamodb::config::Builder::from(sdk)
        .endpoint_url(&proxy.url)
        .build();
    let deps = EventsDeps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), name),
        bus: EventBridgeBus::from_config(sdk, name),
        policy: PublishPolicy::default(),
        metrics: Metrics::off(),
    };
    let calls = || {
        proxy
            .counts
            .dynamodb_calls
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    for _ in 0..3 {
        batch_lookup(&deps, &batch).await?;
        lookup_each(&deps, &batch).await?;
    }
    let mut figures = ShardFigures {
        records: batch.records.len(),
        facts: facts.len(),
        lookups: lookups.len(),
        leads,
        batch: Vec::with_capacity(runs),
        batch_calls: 0,
        each: Vec::with_capacity(runs),
        each_calls: 0,
    };
    // Turns taken: a busy moment of the machine or the emulator falls on both.
    for _ in 0..runs {
        let (before, started) = (calls(), Instant::now());
        batch_lookup(&deps, &batch).await?;
        figures.batch.push(started.elapsed());
        figures.batch_calls += calls() - before;
        let (before, started) = (calls(), Instant::now());
        lookup_each(&deps, &batch).await?;
        figures.each.push(started.elapsed());
        figures.each_calls += calls() - before;
    }
    Ok(figures)
}

type Deps = EventsDeps<DynamoStore, EventBridgeBus>;

/// What events-out does with a batch: each record decoded, the changes published
/// (`app::events::publish`: the leads looked up together, the events put ten at a time).
async fn batch_lookup(deps: &Deps, batch: &ShardBatch) -> Result<(), Error> {
    let changes: Vec<Change> = batch
        .records
        .iter()
        .filter_map(|r| changes::change(r).ok())
        .collect();
    match publish(deps, &changes).await {
        None => Ok(()),
        Some(failed) => Err(format!("the batch failed at record {failed}").into()),
    }
}

/// The same batch as events-out handled it before: each record's lead read alone, in order,
/// before its event is built; then the events put ten at a time.
async fn lookup_each(deps: &Deps, batch: &ShardBatch) -> Result<(), Error> {
    let mut events = Vec::with_capacity(batch.records.len());
    for record in &batch.records {
        let Some(mut fact) = changes::change(record).ok().and_then(|c| c.fact) else {
            continue;
        };
        if let Some(lead_id) = fact.lead_to_look_up().map(str::to_owned) {
            fact.know_lead(deps.store.stored_lead(&lead_id).await?.as_ref());
        }
        events.push(fact.event());
    }
    for chunk in events.chunks(EventBridgeBus::MAX_PER_PUT) {
        deps.bus.put(chunk).await?;
    }
    Ok(())
}

/// Stores lead `lead_id`, 5 messages of it and an update of its price, as the inbound routes do.
async fn write_lead_with_its_facts(store: &DynamoStore, lead_id: &str) -> Result<(), Error> {
    let metrics = Metrics::off();
    let now = app::now_millis;
    let mut lead: Value = serde_json::from_str(fixtures::LEAD)?;
    lead["leadID"] = lead_id.into();
    let body = lead.to_string();
    app::ingest::ingest::<Lead, _>(store, &metrics, body.as_bytes(), now()).await?;
    for m in 0..5 {
        let mut message: Value = serde_json::from_str(fixtures::MESSAGE)?;
        message["leadID"] = lead_id.into();
        message["message"]["messageID"] = format!("{lead_id}-m{m}").into();
        let body = message.to_string();
        app::ingest::ingest::<InboundMessage, _>(store, &metrics, body.as_bytes(), now()).await?;
    }
    let update = json!({"leadID": lead_id, "leadPrice": "$25.00", "chargeState": "Charged"});
    let body = update.to_string();
    app::ingest::ingest::<LeadUpdate, _>(store, &metrics, body.as_bytes(), now()).await?;
    Ok(())
}
