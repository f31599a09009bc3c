//! Least privilege (issue 18, item 15): every function has a role of its own that writes logs to
//! its own group only (SAM's generated roles write to every group of the account); each function's
//! writes to the table are held to the partition keys of the items it writes; the roles AWS
//! services assume trust only this account's schedules and rules; `iam:PassRole` hands the
//! scheduler's role to Scheduler only.

use super::*;
use adapters::dynamo::schema::{
    REFUSED_PK, business_pk, business_settings_pk, connection_pk, lead_pk, oauth_state_pk,
    quarantine_pk, reply_guard_pk, review_pk,
};

/// The role a function names (`Role: !GetAtt X.Arn`), with its logical id.
pub(crate) fn role_of<'a>(template: &'a Value, function: &str) -> (String, &'a Value) {
    let properties = &resource(template, function)["Properties"];
    let role = referenced(&properties["Role"]).unwrap_or_else(|| {
        panic!("{function} names a role of its own (SAM's would write to every log group)")
    });
    let found = resource(template, &role);
    assert_eq!(found["Type"], "AWS::IAM::Role", "{function}: {role}");
    (role, found)
}

/// Every statement of a role's inline policies.
pub(crate) fn role_statements(role: &Value) -> Vec<Value> {
    role["Properties"]["Policies"]
        .as_sequence()
        .expect("the role has inline policies")
        .iter()
        .flat_map(|policy| {
            policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .unwrap()
                .clone()
        })
        .collect()
}

/// The actions of a statement, one or a list.
fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::Sequence(actions) => actions
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect(),
        action => vec![action.as_str().unwrap().to_owned()],
    }
}

/// What writes an item of the table: each is checked against the item's partition key.
const WRITES: [&str; 4] = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
];

#[test]
fn every_function_has_a_role_of_its_own_that_writes_logs_to_its_own_group_only() {
    let template = template();
    for (name, function) in functions(&template) {
        let properties = &function["Properties"];
        assert!(
            properties.get("Policies").is_none(),
            "{name}: its statements belong in its role"
        );
        let (role_name, role) = role_of(&template, &name);
        assert!(
            role["Properties"].get("ManagedPolicyArns").is_none(),
            "{name}: no managed policy (AWSLambdaBasicExecutionRole writes to every log group)"
        );
        let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(trust.as_sequence().unwrap().len(), 1, "{role_name}");
        assert_eq!(trust[0]["Principal"]["Service"], "lambda.amazonaws.com");
        assert_eq!(trust[0]["Action"], "sts:AssumeRole");
        let group = referenced(&properties["LoggingConfig"]["LogGroup"]).unwrap();
        let allowed = allowed(&Value::Sequence(role_statements(role)));
        let logs: BTreeMap<String, BTreeSet<String>> = allowed
            .iter()
            .filter(|(action, _)| action.starts_with("logs:"))
            .map(|(action, resources)| (action.clone(), resources.clone()))
            .collect();
        // The group exists (the template's): no CreateLogGroup.
        assert_eq!(
            logs,
            expected(&[
                ("logs:CreateLogStream", group.as_str()),
                ("logs:PutLogEvents", group.as_str()),
            ]),
            "{name}"
        );
        for (action, resources) in &allowed {
            assert!(
                resources.iter().all(|r| r != "*" && !r.ends_with(":*")),
                "{name}: {action} on {resources:?}"
            );
        }
    }
}

/// The partition keys each function writes under, built with the adapter's own key functions
/// (`*` for the id): the patterns its `dynamodb:LeadingKeys` condition must list.
fn written_partitions(function: &str) -> Option<BTreeSet<String>> {
    let any = "*";
    let keys: Vec<String> = match function {
        // A lead, its revisions and updates, a waiting price applied to it (LEAD#); a refused
        // payload (QUARANTINE#, with its chunks); the count of refused deliveries (REFUSED).
        "LeadInboundFunction" => vec![lead_pk(any), quarantine_pk(any), REFUSED_PK.to_owned()],
        // A message and its revisions, a review's entry in its lead's conversation (LEAD#); the
        // review itself and its revisions (REVIEW#); quarantine and refusals as above.
        "MessageInboundFunction" => vec![
            lead_pk(any),
            review_pk(any),
            quarantine_pk(any),
            REFUSED_PK.to_owned(),
        ],
        // The acknowledgement's note and the unanswered record, in the lead's partition; the
        // lead counted in its business's day (BUSINESS#).
        "SpeedToLeadFunction" => vec![lead_pk(any), business_settings_pk(any)],
        // A reply, its outcomes and the lead's first-reply times (LEAD#); the guard that makes a
        // replyID unique across leads (REPLYID#); the replies counted in the business's day
        // (BUSINESS#); a v4 pro's refreshed token, or their connection marked broken
        // (CONNECTION#).
        "ReplyOutboundFunction" => vec![
            lead_pk(any),
            reply_guard_pk(any),
            business_settings_pk(any),
            connection_pk(any),
        ],
        // A business's settings.
        "PartnerApiFunction" => vec![business_settings_pk(any)],
        // A pro's connection and its status changes (CONNECTION#), the record of each of its
        // businesses (BUSINESS#), a used OAuth state (OAUTHSTATE#).
        "ConnectionsFunction" => vec![connection_pk(any), business_pk(any), oauth_state_pk(any)],
        // The simulator's snapshot (SimulatorEnabled).
        "SimulatorFunction" => vec![format!("{}{any}", simulator::store::PARTITION_PREFIX)],
        _ => return None,
    };
    Some(keys.into_iter().collect())
}

#[test]
fn each_function_writes_to_the_table_only_under_the_partition_keys_of_the_items_it_writes() {
    let template = template();
    for (name, _) in functions(&template) {
        let (_, role) = role_of(&template, &name);
        let writing: Vec<Value> = role_statements(role)
            .into_iter()
            .filter(|s| actions(s).iter().any(|a| WRITES.contains(&a.as_str())))
            .collect();
        let Some(partitions) = written_partitions(&name) else {
            assert!(writing.is_empty(), "{name} writes nothing: {writing:?}");
            continue;
        };
        assert!(!writing.is_empty(), "{name} writes to the table");
        for statement in &writing {
            assert_eq!(
                referenced(&statement["Resource"]).as_deref(),
                Some("Table"),
                "{name}: writes to the table only, not an index"
            );
            let condition = statement["Condition"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{name}: a write without a condition: {statement:?}"));
            assert_eq!(condition.len(), 1, "{name}: {condition:?}");
            // ForAllValues: every key of the request must match (ForAnyValue would let a batch
            // carry one that does not).
            let keys: BTreeSet<String> =
                statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                    .as_sequence()
                    .unwrap_or_else(|| {
                        panic!("{name}: dynamodb:LeadingKeys patterns: {condition:?}")
                    })
                    .iter()
                    .map(|k| k.as_str().unwrap().to_owned())
                    .collect();
            assert_eq!(keys, partitions, "{name}");
        }
    }
}

#[test]
fn the_scheduler_role_trusts_only_this_stack_s_schedules_and_is_handed_to_scheduler_only() {
    let template = template();
    let trust = &resource(&template, "SchedulerRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_sequence().unwrap().len(), 1);
    assert_eq!(trust[0]["Principal"]["Service"], "scheduler.amazonaws.com");
    let condition = &trust[0]["Condition"]["StringEquals"];
    assert_eq!(
        referenced(&condition["aws:SourceAccount"]).as_deref(),
        Some("AWS::AccountId")
    );
    // The schedules of the stack's group, as Scheduler's confused-deputy guidance has it.
    assert_eq!(
        intrinsic(&condition["aws:SourceArn"]),
        Some((
            "Sub",
            &Value::from(
                "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/${ScheduleGroup}"
            )
        ))
    );
    let (_, role) = role_of(&template, "SpeedToLeadFunction");
    let pass: Vec<Value> = role_statements(role)
        .into_iter()
        .filter(|s| actions(s).contains(&"iam:PassRole".to_owned()))
        .collect();
    assert_eq!(pass.len(), 1);
    assert_eq!(
        referenced(&pass[0]["Resource"]).as_deref(),
        Some("SchedulerRole")
    );
    assert_eq!(
        pass[0]["Condition"]["StringEquals"]["iam:PassedToService"],
        "scheduler.amazonaws.com"
    );
}

#[test]
fn the_webhook_role_trusts_eventbridge_of_this_account_only() {
    let template = template();
    let trust =
        &resource(&template, "WebhookRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_sequence().unwrap().len(), 1);
    assert_eq!(trust[0]["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        referenced(&trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"]).as_deref(),
        Some("AWS::AccountId")
    );
}
