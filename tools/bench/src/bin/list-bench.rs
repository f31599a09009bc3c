//! `make bench` (list route): a page of 100 leads from `GET /v1/businesses/{businessID}/leads`
//! (the read function's handler on a real API Gateway event: the event parsed, the parameters
//! checked, the query, the summaries, the cursor sealed, the JSON answer) beside the same raw
//! `Query` on GSI1 from the same SDK configuration against the same emulator. Rounds alternate
//! which goes first, so neither always meets a warmer emulator.

use adapters::DynamoStore;
use adapters::aws;
use adapters::config::Env;
use adapters::dynamo::schema::{GSI1, business_pk};
use adapters::provision::{drop_table, ensure_table};
use app::LeadStore;
use app::deps::ReadDeps;
use app::paging::CursorKey;
use app::ports::NewLead;
use app::pull::PullSettings;
use aws_sdk_dynamodb::types::AttributeValue;
use fixtures::LEAD;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use cli::Error;

const BUSINESS: &str = "bench-business";
const PAGE: usize = 100;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("list-bench", run().await)
}

/// The HTTP API event of `GET /v1/businesses/{BUSINESS}/leads?limit=100`, as API Gateway sends it.
fn list_event() -> String {
    let mut event: Value = serde_json::from_str(fixtures::events::HTTP_GET).unwrap_or_default();
    let path = format!("/v1/businesses/{BUSINESS}/leads");
    event["routeKey"] = json!("GET /v1/businesses/{businessID}/leads");
    event["requestContext"]["routeKey"] = json!("GET /v1/businesses/{businessID}/leads");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["rawQueryString"] = json!(format!("limit={PAGE}"));
    event["queryStringParameters"] = json!({"limit": PAGE.to_string()});
    event["pathParameters"] = json!({"businessID": BUSINESS});
    event.to_string()
}

/// CPU time of this process so far, every thread's (Linux: `/proc/self/task/*/schedstat`, in
/// nanoseconds); zero where that is not there.
fn process_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// One call's wall time, and the process's CPU time during it.
#[derive(Debug, Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
}

async fn measured<F: std::future::Future<Output = Result<(), Error>>>(
    call: F,
) -> Result<Cost, Error> {
    let cpu = process_cpu();
    let started = Instant::now();
    call.await?;
    let wall = started.elapsed();
    Ok(Cost {
        wall,
        cpu: process_cpu().saturating_sub(cpu),
    })
}

fn median_and_p90(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.9))
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let rounds = usize::try_from(env.number("LIST_ROUNDS", 300)?)?;
    let leads = usize::try_from(env.number("LIST_LEADS", 150)?)?;
    let sdk = aws::sdk_config().await;
    let table = format!("list-bench-{}", app::now_millis());
    ensure_table(&sdk, &table).await?;
    let store = DynamoStore::from_config(&sdk, &table);
    for n in 0..leads {
        let mut lead: Value = serde_json::from_str(LEAD)?;
        lead["leadID"] = json!(format!("bench-lead-{n}"));
        lead["business"]["businessID"] = json!(BUSINESS);
        lead["createTimestamp"] = json!((1_700_000_000 + n).to_string());
        lead["leadType"] = json!("REQUEST_A_QUOTE");
        let raw = lead.to_string();
        let parsed = models::Lead::parse(raw.as_bytes()).map_err(|e| e.to_string())?;
        store
            .insert_lead(NewLead {
                lead: &parsed.value,
                warnings: &parsed.warnings,
                raw: &raw,
                marks: models::v4::stored::marks(&raw),
                received_at_ms: app::now_millis(),
            })
            .await?;
    }
    let deps = ReadDeps {
        store: store.clone(),
        pull: PullSettings {
            cursors: CursorKey::new(b"list bench cursor key".to_vec()),
            settle: Duration::from_secs(30),
        },
    };
    let event = list_event();
    // The baseline's own client, past the adapter: the query the route makes, and nothing else.
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let raw_query = || async {
        let output = dynamodb
            .query()
            .table_name(&table)
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(business_pk(BUSINESS)))
            .scan_index_forward(false)
            .limit(PAGE as i32)
            .send()
            .await?;
        let count = output.items.map_or(0, |items| items.len());
        if count != PAGE {
            return Err::<_, Error>(format!("the raw Query gave {count} items").into());
        }
        Ok(())
    };
    // The event as the runtime hands it over, to the handler's answer with its JSON body.
    let answer = || async {
        let request = lambda_http::request::from_str(&event)?;
        let response = partner_api::handler::handle(&deps, request).await;
        if response.status() != 200 {
            return Err::<_, Error>(format!("the route answered {}", response.status()).into());
        }
        Ok(response)
    };
    // Checked once, off the clock: a full page and a cursor.
    let body: Value = serde_json::from_slice(answer().await?.body().as_ref())?;
    if body["leads"].as_array().map_or(0, Vec::len) != PAGE || body["next"].is_null() {
        return Err(format!("the route answered {body}").into());
    }
    let route = || async { answer().await.map(|_| ()) };

    // Warm both: connections, credentials, the emulator's caches.
    for _ in 0..20 {
        raw_query().await?;
        route().await?;
    }
    let (mut raw, mut listed) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for round in 0..rounds {
        if round % 2 == 0 {
            raw.push(measured(raw_query()).await?);
            listed.push(measured(route()).await?);
        } else {
            listed.push(measured(route()).await?);
            raw.push(measured(raw_query()).await?);
        }
    }
    drop_table(&sdk, &table).await;

    let row = |costs: &[Cost]| {
        let (p50, p90) = median_and_p90(costs.iter().map(|c| c.wall).collect());
        let (cpu, _) = median_and_p90(costs.iter().map(|c| c.cpu).collect());
        (p50, p90, cpu)
    };
    let (raw_p50, raw_p90, raw_cpu) = row(&raw);
    let (route_p50, route_p90, route_cpu) = row(&listed);
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!(
        "A page of {PAGE} leads ({leads} in the business's partition), {rounds} rounds, alternating\n"
    );
    println!("| path | p50 | p90 | CPU of this process, p50 |");
    println!("|---|---|---|---|");
    println!(
        "| raw Query (GSI1, Limit {PAGE}) | {} | {} | {} |",
        ms(raw_p50),
        ms(raw_p90),
        ms(raw_cpu)
    );
    println!(
        "| GET /v1/businesses/{{businessID}}/leads?limit={PAGE} | {} | {} | {} |",
        ms(route_p50),
        ms(route_p90),
        ms(route_cpu)
    );
    let ratio = route_p50.as_secs_f64() / raw_p50.as_secs_f64();
    let added = route_p50.as_secs_f64() - raw_p50.as_secs_f64();
    println!(
        "\nroute / raw Query at p50: {ratio:.3} ({:+.1} %, {:+.2} ms); target: at most 10 % more",
        (ratio - 1.0) * 100.0,
        added * 1000.0
    );
    println!(
        "the route's CPU beyond the raw Query's, p50: {:+.3} ms",
        (route_cpu.as_secs_f64() - raw_cpu.as_secs_f64()) * 1000.0
    );
    Ok(())
}
