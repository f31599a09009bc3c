//! `make bench` (cold start): each release binary's init, from process start to its first
//! `/runtime/invocation/next` request to our Runtime API, beside a hello-world `lambda_http`
//! binary built the same way; then the first and the second invocation of the inbound and read
//! functions, to show what the first request still pays.

use adapters::config::Env;
use adapters::provision::{drop_table, ensure_table};
use adapters::{DynamoStore, aws};
use fixtures::LEAD;
use fixtures::events::{REST_GET, REST_POST, SQS_FIFO_REPLIES as SQS_REPLIES};
use harness::runtime_api::{Answer, RuntimeApi};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use cli::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("coldstart", run().await)
}

fn release_binary(name: &str) -> Result<PathBuf, Error> {
    let here = std::env::current_exe()?;
    let path = here.parent().ok_or("no parent")?.join(name);
    if !path.exists() {
        return Err(format!(
            "{} is missing: build it with cargo build --release",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// Where Thumbtack's API is for these starts: a local stand-in that answers 200 to everything.
struct Local<'a> {
    endpoint: &'a str,
    thumbtack: &'a str,
}

fn environment(name: &str, table: &str, local: &Local<'_>) -> Vec<(String, String)> {
    let endpoint = local.endpoint;
    let mut env: Vec<(&str, String)> = vec![
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("TABLE_NAME", table.to_owned()),
        ("CURSOR_KEY", "coldstart bench cursor key".to_owned()),
        ("PARTNER_API_USERNAME", "thumbtack".to_owned()),
        ("PARTNER_API_PASSWORD", "bench-password".to_owned()),
        (
            "REPLY_QUEUE_URL",
            format!("{endpoint}/123456789012/bench.fifo"),
        ),
        (
            "REPLY_DLQ_URL",
            format!("{endpoint}/123456789012/bench-dlq.fifo"),
        ),
        ("THUMBTACK_API_USERNAME", "partner".to_owned()),
        ("THUMBTACK_API_PASSWORD", "bench".to_owned()),
        ("THUMBTACK_API_BASE_URL", local.thumbtack.to_owned()),
    ];
    env.retain(|(key, _)| match name {
        "lead-read" => {
            !key.starts_with("PARTNER")
                && !key.starts_with("REPLY")
                && !key.starts_with("THUMBTACK")
        }
        "reply-outbound" => !key.starts_with("PARTNER") && *key != "CURSOR_KEY",
        "hello-lambda" => {
            !matches!(*key, "TABLE_NAME" | "CURSOR_KEY")
                && !key.starts_with("PARTNER")
                && !key.starts_with("REPLY")
                && !key.starts_with("THUMBTACK")
        }
        _ => !key.starts_with("REPLY") && !key.starts_with("THUMBTACK") && *key != "CURSOR_KEY",
    });
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn launch(
    name: &str,
    runtime: &RuntimeApi,
    env: &[(String, String)],
) -> Result<(tokio::process::Child, Instant), Error> {
    let mut command = tokio::process::Command::new(release_binary(name)?);
    command
        .env_clear()
        .envs(env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", &runtime.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let started = Instant::now();
    let child = command.spawn()?;
    Ok((child, started))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let endpoint = env.required("AWS_ENDPOINT_URL")?;
    let runs = usize::try_from(env.number("COLDSTART_RUNS", 30)?)?;
    let sdk = aws::sdk_config().await;
    let table = format!("coldstart-{}", app::now_millis());
    let stand_in = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let thumbtack = format!("http://{}", stand_in.local_addr()?);
    let answer_all = axum::Router::new().fallback(|| async { "{\"status\":\"success\"}" });
    tokio::spawn(async move { axum::serve(stand_in, answer_all).await });
    let store = DynamoStore::from_config(&sdk, &table);
    ensure_table(&sdk, &table).await?;
    // The lead the read events ask for.
    let lead = models::Lead::parse(LEAD.as_bytes()).map_err(|e| e.to_string())?;
    app::ingest::store_parsed(&store, &lead, LEAD, app::now_millis()).await?;

    println!("Init: process start to the first `next` request, {runs} runs each (release builds).");
    println!(
        "A pass-through proxy in front of the emulator notes the first AWS call: the part before it"
    );
    println!(
        "is configuration and clients; the rest is the warm-up calls (connections, credentials).\n"
    );
    println!(
        "| binary | init, median | p90 | ratio to hello-world | of which before the first AWS call | ratio to hello-world |"
    );
    println!("|---|---|---|---|---|---|");
    let mut floor = None;
    for name in [
        "hello-lambda",
        "lead-inbound",
        "message-inbound",
        "lead-read",
        "reply-outbound",
    ] {
        let (mut inits, mut before) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
        for _ in 0..runs {
            let proxy = harness::faults::start(
                &endpoint,
                harness::faults::FaultPlan {
                    share: 0.0,
                    kinds: Vec::new(),
                    hold: Duration::ZERO,
                },
            )
            .await?;
            let local = Local {
                endpoint: &proxy.url,
                thumbtack: &thumbtack,
            };
            let environment = environment(name, &table, &local);
            let runtime = RuntimeApi::start().await?;
            let (mut child, started) = launch(name, &runtime, &environment).await?;
            let polled = runtime
                .first_poll(Duration::from_secs(10))
                .await
                .ok_or_else(|| format!("{name} never asked for an invocation"))?;
            inits.push(polled.duration_since(started));
            before.push(
                proxy
                    .counts
                    .first_call
                    .get()
                    .map_or(polled, |at| *at)
                    .duration_since(started),
            );
            let _ = child.kill().await;
        }
        inits.sort();
        before.sort();
        let (median, before_median) = (percentile(&inits, 0.5), percentile(&before, 0.5));
        let hello = *floor.get_or_insert(median);
        let ratio = |d: Duration| d.as_secs_f64() / hello.as_secs_f64();
        println!(
            "| {name} | {} | {} | {:.2} | {} | {:.2} |",
            ms(median),
            ms(percentile(&inits, 0.9)),
            ratio(median),
            ms(before_median),
            ratio(before_median),
        );
    }

    println!(
        "\nFirst and second invocation, answered through the Runtime API (median of {runs} cold processes)\n"
    );
    println!("| binary | event | first invocation | second invocation |");
    println!("|---|---|---|---|");
    for (name, event_kind) in [
        ("lead-inbound", "POST /v1/lead (REST v1)"),
        ("lead-read", "GET /v1/leads/{id} (REST v1)"),
        ("reply-outbound", "SQS batch of one reply"),
    ] {
        let local = Local {
            endpoint: &endpoint,
            thumbtack: &thumbtack,
        };
        let environment = environment(name, &table, &local);
        let (mut firsts, mut seconds) = (Vec::new(), Vec::new());
        for run in 0..runs {
            let runtime = RuntimeApi::start().await?;
            let (mut child, _) = launch(name, &runtime, &environment).await?;
            runtime
                .first_poll(Duration::from_secs(10))
                .await
                .ok_or("no poll")?;
            for (index, sink) in [(0, &mut firsts), (1, &mut seconds)] {
                let event = event(name, run * 2 + index);
                let sent = Instant::now();
                match runtime.invoke(event).await {
                    Some(Answer::Response(response))
                        if response["statusCode"] == 200
                            || response["batchItemFailures"] == json!([]) =>
                    {
                        sink.push(sent.elapsed())
                    }
                    other => return Err(format!("{name} answered {other:?}").into()),
                }
            }
            let _ = child.kill().await;
        }
        firsts.sort();
        seconds.sort();
        println!(
            "| {name} | {event_kind} | {} | {} |",
            ms(percentile(&firsts, 0.5)),
            ms(percentile(&seconds, 0.5))
        );
    }
    drop_table(&sdk, &table).await;
    Ok(())
}

fn event(name: &str, n: usize) -> Value {
    if name == "reply-outbound" {
        let mut event: Value = serde_json::from_str(SQS_REPLIES).unwrap_or_default();
        let mut record = event["Records"][0].take();
        record["body"] = json!(
            json!({
                "replyID": format!("coldstart-reply-{n}"),
                "businessID": "286845156044809661",
                "leadID": "coldstart-reply-lead",
                "text": "Thanks, I can come on Tuesday."
            })
            .to_string()
        );
        event["Records"] = json!([record]);
        return event;
    }
    if name == "lead-read" {
        return serde_json::from_str(REST_GET).unwrap_or_default();
    }
    let mut lead: Value = serde_json::from_str(LEAD).unwrap_or_default();
    lead["leadID"] = json!(format!("coldstart-{n}"));
    let mut event: Value = serde_json::from_str(REST_POST).unwrap_or_default();
    event["headers"]["Authorization"] = json!("Basic dGh1bWJ0YWNrOmJlbmNoLXBhc3N3b3Jk");
    event["multiValueHeaders"]["Authorization"] = json!(["Basic dGh1bWJ0YWNrOmJlbmNoLXBhc3N3b3Jk"]);
    event["body"] = json!(lead.to_string());
    event
}
