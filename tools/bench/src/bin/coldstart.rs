//! `make bench` (cold start): every function and a by-hand baseline, each started cold under our
//! Runtime API with its first event already waiting, timed from `spawn` to its first answer (on a
//! cold start the request waits for init and the invocation together). Side by side: the runs
//! take turns, binary after binary, so a busy moment of the machine falls on all of them.
//!
//! The baseline (`putitem-lambda`) is what a user writes from the runtime's examples: the default
//! `aws_config::load_from_env`, one `PutItem` per request. Each start gets a fresh table (moto's
//! transactions copy the whole table: a growing one would slow the later runs). The functions read
//! their credentials from Secrets Manager, as deployed (`infra/template.yaml`); one more row runs
//! lead-inbound with them in the environment, as `make dev` does, to show what that read costs.
//! `hello-lambda`, which calls nothing, is the floor of any `lambda_http` process here.

use adapters::config::Env;
use adapters::provision::{drop_table, ensure_bus, ensure_table};
use adapters::{DynamoStore, aws};
use bench::{PASSWORD, USERNAME, percentile};
use fixtures::events::{DYNAMODB_STREAM, REST_GET, REST_POST, SQS_FIFO_REPLIES};
use fixtures::{LEAD, MESSAGE};
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

/// The functions and the baseline, with the event each gets first.
const BINARIES: [(&str, &str); 9] = [
    ("putitem-lambda", "POST /v1/lead (REST v1)"),
    // The floor: a `lambda_http` process that answers without calling anything.
    ("hello-lambda", "POST /v1/lead (REST v1)"),
    ("lead-inbound", "POST /v1/lead (REST v1)"),
    // As `make dev` runs it: what the secret's read in init costs is the difference.
    ("lead-inbound, env credentials", "POST /v1/lead (REST v1)"),
    ("message-inbound", "POST /v1/message (REST v1)"),
    ("lead-read", "GET /v1/leads/{id} (REST v1)"),
    ("reply-outbound", "SQS batch of one reply"),
    ("events-out", "stream batch of one lead"),
    ("speed-to-lead", "Lead Received from the bus"),
];

/// The binary a row runs: its name up to a comma.
fn binary_of(row: &str) -> &str {
    row.split(',').next().unwrap_or(row)
}

fn release_binary(name: &str) -> Result<PathBuf, Error> {
    let here = std::env::current_exe()?;
    let path = here.parent().ok_or("no parent")?.join(binary_of(name));
    if !path.exists() {
        return Err(format!(
            "{} is missing: build it with cargo build --release",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// What every start shares: the emulator, the secrets, the bus, Thumbtack's stand-in.
struct Shared {
    endpoint: String,
    partner_secret: String,
    thumbtack_secret: String,
    thumbtack: String,
    bus: String,
}

/// Lambda's environment for `name`, and what our template sets for it.
fn environment(name: &str, table: &str, shared: &Shared) -> Vec<(&'static str, String)> {
    let endpoint = &shared.endpoint;
    let mut env = vec![
        ("AWS_LAMBDA_FUNCTION_NAME", binary_of(name).to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.clone()),
        ("TABLE_NAME", table.to_owned()),
    ];
    match name {
        "lead-inbound, env credentials" => env.extend([
            ("PARTNER_API_USERNAME", USERNAME.to_owned()),
            ("PARTNER_API_PASSWORD", PASSWORD.to_owned()),
        ]),
        "lead-inbound" | "message-inbound" => {
            env.push((
                "PARTNER_CREDENTIALS_SECRET_ARN",
                shared.partner_secret.clone(),
            ));
        }
        "reply-outbound" => env.extend([
            (
                "THUMBTACK_CREDENTIALS_SECRET_ARN",
                shared.thumbtack_secret.clone(),
            ),
            ("THUMBTACK_API_BASE_URL", shared.thumbtack.clone()),
            (
                "REPLY_QUEUE_URL",
                format!("{endpoint}/123456789012/coldstart.fifo"),
            ),
            (
                "REPLY_DLQ_URL",
                format!("{endpoint}/123456789012/coldstart-dlq.fifo"),
            ),
        ]),
        // The list routes' cursor key (a generated secret in the template).
        "lead-read" => env.push(("CURSOR_KEY", "coldstart bench cursor key".to_owned())),
        "events-out" => env.push(("EVENT_BUS_NAME", shared.bus.clone())),
        "speed-to-lead" => env.extend([
            (
                "REPLY_QUEUE_URL",
                format!("{endpoint}/123456789012/coldstart.fifo"),
            ),
            ("SCHEDULE_GROUP", "default".to_owned()),
            (
                "SCHEDULER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/coldstart".to_owned(),
            ),
            (
                "SCHEDULE_DEAD_LETTER_ARN",
                "arn:aws:sqs:us-east-1:123456789012:coldstart-failed".to_owned(),
            ),
        ]),
        _ => {}
    }
    env
}

fn authorized(mut event: Value) -> Value {
    let header = "Basic dGh1bWJ0YWNrOmJlbmNoLXBhc3N3b3Jk"; // thumbtack:bench-password
    event["headers"]["Authorization"] = json!(header);
    event["multiValueHeaders"]["Authorization"] = json!([header]);
    event
}

/// The lead speed-to-lead's `n`th event is about: stored before the start, unique to `table`
/// (moto keeps schedules, named after the lead, while it runs).
fn speed_lead_id(table: &str, n: usize) -> String {
    format!("{table}-{n}")
}

/// The `n`th event for `name` (of the start with `table`): new ids each time, so every one is a
/// first delivery.
fn event(name: &str, n: usize, table: &str) -> Result<Value, Error> {
    Ok(match binary_of(name) {
        "putitem-lambda" | "hello-lambda" | "lead-inbound" => {
            let mut lead: Value = serde_json::from_str(LEAD)?;
            lead["leadID"] = json!(format!("coldstart-{n}"));
            let mut event = authorized(serde_json::from_str(REST_POST)?);
            event["body"] = json!(lead.to_string());
            event
        }
        "message-inbound" => {
            let mut message: Value = serde_json::from_str(MESSAGE)?;
            message["message"]["messageID"] = json!(format!("coldstart-message-{n}"));
            let mut event = authorized(serde_json::from_str(REST_POST)?);
            event["path"] = json!("/v1/message");
            event["resource"] = json!("/v1/message");
            event["requestContext"]["path"] = json!("/Prod/v1/message");
            event["requestContext"]["resourcePath"] = json!("/v1/message");
            event["body"] = json!(message.to_string());
            event
        }
        "lead-read" => serde_json::from_str(REST_GET)?,
        "reply-outbound" => {
            let mut event: Value = serde_json::from_str(SQS_FIFO_REPLIES)?;
            let mut record = event["Records"][0].take();
            record["body"] = json!(
                json!({
                    "replyID": format!("coldstart-reply-{n}"),
                    "businessID": fixtures::BUSINESS_ID,
                    "leadID": fixtures::LEAD_ID,
                    "text": "Thanks, I can come on Tuesday."
                })
                .to_string()
            );
            event["Records"] = json!([record]);
            event
        }
        "events-out" => {
            let mut event: Value = serde_json::from_str(DYNAMODB_STREAM)?;
            let lead = event["Records"][0].take();
            event["Records"] = json!([lead]);
            event
        }
        "speed-to-lead" => json!({
            "version": "0",
            "id": format!("coldstart-{n}"),
            "detail-type": "Lead Received",
            "source": app::events::SOURCE,
            "account": "123456789012",
            "time": "2026-12-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"leadID": speed_lead_id(table, n), "businessID": fixtures::BUSINESS_ID},
        }),
        other => return Err(format!("no event for {other}").into()),
    })
}

/// One cold start: the event waits before the process exists; returns the time from `spawn` to
/// the first `next` and to the first answer, and the second invocation's time.
struct Start {
    init: Duration,
    first_answer: Duration,
    second: Duration,
}

fn answered(name: &str, answer: Option<Answer>) -> Result<(), Error> {
    match answer {
        Some(Answer::Response(response))
            if response["statusCode"]
                .as_u64()
                .is_some_and(|status| (200..300).contains(&status))
                || response["batchItemFailures"] == json!([])
                // speed-to-lead answers nothing: its event is asynchronous.
                || (name == "speed-to-lead" && response.is_null()) =>
        {
            Ok(())
        }
        other => Err(format!("{name} answered {other:?}").into()),
    }
}

async fn store_lead(store: &DynamoStore, raw: &str) -> Result<(), Error> {
    let lead = models::Lead::parse(raw.as_bytes()).map_err(|e| e.to_string())?;
    app::ingest::store_parsed(store, &lead, raw, app::now_millis()).await?;
    Ok(())
}

async fn cold_start(
    name: &str,
    run: usize,
    shared: &Shared,
    sdk: &aws::SdkConfig,
) -> Result<Start, Error> {
    let table = format!("coldstart-{}-{}-{run}", app::now_millis(), binary_of(name));
    ensure_table(sdk, &table).await?;
    let store = DynamoStore::from_config(sdk, &table);
    if name == "lead-read" {
        // The lead the event asks about.
        store_lead(&store, LEAD).await?;
    }
    if name == "speed-to-lead" {
        for n in [run * 2, run * 2 + 1] {
            let mut lead: Value = serde_json::from_str(LEAD)?;
            lead["leadID"] = json!(speed_lead_id(&table, n));
            store_lead(&store, &lead.to_string()).await?;
        }
    }
    let (first, second) = (
        event(name, run * 2, &table)?,
        event(name, run * 2 + 1, &table)?,
    );
    let runtime = RuntimeApi::start().await?;
    let mut command = tokio::process::Command::new(release_binary(name)?);
    command
        .env_clear()
        .envs(environment(name, &table, shared))
        .env("AWS_LAMBDA_RUNTIME_API", &runtime.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let answer = runtime.invoke(first).await;
    let first_answer = started.elapsed();
    answered(name, answer)?;
    let init = runtime
        .first_poll(Duration::ZERO)
        .await
        .ok_or("answered without polling")?
        .duration_since(started);
    let sent = Instant::now();
    answered(name, runtime.invoke(second).await)?;
    let second = sent.elapsed();
    let _ = child.kill().await;
    drop_table(sdk, &table).await;
    Ok(Start {
        init,
        first_answer,
        second,
    })
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

async fn secret(
    sdk: &aws::SdkConfig,
    name: &str,
    username: &str,
    password: &str,
) -> Result<String, Error> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let created = client
        .create_secret()
        .name(name)
        .secret_string(json!({"username": username, "password": password}).to_string())
        .send()
        .await
        .map_err(|e| aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())?;
    created.arn.ok_or_else(|| "a secret without an ARN".into())
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let endpoint = env.required("AWS_ENDPOINT_URL")?;
    let runs = usize::try_from(env.number("COLDSTART_RUNS", 30)?)?;
    let sdk = aws::sdk_config().await;
    let stamp = app::now_millis();
    let stand_in = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let thumbtack = format!("http://{}", stand_in.local_addr()?);
    let answer_all = axum::Router::new().fallback(|| async { "{\"status\":\"success\"}" });
    tokio::spawn(async move { axum::serve(stand_in, answer_all).await });
    let bus = format!("coldstart-{stamp}");
    // A bus without rules. EventBridge answers `PutEvents` before it delivers to any target;
    // moto delivers inline, and spends about 80 ms per target building JSONPath parsers
    // (`EventTemplateParser`): a cost of the emulator, not of the function.
    ensure_bus(&sdk, &bus).await?;
    let shared = Shared {
        partner_secret: secret(
            &sdk,
            &format!("coldstart-partner-{stamp}"),
            USERNAME,
            PASSWORD,
        )
        .await?,
        thumbtack_secret: secret(
            &sdk,
            &format!("coldstart-thumbtack-{stamp}"),
            "partner",
            "bench",
        )
        .await?,
        endpoint,
        thumbtack,
        bus,
    };

    let mut starts: Vec<Vec<Start>> = BINARIES.iter().map(|_| Vec::new()).collect();
    for run in 0..runs {
        for ((name, _), starts) in BINARIES.iter().zip(&mut starts) {
            starts.push(cold_start(name, run, &shared, &sdk).await?);
        }
    }

    println!(
        "Cold start: spawn to the first answer (init and first invocation), {runs} starts each, taking turns (release builds, ms)\n"
    );
    println!(
        "| binary | first event | spawn to first answer, median | p10 to p90 | ratio to baseline | init (spawn to first `next`) | second invocation |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut baseline = None;
    for ((name, event), starts) in BINARIES.iter().zip(starts) {
        let sorted = |pick: fn(&Start) -> Duration| {
            let mut all: Vec<Duration> = starts.iter().map(pick).collect();
            all.sort();
            all
        };
        let totals = sorted(|s| s.first_answer);
        let median = percentile(&totals, 0.5);
        let floor = *baseline.get_or_insert(median);
        println!(
            "| {name} | {event} | {} | {} to {} | {:.2} | {} | {} |",
            ms(median),
            ms(percentile(&totals, 0.1)),
            ms(percentile(&totals, 0.9)),
            median.as_secs_f64() / floor.as_secs_f64(),
            ms(percentile(&sorted(|s| s.init), 0.5)),
            ms(percentile(&sorted(|s| s.second), 0.5)),
        );
    }
    Ok(())
}
