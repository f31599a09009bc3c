//! `make bench` (cold start): every function beside a by-hand baseline that makes the same calls
//! in the same order, each started cold under our Runtime API with its first event already
//! waiting, timed from `spawn` to its first answer (on a cold start the request waits for init
//! and the invocation together). Side by side: the runs take turns, binary after binary, so a
//! busy moment of the machine falls on all of them.
//!
//! A baseline (`baseline-<function>`, `tools/bench/src/bin/`) is what a user writes from the
//! runtime's examples: `lambda_http` or `lambda_runtime`, the default `aws_config::load_from_env`,
//! the function's secret read in init (`AWSCURRENT`) if it has one, and the AWS calls the function
//! makes for the same event, one after the other. Before the timed runs every binary starts once
//! through a recording proxy (`bench::calls`), and the calls each made are printed: the table
//! says whether a function and its baseline made the same ones (warm-ups aside).
//!
//! Two floors stay beside them: `putitem-lambda` (one `PutItem` per request, the previous
//! target's baseline) and `hello-lambda`, which calls nothing. Each start gets a fresh table
//! (moto's transactions copy the whole table: a growing one would slow the later runs). The
//! functions read their credentials from Secrets Manager, as deployed (`infra/template.yaml`).
//!
//! Each binary runs on a whole core of this machine unless `COLDSTART_CPU_MB` holds it to the
//! CPU Lambda gives a function of that memory (`bench::cpu`), from its spawn or, with
//! `COLDSTART_CPU_FROM=invocation`, from its first invocation. Every table gives the CPU time
//! each binary used in init and in its first invocation. `COLDSTART_TLS=1` serves every AWS call
//! over HTTPS, an endpoint per service, as AWS does (`endpoints`).

mod binaries;
mod endpoints;
mod events;

use adapters::config::Env;
use adapters::provision::{drop_table, ensure_bus, ensure_table};
use adapters::{DynamoStore, aws};
use bench::calls::{self, CallLog, Recorder};
use bench::cpu::{self, CpuShare};
use bench::{PASSWORD, USERNAME, percentile};
use binaries::{
    FLOORS, FUNCTIONS, V4_WEBHOOK, baseline_of, binary_of, function_of, release_binary, rows,
};
use endpoints::Endpoints;
use events::{answered, connect, environment, event, speed_lead_id, store_lead};
use fixtures::LEAD;
use harness::runtime_api::RuntimeApi;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cli::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::exit("coldstart", run().await)
}

/// The target: a function's median at most this share of its baseline's.
const TARGET: f64 = 0.8;

/// What every start shares: the emulator, the secrets, the bus, Thumbtack's stand-in.
struct Shared {
    endpoints: Endpoints,
    partner_secret: String,
    thumbtack_secret: String,
    thumbtack: String,
    bus: String,
    log: CallLog,
    /// COLDSTART_CPU_MB: every binary held to the CPU of a Lambda function of that memory.
    cpu: Option<CpuShare>,
    /// COLDSTART_CPU_FROM=invocation: init on a whole core, the share from the first event on.
    cpu_from_invocation: bool,
    /// COLDSTART_BASELINES: where the baselines and floors are, built as a user's project is.
    by_hand: Option<std::path::PathBuf>,
}

/// One cold start: the event waits before the process exists; returns the time from `spawn` to
/// the first `next` and to the first answer, and the second invocation's time.
struct Start {
    init: Duration,
    first_answer: Duration,
    second: Duration,
    /// CPU time used in init (to the first `next`) and in the first invocation.
    init_cpu: Duration,
    first_cpu: Duration,
    /// The calls it made up to a moment after its first answer (through the recorder only).
    calls: Vec<calls::Call>,
}

async fn cold_start(
    name: &str,
    run: usize,
    shared: &Shared,
    sdk: &aws::SdkConfig,
) -> Result<Start, Error> {
    let table = format!("coldstart-{}-{name}-{run}", app::now_millis());
    ensure_table(sdk, &table).await?;
    let store = DynamoStore::from_config(sdk, &table);
    if matches!(function_of(name), "partner-api" | "reply-outbound") {
        // The lead the event asks about, or the lead the reply answers (its first reply).
        store_lead(&store, LEAD).await?;
    }
    if function_of(name) == V4_WEBHOOK {
        connect(&store).await?;
    }
    if function_of(name) == "speed-to-lead" {
        for n in [run * 2, run * 2 + 1] {
            let mut lead: Value = serde_json::from_str(LEAD)?;
            lead["leadID"] = json!(speed_lead_id(&table, n));
            // Created now: a new lead gets its unanswered check (an old one is only noted).
            lead["createTimestamp"] = json!((app::now_millis() / 1000).to_string());
            store_lead(&store, &lead.to_string()).await?;
        }
    }
    let (first, second) = (
        event(name, run * 2, &table)?,
        event(name, run * 2 + 1, &table)?,
    );
    let runtime = RuntimeApi::start().await?;
    let binary = release_binary(binary_of(name), shared.by_hand.as_deref())?;
    let configure = |command: &mut tokio::process::Command| {
        command
            .env_clear()
            .envs(environment(name, &table, shared))
            .env("AWS_LAMBDA_RUNTIME_API", &runtime.address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
    };
    shared.log.take();
    let limiter = match &shared.cpu {
        Some(cpu) if shared.cpu_from_invocation => {
            cpu.limit(false)?;
            Some(cpu.limiter())
        }
        _ => None,
    };
    let (mut child, started) = match &shared.cpu {
        Some(cpu) => cpu.spawn(&binary, configure).await?,
        None => {
            let mut command = tokio::process::Command::new(binary);
            configure(&mut command);
            let started = Instant::now();
            (command.spawn()?, started)
        }
    };
    // At the first `next`, before the event: the CPU init used, then the quota if it waited.
    let pid = child.id().ok_or("the child has no pid")?;
    let init_cpu = Arc::new(Mutex::new(None));
    let noted = Arc::clone(&init_cpu);
    runtime.before_first_event(move || {
        *noted.lock().unwrap_or_else(PoisonError::into_inner) = cpu::used_by(pid);
        if let Some(limit) = limiter {
            limit();
        }
    });
    let answer = runtime.invoke(first).await;
    let first_answer = started.elapsed();
    let first_cpu = cpu::used_by(pid);
    answered(name, answer)?;
    let init = runtime
        .first_poll(Duration::ZERO)
        .await
        .ok_or("answered without polling")?
        .duration_since(started);
    // A background warm-up may still be out: the calls of the cold start are those noted by
    // now, a moment after its answer.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let calls = shared.log.take();
    let sent = Instant::now();
    answered(name, runtime.invoke(second).await)?;
    let second = sent.elapsed();
    let _ = child.kill().await;
    drop_table(sdk, &table).await;
    let init_cpu = *init_cpu.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(Start {
        init,
        first_answer,
        second,
        init_cpu: init_cpu.unwrap_or_default(),
        first_cpu: first_cpu
            .zip(init_cpu)
            .map(|(all, init)| all.saturating_sub(init))
            .unwrap_or_default(),
        calls,
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
    let log = CallLog::default();
    let (thumbtack, _stand_in) = calls::thumbtack(log.clone()).await?;
    let bus = format!("coldstart-{stamp}");
    // A bus without rules. EventBridge answers `PutEvents` before it delivers to any target;
    // moto delivers inline, and spends about 80 ms per target building JSONPath parsers
    // (`EventTemplateParser`): a cost of the emulator, not of the function.
    ensure_bus(&sdk, &bus).await?;
    let mut shared = Shared {
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
        endpoints: Endpoints::new(
            env.optional("COLDSTART_TLS").is_some(),
            &std::env::temp_dir().join(format!("coldstart-{stamp}")),
        )?,
        thumbtack,
        bus,
        log,
        cpu: env
            .optional("COLDSTART_CPU_MB")
            .map(|mb| -> Result<_, Error> { CpuShare::of_memory(mb.parse()?) })
            .transpose()?,
        by_hand: env.optional("COLDSTART_BASELINES").map(Into::into),
        cpu_from_invocation: match env.optional("COLDSTART_CPU_FROM").as_deref() {
            None | Some("spawn") => false,
            Some("invocation") => true,
            Some(other) => {
                return Err(
                    format!("COLDSTART_CPU_FROM is spawn or invocation, not {other}").into(),
                );
            }
        },
    };
    // COLDSTART_ONLY=a,b: only those binaries (a quick look; the table needs them all).
    let only = env.optional("COLDSTART_ONLY");
    let rows: Vec<_> = rows()
        .into_iter()
        .filter(|(name, _)| {
            only.as_ref()
                .is_none_or(|only| only.split(',').any(|o| o == name))
        })
        .collect();

    // One start of each through the recording proxy: the calls each makes, in order.
    let recorder = Recorder::start(&endpoint, shared.log.clone()).await?;
    shared.endpoints.route_to(&recorder.url).await?;
    // Five recorded starts each, taking turns: the calls of the first, the median count of
    // connections opened.
    let recorded = 5;
    let mut made = Vec::new();
    let mut opened: Vec<Vec<usize>> = rows.iter().map(|_| Vec::new()).collect();
    for n in 0..recorded {
        for ((name, _), opened) in rows.iter().zip(&mut opened) {
            let calls = cold_start(name, runs + n, &shared, &sdk).await?.calls;
            opened.push(calls::connections(&calls));
            if n == 0 {
                made.push(calls);
            }
        }
    }
    shared.endpoints.route_to(&endpoint).await?;
    drop(recorder);
    // COLDSTART_CALL_TIMES=1: each call of the first recorded start, from spawn, in ms.
    if env.optional("COLDSTART_CALL_TIMES").is_some() {
        for ((name, _), calls) in rows.iter().zip(&made) {
            let zero = calls.first().map(|c| c.start).unwrap_or_default();
            for call in calls {
                println!(
                    "{name}: {:>7.2} to {:>7.2}  {} (connection {})",
                    (call.start - zero).as_secs_f64() * 1000.0,
                    (call.end - zero).as_secs_f64() * 1000.0,
                    call.label,
                    call.connection
                );
            }
        }
    }
    println!("Calls of a cold start to its first answer, in order (`&`: made concurrently)\n");
    println!("| binary | calls | connections opened (median of {recorded} starts) |");
    println!("|---|---|---|");
    for (((name, _), calls), opened) in rows.iter().zip(&made).zip(&mut opened) {
        opened.sort_unstable();
        println!(
            "| {name} | {} | {} |",
            calls::sequence(calls),
            opened[opened.len() / 2]
        );
    }

    // COLDSTART_LATENCY_MS=n: every AWS call held n ms at a proxy (`Recorder::with_latency`),
    // so that calls made at once overlap as they do in AWS and not on moto.
    let latency = Duration::from_millis(env.number("COLDSTART_LATENCY_MS", 0)?);
    let _held = if latency.is_zero() {
        None
    } else {
        let held = Recorder::with_latency(&endpoint, CallLog::default(), latency).await?;
        shared.endpoints.route_to(&held.url).await?;
        Some(held)
    };
    let mut starts: Vec<Vec<Start>> = rows.iter().map(|_| Vec::new()).collect();
    for run in 0..runs {
        for ((name, _), starts) in rows.iter().zip(&mut starts) {
            starts.push(cold_start(name, run, &shared, &sdk).await?);
        }
    }

    let mut held = if latency.is_zero() {
        String::new()
    } else {
        format!(", every AWS call held {} ms", latency.as_millis())
    };
    if shared.endpoints.tls() {
        held.push_str(", AWS over HTTPS, an endpoint per service");
    }
    if let Some(dir) = &shared.by_hand {
        held.push_str(&format!(
            ", baselines and floors from {} (built as a user's project is)",
            dir.display()
        ));
    }
    if let Some(cpu) = &shared.cpu {
        held.push_str(&format!(
            ", each binary held to the CPU of a {} MB function ({} µs every 20 ms) from its {}",
            cpu.memory_mb,
            cpu.quota_us(),
            if shared.cpu_from_invocation {
                "first invocation"
            } else {
                "spawn"
            }
        ));
    }
    println!(
        "\nCold start: spawn to the first answer (init and first invocation), {runs} starts each, taking turns (release builds{held}, ms)\n"
    );
    let medians = print_times(&rows, &starts);
    print_ratios(&rows, &medians, &made);
    Ok(())
}

/// The table of times and CPU of every binary; each one's median first answer.
fn print_times(rows: &[(String, &str)], starts: &[Vec<Start>]) -> HashMap<String, Duration> {
    println!(
        "| binary | first event | spawn to first answer, median | p10 to p90 | init (spawn to first `next`) | second invocation | CPU used: init / first invocation |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut medians = HashMap::new();
    for ((name, event), starts) in rows.iter().zip(starts) {
        let sorted = |pick: fn(&Start) -> Duration| {
            let mut all: Vec<Duration> = starts.iter().map(pick).collect();
            all.sort();
            all
        };
        let totals = sorted(|s| s.first_answer);
        let median = percentile(&totals, 0.5);
        medians.insert(name.clone(), median);
        println!(
            "| {name} | {event} | {} | {} to {} | {} | {} | {} / {} |",
            ms(median),
            ms(percentile(&totals, 0.1)),
            ms(percentile(&totals, 0.9)),
            ms(percentile(&sorted(|s| s.init), 0.5)),
            ms(percentile(&sorted(|s| s.second), 0.5)),
            ms(percentile(&sorted(|s| s.init_cpu), 0.5)),
            ms(percentile(&sorted(|s| s.first_cpu), 0.5)),
        );
    }
    medians
}

/// Each function's median over its baseline's, whether they made the same calls, and the floors.
fn print_ratios(
    rows: &[(String, &str)],
    medians: &HashMap<String, Duration>,
    made: &[Vec<calls::Call>],
) {
    println!("\nEach function against its baseline (target: at most {TARGET}x)\n");
    println!(
        "| function | baseline median | function median | ratio | target | same calls as the baseline (warm-ups aside) |"
    );
    println!("|---|---|---|---|---|---|");
    let calls_of = |binary: &str| {
        rows.iter()
            .position(|(name, _)| name == binary)
            .map(|i| made[i].clone())
            .unwrap_or_default()
    };
    for (function, _) in FUNCTIONS {
        let baseline = baseline_of(function);
        let (Some(theirs), Some(ours)) = (medians.get(&baseline), medians.get(function)) else {
            continue;
        };
        let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
        let (mine, its) = (calls_of(function), calls_of(&baseline));
        let same = if calls::same_work(&mine, &its) {
            "yes".to_owned()
        } else {
            format!(
                "no: {} / {}",
                calls::sequence(&calls::work(&mine)),
                calls::sequence(&calls::work(&its))
            )
        };
        println!(
            "| {function} | {} | {} | {ratio:.2} | {} | {same} |",
            ms(*theirs),
            ms(*ours),
            if ratio <= TARGET { "met" } else { "missed" },
        );
    }
    for (floor, _) in FLOORS {
        if let (Some(median), Some(putitem)) = (medians.get(floor), medians.get("putitem-lambda")) {
            println!(
                "| ({floor}, floor) | {} | {} | {:.2} of putitem-lambda | | |",
                ms(*putitem),
                ms(*median),
                median.as_secs_f64() / putitem.as_secs_f64()
            );
        }
    }
}
