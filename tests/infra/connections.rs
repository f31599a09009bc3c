//! Issue 22: connecting a pro's Thumbtack account, as the template deploys it. The tokens' KMS key
//! outlives the stack and is used with the userID as encryption context only; the v4 client is a
//! secret the operator fills and the state key a generated one; the v4 URLs come from a preset, a
//! parameter or the stage's simulator; the callback is the one public route of the function; a
//! daily schedule sweeps idle connections; a broken connection pages; and no resource of the
//! template refers, through others, back to itself (the API's URL is a parameter for that).

use super::deploy::{Deploy, references};
use super::*;
use http_api::routes::{Auth, Function, ROUTES};

const FUNCTION: &str = "ConnectionsFunction";

fn variables<'a>(deploy_resources: &'a BTreeMap<String, Value>, function: &str) -> &'a Value {
    &deploy_resources[function]["Properties"]["Environment"]["Variables"]
}

fn sub(text: &str) -> Value {
    serde_norway::from_str(&format!("!Sub {text}")).unwrap()
}

#[test]
fn the_tokens_key_is_retained_rotated_and_named_by_an_alias() {
    let template = template();
    let key = resource(&template, "TokenKey");
    assert_eq!(key["Type"], "AWS::KMS::Key");
    // Plain Retain, whatever the stage: ciphertext kept anywhere (a durable table, a backup) is
    // nothing without it.
    assert_eq!(key["DeletionPolicy"], "Retain");
    assert_eq!(key["UpdateReplacePolicy"], "Retain");
    assert_eq!(key["Properties"]["EnableKeyRotation"], true);
    let alias = resource(&template, "TokenKeyAlias");
    assert_eq!(alias["Type"], "AWS::KMS::Alias");
    assert_eq!(
        referenced(&alias["Properties"]["TargetKeyId"]).as_deref(),
        Some("TokenKey")
    );
    assert!(
        alias["Properties"]["AliasName"]
            .as_str()
            .or_else(|| match intrinsic(&alias["Properties"]["AliasName"]) {
                Some(("Sub", Value::String(text))) => Some(text.as_str()),
                _ => None,
            })
            .is_some_and(|name| name.starts_with("alias/thumbtack-partner-${Stage}/")),
        "{alias:?}"
    );
    let variables =
        &resource(&template, FUNCTION)["Properties"]["Environment"]["Variables"]["TOKEN_KEY_ID"];
    assert_eq!(referenced(variables).as_deref(), Some("TokenKey"));
}

#[test]
fn the_function_seals_and_opens_tokens_with_a_user_id_context_only() {
    let template = template();
    let (_, role) = iam::role_of(&template, FUNCTION);
    let kms: Vec<Value> = iam::role_statements(role)
        .into_iter()
        .filter(|s| format!("{:?}", s["Action"]).contains("kms:"))
        .collect();
    assert_eq!(kms.len(), 1, "{kms:?}");
    let statement = &kms[0];
    assert_eq!(
        referenced(&statement["Resource"]).as_deref(),
        Some("TokenKey")
    );
    // Every context key is userID, and userID is there.
    assert_eq!(
        statement["Condition"]["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"],
        Value::Sequence(vec![Value::from(adapters::connect::CONTEXT_KEY)])
    );
    assert_eq!(
        statement["Condition"]["Null"]
            [format!("kms:EncryptionContext:{}", adapters::connect::CONTEXT_KEY).as_str()],
        "false"
    );
    // Nobody else may but reply-outbound, which sends v4 replies with the pro's token: no other
    // role names the key.
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        if resource["Type"] == "AWS::IAM::Role"
            && name != "ConnectionsRole"
            && name != "ReplyOutboundRole"
        {
            assert!(
                !references(&resource["Properties"]).contains("TokenKey"),
                "{name} may use the tokens' key"
            );
        }
    }
}

#[test]
fn the_function_calls_only_what_it_calls() {
    let template = template();
    assert_eq!(
        inline(&template, FUNCTION),
        expected(&[
            ("secretsmanager:GetSecretValue", "ThumbtackV4ClientSecret"),
            (
                "ssm:GetParameter",
                "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/thumbtack-partner/${Stage}/public-api-url",
            ),
            ("kms:Encrypt", "TokenKey"),
            ("kms:Decrypt", "TokenKey"),
            // A connection, a business's user, a page of records; the list's order (GSI1).
            ("dynamodb:GetItem", "Table"),
            ("dynamodb:BatchGetItem", "Table"),
            ("dynamodb:Query", "${Table.Arn}/index/GSI1"),
            // Connections, their businesses' records, used states (iam.rs holds the keys).
            ("dynamodb:PutItem", "Table"),
            ("dynamodb:UpdateItem", "Table"),
            ("dynamodb:DeleteItem", "Table"),
        ])
    );
}

#[test]
fn the_v4_client_is_a_secret_to_fill_and_the_state_key_a_generated_one() {
    let template = template();
    let client = resource(&template, "ThumbtackV4ClientSecret");
    assert_eq!(client["Type"], "AWS::SecretsManager::Secret");
    // A placeholder, as the legacy credentials: never a real secret in the template.
    let placeholder: serde_json::Value =
        serde_json::from_str(client["Properties"]["SecretString"].as_str().unwrap()).unwrap();
    assert_eq!(
        placeholder,
        serde_json::json!({"username": "SET-ME", "password": "SET-ME"})
    );
    let function = &resource(&template, FUNCTION)["Properties"]["Environment"]["Variables"];
    assert_eq!(
        referenced(&function["THUMBTACK_V4_CLIENT_SECRET_ARN"]).as_deref(),
        Some("ThumbtackV4ClientSecret")
    );
    let state = &resource(&template, "ConnectStateKeySecret")["Properties"];
    assert!(state.get("SecretString").is_none(), "never in the template");
    assert!(
        state["GenerateSecretString"]["PasswordLength"]
            .as_u64()
            .unwrap()
            >= app::connections::state::MIN_STATE_KEY_BYTES as u64
    );
    assert_eq!(
        intrinsic(&function["CONNECT_STATE_KEY"]),
        Some((
            "Sub",
            &Value::from("{{resolve:secretsmanager:${ConnectStateKeySecret}:SecretString}}")
        ))
    );
    assert_eq!(
        referenced(&function["CONNECT_RETURN_URLS"]).as_deref(),
        Some("ConnectReturnUrls")
    );
    assert_eq!(template["Parameters"]["ConnectReturnUrls"]["Default"], "");
}

#[test]
fn the_v4_urls_are_production_s_by_default_staging_s_or_a_parameter_s_on_request_and_the_simulator_s_with_it()
 {
    let template = template();
    let urls = |overrides: &[(&str, &str)]| {
        let deploy = Deploy::with(&template, overrides);
        let resources = deploy.resources();
        let variables = variables(&resources, FUNCTION);
        [
            "THUMBTACK_V4_AUTH_URL",
            "THUMBTACK_V4_TOKEN_URL",
            "THUMBTACK_V4_API_BASE_URL",
        ]
        .map(|var| variables[var].clone())
    };
    let preset = |environment: &str, key: &str| {
        template["Mappings"]["ThumbtackV4Endpoints"][environment][key]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let find_in_map = |key: &str| -> Value {
        serde_norway::from_str(&format!(
            "!FindInMap [ThumbtackV4Endpoints, !Ref ThumbtackV4Environment, {key}]"
        ))
        .unwrap()
    };
    // The default: the preset of ThumbtackV4Environment, production unless set...
    assert_eq!(
        template["Parameters"]["ThumbtackV4Environment"]["Default"],
        "production"
    );
    assert_eq!(
        urls(&[]),
        ["AuthUrl", "TokenUrl", "ApiBaseUrl"].map(find_in_map)
    );
    // ...whose URLs are the code's own defaults (facts 1.1), and staging's are Thumbtack's
    // staging hosts.
    assert_eq!(
        [
            preset("production", "AuthUrl"),
            preset("production", "TokenUrl"),
            preset("production", "ApiBaseUrl")
        ],
        [
            adapters::config::V4_AUTH_URL,
            adapters::config::V4_TOKEN_URL,
            adapters::config::V4_API_BASE_URL
        ]
    );
    for key in ["AuthUrl", "TokenUrl", "ApiBaseUrl"] {
        assert!(
            preset("staging", key).starts_with("https://staging-"),
            "{key}"
        );
    }
    // A parameter in place of a preset's URL.
    let set = urls(&[("ThumbtackV4AuthUrl", "https://auth.example/oauth2/auth")]);
    assert_eq!(
        referenced(&set[0]).as_deref(),
        Some("ThumbtackV4AuthUrl"),
        "{set:?}"
    );
    assert_eq!(set[1], find_in_map("TokenUrl"));
    // The stage's simulator, with its paths (tools/simulator: /oauth2/auth, /oauth2/token,
    // /api/v4/...), whatever else is set.
    assert_eq!(
        urls(&[
            ("SimulatorEnabled", "true"),
            ("ThumbtackV4AuthUrl", "https://auth.example/oauth2/auth")
        ]),
        [
            sub("\"${SimulatorFunctionUrl.FunctionUrl}oauth2/auth\""),
            sub("\"${SimulatorFunctionUrl.FunctionUrl}oauth2/token\""),
            sub("\"${SimulatorFunctionUrl.FunctionUrl}api\""),
        ]
    );
}

#[test]
fn the_callback_is_the_only_public_route_of_the_function_and_the_others_are_iam_s() {
    let template = template();
    let events = resource(&template, FUNCTION)["Properties"]["Events"]
        .as_mapping()
        .unwrap();
    let mut public = Vec::new();
    let mut iam = BTreeSet::new();
    for event in events.values().filter(|e| e["Type"] == "HttpApi") {
        let route = &event["Properties"];
        let key = format!(
            "{} {}",
            route["Method"].as_str().unwrap(),
            route["Path"].as_str().unwrap()
        );
        match route.get("Auth") {
            None => public.push(key),
            Some(auth) => {
                assert_eq!(auth["Authorizer"], "AWS_IAM", "{key}");
                iam.insert(key);
            }
        }
    }
    assert_eq!(public, ["GET /v1/connections/callback"]);
    // The route table says the same.
    let table_public: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.function == Function::Connections && r.auth != Auth::Iam)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(table_public, public);
    assert!(
        ROUTES
            .iter()
            .filter(|r| r.function == Function::Connections && r.auth == Auth::Public)
            .all(|r| r.path == adapters::config::CALLBACK_PATH)
    );
    assert!(!iam.is_empty());
}

#[test]
fn the_manager_policy_invokes_exactly_the_iam_routes_of_the_function() {
    let template = template();
    let policy = resource(&template, "ConnectionsManagerPolicy");
    assert_eq!(policy["Type"], "AWS::IAM::ManagedPolicy");
    let output = template["Outputs"]
        .as_mapping()
        .unwrap()
        .values()
        .find(|o| referenced(&o["Value"]).as_deref() == Some("ConnectionsManagerPolicy"));
    assert!(output.is_some(), "the policy is an output");
    let invoke: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.function == Function::Connections && r.auth == Auth::Iam)
        .map(|r| {
            let path = r.path.replace("{userID}", "*");
            format!(
                "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/$default/{}{path}",
                r.method
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = invoke
        .iter()
        .map(|arn| ("execute-api:Invoke", arn.as_str()))
        .collect();
    assert_eq!(
        allowed(&policy["Properties"]["PolicyDocument"]["Statement"]),
        expected(&pairs)
    );
}

#[test]
fn a_daily_schedule_invokes_the_function_and_retries_a_failed_sweep_twice() {
    let template = template();
    let properties = &resource(&template, FUNCTION)["Properties"];
    let schedules: Vec<&Value> = properties["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|e| e["Type"] == "Schedule")
        .collect();
    assert_eq!(schedules.len(), 1);
    let expression = schedules[0]["Properties"]["Schedule"].as_str().unwrap();
    // cron(minute hour every-day-of-month every-month any-day-of-week every-year): once a day.
    let fields: Vec<&str> = expression
        .strip_prefix("cron(")
        .and_then(|e| e.strip_suffix(')'))
        .unwrap()
        .split(' ')
        .collect();
    assert_eq!(fields.len(), 6, "{expression}");
    assert!(
        fields[0].parse::<u8>().is_ok() && fields[1].parse::<u8>().is_ok(),
        "{expression}"
    );
    assert_eq!(&fields[2..], ["*", "*", "?", "*"], "{expression}");
    assert_eq!(
        properties["EventInvokeConfig"]["MaximumRetryAttempts"], 2,
        "a failed sweep is tried again, then tomorrow's comes"
    );
}

#[test]
fn a_broken_connection_pages_at_the_first() {
    let template = template();
    let (name, alarm) = alarm_on(&template, "ConnectionsBroken");
    let watched = watched(alarm);
    assert_eq!(watched.len(), 1, "{name}");
    let metrics = app::metrics::Metrics::in_memory("ThumbtackPartner/${Stage}", "connections");
    metrics.count(app::metrics::Metric::ConnectionsBroken, None);
    assert_emitted_once_as_watched(&name, &metrics, &watched[0]);
    assert_eq!(number(&alarm["Threshold"]), 0.0, "{name}");
    assert_eq!(number(&alarm["DatapointsToAlarm"]), 1.0, "{name}");
}

#[test]
fn the_function_and_the_simulator_read_the_api_s_url_from_the_parameter_the_stack_writes() {
    let template = template();
    let parameter = resource(&template, "PublicApiUrlParameter");
    assert_eq!(parameter["Type"], "AWS::SSM::Parameter");
    // The API's URL, as the stack's output gives it.
    assert_eq!(
        parameter["Properties"]["Value"],
        template["Outputs"]["ApiBaseUrl"]["Value"]
    );
    let name = &parameter["Properties"]["Name"];
    for (function, var) in [
        (FUNCTION, adapters::config::PUBLIC_API_URL_PARAMETER),
        ("SimulatorFunction", "SIM_PARTNER_URL_PARAMETER"),
    ] {
        let variables = &resource(&template, function)["Properties"]["Environment"]["Variables"];
        assert_eq!(&variables[var], name, "{function}");
        assert!(
            !references(variables).contains("HttpApi"),
            "{function} names the API: a circle"
        );
    }
}

/// The logical ids each resource depends on, as CloudFormation sees them after SAM's transform:
/// its references and DependsOn, and an API's dependence on every function with a route on it
/// (SAM writes the function's ARN into the API's definition).
fn dependencies(template: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let resources = template["Resources"].as_mapping().unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, resource) in resources {
        let name = name.as_str().unwrap().to_owned();
        // A function's events are SAM's to turn into resources of their own (a route, a rule, a
        // permission), which depend on the function: not the function's own dependencies.
        let mut properties = resource["Properties"].clone();
        if let Value::Mapping(map) = &mut properties {
            map.remove("Events");
        }
        let mut needs = references(&properties);
        match &resource["DependsOn"] {
            Value::String(id) => {
                needs.insert(id.clone());
            }
            Value::Sequence(ids) => needs.extend(ids.iter().map(|i| i.as_str().unwrap().into())),
            _ => {}
        }
        // A function URL SAM makes (FunctionUrlConfig): <function>Url, made from the function.
        if resource["Properties"].get("FunctionUrlConfig").is_some() {
            graph
                .entry(format!("{name}Url"))
                .or_default()
                .insert(name.clone());
        }
        if let Some(events) = resource["Properties"]["Events"].as_mapping() {
            for event in events.values().filter(|e| e["Type"] == "HttpApi") {
                if let Some(api) = referenced(&event["Properties"]["ApiId"]) {
                    graph.entry(api).or_default().insert(name.clone());
                }
            }
        }
        graph.entry(name).or_default().extend(needs);
    }
    graph
}

#[test]
fn no_resource_depends_on_itself_through_others() {
    let template = template();
    let graph = dependencies(&template);
    // Depth first: a resource met again while its own dependencies are being walked is a circle.
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        id: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == id) {
            panic!("a circle CloudFormation refuses: {:?}", &path[at..]);
        }
        if done.contains(id) {
            return;
        }
        path.push(id.to_owned());
        for next in graph.get(id).into_iter().flatten() {
            if graph.contains_key(next) {
                walk(graph, next, path, done);
            }
        }
        path.pop();
        done.insert(id.to_owned());
    }
    let mut done = BTreeSet::new();
    for id in graph.keys() {
        walk(&graph, id, &mut Vec::new(), &mut done);
    }
    // The walk sees the API's dependence on its functions, or it could find no circle.
    assert!(graph["HttpApi"].contains(FUNCTION));
}
