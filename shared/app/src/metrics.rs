//! Business metrics as CloudWatch Embedded Metric Format: one JSON line on stdout per event, which
//! CloudWatch Logs turns into metrics. No client, no API call, nothing on the request path but a
//! `println!`.

use std::sync::{Arc, Mutex};

/// Declares [`Metric`] from one list: each metric's name (the variant's own) and its unit.
macro_rules! metrics {
    ($($(#[doc = $doc:literal])* $metric:ident: $unit:ident,)*) => {
        /// Every metric the functions emit: what the template's alarms and dashboard read
        /// (`tests/infra` holds them to this list).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Metric {
            $($(#[doc = $doc])* $metric,)*
        }

        impl Metric {
            /// Every one, in the catalogue's order.
            pub const ALL: &[Metric] = &[$(Metric::$metric,)*];

            /// Its name in CloudWatch.
            pub fn name(self) -> &'static str {
                match self {
                    $(Metric::$metric => stringify!($metric),)*
                }
            }

            pub fn unit(self) -> Unit {
                match self {
                    $(Metric::$metric => Unit::$unit,)*
                }
            }
        }
    };
}

metrics! {
    /// A lead stored for the first time (lead-inbound).
    LeadsReceived: Count,
    MessagesReceived: Count,
    LeadUpdates: Count,
    ReviewsReceived: Count,
    /// A delivery of something already stored, identical (dimension `Route`).
    Duplicates: Count,
    /// A delivery of something already stored, with another body (dimension `Route`).
    Revisions: Count,
    /// Problems a stored payload was accepted with (dimension `Route`).
    Warnings: Count,
    /// An authenticated payload refused and kept for an operator (dimension `Route`).
    Quarantined: Count,
    /// A delivery refused for its credentials (dimension `Route`).
    AuthFailures: Count,
    RepliesSent: Count,
    /// Thumbtack's time to answer a reply.
    SendLatency: Milliseconds,
    /// From a lead's receipt to its first reply sent.
    FirstResponseTime: Seconds,
    ReplyRetries: Count,
    /// A reply given up (dimension `Reason`).
    ReplyFailures: Count,
    AcknowledgementsEnqueued: Count,
    /// An acknowledgement not sent (dimension `Reason`).
    AcknowledgementsSkipped: Count,
    LeadsUnanswered: Count,
    EventsPublished: Count,
    /// A stream batch stopped at an event the bus did not take.
    EventFailures: Count,
    /// A stream record not readable as a fact: logged and skipped.
    EventDecodeFailures: Count,
    /// A v4 connection marked broken: Thumbtack refused its refresh token (`invalid_grant`);
    /// the pro must connect again.
    ConnectionsBroken: Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Seconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Seconds => "Seconds",
        }
    }
}

/// Where metric lines go. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    namespace: String,
    function: String,
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    Stdout,
    Memory(Mutex<Vec<String>>),
}

impl Metrics {
    /// No metrics (the local stack, unless asked for).
    pub fn off() -> Self {
        Metrics::default()
    }

    /// EMF lines on stdout, as Lambda ships them to CloudWatch.
    pub fn stdout(namespace: impl Into<String>, function: impl Into<String>) -> Self {
        Self::with(namespace, function, Sink::Stdout)
    }

    /// On stdout when a namespace is configured, else off.
    pub fn configured(namespace: Option<String>, function: impl Into<String>) -> Self {
        match namespace {
            Some(namespace) => Self::stdout(namespace, function),
            None => Self::off(),
        }
    }

    /// Lines kept in memory, for tests.
    pub fn in_memory(namespace: impl Into<String>, function: impl Into<String>) -> Self {
        Self::with(namespace, function, Sink::Memory(Mutex::default()))
    }

    fn with(namespace: impl Into<String>, function: impl Into<String>, sink: Sink) -> Self {
        Metrics {
            inner: Some(Arc::new(Inner {
                namespace: namespace.into(),
                function: function.into(),
                sink,
            })),
        }
    }

    /// The lines recorded in memory.
    pub fn lines(&self) -> Vec<String> {
        match self.inner.as_deref() {
            Some(Inner {
                sink: Sink::Memory(lines),
                ..
            }) => lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            _ => Vec::new(),
        }
    }

    /// One metric with the `Function` dimension and, optionally, one more.
    pub fn record(&self, metric: Metric, value: f64, dimension: Option<(&str, &str)>) {
        let Some(inner) = self.inner.as_deref() else {
            return;
        };
        let (name, unit) = (metric.name(), metric.unit());
        let mut dimensions = vec!["Function"];
        let mut line = serde_json::Map::new();
        // Lambda filters JSON logs by `level` and files a line without one as INFO; said
        // outright, the template's ApplicationLogLevel can be checked against it (tests/infra).
        line.insert("level".into(), "INFO".into());
        line.insert("Function".into(), inner.function.clone().into());
        if let Some((key, val)) = dimension {
            dimensions.push(key);
            line.insert(key.into(), val.into());
        }
        line.insert(name.into(), value.into());
        line.insert(
            "_aws".into(),
            serde_json::json!({
                "Timestamp": crate::now_millis(),
                "CloudWatchMetrics": [{
                    "Namespace": inner.namespace,
                    "Dimensions": [dimensions],
                    "Metrics": [{"Name": name, "Unit": unit.as_str()}],
                }],
            }),
        );
        let text = serde_json::Value::Object(line).to_string();
        match &inner.sink {
            Sink::Stdout => println!("{text}"),
            Sink::Memory(lines) => lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(text),
        }
    }

    pub fn count(&self, metric: Metric, dimension: Option<(&str, &str)>) {
        self.record(metric, 1.0, dimension);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_metric_is_one_emf_line_with_its_dimensions() {
        let metrics = Metrics::in_memory("ThumbtackPartner/test", "reply-outbound");
        metrics.record(Metric::SendLatency, 12.5, None);
        metrics.count(Metric::ReplyFailures, Some(("Reason", "client_error")));
        let lines: Vec<Value> = metrics
            .lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["SendLatency"], 12.5);
        assert_eq!(lines[0]["Function"], "reply-outbound");
        let directive = &lines[0]["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "ThumbtackPartner/test");
        assert_eq!(directive["Dimensions"], serde_json::json!([["Function"]]));
        assert_eq!(directive["Metrics"][0]["Unit"], "Milliseconds");
        assert_eq!(lines[1]["Reason"], "client_error");
        assert_eq!(
            lines[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["Function", "Reason"]])
        );
        assert!(lines[1]["_aws"]["Timestamp"].as_u64().unwrap() > 1_600_000_000_000);
    }

    #[test]
    fn an_emf_line_names_its_level_so_lambda_files_it_as_info() {
        let metrics = Metrics::in_memory("ThumbtackPartner/test", "lead-inbound");
        metrics.count(Metric::LeadsReceived, None);
        let line: Value = serde_json::from_str(&metrics.lines()[0]).unwrap();
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["LeadsReceived"], 1.0);
    }

    #[test]
    fn metrics_that_are_off_record_nothing() {
        let metrics = Metrics::off();
        metrics.count(Metric::LeadsReceived, None);
        assert!(metrics.lines().is_empty());
    }

    #[test]
    fn every_metric_has_a_name_of_its_own() {
        let names: std::collections::BTreeSet<&str> =
            Metric::ALL.iter().map(|metric| metric.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(Metric::SendLatency.name(), "SendLatency");
        assert_eq!(Metric::FirstResponseTime.unit(), Unit::Seconds);
    }
}
