//! The template's API routes against the route table (`http_api::routes`), which the functions
//! dispatch on and `make dev` serves: the same routes, to the same functions, behind the same
//! authorisation. The template stays what is deployed; it cannot drift from the code.

use super::*;
use http_api::routes::{Auth, Function, ROUTES};

/// (function resource, method, path, the gateway's authoriser) of every API event of the template.
fn declared(template: &Value) -> BTreeSet<(String, String, String, Option<String>)> {
    let mut routes = BTreeSet::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|event| event["Type"] == "HttpApi") {
            let route = &event["Properties"];
            let auth = match route.get("Auth") {
                None => None,
                Some(auth) if auth["Authorizer"] == "AWS_IAM" => Some("AWS_IAM".to_owned()),
                Some(other) => {
                    panic!("{name:?}: an authoriser the table has no name for: {other:?}")
                }
            };
            routes.insert((
                name.as_str().unwrap().to_owned(),
                route["Method"].as_str().unwrap().to_owned(),
                route["Path"].as_str().unwrap().to_owned(),
                auth,
            ));
        }
    }
    routes
}

#[test]
fn the_template_routes_exactly_the_route_table_to_its_functions_behind_its_authorisation() {
    // The functions the template deploys (`Function::ALL`): a route of one it does not deploy
    // yet is served by `make dev` only.
    let deployed: Vec<_> = ROUTES
        .iter()
        .filter(|route| Function::ALL.contains(&route.function))
        .collect();
    // Basic credentials and a webhook's header secret are checked in the function: the gateway
    // lets those calls through, and only IAM is its to check.
    let authoriser = |auth: Auth| (auth == Auth::Iam).then(|| "AWS_IAM".to_owned());
    let table: BTreeSet<(String, String, String, Option<String>)> = deployed
        .iter()
        .map(|route| {
            (
                route.function.resource().to_owned(),
                route.method.to_string(),
                route.path.to_owned(),
                authoriser(route.auth),
            )
        })
        .collect();
    assert_eq!(table.len(), deployed.len(), "a route is in the table twice");
    assert_eq!(declared(&template()), table);
}

#[test]
fn every_function_of_the_route_table_is_built_from_the_binary_of_its_name() {
    let template = template();
    for function in Function::ALL {
        let built = &resource(&template, function.resource())["Metadata"]["BuildProperties"];
        assert_eq!(built["Binary"], function.name(), "{function:?}");
    }
}
