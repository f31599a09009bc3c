//! The cold-start baseline of reply-outbound, by hand (`coldstart`): a `lambda_runtime` function
//! with the default `aws_config::load_from_env` and a reqwest client; init reads Thumbtack's
//! credentials (`AWSCURRENT`); per record of an SQS batch it makes reply-outbound's calls for a
//! new reply in the same order: the lead's `GetItem` (whose business it is, and what its first
//! reply's count needs), the conditional `PutItem`s of the reply's guard and of the reply, the
//! `POST` to Thumbtack, then the reply's `UpdateItem` (`sent`), the lead's first reply (a
//! `TransactWriteItems` marking it and adding one to its business's day) and the `PutItem` of the
//! send's outcome.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use lambda_http::aws_lambda_events::event::sqs::SqsEvent;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

struct Deps {
    client: Client,
    table: String,
    http: reqwest::Client,
    thumbtack: String,
    username: String,
    password: String,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(std::env::var("THUMBTACK_CREDENTIALS_SECRET_ARN")?)
        .send()
        .await?;
    let credentials: Value = serde_json::from_str(secret.secret_string().unwrap_or_default())?;
    let deps = Deps {
        client: Client::new(&config),
        table: std::env::var("TABLE_NAME")?,
        http: reqwest::Client::new(),
        thumbtack: std::env::var("THUMBTACK_API_BASE_URL")?,
        username: credentials["username"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        password: credentials["password"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        handle(&deps, event)
    }))
    .await
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

async fn handle(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<Value, Error> {
    let mut failures = Vec::new();
    for record in &event.payload.records {
        if deliver(deps, record.body.as_deref().unwrap_or_default())
            .await
            .is_err()
        {
            failures.push(json!({"itemIdentifier": record.message_id}));
        }
    }
    Ok(json!({"batchItemFailures": failures}))
}

async fn deliver(deps: &Deps, body: &str) -> Result<(), Error> {
    let reply: Value = serde_json::from_str(body)?;
    let text = |name: &str| reply[name].as_str().unwrap_or_default().to_owned();
    let (reply_id, business_id, lead_id) = (text("replyID"), text("businessID"), text("leadID"));
    let (table, client) = (deps.table.as_str(), &deps.client);
    let lead_pk = format!("LEAD#{lead_id}");
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    // The lead: whose it is, and what its first reply's count needs after the send.
    let lead = client
        .get_item()
        .table_name(table)
        .key("PK", s(&lead_pk))
        .key("SK", s("LEAD"))
        .projection_expression("businessID, createTimestamp, receivedAt, firstReplySentAt")
        .send()
        .await?;
    let reply_sk = format!("REPLY#{reply_id}");
    client
        .put_item()
        .table_name(table)
        .item("PK", s(&format!("REPLYGUARD#{reply_id}")))
        .item("SK", s("GUARD"))
        .item("leadID", s(&lead_id))
        .condition_expression("attribute_not_exists(PK)")
        .send()
        .await?;
    client
        .put_item()
        .table_name(table)
        .item("PK", s(&lead_pk))
        .item("SK", s(&reply_sk))
        .item("text", s(&text("text")))
        .item("status", s("sending"))
        .item("createdAt", AttributeValue::N(now.to_string()))
        .condition_expression("attribute_not_exists(PK)")
        .send()
        .await?;
    let sent = deps
        .http
        .post(format!(
            "{}/v1/business/{business_id}/lead/{lead_id}/message",
            deps.thumbtack
        ))
        .basic_auth(&deps.username, Some(&deps.password))
        .json(&json!({"text": text("text")}))
        .send()
        .await?
        .error_for_status()?;
    client
        .update_item()
        .table_name(table)
        .key("PK", s(&lead_pk))
        .key("SK", s(&reply_sk))
        .update_expression("SET #status = :sent, httpStatus = :code")
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":sent", s("sent"))
        .expression_attribute_values(
            ":code",
            AttributeValue::N(sent.status().as_u16().to_string()),
        )
        .send()
        .await?;
    // The lead's first reply: counted on the lead and in its business's day, once.
    let lead_key = || {
        std::collections::HashMap::from([
            ("PK".to_owned(), s(&lead_pk)),
            ("SK".to_owned(), s("LEAD")),
        ])
    };
    if let Some(lead) = lead.item()
        && !lead.contains_key("firstReplySentAt")
    {
        let day = (now / 86_400_000).to_string();
        let mark = Update::builder()
            .table_name(table)
            .set_key(Some(lead_key()))
            .update_expression("SET firstReplySentAt = :now")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(firstReplySentAt)")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .build()?;
        let count = Update::builder()
            .table_name(table)
            .key("PK", s(&format!("BUSINESS#{business_id}")))
            .key("SK", s(&format!("STATS#{day}")))
            .update_expression("ADD replied :one")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .build()?;
        client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(mark).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await?;
    }
    client
        .put_item()
        .table_name(table)
        .item("PK", s(&lead_pk))
        .item("SK", s(&format!("OUTCOME#{reply_id}#1")))
        .item("status", s("sent"))
        .send()
        .await?;
    Ok(())
}
