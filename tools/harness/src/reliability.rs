//! The reliability experiments of docs/reliability.md, shared by the tests (small runs that assert
//! the invariants) and `make reliability` (bigger runs that print the figures).

use crate::faults::{self, Fault, FaultPlan, ThumbtackFault, faulty_thumbtack};
use adapters::provision::{ensure_queues, ensure_table};
use adapters::secrets::PartnerCredentials;
use adapters::secrets::ThumbtackCredentials;
use adapters::thumbtack::ThumbtackSettings;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue};
use app::LeadStore;
use app::auth::Credential;
use app::deps::InboundDeps;
use app::metrics::Metrics;
use app::replies::{ReplyDeps, RetryPolicy};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use devstack::Worker;
use fixtures::{LEAD, MESSAGE};
use futures::StreamExt;
use lambda_http::http::HeaderValue;
use models::{ReplyRequest, ReplyStatus};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::watch;

use cli::Error;

/// Credentials of the runs, distinctive so that a log scan can look for them.
pub const PARTNER_PASSWORD: &str = "partner-pw-71d3";
pub const THUMBTACK_PASSWORD: &str = "thumbtack-pw-9c2e";

/// What must never appear in a log line of the runs: the credentials (plain and base64) and the
/// texts of leads, messages and replies.
pub fn secrets_of_the_runs() -> Vec<String> {
    use base64::Engine as _;
    let encode = |pair: &str| base64::engine::general_purpose::STANDARD.encode(pair);
    vec![
        PARTNER_PASSWORD.to_owned(),
        THUMBTACK_PASSWORD.to_owned(),
        encode(&format!("thumbtack:{PARTNER_PASSWORD}")),
        encode(&format!("partner:{THUMBTACK_PASSWORD}")),
        "of the reliability run".to_owned(),
        " about lead ".to_owned(),
        " to lead ".to_owned(),
        "Jay J.".to_owned(),
    ]
}

/// Storage faults under Thumbtack's retries.
#[derive(Debug, Clone)]
pub struct StorageRun {
    pub leads: usize,
    pub messages_per_lead: usize,
    pub share: f64,
    pub kinds: Vec<Fault>,
    pub concurrency: usize,
    /// Deliveries of one payload before the simulated Thumbtack gives up.
    pub max_deliveries: u32,
}

#[derive(Debug, Clone, Default)]
pub struct StorageReport {
    pub share: f64,
    pub payloads: usize,
    pub acknowledged: usize,
    pub gave_up: usize,
    pub deliveries: u64,
    pub answers_5xx: u64,
    pub answers_4xx: u64,
    pub stored_leads: usize,
    pub stored_messages: usize,
    pub acknowledged_but_missing: usize,
    pub stored_differently: usize,
    pub stored_twice: usize,
    pub dynamodb_calls: u64,
    pub faults_injected: u64,
    pub lost_answers: u64,
    pub elapsed: Duration,
}

impl StorageReport {
    pub fn row(&self) -> String {
        format!(
            "| {:.0} % | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s |",
            self.share * 100.0,
            self.payloads,
            self.deliveries,
            self.answers_5xx,
            self.acknowledged,
            self.stored_leads + self.stored_messages,
            self.acknowledged_but_missing,
            self.stored_twice,
            self.faults_injected,
            self.lost_answers,
            self.gave_up,
            self.elapsed.as_secs_f64()
        )
    }

    pub const HEADER: &'static str = "| faults | payloads | deliveries | 5xx answers | acknowledged | stored | acknowledged but missing | stored twice | faults injected | of which lost answers | given up | time |\n|---|---|---|---|---|---|---|---|---|---|---|---|";
}

struct Payload {
    route: &'static str,
    key: (String, String),
    body: String,
}

fn payloads(run: &StorageRun, tag: &str) -> Vec<Payload> {
    let mut all = Vec::new();
    for i in 0..run.leads {
        let lead_id = format!("{tag}-{i}");
        let mut lead: Value = serde_json::from_str(LEAD).unwrap_or_default();
        lead["leadID"] = json!(lead_id);
        lead["request"]["description"] = json!(format!("lead {i} of the reliability run"));
        all.push(Payload {
            route: "lead",
            key: (format!("LEAD#{lead_id}"), "LEAD".to_owned()),
            body: lead.to_string(),
        });
        for j in 0..run.messages_per_lead {
            let message_id = format!("{tag}-{i}-m{j}");
            let mut message: Value = serde_json::from_str(MESSAGE).unwrap_or_default();
            message["leadID"] = json!(lead_id);
            message["message"]["messageID"] = json!(message_id);
            message["message"]["text"] = json!(format!("message {j} about lead {i}"));
            all.push(Payload {
                route: "message",
                key: (format!("LEAD#{lead_id}"), format!("MSG#{message_id}")),
                body: message.to_string(),
            });
        }
    }
    // Any order: messages often arrive before their lead.
    fastrand::shuffle(&mut all);
    all
}

/// Runs the experiment against the emulator behind a fault proxy and checks the table directly.
pub async fn storage_faults(
    run: &StorageRun,
    sdk: &adapters::aws::SdkConfig,
    emulator: &str,
    table: &str,
) -> Result<StorageReport, Error> {
    let started = Instant::now();
    ensure_table(sdk, table).await?;
    let proxy = faults::start(
        emulator,
        FaultPlan {
            share: run.share,
            kinds: run.kinds.clone(),
            hold: Duration::from_millis(800),
        },
    )
    .await?;
    // The SDK as in production, but with timeouts and backoff scaled down to the emulator.
    let config = aws_sdk_dynamodb::config::Builder::from(sdk)
        .endpoint_url(&proxy.url)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(400))
                .operation_timeout(Duration::from_secs(3))
                .build(),
        )
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .build();
    let deps = InboundDeps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table),
        credentials: PartnerCredentials::fixed(&[Credential::new("thumbtack", PARTNER_PASSWORD)]),
        metrics: Metrics::off(),
    };
    let authorization = HeaderValue::try_from(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("thumbtack:{PARTNER_PASSWORD}"))
    ))?;
    let all = payloads(run, table);
    let outcomes: Vec<(usize, Option<u16>, u64, u64, u64)> =
        futures::stream::iter(all.iter().enumerate())
            .map(|(index, payload)| {
                let deps = &deps;
                let authorization = authorization.clone();
                async move {
                    let (mut deliveries, mut errors, mut refusals) = (0, 0, 0);
                    for attempt in 1..=run.max_deliveries {
                        deliveries += 1;
                        let mut request = lambda_http::Request::new(lambda_http::Body::Text(
                            payload.body.clone(),
                        ));
                        // As API Gateway delivers it: the route's method and path.
                        *request.method_mut() = lambda_http::http::Method::POST;
                        *request.uri_mut() =
                            lambda_http::http::Uri::from_static(if payload.route == "lead" {
                                "/v1/lead"
                            } else {
                                "/v1/message"
                            });
                        request
                            .headers_mut()
                            .insert("authorization", authorization.clone());
                        let response = if payload.route == "lead" {
                            lead_inbound::handler::handle(deps, request).await
                        } else {
                            message_inbound::handler::handle(deps, request).await
                        };
                        let status = response.status().as_u16();
                        if (200..300).contains(&status) {
                            return (index, Some(status), deliveries, errors, refusals);
                        }
                        if status >= 500 {
                            errors += 1;
                            // Thumbtack's retry, compressed in time.
                            tokio::time::sleep(Duration::from_millis(
                                5 * u64::from(attempt.min(20)),
                            ))
                            .await;
                        } else {
                            refusals += 1;
                            return (index, None, deliveries, errors, refusals);
                        }
                    }
                    (index, None, deliveries, errors, refusals)
                }
            })
            .buffer_unordered(run.concurrency)
            .collect()
            .await;

    let stored = scan(sdk, table).await?;
    let mut report = StorageReport {
        share: run.share,
        payloads: all.len(),
        dynamodb_calls: proxy
            .counts
            .dynamodb_calls
            .load(std::sync::atomic::Ordering::Relaxed),
        faults_injected: proxy.counts.injected(),
        lost_answers: proxy
            .counts
            .lost_answers
            .load(std::sync::atomic::Ordering::Relaxed),
        ..StorageReport::default()
    };
    for (index, acknowledged, deliveries, errors, refusals) in outcomes {
        report.deliveries += deliveries;
        report.answers_5xx += errors;
        report.answers_4xx += refusals;
        let payload = &all[index];
        match acknowledged {
            Some(_) => {
                report.acknowledged += 1;
                match stored.get(&payload.key) {
                    None => report.acknowledged_but_missing += 1,
                    Some(raw) if raw != &payload.body => report.stored_differently += 1,
                    Some(_) => {}
                }
            }
            None => report.gave_up += 1,
        }
    }
    for (_, sk) in stored.keys() {
        if sk == "LEAD" {
            report.stored_leads += 1;
        } else if sk.starts_with("MSG#") {
            report.stored_messages += 1;
        } else {
            // A revision or quarantine item would mean a retry was stored as something new.
            report.stored_twice += 1;
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Every item of the table: (PK, SK) → raw body, read with a client of our own: past the proxy
/// and the adapter under test.
async fn scan(
    sdk: &adapters::aws::SdkConfig,
    table: &str,
) -> Result<HashMap<(String, String), String>, Error> {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let mut items = HashMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await?;
        for item in page.items.unwrap_or_default() {
            let text = |name: &str| match item.get(name) {
                Some(AttributeValue::S(s)) => s.clone(),
                _ => String::new(),
            };
            items.insert((text("PK"), text("SK")), text("raw"));
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// Thumbtack faults on the reply path.
#[derive(Debug, Clone)]
pub struct ReplyRun {
    pub replies: usize,
    pub leads: usize,
    pub share: f64,
    pub kinds: Vec<ThumbtackFault>,
    pub client_timeout: Duration,
    /// Tries per reply (`REPLY_MAX_ATTEMPTS`); the queue's maxReceiveCount is 20 times that.
    pub max_attempts: u32,
    /// The run stops by itself after this long.
    pub limit: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct ReplyReport {
    pub share: f64,
    pub kinds: String,
    pub replies: usize,
    pub sent: usize,
    pub failed: usize,
    pub unfinished: usize,
    pub requests: u64,
    pub faults: u64,
    pub slow_after_taking: u64,
    /// Replies Thumbtack took more than once, and how many extra times in all.
    pub taken_twice: usize,
    pub extra_takes: usize,
    /// Recorded sent, but Thumbtack never took it (must be 0).
    pub sent_not_taken: usize,
    /// Given up (failed) although Thumbtack took it: an answer lost to a timeout.
    pub failed_but_taken: usize,
    /// Leads whose replies Thumbtack took out of order (must be 0).
    pub leads_out_of_order: usize,
    pub elapsed: Duration,
}

impl ReplyReport {
    pub const HEADER: &'static str = "| faults | kinds | replies | sent | failed | unfinished | requests | faults injected | taken twice | sent but not taken | failed but taken | leads out of order | time |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|";

    pub fn row(&self) -> String {
        format!(
            "| {:.0} % | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s |",
            self.share * 100.0,
            self.kinds,
            self.replies,
            self.sent,
            self.failed,
            self.unfinished,
            self.requests,
            self.faults,
            self.taken_twice,
            self.sent_not_taken,
            self.failed_but_taken,
            self.leads_out_of_order,
            self.elapsed.as_secs_f64()
        )
    }
}

pub async fn reply_faults(
    run: &ReplyRun,
    sdk: &adapters::aws::SdkConfig,
    table: &str,
) -> Result<ReplyReport, Error> {
    let started = Instant::now();
    let store = DynamoStore::from_config(sdk, table);
    ensure_table(sdk, table).await?;
    // As in AWS, the visibility timeout outlasts the longest invocation, so a delivery is never
    // handed out twice while it is being handled; retries come sooner, by the delays we set.
    let (queue_url, dlq_url) = ensure_queues(
        sdk,
        &format!("{table}-replies.fifo"),
        Duration::from_secs(10),
        run.max_attempts.saturating_mul(20),
    )
    .await?;
    let thumbtack = faulty_thumbtack(run.share, run.kinds.clone(), run.client_timeout * 3).await?;
    let worker = Worker {
        deps: ReplyDeps {
            ledger: store.clone(),
            thumbtack: HttpThumbtack::new(
                &ThumbtackSettings {
                    base_url: thumbtack.url.clone(),
                    connect_timeout: run.client_timeout,
                    timeout: run.client_timeout,
                },
                ThumbtackCredentials::fixed(Credential::new("partner", THUMBTACK_PASSWORD)),
            )?,
            queue: SqsReplyQueue::from_config(sdk, &queue_url, &dlq_url),
            policy: RetryPolicy {
                backoff_base: Duration::from_millis(20),
                backoff_cap: Duration::from_millis(100),
                redelivery_base: Duration::from_secs(1),
                redelivery_cap: Duration::from_secs(2),
                max_attempts: run.max_attempts,
                // Outlives the queue's visibility timeout: locally nothing kills a slow delivery
                // at its deadline, as Lambda does, so the claim must hold until it is redelivered.
                lease: Duration::from_secs(12),
                attempt_budget: run.client_timeout + Duration::from_secs(1),
                ..RetryPolicy::default()
            },
            metrics: Metrics::off(),
        },
        // Room for a try (the client's timeout plus 1 s) and the `sent` write (3 s) after it.
        invocation_timeout: Duration::from_secs(8),
        wait: Duration::from_secs(1),
        batch_size: 1,
        lanes: 4,
    };
    let text = |i: usize| format!("reply {i:05} to lead {}", i % run.leads);
    for i in 0..run.replies {
        let reply = ReplyRequest {
            reply_id: format!("{table}-r{i}"),
            business_id: "reliability".to_owned(),
            lead_id: format!("{table}-lead-{}", i % run.leads),
            text: text(i),
        };
        worker.deps.queue.enqueue(&reply).await?;
    }
    let (stop, stopped) = watch::channel(false);
    let lead_ids: Vec<String> = (0..run.leads)
        .map(|l| format!("{table}-lead-{l}"))
        .collect();
    let mut statuses = HashMap::new();
    {
        let running = worker.run(stopped);
        tokio::pin!(running);
        loop {
            tokio::select! {
                () = &mut running => break,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            statuses.clear();
            for lead in &lead_ids {
                for reply in LeadStore::conversation(&store, lead).await?.replies {
                    statuses.insert(reply.text, reply.status);
                }
            }
            let finished = statuses
                .values()
                .filter(|s| **s != ReplyStatus::Sending)
                .count();
            if finished == run.replies || started.elapsed() > run.limit {
                let _ = stop.send(true);
            }
        }
    }
    let taken = thumbtack
        .taken
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let faults = thumbtack
        .faults
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let mut takes: HashMap<&str, usize> = HashMap::new();
    for text in &taken {
        *takes.entry(text.as_str()).or_default() += 1;
    }
    let mut report = ReplyReport {
        share: run.share,
        kinds: format!("{:?}", run.kinds),
        replies: run.replies,
        requests: thumbtack
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        faults: faults.values().map(|n| u64::from(*n)).sum(),
        slow_after_taking: faults
            .get(&ThumbtackFault::SlowAfterTaking)
            .copied()
            .map_or(0, u64::from),
        ..ReplyReport::default()
    };
    for i in 0..run.replies {
        let text = text(i);
        let took = takes.get(text.as_str()).copied().unwrap_or(0);
        if took > 1 {
            report.taken_twice += 1;
            report.extra_takes += took - 1;
        }
        match statuses.get(&text) {
            Some(ReplyStatus::Sent) => {
                report.sent += 1;
                if took == 0 {
                    report.sent_not_taken += 1;
                }
            }
            Some(ReplyStatus::Failed) => {
                report.failed += 1;
                if took > 0 {
                    report.failed_but_taken += 1;
                }
            }
            _ => report.unfinished += 1,
        }
    }
    // Per lead, the first take of each reply must come in enqueue order.
    for lead in 0..run.leads {
        let suffix = format!(" to lead {lead}");
        let mut seen = std::collections::HashSet::new();
        let firsts: Vec<&String> = taken
            .iter()
            .filter(|t| t.ends_with(&suffix) && seen.insert(t.as_str()))
            .collect();
        if firsts.windows(2).any(|w| w[0] > w[1]) {
            report.leads_out_of_order += 1;
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Diagnostics for a run that left replies unfinished: their ledger items, and the queues' depths.
pub async fn describe_unfinished(
    sdk: &adapters::aws::SdkConfig,
    table: &str,
    replies: usize,
) -> Result<String, Error> {
    let items = aws_sdk_dynamodb::Client::new(sdk)
        .scan()
        .table_name(table)
        .send()
        .await?
        .items
        .unwrap_or_default();
    let mut out = String::new();
    let mut recorded = std::collections::HashSet::new();
    for item in &items {
        if let Some(AttributeValue::S(id)) = item.get("replyID") {
            recorded.insert(id.clone());
        }
        if matches!(item.get("status"), Some(AttributeValue::S(s)) if s == "sending") {
            out.push_str(&format!("{item:?}\n"));
        }
    }
    let missing: Vec<String> = (0..replies)
        .map(|i| format!("{table}-r{i}"))
        .filter(|id| !recorded.contains(id))
        .collect();
    out.push_str(&format!("reply ids without a ledger record: {missing:?}\n"));
    let sqs = aws_sdk_sqs::Client::new(sdk);
    for name in [
        format!("{table}-replies.fifo"),
        format!("{table}-replies-dlq.fifo"),
    ] {
        let url = sqs
            .get_queue_url()
            .queue_name(&name)
            .send()
            .await?
            .queue_url
            .unwrap_or_default();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await?
            .attributes
            .unwrap_or_default();
        out.push_str(&format!("{name}: {attributes:?}\n"));
    }
    Ok(out)
}
