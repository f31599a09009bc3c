//! The inbound functions in the template against what main's code now serves and calls: the
//! newer calls of Thumbtack's contract (a lead's update, a review) have routes in AWS too, and
//! each function may call exactly the DynamoDB actions of its paths.

use super::*;

/// (method, path) of every API event of a function.
fn routes(template: &Value, function: &str) -> BTreeSet<(String, String)> {
    resource(template, function)["Properties"]["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|event| event["Type"] == "HttpApi")
        .map(|event| {
            let route = &event["Properties"];
            // Thumbtack authenticates with HTTP basic auth, checked in the function.
            assert!(route.get("Auth").is_none(), "{route:?}");
            (
                route["Method"].as_str().unwrap().to_owned(),
                route["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(routes: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    routes
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect()
}

#[test]
fn every_call_thumbtack_makes_has_a_route_to_the_function_that_serves_it() {
    let template = template();
    // The handlers' own doc lines name their routes; make dev serves the same.
    let lead = include_str!("../../functions/lead-inbound/src/handler.rs");
    let message = include_str!("../../functions/message-inbound/src/handler.rs");
    assert!(lead.contains("`PUT /v1/lead/update`"));
    assert!(lead.contains("`POST /v4/webhooks/{businessID}`"));
    assert!(message.contains("`POST /v1/review`"));
    assert_eq!(
        routes(&template, "LeadInboundFunction"),
        pairs(&[
            ("POST", "/v1/lead"),
            ("PUT", "/v1/lead/update"),
            ("POST", "/v4/webhooks/{businessID}")
        ])
    );
    assert_eq!(
        routes(&template, "MessageInboundFunction"),
        pairs(&[("POST", "/v1/message"), ("POST", "/v1/review")])
    );
}

#[test]
fn each_inbound_function_may_call_the_dynamodb_actions_of_its_paths_and_no_more() {
    let template = template();
    assert_eq!(
        inline(&template, "LeadInboundFunction"),
        expected(&[
            // The partner's credentials, to check basic auth.
            ("secretsmanager:GetSecretValue", "PartnerCredentialsSecret"),
            // Conditional puts (leads, revisions, updates, quarantine chunks).
            ("dynamodb:PutItem", "Table"),
            // The quarantine counter; a waiting price applied to its lead.
            ("dynamodb:UpdateItem", "Table"),
            // The stored body when a condition fails; the warm-up read.
            ("dynamodb:GetItem", "Table"),
            // A stored lead looks for updates that came before it (LeadStore::stored_updates).
            ("dynamodb:Query", "Table"),
        ])
    );
    assert_eq!(
        inline(&template, "MessageInboundFunction"),
        expected(&[
            ("secretsmanager:GetSecretValue", "PartnerCredentialsSecret"),
            // Messages, revisions, reviews and a review's link to its lead; quarantine.
            ("dynamodb:PutItem", "Table"),
            ("dynamodb:UpdateItem", "Table"),
            // The stored body on conflict; whether a message's lead is stored (202 if not).
            ("dynamodb:GetItem", "Table"),
        ])
    );
}

/// The function that serves each inbound route (the route table's), as its metrics name it.
fn serving(route: app::ports::Route) -> &'static str {
    use http_api::routes::{Endpoint, ROUTES};
    ROUTES
        .iter()
        .find(|served| served.endpoint == Endpoint::Deliver(route))
        .map(|served| served.function.name())
        .unwrap_or_else(|| panic!("{route:?} has no route in the table"))
}

/// The function that serves the v4 webhook route.
fn serving_webhook() -> &'static str {
    use http_api::routes::{Endpoint, ROUTES};
    ROUTES
        .iter()
        .find(|served| served.endpoint == Endpoint::DeliverWebhook)
        .map(|served| served.function.name())
        .expect("the v4 webhook has a route in the table")
}

#[test]
fn refusals_and_quarantines_of_every_inbound_route_reach_their_alarms() {
    let template = template();
    let v4 = app::ports::Route::V4Webhook;
    let mut wanted: BTreeSet<(String, String)> = app::ports::Route::ALL
        .into_iter()
        .map(|route| (serving(route).to_owned(), route.as_str().to_owned()))
        .collect();
    // The v4 webhook's refusals count under their own route, in the function that serves it.
    wanted.insert((serving_webhook().to_owned(), v4.as_str().to_owned()));
    for metric in ["AuthFailures", "Quarantined"] {
        let (name, alarm) = alarm_on(&template, metric);
        let routes: BTreeSet<(String, String)> = watched(alarm)
            .into_iter()
            .filter(|(_, watched_metric, _)| watched_metric == metric)
            .map(|(_, _, dimensions)| (dimensions["Function"].clone(), dimensions["Route"].clone()))
            .collect();
        assert_eq!(routes, wanted, "{name}");
        // Every metric it reads reaches the expression it compares, directly or through another.
        let expressions: Vec<&str> = alarm["Metrics"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|q| q["Expression"].as_str())
            .collect();
        for query in alarm["Metrics"].as_sequence().unwrap() {
            if query.get("MetricStat").is_some() {
                let id = query["Id"].as_str().unwrap();
                assert!(
                    expressions
                        .iter()
                        .any(|e| e.contains(&format!("FILL({id}, 0)"))),
                    "{name}: no expression reads {id}"
                );
            }
        }
    }
}
