//! The speed-to-lead function's settings.

use super::{ConfigError, Env, metrics_namespace, table_name};
use std::time::Duration;

/// What the speed-to-lead function needs.
#[derive(Debug, Clone)]
pub struct SpeedSettings {
    pub table: String,
    /// `REPLY_QUEUE_URL`: where the acknowledgement goes, as any reply.
    pub queue_url: String,
    /// `SCHEDULE_GROUP`: the stack's EventBridge Scheduler group.
    pub schedule_group: String,
    /// `SCHEDULER_ROLE_ARN`: the role schedules invoke the function with.
    pub scheduler_role_arn: String,
    /// `SCHEDULE_DEAD_LETTER_ARN`: the standard SQS queue a wake-up goes to when Scheduler gives
    /// up on delivering it.
    pub schedule_dead_letter_arn: String,
    pub metrics_namespace: Option<String>,
    /// `ACKNOWLEDGE_WITHIN_MINUTES` (15): a lead created longer ago is neither acknowledged nor
    /// checked for an answer.
    pub fresh_within: Duration,
}

pub fn speed_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<SpeedSettings, ConfigError> {
    Ok(SpeedSettings {
        table: table_name(env)?,
        queue_url: env.required("REPLY_QUEUE_URL")?,
        schedule_group: env.required("SCHEDULE_GROUP")?,
        scheduler_role_arn: env.required("SCHEDULER_ROLE_ARN")?,
        schedule_dead_letter_arn: env.required("SCHEDULE_DEAD_LETTER_ARN")?,
        metrics_namespace: metrics_namespace(env),
        fresh_within: Duration::from_secs(
            60 * env.number(
                "ACKNOWLEDGE_WITHIN_MINUTES",
                app::speed::DEFAULT_FRESH_WITHIN.as_secs() / 60,
            )?,
        ),
    })
}
