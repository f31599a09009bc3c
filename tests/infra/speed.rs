//! The template's speed to lead: the unanswered alarm watches what the function emits, and the
//! dashboard shows what the issue asks for.

use super::*;
use app::ingest;
use app::memory::{MemoryStore, RecordingOutbox, RecordingScheduler};
use app::metrics::Metrics;
use app::ports::{Wakeup, WakeupKind};
use app::speed::SpeedDeps;

#[test]
fn the_speed_to_lead_rule_takes_the_detail_type_the_function_acts_on() {
    let template = template();
    let events = &resource(&template, "SpeedToLeadFunction")["Properties"]["Events"];
    let pattern = &events["LeadReceived"]["Properties"]["Pattern"];
    assert_eq!(pattern["source"], Value::from(vec![app::events::SOURCE]));
    // The name comes from the catalogue, which the function and devstack's rule read too.
    let lead_received = app::events::DetailType::LeadReceived;
    assert_eq!(
        pattern["detail-type"],
        Value::from(vec![lead_received.as_str()])
    );
    let event = serde_json::json!({"detail-type": lead_received.as_str(),
        "detail": {"leadID": "l-1", "businessID": "b-1"}});
    assert!(matches!(
        speed_to_lead::handler::invocation(&event),
        speed_to_lead::handler::Invocation::LeadReceived { .. }
    ));
    // No other detail-type is one the function acts on.
    for other in app::events::DetailType::ALL {
        if *other != lead_received {
            let event = serde_json::json!({"detail-type": other.as_str(),
                "detail": {"leadID": "l-1", "businessID": "b-1"}});
            assert!(
                !matches!(
                    speed_to_lead::handler::invocation(&event),
                    speed_to_lead::handler::Invocation::LeadReceived { .. }
                ),
                "{other}"
            );
        }
    }
}

#[tokio::test]
async fn the_unanswered_alarm_watches_the_metric_an_unanswered_lead_emits() {
    let template = template();
    let (name, alarm) = alarm_on(&template, "LeadsUnanswered");
    let watched_metric = watched(alarm)
        .into_iter()
        .find(|(_, metric, _)| metric == "LeadsUnanswered")
        .expect("the alarm reads LeadsUnanswered");
    let namespace = watched_metric.0.clone();
    // The namespace and function name speed-to-lead's main gives its metrics.
    let metrics = Metrics::in_memory(namespace.clone(), "speed-to-lead");
    let deps = SpeedDeps {
        store: MemoryStore::new(),
        outbox: RecordingOutbox::default(),
        scheduler: RecordingScheduler::default(),
        metrics: metrics.clone(),
        fresh_within: app::speed::DEFAULT_FRESH_WITHIN,
    };
    let lead = models::Lead::parse(fixtures::LEAD.as_bytes()).unwrap();
    ingest::store_parsed(&deps.store, &lead, fixtures::LEAD, 1)
        .await
        .unwrap();
    let wakeup = Wakeup {
        kind: WakeupKind::Unanswered,
        lead_id: fixtures::LEAD_ID.into(),
        business_id: fixtures::BUSINESS_ID.into(),
    };
    let event = serde_json::to_value(&wakeup).unwrap();
    speed_to_lead::handler::handle(&deps, event).await.unwrap();
    assert_emitted_once_as_watched(&name, &metrics, &watched_metric);
}

#[test]
fn the_dashboard_shows_leads_response_times_replies_parked_quarantined_and_the_api_s_errors() {
    let template = template();
    let dashboard = resource(&template, "Dashboard");
    assert_eq!(dashboard["Type"], "AWS::CloudWatch::Dashboard");
    let Some(("Sub", Value::String(body))) = intrinsic(&dashboard["Properties"]["DashboardBody"])
    else {
        panic!("the dashboard's body is a !Sub of JSON");
    };
    // As CloudFormation would fill it in: the JSON must parse.
    let filled = body
        .replace("${Stage}", "dev")
        .replace("${AWS::Region}", "us-east-1")
        .replace("${HttpApi}", "abc123")
        .replace("${ReplyDeadLetterQueue.QueueName}", "dlq");
    let parsed: serde_json::Value = serde_json::from_str(&filled).unwrap();
    let text = parsed.to_string();
    for metric in [
        "LeadsReceived",
        "FirstResponseTime",
        "RepliesSent",
        "ReplyFailures",
        "ApproximateNumberOfMessagesVisible",
        "Quarantined",
        "LeadsUnanswered",
        "4xx",
        "5xx",
    ] {
        assert!(
            text.contains(&format!("\"{metric}\"")),
            "the dashboard lacks {metric}"
        );
    }
    assert!(
        text.contains("p50") && text.contains("p90"),
        "first-response percentiles"
    );
}

/// Issue 18, item 16: a wake-up Scheduler cannot deliver goes, after its retries, to a dead-letter
/// queue the function is told of, that the scheduler's role may send to, and that raises an
/// alarm; Scheduler gives up when the Lead Received rule does.
#[test]
fn a_wake_up_scheduler_cannot_deliver_goes_to_an_alarmed_dead_letter_queue_the_scheduler_may_send_to()
 {
    let template = template();
    let variables =
        &resource(&template, "SpeedToLeadFunction")["Properties"]["Environment"]["Variables"];
    let Some(("GetAtt", Value::String(arn))) = intrinsic(&variables["SCHEDULE_DEAD_LETTER_ARN"])
    else {
        panic!("SCHEDULE_DEAD_LETTER_ARN is a queue's ARN: {variables:?}");
    };
    let queue = arn.trim_end_matches(".Arn");
    let dead_letters = resource(&template, queue);
    assert_eq!(dead_letters["Type"], "AWS::SQS::Queue");
    // Scheduler takes a standard queue only.
    assert!(
        dead_letters["Properties"].get("FifoQueue").is_none(),
        "{queue}"
    );
    let alarmed = alarms(&template).into_iter().any(|(_, alarm)| {
        watched(alarm)
            .iter()
            .any(|(namespace, metric, dimensions)| {
                namespace == "AWS/SQS"
                    && metric == "ApproximateNumberOfMessagesVisible"
                    && dimensions.get("QueueName").map(String::as_str) == Some(queue)
            })
    });
    assert!(alarmed, "an alarm on {queue}");
    // Scheduler sends dead letters with the schedule's execution role.
    let role = &resource(&template, "SchedulerRole")["Properties"]["Policies"];
    let statements: Vec<Value> = role
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_sequence()
                .unwrap()
                .clone()
        })
        .collect();
    let allowed = allowed(&Value::Sequence(statements));
    assert_eq!(
        allowed.get("sqs:SendMessage"),
        Some(&BTreeSet::from([queue.to_owned()]))
    );
    // The schedules give up when the Lead Received rule does: a late acknowledgement is stale.
    let rule = &resource(&template, "SpeedToLeadFunction")["Properties"]["Events"]["LeadReceived"]
        ["Properties"]["RetryPolicy"];
    assert_eq!(
        rule["MaximumEventAgeInSeconds"].as_i64(),
        Some(i64::from(adapters::scheduler::MAX_EVENT_AGE_SECONDS))
    );
}
