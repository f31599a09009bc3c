//! The load run's parts that decide its figures, apart from the network: when each delivery is
//! sent ([`schedule`], [`drive`]), how the answers are summed up ([`Tally`]), and what reading
//! every lead back found ([`ReadBack`], [`Verdict`]). `src/bin/load.rs` wires them to HTTP.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// What a delivery carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The `n`th lead of the run.
    Lead,
    /// A message of the run's `lead`th lead.
    Message { lead: usize, id: String },
}

/// One delivery as Thumbtack makes it: when (from the run's start), what, and whether it is sent
/// twice at the same moment (a retry racing the first try).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub at: Duration,
    pub kind: Kind,
    /// The run's lead it is, or is about.
    pub lead: usize,
    pub twice: bool,
}

/// How deliveries are spread in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// All at once, in a shuffled order (messages often before their lead): the emulator's
    /// stress run, as far as the in-flight cap lets it go.
    Burst,
    /// `leads_per_second` leads, evenly spaced; each message a random moment within `spread`
    /// after its lead (a customer writes after the lead exists).
    Paced {
        leads_per_second: f64,
        spread: Duration,
    },
}

/// The deliveries of a run: `leads` leads and `messages` messages (message `j` is about lead
/// `j % leads`), a `duplicates` share (0 to 1) of them sent twice; by time of sending. `random`
/// gives numbers in [0, 1) (a seeded generator in tests).
pub fn schedule(
    leads: usize,
    messages: usize,
    duplicates: f64,
    pace: Pace,
    mut random: impl FnMut() -> f64,
    tag: &str,
) -> Vec<Planned> {
    let mut all = Vec::with_capacity(leads + messages);
    let lead_at = |i: usize| match pace {
        Pace::Burst => Duration::ZERO,
        Pace::Paced {
            leads_per_second, ..
        } => Duration::from_secs_f64(i as f64 / leads_per_second),
    };
    for i in 0..leads {
        all.push(Planned {
            at: lead_at(i),
            kind: Kind::Lead,
            lead: i,
            twice: random() < duplicates,
        });
    }
    if leads > 0 {
        for j in 0..messages {
            let lead = j % leads;
            let after = match pace {
                Pace::Burst => Duration::ZERO,
                // Strictly after the lead: never at its very moment.
                Pace::Paced { spread, .. } => {
                    spread.mul_f64(random()).max(Duration::from_millis(1))
                }
            };
            all.push(Planned {
                at: lead_at(lead) + after,
                kind: Kind::Message {
                    lead,
                    id: format!("{tag}-m{j}"),
                },
                lead,
                twice: random() < duplicates,
            });
        }
    }
    if pace == Pace::Burst {
        // Fisher-Yates with the given numbers.
        for i in (1..all.len()).rev() {
            let j = ((random() * (i + 1) as f64) as usize).min(i);
            all.swap(i, j);
        }
    } else {
        all.sort_by_key(|p| p.at);
    }
    all
}

/// What one request got: its status (0 when no answer came: a timeout, a refused connection)
/// and its latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub latency: Duration,
}

/// What sending a run did: each delivery's answers (one or two; none when the deadline came
/// first), and how late the sends were against the schedule.
#[derive(Debug, Default)]
pub struct Driven {
    pub answers: Vec<Vec<Answer>>,
    /// Deliveries never sent: the deadline came first.
    pub unsent: usize,
    /// The largest delay of a send behind its planned moment (waiting for a free slot).
    pub max_lag: Duration,
    /// From the start to the last answer.
    pub elapsed: Duration,
}

/// Sends `planned` on schedule with `send`, at most `in_flight` requests out at a time (a
/// delivery sent twice takes two), nothing sent after `deadline` (from the start) and no answer
/// awaited past it: the loop is bounded in count (the plan) and in time. `send` answers the
/// status, 0 for none.
pub async fn drive<F, Fut>(
    planned: &[Planned],
    in_flight: usize,
    deadline: Duration,
    send: F,
) -> Driven
where
    F: Fn(&Planned) -> Fut,
    Fut: Future<Output = u16> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(in_flight.max(2)));
    let started = Instant::now();
    let end = started + deadline;
    let mut tasks = Vec::with_capacity(planned.len());
    let mut driven = Driven::default();
    for delivery in planned {
        let due = started + delivery.at;
        if due > end {
            driven.unsent += 1;
            continue;
        }
        tokio::time::sleep_until(due).await;
        let copies: u32 = if delivery.twice { 2 } else { 1 };
        let permit =
            match tokio::time::timeout_at(end, Arc::clone(&slots).acquire_many_owned(copies)).await
            {
                Ok(Ok(permit)) => permit,
                _ => {
                    driven.unsent += 1;
                    continue;
                }
            };
        driven.max_lag = driven
            .max_lag
            .max(Instant::now().saturating_duration_since(due));
        let requests: Vec<Fut> = (0..copies).map(|_| send(delivery)).collect();
        tasks.push(tokio::spawn(async move {
            let timed = requests.into_iter().map(|request| async move {
                let sent = Instant::now();
                let status = tokio::time::timeout_at(end, request).await.unwrap_or(0);
                Answer {
                    status,
                    latency: sent.elapsed(),
                }
            });
            let answers = futures::future::join_all(timed).await;
            drop(permit);
            answers
        }));
    }
    for task in tasks {
        driven.answers.push(task.await.unwrap_or_default());
    }
    driven.elapsed = started.elapsed();
    driven
}

/// The nearest-rank `p` (0 to 1) of `sorted` latencies: the smallest value with at least `p` of
/// them at or below it. Zero for none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The answers of a run, summed up.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    /// Requests by status; 0 is "no answer".
    pub statuses: BTreeMap<u16, usize>,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub requests: usize,
}

impl Tally {
    pub fn of<'a>(answers: impl IntoIterator<Item = &'a Answer>) -> Tally {
        let mut tally = Tally::default();
        let mut latencies = Vec::new();
        for answer in answers {
            *tally.statuses.entry(answer.status).or_default() += 1;
            latencies.push(answer.latency);
        }
        latencies.sort();
        tally.requests = latencies.len();
        tally.p50 = percentile(&latencies, 0.50);
        tally.p90 = percentile(&latencies, 0.90);
        tally.p99 = percentile(&latencies, 0.99);
        tally.max = latencies.last().copied().unwrap_or_default();
        tally
    }

    /// Requests whose status is in `range` (`0..1` for no answer).
    pub fn count(&self, range: std::ops::Range<u16>) -> usize {
        self.statuses
            .iter()
            .filter(|(status, _)| range.contains(status))
            .map(|(_, n)| n)
            .sum()
    }

    /// `200: 9, 202: 1, no answer: 2`.
    pub fn statuses_line(&self) -> String {
        self.statuses
            .iter()
            .map(|(status, n)| match status {
                0 => format!("no answer: {n}"),
                status => format!("{status}: {n}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What reading the run's leads back found, by the run's lead number.
#[derive(Debug, Default, Clone)]
pub struct ReadBack {
    /// Leads whose `GET /v1/leads/{leadID}` answered 200.
    pub found: HashSet<usize>,
    /// Each message id of the run seen in its lead's conversation, and how many times.
    pub messages: HashMap<String, usize>,
    /// Each lead of the run listed by its business's `GET .../leads`, and how many times.
    pub listed: HashMap<usize, usize>,
    /// Leads with revisions: every copy the run sent was identical, so a revision is a delivery
    /// stored twice.
    pub revised: HashSet<usize>,
    /// Leads whose read failed every time (the read API answered an error): not known either way.
    pub unread: HashSet<usize>,
    /// Leads whose business's list could not be read: their listing is not known.
    pub unlisted: HashSet<usize>,
}

/// The run's bar: every acknowledged delivery read back (lost 0), and none twice (doubled 0).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Leads and messages answered 2xx at least once.
    pub leads_acknowledged: usize,
    pub messages_acknowledged: usize,
    /// Deliveries that never got a 2xx (Thumbtack would retry them): not counted as lost.
    pub unacknowledged: usize,
    /// Acknowledged deliveries whose lead could not be read back: neither lost nor kept, as far
    /// as the run can tell (a run with any is not a pass).
    pub unread: usize,
    /// Acknowledged, and not read back: not found, or missing from its business's list.
    pub leads_lost: usize,
    pub messages_lost: usize,
    /// Listed more than once by its business, or stored again as a revision.
    pub leads_doubled: usize,
    /// In its lead's conversation more than once.
    pub messages_doubled: usize,
}

impl Verdict {
    pub fn lost(&self) -> usize {
        self.leads_lost + self.messages_lost
    }

    pub fn doubled(&self) -> usize {
        self.leads_doubled + self.messages_doubled
    }

    /// Judges the read-back against what was acknowledged: `answers[i]` are the answers to
    /// `planned[i]`.
    pub fn of(planned: &[Planned], answers: &[Vec<Answer>], read: &ReadBack) -> Verdict {
        let mut verdict = Verdict::default();
        for (delivery, answers) in planned.iter().zip(answers) {
            let acknowledged = answers.iter().any(|a| (200..300).contains(&a.status));
            if !acknowledged {
                verdict.unacknowledged += 1;
                continue;
            }
            let unread = read.unread.contains(&delivery.lead);
            match &delivery.kind {
                Kind::Lead => {
                    verdict.leads_acknowledged += 1;
                    let listed = read.listed.get(&delivery.lead).copied();
                    let unlisted = read.unlisted.contains(&delivery.lead);
                    if unread {
                        verdict.unread += 1;
                    } else if !read.found.contains(&delivery.lead)
                        || (!unlisted && listed.is_none())
                    {
                        verdict.leads_lost += 1;
                    } else if listed > Some(1) || read.revised.contains(&delivery.lead) {
                        verdict.leads_doubled += 1;
                    }
                }
                Kind::Message { .. } if unread => {
                    verdict.messages_acknowledged += 1;
                    verdict.unread += 1;
                }
                Kind::Message { id, .. } => {
                    verdict.messages_acknowledged += 1;
                    match read.messages.get(id).copied().unwrap_or(0) {
                        0 => verdict.messages_lost += 1,
                        1 => {}
                        _ => verdict.messages_doubled += 1,
                    }
                }
            }
        }
        // Planned deliveries the deadline cut off were never sent: neither lost nor doubled.
        verdict.unacknowledged += planned.len().saturating_sub(answers.len());
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn seeded(seed: u64) -> impl FnMut() -> f64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        move || rng.f64()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn paced_leads_are_evenly_spaced_and_each_message_follows_its_lead_within_the_spread() {
        let pace = Pace::Paced {
            leads_per_second: 20.0,
            spread: Duration::from_secs(2),
        };
        let planned = schedule(100, 500, 0.3, pace, seeded(7), "t");
        assert_eq!(planned.len(), 600);
        assert!(planned.windows(2).all(|w| w[0].at <= w[1].at), "by time");
        let leads: Vec<Duration> = planned
            .iter()
            .filter(|p| p.kind == Kind::Lead)
            .map(|p| p.at)
            .collect();
        assert_eq!(leads.len(), 100);
        for (i, at) in leads.iter().enumerate() {
            assert_eq!(*at, ms(50 * i as u64), "lead {i} at i / rate");
        }
        for p in &planned {
            if let Kind::Message { lead, .. } = p.kind {
                let lead_at = ms(50 * lead as u64);
                assert!(p.at > lead_at && p.at <= lead_at + Duration::from_secs(2));
            }
        }
        let twice = planned.iter().filter(|p| p.twice).count();
        assert!((120..=240).contains(&twice), "about 30 %: {twice}");
    }

    #[test]
    fn a_burst_sends_everything_at_once_in_a_shuffled_order() {
        let planned = schedule(50, 100, 0.0, Pace::Burst, seeded(1), "t");
        assert_eq!(planned.len(), 150);
        assert!(planned.iter().all(|p| p.at == Duration::ZERO && !p.twice));
        let first_message = planned.iter().position(|p| p.kind != Kind::Lead).unwrap();
        assert!(first_message < 10, "not leads first, then messages");
        let ids: HashSet<String> = planned
            .iter()
            .filter_map(|p| match &p.kind {
                Kind::Message { id, .. } => Some(id.clone()),
                Kind::Lead => None,
            })
            .collect();
        assert_eq!(ids.len(), 100, "every message once");
    }

    /// A sender on the paused clock: notes when each request went out and how many were out at
    /// once, and answers `status` after `takes`.
    #[derive(Clone, Default)]
    struct Probe {
        sent: Arc<Mutex<Vec<Duration>>>,
        out: Arc<Mutex<(usize, usize)>>,
    }

    impl Probe {
        fn send(
            &self,
            started: Instant,
            takes: Duration,
            status: u16,
        ) -> impl Future<Output = u16> + Send + 'static {
            let probe = self.clone();
            async move {
                probe.sent.lock().unwrap().push(started.elapsed());
                {
                    let mut out = probe.out.lock().unwrap();
                    out.0 += 1;
                    out.1 = out.1.max(out.0);
                }
                tokio::time::sleep(takes).await;
                probe.out.lock().unwrap().0 -= 1;
                status
            }
        }
    }

    fn planned_at(ats: &[u64], twice: bool) -> Vec<Planned> {
        ats.iter()
            .enumerate()
            .map(|(lead, at)| Planned {
                at: ms(*at),
                kind: Kind::Lead,
                lead,
                twice,
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn each_delivery_goes_out_at_its_planned_moment_when_slots_are_free() {
        let probe = Probe::default();
        let started = Instant::now();
        let planned = planned_at(&[0, 100, 250, 1000], false);
        let driven = drive(&planned, 8, Duration::from_secs(10), |_| {
            probe.send(started, ms(30), 200)
        })
        .await;
        assert_eq!(
            *probe.sent.lock().unwrap(),
            [ms(0), ms(100), ms(250), ms(1000)]
        );
        assert_eq!(driven.max_lag, Duration::ZERO);
        assert_eq!(driven.unsent, 0);
        assert!(
            driven
                .answers
                .iter()
                .all(|a| a.len() == 1 && a[0].status == 200)
        );
        assert_eq!(driven.answers[0][0].latency, ms(30));
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_cap_is_ever_in_flight_and_late_sends_are_reported_as_lag() {
        let probe = Probe::default();
        let started = Instant::now();
        // 20 deliveries, each sent twice at once, all due at 0; 4 slots, 100 ms per request.
        let planned = planned_at(&[0; 20], true);
        let driven = drive(&planned, 4, Duration::from_secs(60), |_| {
            probe.send(started, ms(100), 200)
        })
        .await;
        assert_eq!(probe.out.lock().unwrap().1, 4, "the cap, reached");
        assert_eq!(probe.sent.lock().unwrap().len(), 40);
        assert!(driven.answers.iter().all(|a| a.len() == 2));
        // Two deliveries at a time: the last pair goes out after 9 rounds of 100 ms.
        assert_eq!(driven.max_lag, ms(900));
        assert_eq!(driven.elapsed, ms(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_sent_after_the_deadline_and_no_answer_is_awaited_past_it() {
        let probe = Probe::default();
        let started = Instant::now();
        let planned = planned_at(&[0, 500, 1500, 2500], false);
        let driven = drive(&planned, 8, ms(1000), |_| probe.send(started, ms(700), 200)).await;
        assert_eq!(*probe.sent.lock().unwrap(), [ms(0), ms(500)]);
        assert_eq!(driven.unsent, 2);
        assert_eq!(driven.answers[0][0].status, 200);
        assert_eq!(
            driven.answers[1][0],
            Answer {
                status: 0,
                latency: ms(500)
            },
            "cut at the deadline: no answer"
        );
        assert_eq!(driven.elapsed, ms(1000));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&sorted, 0.50), ms(50));
        assert_eq!(percentile(&sorted, 0.90), ms(90));
        assert_eq!(percentile(&sorted, 0.99), ms(99));
        assert_eq!(percentile(&sorted, 1.0), ms(100));
        assert_eq!(percentile(&[ms(7)], 0.99), ms(7));
        assert_eq!(percentile(&[ms(1), ms(2), ms(3)], 0.5), ms(2));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn the_tally_counts_statuses_and_no_answers_and_takes_percentiles_over_every_request() {
        let answers: Vec<Answer> = [(200, 10), (200, 30), (202, 20), (503, 40), (0, 5000)]
            .iter()
            .map(|(status, latency)| Answer {
                status: *status,
                latency: ms(*latency),
            })
            .collect();
        let tally = Tally::of(&answers);
        assert_eq!(tally.requests, 5);
        assert_eq!(tally.count(200..300), 3);
        assert_eq!(tally.count(500..600), 1);
        assert_eq!(tally.count(0..1), 1);
        assert_eq!(tally.p50, ms(30));
        assert_eq!(tally.max, ms(5000));
        assert_eq!(
            tally.statuses_line(),
            "no answer: 1, 200: 2, 202: 1, 503: 1"
        );
    }

    fn answered(status: u16) -> Vec<Answer> {
        vec![Answer {
            status,
            latency: ms(1),
        }]
    }

    #[test]
    fn lost_is_acknowledged_and_not_read_back_and_doubled_is_read_back_twice() {
        let message = |lead: usize, id: &str| Planned {
            at: Duration::ZERO,
            kind: Kind::Message {
                lead,
                id: id.to_owned(),
            },
            lead,
            twice: false,
        };
        let mut planned = planned_at(&[0, 0, 0, 0, 0], false);
        planned.extend([
            message(0, "m0"),
            message(0, "m1"),
            message(1, "m2"),
            message(2, "m3"),
        ]);
        let answers = vec![
            answered(200), // lead 0: found, listed once
            answered(200), // lead 1: found, listed twice: doubled
            answered(200), // lead 2: not found: lost
            answered(503), // lead 3: never acknowledged, not stored: not lost
            vec![],        // lead 4: cut off by the deadline, not sent
            answered(200), // m0: once
            answered(202), // m1: not in the conversation: lost
            answered(200), // m2: twice: doubled
            vec![Answer {
                status: 0,
                latency: ms(5),
            }], // m3: no answer
        ];
        let read = ReadBack {
            found: HashSet::from([0, 1]),
            messages: HashMap::from([("m0".to_owned(), 1), ("m2".to_owned(), 2)]),
            listed: HashMap::from([(0, 1), (1, 2)]),
            ..ReadBack::default()
        };
        let verdict = Verdict::of(&planned, &answers, &read);
        assert_eq!(
            verdict,
            Verdict {
                leads_acknowledged: 3,
                messages_acknowledged: 3,
                unacknowledged: 3,
                unread: 0,
                leads_lost: 1,
                messages_lost: 1,
                leads_doubled: 1,
                messages_doubled: 1,
            }
        );
        assert_eq!((verdict.lost(), verdict.doubled()), (2, 2));
    }

    #[test]
    fn a_lead_the_read_api_failed_on_is_unread_not_lost_and_so_are_its_messages() {
        let mut planned = planned_at(&[0, 0], false);
        planned.push(Planned {
            at: Duration::ZERO,
            kind: Kind::Message {
                lead: 0,
                id: "m0".to_owned(),
            },
            lead: 0,
            twice: false,
        });
        let answers = vec![answered(200), answered(200), answered(200)];
        let read = ReadBack {
            found: HashSet::from([1]),
            unread: HashSet::from([0]),
            // Lead 1's business list failed: found is enough.
            unlisted: HashSet::from([1]),
            ..ReadBack::default()
        };
        let verdict = Verdict::of(&planned, &answers, &read);
        assert_eq!(verdict.unread, 2);
        assert_eq!((verdict.lost(), verdict.doubled()), (0, 0));
    }

    #[test]
    fn a_lead_found_but_missing_from_its_business_list_is_lost_and_a_revised_one_doubled() {
        let planned = planned_at(&[0, 0], false);
        let answers = vec![answered(200), answered(200)];
        let read = ReadBack {
            found: HashSet::from([0, 1]),
            listed: HashMap::from([(1, 1)]),
            revised: HashSet::from([1]),
            ..ReadBack::default()
        };
        let verdict = Verdict::of(&planned, &answers, &read);
        assert_eq!((verdict.leads_lost, verdict.leads_doubled), (1, 1));
    }
}
