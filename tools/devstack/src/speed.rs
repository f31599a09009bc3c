//! The local stand-in for speed to lead in AWS: the rule on the bus (a rule delivering
//! `Lead Received` to a local queue, read here) and EventBridge Scheduler (a timer in this
//! process), both handing their events to the speed-to-lead function's own handler.

use adapters::events_queue::EventsQueue;
use adapters::{DynamoStore, SqsReplyQueue};
use app::ports::{ScheduleError, Scheduler, Wakeup};
use app::speed::SpeedDeps;
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Wake-ups, kept until they are due: the same one asked for twice is kept once, as a schedule
/// named after it would be.
#[derive(Debug)]
pub struct LocalScheduler {
    asked: mpsc::UnboundedSender<(Wakeup, u64)>,
    names: Mutex<HashSet<String>>,
}

impl LocalScheduler {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<(Wakeup, u64)>) {
        let (asked, due) = mpsc::unbounded_channel();
        let scheduler = LocalScheduler {
            asked,
            names: Mutex::new(HashSet::new()),
        };
        (scheduler, due)
    }
}

impl Scheduler for LocalScheduler {
    async fn wake_at(&self, wakeup: &Wakeup, at_ms: u64) -> Result<(), ScheduleError> {
        let new = self
            .names
            .lock()
            .map(|mut names| names.insert(wakeup.name()))
            .unwrap_or(true);
        if new {
            self.asked
                .send((wakeup.clone(), at_ms))
                .map_err(|_| ScheduleError("the local stack is stopping".into()))?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct SpeedWorker {
    pub deps: SpeedDeps<DynamoStore, SqsReplyQueue, LocalScheduler>,
    /// Where the rule delivers `Lead Received`.
    pub queue: EventsQueue,
    pub due: mpsc::UnboundedReceiver<(Wakeup, u64)>,
}

impl SpeedWorker {
    /// Until `stop` turns true: events from the queue, wake-ups when they are due.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        // By due time; wake-ups due together keep their order of asking.
        let mut timers: BTreeMap<(u64, u64), Wakeup> = BTreeMap::new();
        let mut asked = 0u64;
        while !*stop.borrow() {
            let now = app::now_millis();
            while let Some(entry) = timers.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let wakeup = entry.remove();
                let event = serde_json::to_value(&wakeup).unwrap_or_default();
                // A failure is logged by the handler; Lambda would retry, the local stack does not.
                let _ = speed_to_lead::handler::handle(&self.deps, event).await;
            }
            let next_due = timers
                .first_key_value()
                .map(|((at, _), _)| Duration::from_millis(at.saturating_sub(now)))
                .unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                received = self.queue.receive(Duration::from_secs(1)) => match received {
                    Ok(events) => {
                        for delivered in &events {
                            let event = serde_json::json!({
                                "detail-type": delivered.detail_type,
                                "source": delivered.source,
                                "time": delivered.time,
                                "detail": delivered.detail,
                            });
                            if speed_to_lead::handler::handle(&self.deps, event).await.is_ok() {
                                let _ = self.queue.delete(std::slice::from_ref(delivered)).await;
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error = %app::error_chain(&error), "speed worker: reading its queue failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
                Some((wakeup, at)) = self.due.recv() => {
                    asked += 1;
                    timers.insert((at, asked), wakeup);
                }
                () = tokio::time::sleep(next_due) => {}
                _ = stop.changed() => break,
            }
        }
    }
}
