//! The cold-start baseline of partner-api, by hand (`coldstart`): a `lambda_http` function with the
//! default `aws_config::load_from_env`; per request it makes partner-api's call for
//! `GET /v1/leads/{leadID}`: the `Query` of the lead's partition, answered as JSON.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let client = Client::new(&config);
    let table = std::env::var("TABLE_NAME")?;
    lambda_http::run(service_fn(|request: Request| {
        handle(&client, &table, request)
    }))
    .await
}

async fn handle(client: &Client, table: &str, request: Request) -> Result<Response<Body>, Error> {
    let parameters = request.path_parameters();
    let lead_id = parameters.first("leadID").unwrap_or_default();
    let items = client
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("LEAD#{lead_id}")))
        .send()
        .await?
        .items
        .unwrap_or_default();
    if items.is_empty() {
        return Ok(Response::builder()
            .status(404)
            .body(Body::Text(r#"{"error":"not found"}"#.to_owned()))?);
    }
    let entries: Vec<serde_json::Value> = items
        .iter()
        .map(|item| {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            serde_json::json!({"sk": text("SK"), "raw": text("raw")})
        })
        .collect();
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::Text(
            serde_json::json!({"leadID": lead_id, "items": entries}).to_string(),
        ))?)
}
