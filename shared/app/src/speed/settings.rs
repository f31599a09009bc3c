//! A business's speed-to-lead settings (the document is `models::settings`): the rules a saved one
//! follows, its quiet hours' clock, and its template filled in.
//!
//! The document is ours, not Thumbtack's, so it is strict: an unknown field is refused (a typo such
//! as `"enable"` would otherwise do nothing, silently), and every problem is named by its path.

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
pub use models::settings::{
    AutoAcknowledgement, BusinessSettings, DEFAULT_TEMPLATE, DEFAULT_UNANSWERED_MINUTES,
    QuietHours, QuietPolicy, SettingsDocument, TEMPLATE_VARIABLES,
};
use models::{Invalid, InvalidKind, Problems};
use serde_json::{Map, Value};

/// How long an acknowledgement's text may be (bytes): a chat message, not a letter.
pub const MAX_TEMPLATE_BYTES: usize = 2000;

/// The longest threshold: a week.
pub const MAX_UNANSWERED_MINUTES: u32 = 7 * 24 * 60;

/// Reads a `PUT` body for `business_id`: the whole document, every field checked and every problem
/// named by its path. `businessID`, `configured` and `templateVariables` may be sent back as `GET`
/// gave them (a value of another type is refused, like any other mistake in the document);
/// `businessID` must then be this business.
pub fn parse_settings(business_id: &str, body: &[u8]) -> Result<BusinessSettings, Invalid> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Invalid::body(InvalidKind::NotJson, "must be a JSON document"))?;
    let Value::Object(top) = value else {
        return Err(Invalid::body(InvalidKind::NotAnObject, "must be an object"));
    };
    let mut p = Problems::default();
    for key in top.keys() {
        let known = [
            "businessID",
            "autoAcknowledgement",
            "quietHours",
            "unansweredAfterMinutes",
            "configured",
            "templateVariables",
        ];
        if !known.contains(&key.as_str()) {
            p.add(shown_name(key), "is not a setting");
        }
    }
    if let Some(sent) = top.get("businessID")
        && sent.as_str() != Some(business_id)
    {
        p.add("businessID", "must be the business of the path");
    }
    // Read-only, and ignored when sent back; but a value of the wrong type is a mistake in the
    // caller's document, refused like any other.
    if top.get("configured").is_some_and(|sent| !sent.is_boolean()) {
        p.add(
            "configured",
            "is read-only: true or false as GET gave it, or left out",
        );
    }
    if let Some(sent) = top.get("templateVariables")
        && !sent
            .as_array()
            .is_some_and(|names| names.iter().all(Value::is_string))
    {
        p.add(
            "templateVariables",
            "is read-only: the list of names GET gave, or left out",
        );
    }
    let ack = object(
        &mut p,
        &top,
        "autoAcknowledgement",
        &["enabled", "template"],
    );
    let enabled = ack.and_then(|a| boolean(&mut p, a, "autoAcknowledgement.enabled", "enabled"));
    let template = ack.and_then(|a| template(&mut p, a));
    let quiet = object(
        &mut p,
        &top,
        "quietHours",
        &["enabled", "start", "end", "timeZone", "during"],
    );
    let quiet_hours = quiet.and_then(|q| quiet_hours(&mut p, q));
    let minutes = match top.get("unansweredAfterMinutes").map(Value::as_u64) {
        None => {
            p.add("unansweredAfterMinutes", "is required");
            None
        }
        Some(Some(m)) if (1..=u64::from(MAX_UNANSWERED_MINUTES)).contains(&m) => {
            u32::try_from(m).ok()
        }
        Some(_) => {
            p.add(
                "unansweredAfterMinutes",
                "must be a whole number of minutes from 1 to 10080",
            );
            None
        }
    };
    match (enabled, template, quiet_hours, minutes) {
        (Some(enabled), Some(template), Some(quiet_hours), Some(minutes)) if p.is_empty() => {
            Ok(BusinessSettings {
                auto_acknowledgement: AutoAcknowledgement { enabled, template },
                quiet_hours,
                unanswered_after_minutes: minutes,
            })
        }
        _ => Err(Invalid {
            kind: InvalidKind::Fields,
            problems: p,
        }),
    }
}

/// The object at `key`, its unknown fields named.
fn object<'a>(
    p: &mut Problems,
    parent: &'a Map<String, Value>,
    key: &str,
    known: &[&str],
) -> Option<&'a Map<String, Value>> {
    match parent.get(key) {
        Some(Value::Object(object)) => {
            for field in object.keys() {
                if !known.contains(&field.as_str()) {
                    p.add(format!("{key}.{}", shown_name(field)), "is not a setting");
                }
            }
            Some(object)
        }
        Some(_) => {
            p.add(key, "must be an object");
            None
        }
        None => {
            p.add(key, "is required");
            None
        }
    }
}

fn boolean(p: &mut Problems, object: &Map<String, Value>, path: &str, key: &str) -> Option<bool> {
    let value = object.get(key).and_then(Value::as_bool);
    if value.is_none() {
        p.add(path, "must be true or false");
    }
    value
}

fn text<'a>(
    p: &mut Problems,
    object: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Option<&'a str> {
    let value = object.get(key).and_then(Value::as_str);
    if value.is_none() {
        p.add(path, "must be a string");
    }
    value
}

fn template(p: &mut Problems, ack: &Map<String, Value>) -> Option<String> {
    let path = "autoAcknowledgement.template";
    let template = text(p, ack, path, "template")?;
    if !models::has_visible_text(template) {
        p.add(path, "must not be empty");
        return None;
    }
    if template.len() > MAX_TEMPLATE_BYTES {
        p.add(path, "must be at most 2000 bytes");
        return None;
    }
    match unknown_variable(template) {
        Some(Variable::Unknown(name)) => {
            p.add(path,
                format!(
                    "uses {{{name}}}; a template may use {{customerFirstName}}, {{businessName}} and {{category}}"
                ),
            );
            None
        }
        Some(Variable::Unclosed) => {
            p.add(path, "has a { that is never closed");
            None
        }
        None => Some(template.to_owned()),
    }
}

enum Variable {
    Unknown(String),
    Unclosed,
}

/// The characters of a name the caller chose (a field, a template variable) that an answer and
/// its log line quote: the first [`SHOWN_NAME_CHARS`], and `…` when there were more. A name is the
/// caller's text: a 250 KB key, or one holding a customer's name and phone number, must not come
/// back whole in an answer or a log line.
fn shown_name(name: &str) -> String {
    let mut chars = name.chars();
    let mut shown: String = chars.by_ref().take(SHOWN_NAME_CHARS).collect();
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}

/// How many characters of a caller's name an answer quotes.
const SHOWN_NAME_CHARS: usize = 40;

/// The first variable of `template` that is not one of [`TEMPLATE_VARIABLES`].
fn unknown_variable(template: &str) -> Option<Variable> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Some(Variable::Unclosed);
        };
        let name = &after[..close];
        if !TEMPLATE_VARIABLES.contains(&name) {
            return Some(Variable::Unknown(shown_name(name)));
        }
        rest = &after[close + 1..];
    }
    None
}

fn quiet_hours(p: &mut Problems, quiet: &Map<String, Value>) -> Option<QuietHours> {
    let enabled = boolean(p, quiet, "quietHours.enabled", "enabled");
    let mut clock = |key: &str| {
        let path = format!("quietHours.{key}");
        let value = text(p, quiet, &path, key)?;
        let Some(time) = parse_clock(value) else {
            p.add(&path, "must be a time of day, HH:MM (24-hour)");
            return None;
        };
        Some((value.to_owned(), time))
    };
    let start = clock("start");
    let end = clock("end");
    let zone = text(p, quiet, "quietHours.timeZone", "timeZone").and_then(|zone| {
        if TimeZone::get(zone).is_err() {
            p.add(
                "quietHours.timeZone",
                "must be an IANA time zone, such as America/Chicago",
            );
            return None;
        }
        Some(zone.to_owned())
    });
    let during = match quiet.get("during").and_then(Value::as_str) {
        Some("wait") => Some(QuietPolicy::Wait),
        Some("send") => Some(QuietPolicy::Send),
        _ => {
            p.add("quietHours.during", "must be \"wait\" or \"send\"");
            None
        }
    };
    // Times, not their text, are compared.
    if let (Some((_, start)), Some((_, end))) = (&start, &end)
        && start == end
    {
        p.add("quietHours.end", "must differ from start");
    }
    Some(QuietHours {
        enabled: enabled?,
        start: start?.0,
        end: end?.0,
        time_zone: zone?,
        during: during?,
    })
}

/// `HH:MM`, 24-hour: exactly two ASCII digits a part (`i8::from_str` alone would take `+0`).
fn parse_clock(text: &str) -> Option<Time> {
    let (hour, minute) = text.split_once(':')?;
    let two_digits = |part: &str| -> Option<i8> {
        let [tens @ b'0'..=b'9', units @ b'0'..=b'9'] = *part.as_bytes() else {
            return None;
        };
        i8::try_from((tens - b'0') * 10 + (units - b'0')).ok()
    };
    Time::new(two_digits(hour)?, two_digits(minute)?, 0, 0).ok()
}

/// The clock of quiet hours (the zone database is the domain's, not the document's).
pub trait QuietClock {
    /// When quiet hours that hold at `now_ms` end (unix milliseconds), or `None` when it is not
    /// quiet then (or quiet hours are off, or unreadable: a saved document was checked).
    fn quiet_until(&self, now_ms: u64) -> Option<u64>;
}

impl QuietClock for QuietHours {
    /// When quiet hours that hold at `now_ms` end (unix milliseconds), or `None` when it is not
    /// quiet then (or quiet hours are off, or unreadable: a saved document was checked).
    fn quiet_until(&self, now_ms: u64) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        let zone = TimeZone::get(&self.time_zone).ok()?;
        let (start, end) = (parse_clock(&self.start)?, parse_clock(&self.end)?);
        let now = Timestamp::from_millisecond(i64::try_from(now_ms).ok()?).ok()?;
        let local = now.to_zoned_datetime(zone.clone());
        let time = local.time();
        let quiet = if start < end {
            start <= time && time < end
        } else {
            time >= start || time < end
        };
        if !quiet {
            return None;
        }
        // The next `end` on the local clock: today's, or tomorrow's once today's has passed.
        let mut day = local.date();
        if time >= end {
            day = day.tomorrow().ok()?;
        }
        let ends = day.to_datetime(end).to_zoned_datetime(zone).ok()?;
        u64::try_from(ends.timestamp().as_millisecond()).ok()
    }
}

/// The acknowledgement's text for a lead: the template with its variables filled in. A value the
/// lead does not have reads as a neutral word, so no `{...}` ever reaches a customer.
pub fn render(template: &str, values: &TemplateValues<'_>) -> String {
    let first_name = values
        .customer_name
        .and_then(|name| name.split_whitespace().next())
        .unwrap_or("there");
    let business = values
        .business_name
        .filter(|n| models::has_visible_text(n))
        .unwrap_or("our team");
    let category = values
        .category
        .filter(|c| models::has_visible_text(c))
        .unwrap_or("service");
    template
        .replace("{customerFirstName}", first_name)
        .replace("{businessName}", business)
        .replace("{category}", category)
}

/// What a template's variables are filled from.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateValues<'a> {
    pub customer_name: Option<&'a str>,
    pub business_name: Option<&'a str>,
    pub category: Option<&'a str>,
}

#[cfg(test)]
mod tests;
