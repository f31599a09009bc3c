//! What a binary starts with: Lambda's environment as the template sets it, the table's data its
//! event is about, its events, and whether its answer is a success.

use adapters::DynamoStore;
use fixtures::events::{DYNAMODB_STREAM, HTTP_POST, REST_GET, REST_POST, SQS_FIFO_REPLIES};
use fixtures::{LEAD, MESSAGE};
use harness::runtime_api::Answer;
use serde_json::{Value, json};

use super::Shared;
use super::binaries::{V4_BUSINESS, V4_SECRET, V4_WEBHOOK, function_of};
use cli::Error;

/// Lambda's environment for `name`, and what our template sets for it.
pub(super) fn environment(name: &str, table: &str, shared: &Shared) -> Vec<(&'static str, String)> {
    let endpoint = shared.endpoints.sqs();
    let mut env = vec![
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("TABLE_NAME", table.to_owned()),
    ];
    env.extend(shared.endpoints.environment());
    match function_of(name) {
        "lead-inbound" | "message-inbound" | V4_WEBHOOK => {
            env.push((
                "PARTNER_CREDENTIALS_SECRET_ARN",
                shared.partner_secret.clone(),
            ));
        }
        "reply-outbound" => env.extend([
            (
                "THUMBTACK_CREDENTIALS_SECRET_ARN",
                shared.thumbtack_secret.clone(),
            ),
            ("THUMBTACK_API_BASE_URL", shared.thumbtack.clone()),
            (
                "REPLY_QUEUE_URL",
                format!("{endpoint}/123456789012/coldstart.fifo"),
            ),
            (
                "REPLY_DLQ_URL",
                format!("{endpoint}/123456789012/coldstart-dlq.fifo"),
            ),
        ]),
        // The list routes' cursor key (a generated secret in the template).
        "partner-api" => env.push(("CURSOR_KEY", "coldstart bench cursor key".to_owned())),
        "events-out" => env.push(("EVENT_BUS_NAME", shared.bus.clone())),
        "speed-to-lead" => env.extend([
            (
                "REPLY_QUEUE_URL",
                format!("{endpoint}/123456789012/coldstart.fifo"),
            ),
            ("SCHEDULE_GROUP", "default".to_owned()),
            (
                "SCHEDULER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/coldstart".to_owned(),
            ),
            (
                "SCHEDULE_DEAD_LETTER_ARN",
                "arn:aws:sqs:us-east-1:123456789012:coldstart-failed".to_owned(),
            ),
        ]),
        _ => {}
    }
    env
}

fn authorized(mut event: Value) -> Value {
    let header = "Basic dGh1bWJ0YWNrOmJlbmNoLXBhc3N3b3Jk"; // thumbtack:bench-password
    event["headers"]["Authorization"] = json!(header);
    event["multiValueHeaders"]["Authorization"] = json!([header]);
    event
}

/// The lead speed-to-lead's `n`th event is about: stored before the start, unique to `table`
/// (moto keeps schedules, named after the lead, while it runs).
pub(super) fn speed_lead_id(table: &str, n: usize) -> String {
    format!("{table}-{n}")
}

/// The `n`th event for `name` (of the start with `table`): new ids each time, so every one is a
/// first delivery.
pub(super) fn event(name: &str, n: usize, table: &str) -> Result<Value, Error> {
    Ok(match function_of(name) {
        "putitem-lambda" | "hello-lambda" | "lead-inbound" => {
            let mut lead: Value = serde_json::from_str(LEAD)?;
            lead["leadID"] = json!(format!("coldstart-{n}"));
            let mut event = authorized(serde_json::from_str(REST_POST)?);
            event["body"] = json!(lead.to_string());
            event
        }
        "message-inbound" => {
            let mut message: Value = serde_json::from_str(MESSAGE)?;
            message["message"]["messageID"] = json!(format!("coldstart-message-{n}"));
            let mut event = authorized(serde_json::from_str(REST_POST)?);
            event["path"] = json!("/v1/message");
            event["resource"] = json!("/v1/message");
            event["requestContext"]["path"] = json!("/Prod/v1/message");
            event["requestContext"]["resourcePath"] = json!("/v1/message");
            event["body"] = json!(message.to_string());
            event
        }
        V4_WEBHOOK => {
            let mut delivery: Value = serde_json::from_str(fixtures::v4::NEGOTIATION_CREATED)?;
            delivery["data"]["negotiationID"] = json!(format!("coldstart-v4-{n}"));
            let business = V4_BUSINESS;
            let path = format!("/v4/webhooks/{business}");
            let mut event: Value = serde_json::from_str(HTTP_POST)?;
            event["routeKey"] = json!("POST /v4/webhooks/{businessID}");
            event["requestContext"]["routeKey"] = json!("POST /v4/webhooks/{businessID}");
            event["rawPath"] = json!(path);
            event["requestContext"]["http"]["path"] = json!(path);
            event["pathParameters"] = json!({"businessID": business});
            event["headers"] = json!({
                "content-type": "application/json",
                app::connections::WEBHOOK_SECRET_HEADER: V4_SECRET,
            });
            event["body"] = json!(delivery.to_string());
            event["isBase64Encoded"] = json!(false);
            event
        }
        "partner-api" => serde_json::from_str(REST_GET)?,
        "reply-outbound" => {
            let mut event: Value = serde_json::from_str(SQS_FIFO_REPLIES)?;
            let mut record = event["Records"][0].take();
            record["body"] = json!(
                json!({
                    "replyID": format!("coldstart-reply-{n}"),
                    "businessID": fixtures::BUSINESS_ID,
                    "leadID": fixtures::LEAD_ID,
                    "text": "Thanks, I can come on Tuesday."
                })
                .to_string()
            );
            event["Records"] = json!([record]);
            event
        }
        "events-out" => {
            let mut event: Value = serde_json::from_str(DYNAMODB_STREAM)?;
            let lead = event["Records"][0].take();
            event["Records"] = json!([lead]);
            event
        }
        "speed-to-lead" => json!({
            "version": "0",
            "id": format!("coldstart-{n}"),
            "detail-type": app::events::DetailType::LeadReceived.as_str(),
            "source": app::events::SOURCE,
            "account": "123456789012",
            "time": "2026-12-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"leadID": speed_lead_id(table, n), "businessID": fixtures::BUSINESS_ID},
        }),
        other => return Err(format!("no event for {other}").into()),
    })
}

pub(super) fn answered(name: &str, answer: Option<Answer>) -> Result<(), Error> {
    match answer {
        Some(Answer::Response(response))
            if response["statusCode"]
                .as_u64()
                .is_some_and(|status| (200..300).contains(&status))
                || response["batchItemFailures"] == json!([])
                // speed-to-lead answers nothing: its event is asynchronous.
                || (function_of(name) == "speed-to-lead" && response.is_null()) =>
        {
            Ok(())
        }
        other => Err(format!("{name} answered {other:?}").into()),
    }
}

pub(super) async fn connect(store: &DynamoStore) -> Result<(), Error> {
    use app::ports::{ConnectedBusiness, Connection, ConnectionStatus, ConnectionStore, SaveNotes};
    let now = app::now_millis();
    let connection = Connection {
        user_id: "coldstart-user".to_owned(),
        reference: "coldstart".to_owned(),
        status: ConnectionStatus::Connected,
        businesses: vec![ConnectedBusiness {
            business_id: V4_BUSINESS.to_owned(),
            name: "Example Lawn Co".to_owned(),
            webhook_id: "587700000000000001".to_owned(),
            secret_hash: app::connections::secret_hash(V4_SECRET),
        }],
        sealed_tokens: vec![0],
        access_expires_at: now + 3_600_000,
        scopes: Vec::new(),
        connected_at: now,
        updated_at: now,
    };
    store
        .save_connection(&connection, &SaveNotes::default())
        .await?;
    Ok(())
}

pub(super) async fn store_lead(store: &DynamoStore, raw: &str) -> Result<(), Error> {
    let lead = models::Lead::parse(raw.as_bytes()).map_err(|e| e.to_string())?;
    app::ingest::store_parsed(store, &lead, raw, app::now_millis()).await?;
    Ok(())
}
