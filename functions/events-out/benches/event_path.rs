//! The events function's CPU per stream record, without I/O: the record read from the event's
//! JSON, decoded as a change (`adapters::dynamo::changes::change`), its event built
//! (`Fact::event`) and its detail written as the `PutEvents` entry carries it; beside a bare
//! `serde_json::from_str` of the same record into `aws_lambda_events`' `EventRecord`. Records from
//! `tests/fixtures/events/dynamodb-stream.json`. `make bench` runs it; docs/benchmarks.md has the
//! figures.
#![allow(clippy::unwrap_used, missing_docs)]

use adapters::dynamo::changes;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use std::hint::black_box;

/// The fixture's records that are facts, each as its own JSON text, named by their event.
fn records() -> Vec<(&'static str, String)> {
    let batch: Value = serde_json::from_str(fixtures::events::DYNAMODB_STREAM).unwrap();
    let records = batch["Records"].as_array().unwrap();
    let pick = |kind: &str, name: &str| {
        records
            .iter()
            .find(|r| r["dynamodb"]["NewImage"]["type"]["S"] == kind && r["eventName"] == name)
            .unwrap()
            .to_string()
    };
    vec![
        ("lead", pick("lead", "INSERT")),
        ("message", pick("message", "INSERT")),
        ("reply sent", pick("reply-outcome", "INSERT")),
        ("quarantine", pick("quarantine", "INSERT")),
        ("revision", pick("revision", "INSERT")),
    ]
}

/// What the function does for one record once the runtime has read it: the change, the event,
/// the entry's detail text. Returns the detail's length so nothing is optimised away.
fn decode_and_build(record: &EventRecord) -> usize {
    let change = changes::change(record).unwrap();
    let event = change.fact.unwrap().event();
    event.detail.to_string().len()
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("stream record");
    for (name, json) in records() {
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("serde_json::from_str::<EventRecord>", name),
            &json,
            |b, json| b.iter(|| serde_json::from_str::<EventRecord>(black_box(json)).unwrap()),
        );
        let record: EventRecord = serde_json::from_str(&json).unwrap();
        group.bench_with_input(
            BenchmarkId::new("decode and build the event", name),
            &record,
            |b, record| b.iter(|| decode_and_build(black_box(record))),
        );
        group.bench_with_input(BenchmarkId::new("events path", name), &json, |b, json| {
            b.iter(|| {
                let record: EventRecord = serde_json::from_str(black_box(json)).unwrap();
                decode_and_build(&record)
            });
        });
    }
    group.finish();

    // The whole fixture batch (nine records, five of them facts), as the runtime hands it over.
    let batch = fixtures::events::DYNAMODB_STREAM;
    let mut whole = c.benchmark_group("stream batch (fixture)");
    whole.bench_function("serde_json::from_str::<Event>", |b| {
        b.iter(|| serde_json::from_str::<Event>(black_box(batch)).unwrap());
    });
    whole.bench_function("events path", |b| {
        b.iter(|| {
            let event: Event = serde_json::from_str(black_box(batch)).unwrap();
            event
                .records
                .iter()
                .filter_map(|r| changes::change(r).ok()?.fact)
                .map(|fact| fact.event().detail.to_string().len())
                .sum::<usize>()
        });
    });
    whole.finish();

    // Where the time of the lead record's path goes.
    let lead: EventRecord = serde_json::from_str(&records()[0].1).unwrap();
    let fact = changes::change(&lead).unwrap().fact.unwrap();
    let event = fact.event();
    let mut parts = c.benchmark_group("lead record parts");
    parts.bench_function("decode: changes::change", |b| {
        b.iter(|| changes::change(black_box(&lead)).unwrap());
    });
    parts.bench_function("build: Fact::event", |b| {
        b.iter(|| black_box(&fact).event());
    });
    parts.bench_function("detail text: to_string", |b| {
        b.iter(|| black_box(&event.detail).to_string());
    });
    parts.finish();
}

criterion_group!(events, benches);
criterion_main!(events);
