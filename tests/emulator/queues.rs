//! The reply queue adapter's calls besides the handler's, against the emulator: what the local
//! worker (receive, delete), the operators (find by name, peek at parked replies) and the
//! producers (enqueue) use.

use crate::support::*;
use adapters::SqsReplyQueue;
use adapters::provision::ensure_queues;
use app::ports::{Parked, ReplyQueue};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use models::ReplyRequest;
use std::time::Duration;

/// A reply queue of the test's own, its adapter and its name.
async fn fresh_queue() -> (SqsReplyQueue, String) {
    let sdk = sdk().await;
    let name = format!("{}.fifo", unique_name("queue"));
    let (queue_url, dlq_url) = ensure_queues(&sdk, &name, Duration::from_secs(30), 10)
        .await
        .unwrap();
    (SqsReplyQueue::from_config(&sdk, queue_url, dlq_url), name)
}

fn reply(id: &str, lead: &str) -> ReplyRequest {
    ReplyRequest {
        reply_id: id.into(),
        business_id: "286845156044809661".into(),
        lead_id: lead.into(),
        text: "Tuesday works".into(),
    }
}

#[tokio::test]
async fn the_reply_queue_is_found_by_its_name_together_with_its_dead_letter_queue() {
    let (queue, name) = fresh_queue().await;
    let found = SqsReplyQueue::by_name(&sdk().await, &name).await.unwrap();
    found.enqueue(&reply("r-1", "lead-1")).await.unwrap();
    let received = queue.receive(10, Duration::from_secs(1)).await.unwrap();
    assert_eq!(received.len(), 1, "the same queue");
    found
        .park(Parked {
            body: "{}",
            message_id: "m-1",
            group_id: "lead-1",
            reason: "parked through the queue found by name",
        })
        .await
        .unwrap();
    assert_eq!(
        queue.peek_parked(10).await.unwrap().len(),
        1,
        "the same DLQ"
    );
    let missing = format!("{}.fifo", unique_name("none"));
    assert!(
        SqsReplyQueue::by_name(&sdk().await, &missing)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_parked_reply_is_shown_with_its_reason_and_stays_parked() {
    let (queue, _) = fresh_queue().await;
    queue
        .park(Parked {
            body: "{\"replyID\": 5}",
            message_id: "m-7",
            group_id: "lead-7",
            reason: "not a valid reply: replyID",
        })
        .await
        .unwrap();
    for _ in 0..2 {
        let parked = queue.peek_parked(10).await.unwrap();
        assert_eq!(parked.len(), 1, "{parked:?}");
        assert!(!parked[0].message_id.is_empty());
        assert_eq!(
            parked[0].reason.as_deref(),
            Some("not a valid reply: replyID")
        );
    }
}

#[tokio::test]
async fn received_replies_carry_what_lambda_hands_the_handler_and_deleted_ones_are_gone() {
    let (queue, name) = fresh_queue().await;
    queue.enqueue(&reply("r-1", "lead-1")).await.unwrap();
    queue.enqueue(&reply("r-2", "lead-2")).await.unwrap();
    let mut received = Vec::new();
    for _ in 0..3 {
        received.extend(queue.receive(10, Duration::from_secs(1)).await.unwrap());
    }
    assert_eq!(received.len(), 2);
    for message in &received {
        let attributes = message.attributes.as_ref().unwrap();
        assert!(attributes.contains_key(&MessageSystemAttributeName::MessageGroupId));
        assert!(attributes.contains_key(&MessageSystemAttributeName::SentTimestamp));
    }
    let receipts: Vec<&str> = received
        .iter()
        .map(|m| m.receipt_handle.as_deref().unwrap())
        .collect();
    queue.delete(&receipts).await.unwrap();
    // Looked at with the test's own client: nothing is left, in flight or not.
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let url = sqs
        .get_queue_url()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    for count in [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ] {
        assert_eq!(attributes[&count], "0", "{count:?}");
    }
    assert!(queue.queue_arn().await.unwrap().ends_with(&name));
}
