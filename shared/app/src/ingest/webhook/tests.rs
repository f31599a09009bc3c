//! A v4 webhook delivery over the in-memory store: who may deliver, and what is kept of each kind
//! of body.

use super::*;
use crate::connections::secret_hash;
use crate::memory::MemoryStore;
use crate::ports::QuarantineRecord;
use serde_json::{Value, json};

const BUSINESS: &str = "586100000000000001";
const SECRET: &str = "the-webhook-secret-of-256-random-bits";

fn deps() -> InboundDeps<MemoryStore, ()> {
    let store = MemoryStore::new();
    store.register_webhook(BUSINESS, &secret_hash(SECRET));
    InboundDeps {
        store,
        credentials: (),
        metrics: Metrics::in_memory("test", "lead-inbound"),
    }
}

fn lead() -> Value {
    serde_json::from_str(fixtures::v4::NEGOTIATION_CREATED).unwrap()
}

async fn send(
    deps: &InboundDeps<MemoryStore, ()>,
    business_id: &str,
    secret: Option<&str>,
    body: &[u8],
) -> Result<WebhookAccepted, NotTaken> {
    deliver_webhook(
        deps,
        WebhookDelivery {
            business_id,
            secret: secret.map(str::as_bytes),
            body,
            at_ms: 1_795_771_805_118,
        },
    )
    .await
}

fn kept(deps: &InboundDeps<MemoryStore, ()>) -> Vec<QuarantineRecord> {
    deps.store.quarantine_records()
}

#[tokio::test]
async fn a_lead_with_the_webhook_secret_is_stored_once_and_a_redelivery_is_a_duplicate() {
    let deps = deps();
    let body = lead().to_string();
    let first = send(&deps, BUSINESS, Some(SECRET), body.as_bytes())
        .await
        .unwrap();
    let WebhookAccepted::Stored(first) = first else {
        panic!("{first:?}")
    };
    assert_eq!(first.id, "587700000000000100");
    assert_eq!(first.arrival, super::super::Arrival::Stored);
    let again = send(&deps, BUSINESS, Some(SECRET), body.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&again, WebhookAccepted::Stored(a) if a.arrival == super::super::Arrival::Duplicate),
        "{again:?}"
    );
    assert!(kept(&deps).is_empty());
}

#[tokio::test]
async fn a_wrong_missing_or_other_business_secret_is_refused_alike_and_nothing_is_kept() {
    let deps = deps();
    let body = lead().to_string();
    let other = "586100000000000002";
    deps.store
        .register_webhook(other, &secret_hash("another-secret"));
    let refused = [
        (BUSINESS, Some("wrong")),
        (BUSINESS, None),
        // Another business's secret opens that business's webhook only.
        (BUSINESS, Some("another-secret")),
        // A business with no webhook of ours: the same failure as a wrong secret.
        ("999", Some(SECRET)),
    ];
    for (business, secret) in refused {
        let error = send(&deps, business, secret, body.as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(error, NotTaken::Unauthorized(_)), "{error:?}");
        assert_eq!(error.refusal().unwrap().status(), 401);
    }
    assert!(kept(&deps).is_empty());
    assert_eq!(
        deps.store
            .refusal_counts()
            .iter()
            .map(|c| c.count)
            .sum::<u64>(),
        4
    );
    assert!(
        deps.store
            .refusal_counts()
            .iter()
            .all(|c| c.route == "v4-webhook")
    );
    let lines = deps.metrics.lines().join("\n");
    assert!(
        lines.contains("AuthFailures") && lines.contains("v4-webhook"),
        "{lines}"
    );
}

#[tokio::test]
async fn a_lead_without_its_negotiation_id_is_kept_byte_for_byte_with_the_path_and_refused() {
    let deps = deps();
    let mut body = lead();
    body["data"]
        .as_object_mut()
        .unwrap()
        .remove("negotiationID");
    // Spacing of its own: the bytes are kept, not a re-serialisation.
    let raw = format!("  {}\n", serde_json::to_string_pretty(&body).unwrap());
    let error = send(&deps, BUSINESS, Some(SECRET), raw.as_bytes())
        .await
        .unwrap_err();
    let NotTaken::Invalid(invalid) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(invalid.paths(), ["data.negotiationID"]);
    let records = kept(&deps);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].raw, raw.as_bytes());
    assert_eq!(records[0].route, "v4-webhook");
    assert_eq!(records[0].problems.paths(), ["data.negotiationID"]);
}

#[tokio::test]
async fn a_lead_naming_another_business_than_its_webhook_is_refused_and_kept() {
    let deps = deps();
    let mut body = lead();
    body["data"]["business"]["businessID"] = json!("586100000000000002");
    let error = send(&deps, BUSINESS, Some(SECRET), body.to_string().as_bytes())
        .await
        .unwrap_err();
    let NotTaken::Invalid(invalid) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(invalid.paths(), ["data.business.businessID"]);
    assert_eq!(kept(&deps).len(), 1);
}

#[tokio::test]
async fn an_unknown_event_type_is_kept_as_sent_and_answered_as_taken() {
    let deps = deps();
    let raw = json!({
        "event": {"eventType": "IncentiveUsedV4", "description": "", "webhookID": "1",
                  "triggeredAt": "2026-08-16T17:13:05Z"},
        "data": {"incentiveID": "7"}
    })
    .to_string();
    let taken = send(&deps, BUSINESS, Some(SECRET), raw.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        taken,
        WebhookAccepted::Kept {
            event_type: "IncentiveUsedV4".into(),
            why: KeptWhy::UnknownEventType
        }
    );
    let records = kept(&deps);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].raw, raw.as_bytes());
    assert_eq!(records[0].problems.paths(), ["event.eventType"]);
    // Kept, not refused: no refusal counted, no quarantine metric.
    assert!(deps.store.refusal_counts().is_empty());
    assert!(!deps.metrics.lines().join("\n").contains("Quarantined"));
}

#[tokio::test]
async fn a_storage_fault_is_not_an_answer_of_taken() {
    let deps = deps();
    deps.store.fail_all_calls(true);
    let error = send(&deps, BUSINESS, Some(SECRET), lead().to_string().as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(error, NotTaken::Store(_)), "{error:?}");
    assert_eq!(error.refusal(), None);
}

#[tokio::test]
async fn a_write_that_fails_after_the_secret_was_checked_is_a_fault_and_nothing_is_stored() {
    let deps = deps();
    // The secret's lookup works; the lead's write and everything after it fail.
    deps.store.fail_after(1);
    let error = send(&deps, BUSINESS, Some(SECRET), lead().to_string().as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(error, NotTaken::Store(_)), "{error:?}");
    deps.store.fail_all_calls(false);
    assert!(kept(&deps).is_empty());
    let again = send(&deps, BUSINESS, Some(SECRET), lead().to_string().as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&again, WebhookAccepted::Stored(a) if a.arrival == super::super::Arrival::Stored),
        "the delivery made again is the first stored: {again:?}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_kept_and_refused_as_too_large() {
    let deps = deps();
    let raw = vec![b' '; MAX_BODY_BYTES + 1];
    let error = send(&deps, BUSINESS, Some(SECRET), &raw).await.unwrap_err();
    assert!(matches!(error, NotTaken::TooLarge { .. }), "{error:?}");
    assert_eq!(kept(&deps)[0].raw.len(), MAX_BODY_BYTES + 1);
}

const PRO_BUSINESS: &str = "553300000000000001";
const LEAD_ID: &str = "582400000000000100";

/// The fixture's message as the business wrote it, `text` at `sent_at`.
fn from_the_business(message_id: &str, text: &str, sent_at: &str) -> String {
    let mut message: Value = serde_json::from_str(fixtures::v4::MESSAGE_CREATED).unwrap();
    message["data"]["from"] = json!("Business");
    message["data"]["messageID"] = json!(message_id);
    message["data"]["text"] = json!(text);
    message["data"]["sentAt"] = json!(sent_at);
    message.to_string()
}

/// Our reply `reply_id` with `text` on the lead, enqueued at 10:00:00 and claimed: the reply, the
/// claim's attempt and the time.
async fn claimed(
    deps: &InboundDeps<MemoryStore, ()>,
    reply_id: &str,
    text: &str,
) -> (models::ReplyRequest, u32, u64) {
    use crate::ports::{Claim, ReplyClaim, ReplyLedger};
    let ours = models::ReplyRequest {
        reply_id: reply_id.into(),
        business_id: PRO_BUSINESS.into(),
        lead_id: LEAD_ID.into(),
        text: text.into(),
    };
    let at = 1_790_762_400_000;
    let claim = ReplyClaim {
        reply: &ours,
        enqueued_at_ms: at,
        sequence: None,
        now_ms: at,
        lease_until_ms: at + 30_000,
    };
    let Claim::Claimed { attempt } = deps.store.claim(claim).await.unwrap() else {
        panic!("claimed")
    };
    (ours, attempt, at)
}

fn pro_deps() -> InboundDeps<MemoryStore, ()> {
    let deps = deps();
    deps.store
        .register_webhook(PRO_BUSINESS, &secret_hash(SECRET));
    deps
}

#[tokio::test]
async fn what_the_pro_types_in_the_app_is_their_reply_once_and_a_person_s_reply() {
    use crate::ports::ReplyLedger;
    let deps = pro_deps();
    let body = from_the_business("5001", "I can come Saturday.", "2026-09-30T10:00:00Z");
    let first = send(&deps, PRO_BUSINESS, Some(SECRET), body.as_bytes())
        .await
        .unwrap();
    let reply_id = format!("{}5001", super::super::APP_PREFIX);
    assert_eq!(
        first,
        WebhookAccepted::Replied {
            lead_id: LEAD_ID.into(),
            message_id: "5001".into(),
            reply_id: reply_id.clone(),
            arrival: super::super::Arrival::Stored,
        }
    );
    let recorded = deps.store.reply(&reply_id).unwrap();
    assert_eq!(recorded.status, models::ReplyStatus::Sent);
    assert_eq!(recorded.text, "I can come Saturday.");
    assert_eq!(
        recorded.contract,
        Some(models::Contract::V4),
        "typed in the v4 app"
    );
    // When the pro sent it, not when it arrived.
    assert_eq!(recorded.enqueued_at_ms, 1_790_762_400_000);
    // The acknowledgement asks this: a person answered.
    assert!(deps.store.person_replied(LEAD_ID).await.unwrap());
    let again = send(&deps, PRO_BUSINESS, Some(SECRET), body.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&again, WebhookAccepted::Replied { arrival, .. } if *arrival == super::super::Arrival::Duplicate),
        "{again:?}"
    );
    assert!(kept(&deps).is_empty());
}

#[tokio::test]
async fn the_echo_of_our_reply_adds_nothing_and_is_kept_as_sent() {
    use crate::ports::ReplyLedger;
    let deps = pro_deps();
    // Our reply, enqueued at 10:00:00 and sent.
    let (ours, attempt, at) = claimed(&deps, "r-1", "See you Saturday.").await;
    deps.store.mark_sent(&ours, attempt, 200, at).await.unwrap();
    // Thumbtack delivers it back 21 s later, with `\r\n` line endings of its own.
    let echo = from_the_business("5002", "See you Saturday.\r\n", "2026-09-30T10:00:21Z");
    let taken = send(&deps, PRO_BUSINESS, Some(SECRET), echo.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        taken,
        WebhookAccepted::Kept {
            event_type: "MessageCreatedV4".into(),
            why: KeptWhy::EchoOfOurReply
        }
    );
    let app_reply = format!("{}5002", super::super::APP_PREFIX);
    assert_eq!(deps.store.reply(&app_reply), None);
    assert_eq!(kept(&deps)[0].raw, echo.as_bytes());
}

#[tokio::test]
async fn the_echo_of_a_v4_reply_is_found_by_its_message_id_whatever_its_text_and_time() {
    use crate::ports::{Accepted, ReplyLedger};
    let deps = pro_deps();
    let (ours, attempt, at) = claimed(&deps, "r-v4", "See you Saturday.").await;
    let accepted = Accepted {
        status: 201,
        contract: models::Contract::V4,
        message_id: Some("5010".into()),
    };
    deps.store
        .mark_sent_via(&ours, attempt, &accepted, at)
        .await
        .unwrap();
    // Delivered back an hour later, its text reworded by Thumbtack: neither text nor time
    // matches, the messageID does.
    let echo = from_the_business("5010", "See you on Saturday!", "2026-09-30T11:00:00Z");
    let taken = send(&deps, PRO_BUSINESS, Some(SECRET), echo.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        taken,
        WebhookAccepted::Kept {
            event_type: "MessageCreatedV4".into(),
            why: KeptWhy::EchoOfOurReply
        }
    );
    let app_reply = format!("{}5010", super::super::APP_PREFIX);
    assert_eq!(deps.store.reply(&app_reply), None);
    // The echo marks our reply delivered, with the echo's time.
    let delivered = deps.store.reply("r-v4").unwrap().delivered_at_ms;
    assert!(delivered.is_some(), "marked delivered");
    // Its redelivery changes nothing.
    send(&deps, PRO_BUSINESS, Some(SECRET), echo.as_bytes())
        .await
        .unwrap();
    assert_eq!(deps.store.reply("r-v4").unwrap().delivered_at_ms, delivered);
}

#[tokio::test]
async fn a_text_matched_echo_delivered_again_is_still_the_echo_and_never_a_second_reply() {
    use crate::ports::ReplyLedger;
    let deps = pro_deps();
    // Sent through an answer that named no message: only its text and time can match.
    let (ours, attempt, at) = claimed(&deps, "r-2", "On my way.").await;
    deps.store.mark_sent(&ours, attempt, 200, at).await.unwrap();
    let echo = from_the_business("5020", "On my way.", "2026-09-30T10:00:05Z");
    for _ in 0..2 {
        let taken = send(&deps, PRO_BUSINESS, Some(SECRET), echo.as_bytes())
            .await
            .unwrap();
        assert_eq!(
            taken,
            WebhookAccepted::Kept {
                event_type: "MessageCreatedV4".into(),
                why: KeptWhy::EchoOfOurReply
            }
        );
    }
    assert!(deps.store.reply("r-2").unwrap().delivered_at_ms.is_some());
    // The pro then types the same words in the app: a message of its own, their reply.
    let typed = from_the_business("5021", "On my way.", "2026-09-30T10:00:40Z");
    let taken = send(&deps, PRO_BUSINESS, Some(SECRET), typed.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(taken, WebhookAccepted::Replied { .. }),
        "{taken:?}"
    );
}

#[tokio::test]
async fn a_test_delivery_from_the_business_is_kept_and_not_counted_as_a_reply() {
    use crate::ports::ReplyLedger;
    let deps = pro_deps();
    let mut message: Value =
        serde_json::from_str(&from_the_business("5003", "Test", "2026-09-30T10:00:00Z")).unwrap();
    message["data"]["business"]["displayName"] = json!(models::v4::TEST_BUSINESS_NAME);
    let taken = send(
        &deps,
        PRO_BUSINESS,
        Some(SECRET),
        message.to_string().as_bytes(),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            taken,
            WebhookAccepted::Kept {
                why: KeptWhy::NotFromTheCustomer,
                ..
            }
        ),
        "{taken:?}"
    );
    assert!(!deps.store.person_replied(LEAD_ID).await.unwrap());
}

/// The fixture's lead as the pro's business's, created at `created_at`.
fn pro_lead(created_at: &str) -> String {
    let mut lead = lead();
    lead["data"]["negotiationID"] = json!(LEAD_ID);
    lead["data"]["business"]["businessID"] = json!(PRO_BUSINESS);
    lead["data"]["createdAt"] = json!(created_at);
    lead.to_string()
}

#[tokio::test]
async fn a_business_message_moments_after_its_lead_is_the_quick_reply_not_the_pro_s_reply() {
    use crate::ports::ReplyLedger;
    let deps = pro_deps();
    let lead = pro_lead("2026-09-30T10:00:00Z");
    send(&deps, PRO_BUSINESS, Some(SECRET), lead.as_bytes())
        .await
        .unwrap();
    let quick = from_the_business("5004", "Thanks for your request!", "2026-09-30T10:00:00Z");
    let taken = send(&deps, PRO_BUSINESS, Some(SECRET), quick.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        taken,
        WebhookAccepted::Kept {
            event_type: "MessageCreatedV4".into(),
            why: KeptWhy::QuickReply
        }
    );
    assert_eq!(kept(&deps)[0].raw, quick.as_bytes(), "stored as sent");
    assert!(!deps.store.person_replied(LEAD_ID).await.unwrap());
    // The pro writing a second later is a person's reply.
    let typed = from_the_business("5005", "I can come Saturday.", "2026-09-30T10:00:01Z");
    let taken = send(&deps, PRO_BUSINESS, Some(SECRET), typed.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(taken, WebhookAccepted::Replied { .. }),
        "{taken:?}"
    );
    assert!(deps.store.person_replied(LEAD_ID).await.unwrap());
}
