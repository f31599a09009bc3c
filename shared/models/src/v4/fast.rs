//! The typed fast path of [`Delivery::parse`]: a lead or a message with nothing wrong costs
//! serde's typed parse and the walker's rules read off the typed value, as legacy payloads do.
//! Anything else goes to the walker, which alone words refusals and warnings: a shape where
//! sources disagree (`createTime`, a category or travel preferences given as a string, a number
//! given as a string), any problem, a review, an event we do not read. A rule here may be stricter
//! than the walker's (it only sends more to the walker), never looser: the property tests
//! (`shared/models/tests/properties.rs`) check that both read every mutated delivery alike.

use super::{
    Data, Delivery, Event, Kind, MessageCreatedV4, NegotiationCreatedV4, NegotiationCustomer,
    is_time,
};
use crate::ids::is_valid_id;
use crate::lead::{is_state, is_zip};
use crate::map_only::MapOnly;
use crate::text::has_visible_text;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The delivery, when it is a lead or a message the walker would read without a word.
pub(super) fn typed(body: &[u8]) -> Option<Delivery> {
    let text = std::str::from_utf8(body).ok()?;
    let Fast(delivery) = serde_json::from_str::<Fast>(text).ok()?;
    let delivery = delivery?;
    let follows = event_follows_the_rules(&delivery.event)
        && match &delivery.data {
            Data::Negotiation(lead) => negotiation_follows_the_rules(lead),
            Data::Message(message) => message_follows_the_rules(message),
            Data::Review(_) | Data::Unknown(_) => false,
        };
    follows.then_some(delivery)
}

/// The envelope in one pass when `event` comes before `data`, as Thumbtack sends them: `data` is
/// read straight into the type its `eventType` names. Otherwise `data` is kept raw and read
/// after. `None` (or an error): not for the fast path.
struct Fast(Option<Delivery>);

impl<'de> Deserialize<'de> for Fast {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor).map(Fast)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Option<Delivery>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a v4 webhook delivery")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Delivery>, A::Error> {
        let mut event: Option<Event> = None;
        let mut data: Option<Data> = None;
        let mut raw_data: Option<&'de RawValue> = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                // A key given twice is the walker's to name.
                "event" if event.is_some() => return Ok(None),
                "data" if data.is_some() || raw_data.is_some() => return Ok(None),
                "event" => event = Some(map.next_value::<MapOnly<Event>>()?.0),
                "data" => match event.as_ref().map(|event| Kind::of(&event.event_type)) {
                    Some(kind) => match map.next_value_seed(DataOf(kind))? {
                        Some(read) => data = Some(read),
                        None => return Ok(None),
                    },
                    None => raw_data = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(event) = event else {
            return Ok(None);
        };
        let data = match (data, raw_data) {
            (Some(data), _) => data,
            (None, Some(raw)) => {
                let mut json = serde_json::Deserializer::from_str(raw.get());
                let read = DataOf(Kind::of(&event.event_type)).deserialize(&mut json);
                match read.map_err(A::Error::custom)? {
                    Some(data) => data,
                    None => return Ok(None),
                }
            }
            (None, None) => return Ok(None),
        };
        Ok(Some(Delivery { event, data }))
    }
}

/// `data` read as the type its event's kind names, wherever it stands in the envelope; `None`
/// for a review or an unknown event, which are the walker's (a review reads `text` where
/// `reviewText` is missing).
struct DataOf(Kind);

impl<'de> DeserializeSeed<'de> for DataOf {
    type Value = Option<Data>;

    fn deserialize<D: Deserializer<'de>>(self, data: D) -> Result<Option<Data>, D::Error> {
        Ok(match self.0 {
            Kind::NegotiationCreated => {
                let MapOnly(lead) = MapOnly::<NegotiationCreatedV4>::deserialize(data)?;
                Some(Data::Negotiation(Box::new(lead)))
            }
            Kind::MessageCreated => Some(Data::Message(MapOnly::deserialize(data)?.0)),
            Kind::ReviewCreated | Kind::Unknown => {
                IgnoredAny::deserialize(data)?;
                None
            }
        })
    }
}

fn optional_id(id: Option<&str>) -> bool {
    id.is_none_or(is_valid_id)
}

fn time(text: Option<&str>) -> bool {
    text.is_some_and(is_time)
}

fn event_follows_the_rules(event: &Event) -> bool {
    has_visible_text(&event.event_type)
        && event.webhook_id.as_deref().is_some_and(is_valid_id)
        && time(event.triggered_at.as_deref())
}

fn negotiation_follows_the_rules(lead: &NegotiationCreatedV4) -> bool {
    let customer = &lead.customer;
    let request = &lead.request;
    let location = &request.location;
    is_valid_id(&lead.negotiation_id)
        && is_valid_id(&lead.business.business_id)
        // `createTime` alone (the docs' spelling) leaves this empty: the walker reads it.
        && time(lead.created_at.as_deref())
        // The walker warns when `customer` is missing, which its default cannot tell from `{}`.
        && *customer != NegotiationCustomer::default()
        && optional_id(customer.customer_id.as_deref())
        && optional_id(request.request_id.as_deref())
        && optional_id(request.customer_id.as_deref())
        // The location's three, as on legacy (and so `request` and `location` are there).
        && location.city.as_deref().is_some_and(has_visible_text)
        && location.state.as_deref().is_some_and(is_state)
        && location.zip_code.as_deref().is_some_and(is_zip)
        && request
            .details
            .iter()
            .all(|detail| detail.question.is_some() && detail.answer.is_some())
        && request.proposed_times.iter().all(|slot| {
            time(slot.start.as_deref()) && slot.end.as_deref().is_none_or(is_time)
        })
        && request
            .booking
            .as_ref()
            .is_none_or(|booking| time(booking.start.as_deref()))
}

fn message_follows_the_rules(message: &MessageCreatedV4) -> bool {
    is_valid_id(&message.message_id)
        && is_valid_id(&message.negotiation_id)
        && message.from.as_deref().is_some_and(has_visible_text)
        // Required, and may be empty (a message of attachments only).
        && message.text.is_some()
        && time(message.sent_at.as_deref())
        && message
            .customer
            .as_ref()
            .is_none_or(|customer| optional_id(customer.customer_id.as_deref()))
        && message
            .business
            .as_ref()
            .is_none_or(|business| optional_id(business.business_id.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::typed;
    use crate::v4::Delivery;

    fn by_walking(body: &str) -> Delivery {
        let parsed = Delivery::parse_by_walking(body.as_bytes()).unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        parsed.value
    }

    #[test]
    fn thumbtacks_sample_lead_and_message_take_the_fast_path_and_read_as_the_walker_reads_them() {
        for body in [
            fixtures::v4::NEGOTIATION_CREATED,
            fixtures::v4::MESSAGE_CREATED,
            fixtures::v4::TEST_NEGOTIATION_CREATED,
        ] {
            assert_eq!(typed(body.as_bytes()), Some(by_walking(body)), "{body}");
        }
    }

    #[test]
    fn data_before_event_is_read_alike_and_a_key_given_twice_is_left_to_the_walker() {
        let lead: serde_json::Value =
            serde_json::from_str(fixtures::v4::NEGOTIATION_CREATED).unwrap();
        let data_first = format!(r#"{{"data":{},"event":{}}}"#, lead["data"], lead["event"]);
        assert_eq!(
            typed(data_first.as_bytes()),
            Some(by_walking(fixtures::v4::NEGOTIATION_CREATED))
        );
        let event_twice = format!(
            r#"{{"event":{0},"event":{0},"data":{1}}}"#,
            lead["event"], lead["data"]
        );
        assert_eq!(typed(event_twice.as_bytes()), None);
        assert_eq!(
            Delivery::parse(event_twice.as_bytes()),
            Delivery::parse_by_walking(event_twice.as_bytes())
        );
    }

    #[test]
    fn a_shape_where_sources_disagree_is_left_to_the_walker() {
        let created_time = fixtures::v4::NEGOTIATION_CREATED.replace("createdAt", "createTime");
        let category_name = fixtures::v4::NEGOTIATION_CREATED.replace(
            r#"{ "categoryID": "240123621172183344", "name": "Full Service Lawn Care" }"#,
            r#""Full Service Lawn Care""#,
        );
        for body in [&created_time, &category_name, fixtures::v4::REVIEW_CREATED] {
            assert_eq!(typed(body.as_bytes()), None, "{body}");
            // And the walker reads it whole, without a warning.
            let parsed = Delivery::parse(body.as_bytes()).unwrap();
            assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        }
    }

    #[test]
    fn a_lead_without_its_customer_is_left_to_the_walker_which_warns() {
        let mut lead: serde_json::Value =
            serde_json::from_str(fixtures::v4::NEGOTIATION_CREATED).unwrap();
        lead["data"].as_object_mut().unwrap().remove("customer");
        let body = lead.to_string();
        assert_eq!(typed(body.as_bytes()), None);
        let parsed = Delivery::parse(body.as_bytes()).unwrap();
        assert_eq!(parsed.warnings.paths(), ["data.customer"]);
    }
}
