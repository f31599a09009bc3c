//! The inbound lead path without I/O (auth, body limit, parse and validate, build the stored
//! item), beside a bare `serde_json::from_slice` of the same body: for the spec's sample lead and
//! for a 100 KB lead. `make bench` runs it; docs/benchmarks.md has the figures.
#![allow(clippy::unwrap_used, missing_docs)]

use adapters::dynamo::lead_item;
use app::auth::{AcceptedCredentials, Credential};
use app::ports::NewLead;
use base64::Engine as _;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use models::Lead;
use serde_json::{Value, json};
use std::hint::black_box;

const LEAD: &str = fixtures::LEAD;

/// 100 KB: the sample with as many question/answer details as it takes.
fn large_lead() -> String {
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    let mut details = Vec::new();
    loop {
        let i = details.len();
        details.push(json!({"question": format!("Question number {i} about the job"), "answer": format!("Answer {i}: a few words of reply")}));
        lead["request"]["details"] = Value::Array(details.clone());
        let text = serde_json::to_string(&lead).unwrap();
        if text.len() >= 100_000 {
            return text;
        }
    }
}

/// Everything the handler does to a lead between receiving it and calling DynamoDB.
fn lead_path(accepted: &AcceptedCredentials, header: &[u8], body: &[u8]) -> usize {
    accepted.verify_header(Some(header)).unwrap();
    assert!(body.len() <= http_api::MAX_BODY_BYTES);
    let parsed = Lead::parse(body).unwrap();
    let raw = std::str::from_utf8(body).unwrap();
    let item = lead_item(NewLead {
        lead: &parsed.value,
        warnings: &parsed.warnings,
        raw,
        marks: models::v4::stored::marks(raw),
        received_at_ms: 1,
    });
    item.len()
}

fn benches(c: &mut Criterion) {
    let accepted = AcceptedCredentials::new(&[Credential::new("thumbtack", "benchmark-password")]);
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("thumbtack:benchmark-password")
    );
    let large = large_lead();
    let mut group = c.benchmark_group("lead");
    for (name, body) in [("sample", LEAD.to_owned()), ("100KB", large)] {
        let body = body.into_bytes();
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("serde_json::from_slice::<Value>", name),
            &body,
            |b, body| {
                b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap());
            },
        );
        group.bench_with_input(
            BenchmarkId::new("serde_json::from_slice::<Lead>", name),
            &body,
            |b, body| {
                b.iter(|| serde_json::from_slice::<Lead>(black_box(body)).unwrap());
            },
        );
        group.bench_with_input(BenchmarkId::new("lead path", name), &body, |b, body| {
            b.iter(|| lead_path(&accepted, header.as_bytes(), black_box(body)));
        });
    }
    group.finish();

    // Where the time of the sample's path goes.
    let body = LEAD.as_bytes();
    let parsed = Lead::parse(body).unwrap();
    let mut parts = c.benchmark_group("lead parts (sample)");
    parts.bench_function("auth: basic header, SHA-256, constant-time compare", |b| {
        b.iter(|| {
            accepted
                .verify_header(Some(black_box(header.as_bytes())))
                .unwrap()
        });
    });
    parts.bench_function("parse and validate: Lead::parse", |b| {
        b.iter(|| Lead::parse(black_box(body)).unwrap());
    });
    parts.bench_function("build the DynamoDB item", |b| {
        b.iter(|| {
            lead_item(NewLead {
                lead: black_box(&parsed.value),
                warnings: &parsed.warnings,
                raw: LEAD,
                marks: models::v4::stored::marks(LEAD),
                received_at_ms: 1,
            })
            .len()
        });
    });
    parts.finish();
}

criterion_group!(lead, benches);
criterion_main!(lead);
