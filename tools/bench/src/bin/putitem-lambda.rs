//! A floor of the cold-start benchmark (the previous target's baseline), written by hand as the
//! Lambda runtime's examples show it: a `lambda_http` function with the default
//! `aws_config::load_from_env`, one DynamoDB client, and one `PutItem` of the request's body per
//! request, nothing else (no warm-up, no validation, no metrics). Each function is now measured
//! against a baseline of its own that makes its calls (`baseline-<function>`).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, service_fn};
use std::time::{SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let client = Client::new(&config);
    let table = std::env::var("TABLE_NAME")?;
    lambda_http::run(service_fn(|request: Request| put(&client, &table, request))).await
}

async fn put(client: &Client, table: &str, request: Request) -> Result<Response<Body>, Error> {
    let body = std::str::from_utf8(request.body()).unwrap_or_default();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let key = format!("BASELINE#{}#{nanos}", std::process::id());
    client
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(key))
        .item("SK", AttributeValue::S("BASELINE".to_owned()))
        .item("raw", AttributeValue::S(body.to_owned()))
        .send()
        .await?;
    Ok(Response::builder()
        .status(200)
        .body(Body::Text("{\"status\":\"stored\"}".to_owned()))?)
}
