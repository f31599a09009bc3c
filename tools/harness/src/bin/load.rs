//! `make load`: a bounded load run, as Thumbtack would deliver, then every lead read back.
//!
//! Where: without `STAGE` (or with `STAGE=dev` or `local`) the local stack of `make dev`, on
//! loopback only; with another `STAGE`, that deployed stage: `BASE_URL` (scripts/load.sh finds it
//! in the stack's outputs), HTTP basic credentials from `PARTNER_API_USERNAME` and
//! `PARTNER_API_PASSWORD` (scripts/load.sh reads the stage's partner secret, `AWSCURRENT`, unless
//! they are set), and the read API's calls signed with SigV4 (the caller's AWS credentials need
//! the PartnerApiReaderPolicy).
//!
//! What: `LEADS` leads and `MESSAGES` messages built from the sample payloads
//! (tests/fixtures), a `DUPLICATE_PERCENT` share of them delivered twice at the same moment (a
//! retry racing the first try). With `RATE` (leads per second) they are paced: the leads evenly
//! spaced over `LOAD_SECONDS`, each message a random moment within `MESSAGE_SPREAD_SECONDS` after
//! its lead, five messages per lead unless `MESSAGES` says otherwise (the capacity model's
//! ratio). Without `RATE`, everything at once in a shuffled order (messages often before their
//! lead), as far as the cap on requests in flight lets it go.
//!
//! Bounded: at most `CONCURRENCY` requests in flight (sending and reading back), nothing sent
//! after `LOAD_MAX_SECONDS` and no answer awaited past it, the read-back within
//! `READ_MAX_SECONDS`. Leads are marked `isTest`, created now: a business with acknowledgements on
//! never answers them, and they are never reported unanswered.
//!
//! Prints the latency percentiles and the status counts, then reads every lead back
//! (`GET /v1/leads/{leadID}`) and every business's list, and reports the acknowledged deliveries
//! lost and doubled: the bar is 0 and 0.

use adapters::aws;
use adapters::config::Env;
use fixtures::{LEAD, MESSAGE};
use futures::StreamExt;
use harness::load::{Kind, Pace, Planned, ReadBack, Tally, Verdict, drive, schedule};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// The stack a run plays Thumbtack against.
struct Target {
    base: String,
    username: String,
    password: String,
    /// Signs the read API's calls (a deployed stage), in this region.
    sign_in: Option<String>,
}

/// Whether `stage` names the local stack: unset, `dev` (the Makefile's default) or `local`.
fn local_stage(stage: Option<&str>) -> bool {
    matches!(stage, None | Some("dev" | "local"))
}

fn target<F: Fn(&str) -> Option<String>>(process: &Env<F>) -> Result<Target, Error> {
    let stage = process.optional("STAGE");
    let base = process.optional("BASE_URL");
    let deployed = !local_stage(stage.as_deref()) || base.as_deref().is_some_and(|b| !loopback(b));
    if !deployed {
        let env = cli::local::env(Env::process());
        let base = cli::local::base_url(&env);
        if !loopback(&base) {
            return Err(format!(
                "{base} is not a loopback address: name the deployed stage with STAGE"
            )
            .into());
        }
        return Ok(Target {
            base,
            username: env.required("PARTNER_API_USERNAME")?,
            password: env.required("PARTNER_API_PASSWORD")?,
            sign_in: None,
        });
    }
    let base = base.ok_or("BASE_URL: the stage's ApiBaseUrl output (scripts/load.sh reads it)")?;
    if !base.starts_with("https://") {
        return Err(format!("{base}: a deployed stage's API is https").into());
    }
    // scripts/load.sh reads them from the stage's partner secret unless they are set.
    let username = process.required("PARTNER_API_USERNAME")?;
    let password = process.required("PARTNER_API_PASSWORD")?;
    Ok(Target {
        base: base.trim_end_matches('/').to_owned(),
        username,
        password,
        sign_in: Some(
            process
                .optional("AWS_REGION")
                .unwrap_or_else(|| "us-east-1".to_owned()),
        ),
    })
}

/// The run's settings, from the environment.
struct Settings {
    leads: usize,
    messages: usize,
    duplicates: f64,
    pace: Pace,
    in_flight: usize,
    send_limit: Duration,
    read_limit: Duration,
    businesses: usize,
}

fn settings<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Settings, Error> {
    let number = |var: &'static str, default: u64| env.number(var, default);
    let rate = env
        .optional("RATE")
        .map(|rate| rate.parse::<f64>())
        .transpose()
        .map_err(|e| cli::context("RATE: leads per second", e))?;
    let (pace, leads, messages, send_limit) = match rate {
        Some(rate) if rate > 0.0 && rate.is_finite() => {
            let seconds = number("LOAD_SECONDS", 60)?;
            let spread = Duration::from_secs(number("MESSAGE_SPREAD_SECONDS", 5)?);
            let leads = usize::try_from(number("LEADS", (rate * seconds as f64).round() as u64)?)?;
            let messages = usize::try_from(number("MESSAGES", 5 * leads as u64)?)?;
            // The schedule's length, the spread and a minute for the last answers.
            let limit = seconds + spread.as_secs() + 60;
            let pace = Pace::Paced {
                leads_per_second: rate,
                spread,
            };
            (pace, leads, messages, number("LOAD_MAX_SECONDS", limit)?)
        }
        Some(rate) => return Err(format!("RATE={rate}: leads per second, above 0").into()),
        None => (
            Pace::Burst,
            usize::try_from(number("LEADS", 5000)?)?,
            usize::try_from(number("MESSAGES", 10_000)?)?,
            number("LOAD_MAX_SECONDS", 600)?,
        ),
    };
    Ok(Settings {
        leads,
        messages,
        duplicates: f64::from(u32::try_from(number("DUPLICATE_PERCENT", 30)?)?) / 100.0,
        pace,
        in_flight: usize::try_from(number("CONCURRENCY", 32)?)?.max(2),
        send_limit: Duration::from_secs(send_limit),
        read_limit: Duration::from_secs(number("READ_MAX_SECONDS", 300)?),
        businesses: usize::try_from(number("BUSINESSES", 50)?)?.max(1),
    })
}

/// The bodies of a run: lead `i` is `<tag>-<i>` of business `<tag>-business-<i % businesses>`.
struct Bodies {
    tag: String,
    businesses: usize,
    lead: Value,
    message: Value,
    created: String,
}

impl Bodies {
    fn new(tag: &str, businesses: usize) -> Result<Bodies, Error> {
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .to_string();
        Ok(Bodies {
            tag: tag.to_owned(),
            businesses,
            lead: serde_json::from_str(LEAD)?,
            message: serde_json::from_str(MESSAGE)?,
            created,
        })
    }

    fn lead_id(&self, lead: usize) -> String {
        format!("{}-{lead}", self.tag)
    }

    fn business_id(&self, business: usize) -> String {
        format!("{}-business-{business}", self.tag)
    }

    fn body(&self, delivery: &Planned) -> (&'static str, String) {
        let business = self.business_id(delivery.lead % self.businesses);
        match &delivery.kind {
            Kind::Lead => {
                let mut lead = self.lead.clone();
                lead["leadID"] = json!(self.lead_id(delivery.lead));
                lead["isTest"] = json!(true);
                lead["createTimestamp"] = json!(self.created);
                lead["request"]["requestID"] = json!(format!("{}-r{}", self.tag, delivery.lead));
                lead["business"]["businessID"] = json!(business);
                ("/v1/lead", lead.to_string())
            }
            Kind::Message { id, .. } => {
                let mut message = self.message.clone();
                message["leadID"] = json!(self.lead_id(delivery.lead));
                message["businessID"] = json!(business);
                message["message"]["messageID"] = json!(id);
                message["message"]["createTimestamp"] = json!(self.created);
                message["message"]["text"] = json!(format!("message {id}"));
                ("/v1/message", message.to_string())
            }
        }
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

async fn run() -> cli::Result {
    let process = Env::process();
    let sdk = aws::sdk_config().await;
    let target = target(&process)?;
    let settings = settings(&cli::local::env(Env::process()))?;
    let tag = format!("load-{}", app::now_millis());
    let bodies = Bodies::new(&tag, settings.businesses)?;
    let planned = schedule(
        settings.leads,
        settings.messages,
        settings.duplicates,
        settings.pace,
        fastrand::f64,
        &tag,
    );
    let requests: usize = planned.iter().map(|p| if p.twice { 2 } else { 1 }).sum();
    let pace = match settings.pace {
        Pace::Burst => "all at once".to_owned(),
        Pace::Paced {
            leads_per_second,
            spread,
        } => format!(
            "{leads_per_second} leads/s, messages within {} s of their lead",
            spread.as_secs()
        ),
    };
    println!(
        "load: {} leads and {} messages of {} businesses ({pace}), {:.0} % delivered twice at once: {requests} requests, at most {} in flight, against {}",
        settings.leads,
        settings.messages,
        settings.businesses.min(settings.leads.max(1)),
        settings.duplicates * 100.0,
        settings.in_flight,
        target.base,
    );

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(settings.in_flight)
        .build()?;
    let driven = drive(
        &planned,
        settings.in_flight,
        settings.send_limit,
        |delivery| {
            let (path, body) = bodies.body(delivery);
            let request = http
                .post(format!("{}{path}", target.base))
                .basic_auth(&target.username, Some(&target.password))
                .header("content-type", "application/json")
                .body(body)
                .send();
            async move { request.await.map_or(0, |r| r.status().as_u16()) }
        },
    )
    .await;
    let tally = Tally::of(driven.answers.iter().flatten());
    let seconds = driven.elapsed.as_secs_f64();
    println!(
        "sent: {} requests in {seconds:.1} s ({:.0} requests/s), {} deliveries not sent (deadline), sends at most {} behind schedule",
        tally.requests,
        tally.requests as f64 / seconds,
        driven.unsent,
        millis(driven.max_lag),
    );
    println!();
    println!("| requests | 2xx | 4xx | 5xx | no answer | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        tally.requests,
        tally.count(200..300),
        tally.count(400..500),
        tally.count(500..600),
        tally.count(0..1),
        millis(tally.p50),
        millis(tally.p90),
        millis(tally.p99),
        millis(tally.max),
    );
    println!("\nstatuses: {}", tally.statuses_line());

    let started = Instant::now();
    let reader = Reader {
        http: &http,
        sdk: &sdk,
        target: &target,
    };
    let read = read_back(&reader, &bodies, &settings, &planned).await?;
    let verdict = Verdict::of(&planned, &driven.answers, &read);
    println!(
        "read back in {:.1} s: leads {} acknowledged, {} lost, {} doubled; messages {} acknowledged, {} lost, {} doubled; {} deliveries never acknowledged",
        started.elapsed().as_secs_f64(),
        verdict.leads_acknowledged,
        verdict.leads_lost,
        verdict.leads_doubled,
        verdict.messages_acknowledged,
        verdict.messages_lost,
        verdict.messages_doubled,
        verdict.unacknowledged,
    );
    if verdict.unread > 0 {
        println!(
            "unread: {} acknowledged deliveries whose lead the read API failed on three times",
            verdict.unread
        );
    }
    println!("lost {}, doubled {}", verdict.lost(), verdict.doubled());
    if verdict.lost() > 0 || verdict.doubled() > 0 {
        return Err("FAILED: acknowledged deliveries lost or doubled (the bar is 0 and 0)".into());
    }
    if verdict.unread > 0 {
        return Err("FAILED: not every lead could be read back".into());
    }
    Ok(())
}

/// The read API, signed in AWS.
struct Reader<'a> {
    http: &'a reqwest::Client,
    sdk: &'a aws::SdkConfig,
    target: &'a Target,
}

impl Reader<'_> {
    /// `GET path_and_query`: its status and JSON (404 is an answer, not an error).
    async fn get(&self, path_and_query: &str) -> Result<(u16, Value), Error> {
        let url = format!("{}{path_and_query}", self.target.base);
        let mut request = http::Request::builder()
            .method("GET")
            .uri(&url)
            .body(Vec::new())?;
        if let Some(region) = &self.target.sign_in {
            harness::sigv4::sign_execute_api(&mut request, self.sdk, region).await?;
        }
        let mut builder = self.http.get(&url);
        for (name, value) in request.headers() {
            builder = builder.header(name, value);
        }
        let response = builder.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }
}

/// What one lead's conversation holds: the ids of its messages (one per entry) and whether it
/// has revisions; `None` for a 404.
async fn read_lead(
    reader: &Reader<'_>,
    lead_id: &str,
) -> Result<Option<(Vec<String>, bool)>, Error> {
    let (mut messages, mut revised) = (Vec::new(), false);
    let mut cursor: Option<String> = None;
    // A conversation of a handful of messages is one page; the bound is for a runaway cursor.
    for _ in 0..100 {
        let query = cursor
            .as_ref()
            .map_or(String::new(), |c| format!("?cursor={c}"));
        let (status, view) = reader.get(&format!("/v1/leads/{lead_id}{query}")).await?;
        match status {
            200 => {}
            404 => return Ok(None),
            other => return Err(format!("GET /v1/leads/{lead_id} answered {other}: {view}").into()),
        }
        for entry in view["messages"].as_array().into_iter().flatten() {
            if entry["direction"] == "inbound" {
                messages.push(entry["id"].as_str().unwrap_or_default().to_owned());
            }
        }
        revised |= view["revisions"].as_array().is_some_and(|r| !r.is_empty());
        match view["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(Some((messages, revised))),
        }
    }
    Err(format!("GET /v1/leads/{lead_id}: more than 100 pages").into())
}

/// Every lead id a business lists, once per entry.
async fn read_business(reader: &Reader<'_>, business_id: &str) -> Result<Vec<String>, Error> {
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let query = cursor
            .as_ref()
            .map_or(String::new(), |c| format!("&cursor={c}"));
        let path = format!("/v1/businesses/{business_id}/leads?limit=100{query}");
        let (status, page) = reader.get(&path).await?;
        if status != 200 {
            return Err(format!("GET {path} answered {status}: {page}").into());
        }
        for lead in page["leads"].as_array().into_iter().flatten() {
            listed.push(lead["leadID"].as_str().unwrap_or_default().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(listed),
        }
    }
    Err(format!("{business_id}: more than 10,000 pages").into())
}

/// Reads every lead of the run and every business's list, `CONCURRENCY` calls at a time. What
/// is missing is read again, twice, a few seconds apart (the lists are an index, eventually
/// consistent in AWS); the whole within `READ_MAX_SECONDS`.
async fn read_back(
    reader: &Reader<'_>,
    bodies: &Bodies,
    settings: &Settings,
    planned: &[Planned],
) -> Result<ReadBack, Error> {
    let deadline = Instant::now() + settings.read_limit;
    let expected_messages: HashMap<usize, usize> =
        planned.iter().fold(HashMap::new(), |mut counts, p| {
            if matches!(p.kind, Kind::Message { .. }) {
                *counts.entry(p.lead).or_default() += 1;
            }
            counts
        });
    let mut read = ReadBack::default();
    let mut leads: Vec<usize> = (0..settings.leads).collect();
    let businesses = settings.businesses.min(settings.leads);
    let mut pending_businesses: Vec<usize> = (0..businesses).collect();
    for pass in 0..3 {
        if pass > 0 {
            if leads.is_empty() && pending_businesses.is_empty() {
                break;
            }
            println!(
                "read back: {} leads and {} businesses' lists not whole yet, read again in 3 s",
                leads.len(),
                pending_businesses.len()
            );
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let lead_fetches = futures::stream::iter(leads.iter().copied())
            .map(|lead| async move { (lead, read_lead(reader, &bodies.lead_id(lead)).await) })
            .buffer_unordered(settings.in_flight)
            .collect::<Vec<_>>();
        let results = tokio::time::timeout(left, lead_fetches)
            .await
            .map_err(|_| "the read-back passed READ_MAX_SECONDS")?;
        let mut again = Vec::new();
        for (lead, result) in results {
            match result {
                // The read API failed (a 503 of a busy emulator): read again, and in the end
                // count it unread, not lost.
                Err(error) if pass == 2 => {
                    eprintln!("load: {error}");
                    read.unread.insert(lead);
                }
                Err(_) => again.push(lead),
                Ok(Some((messages, revised))) => {
                    // A lead found without all its messages yet is read again in the next pass.
                    let whole =
                        messages.len() >= expected_messages.get(&lead).copied().unwrap_or(0);
                    if whole || pass == 2 {
                        read.found.insert(lead);
                        if revised {
                            read.revised.insert(lead);
                        }
                        for id in messages {
                            *read.messages.entry(id).or_default() += 1;
                        }
                    } else {
                        again.push(lead);
                    }
                }
                Ok(None) => again.push(lead),
            }
        }
        leads = again;

        let left = deadline.saturating_duration_since(Instant::now());
        let business_reads = futures::stream::iter(pending_businesses.iter().copied())
            .map(|business| async move {
                (
                    business,
                    read_business(reader, &bodies.business_id(business)).await,
                )
            })
            .buffer_unordered(settings.in_flight)
            .collect::<Vec<_>>();
        let results = tokio::time::timeout(left, business_reads)
            .await
            .map_err(|_| "the read-back passed READ_MAX_SECONDS")?;
        let mut again = Vec::new();
        for (business, result) in results {
            let listed = match result {
                Ok(listed) => listed,
                Err(error) if pass == 2 => {
                    eprintln!("load: {error}");
                    read.unlisted
                        .extend((business..settings.leads).step_by(businesses));
                    continue;
                }
                Err(_) => {
                    again.push(business);
                    continue;
                }
            };
            let ids: HashSet<&String> = listed.iter().collect();
            let expected = (business..settings.leads).step_by(businesses).count();
            if ids.len() < expected && pass < 2 {
                again.push(business);
                continue;
            }
            for id in &listed {
                if let Some(lead) = id
                    .strip_prefix(&format!("{}-", bodies.tag))
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    *read.listed.entry(lead).or_default() += 1;
                }
            }
        }
        pending_businesses = again;
    }
    Ok(read)
}
