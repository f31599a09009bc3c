//! Events out (issue 12) in the template: the table's stream, the events function and its stream
//! mapping, the bus and its archive, their alarms, and the optional consumers as each deploy
//! sees them.

use super::deploy::{Deploy, references};
use super::*;
use app::metrics::Metric;

/// Parameter sets that turn the optional parts on and off, each with what it is.
fn deploys(template: &Value) -> Vec<(&'static str, Deploy<'_>)> {
    let webhook = [
        ("EventsWebhookUrl", "https://crm.partner.example/thumbtack"),
        ("EventsWebhookApiKey", "k-123"),
    ];
    vec![
        ("defaults", Deploy::with(template, &[])),
        (
            "a throwaway stage with an alarm topic",
            Deploy::with(
                template,
                &[
                    ("StageKind", "throwaway"),
                    ("AlarmTopicArn", "arn:aws:sns:us-east-1:123456789012:ops"),
                ],
            ),
        ),
        (
            "the events queue",
            Deploy::with(template, &[("EventsQueueEnabled", "true")]),
        ),
        (
            "a webhook with an API key",
            Deploy::with(template, &webhook),
        ),
        (
            "a webhook with basic auth",
            Deploy::with(
                template,
                &[
                    ("EventsWebhookUrl", "https://crm.partner.example/thumbtack"),
                    ("EventsWebhookAuth", "Basic"),
                    ("EventsWebhookUsername", "thumbtack"),
                    ("EventsWebhookPassword", "s3cret"),
                ],
            ),
        ),
        (
            "both consumers",
            Deploy::with(
                template,
                &[
                    ("EventsQueueEnabled", "true"),
                    ("EventsWebhookUrl", "https://crm.partner.example/thumbtack"),
                    ("EventsWebhookApiKey", "k-123"),
                ],
            ),
        ),
    ]
}

fn of_type(resources: &BTreeMap<String, Value>, kind: &str) -> Vec<(String, Value)> {
    resources
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(name, r)| (name.clone(), r.clone()))
        .collect()
}

fn sub_text(value: &Value) -> String {
    match intrinsic(value) {
        Some(("Sub", Value::String(text))) => text.clone(),
        _ => panic!("a !Sub: {value:?}"),
    }
}

/// Whether an event pattern (a mapping, or its JSON text) matches every event of our source and
/// nothing else.
fn partner_source_only(pattern: &Value) -> bool {
    let pattern: serde_json::Value = match pattern {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => serde_json::to_value(other).unwrap(),
    };
    pattern == serde_json::json!({ "source": [app::events::SOURCE] })
}

#[test]
fn the_table_streams_new_and_old_images_to_the_events_function() {
    let template = template();
    let table = &resource(&template, "Table")["Properties"];
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    let function = resource(&template, "EventsOutFunction");
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"],
        "events-out"
    );
    let events = function["Properties"]["Events"].as_mapping().unwrap();
    assert_eq!(events.len(), 1, "the stream is its only trigger");
    let (_, event) = events.iter().next().unwrap();
    assert_eq!(event["Type"], "DynamoDB");
    assert_eq!(
        intrinsic(&event["Properties"]["Stream"]),
        Some(("GetAtt", &Value::from("Table.StreamArn")))
    );
}

#[test]
fn the_stream_mapping_reports_partial_failures_keeps_order_and_parks_what_it_gives_up_on() {
    let template = template();
    let events = resource(&template, "EventsOutFunction")["Properties"]["Events"]
        .as_mapping()
        .unwrap();
    let mapping = &events.values().next().unwrap()["Properties"];
    assert_eq!(
        mapping["FunctionResponseTypes"],
        serde_norway::from_str::<Value>("[ReportBatchItemFailures]").unwrap()
    );
    assert_eq!(mapping["BisectBatchOnFunctionError"], true);
    // -1 (the default for streams) retries a poison record until it leaves the stream, 24 hours
    // later, and holds every lead of its shard behind it all that time.
    let retries = mapping["MaximumRetryAttempts"]
        .as_i64()
        .expect("MaximumRetryAttempts is set");
    assert!((1..=100).contains(&retries), "{retries} retries");
    // The first deploy starts from the oldest record: facts stored while the mapping was being
    // created are not skipped (LATEST would skip them).
    assert_eq!(mapping["StartingPosition"], "TRIM_HORIZON");
    // One batch at a time per shard: a lead's records stay in the order they were written.
    assert_eq!(mapping["ParallelizationFactor"], 1);
    let batch = mapping["BatchSize"].as_u64().unwrap_or(100);
    assert!((1..=1000).contains(&batch));
    let on_failure = &mapping["DestinationConfig"]["OnFailure"];
    assert_eq!(
        referenced(&on_failure["Destination"]).as_deref(),
        Some("EventsFailedQueue")
    );
    let queue = &resource(&template, "EventsFailedQueue");
    assert_eq!(queue["Type"], "AWS::SQS::Queue");
    assert_eq!(
        sub_text(&queue["Properties"]["QueueName"]),
        "thumbtack-partner-${Stage}-events-failed"
    );
    assert!(
        queue["Properties"].get("FifoQueue").is_none(),
        "Lambda's on-failure destinations are standard queues"
    );
    assert_eq!(queue["Properties"]["MessageRetentionPeriod"], 1_209_600);
}

#[test]
fn every_event_goes_on_the_stage_bus_and_into_an_archive_kept_for_a_parameter_of_days() {
    let template = template();
    let bus = resource(&template, "EventBus");
    assert_eq!(bus["Type"], "AWS::Events::EventBus");
    assert_eq!(
        sub_text(&bus["Properties"]["Name"]),
        "thumbtack-partner-${Stage}"
    );
    let function = &resource(&template, "EventsOutFunction")["Properties"];
    assert_eq!(
        referenced(&function["Environment"]["Variables"]["EVENT_BUS_NAME"]).as_deref(),
        Some("EventBus")
    );
    let archives: Vec<_> = template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Events::Archive")
        .collect();
    assert_eq!(archives.len(), 1);
    let archive = &archives[0]["Properties"];
    assert_eq!(
        intrinsic(&archive["SourceArn"]),
        Some(("GetAtt", &Value::from("EventBus.Arn")))
    );
    assert!(
        partner_source_only(&archive["EventPattern"]),
        "every event of the bus: {:?}",
        archive["EventPattern"]
    );
    let Some(("Ref", Value::String(retention))) = intrinsic(&archive["RetentionDays"]) else {
        panic!("the retention is a parameter")
    };
    let parameter = &template["Parameters"][retention.as_str()];
    assert_eq!(parameter["Type"], "Number");
    assert_eq!(parameter["Default"], 30);
    assert!(
        parameter["MinValue"].as_u64().unwrap() >= 1,
        "0 keeps events for ever"
    );
    // What a replay and a subscriber need to name.
    let outputs: BTreeSet<String> = template["Outputs"]
        .as_mapping()
        .unwrap()
        .values()
        .map(|o| serde_norway::to_string(&o["Value"]).unwrap())
        .collect();
    for wanted in [
        "!Ref EventBus",
        "!GetAtt EventBus.Arn",
        "!GetAtt EventsArchive.Arn",
    ] {
        assert!(
            outputs.iter().any(|o| o.trim() == wanted),
            "an output of {wanted}: {outputs:?}"
        );
    }
}

#[test]
fn the_events_function_may_put_events_on_its_bus_only_and_read_items_of_the_table_only() {
    let template = template();
    let function = &resource(&template, "EventsOutFunction")["Properties"];
    // Without a Role, SAM would attach AWSLambdaDynamoDBExecutionRole for the stream event: the
    // streams of every table of the account.
    let role = referenced(&function["Role"]).expect("EventsOutFunction names its Role");
    assert!(function.get("Policies").is_none());
    let role = resource(&template, &role);
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert!(role["Properties"].get("ManagedPolicyArns").is_none());
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_sequence().unwrap().len(), 1);
    assert_eq!(trust[0]["Principal"]["Service"], "lambda.amazonaws.com");
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
            ("logs:CreateLogStream", "EventsOutLogs"),
            ("logs:PutLogEvents", "EventsOutLogs"),
            // The event source mapping reads the table's stream, and no other.
            ("dynamodb:DescribeStream", "Table"),
            ("dynamodb:GetRecords", "Table"),
            ("dynamodb:GetShardIterator", "Table"),
            ("dynamodb:ListStreams", "${Table.Arn}/stream/*"),
            // ... and sends what it gives up on to the on-failure queue.
            ("sqs:SendMessage", "EventsFailedQueue"),
            // The handler: its bus, and the leads of a batch's messages (leadKnown), together.
            ("events:PutEvents", "EventBus"),
            ("dynamodb:BatchGetItem", "Table"),
        ])
    );
    // The stream actions name the table's stream, not the table.
    let stream_statement = role["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_sequence().unwrap())
        .find(|s| {
            serde_norway::to_string(&s["Action"])
                .unwrap()
                .contains("GetRecords")
        })
        .unwrap();
    assert_eq!(
        intrinsic(&stream_statement["Resource"]),
        Some(("GetAtt", &Value::from("Table.StreamArn")))
    );
    let bus_statement = role["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_sequence().unwrap())
        .find(|s| {
            serde_norway::to_string(&s["Action"])
                .unwrap()
                .contains("events:PutEvents")
        })
        .unwrap();
    assert_eq!(
        intrinsic(&bus_statement["Resource"]),
        Some(("GetAtt", &Value::from("EventBus.Arn")))
    );
}

#[test]
fn a_stream_that_falls_behind_or_gives_up_raises_an_alarm() {
    let template = template();
    let (name, alarm) = alarm_on(&template, "IteratorAge");
    let watched = watched(alarm);
    assert_eq!(watched.len(), 1);
    assert_eq!(watched[0].0, "AWS/Lambda");
    assert_eq!(watched[0].2["FunctionName"], "EventsOutFunction");
    // IteratorAge is in milliseconds; the threshold is a parameter in seconds.
    let expression = alarm["Metrics"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|q| q["ReturnData"] == true)
        .and_then(|q| q["Expression"].as_str())
        .expect("the age in seconds");
    assert!(expression.contains("/ 1000"), "{expression}");
    let Some(("Ref", Value::String(threshold))) = intrinsic(&alarm["Threshold"]) else {
        panic!("{name}: the threshold is a parameter")
    };
    let default = number(&template["Parameters"][threshold.as_str()]["Default"]);
    assert!((60.0..=3600.0).contains(&default), "{name}: {default} s");
    assert_m_of_n(&name, alarm);

    let on_failed_queue: Vec<_> = alarms(&template)
        .into_iter()
        .filter(|(_, alarm)| watched_queue(alarm).as_deref() == Some("EventsFailedQueue"))
        .collect();
    assert_eq!(
        on_failed_queue.len(),
        1,
        "one alarm on the on-failure queue"
    );
    let (name, alarm) = &on_failed_queue[0];
    assert_eq!(alarm["Threshold"], 0, "{name}: any message");
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
}

/// The queue whose visible messages an alarm watches, if that is what it watches.
fn watched_queue(alarm: &Value) -> Option<String> {
    match watched(alarm).as_slice() {
        [(namespace, metric, dimensions)]
            if namespace == "AWS/SQS" && metric == "ApproximateNumberOfMessagesVisible" =>
        {
            dimensions.get("QueueName").cloned()
        }
        _ => None,
    }
}

#[test]
fn every_function_is_watched_for_errors_and_throttles() {
    let template = template();
    // The product's functions: the simulator of a non-production stage (SimulatorEnabled) pages
    // nobody; what it failed at is in its /sim/log, read by the test that drives it.
    let functions: BTreeSet<String> = functions(&template)
        .into_iter()
        .map(|(function, _)| function)
        .filter(|function| function != "SimulatorFunction")
        .collect();
    for metric in ["Errors", "Throttles"] {
        let mut watched_functions = BTreeSet::new();
        for (name, alarm) in alarms_on(&template, metric) {
            for (namespace, watched_metric, dimensions) in watched(alarm) {
                assert_eq!(namespace, "AWS/Lambda", "{name}");
                if watched_metric == metric {
                    watched_functions.insert(dimensions["FunctionName"].clone());
                }
            }
            // Every metric it reads reaches the expression it compares.
            let returned = returned_expression(alarm);
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
                        expressions.iter().any(|e| e.contains(id)),
                        "{name}: {returned} leaves out {id}"
                    );
                }
            }
        }
        assert_eq!(watched_functions, functions, "{metric}");
    }
}

#[test]
fn the_consumers_exist_only_when_their_parameters_turn_them_on() {
    let template = template();
    for (what, deploy) in deploys(&template) {
        let resources = deploy.resources();
        let rules = of_type(&resources, "AWS::Events::Rule");
        let targets: Vec<String> = rules
            .iter()
            .flat_map(|(_, rule)| rule["Properties"]["Targets"].as_sequence().unwrap().clone())
            .map(|target| referenced(&target["Arn"]).unwrap())
            .collect();
        let queue_on = deploy.condition("HasEventsQueue");
        let webhook_on = deploy.condition("HasWebhook");
        assert_eq!(
            queue_on,
            what.contains("queue") || what.contains("both"),
            "{what}"
        );
        assert_eq!(
            webhook_on,
            what.contains("webhook") || what.contains("both"),
            "{what}"
        );
        // The stack's own rules are the consumers' only: one each.
        assert_eq!(
            rules.len(),
            usize::from(queue_on) + usize::from(webhook_on),
            "{what}: {targets:?}"
        );
        assert_eq!(
            targets.contains(&"EventsQueue".to_owned()),
            queue_on,
            "{what}"
        );
        assert_eq!(
            targets.contains(&"WebhookDestination".to_owned()),
            webhook_on,
            "{what}"
        );
        assert_eq!(resources.contains_key("EventsQueue"), queue_on, "{what}");
        assert_eq!(
            of_type(&resources, "AWS::Events::Connection").len(),
            usize::from(webhook_on),
            "{what}"
        );
        assert_eq!(
            of_type(&resources, "AWS::Events::ApiDestination").len(),
            usize::from(webhook_on),
            "{what}"
        );
        let outputs = deploy.outputs();
        assert_eq!(outputs.contains_key("EventsQueueUrl"), queue_on, "{what}");
        assert!(outputs.contains_key("EventBusName"), "{what}");
        if webhook_on {
            let connection = &of_type(&resources, "AWS::Events::Connection")[0].1["Properties"];
            let (kind, parameters) = if what.contains("basic") {
                ("BASIC", "BasicAuthParameters")
            } else {
                ("API_KEY", "ApiKeyAuthParameters")
            };
            assert_eq!(connection["AuthorizationType"], kind, "{what}");
            let auth = connection["AuthParameters"].as_mapping().unwrap();
            assert_eq!(auth.len(), 1, "{what}: {auth:?}");
            assert!(auth.contains_key(parameters), "{what}: {auth:?}");
        }
    }
}

#[test]
fn no_deploy_refers_to_a_resource_it_does_not_create() {
    let template = template();
    let parameters: BTreeSet<String> = template["Parameters"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    for (what, deploy) in deploys(&template) {
        let resources = deploy.resources();
        let outputs = deploy.outputs();
        for (name, item) in resources.iter().chain(outputs.iter()) {
            for id in references(item) {
                assert!(
                    id.starts_with("AWS::")
                        || parameters.contains(&id)
                        || resources.contains_key(&id),
                    "{what}: {name} refers to {id}, which this deploy does not create"
                );
            }
        }
    }
}

#[test]
fn every_consumer_target_retries_then_keeps_what_it_could_not_deliver() {
    let template = template();
    let deploy = Deploy::with(
        &template,
        &[
            ("EventsQueueEnabled", "true"),
            ("EventsWebhookUrl", "https://crm.partner.example/thumbtack"),
            ("EventsWebhookApiKey", "k-123"),
        ],
    );
    let resources = deploy.resources();
    let alarms: Vec<Value> = of_type(&resources, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, alarm)| alarm["Properties"].clone())
        .collect();
    let policies = of_type(&resources, "AWS::SQS::QueuePolicy");
    for (rule_name, rule) in of_type(&resources, "AWS::Events::Rule") {
        let rule = &rule["Properties"];
        assert_eq!(
            referenced(&rule["EventBusName"]).as_deref(),
            Some("EventBus")
        );
        assert!(partner_source_only(&rule["EventPattern"]), "{rule_name}");
        assert_eq!(rule["State"], "ENABLED", "{rule_name}");
        for target in rule["Targets"].as_sequence().unwrap() {
            let retry = &target["RetryPolicy"];
            assert!(
                retry["MaximumRetryAttempts"].as_u64().unwrap() >= 1,
                "{rule_name}"
            );
            // EventBridge's limit: a partner down for a day still gets every event.
            assert_eq!(retry["MaximumEventAgeInSeconds"], 86_400, "{rule_name}");
            let dlq = referenced(&target["DeadLetterConfig"]["Arn"])
                .unwrap_or_else(|| panic!("{rule_name}: a dead-letter queue on the target"));
            assert_eq!(resources[&dlq]["Type"], "AWS::SQS::Queue", "{rule_name}");
            assert!(
                alarms
                    .iter()
                    .any(|alarm| watched_queue(alarm).as_deref() == Some(dlq.as_str())),
                "{rule_name}: an alarm on {dlq}"
            );
            // EventBridge may send to the queue and its dead-letter queue for this rule only.
            let mut queues = vec![dlq.clone()];
            if resources[&referenced(&target["Arn"]).unwrap()]["Type"] == "AWS::SQS::Queue" {
                queues.push(referenced(&target["Arn"]).unwrap());
            }
            for queue in queues {
                let granted: Vec<&Value> = policies
                    .iter()
                    .filter(|(_, p)| {
                        p["Properties"]["Queues"]
                            .as_sequence()
                            .unwrap()
                            .iter()
                            .any(|q| referenced(q).as_deref() == Some(queue.as_str()))
                    })
                    .flat_map(|(_, p)| {
                        p["Properties"]["PolicyDocument"]["Statement"]
                            .as_sequence()
                            .unwrap()
                    })
                    .filter(|s| referenced(&s["Resource"]).as_deref() == Some(queue.as_str()))
                    .collect();
                assert_eq!(granted.len(), 1, "{rule_name}: one statement for {queue}");
                let statement = granted[0];
                assert_eq!(statement["Effect"], "Allow");
                assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
                assert_eq!(statement["Action"], "sqs:SendMessage");
                assert_eq!(
                    referenced(&statement["Condition"]["ArnEquals"]["aws:SourceArn"]),
                    Some(rule_name.clone()),
                    "{queue} takes messages from {rule_name} only"
                );
            }
        }
    }
}

#[test]
fn the_webhook_credentials_are_parameters_that_are_never_echoed() {
    let template = template();
    for secret in ["EventsWebhookApiKey", "EventsWebhookPassword"] {
        let parameter = &template["Parameters"][secret];
        assert_eq!(parameter["NoEcho"], true, "{secret}");
        assert_eq!(parameter["Default"], "", "{secret}: none unless given");
    }
    let deploy = Deploy::with(
        &template,
        &[
            ("EventsWebhookUrl", "https://crm.partner.example/thumbtack"),
            ("EventsWebhookApiKey", "k-123"),
        ],
    );
    let resources = deploy.resources();
    let destination = &of_type(&resources, "AWS::Events::ApiDestination")[0].1["Properties"];
    assert_eq!(destination["HttpMethod"], "POST");
    assert_eq!(
        referenced(&destination["InvocationEndpoint"]).as_deref(),
        Some("EventsWebhookUrl")
    );
    let url = &template["Parameters"]["EventsWebhookUrl"];
    assert!(url["AllowedPattern"].as_str().unwrap().contains("https://"));
    // EventBridge invokes the destination with a role that may do that and nothing else.
    let rule = of_type(&resources, "AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| {
            referenced(&r["Properties"]["Targets"][0]["Arn"]).as_deref()
                == Some("WebhookDestination")
        })
        .unwrap();
    let role = referenced(&rule.1["Properties"]["Targets"][0]["RoleArn"]).unwrap();
    let role = &resources[&role]["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "events.amazonaws.com"
    );
    let mut actions = BTreeMap::new();
    for policy in role["Policies"].as_sequence().unwrap() {
        actions.extend(allowed(&policy["PolicyDocument"]["Statement"]));
    }
    assert_eq!(
        actions,
        expected(&[("events:InvokeApiDestination", "WebhookDestination")])
    );
    // A webhook without its credentials is refused before anything is created.
    let rules = serde_norway::to_string(&template["Rules"]).unwrap();
    for needed in [
        "EventsWebhookApiKey",
        "EventsWebhookUsername",
        "EventsWebhookPassword",
    ] {
        assert!(rules.contains(needed), "a rule checks {needed}");
    }
}

#[test]
fn a_consumer_gets_managed_policies_to_read_the_events_queue_and_to_subscribe() {
    let template = template();
    let deploy = Deploy::with(&template, &[("EventsQueueEnabled", "true")]);
    let resources = deploy.resources();
    let outputs = deploy.outputs();
    let policy = |name: &str| {
        let policy = &resources[name];
        assert_eq!(policy["Type"], "AWS::IAM::ManagedPolicy", "{name}");
        assert!(
            outputs
                .values()
                .any(|o| referenced(&o["Value"]).as_deref() == Some(name)),
            "{name} is an output"
        );
        allowed(&policy["Properties"]["PolicyDocument"]["Statement"])
    };
    assert_eq!(
        policy("EventsQueueReaderPolicy"),
        expected(&[
            ("sqs:ReceiveMessage", "EventsQueue"),
            ("sqs:DeleteMessage", "EventsQueue"),
            ("sqs:ChangeMessageVisibility", "EventsQueue"),
            ("sqs:GetQueueAttributes", "EventsQueue"),
            // partnerctl events finds the queue by name (EVENTS_QUEUE_NAME) when given no URL.
            ("sqs:GetQueueUrl", "EventsQueue"),
        ])
    );
    let rules =
        "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${EventBus}/consumer-*";
    let replays = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:replay/consumer-*";
    assert_eq!(
        policy("EventsSubscriberPolicy"),
        expected(&[
            ("events:PutRule", rules),
            ("events:DeleteRule", rules),
            ("events:DescribeRule", rules),
            ("events:EnableRule", rules),
            ("events:DisableRule", rules),
            ("events:PutTargets", rules),
            ("events:RemoveTargets", rules),
            ("events:ListTargetsByRule", rules),
            ("events:DescribeArchive", "EventsArchive"),
            ("events:StartReplay", "EventsArchive"),
            ("events:DescribeReplay", replays),
            ("events:CancelReplay", replays),
        ])
    );
    // The stack's own rules stay out of the subscribers' reach.
    for (name, rule) in of_type(&resources, "AWS::Events::Rule") {
        let rule_name = rule["Properties"]["Name"].as_str().unwrap_or("");
        assert!(
            !rule_name.is_empty() && !rule_name.starts_with("consumer-"),
            "{name}: named outside consumer-*"
        );
    }
    // Without the queue, its policy and output are gone; the subscriber's stays.
    let deploy = Deploy::with(&template, &[]);
    assert!(!deploy.resources().contains_key("EventsQueueReaderPolicy"));
    assert!(deploy.resources().contains_key("EventsSubscriberPolicy"));
}

#[tokio::test]
async fn a_stream_record_the_function_cannot_read_raises_an_alarm() {
    // Such a record is logged, counted and skipped (retrying cannot mend it, and it would hold
    // back every event behind it): its fact is stored but never published, so someone must know.
    let template = template();
    let (name, alarm) = alarm_on(&template, Metric::EventDecodeFailures.name());
    let watched = watched(alarm);
    assert_eq!(watched.len(), 1, "{name}");
    // The function emits what the alarm watches, when it meets such a record.
    let metrics = app::metrics::Metrics::in_memory(watched[0].0.clone(), "events-out");
    let deps = app::events::EventsDeps {
        store: app::memory::MemoryStore::new(),
        bus: app::memory::RecordingBus::default(),
        policy: app::events::PublishPolicy::default(),
        metrics: metrics.clone(),
    };
    let mut batch: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_str(fixtures::events::DYNAMODB_STREAM).unwrap();
    batch.records[0].change.new_image.remove("leadID");
    events_out::handler::process(&deps, &batch).await;
    assert_emitted_once_as_watched(&name, &metrics, &watched[0]);
    let (namespace, _, dimensions) = &watched[0];
    assert_eq!(namespace, "ThumbtackPartner/${Stage}");
    assert_eq!(
        dimensions,
        &BTreeMap::from([("Function".to_owned(), "events-out".to_owned())])
    );
    assert_eq!(alarm["Threshold"], 0, "{name}: any record");
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(alarm["TreatMissingData"], "notBreaching");
}
