//! infra/template.yaml against the code: every environment variable a function reads is set for it
//! in the template and nothing else is, and the numbers that must agree do.
#![allow(clippy::unwrap_used)]

mod alarms;
mod capacity;
mod connections;
mod deploy;
mod docs;
mod events;
mod iam;
mod inbound;
mod routes;
mod silence;
mod sim_stage;
mod speed;

use adapters::config::{
    Env, connections_settings, events_settings, inbound_settings, public_api_url_parameter,
    read_settings, reply_settings, speed_settings,
};
use serde_norway::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

const TEMPLATE: &str = include_str!("../../infra/template.yaml");

fn template() -> Value {
    serde_norway::from_str(TEMPLATE).unwrap()
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    &template["Resources"][name]
}

/// The variables a function gets: the Globals' and its own, with their literal values (or a
/// placeholder for `!Ref`/`!Sub` values, known only at deploy time: a URL long enough to pass
/// for a key, as the generated cursor key is 64 characters).
fn environment(template: &Value, function: &str) -> BTreeMap<String, String> {
    let global = &template["Globals"]["Function"]["Environment"]["Variables"];
    let own = &resource(template, function)["Properties"]["Environment"]["Variables"];
    let mut variables = BTreeMap::new();
    for map in [global, own] {
        if let Value::Mapping(map) = map {
            for (key, value) in map {
                let value = match value {
                    Value::String(text) => text.clone(),
                    _ => "https://deploy-time.example/resolved-when-the-stack-deploys".to_owned(),
                };
                variables.insert(key.as_str().unwrap().to_owned(), value);
            }
        }
    }
    variables
}

/// Runs a function's configuration loader on the template's variables and returns every
/// variable it looked up.
fn looked_up<T, E: std::fmt::Debug>(
    variables: &BTreeMap<String, String>,
    load: impl Fn(&Env<&dyn Fn(&str) -> Option<String>>) -> Result<T, E>,
) -> BTreeSet<String> {
    let seen = RefCell::new(BTreeSet::new());
    let lookup = |var: &str| {
        seen.borrow_mut().insert(var.to_owned());
        variables.get(var).cloned()
    };
    let lookup: &dyn Fn(&str) -> Option<String> = &lookup;
    let result = load(&Env::with(lookup));
    if let Err(error) = result {
        panic!("configuration fails with the template's variables: {error:?}");
    }
    seen.into_inner()
}

#[test]
fn every_variable_a_function_reads_is_set_in_the_template_and_nothing_else() {
    let template = template();
    // The two inbound functions share their init (their main.rs call it with their name).
    let functions: [(&str, &str, &str); 7] = [
        (
            "LeadInboundFunction",
            "inbound_settings(",
            include_str!("../../shared/adapters/src/inbound.rs"),
        ),
        (
            "MessageInboundFunction",
            "inbound_settings(",
            include_str!("../../shared/adapters/src/inbound.rs"),
        ),
        (
            "PartnerApiFunction",
            "read_settings(",
            include_str!("../../functions/partner-api/src/main.rs"),
        ),
        (
            "ReplyOutboundFunction",
            "reply_settings(",
            include_str!("../../functions/reply-outbound/src/main.rs"),
        ),
        (
            "EventsOutFunction",
            "events_settings(",
            include_str!("../../functions/events-out/src/main.rs"),
        ),
        (
            "SpeedToLeadFunction",
            "speed_settings(",
            include_str!("../../functions/speed-to-lead/src/main.rs"),
        ),
        (
            "ConnectionsFunction",
            "connections_settings(",
            include_str!("../../functions/connections/src/main.rs"),
        ),
    ];
    for (function, loader, main) in functions {
        assert!(
            main.contains(loader),
            "{function}'s main.rs loads its settings with {loader}..)"
        );
        let variables = environment(&template, function);
        // Closures, not the functions themselves: they must accept any lifetime of the lookup.
        #[allow(clippy::redundant_closure)]
        let read = match loader {
            "inbound_settings(" => looked_up(&variables, |env| inbound_settings(env)),
            "read_settings(" => looked_up(&variables, |env| read_settings(env)),
            "events_settings(" => looked_up(&variables, |env| events_settings(env)),
            "speed_settings(" => looked_up(&variables, |env| speed_settings(env)),
            // As its init: the API's URL read from the parameter the template names.
            "connections_settings(" => looked_up(&variables, |env| {
                let url = public_api_url_parameter(env)
                    .map(|_| "https://api.deploy-time.example".to_owned());
                connections_settings(&env.answering("PUBLIC_API_URL", url))
            }),
            _ => looked_up(&variables, |env| reply_settings(env)),
        };
        let set: BTreeSet<String> = variables.keys().cloned().collect();
        assert_eq!(
            read, set,
            "{function}: variables read by the code vs set in the template"
        );
    }
}

#[test]
fn every_function_binary_is_deployed_by_the_template() {
    let template = template();
    let mut binaries: Vec<String> = template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Function")
        .map(|r| {
            r["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    binaries.sort();
    let mut crates: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../functions"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
    // The simulator of a non-production stage (SimulatorEnabled) is a bin of tools/simulator.
    crates.push("simulator".to_owned());
    crates.sort();
    assert_eq!(binaries, crates);
    for function in template["Resources"].as_mapping().unwrap().values() {
        if function["Type"] == "AWS::Serverless::Function" {
            assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda");
        }
    }
}

#[test]
fn the_reply_queue_agrees_with_the_reply_function() {
    let template = template();
    let function = &resource(&template, "ReplyOutboundFunction")["Properties"];
    let queue = &resource(&template, "ReplyQueue")["Properties"];
    let timeout = function["Timeout"].as_u64().unwrap();
    assert_eq!(
        queue["VisibilityTimeout"].as_u64().unwrap(),
        6 * timeout,
        "visibility = 6 x timeout"
    );
    // The function gives up on the ledger's count of tries; the queue's maxReceiveCount is only a
    // backstop, far enough above it that replies held back behind a failing one of their lead
    // (received again without a try) are never moved to the DLQ untried.
    let max_receives = queue["RedrivePolicy"]["maxReceiveCount"].as_u64().unwrap();
    let variables = environment(&template, "ReplyOutboundFunction");
    let max_attempts: u64 = variables["REPLY_MAX_ATTEMPTS"].parse().unwrap();
    assert!(max_attempts >= 1);
    assert!(
        max_receives >= 10 * max_attempts,
        "maxReceiveCount {max_receives} is not a backstop for {max_attempts} tries"
    );
    let lease = app::replies::RetryPolicy::default().lease.as_secs();
    assert!(
        lease >= timeout && lease < 6 * timeout,
        "a claim outlives an invocation, not a redelivery"
    );
    let events = &function["Events"]["Replies"]["Properties"];
    assert_eq!(
        events["FunctionResponseTypes"][0],
        "ReportBatchItemFailures"
    );
    assert!(events["BatchSize"].as_u64().unwrap() <= 10);
    assert_eq!(queue["FifoQueue"], true);
}

/// The table's global secondary index of that name.
fn index<'a>(template: &'a Value, name: &str) -> &'a Value {
    resource(template, "Table")["Properties"]["GlobalSecondaryIndexes"]
        .as_sequence()
        .expect("GlobalSecondaryIndexes")
        .iter()
        .find(|index| index["IndexName"] == name)
        .unwrap_or_else(|| panic!("the table has no index {name}"))
}

#[test]
fn the_table_has_the_keys_and_indexes_the_adapter_uses() {
    use adapters::dynamo::schema::{GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, PK, SK};
    let template = template();
    let table = &resource(&template, "Table")["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"], PK);
    assert_eq!(table["KeySchema"][1]["AttributeName"], SK);
    let defined: BTreeMap<&str, &str> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["AttributeName"].as_str().unwrap(),
                d["AttributeType"].as_str().unwrap(),
            )
        })
        .collect();
    for (name, pk, sk) in [(GSI1, GSI1_PK, GSI1_SK), (GSI2, GSI2_PK, GSI2_SK)] {
        let index = index(&template, name);
        assert_eq!(index["KeySchema"][0]["AttributeName"], pk, "{name}");
        assert_eq!(index["KeySchema"][0]["KeyType"], "HASH", "{name}");
        assert_eq!(index["KeySchema"][1]["AttributeName"], sk, "{name}");
        assert_eq!(index["KeySchema"][1]["KeyType"], "RANGE", "{name}");
        for key in [pk, sk] {
            assert_eq!(defined.get(key), Some(&"S"), "{key} is a string key");
        }
    }
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
}

/// The routes of the read API, which the read function serves (its handler dispatches on them).
const READ_ROUTES: [&str; 6] = [
    "/v1/leads/{leadID}",
    "/v1/businesses/{businessID}/leads",
    "/v1/businesses/{businessID}/reviews",
    "/v1/businesses/{businessID}/settings",
    "/v1/businesses/{businessID}/stats",
    "/v1/changes",
];

/// The one write the read function serves: a business's settings.
const SETTINGS_PUT: &str = "/v1/businesses/{businessID}/settings";

/// (method, path) of every API event of a function, each checked to be IAM-authorised.
fn iam_routes(template: &Value, function: &str) -> BTreeSet<(String, String)> {
    resource(template, function)["Properties"]["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|event| event["Type"] == "HttpApi")
        .map(|event| {
            let route = &event["Properties"];
            assert_eq!(route["Auth"]["Authorizer"], "AWS_IAM", "{route:?}");
            (
                route["Method"].as_str().unwrap().to_owned(),
                route["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_read_routes_are_iam_authorised_and_the_inbound_routes_are_not() {
    let template = template();
    let route = |function: &str, event: &str| {
        resource(&template, function)["Properties"]["Events"][event]["Properties"].clone()
    };
    let mut expected: BTreeSet<(String, String)> = READ_ROUTES
        .iter()
        .map(|path| ("GET".to_owned(), (*path).to_owned()))
        .collect();
    expected.insert(("PUT".to_owned(), SETTINGS_PUT.to_owned()));
    assert_eq!(iam_routes(&template, "PartnerApiFunction"), expected);
    assert_eq!(route("LeadInboundFunction", "PostLead")["Path"], "/v1/lead");
    assert_eq!(
        route("MessageInboundFunction", "PostMessage")["Path"],
        "/v1/message"
    );
    assert!(
        route("LeadInboundFunction", "PostLead")
            .get("Auth")
            .is_none()
    );
}

/// Lambda's log levels, lowest first.
const LOG_LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

fn log_rank(level: &str) -> usize {
    LOG_LEVELS
        .iter()
        .position(|l| *l == level)
        .unwrap_or_else(|| panic!("{level} is not one of Lambda's log levels"))
}

fn functions(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(name, r)| (name.as_str().unwrap().to_owned(), r))
        .collect()
}

/// A function's LoggingConfig key: its own, else the Globals'.
fn logging<'a>(template: &'a Value, function: &'a Value, key: &str) -> &'a Value {
    match function["Properties"]["LoggingConfig"].get(key) {
        Some(value) => value,
        None => &template["Globals"]["Function"]["LoggingConfig"][key],
    }
}

#[test]
fn the_template_log_levels_keep_the_metric_lines_and_the_report_lines() {
    let template = template();
    let metrics = app::metrics::Metrics::in_memory("ThumbtackPartner/test", "lead-inbound");
    metrics.count(app::metrics::Metric::LeadsReceived, None);
    let emf: serde_json::Value = serde_json::from_str(&metrics.lines()[0]).unwrap();
    // Lambda files a line without a level as INFO: name it, and check the filter keeps it.
    let emf_level = emf["level"].as_str().expect("an EMF line names its level");
    for (name, function) in functions(&template) {
        assert_eq!(logging(&template, function, "LogFormat"), "JSON", "{name}");
        let application = logging(&template, function, "ApplicationLogLevel")
            .as_str()
            .unwrap();
        assert!(
            log_rank(application) <= log_rank(emf_level),
            "{name}: ApplicationLogLevel {application} drops the {emf_level} EMF lines, so every metric"
        );
        // REPORT (duration, memory, init) and START/END lines are INFO system logs.
        assert_eq!(
            logging(&template, function, "SystemLogLevel"),
            "INFO",
            "{name}"
        );
    }
}

#[test]
fn every_function_logs_through_the_subscriber_that_stamps_the_time() {
    for (function, main) in [
        (
            "lead-inbound",
            include_str!("../../functions/lead-inbound/src/main.rs"),
        ),
        (
            "message-inbound",
            include_str!("../../functions/message-inbound/src/main.rs"),
        ),
        (
            "partner-api",
            include_str!("../../functions/partner-api/src/main.rs"),
        ),
        (
            "reply-outbound",
            include_str!("../../functions/reply-outbound/src/main.rs"),
        ),
        (
            "events-out",
            include_str!("../../functions/events-out/src/main.rs"),
        ),
        (
            "speed-to-lead",
            include_str!("../../functions/speed-to-lead/src/main.rs"),
        ),
        (
            "connections",
            include_str!("../../functions/connections/src/main.rs"),
        ),
    ] {
        // Every main.rs starts through adapters::start, which sets up the logs first.
        assert!(
            main.contains("adapters::start(")
                && include_str!("../../shared/adapters/src/start.rs")
                    .contains("crate::logging::init();"),
            "{function}'s main.rs sets up its logs with adapters::logging::init()"
        );
        assert!(!main.contains("init_default_subscriber"), "{function}");
    }
}

/// `(section, key, value)` of infra/samconfig.toml: a flat TOML file of strings and booleans.
fn samconfig() -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut entries = Vec::new();
    for line in include_str!("../../infra/samconfig.toml").lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if let Some((key, value)) = line.split_once('=')
            && !line.starts_with('#')
        {
            let value = value.trim().trim_matches('"').to_owned();
            entries.push((section.clone(), key.trim().to_owned(), value));
        }
    }
    entries
}

#[test]
fn sam_deploy_is_given_the_built_template_and_sam_build_the_source() {
    let template_files: Vec<(String, String)> = samconfig()
        .into_iter()
        .filter(|(_, key, _)| key == "template_file")
        .map(|(section, _, value)| (section, value))
        .collect();
    // A template_file in a global section also reaches sam deploy, which then zips the source
    // template's CodeUri (the whole repository) as every function's code.
    assert_eq!(
        template_files,
        [
            (
                "default.build.parameters".to_owned(),
                "infra/template.yaml".to_owned()
            ),
            (
                "default.deploy.parameters".to_owned(),
                ".aws-sam/build/template.yaml".to_owned()
            ),
        ]
    );
    // deploy.sh picks the artifact bucket (--resolve-s3 or DEPLOY_S3_BUCKET); sam refuses both.
    assert!(
        samconfig()
            .iter()
            .all(|(_, key, _)| key != "resolve_s3" && key != "s3_bucket")
    );
}

#[test]
fn the_architecture_is_a_parameter_that_defaults_to_arm64() {
    let template = template();
    let parameter = &template["Parameters"]["Architecture"];
    assert_eq!(parameter["Default"], "arm64");
    assert_eq!(
        parameter["AllowedValues"],
        serde_norway::from_str::<Value>("[arm64, x86_64]").unwrap()
    );
    let global = &template["Globals"]["Function"]["Architectures"][0];
    assert_eq!(
        intrinsic(global),
        Some(("Ref", &Value::from("Architecture")))
    );
    for (name, function) in functions(&template) {
        assert!(
            function["Properties"].get("Architectures").is_none(),
            "{name} declares its own architecture: the rehearsal checks the Globals'"
        );
    }
}

/// An intrinsic function, short (`!Ref X`) or long (`{Ref: X}`) form, as (name without the
/// `Fn::` prefix, argument).
fn intrinsic(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let name = [
                "Ref",
                "If",
                "Sub",
                "GetAtt",
                "Equals",
                "Not",
                "And",
                "Or",
                "Condition",
                "Select",
                "Join",
            ]
            .into_iter()
            .find(|known| *known == name)?;
            Some((name, &tagged.value))
        }
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next()?;
            let name = key.as_str()?;
            Some((name.strip_prefix("Fn::").unwrap_or(name), argument))
        }
        _ => None,
    }
}

#[test]
fn every_function_logs_to_a_group_of_the_template_that_outlives_it() {
    let template = template();
    for (name, function) in functions(&template) {
        let group = &function["Properties"]["LoggingConfig"]["LogGroup"];
        let Some(("Ref", group)) = intrinsic(group) else {
            panic!("{name}: LoggingConfig.LogGroup is a Ref to the template's log group")
        };
        let group = resource(&template, group.as_str().unwrap());
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{name}");
        assert!(
            group["Properties"].get("RetentionInDays").is_some(),
            "{name}: logs are kept for a bounded time"
        );
        // Named from the stage, not from the function: a group that refers to its function is
        // deleted before it, and a late invocation re-creates it outside the stack.
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        assert_eq!(
            intrinsic(&group["Properties"]["LogGroupName"]),
            Some((
                "Sub",
                &Value::from(format!("/aws/lambda/thumbtack-partner-${{Stage}}-{binary}"))
            )),
            "{name}"
        );
        assert_eq!(
            intrinsic(&function["Properties"]["FunctionName"]),
            Some((
                "Sub",
                &Value::from(format!("thumbtack-partner-${{Stage}}-{binary}"))
            )),
            "{name}"
        );
    }
}

/// The logical id a `!Ref X` or `!GetAtt X.Arn` names.
fn referenced(value: &Value) -> Option<String> {
    match intrinsic(value)? {
        ("Ref", Value::String(id)) => Some(id.clone()),
        ("GetAtt", Value::String(path)) => path.split('.').next().map(str::to_owned),
        ("GetAtt", Value::Sequence(parts)) => parts.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Every action a role's or managed policy's statements allow, with the resources (logical
/// ids, or the literal text) it is allowed on.
fn allowed(statements: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut allowed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for statement in statements.as_sequence().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        let as_list = |value: &Value| match value {
            Value::Sequence(items) => items.clone(),
            other => vec![other.clone()],
        };
        let resources: Vec<String> = as_list(&statement["Resource"])
            .iter()
            .map(|r| {
                referenced(r).unwrap_or_else(|| match intrinsic(r) {
                    Some(("Sub", Value::String(text))) => text.clone(),
                    Some((_, argument)) => serde_norway::to_string(argument).unwrap(),
                    None => r.as_str().unwrap().to_owned(),
                })
            })
            .collect();
        for action in as_list(&statement["Action"]) {
            let action = action.as_str().unwrap().to_owned();
            allowed
                .entry(action)
                .or_default()
                .extend(resources.iter().cloned());
        }
    }
    allowed
}

/// The actions a function's own role allows, its logs aside (each writes its own group only:
/// `iam::every_function_has_a_role_of_its_own_that_writes_logs_to_its_own_group_only`).
fn inline(template: &Value, function: &str) -> BTreeMap<String, BTreeSet<String>> {
    let (_, role) = iam::role_of(template, function);
    let mut actions = allowed(&Value::Sequence(iam::role_statements(role)));
    actions.retain(|action, _| !action.starts_with("logs:"));
    actions
}

fn expected(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (action, resource) in pairs {
        map.entry((*action).to_owned())
            .or_default()
            .insert((*resource).to_owned());
    }
    map
}

#[test]
fn the_reply_function_has_a_role_of_its_own_with_only_the_actions_it_calls() {
    let template = template();
    let function = &resource(&template, "ReplyOutboundFunction")["Properties"];
    // Without a Role, SAM generates one and attaches AWSLambdaSQSQueueExecutionRole for the
    // SQS event: receive and delete on every queue of the account.
    let role = referenced(&function["Role"]).expect("ReplyOutboundFunction names its Role");
    assert!(function.get("Policies").is_none());
    let role = &resource(&template, &role);
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert!(role["Properties"].get("ManagedPolicyArns").is_none());
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_sequence().unwrap().len(), 1);
    assert_eq!(trust[0]["Principal"]["Service"], "lambda.amazonaws.com");
    assert_eq!(trust[0]["Action"], "sts:AssumeRole");
    let mut actions = BTreeMap::new();
    for policy in role["Properties"]["Policies"].as_sequence().unwrap() {
        for (action, resources) in allowed(&policy["PolicyDocument"]["Statement"]) {
            actions
                .entry(action)
                .or_insert_with(BTreeSet::new)
                .extend(resources);
        }
    }
    assert_eq!(
        actions,
        expected(&[
            ("logs:CreateLogStream", "ReplyOutboundLogs"),
            ("logs:PutLogEvents", "ReplyOutboundLogs"),
            // The event source mapping's three, and the handler's retry delays.
            ("sqs:ReceiveMessage", "ReplyQueue"),
            ("sqs:DeleteMessage", "ReplyQueue"),
            ("sqs:GetQueueAttributes", "ReplyQueue"),
            ("sqs:ChangeMessageVisibility", "ReplyQueue"),
            // Parking.
            ("sqs:SendMessage", "ReplyDeadLetterQueue"),
            ("secretsmanager:GetSecretValue", "ThumbtackApiSecret"),
            // The ledger: conditional puts, conditional updates, reads.
            ("dynamodb:PutItem", "Table"),
            ("dynamodb:UpdateItem", "Table"),
            ("dynamodb:GetItem", "Table"),
            // Before the acknowledgement: has a person replied to the lead (its replies' ids)?
            ("dynamodb:Query", "Table"),
            // v4 replies: the pro's token opened, and sealed again after a refresh made with
            // our v4 client.
            ("kms:Encrypt", "TokenKey"),
            ("kms:Decrypt", "TokenKey"),
            ("secretsmanager:GetSecretValue", "ThumbtackV4ClientSecret"),
        ])
    );
    assert!(!TEMPLATE.contains("ConditionCheckItem"), "no code calls it");
}

#[test]
fn tracing_is_pass_through_as_no_code_sends_segments() {
    let template = template();
    // Active tracing bills for segments that say nothing (no code is instrumented) and needs
    // X-Ray permissions in every role, reply-outbound's included.
    assert_eq!(template["Globals"]["Function"]["Tracing"], "PassThrough");
    for (name, function) in functions(&template) {
        assert!(function["Properties"].get("Tracing").is_none(), "{name}");
    }
    assert!(!TEMPLATE.contains("xray:"));
}

#[test]
fn the_table_the_secrets_and_the_dlq_outlive_the_stack_of_a_durable_stage() {
    let template = template();
    // Conditional DeletionPolicy needs the language extensions, applied before SAM's transform.
    assert_eq!(
        template["Transform"],
        serde_norway::from_str::<Value>("[AWS::LanguageExtensions, AWS::Serverless-2016-10-31]")
            .unwrap()
    );
    let kind = &template["Parameters"]["StageKind"];
    assert_eq!(
        kind["Default"], "durable",
        "a deploy by hand keeps the data"
    );
    assert_eq!(
        kind["AllowedValues"],
        serde_norway::from_str::<Value>("[durable, throwaway]").unwrap()
    );
    let throwaway = intrinsic(&template["Conditions"]["IsThrowaway"]).unwrap();
    assert_eq!(throwaway.0, "Equals");
    assert_eq!(
        intrinsic(&throwaway.1[0]),
        Some(("Ref", &Value::from("StageKind")))
    );
    assert_eq!(throwaway.1[1], "throwaway");
    let retained_unless_throwaway =
        serde_norway::from_str::<Value>("[IsThrowaway, Delete, Retain]").unwrap();
    for name in [
        "Table",
        "PartnerCredentialsSecret",
        "ThumbtackApiSecret",
        "ReplyDeadLetterQueue",
    ] {
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert_eq!(
                intrinsic(&resource(&template, name)[policy]),
                Some(("If", &retained_unless_throwaway)),
                "{name} {policy}"
            );
        }
    }
}

/// Issue 18, item 17: every resource that holds something (messages, logs, a key, data) is kept
/// by a durable stage, by its type rather than by a list of names, so a queue added later is not
/// forgotten. A new cursor key would invalidate every cursor a consumer holds; the reply queue
/// holds the pros' unsent replies; the log groups hold the only record of what the functions did.
#[test]
fn every_queue_log_group_secret_and_table_outlives_the_stack_of_a_durable_stage() {
    let template = template();
    let retained_unless_throwaway =
        serde_norway::from_str::<Value>("[IsThrowaway, Delete, Retain]").unwrap();
    let stateful = [
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
        "AWS::SecretsManager::Secret",
    ];
    let mut checked = BTreeSet::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        if !stateful.contains(&resource["Type"].as_str().unwrap()) {
            continue;
        }
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert_eq!(
                intrinsic(&resource[policy]),
                Some(("If", &retained_unless_throwaway)),
                "{name} {policy}: Retain unless the stage is throwaway"
            );
        }
        checked.insert(name.to_owned());
    }
    // The ones the issue names, so that a change of their type cannot empty the check.
    for name in [
        "ReplyQueue",
        "EventsQueue",
        "EventsQueueDeadLetterQueue",
        "WebhookDeadLetterQueue",
        "EventsFailedQueue",
        "SpeedToLeadDeadLetterQueue",
        "ApiAccessLogs",
        "SpeedToLeadLogs",
        "CursorKeySecret",
    ] {
        assert!(checked.contains(name), "{name} is checked");
    }
}

fn alarms(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|(name, r)| (name.as_str().unwrap().to_owned(), &r["Properties"]))
        .collect()
}

/// The metrics an alarm reads: `(namespace, name, dimensions)`, with the namespace and the
/// dimension values as written (`!Sub` text, a referenced logical id, or a literal).
fn watched(alarm: &Value) -> Vec<(String, String, BTreeMap<String, String>)> {
    let text = |value: &Value| match intrinsic(value) {
        Some(("Sub", Value::String(text))) => text.clone(),
        Some(_) => referenced(value).unwrap_or_default(),
        None => value.as_str().unwrap_or_default().to_owned(),
    };
    let metric = |m: &Value| {
        let dimensions = m["Dimensions"]
            .as_sequence()
            .map(|dims| {
                dims.iter()
                    .map(|d| (d["Name"].as_str().unwrap().to_owned(), text(&d["Value"])))
                    .collect()
            })
            .unwrap_or_default();
        (
            text(&m["Namespace"]),
            m["MetricName"].as_str().unwrap().to_owned(),
            dimensions,
        )
    };
    match alarm["Metrics"].as_sequence() {
        Some(queries) => queries
            .iter()
            .filter(|q| q.get("MetricStat").is_some())
            .map(|q| metric(&q["MetricStat"]["Metric"]))
            .collect(),
        None => vec![metric(alarm)],
    }
}

/// Every alarm that reads the metric of that name.
fn alarms_on<'a>(template: &'a Value, metric_name: &str) -> Vec<(String, &'a Value)> {
    alarms(template)
        .into_iter()
        .filter(|(_, alarm)| watched(alarm).iter().any(|(_, m, _)| m == metric_name))
        .collect()
}

/// The one alarm that reads the metric of that name.
fn alarm_on<'a>(template: &'a Value, metric_name: &str) -> (String, &'a Value) {
    let found = alarms_on(template, metric_name);
    assert_eq!(found.len(), 1, "one alarm on {metric_name}");
    found.into_iter().next().unwrap()
}

/// The alarm of that logical id.
fn alarm_named<'a>(template: &'a Value, name: &str) -> (String, &'a Value) {
    alarms(template)
        .into_iter()
        .find(|(id, _)| id == name)
        .unwrap_or_else(|| panic!("no alarm {name}"))
}

/// The expression an alarm compares with its threshold (the query with `ReturnData: true`).
fn returned_expression(alarm: &Value) -> String {
    alarm["Metrics"]
        .as_sequence()
        .expect("a metric-math alarm")
        .iter()
        .find(|q| q["ReturnData"] == true)
        .and_then(|q| q["Expression"].as_str())
        .expect("the returned query is an expression")
        .to_owned()
}

/// `metrics` emitted `metric` once, in the namespace and with exactly the dimensions the alarm
/// `name` watches: otherwise the alarm watches a metric that never comes.
fn assert_emitted_once_as_watched(
    name: &str,
    metrics: &app::metrics::Metrics,
    (namespace, metric, dimensions): &(String, String, BTreeMap<String, String>),
) {
    let emitted: Vec<serde_json::Value> = metrics
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|line: &serde_json::Value| line.get(metric.as_str()).is_some())
        .collect();
    assert_eq!(emitted.len(), 1, "{name}: {metric} once");
    let directive = &emitted[0]["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], namespace.as_str(), "{name}");
    let names: Vec<&str> = directive["Dimensions"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        dimensions.keys().map(String::as_str).collect::<Vec<_>>(),
        "{name}"
    );
    for (dimension, value) in dimensions {
        assert_eq!(
            emitted[0][dimension.as_str()],
            value.as_str(),
            "{name}: {dimension}"
        );
    }
}

fn number(value: &Value) -> f64 {
    value.as_f64().unwrap()
}

/// M of N: more than one period must breach, so one stray datapoint never fires.
fn assert_m_of_n(name: &str, alarm: &Value) {
    let periods = number(&alarm["EvaluationPeriods"]);
    let breaching = number(&alarm["DatapointsToAlarm"]);
    assert!(
        breaching >= 2.0 && breaching <= periods,
        "{name}: {breaching} of {periods}"
    );
}

#[test]
fn every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears() {
    let template = template();
    let notify =
        serde_norway::from_str::<Value>("[HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]")
            .unwrap();
    for (name, alarm) in alarms(&template) {
        for actions in ["AlarmActions", "OKActions"] {
            assert_eq!(
                intrinsic(&alarm[actions]),
                Some(("If", &notify)),
                "{name} {actions}"
            );
        }
    }
}

#[test]
fn a_durable_stage_cannot_be_deployed_without_an_alarm_topic() {
    let template = template();
    let rules = template["Rules"]
        .as_mapping()
        .expect("the template has Rules");
    let rule = rules
        .values()
        .find(|rule| {
            let condition = intrinsic(&rule["RuleCondition"]);
            condition.is_some_and(|(name, args)| {
                name == "Equals"
                    && referenced(&args[0]).as_deref() == Some("StageKind")
                    && args[1] == "durable"
            })
        })
        .expect("a rule for durable stages");
    let assertion = &rule["Assertions"][0];
    let Some(("Not", not)) = intrinsic(&assertion["Assert"]) else {
        panic!("the assertion is a Not")
    };
    let Some(("Equals", equals)) = intrinsic(&not[0]) else {
        panic!("of an Equals")
    };
    assert_eq!(referenced(&equals[0]).as_deref(), Some("AlarmTopicArn"));
    assert_eq!(equals[1], "");
    assert!(
        assertion["AssertDescription"]
            .as_str()
            .unwrap()
            .contains("AlarmTopicArn")
    );
}

#[test]
fn refused_credentials_raise_an_alarm_that_a_stray_scanner_does_not() {
    let template = template();
    let (name, alarm) = alarm_on(&template, "AuthFailures");
    let mut routes: Vec<(String, String)> = watched(alarm)
        .into_iter()
        .map(|(namespace, metric, dimensions)| {
            assert_eq!(namespace, "ThumbtackPartner/${Stage}");
            assert_eq!(metric, "AuthFailures");
            assert_eq!(dimensions.len(), 2, "Function and Route, as Quarantined");
            (dimensions["Function"].clone(), dimensions["Route"].clone())
        })
        .collect();
    routes.sort();
    // Every inbound route's (tests/infra/inbound.rs checks them against the code's).
    assert_eq!(
        routes,
        [
            ("lead-inbound".to_owned(), "lead".to_owned()),
            ("lead-inbound".to_owned(), "lead-update".to_owned()),
            ("lead-inbound".to_owned(), "v4-webhook".to_owned()),
            ("message-inbound".to_owned(), "message".to_owned()),
            ("message-inbound".to_owned(), "review".to_owned())
        ]
    );
    assert!(
        number(&alarm["Threshold"]) >= 2.0,
        "{name}: not one refusal"
    );
    assert_m_of_n(&name, alarm);
    assert_eq!(alarm["TreatMissingData"], "notBreaching");
}

#[test]
fn the_5xx_rate_alarm_needs_enough_requests_and_more_than_one_bad_period() {
    let template = template();
    let (name, alarm) = alarm_on(&template, "5xx");
    let expression = returned_expression(alarm);
    assert!(
        expression.contains("FILL(requests, 0) >="),
        "{name}: a rate only over a minimum of requests: {expression}"
    );
    assert_m_of_n(&name, alarm);
}

#[test]
fn replies_waiting_too_long_on_the_queue_raise_an_alarm() {
    let template = template();
    let on_reply_queue: Vec<_> = alarms_on(&template, "ApproximateAgeOfOldestMessage")
        .into_iter()
        .filter(|(_, alarm)| watched(alarm)[0].2["QueueName"] == "ReplyQueue")
        .collect();
    assert_eq!(
        on_reply_queue.len(),
        1,
        "one alarm on the reply queue's age"
    );
    let (name, alarm) = &on_reply_queue[0];
    assert_eq!(watched(alarm)[0].0, "AWS/SQS");
    // Longer than a normal retry sequence, shorter than a customer's patience.
    let threshold = number(&alarm["Threshold"]);
    assert!(
        (600.0..=3600.0).contains(&threshold),
        "{name}: {threshold} s"
    );
    assert_m_of_n(name, alarm);
}

#[test]
fn the_indexes_project_what_the_adapter_declares_and_no_body() {
    use adapters::dynamo::schema::{GSI1, GSI1_PROJECTED, GSI2, GSI2_PROJECTED};
    let template = template();
    for (name, projected) in [(GSI1, &GSI1_PROJECTED[..]), (GSI2, &GSI2_PROJECTED[..])] {
        let index = index(&template, name);
        assert_eq!(index["Projection"]["ProjectionType"], "INCLUDE", "{name}");
        let declared: BTreeSet<&str> = index["Projection"]["NonKeyAttributes"]
            .as_sequence()
            .expect("NonKeyAttributes")
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let adapter: BTreeSet<&str> = projected.iter().copied().collect();
        assert_eq!(declared, adapter, "{name}");
        for body in ["raw", "problems", "text", "warnings", "lastError", "data"] {
            assert!(
                !declared.contains(body),
                "{name}: {body} stays in the base items"
            );
        }
    }
}

#[test]
fn callers_get_managed_policies_to_read_leads_send_replies_and_operate() {
    let template = template();
    let policy = |name: &str| {
        let policy = resource(&template, name);
        assert_eq!(policy["Type"], "AWS::IAM::ManagedPolicy", "{name}");
        let output = template["Outputs"]
            .as_mapping()
            .unwrap()
            .values()
            .find(|o| referenced(&o["Value"]).as_deref() == Some(name));
        assert!(output.is_some(), "{name} is an output");
        allowed(&policy["Properties"]["PolicyDocument"]["Statement"])
    };
    // Every read route, and only those: the path parameters become wildcards. The one write,
    // PUT of a business's settings, has a policy of its own.
    let as_arn = |method: &str, path: &str| {
        format!(
            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/$default/{method}{}",
            path.replace("{businessID}", "*")
        )
    };
    let put = as_arn("PUT", SETTINGS_PUT);
    assert_eq!(
        policy("SettingsEditorPolicy"),
        expected(&[("execute-api:Invoke", put.as_str())])
    );
    let routes: Vec<String> = iam_routes(&template, "PartnerApiFunction")
        .into_iter()
        .filter(|(method, _)| method == "GET")
        .map(|(method, path)| {
            format!(
                "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/$default/{method}{}",
                path.replace("{leadID}", "*").replace("{businessID}", "*")
            )
        })
        .collect();
    assert_eq!(routes.len(), READ_ROUTES.len());
    let invoke: Vec<(&str, &str)> = routes
        .iter()
        .map(|route| ("execute-api:Invoke", route.as_str()))
        .collect();
    assert_eq!(policy("PartnerApiReaderPolicy"), expected(&invoke));
    assert_eq!(
        policy("ReplyProducerPolicy"),
        expected(&[("sqs:SendMessage", "ReplyQueue")])
    );
    // partnerctl's quarantine (and its replay, which stores as the inbound functions do), leads,
    // parked and redrive, and the queues' counts.
    assert_eq!(
        policy("OperatorPolicy"),
        expected(&[
            ("dynamodb:Query", "${Table.Arn}/index/GSI1"),
            ("dynamodb:BatchGetItem", "Table"),
            ("dynamodb:Query", "Table"),
            ("dynamodb:PutItem", "Table"),
            ("dynamodb:UpdateItem", "Table"),
            ("dynamodb:GetItem", "Table"),
            ("sqs:ReceiveMessage", "ReplyDeadLetterQueue"),
            ("sqs:ChangeMessageVisibility", "ReplyDeadLetterQueue"),
            ("sqs:DeleteMessage", "ReplyDeadLetterQueue"),
            ("sqs:GetQueueAttributes", "ReplyDeadLetterQueue"),
            ("sqs:GetQueueAttributes", "ReplyQueue"),
            ("sqs:SendMessage", "ReplyQueue"),
            // partnerctl finds both queues by name (REPLY_QUEUE_NAME) when given no URLs.
            ("sqs:GetQueueUrl", "ReplyQueue"),
            ("sqs:GetQueueUrl", "ReplyDeadLetterQueue"),
        ])
    );
}

#[test]
fn the_read_function_may_query_the_table_and_the_indexes_it_lists_from_only() {
    let template = template();
    let actions = inline(&template, "PartnerApiFunction");
    assert_eq!(
        actions,
        expected(&[
            // A lead's conversation: one Query of its partition; a business's settings (GetItem).
            ("dynamodb:Query", "Table"),
            ("dynamodb:GetItem", "Table"),
            // A business's reviews: their order from GSI1, their bodies in one batch.
            ("dynamodb:BatchGetItem", "Table"),
            // A business's settings, saved (and only those: the next test).
            ("dynamodb:PutItem", "Table"),
            // A business's leads and reviews (GSI1) and the changes (GSI2).
            ("dynamodb:Query", "${Table.Arn}/index/GSI1"),
            ("dynamodb:Query", "${Table.Arn}/index/GSI2"),
        ])
    );
}

#[test]
fn the_speed_to_lead_function_may_call_only_what_it_calls() {
    let template = template();
    let actions = inline(&template, "SpeedToLeadFunction");
    assert_eq!(
        actions,
        expected(&[
            // The business's settings and the lead's partition; the notes it leaves; the lead
            // counted in its business's day (a transaction of two UpdateItems).
            ("dynamodb:GetItem", "Table"),
            ("dynamodb:Query", "Table"),
            ("dynamodb:PutItem", "Table"),
            ("dynamodb:UpdateItem", "Table"),
            // The acknowledgement, on the reply queue (no warm-up: nothing else on SQS); an
            // invocation given up on, on its dead-letter queue (Lambda sends it with this role).
            ("sqs:SendMessage", "ReplyQueue"),
            ("sqs:SendMessage", "SpeedToLeadDeadLetterQueue"),
            // One-time schedules in its group, handed the scheduler's role.
            (
                "scheduler:CreateSchedule",
                "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*",
            ),
            ("iam:PassRole", "SchedulerRole"),
        ])
    );
}

#[test]
fn the_read_function_writes_only_business_settings() {
    let template = template();
    let statements = iam::role_statements(iam::role_of(&template, "PartnerApiFunction").1);
    let puts: Vec<&Value> = statements
        .iter()
        .filter(|s| format!("{:?}", s["Action"]).contains("dynamodb:PutItem"))
        .collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(
        puts[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"][0],
        "BUSINESS#*"
    );
    // ...and the adapter writes a business's settings under that prefix.
    assert!(adapters::dynamo::schema::business_settings_pk("b-1").starts_with("BUSINESS#"));
}

#[test]
fn the_cursor_key_is_a_generated_secret_resolved_when_the_stack_deploys() {
    let template = template();
    let secret = resource(&template, "CursorKeySecret");
    assert_eq!(secret["Type"], "AWS::SecretsManager::Secret");
    let properties = &secret["Properties"];
    assert_eq!(
        intrinsic(&properties["Name"]),
        Some(("Sub", &Value::from("thumbtack-partner-${Stage}/cursor-key")))
    );
    assert!(
        properties.get("SecretString").is_none(),
        "never in the template"
    );
    let generated = &properties["GenerateSecretString"];
    assert!(generated["PasswordLength"].as_u64().unwrap() >= 32);
    // A plain string, not JSON: no template to fill.
    assert!(generated.get("SecretStringTemplate").is_none());
    // The function reads no secret at init: CloudFormation puts the value in its environment.
    let variables =
        &resource(&template, "PartnerApiFunction")["Properties"]["Environment"]["Variables"];
    assert_eq!(
        intrinsic(&variables["CURSOR_KEY"]),
        Some((
            "Sub",
            &Value::from("{{resolve:secretsmanager:${CursorKeySecret}:SecretString}}")
        ))
    );
    assert_eq!(variables["CHANGES_SETTLE_SECONDS"], "30");
}

#[test]
fn the_access_log_names_the_caller_and_the_integration_error_and_no_body() {
    let template = template();
    let format = resource(&template, "HttpApi")["Properties"]["AccessLogSettings"]["Format"]
        .as_str()
        .unwrap()
        .to_owned();
    let fields: serde_json::Value = serde_json::from_str(&format).unwrap();
    let values: Vec<&str> = fields
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap())
        .collect();
    for needed in [
        "$context.integrationErrorMessage",
        "$context.identity.userArn",
        "$context.requestId",
        "$context.status",
    ] {
        assert!(values.contains(&needed), "{needed} in {format}");
    }
    for never in ["body", "header", "authorization"] {
        assert!(
            !format.to_lowercase().contains(never),
            "{never} in {format}"
        );
    }
}

#[test]
fn the_dead_letter_queue_takes_parked_replies_from_the_reply_queue_only() {
    let template = template();
    let policy = &resource(&template, "ReplyDeadLetterQueue")["Properties"]["RedriveAllowPolicy"];
    assert_eq!(policy["redrivePermission"], "byQueue");
    let sources = policy["sourceQueueArns"].as_sequence().unwrap();
    assert_eq!(sources.len(), 1);
    let Some(("Sub", Value::String(arn))) = intrinsic(&sources[0]) else {
        panic!("the reply queue's ARN, built from its name (a GetAtt would be a cycle)")
    };
    let Some(("Sub", Value::String(name))) =
        intrinsic(&resource(&template, "ReplyQueue")["Properties"]["QueueName"])
    else {
        panic!("the reply queue's name is a !Sub")
    };
    assert_eq!(
        *arn,
        format!("arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{name}")
    );
}

#[test]
fn the_reply_queue_deduplicates_on_content_so_a_producer_may_omit_the_id() {
    let template = template();
    let queue = &resource(&template, "ReplyQueue")["Properties"];
    // The contract's deduplication id is the SHA-256 of the body, which SQS computes itself.
    assert_eq!(queue["ContentBasedDeduplication"], true);
    assert_eq!(queue["DeduplicationScope"], "messageGroup");
}
