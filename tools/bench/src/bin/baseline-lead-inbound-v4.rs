//! The cold-start baseline of lead-inbound's v4 webhook, by hand (`coldstart`): what a user
//! writes from the runtime's examples to do the same work. A `lambda_http` function with the
//! default `aws_config::load_from_env`; init reads the partner secret (`AWSCURRENT`), as
//! lead-inbound's init does whatever the route; per delivery it makes lead-inbound's calls for a
//! new v4 lead in the same order: the `GetItem` of the webhook's secret hash (the business's
//! connection record), compared with the hash of the presented header, then the conditional
//! `PutItem` of the lead.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    // Read as lead-inbound reads it; a webhook delivery does not use it.
    aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(std::env::var("PARTNER_CREDENTIALS_SECRET_ARN")?)
        .send()
        .await?;
    let client = Client::new(&config);
    let table = std::env::var("TABLE_NAME")?;
    lambda_http::run(service_fn(|request: Request| {
        handle(&client, &table, request)
    }))
    .await
}

fn answer(status: u16, body: &str) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_owned()))?)
}

async fn handle(client: &Client, table: &str, request: Request) -> Result<Response<Body>, Error> {
    let business_id = request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("businessID"))
        .unwrap_or_default()
        .to_owned();
    let presented = request
        .headers()
        .get(app::connections::WEBHOOK_SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let stored = client
        .get_item()
        .table_name(table)
        .key("PK", AttributeValue::S(format!("BUSINESS#{business_id}")))
        .key("SK", AttributeValue::S("CONNECTION".to_owned()))
        .projection_expression("secretHash")
        .send()
        .await?;
    let expected = stored
        .item
        .as_ref()
        .and_then(|item| item.get("secretHash"))
        .and_then(|hash| hash.as_s().ok());
    if expected != Some(&app::connections::secret_hash(presented)) {
        return answer(401, r#"{"error":"unauthorized"}"#);
    }
    let body = std::str::from_utf8(request.body()).unwrap_or_default();
    let delivery: Value = serde_json::from_str(body)?;
    let Some(lead_id) = delivery["data"]["negotiationID"].as_str() else {
        return answer(400, r#"{"error":"data.negotiationID"}"#);
    };
    let put = client
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(format!("LEAD#{lead_id}")))
        .item("SK", AttributeValue::S("LEAD".to_owned()))
        .item("raw", AttributeValue::S(body.to_owned()))
        .condition_expression("attribute_not_exists(PK)")
        .send()
        .await;
    let status = match put {
        Ok(_) => "stored",
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            "duplicate"
        }
        Err(error) => return Err(error.into()),
    };
    answer(
        200,
        &serde_json::json!({"status": status, "leadID": lead_id}).to_string(),
    )
}
