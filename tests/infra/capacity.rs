//! The capacity model of issue 19, written once: docs/capacity.md derives its figures from these
//! constants, and the template's defaults are held to them here. A route throttle below twice its
//! route's peak, reply concurrency that cannot carry twice the peak reply rate, a webhook slower
//! than the peak event rate: each fails a test.

use super::deploy::Deploy;
use super::*;

/// The model (issue 19): leads a day, and what each lead brings.
pub const LEADS_PER_DAY: f64 = 2_000_000.0;
pub const BUSINESSES: f64 = 50_000.0;
pub const MESSAGES_PER_LEAD: f64 = 5.0;
pub const UPDATES_PER_LEAD: f64 = 1.0;
/// The pros' replies.
pub const REPLIES_PER_LEAD: f64 = 3.0;
/// Our acknowledgement, when the business turns it on: at most one a lead, through the same
/// queue and function as the pros' replies, and a stored fact like them.
pub const ACKNOWLEDGEMENTS_PER_LEAD: f64 = 1.0;
/// "Reviews are small": one lead in ten ends with a review.
pub const REVIEWS_PER_LEAD: f64 = 0.1;
/// The share of the model's leads, messages and reviews that come through Thumbtack v4's webhooks
/// rather than the legacy routes: half the pros moved (docs/capacity.md). The two contracts share
/// the same traffic, so throttling both at the whole would not fit the account's quota.
pub const V4_SHARE: f64 = 0.5;
/// The peak hour carries ten times the average hour.
pub const PEAK_HOUR_FACTOR: f64 = 10.0;
/// The stored facts of a lead, each one an event and an entry of the changes feed: the lead, its
/// messages, its update, the replies' and the acknowledgement's outcomes, its review.
pub const FACTS_PER_LEAD: f64 = 1.0
    + MESSAGES_PER_LEAD
    + UPDATES_PER_LEAD
    + REPLIES_PER_LEAD
    + ACKNOWLEDGEMENTS_PER_LEAD
    + REVIEWS_PER_LEAD;

/// What the read routes carry: the issue gives no read model, so docs/capacity.md states these.
/// A thin-event consumer reads a lead's view once per lead and per message event.
pub const LEAD_VIEWS_PER_LEAD: f64 = 1.0 + MESSAGES_PER_LEAD;
/// A pro's inbox (a business's leads) is read once per new lead.
pub const INBOX_READS_PER_LEAD: f64 = 1.0;
/// Every business reads its settings, and saves them, once in the peak hour.
pub const SETTINGS_CALLS_PER_BUSINESS_IN_THE_PEAK_HOUR: f64 = 1.0;
/// Every business's dashboard asks for its stats every 10 minutes of the peak hour.
pub const STATS_READS_PER_BUSINESS_IN_THE_PEAK_HOUR: f64 = 6.0;
/// Connecting pros (v4): an onboarding wave, a tenth of the businesses connecting in one hour;
/// each connection is read once, and may be synced or removed once, in that hour.
pub const CONNECTIONS_PER_BUSINESS_IN_THE_PEAK_HOUR: f64 = 0.1;
/// The partner pages through every connection once an hour, a hundred a page.
pub const CONNECTION_LISTS_PER_HOUR: f64 = 1.0;
pub const CONNECTIONS_PAGE: f64 = 100.0;
/// Consumers of `GET /v1/changes`, each paging the feed at the peak fact rate.
pub const CHANGES_CONSUMERS: f64 = 2.0;
pub const CHANGES_PAGE: f64 = 100.0;

/// Every route throttle's default is at least this many times its route's peak.
pub const HEADROOM: f64 = 2.0;
/// API Gateway's default throttle per account and Region, shared by every API of the account
/// (docs/capacity.md names the page).
pub const API_GATEWAY_ACCOUNT_RPS: f64 = 10_000.0;
/// Lambda's bounds on an SQS event source's MaximumConcurrency.
pub const SQS_MAXIMUM_CONCURRENCY: (f64, f64) = (2.0, 1_000.0);

/// Replies one reply-outbound instance sends a second: docs/benchmarks.md, "Replies per second
/// per instance", the row below (the release binary under the Runtime API, batches of ten one
/// after the other, Thumbtack answering in 100 ms, a quiet machine).
pub const REPLIES_PER_SECOND_PER_INSTANCE: f64 = 32.8;
pub const REPLIES_PER_INSTANCE_ROW: &str = "5 (the code of this page)";

const SECONDS_PER_DAY: f64 = 86_400.0;
const SECONDS_PER_HOUR: f64 = 3_600.0;

/// Per second in the peak hour, of something each lead brings `per_lead` of.
pub fn at_peak(per_lead: f64) -> f64 {
    LEADS_PER_DAY * per_lead / SECONDS_PER_DAY * PEAK_HOUR_FACTOR
}

pub fn peak_fact_rate() -> f64 {
    at_peak(FACTS_PER_LEAD)
}

/// The model's peak requests a second on a route of the template.
pub fn route_peak(method: &str, path: &str) -> f64 {
    let per_business_in_the_peak_hour = |calls: f64| BUSINESSES * calls / SECONDS_PER_HOUR;
    match (method, path) {
        ("POST", "/v1/lead") => at_peak(1.0),
        ("PUT", "/v1/lead/update") => at_peak(UPDATES_PER_LEAD),
        ("POST", "/v1/message") => at_peak(MESSAGES_PER_LEAD),
        ("POST", "/v1/review") => at_peak(REVIEWS_PER_LEAD),
        ("POST", "/v4/webhooks/{businessID}") => {
            V4_SHARE * at_peak(1.0 + MESSAGES_PER_LEAD + REVIEWS_PER_LEAD)
        }
        ("GET", "/v1/leads/{leadID}") => at_peak(LEAD_VIEWS_PER_LEAD),
        ("GET", "/v1/businesses/{businessID}/leads") => at_peak(INBOX_READS_PER_LEAD),
        ("GET", "/v1/businesses/{businessID}/reviews") => at_peak(REVIEWS_PER_LEAD),
        ("GET" | "PUT", "/v1/businesses/{businessID}/settings") => {
            per_business_in_the_peak_hour(SETTINGS_CALLS_PER_BUSINESS_IN_THE_PEAK_HOUR)
        }
        ("GET", "/v1/businesses/{businessID}/stats") => {
            per_business_in_the_peak_hour(STATS_READS_PER_BUSINESS_IN_THE_PEAK_HOUR)
        }
        ("GET", "/v1/changes") => CHANGES_CONSUMERS * peak_fact_rate() / CHANGES_PAGE,
        ("GET", "/v1/connections") => {
            CONNECTION_LISTS_PER_HOUR * BUSINESSES / CONNECTIONS_PAGE / SECONDS_PER_HOUR
        }
        ("POST", "/v1/connections")
        | ("GET", "/v1/connections/callback")
        | ("GET" | "DELETE", "/v1/connections/{userID}")
        | ("POST", "/v1/connections/{userID}/sync") => {
            per_business_in_the_peak_hour(CONNECTIONS_PER_BUSINESS_IN_THE_PEAK_HOUR)
        }
        _ => panic!(
            "{method} {path} has no place in the capacity model: add it here and to docs/capacity.md"
        ),
    }
}

/// Every API route of the template: (event name, method, path, its RouteSettings).
fn routes(template: &Value) -> Vec<(String, String, String, Value)> {
    let mut routes = Vec::new();
    for (_, function) in functions(template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, event) in events {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let route = &event["Properties"];
            routes.push((
                name.as_str().unwrap().to_owned(),
                route["Method"].as_str().unwrap().to_owned(),
                route["Path"].as_str().unwrap().to_owned(),
                route["RouteSettings"].clone(),
            ));
        }
    }
    routes
}

fn default_of(template: &Value, parameter: &str) -> f64 {
    number(&template["Parameters"][parameter]["Default"])
}

const CAPACITY: &str = include_str!("../../docs/capacity.md");
const BENCHMARKS: &str = include_str!("../../docs/benchmarks.md");

#[test]
fn the_model_gives_the_issue_s_peaks() {
    // Per second in the peak hour: 231 leads, 1,157 messages, 231 updates, 694 replies, about
    // 2,500 stored facts.
    assert_eq!(at_peak(1.0).round(), 231.0);
    assert_eq!(at_peak(MESSAGES_PER_LEAD).round(), 1157.0);
    assert_eq!(at_peak(UPDATES_PER_LEAD).round(), 231.0);
    assert_eq!(at_peak(REPLIES_PER_LEAD).round(), 694.0);
    let facts = peak_fact_rate();
    assert!(
        (2_400.0..=2_700.0).contains(&facts),
        "{facts} facts a second"
    );
}

/// The connections function's routes (issue 22): start, callback, list, read, sync, remove.
const CONNECTION_ROUTES: usize = 6;

#[test]
fn every_route_has_a_throttle_of_its_own_at_least_twice_its_peak() {
    let template = template();
    let routes = routes(&template);
    // Every inbound route (four legacy, the v4 webhook) and every read route.
    assert_eq!(
        routes.len(),
        4 + 1 + READ_ROUTES.len() + 1 + CONNECTION_ROUTES,
        "{routes:?}"
    );
    for (event, method, path, settings) in routes {
        let rate = referenced(&settings["ThrottlingRateLimit"])
            .unwrap_or_else(|| panic!("{method} {path}: its rate is a parameter"));
        assert_eq!(rate, format!("Throttle{event}"), "{method} {path}");
        // The burst: one second of the rate.
        assert_eq!(
            referenced(&settings["ThrottlingBurstLimit"]).as_deref(),
            Some(rate.as_str()),
            "{method} {path}"
        );
        let parameter = &template["Parameters"][rate.as_str()];
        assert_eq!(parameter["Type"], "Number", "{rate}");
        assert!(
            number(&parameter["MinValue"]) >= 1.0,
            "{rate}: 0 refuses every request"
        );
        let default = default_of(&template, &rate);
        let peak = route_peak(&method, &path);
        assert!(
            default >= HEADROOM * peak,
            "{method} {path}: {rate} defaults to {default} a second, under {HEADROOM} x its peak of {peak:.0}"
        );
    }
}

#[test]
fn the_route_throttles_together_fit_the_account_s_api_gateway_quota() {
    // Past the account's quota the account throttles first, and a route's own throttle says
    // nothing: together the defaults must fit under it (docs/capacity.md: what to request past it).
    let template = template();
    let total: f64 = routes(&template)
        .iter()
        .map(|(event, ..)| default_of(&template, &format!("Throttle{event}")))
        .sum();
    assert!(
        total <= API_GATEWAY_ACCOUNT_RPS,
        "the routes' throttles add up to {total} a second, over the account's {API_GATEWAY_ACCOUNT_RPS}"
    );
}

#[test]
fn reply_concurrency_times_one_instance_s_rate_carries_twice_the_peak_reply_rate() {
    let template = template();
    let replies = &resource(&template, "ReplyOutboundFunction")["Properties"]["Events"]["Replies"]
        ["Properties"];
    let parameter =
        referenced(&replies["ScalingConfig"]["MaximumConcurrency"]).expect("a parameter");
    let spec = &template["Parameters"][parameter.as_str()];
    let (min, max) = SQS_MAXIMUM_CONCURRENCY;
    assert_eq!(number(&spec["MinValue"]), min);
    assert_eq!(number(&spec["MaxValue"]), max);
    // One instance takes a batch of ten at once, as the benchmark's worker takes ten replies.
    assert_eq!(number(&replies["BatchSize"]), 10.0);
    let concurrency = default_of(&template, &parameter);
    let carried = concurrency * REPLIES_PER_SECOND_PER_INSTANCE;
    let peak = at_peak(REPLIES_PER_LEAD);
    assert!(
        carried >= HEADROOM * peak,
        "{parameter} {concurrency} x {REPLIES_PER_SECOND_PER_INSTANCE} replies/s = {carried:.0}, under {HEADROOM} x the peak's {peak:.0}"
    );
    // Every business acknowledging every lead still fits.
    let with_acknowledgements = at_peak(REPLIES_PER_LEAD + ACKNOWLEDGEMENTS_PER_LEAD);
    assert!(
        carried >= with_acknowledgements,
        "{carried:.0} < {with_acknowledgements:.0}"
    );
    // Whoever sets the parameter reads the figure it is sized from.
    let description = spec["Description"].as_str().unwrap_or_default();
    let figure = format!("{REPLIES_PER_SECOND_PER_INSTANCE} replies/s per instance");
    assert!(description.contains(&figure), "{description}");
}

#[test]
fn the_per_instance_reply_rate_is_the_figure_of_the_named_benchmark_row() {
    let section = BENCHMARKS
        .split("\n## Replies\n")
        .nth(1)
        .expect("docs/benchmarks.md has a Replies section");
    let row = section
        .lines()
        .find(|line| line.starts_with(&format!("| {REPLIES_PER_INSTANCE_ROW} |")))
        .unwrap_or_else(|| {
            panic!("docs/benchmarks.md, Replies: no row {REPLIES_PER_INSTANCE_ROW:?}")
        });
    let figure = format!("{REPLIES_PER_SECOND_PER_INSTANCE}");
    assert!(
        row.split('|').any(|cell| cell.trim() == figure),
        "the row says {row}, the model {figure}"
    );
    // docs/capacity.md names the row and uses the figure in its formula.
    assert!(CAPACITY.contains(REPLIES_PER_INSTANCE_ROW));
    assert!(CAPACITY.contains(&figure));
}

#[test]
fn the_webhook_keeps_up_with_the_model_s_peak_event_rate() {
    let template = template();
    let deploy = Deploy::with(
        &template,
        &[
            ("EventsWebhookUrl", "https://crm.partner.example/thumbtack"),
            ("EventsWebhookApiKey", "k-123"),
        ],
    );
    let resources = deploy.resources();
    let destination = &resources["WebhookDestination"]["Properties"];
    let parameter = referenced(&destination["InvocationRateLimitPerSecond"]).expect("a parameter");
    let rate = default_of(&template, &parameter);
    let peak = peak_fact_rate();
    assert!(
        rate >= peak,
        "{parameter} defaults to {rate} a second; the model's peak is {peak:.0} events a second"
    );
}

#[test]
fn the_table_is_pre_warmed_only_when_asked() {
    let template = template();
    let parameter = &template["Parameters"]["TableWarmWriteUnitsPerSecond"];
    assert_eq!(parameter["Default"], "", "none by default");
    let pattern = parameter["AllowedPattern"].as_str().unwrap();
    assert_eq!(pattern, "([0-9]+)?");
    let table = |overrides: &[(&str, &str)]| {
        Deploy::with(&template, overrides).resources()["Table"]["Properties"].clone()
    };
    assert!(table(&[]).get("WarmThroughput").is_none());
    let warmed = table(&[("TableWarmWriteUnitsPerSecond", "12000")]);
    assert_eq!(
        referenced(&warmed["WarmThroughput"]["WriteUnitsPerSecond"]).as_deref(),
        Some("TableWarmWriteUnitsPerSecond")
    );
}

#[test]
fn a_consumer_falling_behind_on_the_events_queue_raises_an_alarm() {
    let template = template();
    let on_events_queue = |resources: &BTreeMap<String, Value>| -> Vec<Value> {
        resources
            .values()
            .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
            .map(|r| r["Properties"].clone())
            .filter(|alarm| {
                watched(alarm)
                    .iter()
                    .any(|(namespace, metric, dimensions)| {
                        namespace == "AWS/SQS"
                            && metric == "ApproximateAgeOfOldestMessage"
                            && dimensions.get("QueueName").map(String::as_str)
                                == Some("EventsQueue")
                    })
            })
            .collect()
    };
    assert!(on_events_queue(&Deploy::with(&template, &[]).resources()).is_empty());
    let resources = Deploy::with(&template, &[("EventsQueueEnabled", "true")]).resources();
    let alarms = on_events_queue(&resources);
    assert_eq!(alarms.len(), 1);
    let alarm = &alarms[0];
    assert_m_of_n("the events queue's age", alarm);
    let parameter = referenced(&alarm["Threshold"]).expect("a parameter");
    let spec = &template["Parameters"][parameter.as_str()];
    let retention = number(&resources["EventsQueue"]["Properties"]["MessageRetentionPeriod"]);
    assert!(
        number(&spec["MaxValue"]) < retention,
        "it fires before events expire"
    );
    assert!(default_of(&template, &parameter) < retention);
}

/// `n` as docs/capacity.md writes it: 3,000.
fn thousands(n: f64) -> String {
    let digits = format!("{n:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn docs_capacity_gives_every_throttle_and_sizing_parameter_with_its_default() {
    let template = template();
    let mut parameters: Vec<String> = routes(&template)
        .iter()
        .map(|(event, ..)| format!("Throttle{event}"))
        .collect();
    parameters.extend(["ReplyMaximumConcurrency", "EventsWebhookRateLimit"].map(str::to_owned));
    for parameter in parameters {
        let default = thousands(default_of(&template, &parameter));
        let line = CAPACITY
            .lines()
            .find(|line| line.contains(&format!("`{parameter}`")))
            .unwrap_or_else(|| panic!("docs/capacity.md does not name {parameter}"));
        assert!(
            line.contains(&default),
            "docs/capacity.md gives {parameter} without its default {default}: {line}"
        );
    }
}

const BENCH_SCRIPT: &str = include_str!("../../scripts/bench.sh");

/// `make bench` times cold starts at the CPU Lambda gives a function of the template's memory:
/// a function given more or less memory (and so more or less CPU) than the bench assumes would
/// be judged at a share it does not run with.
#[test]
fn the_cold_start_is_timed_at_the_cpu_share_of_the_memory_every_function_is_given() {
    let benched: u64 = BENCH_SCRIPT
        .lines()
        .find_map(|line| line.strip_prefix("cpu_mb="))
        .expect("scripts/bench.sh sets cpu_mb")
        .trim()
        .parse()
        .unwrap();
    let template = template();
    let global = template["Globals"]["Function"]["MemorySize"].as_u64();
    assert_eq!(global, Some(benched), "Globals.Function.MemorySize");
    let Value::Mapping(resources) = &template["Resources"] else {
        panic!("no Resources");
    };
    for (name, resource) in resources {
        if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            let own = &resource["Properties"]["MemorySize"];
            assert!(
                own.is_null() || own.as_u64() == Some(benched),
                "{name:?} sets its own MemorySize {own:?}; the cold start is timed at {benched} MB"
            );
        }
    }
}
