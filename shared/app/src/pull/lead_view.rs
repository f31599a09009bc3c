//! `GET /v1/leads/{leadID}`: a lead and its conversation, whole when it fits one answer's byte
//! budget (as it nearly always does), else a page at a time with a `next` cursor bound to the lead.

use super::budget::{ANSWER_BUDGET_BYTES, answer_bytes, fitting};
use super::{CURSOR_RULE, PullError, PullSettings, opened, refused};
use crate::LeadStore;
use crate::conversation;
use models::{ConversationView, Problems};
use serde::Serialize;

/// `GET /v1/leads/{leadID}`, as the caller asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadAsked<'a> {
    pub lead_id: &'a str,
    pub cursor: Option<&'a str>,
}

/// A lead and its conversation (`None` while the lead has not arrived): whole when it fits one
/// answer's byte budget, as it nearly always does; else its lists (`priceUpdates`, `messages`,
/// `reviews`, `revisions`, in that order) a page at a time, every page with the lead and its
/// own fields and the `next` cursor while more is left.
pub async fn lead<S: LeadStore>(
    store: &S,
    settings: &PullSettings,
    asked: LeadAsked<'_>,
) -> Result<Option<ConversationView>, PullError> {
    let mut problems = Problems::default();
    let scope = format!("lead|{}", asked.lead_id);
    let from = match opened(&mut problems, &settings.cursors, &scope, asked.cursor) {
        Some(None) => LeadPosition::default(),
        Some(Some(cursor)) => LeadPosition::parse(&cursor.0).unwrap_or_else(|| {
            problems.add("cursor", CURSOR_RULE);
            LeadPosition::default()
        }),
        None => LeadPosition::default(),
    };
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    let Some(mut view) = conversation::view(store, asked.lead_id).await? else {
        return Ok(None);
    };
    let next = lead_page(&mut view, from, ANSWER_BUDGET_BYTES);
    view.next = next.map(|next| settings.cursors.seal(&scope, &next.to_string()));
    Ok(Some(view))
}

/// The lists of a lead's view, in the order its pages serve them.
const LEAD_LISTS: [&str; 4] = ["priceUpdates", "messages", "reviews", "revisions"];

/// Where a page of a lead's view starts: an entry of one of its lists, by its place in it. An
/// entry that arrives during a walk lands at the end of its list, except a message whose
/// `createTimestamp` is older than the last served: a walk never skips what was there when it
/// began, and may show one entry twice then (entries have ids).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LeadPosition {
    list: usize,
    index: usize,
}

impl LeadPosition {
    fn parse(text: &str) -> Option<LeadPosition> {
        let (list, index) = text.split_once('.')?;
        Some(LeadPosition {
            list: LEAD_LISTS.iter().position(|name| *name == list)?,
            index: index.parse().ok()?,
        })
    }
}

impl std::fmt::Display for LeadPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", LEAD_LISTS[self.list], self.index)
    }
}

/// Cuts `view` to the page that starts at `from` and holds what fits `budget` (at least one
/// entry, when one is left): where the next page starts, if anything is left for it.
fn lead_page(
    view: &mut ConversationView,
    from: LeadPosition,
    budget: usize,
) -> Option<LeadPosition> {
    let price_updates = std::mem::take(&mut view.price_updates);
    let messages = std::mem::take(&mut view.messages);
    let reviews = std::mem::take(&mut view.reviews);
    let revisions = std::mem::take(&mut view.revisions);
    // The lead's body and fields are on every page.
    let spent = answer_bytes(view);
    let costs = [
        entry_costs(&price_updates),
        entry_costs(&messages),
        entry_costs(&reviews),
        entry_costs(&revisions),
    ];
    // The entries in serving order, from `from`.
    let order = costs.iter().enumerate().flat_map(|(list, costs)| {
        let start = match list.cmp(&from.list) {
            std::cmp::Ordering::Less => costs.len(),
            std::cmp::Ordering::Equal => from.index.min(costs.len()),
            std::cmp::Ordering::Greater => 0,
        };
        (start..costs.len()).map(move |index| (LeadPosition { list, index }, costs[index]))
    });
    let entries: Vec<(LeadPosition, usize)> = order.collect();
    let held = fitting(spent, entries.iter().map(|(_, cost)| *cost), budget);
    // What the page serves of each list: a range, as the entries served follow one another.
    let mut ranges = [0..0, 0..0, 0..0, 0..0];
    for (at, _) in &entries[..held] {
        let range = &mut ranges[at.list];
        if range.end == 0 {
            range.start = at.index;
        }
        range.end = at.index + 1;
    }
    view.price_updates = kept(price_updates, &ranges[0]);
    view.messages = kept(messages, &ranges[1]);
    view.reviews = kept(reviews, &ranges[2]);
    view.revisions = kept(revisions, &ranges[3]);
    entries.get(held).map(|(at, _)| *at)
}

fn entry_costs<T: Serialize>(entries: &[T]) -> Vec<usize> {
    entries
        .iter()
        .map(|entry| answer_bytes(entry) + 1)
        .collect()
}

fn kept<T>(mut entries: Vec<T>, range: &std::ops::Range<usize>) -> Vec<T> {
    entries.drain(range.clone()).collect()
}
