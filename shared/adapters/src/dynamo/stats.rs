//! A business's figures a day at a time ([`StatsDesk`]): the lead item says what of it was
//! counted, the day's item (`BUSINESS#<businessID>` / `STATS#<day>`) holds the counts, and both
//! change in one transaction, so that a count is added once however often it is asked for.
//!
//! The transaction is only sent when the lead's item, read first, says something is left to
//! count: a repeated event or reply writes nothing (and moto, which answers a failed transaction
//! by restoring a copy of the table, never sees one outside a true race). A reply's count goes by
//! the read of the lead made before its claim (`ReplyLedger::reply_context`), so reads nothing.

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, n, number, s, string};
use super::schema::{LEAD_SK, PK, SK, attr, business_settings_pk, item_type, lead_pk, stats_sk};
use app::StoreError;
use app::ports::{DayStats, LeadFirstReply, StatsDesk};
use app::speed::stats::{WAIT_BOUNDS, stats_day, wait_bucket};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use std::collections::HashMap;

/// The attribute counting the leads whose first reply waited up to `WAIT_BOUNDS[bucket]`.
pub(super) fn first_reply_bucket(bucket: usize) -> String {
    format!("fr{bucket:02}")
}

/// The same for the first person's reply.
pub(super) fn person_reply_bucket(bucket: usize) -> String {
    format!("pr{bucket:02}")
}

pub(super) fn lead_key(lead_id: &str) -> Item {
    Item::from([
        (PK.to_owned(), s(lead_pk(lead_id))),
        (SK.to_owned(), s(LEAD_SK)),
    ])
}

/// What one transaction sets on a lead and adds to its business's day.
pub(super) struct Count<'a> {
    pub lead_id: &'a str,
    pub business_id: &'a str,
    /// The day of the lead's `createTimestamp`.
    pub day: String,
    /// Set on the lead, each only where it is not set yet (else nothing is written).
    pub on_lead: Vec<(&'static str, AttributeValue)>,
    /// Counts added one each to the day.
    pub add: Vec<String>,
}

/// What a reply reads of its lead: whose it is, its contract, and its first-reply count's needs.
pub(super) const LEAD_ANSWERED: [&str; 7] = [
    attr::BUSINESS_ID,
    attr::ROUTE,
    attr::CREATE_TIMESTAMP,
    attr::RECEIVED_AT,
    attr::FIRST_REPLY_SENT_AT,
    attr::FIRST_PERSON_REPLY_AT,
    attr::TEST,
];

pub(super) fn lead_first_reply(lead: &Item) -> Result<LeadFirstReply, StoreError> {
    Ok(LeadFirstReply {
        business_id: string(lead, attr::BUSINESS_ID)?,
        created_s: number(lead, attr::CREATE_TIMESTAMP)?,
        received_at_ms: number(lead, attr::RECEIVED_AT)?,
        replied: lead.contains_key(attr::FIRST_REPLY_SENT_AT),
        person_replied: lead.contains_key(attr::FIRST_PERSON_REPLY_AT),
        test: lead.contains_key(attr::TEST),
    })
}

impl DynamoStore {
    /// Counts a lead's first reply and first person's reply, each once (`ReplyLedger::first_reply`),
    /// going by `known` (the lead as the reply's context read it) on the first try.
    pub(super) async fn count_first_reply(
        &self,
        lead_id: &str,
        automatic: bool,
        now_ms: u64,
        known: Option<&LeadFirstReply>,
    ) -> Result<Option<u64>, StoreError> {
        let mut known = known.cloned();
        // Twice at most: a concurrent reply of the same lead may count one of the two first.
        for _ in 0..2 {
            let lead = match known.take() {
                Some(lead) => lead,
                None => match self
                    .get_attributes(lead_key(lead_id), &LEAD_ANSWERED)
                    .await?
                {
                    Some(item) => lead_first_reply(&item)?,
                    None => return Ok(None),
                },
            };
            let first = !lead.replied;
            let first_by_person = !automatic && !lead.person_replied;
            if lead.test || (!first && !first_by_person) {
                return Ok(None);
            }
            let waited = now_ms.saturating_sub(lead.received_at_ms) / 1000;
            let bucket = wait_bucket(waited);
            let mut count = Count {
                lead_id,
                business_id: &lead.business_id,
                day: stats_day(lead.created_s),
                on_lead: Vec::new(),
                add: Vec::new(),
            };
            if first {
                count.on_lead.push((attr::FIRST_REPLY_SENT_AT, n(now_ms)));
                count
                    .on_lead
                    .push((attr::FIRST_REPLY_AUTOMATIC, AttributeValue::Bool(automatic)));
                count.add.push(attr::REPLIED.to_owned());
                count.add.push(first_reply_bucket(bucket));
                if automatic {
                    count.add.push(attr::AUTOMATIC_FIRST.to_owned());
                }
            }
            if first_by_person {
                count.on_lead.push((attr::FIRST_PERSON_REPLY_AT, n(now_ms)));
                count.add.push(attr::PERSON_REPLIED.to_owned());
                count.add.push(person_reply_bucket(bucket));
            }
            // The lead's own createTimestamp is the response-time metric's start.
            if self.count_once(count).await? {
                return Ok(first.then_some(lead.created_s));
            }
        }
        Ok(None)
    }

    /// Writes `count` in one transaction: `false` when the lead is gone or one of its attributes
    /// was set meanwhile (another call counted first; nothing was written).
    pub(super) async fn count_once(&self, count: Count<'_>) -> Result<bool, StoreError> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::new();
        // A test lead counts in no figures, neither as a lead nor by its replies.
        let mut conditions = vec![
            format!("attribute_exists({PK})"),
            format!("attribute_not_exists({})", attr::TEST),
        ];
        for (index, (name, value)) in count.on_lead.into_iter().enumerate() {
            names.insert(format!("#l{index}"), name.to_owned());
            values.insert(format!(":l{index}"), value);
            sets.push(format!("#l{index} = :l{index}"));
            conditions.push(format!("attribute_not_exists(#l{index})"));
        }
        let lead = Update::builder()
            .table_name(&self.table)
            .set_key(Some(lead_key(count.lead_id)))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))?;
        let mut names = HashMap::from([
            ("#type".to_owned(), attr::TYPE.to_owned()),
            ("#day".to_owned(), attr::DAY.to_owned()),
            ("#business".to_owned(), attr::BUSINESS_ID.to_owned()),
        ]);
        let mut adds = Vec::new();
        for (index, name) in count.add.into_iter().enumerate() {
            names.insert(format!("#a{index}"), name);
            adds.push(format!("#a{index} :one"));
        }
        let day = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Item::from([
                (PK.to_owned(), s(business_settings_pk(count.business_id))),
                (SK.to_owned(), s(stats_sk(&count.day))),
            ])))
            .update_expression(format!(
                "SET #type = :type, #day = :day, #business = :business ADD {}",
                adds.join(", ")
            ))
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":type", s(item_type::BUSINESS_STATS))
            .expression_attribute_values(":day", s(&count.day))
            .expression_attribute_values(":business", s(count.business_id))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))?;
        let sent = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(lead).build())
            .transact_items(TransactWriteItem::builder().update(day).build())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(error) => match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled))
                    if cancelled
                        .cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Ok(false)
                }
                _ => Err(store_error(error)),
            },
        }
    }
}

impl StatsDesk for DynamoStore {
    async fn count_lead(&self, lead_id: &str) -> Result<bool, StoreError> {
        let wanted = [
            attr::BUSINESS_ID,
            attr::CREATE_TIMESTAMP,
            attr::STATS_COUNTED,
            attr::TEST,
        ];
        let Some(lead) = self.get_attributes(lead_key(lead_id), &wanted).await? else {
            return Ok(false);
        };
        // A test lead stays out of the figures.
        if lead.contains_key(attr::STATS_COUNTED) || lead.contains_key(attr::TEST) {
            return Ok(false);
        }
        let business_id = string(&lead, attr::BUSINESS_ID)?;
        self.count_once(Count {
            lead_id,
            business_id: &business_id,
            day: stats_day(number(&lead, attr::CREATE_TIMESTAMP)?),
            on_lead: vec![(attr::STATS_COUNTED, AttributeValue::Bool(true))],
            add: vec![attr::LEADS.to_owned()],
        })
        .await
    }

    async fn daily_stats(
        &self,
        business_id: &str,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<DayStats>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(format!("{PK} = :pk AND {SK} BETWEEN :from AND :to"))
            .expression_attribute_values(":pk", s(business_settings_pk(business_id)))
            .expression_attribute_values(":from", s(stats_sk(from_day)))
            .expression_attribute_values(":to", s(stats_sk(to_day)))
            // At most 90 small items: one page.
            .send()
            .await
            .map_err(store_error)?;
        output.items().iter().map(day_stats).collect()
    }
}

/// A day's item as its figures; a count never added is 0.
fn day_stats(item: &Item) -> Result<DayStats, StoreError> {
    let count = |name: &str| match item.get(name) {
        None => Ok(0),
        Some(_) => number(item, name),
    };
    let buckets = |name: fn(usize) -> String| {
        (0..WAIT_BOUNDS.len())
            .map(|bucket| count(&name(bucket)))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(DayStats {
        day: string(item, attr::DAY)?,
        leads: count(attr::LEADS)?,
        replied: count(attr::REPLIED)?,
        automatic_first: count(attr::AUTOMATIC_FIRST)?,
        person_replied: count(attr::PERSON_REPLIED)?,
        first_reply: buckets(first_reply_bucket)?,
        first_person_reply: buckets(person_reply_bucket)?,
    })
}
