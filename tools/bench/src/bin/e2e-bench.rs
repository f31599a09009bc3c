//! `make bench` (end to end): leads posted through the local stack (HTTP, the Lambda handler, the
//! DynamoDB adapter, the emulator) at concurrency 1, 8 and 32, beside a raw conditional PutItem
//! loop from the same SDK configuration against the same emulator. The difference is what the
//! bundle adds to the emulator's own latency.

use adapters::config::Env;
use adapters::dynamo::lead_item;
use app::ports::NewLead;
use fixtures::LEAD;
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use bench::{PASSWORD, USERNAME, local_stack};
use cli::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("e2e-bench", run().await)
}

struct Figures {
    p50: Duration,
    p99: Duration,
    throughput: f64,
}

fn figures(mut latencies: Vec<Duration>, elapsed: Duration) -> Figures {
    latencies.sort();
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    Figures {
        p50: at(0.5),
        p99: at(0.99),
        throughput: latencies.len() as f64 / elapsed.as_secs_f64(),
    }
}

/// Runs `one(n)` for n in 0..requests, `concurrency` at a time; each returns its own latency.
async fn measure<F, Fut>(requests: usize, concurrency: usize, one: F) -> Result<Figures, Error>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Duration, Error>>,
{
    let started = Instant::now();
    let latencies: Vec<Duration> = futures::stream::iter(0..requests)
        .map(one)
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    Ok(figures(latencies, started.elapsed()))
}

fn lead_body(id: &str) -> String {
    let mut lead: Value = serde_json::from_str(LEAD).unwrap_or_default();
    lead["leadID"] = json!(id);
    lead.to_string()
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let stamp = app::now_millis();
    let table = format!("e2e-bench-{stamp}");
    // Its own table, queues and bus (the defaults are make dev's), the stream read as make dev
    // reads it.
    let (stack, sdk) = local_stack(&table, 200).await?;
    // The baseline's own client: a raw PutItem, past the adapter.
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let http = reqwest::Client::new();
    let url = format!("{}/v1/lead", stack.base_url);
    let total = usize::try_from(env.number("E2E_REQUESTS", 2000)?)?;

    println!(
        "Leads through the local stack vs a raw conditional PutItem of the same item, {total} requests per row\n"
    );
    println!("| concurrency | path | p50 | p99 | throughput | added to the emulator's p50 |");
    println!("|---|---|---|---|---|---|");
    for concurrency in [1, 8, 32] {
        let requests = if concurrency == 1 { total / 4 } else { total };
        // Warm both paths: connections, credentials, the emulator's own caches.
        for warm in 0..20 {
            let id = format!("warm-{concurrency}-{warm}");
            http.post(&url)
                .basic_auth(USERNAME, Some(PASSWORD))
                .body(lead_body(&id))
                .send()
                .await?;
        }

        let raw = measure(requests, concurrency, |n| {
            let (dynamodb, table) = (&dynamodb, &table);
            async move {
                let id = format!("raw-{concurrency}-{n}");
                let body = lead_body(&id);
                let parsed = models::Lead::parse(body.as_bytes()).map_err(|e| e.to_string())?;
                let item = lead_item(NewLead {
                    lead: &parsed.value,
                    warnings: &parsed.warnings,
                    raw: &body,
                    marks: models::v4::stored::marks(&body),
                    received_at_ms: 1,
                });
                let sent = Instant::now();
                dynamodb
                    .put_item()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(PK)")
                    .send()
                    .await?;
                Ok::<_, Error>(sent.elapsed())
            }
        })
        .await?;

        let bundle = measure(requests, concurrency, |n| {
            let (http, url) = (&http, &url);
            async move {
                let body = lead_body(&format!("bundle-{concurrency}-{n}"));
                let sent = Instant::now();
                let response = http
                    .post(url)
                    .basic_auth(USERNAME, Some(PASSWORD))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if response.status() != 200 {
                    return Err(format!("answered {}", response.status()).into());
                }
                Ok::<_, Error>(sent.elapsed())
            }
        })
        .await?;

        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        println!(
            "| {concurrency} | raw PutItem | {} | {} | {:.0}/s | |",
            ms(raw.p50),
            ms(raw.p99),
            raw.throughput
        );
        let added = (bundle.p50.as_secs_f64() / raw.p50.as_secs_f64() - 1.0) * 100.0;
        println!(
            "| {concurrency} | POST /v1/lead | {} | {} | {:.0}/s | {added:+.1} % |",
            ms(bundle.p50),
            ms(bundle.p99),
            bundle.throughput
        );
    }
    stack.stop().await;
    adapters::provision::drop_table(&sdk, &table).await;
    Ok(())
}
