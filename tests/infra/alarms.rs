//! The alarms' one policy (issue 19, item 7): every alarm reports its recovery, treats missing
//! data the same way (notBreaching), reads every metric through `FILL(m, 0)` and fits CloudWatch's
//! limits; what happens normally at volume alarms as a rate in M of N periods; and silence that
//! must page is written into the expression. The expressions are evaluated here, one datapoint at
//! a time as CloudWatch does, so each alarm is shown firing on what it is for and not otherwise.

use super::*;

/// A metric-math expression: the subset of CloudWatch's grammar the template's alarms use.
#[derive(Debug, Clone)]
enum Expr {
    Number(f64),
    Id(String),
    Negate(Box<Expr>),
    Binary(String, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    List(Vec<Expr>),
}

fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_.".contains(chars[i])) {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            let pair: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if [">=", "<=", "==", "!=", "&&", "||"].contains(&pair.as_str()) {
                tokens.push(pair);
                i += 2;
            } else {
                tokens.push(c.to_string());
                i += 1;
            }
        }
    }
    tokens
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn parse(text: &str) -> Expr {
        let mut parser = Parser {
            tokens: tokens(text),
            at: 0,
        };
        let expr = parser.or();
        assert_eq!(parser.at, parser.tokens.len(), "trailing tokens in {text}");
        expr
    }

    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn take(&mut self) -> String {
        self.at += 1;
        self.tokens[self.at - 1].clone()
    }

    fn expect(&mut self, token: &str) {
        assert_eq!(self.take(), token, "in {:?}", self.tokens);
    }

    fn binary(&mut self, operators: &[&str], next: fn(&mut Parser) -> Expr) -> Expr {
        let mut left = next(self);
        while let Some(op) = self.peek().filter(|t| operators.contains(t)) {
            let op = match op {
                "AND" => "&&".to_owned(),
                "OR" => "||".to_owned(),
                other => other.to_owned(),
            };
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(next(self)));
        }
        left
    }

    fn or(&mut self) -> Expr {
        self.binary(&["||", "OR"], Parser::and)
    }
    fn and(&mut self) -> Expr {
        self.binary(&["&&", "AND"], Parser::comparison)
    }
    fn comparison(&mut self) -> Expr {
        self.binary(&[">=", "<=", "==", "!=", ">", "<"], Parser::sum)
    }
    fn sum(&mut self) -> Expr {
        self.binary(&["+", "-"], Parser::product)
    }
    fn product(&mut self) -> Expr {
        self.binary(&["*", "/"], Parser::unary)
    }

    fn unary(&mut self) -> Expr {
        if self.peek() == Some("-") {
            self.at += 1;
            return Expr::Negate(Box::new(self.unary()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Expr {
        let token = self.take();
        match token.as_str() {
            "(" => {
                let inner = self.or();
                self.expect(")");
                inner
            }
            "[" => {
                let mut items = vec![self.or()];
                while self.peek() == Some(",") {
                    self.at += 1;
                    items.push(self.or());
                }
                self.expect("]");
                Expr::List(items)
            }
            _ if token.chars().next().unwrap().is_ascii_digit() => {
                Expr::Number(token.parse().unwrap())
            }
            _ if self.peek() == Some("(") => {
                assert!(
                    token.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                    "functions are upper case: {token}"
                );
                self.at += 1;
                let mut args = vec![self.or()];
                while self.peek() == Some(",") {
                    self.at += 1;
                    args.push(self.or());
                }
                self.expect(")");
                Expr::Call(token, args)
            }
            _ => {
                assert!(
                    token.chars().next().unwrap().is_ascii_lowercase(),
                    "an id starts with a lower-case letter: {token}"
                );
                Expr::Id(token)
            }
        }
    }
}

/// The ids an expression reads.
fn ids(expr: &Expr, found: &mut BTreeSet<String>) {
    match expr {
        Expr::Number(_) => {}
        Expr::Id(id) => {
            found.insert(id.clone());
        }
        Expr::Negate(inner) => ids(inner, found),
        Expr::Binary(_, left, right) => {
            ids(left, found);
            ids(right, found);
        }
        Expr::Call(_, items) | Expr::List(items) => items.iter().for_each(|i| ids(i, found)),
    }
}

/// One datapoint of an expression; `None` is a missing point. CloudWatch's rules: arithmetic and
/// comparisons count a missing operand as 0 when the other is there (both missing: missing), a
/// division by 0 drops the point, FILL fills it.
fn eval(expr: &Expr, lookup: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    let truth = |b: bool| if b { 1.0 } else { 0.0 };
    match expr {
        Expr::Number(n) => Some(*n),
        Expr::Id(id) => lookup(id),
        Expr::Negate(inner) => eval(inner, lookup).map(|v| -v),
        Expr::Binary(op, left, right) => {
            let (l, r) = match (eval(left, lookup), eval(right, lookup)) {
                (None, None) => return None,
                (l, r) => (l.unwrap_or(0.0), r.unwrap_or(0.0)),
            };
            Some(match op.as_str() {
                "+" => l + r,
                "-" => l - r,
                "*" => l * r,
                "/" if r == 0.0 => return None,
                "/" => l / r,
                ">=" => truth(l >= r),
                "<=" => truth(l <= r),
                ">" => truth(l > r),
                "<" => truth(l < r),
                "==" => truth(l == r),
                "!=" => truth(l != r),
                "&&" => truth(l != 0.0 && r != 0.0),
                "||" => truth(l != 0.0 || r != 0.0),
                other => panic!("operator {other}"),
            })
        }
        Expr::Call(function, args) => match (function.as_str(), args.as_slice()) {
            ("FILL", [series, filler]) => eval(series, lookup).or_else(|| eval(filler, lookup)),
            ("IF", [condition, yes, no]) => {
                if eval(condition, lookup)? != 0.0 {
                    eval(yes, lookup)
                } else {
                    eval(no, lookup)
                }
            }
            ("IF", [condition, yes]) => {
                if eval(condition, lookup)? != 0.0 {
                    eval(yes, lookup)
                } else {
                    None
                }
            }
            ("MAX" | "MIN" | "SUM", [Expr::List(items)]) => {
                let values: Vec<f64> = items.iter().filter_map(|i| eval(i, lookup)).collect();
                if values.is_empty() {
                    return None;
                }
                Some(match function.as_str() {
                    "MAX" => values.iter().copied().fold(f64::MIN, f64::max),
                    "MIN" => values.iter().copied().fold(f64::MAX, f64::min),
                    _ => values.iter().sum(),
                })
            }
            _ => panic!("a function the evaluator does not know: {function}"),
        },
        Expr::List(_) => panic!("a list outside MAX, MIN or SUM"),
    }
}

/// An alarm's queries: metric ids with their metric's name, and expressions by id.
struct Queries {
    metrics: BTreeMap<String, String>,
    expressions: BTreeMap<String, Expr>,
    returned: String,
}

fn queries(name: &str, alarm: &Value) -> Queries {
    let list = alarm["Metrics"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{name} is a metric-math alarm (Metrics)"));
    let mut metrics = BTreeMap::new();
    let mut expressions = BTreeMap::new();
    let mut returned = Vec::new();
    for query in list {
        let id = query["Id"].as_str().unwrap().to_owned();
        if query["ReturnData"] == true {
            returned.push(id.clone());
        }
        if let Some(stat) = query.get("MetricStat") {
            let metric = stat["Metric"]["MetricName"].as_str().unwrap().to_owned();
            metrics.insert(id, metric);
        } else {
            let text = query["Expression"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: {id} is a metric or an expression"));
            expressions.insert(id, Parser::parse(text));
        }
    }
    assert_eq!(returned.len(), 1, "{name}: one query is returned");
    Queries {
        metrics,
        expressions,
        returned: returned.remove(0),
    }
}

/// A number of the template, or a parameter's default.
fn resolved(template: &Value, value: &Value) -> f64 {
    match referenced(value) {
        Some(parameter) => number(&template["Parameters"][parameter.as_str()]["Default"]),
        None => number(value),
    }
}

/// Whether the alarm's datapoint breaches, given one period's values by metric id or metric name
/// (a metric not given has no datapoint).
pub(crate) fn breaches(template: &Value, alarm: &Value, points: &BTreeMap<String, f64>) -> bool {
    let queries = queries("alarm", alarm);
    fn value(queries: &Queries, points: &BTreeMap<String, f64>, id: &str) -> Option<f64> {
        if let Some(metric) = queries.metrics.get(id) {
            return points.get(id).or_else(|| points.get(metric)).copied();
        }
        let expr = queries
            .expressions
            .get(id)
            .unwrap_or_else(|| panic!("no query {id}"));
        eval(expr, &|inner| value(queries, points, inner))
    }
    let threshold = resolved(template, &alarm["Threshold"]);
    let Some(v) = value(&queries, points, &queries.returned) else {
        // A missing datapoint: the one policy says it does not breach.
        assert_eq!(alarm["TreatMissingData"], "notBreaching");
        return false;
    };
    match alarm["ComparisonOperator"].as_str().unwrap() {
        "GreaterThanThreshold" => v > threshold,
        "GreaterThanOrEqualToThreshold" => v >= threshold,
        "LessThanThreshold" => v < threshold,
        "LessThanOrEqualToThreshold" => v <= threshold,
        other => panic!("{other}"),
    }
}

fn points(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn every_alarm_treats_missing_data_alike_and_reads_every_metric_through_fill() {
    let template = template();
    for (name, alarm) in alarms(&template) {
        assert_eq!(alarm["TreatMissingData"], "notBreaching", "{name}");
        let queries = queries(&name, alarm);
        // CloudWatch's limits for an alarm: 10 metrics and 10 expressions.
        assert!(queries.metrics.len() <= 10, "{name}: over 10 metrics");
        assert!(
            queries.expressions.len() <= 10,
            "{name}: over 10 expressions"
        );
        // Every metric is read as FILL(id, 0), and nowhere bare.
        let texts: Vec<String> = alarm["Metrics"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|q| q["Expression"].as_str().map(str::to_owned))
            .collect();
        for id in queries.metrics.keys() {
            let filled = format!("FILL({id}, 0)");
            let mut read = false;
            for text in &texts {
                let bare = tokens(&text.replace(&filled, " "));
                assert!(
                    !bare.contains(id),
                    "{name}: {id} read without FILL in {text}"
                );
                read |= text.contains(&filled);
            }
            assert!(read, "{name}: {id} is never read");
        }
        // Every query reaches the returned expression.
        let mut reached = BTreeSet::from([queries.returned.clone()]);
        let mut frontier = vec![queries.returned.clone()];
        while let Some(id) = frontier.pop() {
            if let Some(expr) = queries.expressions.get(&id) {
                let mut read = BTreeSet::new();
                ids(expr, &mut read);
                for next in read {
                    assert!(
                        queries.metrics.contains_key(&next)
                            || queries.expressions.contains_key(&next),
                        "{name}: {next} is not a query"
                    );
                    if reached.insert(next.clone()) {
                        frontier.push(next);
                    }
                }
            }
        }
        let all: BTreeSet<String> = queries
            .metrics
            .keys()
            .chain(queries.expressions.keys())
            .cloned()
            .collect();
        assert_eq!(reached, all, "{name}: a query the alarm never compares");
        // M of N is always written out (N of N when both are the same parameter).
        match (
            referenced(&alarm["EvaluationPeriods"]),
            referenced(&alarm["DatapointsToAlarm"]),
        ) {
            (Some(periods), Some(breaching)) => assert_eq!(periods, breaching, "{name}"),
            _ => {
                let periods = number(&alarm["EvaluationPeriods"]);
                let breaching = number(&alarm["DatapointsToAlarm"]);
                assert!(
                    breaching >= 1.0 && breaching <= periods,
                    "{name}: {breaching} of {periods}"
                );
            }
        }
    }
}

/// What happens normally at volume alarms as a share of its traffic, over more than one period.
#[test]
fn unanswered_leads_reply_failures_quarantine_and_function_errors_alarm_as_rates_in_m_of_n() {
    let template = template();
    for name in [
        "LeadsUnansweredAlarm",
        "ReplyFailuresAlarm",
        "QuarantineGrowthAlarm",
        "InboundFunctionErrorsAlarm",
        "WorkerFunctionErrorsAlarm",
        "Inbound5xxRateAlarm",
        "ApiClientErrorRateAlarm",
    ] {
        let (_, alarm) = alarm_named(&template, name);
        assert_m_of_n(name, alarm);
        let divides = alarm["Metrics"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|q| q["Expression"].as_str())
            .any(|e| e.contains(" / "));
        assert!(divides, "{name}: a share of the traffic, not a count");
    }
}

#[test]
fn no_alarm_fires_on_a_stage_that_reports_nothing_but_the_no_lead_alarm() {
    let template = template();
    for (name, alarm) in alarms(&template) {
        let fires = breaches(&template, alarm, &BTreeMap::new());
        assert_eq!(fires, name == "NoLeadAlarm", "{name} on no data at all");
    }
}

#[test]
fn speed_to_lead_that_stops_firing_raises_an_alarm_that_no_traffic_does_not() {
    let template = template();
    let (name, alarm) = alarm_named(&template, "SpeedToLeadSilentAlarm");
    let watched: BTreeSet<(String, String)> = watched(alarm)
        .into_iter()
        .map(|(namespace, metric, _)| (namespace, metric))
        .collect();
    assert!(watched.contains(&("AWS/Lambda".to_owned(), "Invocations".to_owned())));
    assert!(watched.contains(&(
        "ThumbtackPartner/${Stage}".to_owned(),
        "LeadsReceived".to_owned()
    )));
    let fires = |pairs: &[(&str, f64)]| breaches(&template, alarm, &points(pairs));
    // Leads stored, the function never invoked: the invocations metric has no datapoint at all.
    assert!(fires(&[("LeadsReceived", 200.0)]), "{name}");
    assert!(
        fires(&[("LeadsReceived", 200.0), ("Invocations", 40.0)]),
        "{name}"
    );
    // Each lead invokes it at least once; more with its unanswered checks.
    assert!(!fires(&[("LeadsReceived", 200.0), ("Invocations", 200.0)]));
    assert!(!fires(&[("LeadsReceived", 200.0), ("Invocations", 390.0)]));
    // A quiet period says nothing either way.
    assert!(!fires(&[("LeadsReceived", 3.0)]));
    assert_m_of_n(&name, alarm);
}

#[test]
fn the_unanswered_alarm_fires_on_a_share_of_the_leads_and_not_on_a_count() {
    let template = template();
    let (name, alarm) = alarm_on(&template, "LeadsUnanswered");
    let percent = resolved(&template, &alarm["Threshold"]);
    assert_eq!(
        referenced(&alarm["Threshold"]).as_deref(),
        Some("UnansweredAlarmPercent")
    );
    let fires = |leads: f64, unanswered: f64| {
        breaches(
            &template,
            alarm,
            &points(&[("LeadsReceived", leads), ("LeadsUnanswered", unanswered)]),
        )
    };
    // At the model's peak, 833,000 leads an hour: a thousand unanswered is normal.
    assert!(!fires(833_000.0, 1_000.0), "{name}");
    assert!(
        fires(833_000.0, 833_000.0 * (percent + 1.0) / 100.0),
        "{name}"
    );
    assert!(
        !fires(833_000.0, 833_000.0 * (percent - 1.0) / 100.0),
        "{name}"
    );
    // A quiet hour: a handful unanswered is enough.
    assert!(fires(10.0, 5.0));
    assert!(!fires(10.0, 2.0));
}

#[test]
fn reply_failures_quarantines_and_function_errors_fire_on_their_share() {
    let template = template();
    let fires = |name: &str, pairs: &[(&str, f64)]| {
        breaches(&template, alarm_named(&template, name).1, &points(pairs))
    };
    // The model's peak: 694 replies a second, 208,000 in five minutes.
    assert!(!fires(
        "ReplyFailuresAlarm",
        &[("RepliesSent", 208_000.0), ("r0", 500.0)]
    ));
    assert!(fires(
        "ReplyFailuresAlarm",
        &[("RepliesSent", 208_000.0), ("r1", 20_000.0)]
    ));
    assert!(
        fires("ReplyFailuresAlarm", &[("r3", 5.0)]),
        "a quiet period's failures"
    );
    // 231 leads and 1,157 messages a second: over 1.2 million deliveries in 15 minutes.
    let busy = [
        ("LeadsReceived", 208_000.0),
        ("MessagesReceived", 1_040_000.0),
    ];
    let mut some = busy.to_vec();
    some.push(("message", 1_000.0));
    assert!(!fires("QuarantineGrowthAlarm", &some));
    let mut many = busy.to_vec();
    many.push(("message", 50_000.0));
    assert!(fires("QuarantineGrowthAlarm", &many));
    // One function failing among busy ones is found, however busy the others are.
    let calls = [
        ("leadCalls", 69_000.0),
        ("messageCalls", 347_000.0),
        ("readCalls", 416_000.0),
    ];
    let mut normal = calls.to_vec();
    normal.push(("message", 100.0));
    assert!(!fires("InboundFunctionErrorsAlarm", &normal));
    let mut failing = calls.to_vec();
    failing.push(("lead", 5_000.0));
    assert!(fires("InboundFunctionErrorsAlarm", &failing));
    assert!(fires(
        "WorkerFunctionErrorsAlarm",
        &[("speedCalls", 100.0), ("speed", 10.0)]
    ));
    assert!(!fires(
        "WorkerFunctionErrorsAlarm",
        &[("speedCalls", 100_000.0), ("speed", 10.0)]
    ));
}

/// Throttled writes, of the table and of each index, page: a throttled index throttles the
/// inbound write that feeds it. The feed's shards may change the indexes; each one gets its alarm.
#[test]
fn write_throttles_of_the_table_and_of_each_index_raise_an_alarm() {
    let template = template();
    let indexes: BTreeSet<String> =
        resource(&template, "Table")["Properties"]["GlobalSecondaryIndexes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|index| index["IndexName"].as_str().unwrap().to_owned())
            .collect();
    let mut watched_indexes = BTreeSet::new();
    let mut table_watched = false;
    for (name, alarm) in alarms_on(&template, "WriteThrottleEvents") {
        for (namespace, _, dimensions) in watched(alarm) {
            assert_eq!(namespace, "AWS/DynamoDB", "{name}");
            assert_eq!(dimensions["TableName"], "Table", "{name}");
            match dimensions.get("GlobalSecondaryIndexName") {
                Some(index) => {
                    watched_indexes.insert(index.clone());
                }
                None => table_watched = true,
            }
        }
        assert_m_of_n(&name, alarm);
        assert!(breaches(
            &template,
            alarm,
            &points(&[("WriteThrottleEvents", 1.0)])
        ));
    }
    assert!(
        table_watched,
        "an alarm on the table's own throttled writes"
    );
    assert_eq!(watched_indexes, indexes);
}

/// A 429 on Thumbtack's routes is a delivery we never saw: counted from the access log (API
/// Gateway has no 429 metric) on exactly the inbound routes, and alarmed at the first.
#[test]
fn a_429_on_an_inbound_route_is_counted_from_the_access_log_and_raises_an_alarm() {
    let template = template();
    let filter = &resource(&template, "InboundThrottledMetricFilter")["Properties"];
    assert_eq!(
        referenced(&filter["LogGroupName"]).as_deref(),
        Some("ApiAccessLogs")
    );
    let pattern = filter["FilterPattern"].as_str().unwrap();
    assert!(pattern.contains(r#"$.status = "429""#), "{pattern}");
    // The access log writes the status and the route key these names read.
    let format = resource(&template, "HttpApi")["Properties"]["AccessLogSettings"]["Format"]
        .as_str()
        .unwrap();
    assert!(format.contains(r#""status":"$context.status""#));
    assert!(format.contains(r#""routeKey":"$context.routeKey""#));
    let in_pattern: BTreeSet<String> = pattern
        .split(r#"$.routeKey = ""#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    let mut inbound = BTreeSet::new();
    for function in ["LeadInboundFunction", "MessageInboundFunction"] {
        for event in resource(&template, function)["Properties"]["Events"]
            .as_mapping()
            .unwrap()
            .values()
        {
            let route = &event["Properties"];
            inbound.insert(format!(
                "{} {}",
                route["Method"].as_str().unwrap(),
                route["Path"].as_str().unwrap()
            ));
        }
    }
    assert_eq!(in_pattern, inbound);
    let transformation = &filter["MetricTransformations"][0];
    let (name, alarm) = alarm_on(&template, "InboundThrottled");
    let (namespace, metric, _) = watched(alarm).remove(0);
    assert_eq!(
        intrinsic(&transformation["MetricNamespace"]),
        Some(("Sub", &Value::from(namespace)))
    );
    assert_eq!(transformation["MetricName"], metric.as_str());
    assert!(
        breaches(&template, alarm, &points(&[("InboundThrottled", 1.0)])),
        "{name}"
    );
    assert!(!breaches(
        &template,
        alarm,
        &points(&[("InboundThrottled", 0.0)])
    ));
}

#[test]
fn the_api_s_4xx_answers_alarm_as_a_share_of_its_requests() {
    let template = template();
    let (name, alarm) = alarm_on(&template, "4xx");
    let fires = |requests: f64, errors: f64| {
        breaches(
            &template,
            alarm,
            &points(&[("Count", requests), ("4xx", errors)]),
        )
    };
    assert!(!fires(1_000_000.0, 10_000.0), "{name}: 1 % is normal");
    assert!(fires(1_000_000.0, 100_000.0), "{name}: 10 % is not");
    assert!(
        !fires(40.0, 30.0),
        "{name}: a quiet period is for the 401 and quarantine alarms"
    );
    assert_m_of_n(&name, alarm);
}

#[test]
fn every_metric_of_ours_an_alarm_watches_is_one_the_functions_emit() {
    // The names come from one catalogue (app::metrics::Metric): an alarm on a name the code does
    // not emit would never fire.
    let template = template();
    let mut ours: BTreeSet<&str> = app::metrics::Metric::ALL
        .iter()
        .map(|metric| metric.name())
        .collect();
    // And those the template makes itself from logs (a metric filter on the access log).
    for (_, filter) in template["Resources"].as_mapping().unwrap() {
        if filter["Type"] == "AWS::Logs::MetricFilter" {
            for transformation in filter["Properties"]["MetricTransformations"]
                .as_sequence()
                .unwrap()
            {
                ours.insert(transformation["MetricName"].as_str().unwrap());
            }
        }
    }
    let mut alarmed = BTreeSet::new();
    for (name, alarm) in alarms(&template) {
        for (namespace, metric, _) in watched(alarm) {
            if namespace.starts_with("ThumbtackPartner/") {
                assert!(
                    ours.contains(metric.as_str()),
                    "{name} watches {metric}, which no function emits"
                );
                alarmed.insert(metric);
            }
        }
    }
    for metric in [
        app::metrics::Metric::EventDecodeFailures,
        app::metrics::Metric::LeadsUnanswered,
    ] {
        assert!(alarmed.contains(metric.name()), "{metric:?} is alarmed");
    }
}
