//! Speed to lead on the emulator: the settings, notes and unanswered record in the table, the
//! one-time schedules in EventBridge Scheduler, and Lead Unanswered on the stream and in the feed.

use crate::support::*;
use adapters::EventBridgeScheduler;
use adapters::scheduler::schedule_name;
use app::ports::{AckNote, AckStatus, BusinessDesk, LeadStore, Scheduler, Wakeup, WakeupKind};
use app::speed::BusinessSettings;

#[tokio::test]
async fn settings_are_saved_whole_and_read_back_and_a_business_never_saved_has_none() {
    let store = fresh_store().await;
    assert_eq!(store.settings("b-1").await.unwrap(), None);
    let mut settings = BusinessSettings::default();
    settings.auto_acknowledgement.enabled = true;
    settings.unanswered_after_minutes = 15;
    store.save_settings("b-1", &settings, 1_000).await.unwrap();
    assert_eq!(store.settings("b-1").await.unwrap(), Some(settings.clone()));
    settings.quiet_hours.enabled = true;
    store.save_settings("b-1", &settings, 2_000).await.unwrap();
    assert_eq!(store.settings("b-1").await.unwrap(), Some(settings));
    assert_eq!(store.settings("b-2").await.unwrap(), None);
}

#[tokio::test]
async fn a_final_acknowledgement_note_is_written_once_and_a_deferral_gives_way_to_it() {
    let store = fresh_store().await;
    let note = |status, at_ms| AckNote {
        status,
        reason: (status == AckStatus::Deferred).then(|| "quiet-hours".to_owned()),
        at_ms,
        due_at_ms: (status == AckStatus::Deferred).then_some(at_ms + 60_000),
        // The enqueued note keeps the text it enqueued: it is read back whole.
        text: (status == AckStatus::Enqueued).then(|| "Hi Zoë, thanks!".to_owned()),
    };
    let written = |status, at_ms| {
        let store = store.clone();
        async move {
            store
                .note_acknowledgement("l-1", &note(status, at_ms))
                .await
                .unwrap()
        }
    };
    assert_eq!(written(AckStatus::Deferred, 1).await, None);
    assert_eq!(written(AckStatus::Enqueued, 2).await, None);
    // The first final note stays, and is what the losers are told.
    let first = Some(note(AckStatus::Enqueued, 2));
    assert_eq!(written(AckStatus::Enqueued, 3).await, first);
    assert_eq!(written(AckStatus::Skipped, 4).await, first);
    let records = store.conversation("l-1").await.unwrap();
    assert_eq!(records.acknowledgement, Some(note(AckStatus::Enqueued, 2)));
}

#[tokio::test]
async fn a_lead_is_marked_unanswered_once_into_the_changes_index() {
    let table = fresh_table().await;
    assert!(
        table
            .store
            .mark_unanswered("l-1", "b-1", 5_000)
            .await
            .unwrap()
    );
    assert!(
        !table
            .store
            .mark_unanswered("l-1", "b-1", 6_000)
            .await
            .unwrap()
    );
    let records = table.store.conversation("l-1").await.unwrap();
    assert_eq!(records.unanswered_at_ms, Some(5_000));
    let feed = table.changes_index().await;
    assert_eq!(feed.len(), 1, "{feed:?}");
    assert_eq!(feed[0]["type"].as_s().unwrap(), "unanswered");
}

#[tokio::test]
async fn a_wake_up_is_one_schedule_named_after_it_that_invokes_the_function_with_it() {
    let sdk = sdk().await;
    let group = unique_name("speed");
    let client = aws_sdk_scheduler::Client::new(&sdk);
    client
        .create_schedule_group()
        .name(&group)
        .send()
        .await
        .unwrap();
    let scheduler = EventBridgeScheduler::from_config(
        &sdk,
        &group,
        "arn:aws:iam::123456789012:role/wake",
        "arn:aws:sqs:us-east-1:123456789012:speed-to-lead-failed",
    );
    let wakeup = Wakeup {
        kind: WakeupKind::Unanswered,
        lead_id: "437282017264173057".into(),
        business_id: "b-1".into(),
    };
    // Before the function is known (no invocation yet), nothing can be scheduled.
    assert!(scheduler.wake_at(&wakeup, 1).await.is_err());
    let function =
        "arn:aws:lambda:us-east-1:123456789012:function:thumbtack-partner-test-speed-to-lead";
    scheduler.target(function);
    let at = app::now_millis() + 3_600_000;
    scheduler.wake_at(&wakeup, at).await.unwrap();
    // Asked again (a redelivered event): harmless.
    scheduler.wake_at(&wakeup, at).await.unwrap();
    let schedule = client
        .get_schedule()
        .group_name(&group)
        .name(schedule_name(&wakeup))
        .send()
        .await
        .unwrap();
    let target = schedule.target.unwrap();
    assert_eq!(target.arn, function);
    let input: Wakeup = serde_json::from_str(target.input.as_deref().unwrap()).unwrap();
    assert_eq!(input, wakeup);
    assert!(schedule.schedule_expression.unwrap().starts_with("at("));
    let listed = client
        .list_schedules()
        .group_name(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.schedules.len(), 1);
}

/// `partnerctl` on `table`: whether it succeeded, and all it printed.
fn partnerctl_said(table: &str, args: &[&str]) -> (bool, String) {
    let output = run_partnerctl(table, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn partnerctl_shows_the_defaults_turns_the_acknowledgement_on_and_refuses_a_bad_document() {
    let table = fresh_table().await;
    let (ok, shown) = partnerctl_said(&table.name, &["business", "show", "b-1"]);
    assert!(ok, "{shown}");
    let document: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(document["configured"], false);

    let (ok, out) = partnerctl_said(&table.name, &["business", "set", "b-1", "--ack", "on"]);
    assert!(ok, "{out}");
    let saved = table.store.settings("b-1").await.unwrap().unwrap();
    assert!(saved.auto_acknowledgement.enabled);

    let file = std::env::temp_dir().join(format!("{}.json", unique_name("settings")));
    let mut bad = document.clone();
    bad["unansweredAfterMinutes"] = serde_json::json!(-5);
    std::fs::write(&file, bad.to_string()).unwrap();
    let (ok, out) = partnerctl_said(
        &table.name,
        &["business", "set", "b-1", file.to_str().unwrap()],
    );
    let _ = std::fs::remove_file(&file);
    assert!(!ok);
    assert!(out.contains("unansweredAfterMinutes"), "{out}");
    // Refused: what was saved stays.
    assert_eq!(table.store.settings("b-1").await.unwrap(), Some(saved));
}

#[tokio::test]
async fn the_ledger_tells_a_person_s_reply_from_the_acknowledgement() {
    use app::ports::{ReplyClaim, ReplyLedger};
    let store = fresh_store().await;
    let claim = |reply_id: &str| models::ReplyRequest {
        reply_id: reply_id.to_owned(),
        business_id: "b-1".to_owned(),
        lead_id: "l-1".to_owned(),
        text: "text".to_owned(),
    };
    let claimed = |reply: &models::ReplyRequest| {
        let store = store.clone();
        let reply = reply.clone();
        async move {
            let now = app::now_millis();
            store
                .claim(ReplyClaim {
                    reply: &reply,
                    enqueued_at_ms: now,
                    sequence: None,
                    now_ms: now,
                    lease_until_ms: now + 30_000,
                })
                .await
                .unwrap();
        }
    };
    assert!(!store.person_replied("l-1").await.unwrap());
    claimed(&claim("auto-l-1")).await;
    assert!(
        !store.person_replied("l-1").await.unwrap(),
        "the acknowledgement is no person"
    );
    claimed(&claim("pro-7")).await;
    assert!(store.person_replied("l-1").await.unwrap());
    assert!(!store.person_replied("l-2").await.unwrap());
}
