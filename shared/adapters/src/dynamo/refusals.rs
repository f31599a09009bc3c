//! Refused deliveries, counted: one item per minute and kind in the `REFUSED` partition, kept 14
//! days by DynamoDB's TTL, and listed newest first by one `Query` on that partition.

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, n, number, s, string};
use super::schema::{PK, REFUSED_PK, SK, attr, item_type, refused_minute, refused_sk};
use app::StoreError;
use app::ports::{Refusal, RefusalCount, RefusalLog};
use aws_sdk_dynamodb::types::AttributeValue;

impl RefusalLog for DynamoStore {
    async fn record(&self, refusal: &Refusal) -> Result<(), StoreError> {
        // Over this process's cap, the refusal rides on the next write of its kind.
        let Some(count) = self.refusal_throttle.admit(refusal) else {
            return Ok(());
        };
        let reason = refusal.reason;
        let route = refusal.route.as_str();
        let sk = refused_sk(&refusal.minute(), route, reason.status(), reason.code());
        // One UpdateItem per refusal written: a flood of one kind within a minute is one item.
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(REFUSED_PK))
            .key(SK, s(sk))
            .update_expression(
                "SET #type = :type, #route = :route, #status = :status, #reason = :reason, \
                 #presented = :presented, #first = if_not_exists(#first, :at), #last = :at, \
                 #expires = :expires \
                 ADD #count :count",
            )
            .expression_attribute_names("#type", attr::TYPE)
            .expression_attribute_names("#route", attr::ROUTE)
            .expression_attribute_names("#status", attr::HTTP_STATUS)
            .expression_attribute_names("#reason", attr::REASON)
            .expression_attribute_names("#presented", attr::CREDENTIALS_PRESENTED)
            .expression_attribute_names("#first", attr::FIRST_RECEIVED_AT)
            .expression_attribute_names("#last", attr::LAST_RECEIVED_AT)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_names("#count", attr::COUNT)
            .expression_attribute_values(":type", s(item_type::REFUSED))
            .expression_attribute_values(":route", s(route))
            .expression_attribute_values(":status", n(u64::from(reason.status())))
            .expression_attribute_values(":reason", s(reason.code()))
            .expression_attribute_values(
                ":presented",
                AttributeValue::Bool(reason.credentials_presented()),
            )
            .expression_attribute_values(":at", n(refusal.at_ms))
            .expression_attribute_values(":expires", n(refusal.expires_at()))
            .expression_attribute_values(":count", n(count))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn refusals(&self, limit: usize) -> Result<Vec<RefusalCount>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        while items.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(REFUSED_PK))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        items.iter().map(refusal_count).collect()
    }
}

fn refusal_count(item: &Item) -> Result<RefusalCount, StoreError> {
    let presented = match item.get(attr::CREDENTIALS_PRESENTED) {
        Some(AttributeValue::Bool(presented)) => *presented,
        _ => return Err(super::item::corrupt(attr::CREDENTIALS_PRESENTED)),
    };
    Ok(RefusalCount {
        minute: refused_minute(&string(item, SK)?).to_owned(),
        route: string(item, attr::ROUTE)?,
        status: u16::try_from(number(item, attr::HTTP_STATUS)?).unwrap_or(0),
        reason: string(item, attr::REASON)?,
        credentials_presented: presented,
        count: number(item, attr::COUNT)?,
        first_at_ms: number(item, attr::FIRST_RECEIVED_AT)?,
        last_at_ms: number(item, attr::LAST_RECEIVED_AT)?,
    })
}
