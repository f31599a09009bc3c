//! The events function's settings.

use super::{ConfigError, Env, metrics_namespace, table_name};

/// What the events function needs: `TABLE_NAME` (a message's lead is looked up there),
/// `EVENT_BUS_NAME`, `METRICS_NAMESPACE`.
#[derive(Debug, Clone)]
pub struct EventsSettings {
    pub table: String,
    pub bus_name: String,
    pub metrics_namespace: Option<String>,
}

pub fn events_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<EventsSettings, ConfigError> {
    Ok(EventsSettings {
        table: table_name(env)?,
        bus_name: env.required("EVENT_BUS_NAME")?,
        metrics_namespace: metrics_namespace(env),
    })
}
