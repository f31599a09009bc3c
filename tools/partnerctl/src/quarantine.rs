//! `partnerctl quarantine`: what was refused, and its replay through today's rules.

use adapters::DynamoStore;
use app::metrics::Metrics;
use app::ports::QuarantineDesk;
use app::ports::QuarantineRecord;
use app::replay::{self, ReplayError, Replayed};

/// Lists quarantined payloads, newest first, with their problems (and bodies with `--raw`).
pub async fn list(store: &DynamoStore, limit: usize, show_raw: bool) -> cli::Result {
    let records = store.list_quarantine(limit, None).await?.items;
    println!("{} quarantined payload(s), newest first", records.len());
    for record in records {
        let replayed = record.replay.as_ref().map_or_else(String::new, |note| {
            format!(" replayed={} replayed_at_ms={}", note.outcome, note.at_ms)
        });
        println!(
            "- route={} digest={} deliveries={} first_received_at_ms={} last_received_at_ms={}{replayed}",
            record.route,
            record.digest,
            record.deliveries,
            record.first_received_at_ms,
            record.last_received_at_ms
        );
        for problem in record.problems.listed() {
            println!("    {}: {}", problem.path, problem.reason);
        }
        let unlisted = record.problems.total() - record.problems.listed().len();
        if unlisted > 0 {
            println!("    ... and {unlisted} more");
        }
        if show_raw {
            println!("    raw: {}", String::from_utf8_lossy(&record.raw));
        }
    }
    Ok(())
}

/// Replays one quarantined payload (`digest`) or, with `None`, every one.
pub async fn replay(store: &DynamoStore, digest: Option<&str>) -> cli::Result {
    let metrics = Metrics::off();
    match digest {
        Some(digest) => {
            let now = app::now_millis();
            let replayed = replay::replay_digest(store, &metrics, digest, now).await?;
            println!("{}", line(digest, &replayed));
            Ok(())
        }
        None => {
            let mut counts = std::collections::BTreeMap::<String, usize>::new();
            replay::replay_all(store, &metrics, app::now_millis, |record, replayed| {
                println!("{}", outcome_line(record, replayed));
                let outcome = replayed
                    .as_ref()
                    .map_or("error", |replayed| match replayed {
                        Replayed::AlreadyTaken(_) => "already replayed",
                        other => other.outcome(),
                    });
                *counts.entry(outcome.to_owned()).or_default() += 1;
            })
            .await?;
            let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            println!("replayed the quarantine: {}", summary.join(", "));
            Ok(())
        }
    }
}

fn outcome_line(record: &QuarantineRecord, replayed: &Result<Replayed, ReplayError>) -> String {
    match replayed {
        Ok(replayed) => format!("{} route={}", line(&record.digest, replayed), record.route),
        Err(error) => format!("- {}: not replayed: {error}", record.digest),
    }
}

/// `- <digest>: stored`, `- <digest>: still refused (leadID: is required)`.
fn line(digest: &str, replayed: &Replayed) -> String {
    match replayed {
        Replayed::Taken(arrival) => format!("- {digest}: {}", arrival.as_str()),
        Replayed::Refused(problems) => {
            let paths: Vec<String> = problems
                .listed()
                .iter()
                .map(|p| format!("{}: {}", p.path, p.reason))
                .collect();
            format!("- {digest}: still refused ({})", paths.join("; "))
        }
        Replayed::TooLarge => format!("- {digest}: still too large"),
        Replayed::AlreadyTaken(note) => format!(
            "- {digest}: left alone, replayed before ({} at {} ms)",
            note.outcome, note.at_ms
        ),
    }
}
