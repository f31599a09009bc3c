//! What the benchmarks of `make bench` share: the percentiles and how a duration is printed, the
//! local stack on names of its own, the recording of the calls a process makes (`calls`), and the
//! CPU share Lambda gives a function (`cpu`), HTTPS in front of the emulator (`tls`).

pub mod calls;
pub mod cpu;
pub mod tls;

use adapters::aws::{self, SdkConfig};
use adapters::config::Env;
use devstack::{DevSettings, Launched, launch};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const USERNAME: &str = "thumbtack";
pub const PASSWORD: &str = "bench-password";

/// The nearest-rank value at `p` (0 to 1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Whole milliseconds, for a table.
pub fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

/// `make dev`'s stack on a table, queues and bus named after `name` (no other stack's workers
/// take its events), the stream read every `poll_ms`; with the SDK configuration it runs on.
pub async fn local_stack(name: &str, poll_ms: u64) -> Result<(Launched, SdkConfig), cli::Error> {
    let env = Env::process();
    let vars = HashMap::from([
        ("DEV_ADDR", "127.0.0.1:0".to_owned()),
        ("SANDBOX_ADDR", "127.0.0.1:0".to_owned()),
        ("TABLE_NAME", name.to_owned()),
        ("REPLY_QUEUE_NAME", format!("{name}.fifo")),
        ("EVENT_BUS_NAME", name.to_owned()),
        ("EVENTS_QUEUE_NAME", format!("{name}-events")),
        ("SPEED_QUEUE_NAME", format!("{name}-speed")),
        ("EVENTS_POLL_MILLIS", poll_ms.to_string()),
        ("PARTNER_API_USERNAME", USERNAME.to_owned()),
        ("PARTNER_API_PASSWORD", PASSWORD.to_owned()),
        ("AWS_ENDPOINT_URL", env.required("AWS_ENDPOINT_URL")?),
    ]);
    let settings = DevSettings::from_env(Env::with(move |var| vars.get(var).cloned()))?;
    let sdk = aws::sdk_config().await;
    let stack = launch(&settings, &sdk).await?;
    Ok((stack, sdk))
}

/// After a random pause of up to one poll interval (so leads land at every point of the poll
/// cycle), posts the sample lead as `lead_id` to the local stack at `base`; when its 2xx came.
pub async fn post_lead_in_the_poll_cycle(
    http: &reqwest::Client,
    base: &str,
    lead_id: &str,
    poll_ms: u64,
) -> Result<Instant, cli::Error> {
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=poll_ms))).await;
    let mut lead: serde_json::Value = serde_json::from_str(fixtures::LEAD)?;
    lead["leadID"] = lead_id.into();
    // Created now: speed to lead acknowledges only new leads.
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    lead["createTimestamp"] = created.to_string().into();
    let response = http
        .post(format!("{base}/v1/lead"))
        .basic_auth(USERNAME, Some(PASSWORD))
        .header("content-type", "application/json")
        .body(lead.to_string())
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("POST /v1/lead answered {}", response.status()).into());
    }
    Ok(Instant::now())
}

/// The latencies' table: p50, p90, p99, max, and whether the p50 is under `goal`.
pub fn print_latencies(latencies: &mut [Duration], goal: Duration, goal_text: &str) {
    latencies.sort();
    println!("| p50 | p90 | p99 | max | target |");
    println!("|---|---|---|---|---|");
    let p50 = percentile(latencies, 0.5);
    println!(
        "| {} | {} | {} | {} | {goal_text}: {} |",
        ms(p50),
        ms(percentile(latencies, 0.9)),
        ms(percentile(latencies, 0.99)),
        ms(percentile(latencies, 1.0)),
        if p50 < goal { "met" } else { "missed" },
    );
}
