//! `make load`: a bounded load run against the local stack (loopback only). It delivers LEADS
//! leads and MESSAGES messages at CONCURRENCY, a DUPLICATES share of them twice at the same moment
//! (as Thumbtack's retries can), in an order where messages often precede their lead; then it
//! counts what the table holds. Stops by itself after LOAD_MAX_SECONDS.

use adapters::aws;
use adapters::config::Env;
use aws_sdk_dynamodb::types::AttributeValue;
use fixtures::{LEAD, MESSAGE};
use futures::StreamExt;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use cli::Error;

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit("load", run().await)
}

fn loopback(base: &str) -> bool {
    let host = base
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    host == "localhost" || host.starts_with("127.") || base.starts_with("http://[::1]")
}

struct Delivery {
    path: &'static str,
    body: String,
    twice: bool,
}

async fn run() -> cli::Result {
    let env = cli::local::env(Env::process());
    let number = |var: &'static str, default: u64| env.number(var, default);
    let leads = usize::try_from(number("LEADS", 5000)?)?;
    let messages = usize::try_from(number("MESSAGES", 10_000)?)?;
    let concurrency = usize::try_from(number("CONCURRENCY", 32)?)?;
    let duplicates = f64::from(u32::try_from(number("DUPLICATE_PERCENT", 30)?)?) / 100.0;
    let limit = Duration::from_secs(number("LOAD_MAX_SECONDS", 600)?);
    let base = cli::local::base_url(&env);
    if !loopback(&base) {
        return Err(format!(
            "{base} is not a loopback address: the load run targets this machine only"
        )
        .into());
    }
    let username = env.required("PARTNER_API_USERNAME")?;
    let password = env.required("PARTNER_API_PASSWORD")?;
    let table = env.required("TABLE_NAME")?;
    let tag = format!("load-{}", app::now_millis());

    let mut deliveries = Vec::with_capacity(leads + messages);
    for i in 0..leads {
        let mut lead: Value = serde_json::from_str(LEAD)?;
        lead["leadID"] = json!(format!("{tag}-{i}"));
        lead["business"]["businessID"] = json!(format!("{tag}-business-{}", i % 50));
        deliveries.push(Delivery {
            path: "/v1/lead",
            body: lead.to_string(),
            twice: fastrand::f64() < duplicates,
        });
    }
    for j in 0..messages {
        let mut message: Value = serde_json::from_str(MESSAGE)?;
        message["leadID"] = json!(format!("{tag}-{}", j % leads.max(1)));
        message["message"]["messageID"] = json!(format!("{tag}-m{j}"));
        message["message"]["text"] = json!(format!("message {j}"));
        deliveries.push(Delivery {
            path: "/v1/message",
            body: message.to_string(),
            twice: fastrand::f64() < duplicates,
        });
    }
    fastrand::shuffle(&mut deliveries);
    let requests: usize = deliveries.iter().map(|d| if d.twice { 2 } else { 1 }).sum();
    println!(
        "load: {leads} leads, {messages} messages, {:.0} % delivered twice at once ({requests} requests), concurrency {concurrency}, against {base}",
        duplicates * 100.0
    );

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let started = Instant::now();
    let results: Vec<Vec<(u16, Duration)>> = futures::stream::iter(deliveries.iter())
        .map(|delivery| {
            let (http, base, username, password) = (&http, &base, &username, &password);
            async move {
                if started.elapsed() > limit {
                    return Vec::new();
                }
                let send = || async {
                    let sent = Instant::now();
                    let status = http
                        .post(format!("{base}{}", delivery.path))
                        .basic_auth(username, Some(password))
                        .header("content-type", "application/json")
                        .body(delivery.body.clone())
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16());
                    (status, sent.elapsed())
                };
                if delivery.twice {
                    let (a, b) = futures::join!(send(), send());
                    vec![a, b]
                } else {
                    vec![send().await]
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results.iter().flatten().map(|(_, d)| *d).collect();
    latencies.sort();
    let statuses = |f: fn(u16) -> bool| results.iter().flatten().filter(|(s, _)| f(*s)).count();
    let (ok, client, server, failed) = (
        statuses(|s| (200..300).contains(&s)),
        statuses(|s| (400..500).contains(&s)),
        statuses(|s| s >= 500),
        statuses(|s| s == 0),
    );
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };

    let sdk = aws::sdk_config().await;
    let (stored_leads, stored_messages, others) =
        count(&aws_sdk_dynamodb::Client::new(&sdk), &table, &tag).await?;
    println!(
        "| requests | 2xx | 4xx | 5xx | failed | leads stored / unique | messages stored / unique | other items | p50 | p99 | max | throughput | time |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {ok} | {client} | {server} | {failed} | {stored_leads} / {leads} | {stored_messages} / {messages} | {others} | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} req/s | {:.1} s |",
        latencies.len(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        latencies.len() as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
    );
    let good = server == 0
        && failed == 0
        && client == 0
        && stored_leads == leads
        && stored_messages == messages
        && others == 0;
    if !good {
        return Err("FAILED: see the figures above".into());
    }
    println!("load: stored = unique, no 5xx");
    Ok(())
}

/// Items of this run in the table, read with a client of our own: (leads, messages, anything
/// else).
async fn count(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    tag: &str,
) -> Result<(usize, usize, usize), Error> {
    let (mut leads, mut messages, mut others) = (0, 0, 0);
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .filter_expression("begins_with(PK, :prefix)")
            .expression_attribute_values(":prefix", AttributeValue::S(format!("LEAD#{tag}-")))
            .projection_expression("SK")
            .set_exclusive_start_key(start.take())
            .send()
            .await?;
        for item in page.items.unwrap_or_default() {
            match item.get("SK") {
                Some(AttributeValue::S(sk)) if sk == "LEAD" => leads += 1,
                Some(AttributeValue::S(sk)) if sk.starts_with("MSG#") => messages += 1,
                _ => others += 1,
            }
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok((leads, messages, others)),
        }
    }
}
