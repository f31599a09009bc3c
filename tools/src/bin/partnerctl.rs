//! Operator commands on the table, locally (AWS_ENDPOINT_URL set by `make`) or in AWS (with the
//! usual AWS credentials and TABLE_NAME).
//!
//!   partnerctl quarantine [--limit N] [--raw]   refused payloads, newest first
//!   partnerctl leads <businessID> [--limit N]   a business's leads, newest first

use adapters::config::Env;
use adapters::{DynamoStore, aws};
use app::LeadStore;
use std::process::ExitCode;
use tools::settings::DEFAULT_TABLE;

const USAGE: &str = "usage: partnerctl quarantine [--limit N] [--raw]\n       partnerctl leads <businessID> [--limit N]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("partnerctl: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let table = Env::process()
        .optional("TABLE_NAME")
        .unwrap_or_else(|| DEFAULT_TABLE.to_owned());
    let limit = flag_value(args, "--limit").unwrap_or(Ok(20))?;
    let store = DynamoStore::from_config(&aws::sdk_config().await, table);
    match args.first().map(String::as_str) {
        Some("quarantine") => {
            let show_raw = args.iter().any(|a| a == "--raw");
            let records = store.list_quarantine(limit).await?;
            println!("{} quarantined payload(s), newest first", records.len());
            for record in records {
                println!(
                    "- route={} digest={} deliveries={} first_received_at_ms={} last_received_at_ms={}",
                    record.route,
                    record.digest,
                    record.deliveries,
                    record.first_received_at_ms,
                    record.last_received_at_ms
                );
                for problem in &record.problems {
                    println!("    {}: {}", problem.path, problem.reason);
                }
                if show_raw {
                    println!("    raw: {}", String::from_utf8_lossy(&record.raw));
                }
            }
            Ok(())
        }
        Some("leads") => {
            let business = args.get(1).filter(|a| !a.starts_with("--")).ok_or(USAGE)?;
            for lead in store.business_leads(business, limit).await? {
                println!(
                    "{} createTimestamp={} {} / {}",
                    lead.lead_id, lead.create_timestamp, lead.category, lead.title
                );
            }
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

fn flag_value(args: &[String], flag: &str) -> Option<Result<usize, Box<dyn std::error::Error>>> {
    let position = args.iter().position(|a| a == flag)?;
    Some(
        args.get(position + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a number").into()),
    )
}
