//! [`RecordingBus`]: an event bus that keeps what it was given, and refuses on demand.

use crate::events::Event;
use crate::ports::{BusError, EventBus, Put};
use std::collections::VecDeque;
use std::sync::Mutex;

/// What the bus does with the next put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusAnswer {
    /// Takes every event.
    TakeAll,
    /// Refuses the events at these positions of the put, takes the others.
    Refuse(Vec<usize>),
    /// The call fails as a whole.
    Unreachable,
}

#[derive(Debug, Default)]
pub struct RecordingBus {
    taken: Mutex<Vec<Event>>,
    script: Mutex<VecDeque<BusAnswer>>,
    puts: Mutex<usize>,
}

impl RecordingBus {
    /// Answers these in order, then takes everything.
    pub fn answering(answers: impl IntoIterator<Item = BusAnswer>) -> Self {
        RecordingBus {
            script: Mutex::new(answers.into_iter().collect()),
            ..RecordingBus::default()
        }
    }

    /// Every event taken, in order.
    pub fn taken(&self) -> Vec<Event> {
        self.taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many puts were made.
    pub fn puts(&self) -> usize {
        *self
            .puts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl EventBus for RecordingBus {
    async fn put(&self, events: &[Event]) -> Result<Vec<Put>, BusError> {
        assert!(
            events.len() <= Self::MAX_PER_PUT,
            "a put of {}",
            events.len()
        );
        *self
            .puts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        let answer = self
            .script
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop_front()
            .unwrap_or(BusAnswer::TakeAll);
        let refused = match answer {
            BusAnswer::TakeAll => Vec::new(),
            BusAnswer::Refuse(positions) => positions,
            BusAnswer::Unreachable => return Err(BusError("injected bus fault".into())),
        };
        let mut taken = self
            .taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                if refused.contains(&index) {
                    Put::Refused {
                        code: "ThrottlingException".to_owned(),
                    }
                } else {
                    taken.push(event.clone());
                    Put::Taken
                }
            })
            .collect())
    }
}
