//! [`Listings`] on the table's index (GSI1): a business's leads and the quarantined payloads,
//! newest first, a page at a time. A page's cursor is where DynamoDB stopped (its
//! `LastEvaluatedKey`): the last item's table keys and index sort key, encoded.

use super::DynamoStore;
use super::item::{Item, number, optional_string, s, string};
use super::schema::{GSI1_PK, GSI1_SK, PK, QUARANTINE_INDEX_PK, SK, attr, business_pk};
use app::StoreError;
use app::ports::{Cursor, LeadSummary, Listings, Page, QuarantineRecord};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

impl Listings for DynamoStore {
    async fn business_leads(
        &self,
        business_id: &str,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<LeadSummary>, StoreError> {
        let partition = business_pk(business_id);
        let start = after.map(|c| start_key(&partition, c)).transpose()?;
        let (items, next) = self.index_newest(partition, limit, start).await?;
        Ok(Page {
            items: items.iter().map(lead_summary).collect::<Result<_, _>>()?,
            next: next.as_ref().map(cursor).transpose()?,
        })
    }

    async fn list_quarantine(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<QuarantineRecord>, StoreError> {
        let start = after
            .map(|c| start_key(QUARANTINE_INDEX_PK, c))
            .transpose()?;
        let (items, next) = self.quarantined(limit, start).await?;
        Ok(Page {
            items,
            next: next.as_ref().map(cursor).transpose()?,
        })
    }
}

/// A lead as the index copies it (`schema::GSI1_PROJECTED`).
fn lead_summary(item: &Item) -> Result<LeadSummary, StoreError> {
    Ok(LeadSummary {
        lead_id: string(item, attr::LEAD_ID)?,
        create_timestamp: number(item, attr::CREATE_TIMESTAMP)?,
        category: optional_string(item, attr::CATEGORY),
        title: optional_string(item, attr::TITLE),
        received_at_ms: number(item, attr::RECEIVED_AT)?,
    })
}

/// The cursor for where a query stopped: its table keys and its index sort key, one a line (no
/// key holds a newline: ids are validated, digests are hex).
fn cursor(stopped_at: &Item) -> Result<Cursor, StoreError> {
    let keys = [PK, SK, GSI1_SK]
        .into_iter()
        .map(|key| string(stopped_at, key))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Cursor(URL_SAFE_NO_PAD.encode(keys.join("\n"))))
}

/// Where a page of `partition` starts, from a cursor this store gave.
fn start_key(partition: &str, cursor: &Cursor) -> Result<Item, StoreError> {
    let refused = || StoreError::Rejected(Box::new(InvalidCursor));
    let text = URL_SAFE_NO_PAD
        .decode(&cursor.0)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(refused)?;
    let keys: Vec<&str> = text.split('\n').collect();
    let [pk, sk, index_sk] = keys[..] else {
        return Err(refused());
    };
    if [pk, sk, index_sk].iter().any(|key| key.is_empty()) {
        return Err(refused());
    }
    Ok(Item::from([
        (PK.to_owned(), s(pk)),
        (SK.to_owned(), s(sk)),
        (GSI1_PK.to_owned(), s(partition)),
        (GSI1_SK.to_owned(), s(index_sk)),
    ]))
}

#[derive(Debug, thiserror::Error)]
#[error("the cursor is not one this listing gave")]
struct InvalidCursor;
