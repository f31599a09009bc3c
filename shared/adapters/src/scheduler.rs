//! [`Scheduler`] on EventBridge Scheduler: one one-time schedule per wake-up, named after it, in
//! the stack's schedule group, that invokes the speed-to-lead function with the wake-up as its
//! input and deletes itself once done. Creating the same schedule twice is harmless: the second
//! is refused as a conflict, which is what we wanted.
//!
//! Scheduler retries a wake-up it cannot deliver (the function throttled, a service fault) for up
//! to an hour, then puts it on the dead-letter queue (alarmed), instead of its defaults of a day
//! and nowhere. A quiet-hours wake-up has a flexible window: quiet hours end at the same minute
//! for every lead of a time zone, and the window spreads those acknowledgements over minutes
//! instead of one second. The unanswered check stays exact: it is a promise about a threshold,
//! and checked minutes late it would count as answered in time a lead a person replied to after
//! the threshold.

use app::digest::sha256_hex;
use app::ports::{ScheduleError, Scheduler, Wakeup, WakeupKind};
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, Target,
};
use std::sync::OnceLock;

/// Schedule names are at most 64 characters of `[0-9a-zA-Z-_.]`.
const MAX_NAME: usize = 64;

/// Scheduler's granularity is the minute: an `at()` in the past never runs, so a wake-up due now
/// is set this far ahead.
const SOONEST_MS: u64 = 60_000;

/// How long Scheduler keeps trying to deliver a wake-up, as the Lead Received rule does (the
/// template): an acknowledgement or an unanswered check later than that is stale.
pub const MAX_EVENT_AGE_SECONDS: i32 = 3600;
/// Tries within that hour (Scheduler backs off between them).
pub const MAX_RETRY_ATTEMPTS: i32 = 20;
/// The flexible window of a quiet-hours wake-up: the acknowledgement goes out within this many
/// minutes after quiet hours end.
pub const QUIET_HOURS_WINDOW_MINUTES: i32 = 15;

#[derive(Debug)]
pub struct EventBridgeScheduler {
    client: Client,
    group: String,
    /// The role Scheduler assumes to invoke the function (and to send to the dead-letter queue).
    role_arn: String,
    /// The standard SQS queue a wake-up goes to once Scheduler gives up on delivering it.
    dead_letter_arn: String,
    /// The function to wake: this one, learnt from its first invocation (a function cannot name
    /// itself in its own template without a cycle).
    target_arn: OnceLock<String>,
}

impl EventBridgeScheduler {
    pub fn from_config(
        sdk: &aws_config::SdkConfig,
        group: impl Into<String>,
        role_arn: impl Into<String>,
        dead_letter_arn: impl Into<String>,
    ) -> Self {
        EventBridgeScheduler {
            client: Client::new(sdk),
            group: group.into(),
            role_arn: role_arn.into(),
            dead_letter_arn: dead_letter_arn.into(),
            target_arn: OnceLock::new(),
        }
    }

    /// The function the schedules invoke (the invoked function's ARN; set once).
    pub fn target(&self, function_arn: &str) {
        self.target_arn.get_or_init(|| function_arn.to_owned());
    }
}

/// The schedule's name: the wake-up's, or its digest when the lead's id makes it too long.
pub fn schedule_name(wakeup: &Wakeup) -> String {
    let name = wakeup.name();
    if name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return name;
    }
    let kind = name.split('-').next().unwrap_or("wakeup");
    format!("{kind}-{}", &sha256_hex(name.as_bytes())[..48])
}

/// Flexible for a quiet-hours wake-up, exact for the unanswered check (the module's doc says why).
fn window(kind: WakeupKind) -> Result<FlexibleTimeWindow, aws_sdk_scheduler::error::BuildError> {
    match kind {
        WakeupKind::Acknowledge => FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Flexible)
            .maximum_window_in_minutes(QUIET_HOURS_WINDOW_MINUTES)
            .build(),
        WakeupKind::Unanswered => FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build(),
    }
}

/// `at(yyyy-mm-ddThh:mm:ss)` in UTC.
fn at_expression(at_ms: u64) -> Option<String> {
    let at = jiff::Timestamp::from_millisecond(i64::try_from(at_ms).ok()?).ok()?;
    Some(format!("at({})", at.strftime("%Y-%m-%dT%H:%M:%S")))
}

impl Scheduler for EventBridgeScheduler {
    async fn wake_at(&self, wakeup: &Wakeup, at_ms: u64) -> Result<(), ScheduleError> {
        let error = |e: &dyn std::fmt::Display| ScheduleError(e.to_string().into());
        let target_arn = self
            .target_arn
            .get()
            .ok_or_else(|| error(&"the function to wake is not known yet"))?;
        let at_ms = at_ms.max(app::now_millis() + SOONEST_MS);
        let expression = at_expression(at_ms).ok_or_else(|| error(&"time out of range"))?;
        let input = serde_json::to_string(wakeup).map_err(|e| error(&e))?;
        let retry = RetryPolicy::builder()
            .maximum_event_age_in_seconds(MAX_EVENT_AGE_SECONDS)
            .maximum_retry_attempts(MAX_RETRY_ATTEMPTS)
            .build();
        let dead_letters = DeadLetterConfig::builder()
            .arn(&self.dead_letter_arn)
            .build();
        let target = Target::builder()
            .arn(target_arn)
            .role_arn(&self.role_arn)
            .input(input)
            .retry_policy(retry)
            .dead_letter_config(dead_letters)
            .build()
            .map_err(|e| error(&e))?;
        let window = window(wakeup.kind).map_err(|e| error(&e))?;
        let created = self
            .client
            .create_schedule()
            .name(schedule_name(wakeup))
            .group_name(&self.group)
            .schedule_expression(expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conflict_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(error(&aws_sdk_scheduler::error::DisplayErrorContext(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_name_is_the_wake_up_s_or_a_digest_when_too_long_for_scheduler() {
        let wakeup = |lead_id: &str| Wakeup {
            kind: WakeupKind::Unanswered,
            lead_id: lead_id.to_owned(),
            business_id: "b".to_owned(),
        };
        assert_eq!(
            schedule_name(&wakeup("437282017264173057")),
            "unanswered-437282017264173057"
        );
        let long = schedule_name(&wakeup(&"9".repeat(128)));
        assert!(
            long.len() <= MAX_NAME && long.starts_with("unanswered-"),
            "{long}"
        );
        assert_ne!(long, schedule_name(&wakeup(&"8".repeat(128))));
        let colon = schedule_name(&wakeup("a:b"));
        assert!(
            colon
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        );
    }

    #[test]
    fn a_wake_up_time_is_an_at_expression_in_utc() {
        assert_eq!(
            at_expression(1_796_148_000_000).as_deref(),
            Some("at(2026-12-01T18:00:00)")
        );
    }
}
