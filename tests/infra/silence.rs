//! Silence raises an alarm, when asked (issue 13, item 6): no lead for `NoLeadAlarmHours` hours
//! pages, off by default (a quiet partner would page for nothing); and refusal counts expire by
//! the TTL the adapter writes.

use super::*;
use app::auth::Credential;
use app::deps::InboundDeps;
use app::memory::{MemoryStore, StaticCredentials};
use app::metrics::Metrics;
use http_api::testing::{Encoding, Gateway, basic, post};

const HOURS: &str = "NoLeadAlarmHours";

/// The value of a condition made of `Not`, `Equals` and `Ref`s to parameters, for `parameters`
/// (the others at their defaults).
fn holds(template: &Value, condition: &Value, parameters: &[(&str, &str)]) -> bool {
    fn value(template: &Value, operand: &Value, parameters: &[(&str, &str)]) -> String {
        match referenced(operand) {
            Some(name) => parameters
                .iter()
                .find(|(given, _)| *given == name)
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_else(|| {
                    let default = &template["Parameters"][name.as_str()]["Default"];
                    default
                        .as_str()
                        .map_or_else(|| number(default).to_string(), str::to_owned)
                }),
            None => operand
                .as_str()
                .map_or_else(|| number(operand).to_string(), str::to_owned),
        }
    }
    match intrinsic(condition) {
        Some(("Not", args)) => !holds(template, &args[0], parameters),
        Some(("Equals", args)) => {
            value(template, &args[0], parameters) == value(template, &args[1], parameters)
        }
        other => panic!("unexpected condition {other:?}"),
    }
}

#[test]
fn no_lead_for_the_configured_hours_raises_an_alarm_that_is_off_by_default() {
    let template = template();
    let parameter = &template["Parameters"][HOURS];
    assert_eq!(parameter["Type"], "Number");
    assert_eq!(number(&parameter["Default"]), 0.0, "off by default");
    assert_eq!(number(&parameter["MinValue"]), 0.0);
    // CloudWatch evaluates at most 7 days of hourly periods.
    assert_eq!(number(&parameter["MaxValue"]), 168.0);

    let (name, alarm) = alarm_named(&template, "NoLeadAlarm");
    let resource = resource(&template, &name);
    let condition_name = resource["Condition"].as_str().expect("a conditional alarm");
    let condition = &template["Conditions"][condition_name];
    assert!(
        !holds(&template, condition, &[]),
        "{name} exists by default"
    );
    assert!(!holds(&template, condition, &[(HOURS, "0")]));
    assert!(holds(&template, condition, &[(HOURS, "6")]));

    // Every one of the hours: N of N.
    for periods in ["EvaluationPeriods", "DatapointsToAlarm"] {
        assert_eq!(
            referenced(&alarm[periods]).as_deref(),
            Some(HOURS),
            "{periods}"
        );
    }
    let leads = alarm["Metrics"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|q| q["MetricStat"]["Metric"]["MetricName"] == "LeadsReceived")
        .expect("the alarm reads LeadsReceived");
    assert_eq!(number(&leads["MetricStat"]["Period"]), 3600.0);
    assert_eq!(leads["MetricStat"]["Stat"], "Sum");
    assert_eq!(number(&alarm["Threshold"]), 1.0);
    assert_eq!(alarm["ComparisonOperator"], "LessThanThreshold");
    // No lead at all means no datapoint: that is the silence this alarm is for. The policy of
    // every alarm stays notBreaching; the expression turns an hour without a lead into a 0.
    assert_eq!(alarm["TreatMissingData"], "notBreaching");
    let silent_hour = super::alarms::breaches(&template, alarm, &BTreeMap::new());
    assert!(
        silent_hour,
        "{name}: an hour with no datapoint at all is silence"
    );
    let busy_hour = BTreeMap::from([("LeadsReceived".to_owned(), 3.0)]);
    assert!(!super::alarms::breaches(&template, alarm, &busy_hour));
    // Its heartbeat is a queue that a poller asks all the time, leads or not: the reply queue,
    // which reply-outbound's event source long-polls.
    let (_, _, heartbeat) = watched(alarm)
        .into_iter()
        .find(|(namespace, metric, _)| namespace == "AWS/SQS" && metric == "NumberOfEmptyReceives")
        .expect("a heartbeat");
    let polled =
        &super::resource(&template, "ReplyOutboundFunction")["Properties"]["Events"]["Replies"];
    assert_eq!(polled["Type"], "SQS");
    assert_eq!(
        referenced(&polled["Properties"]["Queue"]).as_deref(),
        Some(heartbeat["QueueName"].as_str())
    );
}

#[tokio::test]
async fn the_silence_alarm_watches_the_metric_a_stored_lead_emits() {
    let template = template();
    let (name, alarm) = alarm_named(&template, "NoLeadAlarm");
    let watched_metric = watched(alarm)
        .into_iter()
        .find(|(_, metric, _)| metric == "LeadsReceived")
        .expect("the alarm reads LeadsReceived");
    let namespace = watched_metric.0.clone();
    // The namespace and function name lead-inbound's main gives its metrics.
    let metrics = Metrics::in_memory(namespace.clone(), "lead-inbound");
    let deps = InboundDeps {
        store: MemoryStore::new(),
        credentials: StaticCredentials::new(&[Credential::new("thumbtack", "pw")]),
        metrics: metrics.clone(),
    };
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        fixtures::LEAD.as_bytes(),
        Encoding::Text,
        Some(&basic("thumbtack", "pw")),
    );
    assert_eq!(
        lead_inbound::handler::handle(&deps, request).await.status(),
        200
    );
    assert_emitted_once_as_watched(&name, &metrics, &watched_metric);
}

#[test]
fn refusal_counts_expire_by_the_ttl_the_adapter_writes() {
    let template = template();
    let ttl = &resource(&template, "Table")["Properties"]["TimeToLiveSpecification"];
    assert_eq!(
        ttl["AttributeName"],
        adapters::dynamo::schema::TTL_ATTRIBUTE
    );
    assert_eq!(ttl["Enabled"], true);
}
