//! The cold-start baseline of speed-to-lead, by hand (`coldstart`): a `lambda_runtime` function
//! with the default `aws_config::load_from_env`; per `Lead Received` event it makes
//! speed-to-lead's calls for a new lead of a business with default settings (acknowledgements
//! off), in the same order: the business's settings (`GetItem`) and the lead's partition
//! (`Query`), the lead counted in its business's day (a `GetItem` of the lead, then a
//! `TransactWriteItems` marking it counted and adding one to the day), then the unanswered check's
//! `CreateSchedule`.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Deps {
    dynamodb: aws_sdk_dynamodb::Client,
    scheduler: aws_sdk_scheduler::Client,
    table: String,
    group: String,
    role: String,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let deps = Deps {
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        scheduler: aws_sdk_scheduler::Client::new(&config),
        table: std::env::var("TABLE_NAME")?,
        group: std::env::var("SCHEDULE_GROUP")?,
        role: std::env::var("SCHEDULER_ROLE_ARN")?,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handle(&deps, event))).await
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<(), Error> {
    let detail = &event.payload["detail"];
    let lead_id = detail["leadID"].as_str().unwrap_or_default();
    let business_id = detail["businessID"].as_str().unwrap_or_default();
    let table = deps.table.as_str();
    deps.dynamodb
        .get_item()
        .table_name(table)
        .key("PK", s(&format!("BUSINESS#{business_id}")))
        .key("SK", s("SETTINGS"))
        .send()
        .await?;
    let lead = deps
        .dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", s(&format!("LEAD#{lead_id}")))
        .send()
        .await?;
    if lead.items().is_empty() {
        return Ok(());
    }
    let lead_key = || {
        std::collections::HashMap::from([
            ("PK".to_owned(), s(&format!("LEAD#{lead_id}"))),
            ("SK".to_owned(), s("LEAD")),
        ])
    };
    let stored = deps
        .dynamodb
        .get_item()
        .table_name(table)
        .set_key(Some(lead_key()))
        .projection_expression("businessID, createTimestamp, statsCounted")
        .send()
        .await?;
    let counted = stored
        .item()
        .is_some_and(|item| item.contains_key("statsCounted"));
    if !counted {
        let day = (SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() / 86_400).to_string();
        let mark = Update::builder()
            .table_name(table)
            .set_key(Some(lead_key()))
            .update_expression("SET statsCounted = :yes")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(statsCounted)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .build()?;
        let count = Update::builder()
            .table_name(table)
            .key("PK", s(&format!("BUSINESS#{business_id}")))
            .key("SK", s(&format!("STATS#{day}")))
            .update_expression("ADD leads :one")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .build()?;
        deps.dynamodb
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(mark).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await?;
    }
    // Unanswered after the default 15 minutes.
    let at = SystemTime::now().duration_since(UNIX_EPOCH)? + Duration::from_secs(15 * 60);
    let at = aws_sdk_scheduler::primitives::DateTime::from_secs(i64::try_from(at.as_secs())?)
        .fmt(aws_sdk_scheduler::primitives::DateTimeFormat::DateTime)?;
    let target = Target::builder()
        .arn(&event.context.invoked_function_arn)
        .role_arn(&deps.role)
        .input(
            json!({"kind": "unanswered", "leadID": lead_id, "businessID": business_id}).to_string(),
        )
        .build()?;
    deps.scheduler
        .create_schedule()
        .name(format!("unanswered-{lead_id}"))
        .group_name(&deps.group)
        .schedule_expression(format!("at({})", at.trim_end_matches('Z')))
        .schedule_expression_timezone("UTC")
        .flexible_time_window(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()?,
        )
        .target(target)
        .action_after_completion(ActionAfterCompletion::Delete)
        .send()
        .await?;
    Ok(())
}
