//! `make reliability`: the fault-injection experiments at full size, printed as the tables of
//! docs/reliability.md. Needs the emulator (the make target starts one).

use adapters::aws;
use adapters::config::Env;
use harness::faults::{ALL_FAULTS, ThumbtackFault};
use harness::reliability::{
    ReplyReport, ReplyRun, StorageReport, StorageRun, reply_faults, secrets_of_the_runs,
    storage_faults,
};
use std::process::ExitCode;
use std::time::Duration;

/// Every log line of the run.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct Captured;

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    // The code under test logs as in Lambda (INFO and up, JSON); every line is kept and scanned
    // at the end for credentials and customer text.
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(|| Captured)
        .init();
    cli::exit("reliability", run().await)
}

async fn run() -> cli::Result {
    let env = Env::process();
    let endpoint = env.required("AWS_ENDPOINT_URL")?;
    let leads = usize::try_from(env.number("LEADS", 500)?)?;
    let replies = usize::try_from(env.number("REPLIES", 200)?)?;
    let sdk = aws::sdk_config().await;
    let stamp = app::now_millis();
    let mut good = true;
    // MIX=<n> runs only the n-th reply experiment (for investigating one).
    let only = env.optional("MIX").and_then(|m| m.parse::<usize>().ok());

    println!(
        "Storage faults: {leads} leads and {} messages, concurrency 16, Thumbtack retrying every non-2xx\n",
        leads * 2
    );
    println!("{}", StorageReport::HEADER);
    for share in [0.10, 0.50] {
        if only.is_some() {
            continue;
        }
        let run = StorageRun {
            leads,
            messages_per_lead: 2,
            share,
            kinds: ALL_FAULTS.to_vec(),
            concurrency: 16,
            max_deliveries: 100,
        };
        let table = format!("reliability-storage-{}-{stamp}", (share * 100.0) as u32);
        let report = storage_faults(&run, &sdk, &endpoint, &table).await?;
        println!("{}", report.row());
        good &= report.acknowledged_but_missing == 0
            && report.stored_twice == 0
            && report.stored_differently == 0;
    }

    println!(
        "\nThumbtack faults on the reply path: {replies} replies across 20 leads, client timeout 300 ms, 5 tries per reply (maxReceiveCount 100)\n"
    );
    println!("{}", ReplyReport::HEADER);
    let mixes = [
        (
            0.30,
            vec![
                ThumbtackFault::Unavailable,
                ThumbtackFault::TooManyRequests,
                ThumbtackFault::SlowBeforeTaking,
                ThumbtackFault::Reset,
            ],
        ),
        (
            0.60,
            vec![
                ThumbtackFault::Unavailable,
                ThumbtackFault::TooManyRequests,
                ThumbtackFault::SlowBeforeTaking,
                ThumbtackFault::Reset,
            ],
        ),
        (0.30, vec![ThumbtackFault::SlowAfterTaking]),
    ];
    for (index, (share, kinds)) in mixes.into_iter().enumerate() {
        if only.is_some_and(|o| o != index) {
            continue;
        }
        let slow_after = kinds.contains(&ThumbtackFault::SlowAfterTaking);
        let run = ReplyRun {
            replies,
            leads: 20,
            share,
            kinds,
            client_timeout: Duration::from_millis(300),
            max_attempts: 5,
            limit: Duration::from_secs(300),
        };
        let table = format!("reliability-replies-{index}-{stamp}");
        let report = reply_faults(&run, &sdk, &table).await?;
        println!("{}", report.row());
        if report.unfinished > 0 {
            eprintln!(
                "{}",
                harness::reliability::describe_unfinished(&sdk, &table, replies).await?
            );
        }
        good &=
            report.unfinished == 0 && report.sent_not_taken == 0 && report.leads_out_of_order == 0;
        good &= if slow_after {
            report.extra_takes as u64 <= report.slow_after_taking
        } else {
            report.taken_twice == 0 && report.failed_but_taken == 0
        };
    }
    let logs = String::from_utf8_lossy(
        &LOGS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_owned();
    let lines = logs.lines().count();
    let secrets = secrets_of_the_runs();
    let leaks: Vec<&str> = logs
        .lines()
        .filter(|line| secrets.iter().any(|secret| line.contains(secret.as_str())))
        .collect();
    println!(
        "\nLogs of these runs: {lines} lines (INFO and up) scanned; lines with a credential or customer text: {}",
        leaks.len()
    );
    for leak in leaks.iter().take(3) {
        println!("  {leak}");
    }
    good &= leaks.is_empty() && lines > 0;
    if !good {
        return Err("AN INVARIANT FAILED: see the figures above".into());
    }
    println!("\nreliability: all invariants held");
    Ok(())
}
