//! `make bench` (v4 replies): one reply at a time through the reply queue, the local worker and
//! the reply-outbound handler to the Thumbtack simulator, alternately to a legacy lead (Basic
//! auth, a business that is not connected) and to a v4 lead (the pro connected through our
//! consent flow, the token cached after the first send): from the enqueue to the simulator's
//! 2xx answer to the send. Both go through the same adapter with v4 configured, so both pay the
//! business's connection lookup; what differs is the token and the version's path and body
//! (issue 23, item 7: a v4 reply with a cached token within 10 % of a legacy one). Then the
//! adapter's send alone, called directly the same way, where the queue's noise is not.

use adapters::config::Env;
use adapters::secrets::{CredentialSetting, thumbtack_credentials};
use adapters::thumbtack::ThumbtackSettings;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue};
use app::ports::{ConnectionStore as _, Thumbtack as _};
use bench::local_stack;
use models::{Contract, ReplyRequest};
use serde_json::{Value, json};
use simulator::{Decision, Simulator};
use std::time::{Duration, Instant};

use cli::Error;

/// The simulated pro's business (connected) and one nobody connected (legacy).
const V4_BUSINESS: &str = fixtures::BUSINESS_ID;
const LEGACY_BUSINESS: &str = "286845156044809999";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("v4-replies-bench", run().await)
}

async fn run() -> Result<(), Error> {
    let env = Env::process();
    let rounds = usize::try_from(env.number("V4_REPLIES", 40)?)?.max(1);
    // Thumbtack echoes a sent v4 message to the business's webhooks (facts §7.2): our webhook
    // then handles it while the next reply goes out. V4_REPLIES_ECHO=off turns the echo off, to
    // see the send alone.
    let echo = std::env::var("V4_REPLIES_ECHO").as_deref() != Ok("off");
    let name = format!("v4-replies-bench-{}", app::now_millis());
    let (stack, sdk) = local_stack(&name, 200).await?;
    let sim = stack
        .simulator()
        .ok_or("make dev's simulator is not running")?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    connect(&http, &stack.base_url, sim).await?;
    let sim_url = stack.simulator_url.clone().unwrap_or_default();
    set_echo(&http, &sim_url, echo).await?;
    let v4_lead = sim.new_lead(V4_BUSINESS).await?.negotiation_id;
    let legacy_lead = format!("{name}-legacy");
    post_legacy_lead(&http, &stack.base_url, &legacy_lead).await?;
    wait_stored(&http, &stack.base_url, &v4_lead).await?;

    let queue = SqsReplyQueue::from_config(&sdk, &stack.queue_url, &stack.dlq_url);
    let targets = [
        (
            "legacy",
            LEGACY_BUSINESS,
            legacy_lead.clone(),
            format!("/v1/business/{LEGACY_BUSINESS}/lead/{legacy_lead}/message"),
        ),
        (
            "v4",
            V4_BUSINESS,
            v4_lead.clone(),
            format!("/api/v4/negotiations/{v4_lead}/messages"),
        ),
    ];
    let mut latencies: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    // Round 0 warms both paths (connections, the v4 token's first opening) and is not counted.
    for round in 0..=rounds {
        for (i, (_, business, lead, path)) in targets.iter().enumerate() {
            let before = answered(sim, path);
            let reply = ReplyRequest {
                reply_id: format!("{name}-{i}-{round}"),
                business_id: (*business).to_owned(),
                lead_id: lead.clone(),
                text: format!("Reply {round}: Tuesday at 10 works."),
            };
            let started = Instant::now();
            queue.enqueue(&reply).await?;
            loop {
                if answered(sim, path) > before {
                    break;
                }
                if started.elapsed() > Duration::from_secs(15) {
                    return Err(format!("reply {} was not sent within 15 s", reply.reply_id).into());
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if round > 0 {
                latencies[i].push(started.elapsed());
            }
            // The v4 echo and the worker's bookkeeping settle before the next one.
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
    // The adapter's send alone, without the queue and the worker: the business's connection
    // read, the token from the cache (v4) or the Basic credential (legacy), the call to the
    // simulator. Echoes off: the echo is Thumbtack's work and our webhook's, not the send's.
    set_echo(&http, &sim_url, false).await?;
    let sends = usize::try_from(env.number("V4_SENDS", 200)?)?.max(1);
    let mut alone = time_sends(&stack.replies, &targets, sends).await?;
    // The same sends against a responder that answers both paths alike at once: only our side
    // differs.
    let responder = Responder::start().await?;
    let sim_origin = stack.thumbtack_url.clone();
    let v4 = stack
        .reply_v4
        .clone()
        .ok_or("the local stack has no v4 settings")?;
    let ours = responder.thumbtack(&sdk, &name, &sim_origin, v4)?;
    let mut ours_alone = time_sends(&ours, &targets, sends).await?;
    // The connection read alone, which both sends make, each just before a send to the
    // responder: the send less its read is what the two contracts' sends do differently.
    let registry = DynamoStore::from_config(&sdk, &name);
    let mut reads: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut rest: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for round in 0..=sends {
        for (i, (contract, business, lead, _)) in targets.iter().enumerate() {
            let started = Instant::now();
            registry.business_user(business).await?;
            let read = started.elapsed();
            let send = send_timed(&ours, contract, business, lead, round).await?;
            if round > 0 {
                reads[i].push(read);
                rest[i].push(send.saturating_sub(read));
            }
        }
    }
    responder.stop();
    stack.stop().await;
    adapters::provision::drop_table(&sdk, &name).await;

    println!(
        "From the enqueue of a reply to the simulator's 2xx answer to its send, {rounds} replies each, alternating; v4 echoes {}\n",
        if echo { "on" } else { "off" }
    );
    print_table(&targets, &mut latencies)?;
    println!(
        "\nThe adapter's send alone (HttpThumbtack::send_reply: the connection read, the token or \
         the credential, the call), {sends} each, alternating; v4 echoes off\n"
    );
    print_table(&targets, &mut alone)?;
    println!(
        "\nThe same sends to a responder answering both paths alike at once (201, a messageID): \
         our side alone, {sends} each, alternating\n"
    );
    print_table(&targets, &mut ours_alone)?;
    println!(
        "\nThe business's connection read alone (ConnectionStore::business_user: a GetItem), \
         {sends} each, alternating\n"
    );
    print_table(&targets, &mut reads)?;
    println!(
        "\nEach send to the responder less the same read made just before it (paired): what the \
         two contracts' sends do differently on our side, {sends} each\n"
    );
    print_table(&targets, &mut rest)?;
    Ok(())
}

/// An HTTP server on loopback answering every request at once, the same way: 201 and a
/// `messageID`, as Thumbtack's v4 send does (legacy reads only the status).
struct Responder {
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Responder {
    async fn start() -> Result<Responder, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new().fallback(|| async {
            (
                axum::http::StatusCode::CREATED,
                axum::Json(json!({"messageID": "responder-1"})),
            )
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Responder { url, server })
    }

    /// The local stack's reply Thumbtack, both versions pointed here instead of at the simulator
    /// (`origin`), with the same token registry, key and cache rules.
    fn thumbtack(
        &self,
        sdk: &adapters::aws::SdkConfig,
        table: &str,
        origin: &str,
        mut v4: adapters::config::ReplyV4Settings,
    ) -> Result<HttpThumbtack, Error> {
        let legacy = ThumbtackSettings {
            base_url: self.url.clone(),
            ..v4.api.clone()
        };
        v4.api.base_url = v4.api.base_url.replace(origin, &self.url);
        let credential = CredentialSetting::Fixed(app::auth::Credential {
            username: "partner".to_owned(),
            password: "responder".to_owned().into(),
        });
        Ok(
            HttpThumbtack::new(&legacy, thumbtack_credentials(&credential, sdk))?
                .with_v4_settings(
                    sdk,
                    DynamoStore::from_config(sdk, table),
                    v4,
                    app::metrics::Metrics::off(),
                )?,
        )
    }

    fn stop(self) {
        self.server.abort();
    }
}

/// The contract of a target, as its lead came.
fn contract_of(target: &str) -> Contract {
    if target == "v4" {
        Contract::V4
    } else {
        Contract::Legacy
    }
}

/// `sends` replies to each target through `thumbtack.send_reply`, alternating, each timed; round
/// 0 warms both and is not counted.
async fn time_sends(
    thumbtack: &HttpThumbtack,
    targets: &[(&str, &str, String, String); 2],
    sends: usize,
) -> Result<[Vec<Duration>; 2], Error> {
    let mut latencies: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for round in 0..=sends {
        for (i, (contract, business, lead, _)) in targets.iter().enumerate() {
            let took = send_timed(thumbtack, contract, business, lead, round).await?;
            if round > 0 {
                latencies[i].push(took);
            }
        }
    }
    Ok(latencies)
}

/// One reply of `round` to the `contract` target's lead through `thumbtack.send_reply`, timed.
async fn send_timed(
    thumbtack: &HttpThumbtack,
    contract: &str,
    business: &str,
    lead: &str,
    round: usize,
) -> Result<Duration, Error> {
    let text = format!("Send {round}: Tuesday at 10 works.");
    let started = Instant::now();
    thumbtack
        .send_reply(business, lead, &text, Some(contract_of(contract)))
        .await
        .map_err(|error| format!("the {contract} send failed: {error:?}"))?;
    Ok(started.elapsed())
}

/// p50, p90 and mean per contract, and v4's over legacy's.
fn print_table(
    targets: &[(&str, &str, String, String); 2],
    latencies: &mut [Vec<Duration>; 2],
) -> Result<(), Error> {
    println!("| contract | p50 | p90 | mean |\n|---|---|---|---|");
    let mut means = Vec::new();
    for ((contract, ..), latencies) in targets.iter().zip(latencies.iter_mut()) {
        latencies.sort();
        let mean = latencies.iter().sum::<Duration>() / u32::try_from(latencies.len())?;
        means.push((latencies[latencies.len() / 2], mean));
        println!(
            "| {contract} | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(latencies[latencies.len() / 2]),
            ms(latencies[latencies.len() * 9 / 10]),
            ms(mean)
        );
    }
    println!(
        "\nv4 / legacy: p50 {:.2}x, mean {:.2}x (target: within 1.10x)",
        ms(means[1].0) / ms(means[0].0),
        ms(means[1].1) / ms(means[0].1)
    );
    Ok(())
}

/// Whether the simulator echoes a sent v4 message to the business's webhooks.
async fn set_echo(http: &reqwest::Client, sim_url: &str, echo: bool) -> Result<(), Error> {
    let set = http
        .put(format!("{sim_url}/sim/settings"))
        .json(&json!({"echoSentMessages": echo}))
        .send()
        .await?;
    if !set.status().is_success() {
        return Err(format!("PUT /sim/settings answered {}", set.status()).into());
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How many sends to `path` the simulator has answered with a 2xx.
fn answered(sim: &Simulator, path: &str) -> usize {
    sim.log()
        .iter()
        .filter(|e| e.kind == "received" && e.method == "POST" && e.target == path)
        .filter(|e| e.status.is_some_and(|s| (200..300).contains(&s)))
        .count()
}

/// The simulator's pro connects: `POST /v1/connections`, the consent page approved, our callback.
async fn connect(http: &reqwest::Client, base: &str, sim: &Simulator) -> Result<(), Error> {
    let started: Value = http
        .post(format!("{base}/v1/connections"))
        .json(&json!({"reference": "bench-pro"}))
        .send()
        .await?
        .json()
        .await?;
    let link = started["authorizeURL"]
        .as_str()
        .ok_or("POST /v1/connections gave no authorizeURL")?;
    let back = sim.consent(link, Decision::Approve).await?;
    let status = http.get(&back).send().await?.status();
    if !status.is_success() {
        return Err(format!("the callback answered {status}").into());
    }
    Ok(())
}

async fn post_legacy_lead(http: &reqwest::Client, base: &str, id: &str) -> Result<(), Error> {
    let mut lead: Value = serde_json::from_str(fixtures::LEAD)?;
    lead["leadID"] = id.into();
    lead["business"]["businessID"] = LEGACY_BUSINESS.into();
    let answer = http
        .post(format!("{base}/v1/lead"))
        .basic_auth(bench::USERNAME, Some(bench::PASSWORD))
        .json(&lead)
        .send()
        .await?;
    if !answer.status().is_success() {
        return Err(format!("POST /v1/lead answered {}", answer.status()).into());
    }
    Ok(())
}

async fn wait_stored(http: &reqwest::Client, base: &str, lead: &str) -> Result<(), Error> {
    let started = Instant::now();
    while !http
        .get(format!("{base}/v1/leads/{lead}"))
        .send()
        .await?
        .status()
        .is_success()
    {
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("the v4 lead {lead} was not stored").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
