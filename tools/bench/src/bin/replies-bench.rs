//! `make bench` (replies): 100 replies across 10 leads through the reply queue and the local worker
//! to a Thumbtack stand-in that answers in 50 ms, beside a sequential sender of the same replies;
//! then the same run against a stand-in that answers at once, which leaves the cost of the queue
//! and the ledger on the emulator.
//!
//! Then replies per second per instance, the figure reply-outbound's `MaximumConcurrency` is sized
//! from: one process of the release `reply-outbound` binary under our Runtime API, warm, given
//! batches of 10 replies (10 leads: the event source mapping's batch, and at volume a batch's
//! replies are of different leads) one after the other, as the event source mapping gives one
//! instance one batch at a time; Thumbtack's stand-in answering in 100 ms, then at once.

use adapters::config::Env;
use adapters::provision::{drop_table, ensure_queues, ensure_table};
use adapters::secrets::ThumbtackCredentials;
use adapters::thumbtack::ThumbtackSettings;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue, aws};
use app::auth::Credential;
use app::metrics::Metrics;
use app::ports::Thumbtack;
use app::replies::{ReplyDeps, RetryPolicy};
use axum::Router;
use axum::extract::Path;
use axum::routing::post;
use devstack::Worker;
use harness::runtime_api::{Answer, RuntimeApi};
use models::{ReplyRequest, ReplyStatus};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

use cli::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Quiet unless asked: RUST_LOG=info shows each reply's outcome and latency.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    cli::exit("replies-bench", run().await)
}

type Received = Arc<Mutex<Vec<(String, String)>>>;

fn lock(received: &Received) -> std::sync::MutexGuard<'_, Vec<(String, String)>> {
    received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Thumbtack, answering every message after `delay_ms` and noting what it got, in order.
async fn stand_in(delay_ms: Arc<AtomicU64>) -> Result<(String, Received), Error> {
    let received: Received = Arc::default();
    let log = Arc::clone(&received);
    let app = Router::new().route(
        "/v1/business/{business}/lead/{lead}/message",
        post(
            move |Path((_, lead)): Path<(String, String)>, body: String| {
                let (log, delay_ms) = (Arc::clone(&log), Arc::clone(&delay_ms));
                async move {
                    let delay = delay_ms.load(Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    let text = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["text"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    lock(&log).push((lead, text));
                    "{\"status\":\"success\"}"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, received))
}

fn in_order(received: &[(String, String)], leads: usize) -> bool {
    (0..leads).all(|lead| {
        let texts: Vec<&String> = received
            .iter()
            .filter(|(l, _)| l.ends_with(&format!("-lead-{lead}")))
            .map(|(_, t)| t)
            .collect();
        texts.windows(2).all(|w| w[0] < w[1])
    })
}

fn replies_for(prefix: &str, replies: usize, leads: usize) -> Vec<ReplyRequest> {
    (0..replies)
        .map(|i| ReplyRequest {
            reply_id: format!("{prefix}-r{i}"),
            business_id: "bench".to_owned(),
            lead_id: format!("{prefix}-lead-{}", i % leads),
            text: format!("reply {i:05}"),
        })
        .collect()
}

struct Run {
    elapsed: Duration,
    in_order: bool,
}

/// The bundle: the queue, the ledger and the worker of `make dev`, `lanes` receives at a time,
/// on a table and a queue of its own.
async fn bundle(
    sdk: &adapters::aws::SdkConfig,
    client: &HttpThumbtack,
    received: &Received,
    prefix: &str,
    all: &[ReplyRequest],
    leads: usize,
    lanes: usize,
) -> Result<Run, Error> {
    let store = DynamoStore::from_config(sdk, prefix);
    ensure_table(sdk, prefix).await?;
    let (queue_url, dlq_url) =
        ensure_queues(sdk, &format!("{prefix}.fifo"), Duration::from_secs(30), 5).await?;
    let queue = SqsReplyQueue::from_config(sdk, &queue_url, &dlq_url);
    for reply in all {
        queue.enqueue(reply).await?;
    }
    lock(received).clear();
    let worker = Worker {
        deps: ReplyDeps {
            ledger: store.clone(),
            thumbtack: client.clone(),
            queue,
            policy: RetryPolicy::default(),
            metrics: Metrics::off(),
        },
        invocation_timeout: Duration::from_secs(24),
        wait: Duration::from_secs(1),
        // As `make dev`: one message per receive (see `devstack::worker` for moto's FIFO quirk).
        batch_size: 1,
        lanes,
    };
    let (stop, stopped) = watch::channel(false);
    let started = Instant::now();
    let running = tokio::spawn(async move { worker.run(stopped).await });
    // The clock stops at the stand-in's last answer, read from memory: polling the ledger here
    // would load the single-threaded emulator the worker is using.
    while lock(received).len() < all.len() && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = started.elapsed();
    // Then, off the clock: every reply recorded as sent in the ledger.
    let mut sent = 0;
    while sent < all.len() && started.elapsed() < Duration::from_secs(150) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        sent = 0;
        for lead in 0..leads {
            let records =
                app::LeadStore::conversation(&store, &format!("{prefix}-lead-{lead}")).await?;
            sent += records
                .replies
                .iter()
                .filter(|r| r.status == ReplyStatus::Sent)
                .count();
        }
    }
    let _ = stop.send(true);
    let _ = running.await;
    if sent < all.len() {
        return Err(format!("only {sent} of {} replies were sent", all.len()).into());
    }
    drop_table(sdk, prefix).await;
    let received = lock(received).clone();
    Ok(Run {
        elapsed,
        in_order: received.len() == all.len() && in_order(&received, leads),
    })
}

/// An SQS batch of `replies`, as the event source mapping of a FIFO queue hands it over.
fn sqs_batch(replies: &[ReplyRequest], first_sequence: usize) -> Result<Value, Error> {
    let mut event: Value = serde_json::from_str(fixtures::events::SQS_FIFO_REPLIES)?;
    let template = event["Records"][0].take();
    let records: Vec<Value> = replies
        .iter()
        .enumerate()
        .map(|(i, reply)| {
            let mut record = template.clone();
            record["messageId"] = json!(format!("{}-message", reply.reply_id));
            record["body"] = json!(
                json!({
                    "replyID": reply.reply_id,
                    "businessID": reply.business_id,
                    "leadID": reply.lead_id,
                    "text": reply.text,
                })
                .to_string()
            );
            record["attributes"]["MessageGroupId"] = json!(reply.lead_id);
            record["attributes"]["MessageDeduplicationId"] = json!(reply.reply_id);
            record["attributes"]["SequenceNumber"] = json!((first_sequence + i).to_string());
            record["attributes"]["SentTimestamp"] = json!(app::now_millis().to_string());
            record
        })
        .collect();
    event["Records"] = json!(records);
    Ok(event)
}

/// One reply-outbound instance: `batches` batches of `batch` replies, each of its own lead, one
/// after the other, after one batch to warm it; the time of the timed ones.
async fn per_instance(
    sdk: &adapters::aws::SdkConfig,
    thumbtack: &str,
    prefix: &str,
    batches: usize,
    batch: usize,
) -> Result<Duration, Error> {
    let binary = std::env::current_exe()?
        .parent()
        .ok_or("no parent")?
        .join("reply-outbound");
    if !binary.exists() {
        return Err(format!("{} is missing: cargo build --release", binary.display()).into());
    }
    ensure_table(sdk, prefix).await?;
    let endpoint = Env::process().required("AWS_ENDPOINT_URL")?;
    let runtime = RuntimeApi::start().await?;
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs([
            ("AWS_LAMBDA_FUNCTION_NAME", "reply-outbound".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
            ("AWS_LAMBDA_LOG_LEVEL", "WARN".to_owned()),
            ("AWS_LAMBDA_RUNTIME_API", runtime.address.clone()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_ENDPOINT_URL", endpoint.clone()),
            ("TABLE_NAME", prefix.to_owned()),
            ("THUMBTACK_API_BASE_URL", thumbtack.to_owned()),
            ("THUMBTACK_API_USERNAME", "partner".to_owned()),
            ("THUMBTACK_API_PASSWORD", "bench".to_owned()),
            // Called only to park or delay a failed reply: none here.
            (
                "REPLY_QUEUE_URL",
                format!("{endpoint}/123456789012/{prefix}.fifo"),
            ),
            (
                "REPLY_DLQ_URL",
                format!("{endpoint}/123456789012/{prefix}-dlq.fifo"),
            ),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let all = replies_for(prefix, (batches + 1) * batch, (batches + 1) * batch);
    let mut started = Instant::now();
    for (n, replies) in all.chunks(batch).enumerate() {
        if n == 1 {
            started = Instant::now();
        }
        match runtime.invoke(sqs_batch(replies, n * batch)?).await {
            Some(Answer::Response(answer)) if answer["batchItemFailures"] == json!([]) => {}
            other => return Err(format!("reply-outbound answered {other:?}").into()),
        }
    }
    let elapsed = started.elapsed();
    let _ = child.kill().await;
    drop_table(sdk, prefix).await;
    Ok(elapsed)
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let replies = usize::try_from(env.number("REPLIES", 100)?)?;
    let leads = usize::try_from(env.number("LEADS", 10)?)?;
    let lanes = usize::try_from(env.number("LANES", 10)?)?;
    let sdk = aws::sdk_config().await;
    let stamp = app::now_millis();
    let delay_ms = Arc::new(AtomicU64::new(50));
    let (url, received) = stand_in(Arc::clone(&delay_ms)).await?;
    let client = HttpThumbtack::new(
        &ThumbtackSettings {
            base_url: url.clone(),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        },
        ThumbtackCredentials::fixed(Credential::new("partner", "bench")),
    )?;

    // The sequential sender: one reply after the other, no queue, no ledger.
    let all = replies_for(&format!("replies-bench-{stamp}-seq"), replies, leads);
    let started = Instant::now();
    for reply in &all {
        client
            .send_message(&reply.business_id, &reply.lead_id, &reply.text)
            .await
            .map_err(|e| e.to_string())?;
    }
    let sequential = started.elapsed();

    let prefix = format!("replies-bench-{stamp}");
    let all = replies_for(&prefix, replies, leads);
    let timed = bundle(&sdk, &client, &received, &prefix, &all, leads, lanes).await?;
    delay_ms.store(0, Ordering::Relaxed);
    let prefix = format!("replies-bench-{stamp}-instant");
    let all = replies_for(&prefix, replies, leads);
    let instant = bundle(&sdk, &client, &received, &prefix, &all, leads, lanes).await?;

    println!("{replies} replies across {leads} leads to a Thumbtack stand-in answering in 50 ms\n");
    println!("| sender | time | replies/s | each lead in order | speed-up |");
    println!("|---|---|---|---|---|");
    let row = |name: &str, elapsed: Duration, ordered: bool| {
        println!(
            "| {name} | {:.2} s | {:.1} | {} | {:.1}x |",
            elapsed.as_secs_f64(),
            replies as f64 / elapsed.as_secs_f64(),
            if ordered { "yes" } else { "NO" },
            sequential.as_secs_f64() / elapsed.as_secs_f64()
        );
    };
    row("sequential loop (no queue, no ledger)", sequential, true);
    row(
        &format!("the bundle: queue, ledger, worker ({lanes} lanes)"),
        timed.elapsed,
        timed.in_order,
    );
    row(
        "the bundle, stand-in answering at once (the emulator's share)",
        instant.elapsed,
        instant.in_order,
    );
    if !(timed.in_order && instant.in_order) {
        return Err("a lead's replies arrived out of order".into());
    }

    let batches = usize::try_from(env.number("INSTANCE_BATCHES", 20)?)?;
    let batch = 10;
    println!(
        "\nreplies per second per instance: one reply-outbound process, {batches} batches of {batch} replies (each of its own lead) one after the other\n"
    );
    println!("| Thumbtack answers in | time | replies per second per instance |");
    println!("|---|---|---|");
    for delay in [100, 0] {
        delay_ms.store(delay, Ordering::Relaxed);
        let prefix = format!("replies-bench-{stamp}-instance-{delay}");
        let elapsed = per_instance(&sdk, &url, &prefix, batches, batch).await?;
        println!(
            "| {delay} ms | {:.2} s | {:.1} |",
            elapsed.as_secs_f64(),
            (batches * batch) as f64 / elapsed.as_secs_f64()
        );
    }
    Ok(())
}
