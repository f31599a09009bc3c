//! Operator commands, locally (`make` sets AWS_ENDPOINT_URL) or in AWS (the usual AWS credentials,
//! with TABLE_NAME, REPLY_QUEUE_URL and REPLY_DLQ_URL from the stack's outputs).
//!
//!   partnerctl reply --lead L --business B --text T [--reply-id R]   enqueue a pro's reply
//!   partnerctl parked [--limit N]                                    show parked replies (DLQ)
//!   partnerctl redrive [--limit N]                                   move parked replies back
//!   partnerctl quarantine [--limit N] [--raw]                        refused inbound payloads
//!   partnerctl quarantine replay <digest> | --all                    run them through today's rules
//!   partnerctl refused [--limit N]                                   refused deliveries, counted
//!   partnerctl business show <businessID>                           speed-to-lead settings
//!   partnerctl business set <businessID> FILE|-|--ack on|off         change them
//!   partnerctl leads <businessID> [--limit N]                        a business's leads
//!   partnerctl connections list [--limit N]                          pros' v4 connections
//!   partnerctl connections show <userID>                             a pro's v4 connection
//!   partnerctl connections sync <userID>                             its businesses listed again
//!   partnerctl connections remove <userID>                           disconnect the pro
//!   partnerctl events [--follow]                                     events on the events queue

use adapters::aws::{self, SdkConfig};
use adapters::config::Env;
use adapters::dynamo::{CreatedWindow, Listings};
use adapters::{DynamoStore, SqsReplyQueue};
use models::ReplyRequest;
use std::process::ExitCode;

mod business;
mod connections;
mod quarantine;

const USAGE: &str = "usage: partnerctl reply --lead L --business B --text T [--reply-id R]
       partnerctl parked [--limit N]
       partnerctl redrive [--limit N]
       partnerctl quarantine [--limit N] [--raw]
       partnerctl quarantine replay <digest> | --all
       partnerctl refused [--limit N]
       partnerctl business show <businessID>
       partnerctl business set <businessID> FILE|-|--ack on|off
       partnerctl leads <businessID> [--limit N]
       partnerctl connections list [--limit N]
       partnerctl connections show <userID>
       partnerctl connections sync|remove <userID>
       partnerctl events [--follow]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::exit("partnerctl", run(&args).await)
}

async fn run(args: &[String]) -> cli::Result {
    // Locally the README's defaults name the table and queue; in AWS, the stack's outputs.
    let env = cli::local::env(Env::process());
    let limit = match flag(args, "--limit") {
        Some(text) => text.parse().map_err(|_| "--limit needs a number")?,
        None => 20,
    };
    let sdk = aws::sdk_config().await;
    if args.first().map(String::as_str) == Some("events") {
        return events(&env, &sdk, args.iter().any(|a| a == "--follow")).await;
    }
    let table = env.required("TABLE_NAME")?;
    match args.first().map(String::as_str) {
        Some("reply") => {
            let reply = ReplyRequest {
                reply_id: flag(args, "--reply-id")
                    .map_or_else(|| format!("reply-{}", now_millis()), str::to_owned),
                business_id: flag(args, "--business").ok_or(USAGE)?.to_owned(),
                lead_id: flag(args, "--lead").ok_or(USAGE)?.to_owned(),
                text: flag(args, "--text").ok_or(USAGE)?.to_owned(),
            };
            // The consumer validates too; refusing here saves a trip to the DLQ.
            let body = serde_json::to_vec(&reply)?;
            if let Err(invalid) = ReplyRequest::parse(&body) {
                return Err(format!("invalid reply: {}", invalid.paths().join(", ")).into());
            }
            let message_id = queue(&env, &sdk).await?.enqueue(&reply).await?;
            println!(
                "enqueued reply {} for lead {} (SQS message {message_id})",
                reply.reply_id, reply.lead_id
            );
            Ok(())
        }
        Some("parked") => {
            let parked = queue(&env, &sdk).await?.peek_parked(limit).await?;
            println!(
                "{} parked message(s) shown (at most 10 per call)",
                parked.len()
            );
            for message in &parked {
                println!("{}", parked_line(message));
            }
            Ok(())
        }
        Some("redrive") => {
            let moved = queue(&env, &sdk).await?.redrive(limit).await?;
            println!("moved {moved} parked message(s) back to the reply queue");
            Ok(())
        }
        Some("quarantine") => {
            let store = DynamoStore::from_config(&sdk, table);
            match args.get(1).map(String::as_str) {
                Some("replay") => match args.get(2).map(String::as_str) {
                    Some("--all") => quarantine::replay(&store, None).await,
                    Some(digest) if !digest.starts_with("--") => {
                        quarantine::replay(&store, Some(digest)).await
                    }
                    _ => Err(USAGE.into()),
                },
                _ => quarantine::list(&store, limit, args.iter().any(|a| a == "--raw")).await,
            }
        }
        Some("refused") => {
            let store = DynamoStore::from_config(&sdk, table);
            let counts = app::ports::RefusalLog::refusals(&store, limit).await?;
            println!(
                "{} refusal count(s), newest minute first (kept {} days)",
                counts.len(),
                app::ports::refusals::REFUSALS_KEPT_DAYS
            );
            for count in &counts {
                println!("{}", refusal_line(count));
            }
            Ok(())
        }
        Some("business") => {
            let store = DynamoStore::from_config(&sdk, table);
            match (args.get(1).map(String::as_str), args.get(2)) {
                (Some("show"), Some(business_id)) => business::show(&store, business_id).await,
                (Some("set"), Some(business_id)) => {
                    business::set(&store, business_id, &args[3..]).await
                }
                _ => Err(USAGE.into()),
            }
        }
        Some("connections") => match (args.get(1).map(String::as_str), args.get(2)) {
            (Some("show"), Some(user_id)) => {
                connections::show(&DynamoStore::from_config(&sdk, table), user_id).await
            }
            (Some("list"), _) => {
                connections::list(&DynamoStore::from_config(&sdk, table), limit).await
            }
            // The API (BASE_URL, else the local stack's DEV_ADDR) calls Thumbtack.
            (Some("sync"), Some(user_id)) => {
                let path = format!("/v1/connections/{user_id}/sync");
                let base = cli::local::base_url(&env);
                connections::ask_api(&base, &sdk, http::Method::POST, &path).await
            }
            (Some("remove"), Some(user_id)) => {
                let path = format!("/v1/connections/{user_id}");
                let base = cli::local::base_url(&env);
                connections::ask_api(&base, &sdk, http::Method::DELETE, &path).await
            }
            _ => Err(USAGE.into()),
        },
        Some("leads") => {
            let business = args.get(1).filter(|a| !a.starts_with("--")).ok_or(USAGE)?;
            let store = DynamoStore::from_config(&sdk, table);
            for lead in store
                .business_leads(business, CreatedWindow::default(), limit, None)
                .await?
                .items
            {
                println!(
                    "{} createTimestamp={} {} / {}",
                    lead.lead_id,
                    lead.create_timestamp,
                    lead.category.as_deref().unwrap_or("-"),
                    lead.title.as_deref().unwrap_or("-")
                );
            }
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

/// The reply queue: REPLY_QUEUE_URL and REPLY_DLQ_URL, or looked up by REPLY_QUEUE_NAME.
async fn queue<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    sdk: &SdkConfig,
) -> cli::Result<SqsReplyQueue> {
    if let (Some(queue_url), Some(dlq_url)) = (
        env.optional("REPLY_QUEUE_URL"),
        env.optional("REPLY_DLQ_URL"),
    ) {
        return Ok(SqsReplyQueue::from_config(sdk, queue_url, dlq_url));
    }
    let name = env.required("REPLY_QUEUE_NAME")?;
    SqsReplyQueue::by_name(sdk, &name)
        .await
        .map_err(|e| cli::context(format!("queue {name} not found"), e))
}

/// Unix milliseconds: the default replyID's suffix.
fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis())
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let position = args.iter().position(|a| a == name)?;
    args.get(position + 1).map(String::as_str)
}

/// Prints one line per event on the events queue (EVENTS_QUEUE_URL, else the queue named
/// EVENTS_QUEUE_NAME) and takes it off the queue; with `--follow`, until interrupted.
async fn events<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    sdk: &SdkConfig,
    follow: bool,
) -> cli::Result {
    use adapters::events_queue::EventsQueue;
    let queue = match env.optional("EVENTS_QUEUE_URL") {
        Some(url) => EventsQueue::at(sdk, url),
        None => EventsQueue::by_name(sdk, &env.required("EVENTS_QUEUE_NAME")?).await?,
    };
    loop {
        let received = queue.receive(std::time::Duration::from_secs(2)).await?;
        for event in &received {
            println!("{}", event_line(&event.detail_type, &event.detail));
        }
        queue.delete(&received).await?;
        if received.is_empty() && !follow {
            return Ok(());
        }
    }
}

/// `- reply r-42 (lead 2996...): <reason>`: a parked reply named as its sender knows it, by its
/// replyID; a message that is no reply at all by its SQS message id.
fn parked_line(message: &adapters::sqs::ParkedMessage) -> String {
    let reason = message
        .reason
        .as_deref()
        .unwrap_or("moved by the queue after maxReceiveCount");
    let body: serde_json::Value = serde_json::from_str(&message.body).unwrap_or_default();
    match (body["replyID"].as_str(), body["leadID"].as_str()) {
        (Some(reply_id), Some(lead_id)) => {
            format!("- reply {reply_id} (lead {lead_id}): {reason}")
        }
        (Some(reply_id), None) => format!("- reply {reply_id}: {reason}"),
        _ => format!(
            "- SQS message {} (not a reply): {reason}",
            message.message_id
        ),
    }
}

/// `2026-11-27T09:30  lead  401  wrong_credentials  credentials=yes  count=3`: one minute of
/// one kind of refusal (UTC).
fn refusal_line(count: &app::ports::RefusalCount) -> String {
    let presented = if count.credentials_presented {
        "yes"
    } else {
        "no"
    };
    format!(
        "{}  {:<12} {}  {:<22} credentials={presented:<4} count={}",
        count.minute, count.route, count.status, count.reason, count.count
    )
}

/// `Lead Received  leadID=... businessID=... messageID=... eventID=...`: the ids an event names.
fn event_line(detail_type: &str, detail: &serde_json::Value) -> String {
    let mut line = format!("{detail_type:<20}");
    for key in [
        "leadID",
        "businessID",
        "messageID",
        "reviewID",
        "replyID",
        "revisionID",
        "route",
        "leadKnown",
        "status",
        "eventID",
    ] {
        if let Some(value) = detail.get(key) {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            line.push_str(&format!(" {key}={value}"));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::event_line;

    fn parked(body: &str, reason: Option<&str>) -> adapters::sqs::ParkedMessage {
        adapters::sqs::ParkedMessage {
            message_id: "0f6c-sqs-id".to_owned(),
            reason: reason.map(str::to_owned),
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_parked_reply_is_named_by_its_reply_id_and_lead() {
        let body = r#"{"replyID":"r-42","businessID":"b-1","leadID":"l-1","text":"Hi!"}"#;
        assert_eq!(
            super::parked_line(&parked(body, Some("Thumbtack answered 400"))),
            "- reply r-42 (lead l-1): Thumbtack answered 400"
        );
    }

    #[test]
    fn a_parked_message_that_is_no_reply_is_named_by_its_sqs_id() {
        assert_eq!(
            super::parked_line(&parked("not json", None)),
            "- SQS message 0f6c-sqs-id (not a reply): moved by the queue after maxReceiveCount"
        );
    }

    #[test]
    fn an_event_is_one_line_of_its_type_and_ids() {
        let detail = serde_json::json!({"leadID": "l-1", "businessID": "b-1", "leadKnown": false, "eventID": "e", "city": "San Jose"});
        assert_eq!(
            event_line("Message Received", &detail),
            "Message Received     leadID=l-1 businessID=b-1 leadKnown=false eventID=e"
        );
    }
}
