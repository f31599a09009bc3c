//! [`ReplyLedger`] on DynamoDB: the reply item lives in its lead's partition (so the conversation
//! query returns it), and a guard item keyed by the replyID alone makes the replyID unique across
//! leads. The guard is created first, then the reply, each by a conditional put.

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, corrupt, insert_change, n, number, parsed, s, string};
use super::schema::attr::{
    ATTEMPTS, BUSINESS_ID, CONTRACT, CREATED_AT, DELIVERED_AT, ECHO_MESSAGE_ID, ENQUEUED_AT,
    FAILURE, HTTP_STATUS, LAST_ERROR, LEAD_ID, LEASE_UNTIL, REPLY_ID, SENT_AT, SENT_MESSAGE_ID,
    SEQUENCE, STATUS, TEXT, TYPE, UPDATED_AT,
};
use super::schema::{
    ACK_SK, GSI2_PK, GSI2_SK, LEAD_SK, PK, REPLY_GUARD_SK, SK, item_type, lead_pk, outcome_sk,
    reply_guard_pk, reply_sk,
};
use super::stats::{LEAD_ANSWERED, lead_first_reply};
use app::StoreError;
use app::ports::{
    Accepted, Claim, LeadFirstReply, Recorded, ReplyClaim, ReplyContext, ReplyLedger, ReplyRecord,
};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use models::{ReplyRequest, ReplyStatus};

/// The `status` a reply item holds.
fn status(status: ReplyStatus) -> AttributeValue {
    s(status.as_str())
}

fn reply_key(reply: &ReplyRequest) -> Item {
    Item::from([
        (PK.to_owned(), s(lead_pk(&reply.lead_id))),
        (SK.to_owned(), s(reply_sk(&reply.reply_id))),
    ])
}

/// The item that makes the replyID unique across leads: its key.
fn guard_key(reply: &ReplyRequest) -> Item {
    Item::from([
        (PK.to_owned(), s(reply_guard_pk(&reply.reply_id))),
        (SK.to_owned(), s(REPLY_GUARD_SK)),
    ])
}

/// The item of a reply's outcome for `attempt` (`sent`, or `failed` with its category): the fact
/// the changes feed and the events carry. Its own item, so that trying the reply again never
/// takes a failure out of the feed, and a later `sent` is a new entry.
fn outcome_item(reply: &ReplyRequest, attempt: u32, outcome: &Outcome<'_>, at_ms: u64) -> Item {
    let mut item = Item::from([
        (PK.to_owned(), s(lead_pk(&reply.lead_id))),
        (SK.to_owned(), s(outcome_sk(&reply.reply_id, attempt))),
    ]);
    item.insert(TYPE.into(), s(item_type::REPLY_OUTCOME));
    item.insert(REPLY_ID.into(), s(&reply.reply_id));
    item.insert(LEAD_ID.into(), s(&reply.lead_id));
    item.insert(BUSINESS_ID.into(), s(&reply.business_id));
    item.insert(ATTEMPTS.into(), n(u64::from(attempt)));
    item.insert(UPDATED_AT.into(), n(at_ms));
    match outcome {
        Outcome::Sent { http_status } => {
            item.insert(STATUS.into(), status(ReplyStatus::Sent));
            item.insert(HTTP_STATUS.into(), n(u64::from(*http_status)));
            item.insert(SENT_AT.into(), n(at_ms));
        }
        Outcome::Failed {
            category,
            http_status,
        } => {
            item.insert(STATUS.into(), status(ReplyStatus::Failed));
            item.insert(FAILURE.into(), s(*category));
            if let Some(code) = http_status {
                item.insert(HTTP_STATUS.into(), n(u64::from(*code)));
            }
        }
    }
    insert_change(&mut item);
    item
}

/// How a try of a reply ended, as its outcome item records it.
enum Outcome<'a> {
    Sent {
        http_status: u16,
    },
    Failed {
        category: &'a str,
        http_status: Option<u16>,
    },
}

/// A reply item, as the conversation shows it.
pub(super) fn reply_record(item: &Item) -> Result<ReplyRecord, StoreError> {
    Ok(ReplyRecord {
        reply_id: string(item, REPLY_ID)?,
        text: string(item, TEXT)?,
        status: parsed(item, STATUS)?,
        error: item.get(LAST_ERROR).and_then(|v| v.as_s().ok()).cloned(),
        enqueued_at_ms: number(item, ENQUEUED_AT)?,
        sequence: item.get(SEQUENCE).and_then(|v| v.as_s().ok()).cloned(),
        attempts: u32::try_from(number(item, ATTEMPTS)?).unwrap_or(u32::MAX),
        contract: item
            .get(CONTRACT)
            .and_then(|v| v.as_s().ok())
            .and_then(|name| name.parse().ok()),
        sent_message_id: item
            .get(SENT_MESSAGE_ID)
            .and_then(|v| v.as_s().ok())
            .cloned(),
        delivered_at_ms: item
            .get(DELIVERED_AT)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok()),
        echo_message_id: item
            .get(ECHO_MESSAGE_ID)
            .and_then(|v| v.as_s().ok())
            .cloned(),
    })
}

/// Sends an update whose condition may fail: `None` when it did, and nothing was written.
async fn if_condition_holds(
    update: UpdateItemFluentBuilder,
) -> Result<Option<UpdateItemOutput>, StoreError> {
    match update.send().await {
        Ok(output) => Ok(Some(output)),
        Err(error)
            if matches!(
                error.as_service_error(),
                Some(UpdateItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(store_error(error)),
    }
}

/// A number attribute the update returned.
fn returned_number<T: std::str::FromStr>(output: &UpdateItemOutput, name: &str) -> Option<T> {
    output
        .attributes
        .as_ref()?
        .get(name)?
        .as_n()
        .ok()?
        .parse()
        .ok()
}

/// What creating a reply came to.
enum Creation {
    Created,
    /// The replyID is another lead's (that lead's id).
    GuardOf(String),
    /// The reply is stored already (a redelivery, or another delivery of it at the same time).
    Exists(Item),
}

impl DynamoStore {
    /// Creates the reply (status `sending`) under its guard, or says what stands in the way: the
    /// guard of another lead, or the reply itself (as stored: a put whose condition fails
    /// returns the item it found).
    async fn create_reply(&self, claim: &ReplyClaim<'_>) -> Result<Creation, StoreError> {
        let reply = claim.reply;
        let mut item = reply_key(reply);
        item.insert(TYPE.into(), s(item_type::REPLY));
        item.insert(REPLY_ID.into(), s(&reply.reply_id));
        item.insert(LEAD_ID.into(), s(&reply.lead_id));
        item.insert(BUSINESS_ID.into(), s(&reply.business_id));
        item.insert(TEXT.into(), s(&reply.text));
        item.insert(STATUS.into(), status(ReplyStatus::Sending));
        item.insert(ATTEMPTS.into(), n(1));
        item.insert(ENQUEUED_AT.into(), n(claim.enqueued_at_ms));
        if let Some(sequence) = claim.sequence {
            item.insert(SEQUENCE.into(), s(sequence));
        }
        item.insert(LEASE_UNTIL.into(), n(claim.lease_until_ms));
        item.insert(CREATED_AT.into(), n(claim.now_ms));
        item.insert(UPDATED_AT.into(), n(claim.now_ms));
        let mut guard = guard_key(reply);
        guard.insert(TYPE.into(), s(item_type::REPLY_GUARD));
        guard.insert(LEAD_ID.into(), s(&reply.lead_id));
        // Two conditional puts, not a transaction: the guard decides which lead owns the replyID,
        // then the reply is created under it. A crash between them leaves the guard alone, and
        // the next delivery of the same reply creates the reply. (A failed transaction would do
        // the same in DynamoDB; moto answers one by restoring a copy of the table, which undoes
        // concurrent writes and cuts the stream's readers off.)
        if let Some(existing) = self.insert_item(guard).await? {
            let owner = string(&existing, LEAD_ID)?;
            if owner != reply.lead_id {
                return Ok(Creation::GuardOf(owner));
            }
        }
        Ok(match self.insert_item(item).await? {
            None => Creation::Created,
            Some(existing) => Creation::Exists(existing),
        })
    }

    /// Takes over an existing reply that is not sent and whose claim has expired.
    async fn reclaim(&self, claim: &ReplyClaim<'_>) -> Result<Option<u32>, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(reply_key(claim.reply)))
            // Tried again (a redrive). Its outcomes are items of their own and stay in the feed;
            // a reply item stored before them carried its outcome in the feed itself: that entry
            // leaves, as it did then.
            .update_expression(format!(
                "SET #status = :sending, {ATTEMPTS} = {ATTEMPTS} + :one, \
                 {LEASE_UNTIL} = :lease, {UPDATED_AT} = :now REMOVE {GSI2_PK}, {GSI2_SK}"
            ))
            .condition_expression(format!("#status <> :sent AND {LEASE_UNTIL} < :now"))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_values(":sending", status(ReplyStatus::Sending))
            .expression_attribute_values(":sent", status(ReplyStatus::Sent))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":lease", n(claim.lease_until_ms))
            .expression_attribute_values(":now", n(claim.now_ms))
            .return_values(ReturnValue::UpdatedNew);
        match if_condition_holds(update).await? {
            Some(output) => returned_number(&output, ATTEMPTS)
                .map(Some)
                .ok_or_else(|| corrupt(ATTEMPTS)),
            None => Ok(None),
        }
    }

    /// Writes the reply's state for the delivery whose claim returned `attempt`: never overwrites
    /// `sent`, and writes nothing once another delivery has taken the reply over. Then, if the
    /// try ended, its outcome item: after the state, so that a try another delivery superseded
    /// leaves no fact; idempotent, so that writing it again after a fault is harmless.
    async fn record_outcome(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        expression: String,
        values: Vec<(&str, AttributeValue)>,
        outcome: Option<Item>,
    ) -> Result<Recorded, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(reply_key(reply)))
            .update_expression(expression)
            .condition_expression(format!(
                "attribute_exists({PK}) AND #status <> :sent AND {ATTEMPTS} = :attempt"
            ))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_values(":sent", status(ReplyStatus::Sent))
            .expression_attribute_values(":attempt", n(u64::from(attempt)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        // This try's own `sent`, written before a fault cut the outcome's write off, fails the
        // condition when written again: its outcome is still to be written.
        let outcome_sent = outcome
            .as_ref()
            .is_some_and(|item| item.get(STATUS) == Some(&status(ReplyStatus::Sent)));
        let recorded = match update.send().await {
            Ok(_) => true,
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) if outcome_sent => {
                    let old = match failed.item() {
                        Some(old) => Some(old.clone()),
                        // Not every DynamoDB implementation returns the item with the error.
                        None => self.get(reply_key(reply)).await?,
                    };
                    old.is_some_and(|old| {
                        old.get(STATUS) == Some(&status(ReplyStatus::Sent))
                            && old.get(ATTEMPTS) == Some(&n(u64::from(attempt)))
                    })
                }
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => false,
                _ => return Err(store_error(error)),
            },
        };
        if !recorded {
            return Ok(Recorded::Superseded);
        }
        if let Some(item) = outcome {
            self.insert_item(item).await?;
        }
        Ok(Recorded::Yes)
    }
}

impl ReplyLedger for DynamoStore {
    async fn claim(&self, claim: ReplyClaim<'_>) -> Result<Claim, StoreError> {
        let reply = claim.reply;
        // Straight to the puts: a new reply, by far the most common delivery, is claimed in two
        // round trips; a redelivery learns what is stored from the puts' failed conditions.
        let existing = match self.create_reply(&claim).await? {
            Creation::Created => return Ok(Claim::Claimed { attempt: 1 }),
            Creation::GuardOf(owner) => {
                return Ok(Claim::Conflict {
                    reason: format!("replyID already used for lead {owner}"),
                });
            }
            Creation::Exists(existing) => existing,
        };
        if string(&existing, BUSINESS_ID)? != reply.business_id
            || string(&existing, TEXT)? != reply.text
        {
            return Ok(Claim::Conflict {
                reason: "replyID already used for a different reply".to_owned(),
            });
        }
        if parsed::<ReplyStatus>(&existing, STATUS)? == ReplyStatus::Sent {
            return Ok(Claim::AlreadySent);
        }
        match self.reclaim(&claim).await? {
            Some(attempt) => Ok(Claim::Claimed { attempt }),
            None => match self.get(reply_key(reply)).await? {
                Some(item) if parsed::<ReplyStatus>(&item, STATUS)? == ReplyStatus::Sent => {
                    Ok(Claim::AlreadySent)
                }
                Some(item) => Ok(Claim::Busy {
                    lease_until_ms: number(&item, LEASE_UNTIL)?,
                }),
                None => Err(corrupt("reply")),
            },
        }
    }

    async fn mark_sent(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        http_status: u16,
        now_ms: u64,
    ) -> Result<Recorded, StoreError> {
        self.mark_sent_via(reply, attempt, &Accepted::legacy(http_status), now_ms)
            .await
    }

    /// The reply item keeps the contract it went out through (`contract`) and, on v4, the
    /// created message's id (`sentMessageID`, what its echo is matched by).
    async fn mark_sent_via(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        accepted: &Accepted,
        now_ms: u64,
    ) -> Result<Recorded, StoreError> {
        let http_status = accepted.status;
        let outcome = Outcome::Sent { http_status };
        let mut set = format!(
            "SET #status = :sent, {HTTP_STATUS} = :code, {SENT_AT} = :now, \
             {UPDATED_AT} = :now, {CONTRACT} = :contract"
        );
        let mut values = vec![
            (":code", n(u64::from(http_status))),
            (":now", n(now_ms)),
            (":contract", s(accepted.contract.as_str())),
        ];
        if let Some(message_id) = &accepted.message_id {
            set.push_str(&format!(", {SENT_MESSAGE_ID} = :message"));
            values.push((":message", s(message_id)));
        }
        set.push_str(&format!(" REMOVE {LEASE_UNTIL}, {LAST_ERROR}"));
        self.record_outcome(
            reply,
            attempt,
            set,
            values,
            Some(outcome_item(reply, attempt, &outcome, now_ms)),
        )
        .await
    }

    /// One conditional update of the reply item: a reply not stored, or marked already, is left
    /// as it is (the first echo's time stands). A modification of the reply item is no fact: no
    /// event, nothing in the changes feed.
    async fn mark_delivered(
        &self,
        lead_id: &str,
        reply_id: &str,
        echo_message_id: &str,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(lead_pk(lead_id)))
            .key(SK, s(reply_sk(reply_id)))
            .update_expression(format!(
                "SET {DELIVERED_AT} = :at, {ECHO_MESSAGE_ID} = :echo"
            ))
            .condition_expression(format!(
                "attribute_exists({PK}) AND attribute_not_exists({DELIVERED_AT})"
            ))
            .expression_attribute_values(":at", n(at_ms))
            .expression_attribute_values(":echo", s(echo_message_id));
        if_condition_holds(update).await.map(|_| ())
    }

    async fn mark_retrying(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        now_ms: u64,
    ) -> Result<Recorded, StoreError> {
        self.record_outcome(
            reply,
            attempt,
            format!("SET {LAST_ERROR} = :error, {LEASE_UNTIL} = :zero, {UPDATED_AT} = :now"),
            vec![(":error", s(error)), (":zero", n(0)), (":now", n(now_ms))],
            None,
        )
        .await
    }

    async fn mark_failed(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        category: &str,
        http_status: Option<u16>,
        now_ms: u64,
    ) -> Result<Recorded, StoreError> {
        let mut values = vec![
            (":failed", status(ReplyStatus::Failed)),
            (":error", s(error)),
            (":category", s(category)),
            (":zero", n(0)),
            (":now", n(now_ms)),
        ];
        let mut expression = format!(
            "SET #status = :failed, {LAST_ERROR} = :error, {FAILURE} = :category, \
             {LEASE_UNTIL} = :zero, {UPDATED_AT} = :now"
        );
        if let Some(code) = http_status {
            values.push((":code", n(u64::from(code))));
            expression.push_str(&format!(", {HTTP_STATUS} = :code"));
        }
        let outcome = Outcome::Failed {
            category,
            http_status,
        };
        let item = outcome_item(reply, attempt, &outcome, now_ms);
        self.record_outcome(reply, attempt, expression, values, Some(item))
            .await
    }

    async fn release(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        now_ms: u64,
    ) -> Result<Recorded, StoreError> {
        self.record_outcome(
            reply,
            attempt,
            format!("SET {LEASE_UNTIL} = :zero, {UPDATED_AT} = :now"),
            vec![(":zero", n(0)), (":now", n(now_ms))],
            None,
        )
        .await
    }

    async fn person_replied(&self, lead_id: &str) -> Result<bool, StoreError> {
        // The lead's replies only (their ids): one Query of its partition, a page is plenty.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(format!("{PK} = :pk AND begins_with({SK}, :replies)"))
            .expression_attribute_values(":pk", s(lead_pk(lead_id)))
            .expression_attribute_values(":replies", s(super::schema::REPLY_SK_PREFIX))
            .projection_expression(REPLY_ID)
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.items().iter().any(|item| {
            item.get(REPLY_ID)
                .and_then(|id| id.as_s().ok())
                .is_some_and(|id| !models::reply::is_automatic(id))
        }))
    }

    async fn reply_context(
        &self,
        lead_id: &str,
        acknowledgement: bool,
    ) -> Result<ReplyContext, StoreError> {
        let key =
            |sk: &str| Item::from([(PK.to_owned(), s(lead_pk(lead_id))), (SK.to_owned(), s(sk))]);
        let note = async {
            match acknowledgement {
                true => self.get(key(ACK_SK)).await,
                false => Ok(None),
            }
        };
        // Two small reads at once: one round trip. The lead's read also takes what its
        // first-reply count needs after the send, which then reads nothing.
        let (lead, note) = tokio::join!(self.get_attributes(key(LEAD_SK), &LEAD_ANSWERED), note);
        let lead = lead?;
        Ok(ReplyContext {
            lead_contract: lead.as_ref().map(super::changes::contract),
            lead_business_id: lead
                .as_ref()
                .map(|item| string(item, BUSINESS_ID))
                .transpose()?,
            // A lead missing a field is read again by the count, which says what is wrong.
            first_reply: lead.as_ref().and_then(|item| lead_first_reply(item).ok()),
            acknowledgement: note?
                .map(|item| super::speed::ack_note(&item))
                .transpose()?,
        })
    }

    async fn first_reply(
        &self,
        lead_id: &str,
        automatic: bool,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        self.count_first_reply(lead_id, automatic, now_ms, None)
            .await
    }

    async fn first_reply_known(
        &self,
        lead_id: &str,
        automatic: bool,
        now_ms: u64,
        known: Option<&LeadFirstReply>,
    ) -> Result<Option<u64>, StoreError> {
        self.count_first_reply(lead_id, automatic, now_ms, known)
            .await
    }
}
