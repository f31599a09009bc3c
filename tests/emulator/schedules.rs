//! The schedules speed-to-lead creates (issue 18, item 16): a wake-up Scheduler cannot deliver is
//! retried, then kept on the dead-letter queue (alarmed) instead of disappearing; a quiet-hours
//! wake-up has a flexible window, so that one time zone's morning is not one second; the
//! unanswered check stays exact.

use crate::support::*;
use adapters::EventBridgeScheduler;
use adapters::scheduler::schedule_name;
use app::ports::{Scheduler, Wakeup, WakeupKind};
use aws_sdk_scheduler::types::FlexibleTimeWindowMode;

const FUNCTION: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:thumbtack-partner-test-speed-to-lead";
const DEAD_LETTERS: &str =
    "arn:aws:sqs:us-east-1:123456789012:thumbtack-partner-test-speed-to-lead-failed";

#[tokio::test]
async fn every_wake_up_retries_then_goes_to_the_dead_letter_queue_and_only_the_quiet_hours_one_is_flexible()
 {
    let sdk = sdk().await;
    let group = unique_name("schedules");
    let client = aws_sdk_scheduler::Client::new(&sdk);
    client
        .create_schedule_group()
        .name(&group)
        .send()
        .await
        .unwrap();
    let scheduler = EventBridgeScheduler::from_config(
        &sdk,
        &group,
        "arn:aws:iam::123456789012:role/wake",
        DEAD_LETTERS,
    );
    scheduler.target(FUNCTION);
    let at = app::now_millis() + 3_600_000;
    for kind in [WakeupKind::Acknowledge, WakeupKind::Unanswered] {
        let wakeup = Wakeup {
            kind,
            lead_id: "437282017264173057".into(),
            business_id: "b-1".into(),
        };
        scheduler.wake_at(&wakeup, at).await.unwrap();
        let schedule = client
            .get_schedule()
            .group_name(&group)
            .name(schedule_name(&wakeup))
            .send()
            .await
            .unwrap();
        let target = schedule.target.unwrap();
        let retry = target.retry_policy.expect("a retry policy");
        // Within the hour, as the Lead Received rule's: a wake-up later than that is stale.
        assert_eq!(retry.maximum_event_age_in_seconds, Some(3600), "{kind:?}");
        assert!(
            retry.maximum_retry_attempts.unwrap_or_default() >= 1,
            "{kind:?}"
        );
        assert_eq!(
            target.dead_letter_config.and_then(|d| d.arn).as_deref(),
            Some(DEAD_LETTERS),
            "{kind:?}"
        );
        let window = schedule.flexible_time_window.unwrap();
        match kind {
            // Quiet hours end at the same minute for every lead of a time zone: spread them.
            WakeupKind::Acknowledge => {
                assert_eq!(window.mode, FlexibleTimeWindowMode::Flexible);
                let minutes = window.maximum_window_in_minutes.unwrap();
                assert!((5..=30).contains(&minutes), "{minutes} minutes");
            }
            // The threshold is a promise: checked at it, not up to minutes after (a person's
            // reply in between would hide a late lead).
            WakeupKind::Unanswered => {
                assert_eq!(window.mode, FlexibleTimeWindowMode::Off);
                assert_eq!(window.maximum_window_in_minutes, None);
            }
        }
    }
}
