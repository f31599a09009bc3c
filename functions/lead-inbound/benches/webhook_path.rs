//! The v4 webhook path without I/O (the header secret hashed and compared in constant time, the
//! envelope parsed and checked, mapped onto our fact, the lead's DynamoDB item built), beside a
//! bare `serde_json::from_slice` of the same envelope, for Thumbtack's sample negotiation and
//! message (issue 23, item 7). `make bench` runs it; docs/benchmarks.md has the figures.
#![allow(clippy::unwrap_used, missing_docs)]

use adapters::dynamo::lead_item;
use app::connections::secret_hash;
use app::ports::NewLead;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use models::Contract;
use models::v4::stored::Marks;
use models::v4::{Delivery, Fact, MessageCreatedV4, NegotiationCreatedV4, Received};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use std::hint::black_box;
use subtle::ConstantTimeEq;

const SECRET: &str = "c2VjcmV0LW9mLTI1Ni1iaXRzLWZvci10aGUtd2ViaG9vaw";
const BUSINESS: &str = "286845156044809661";

/// Everything the webhook handler does to a delivery between receiving it and calling DynamoDB;
/// the number of attributes it would write (the lead's item; a message's is built the same way).
fn webhook_path(stored_hash: &str, body: &[u8]) -> usize {
    let presented = secret_hash(SECRET);
    assert!(bool::from(
        presented.as_bytes().ct_eq(stored_hash.as_bytes())
    ));
    assert!(body.len() <= http_api::MAX_BODY_BYTES);
    let parsed = Delivery::parse(body).unwrap();
    let raw = std::str::from_utf8(body).unwrap();
    let received = Received {
        webhook_business_id: BUSINESS,
        at_ms: 1,
    };
    match Fact::from_delivery(&parsed.value, received) {
        Fact::Lead(fact) => lead_item(NewLead {
            lead: &fact.lead,
            warnings: &parsed.warnings,
            raw,
            // As the handler: the delivery told them.
            marks: Marks {
                contract: Contract::V4,
                test: fact.test,
            },
            received_at_ms: 1,
        })
        .len(),
        Fact::Message(fact) => usize::from(fact.message.message.text.is_some()),
        other => panic!("not a lead or message: {other:?}"),
    }
}

/// The envelope read straight into the typed payload, its `event` skipped: the fairest floor
/// (the same typed fields, no keys checked, nothing kept of what is wrong).
#[derive(Deserialize)]
struct Typed<T> {
    #[allow(dead_code)]
    event: IgnoredAny,
    #[allow(dead_code)]
    data: T,
}

fn typed(name: &str, body: &[u8]) -> bool {
    if name == "negotiation" {
        serde_json::from_slice::<Typed<NegotiationCreatedV4>>(body).is_ok()
    } else {
        serde_json::from_slice::<Typed<MessageCreatedV4>>(body).is_ok()
    }
}

fn benches(c: &mut Criterion) {
    let stored_hash = secret_hash(SECRET);
    let mut group = c.benchmark_group("webhook");
    for (name, body) in [
        ("negotiation", fixtures::v4::NEGOTIATION_CREATED),
        ("message", fixtures::v4::MESSAGE_CREATED),
    ] {
        let body = body.as_bytes();
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("serde_json::from_slice::<Value>", name),
            body,
            |b, body| {
                b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap());
            },
        );
        assert!(typed(name, body), "the typed envelope reads the sample");
        group.bench_with_input(
            BenchmarkId::new("serde_json::from_slice::<typed envelope>", name),
            body,
            |b, body| {
                b.iter(|| typed(name, black_box(body)));
            },
        );
        group.bench_with_input(BenchmarkId::new("webhook path", name), body, |b, body| {
            b.iter(|| webhook_path(&stored_hash, black_box(body)));
        });
    }
    group.finish();

    // Where the time of the negotiation's path goes.
    let body = fixtures::v4::NEGOTIATION_CREATED.as_bytes();
    let parsed = Delivery::parse(body).unwrap();
    let mut parts = c.benchmark_group("webhook parts (negotiation)");
    parts.bench_function(
        "auth: SHA-256 of the header secret, constant-time compare",
        |b| {
            b.iter(|| {
                bool::from(
                    secret_hash(black_box(SECRET))
                        .as_bytes()
                        .ct_eq(stored_hash.as_bytes()),
                )
            });
        },
    );
    parts.bench_function("parse and check: Delivery::parse", |b| {
        b.iter(|| Delivery::parse(black_box(body)).unwrap());
    });
    let fact = match Fact::from_delivery(
        &parsed.value,
        Received {
            webhook_business_id: BUSINESS,
            at_ms: 1,
        },
    ) {
        Fact::Lead(fact) => fact,
        other => panic!("not a lead: {other:?}"),
    };
    parts.bench_function("build the DynamoDB item: lead_item", |b| {
        b.iter(|| {
            lead_item(NewLead {
                lead: black_box(&fact.lead),
                warnings: &parsed.warnings,
                raw: fixtures::v4::NEGOTIATION_CREATED,
                marks: Marks {
                    contract: Contract::V4,
                    test: fact.test,
                },
                received_at_ms: 1,
            })
            .len()
        });
    });
    parts.bench_function("map onto the lead fact: Fact::from_delivery", |b| {
        b.iter(|| {
            let received = Received {
                webhook_business_id: BUSINESS,
                at_ms: 1,
            };
            matches!(
                Fact::from_delivery(black_box(&parsed.value), received),
                Fact::Lead(_)
            )
        });
    });
    parts.finish();
}

criterion_group!(webhook, benches);
criterion_main!(webhook);
