//! Real API Gateway events for tests: the fixtures in `tests/fixtures/events` (REST API v1 and
//! HTTP API v2 shapes as API Gateway sends them), with the body, encoding and credentials of the
//! case at hand, parsed by `lambda_http` exactly as in Lambda.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lambda_http::Request;
use serde_json::Value;

const REST_POST: &str = fixtures::events::REST_POST;
const HTTP_POST: &str = fixtures::events::HTTP_POST;
const REST_GET: &str = fixtures::events::REST_GET;
const HTTP_GET: &str = fixtures::events::HTTP_GET;

/// The API Gateway flavour an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    /// REST API, payload format 1.0.
    RestV1,
    /// HTTP API, payload format 2.0.
    HttpV2,
}

pub const GATEWAYS: [Gateway; 2] = [Gateway::RestV1, Gateway::HttpV2];

/// How the body travels in the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Text,
    /// `isBase64Encoded: true`, as API Gateway sends binary media types.
    Base64,
}

/// `Authorization` header for a username and password.
pub fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    )
}

/// A POST to `path` with `body`, sent with `authorization` (or none).
pub fn post(
    gateway: Gateway,
    path: &str,
    body: &[u8],
    encoding: Encoding,
    authorization: Option<&str>,
) -> Request {
    send(gateway, "POST", path, body, encoding, authorization)
}

/// A request of `method` (`POST`, `PUT`) to `path` with `body`, sent with `authorization` (or
/// none).
pub fn send(
    gateway: Gateway,
    method: &str,
    path: &str,
    body: &[u8],
    encoding: Encoding,
    authorization: Option<&str>,
) -> Request {
    parse(&send_event(
        gateway,
        method,
        path,
        body,
        encoding,
        authorization,
    ))
}

/// A `PUT /v1/businesses/{businessID}/settings` with `body`, as API Gateway delivers it (the
/// path parameter decoded), without credentials (the read API's routes are IAM's).
pub fn put_business_settings(gateway: Gateway, business_id: &str, body: &[u8]) -> Request {
    let path = format!("/v1/businesses/{}/settings", encode(business_id));
    let mut event = send_event(gateway, "PUT", &path, body, Encoding::Text, None);
    event["pathParameters"] = serde_json::json!({"businessID": business_id});
    parse(&event)
}

fn send_event(
    gateway: Gateway,
    method: &str,
    path: &str,
    body: &[u8],
    encoding: Encoding,
    authorization: Option<&str>,
) -> Value {
    let mut event: Value = serde_json::from_str(match gateway {
        Gateway::RestV1 => REST_POST,
        Gateway::HttpV2 => HTTP_POST,
    })
    .expect("fixture is JSON");
    match gateway {
        Gateway::RestV1 => {
            event["path"] = path.into();
            event["resource"] = path.into();
            event["httpMethod"] = method.into();
            event["requestContext"]["httpMethod"] = method.into();
            event["requestContext"]["resourcePath"] = path.into();
            event["requestContext"]["path"] = format!("/Prod{path}").into();
        }
        Gateway::HttpV2 => {
            event["rawPath"] = path.into();
            event["routeKey"] = format!("{method} {path}").into();
            event["requestContext"]["http"]["method"] = method.into();
            event["requestContext"]["http"]["path"] = path.into();
            event["requestContext"]["routeKey"] = format!("{method} {path}").into();
        }
    }
    let (text, base64) = match encoding {
        Encoding::Base64 => (STANDARD.encode(body), true),
        Encoding::Text => (
            String::from_utf8(body.to_vec()).expect("a text body is UTF-8; use Base64 for bytes"),
            false,
        ),
    };
    event["body"] = text.into();
    event["isBase64Encoded"] = base64.into();
    set_authorization(&mut event, gateway, authorization);
    event
}

/// A Thumbtack v4 webhook delivery, `POST /v4/webhooks/{businessID}` with `body`, as API Gateway
/// delivers it (the path parameter decoded), with the webhook's secret header (or none).
pub fn post_webhook(
    gateway: Gateway,
    business_id: &str,
    body: &[u8],
    encoding: Encoding,
    secret: Option<&str>,
) -> Request {
    let path = format!("/v4/webhooks/{}", encode(business_id));
    let mut event = send_event(gateway, "POST", &path, body, encoding, None);
    event["pathParameters"] = serde_json::json!({"businessID": business_id});
    if let Some(secret) = secret {
        let name = app::connections::WEBHOOK_SECRET_HEADER;
        event["headers"][name] = secret.into();
        if event.get("multiValueHeaders").is_some_and(Value::is_object) {
            event["multiValueHeaders"][name] = serde_json::json!([secret]);
        }
    }
    parse(&event)
}

/// A GET of `/v1/leads/{leadID}`.
pub fn get_lead(gateway: Gateway, lead_id: &str) -> Request {
    let mut event: Value = serde_json::from_str(match gateway {
        Gateway::RestV1 => REST_GET,
        Gateway::HttpV2 => HTTP_GET,
    })
    .expect("fixture is JSON");
    let path = format!("/v1/leads/{lead_id}");
    event["pathParameters"]["leadID"] = lead_id.into();
    match gateway {
        Gateway::RestV1 => event["path"] = path.into(),
        Gateway::HttpV2 => event["rawPath"] = path.into(),
    }
    parse(&event)
}

/// A GET of `/v1/businesses/{businessID}/leads` with `query` (names and values as the caller
/// sends them, before URL encoding).
pub fn get_business_leads(gateway: Gateway, business_id: &str, query: &[(&str, &str)]) -> Request {
    get(
        gateway,
        "/v1/businesses/{businessID}/leads",
        &format!("/v1/businesses/{}/leads", encode(business_id)),
        &[("businessID", business_id)],
        query,
    )
}

/// A GET of `/v1/businesses/{businessID}/reviews` with `query`.
pub fn get_business_reviews(
    gateway: Gateway,
    business_id: &str,
    query: &[(&str, &str)],
) -> Request {
    get(
        gateway,
        "/v1/businesses/{businessID}/reviews",
        &format!("/v1/businesses/{}/reviews", encode(business_id)),
        &[("businessID", business_id)],
        query,
    )
}

/// A GET of `/v1/changes` with `query`.
pub fn get_changes(gateway: Gateway, query: &[(&str, &str)]) -> Request {
    get(gateway, "/v1/changes", "/v1/changes", &[], query)
}

/// A GET of the route `template` at `path`, as API Gateway delivers it: path parameters decoded,
/// the query in both of the REST API's maps, or raw (encoded) and in its map for the HTTP API.
pub fn get(
    gateway: Gateway,
    template: &str,
    path: &str,
    parameters: &[(&str, &str)],
    query: &[(&str, &str)],
) -> Request {
    let mut event: Value = serde_json::from_str(match gateway {
        Gateway::RestV1 => REST_GET,
        Gateway::HttpV2 => HTTP_GET,
    })
    .expect("fixture is JSON");
    let parameters: serde_json::Map<String, Value> = parameters
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).into()))
        .collect();
    let parameters = if parameters.is_empty() {
        Value::Null
    } else {
        Value::Object(parameters)
    };
    let mut single = serde_json::Map::new();
    let mut multi = serde_json::Map::new();
    for (name, value) in query {
        // The REST API's single map keeps the last value; the HTTP API's joins them with commas.
        let joined = match (gateway, single.get(*name)) {
            (Gateway::HttpV2, Some(Value::String(before))) => format!("{before},{value}"),
            _ => (*value).to_owned(),
        };
        single.insert((*name).to_owned(), joined.into());
        let values = multi
            .entry((*name).to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = values {
            values.push((*value).into());
        }
    }
    let maps = |map: serde_json::Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    match gateway {
        Gateway::RestV1 => {
            event["resource"] = template.into();
            event["path"] = path.into();
            event["requestContext"]["resourcePath"] = template.into();
            event["requestContext"]["path"] = format!("/Prod{path}").into();
            event["pathParameters"] = parameters;
            event["queryStringParameters"] = maps(single);
            event["multiValueQueryStringParameters"] = maps(multi);
        }
        Gateway::HttpV2 => {
            let raw_query: Vec<String> = query
                .iter()
                .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
                .collect();
            event["routeKey"] = format!("GET {template}").into();
            event["requestContext"]["routeKey"] = format!("GET {template}").into();
            event["rawPath"] = path.into();
            event["requestContext"]["http"]["path"] = path.into();
            event["rawQueryString"] = raw_query.join("&").into();
            match (parameters, event.as_object_mut()) {
                (Value::Null, Some(object)) => {
                    object.remove("pathParameters");
                }
                (parameters, _) => event["pathParameters"] = parameters,
            }
            match (maps(single), event.as_object_mut()) {
                (Value::Null, Some(object)) => {
                    object.remove("queryStringParameters");
                }
                (single, _) => event["queryStringParameters"] = single,
            }
        }
    }
    parse(&event)
}

/// Percent-encoding of everything but the URL's unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn set_authorization(event: &mut Value, gateway: Gateway, authorization: Option<&str>) {
    let name = match gateway {
        Gateway::RestV1 => "Authorization",
        Gateway::HttpV2 => "authorization",
    };
    for (headers, multi) in [("headers", false), ("multiValueHeaders", true)] {
        let Some(map) = event.get_mut(headers).and_then(Value::as_object_mut) else {
            continue;
        };
        match authorization {
            Some(value) if multi => {
                map.insert(name.to_owned(), Value::from(vec![value]));
            }
            Some(value) => {
                map.insert(name.to_owned(), value.into());
            }
            None => {
                map.remove(name);
            }
        }
    }
}

fn parse(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).expect("lambda_http parses the event")
}
