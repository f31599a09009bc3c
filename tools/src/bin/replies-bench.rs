//! `make bench` (replies): 100 replies across 10 leads through the reply queue and the local worker
//! to a Thumbtack stand-in that answers in 50 ms, beside a sequential sender of the same replies.

use adapters::config::Env;
use adapters::secrets::ThumbtackCredentials;
use adapters::sqs::ensure_queues;
use adapters::thumbtack::ThumbtackSettings;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue, aws, schema};
use app::auth::Credential;
use app::metrics::Metrics;
use app::ports::Thumbtack;
use app::replies::{ReplyDeps, RetryPolicy};
use axum::Router;
use axum::extract::Path;
use axum::routing::post;
use models::{ReplyRequest, ReplyStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tools::worker::Worker;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("replies-bench: {}", app::error_chain(&*error));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Thumbtack, answering every message after 50 ms and noting what it got, in order.
async fn stand_in() -> Result<(String, Arc<Mutex<Vec<(String, String)>>>), Error> {
    let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let log = Arc::clone(&received);
    let app = Router::new().route(
        "/v1/business/{business}/lead/{lead}/message",
        post(
            move |Path((_, lead)): Path<(String, String)>, body: String| {
                let log = Arc::clone(&log);
                async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let text = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["text"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    log.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((lead, text));
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

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let replies = usize::try_from(env.number("REPLIES", 100)?)?;
    let leads = usize::try_from(env.number("LEADS", 10)?)?;
    let lanes = usize::try_from(env.number("LANES", 10)?)?;
    let sdk = aws::sdk_config().await;
    let stamp = app::now_millis();
    let table = format!("replies-bench-{stamp}");
    let (url, received) = stand_in().await?;
    let client = HttpThumbtack::new(
        &ThumbtackSettings {
            base_url: url,
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        },
        ThumbtackCredentials::fixed(Credential::new("partner", "bench")),
    )?;
    let all: Vec<ReplyRequest> = (0..replies)
        .map(|i| ReplyRequest {
            reply_id: format!("{table}-r{i}"),
            business_id: "bench".to_owned(),
            lead_id: format!("{table}-lead-{}", i % leads),
            text: format!("reply {i:05}"),
        })
        .collect();

    // The sequential sender: one reply after the other, no queue, no ledger.
    let started = Instant::now();
    for reply in &all {
        client
            .send_message(&reply.business_id, &reply.lead_id, &reply.text)
            .await
            .map_err(|e| e.to_string())?;
    }
    let sequential = started.elapsed();
    received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();

    // The bundle: the queue, the ledger and the worker of `make dev`, `lanes` receives at a time.
    let store = DynamoStore::from_config(&sdk, &table);
    schema::ensure_table(store.client(), &table).await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let (queue_url, dlq_url) =
        ensure_queues(&sqs, &format!("{table}.fifo"), Duration::from_secs(30), 5).await?;
    let queue = SqsReplyQueue::new(sqs, &queue_url, &dlq_url);
    for reply in &all {
        queue.enqueue(reply).await?;
    }
    let worker = Worker {
        deps: ReplyDeps {
            ledger: store.clone(),
            thumbtack: client,
            queue,
            policy: RetryPolicy::default(),
            metrics: Metrics::off(),
        },
        invocation_timeout: Duration::from_secs(24),
        wait: Duration::from_secs(1),
        batch_size: 1,
        lanes,
    };
    let (stop, stopped) = watch::channel(false);
    let started = Instant::now();
    let running = tokio::spawn(async move { worker.run(stopped).await });
    let mut sent = 0;
    while sent < replies && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        sent = 0;
        for lead in 0..leads {
            let records =
                app::LeadStore::conversation(&store, &format!("{table}-lead-{lead}")).await?;
            sent += records
                .replies
                .iter()
                .filter(|r| r.status == ReplyStatus::Sent)
                .count();
        }
    }
    let bundle = started.elapsed();
    let _ = stop.send(true);
    let _ = running.await;
    let received = received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();

    println!("{replies} replies across {leads} leads to a Thumbtack stand-in answering in 50 ms\n");
    println!("| sender | time | replies/s | each lead in order | speed-up |");
    println!("|---|---|---|---|---|");
    println!(
        "| sequential loop (no queue, no ledger) | {:.2} s | {:.1} | yes | 1.0x |",
        sequential.as_secs_f64(),
        replies as f64 / sequential.as_secs_f64()
    );
    println!(
        "| the bundle: queue, ledger, worker ({lanes} lanes) | {:.2} s | {:.1} | {} | {:.1}x |",
        bundle.as_secs_f64(),
        replies as f64 / bundle.as_secs_f64(),
        if in_order(&received, leads) && received.len() == replies {
            "yes"
        } else {
            "NO"
        },
        sequential.as_secs_f64() / bundle.as_secs_f64()
    );
    if sent < replies {
        return Err(format!("only {sent} of {replies} replies were sent").into());
    }
    Ok(())
}
