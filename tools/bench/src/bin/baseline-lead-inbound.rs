//! The cold-start baseline of lead-inbound, by hand (`coldstart`): what a user writes from the
//! runtime's examples to do the same work. A `lambda_http` function with the default
//! `aws_config::load_from_env`; init reads the partner secret (`AWSCURRENT`); per request it checks
//! HTTP Basic against it, then makes lead-inbound's calls for a new lead in the same order: the
//! conditional `PutItem` of the lead, then the `Query` of the lead's partition for price updates
//! that came before it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use lambda_http::{Body, Error, Request, Response, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(std::env::var("PARTNER_CREDENTIALS_SECRET_ARN")?)
        .send()
        .await?;
    let credentials: Value = serde_json::from_str(secret.secret_string().unwrap_or_default())?;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            credentials["username"].as_str().unwrap_or_default(),
            credentials["password"].as_str().unwrap_or_default()
        ))
    );
    let client = Client::new(&config);
    let table = std::env::var("TABLE_NAME")?;
    lambda_http::run(service_fn(|request: Request| {
        handle(&client, &table, &expected, request)
    }))
    .await
}

fn answer(status: u16, body: &str) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_owned()))?)
}

async fn handle(
    client: &Client,
    table: &str,
    expected: &str,
    request: Request,
) -> Result<Response<Body>, Error> {
    let authorization = request.headers().get("authorization");
    if authorization.and_then(|v| v.to_str().ok()) != Some(expected) {
        return answer(401, r#"{"error":"unauthorized"}"#);
    }
    let body = std::str::from_utf8(request.body()).unwrap_or_default();
    let lead: Value = serde_json::from_str(body)?;
    let Some(lead_id) = lead["leadID"].as_str() else {
        return answer(400, r#"{"error":"leadID"}"#);
    };
    let pk = format!("LEAD#{lead_id}");
    let put = client
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(pk.clone()))
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
    client
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk AND begins_with(SK, :updates)")
        .expression_attribute_values(":pk", AttributeValue::S(pk))
        .expression_attribute_values(":updates", AttributeValue::S("UPDATE#".to_owned()))
        .send()
        .await?;
    answer(
        200,
        &serde_json::json!({"status": status, "leadID": lead_id}).to_string(),
    )
}
