//! The smoke test: plays Thumbtack against a running stack, local or deployed. It calls every
//! inbound route with basic auth (a lead update before its lead, the lead, a message, a review),
//! checks the refusals (wrong password, invalid body), reads the conversation back, lists the
//! business's leads and reviews and the changes, reads the business's settings and puts them back
//! unchanged, enqueues a reply, waits until the conversation shows it handled and reads the
//! business's stats: every route of the template (tests/emulator holds the two together). With
//! the stack's Thumbtack simulator it also connects a pro on v4 and takes a v4 lead (`smoke_v4`).
//!
//! Against AWS the read routes are IAM-authorised, so their calls are signed with SigV4 from the
//! usual AWS credentials (`sigv4`, which `make load` uses too), which need the PartnerApiReaderPolicy
//! and the SettingsEditorPolicy (the PUT of the smoke business's settings). A deployed stack sends the reply to the real Thumbtack, which does not know the
//! smoke lead: there the reply ends `failed` (refused) and that still proves the path.

use adapters::SqsReplyQueue;
use models::ReplyRequest;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cli::Error;

use crate::smoke_steps::{ReadApi, step, step_value};
pub use crate::smoke_steps::{Routes, SmokeSettings};

/// Runs every step, printing one line each; stops at the first that fails. Answers the routes it
/// called (`tests/emulator` holds them to the template's: every route is covered).
pub async fn run(
    settings: &SmokeSettings,
    sdk: &adapters::aws::SdkConfig,
    queue: &SqsReplyQueue,
) -> Result<Routes, Error> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let base = settings.base_url.trim_end_matches('/');
    let covered = Mutex::new(Routes::new());
    let smoke = Smoke {
        api: ReadApi {
            http: &http,
            settings,
            sdk,
            base,
            covered: &covered,
        },
        samples: Samples::new(app::now_millis()),
    };
    step(
        "PUT /v1/lead/update before its lead is kept: 202",
        smoke.update_before_its_lead(),
    )
    .await?;
    step("POST /v1/lead stores a new lead", smoke.new_lead()).await?;
    step(
        "POST /v1/lead again is a duplicate, stored once",
        smoke.duplicate_lead(),
    )
    .await?;
    step(
        "POST /v1/message stores the customer's message",
        smoke.message(),
    )
    .await?;
    step(
        "PUT /v1/lead/update for the stored lead: 200",
        smoke.update_of_a_stored_lead(),
    )
    .await?;
    step("POST /v1/review stores the lead's review", smoke.review()).await?;
    step(
        "a wrong password gets 401 with a Basic challenge",
        smoke.wrong_password(),
    )
    .await?;
    step(
        "a lead without a usable leadID gets 400 naming it",
        smoke.invalid_lead(),
    )
    .await?;
    step(
        "GET /v1/leads/{leadID} reads the lead, its message, price and review back",
        smoke.conversation(),
    )
    .await?;
    step(
        "GET /v1/businesses/{businessID}/leads and /reviews list them with the price",
        smoke.business_lists(),
    )
    .await?;
    step(
        "GET /v1/changes answers a page and a cursor to go on",
        smoke.changes(),
    )
    .await?;
    let document = step_value(
        "GET /v1/businesses/{businessID}/settings answers the business's settings",
        smoke.settings(),
    )
    .await?;
    step(
        "PUT /v1/businesses/{businessID}/settings saves them, and GET reads them back",
        smoke.settings_put_back(&document),
    )
    .await?;
    let reply = smoke.samples.reply();
    step(
        "a reply is enqueued on the reply queue",
        enqueue(queue, &reply),
    )
    .await?;
    step(
        "the reply is handled and shows in the conversation",
        smoke.reply_handled(&reply),
    )
    .await?;
    step(
        "GET /v1/businesses/{businessID}/stats leaves the test lead out",
        smoke.stats(),
    )
    .await?;
    if let Some(url) = &settings.simulator_url {
        println!("smoke: v4 through the Thumbtack simulator at {url}");
        let simulator = simulator::Remote::new(url);
        crate::smoke_v4::run(&smoke.api, &simulator, smoke.samples.stamp).await?;
    }
    println!(
        "smoke: all steps passed against {base} (lead {})",
        smoke.samples.lead_id
    );
    Ok(covered
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// What a run posts: a lead of its own (ids from the run's start), its message, review and
/// updates, for the business `smoke-business`.
struct Samples {
    stamp: u64,
    lead_id: String,
    review_id: String,
    lead: Value,
}

/// The smoke test's business: its settings are read and put back unchanged.
const BUSINESS_ID: &str = "smoke-business";

impl Samples {
    fn new(stamp: u64) -> Self {
        let lead_id = format!("smoke-{stamp}");
        // Marked as a test lead: a business with acknowledgements on never acknowledges it, and
        // it is never reported unanswered.
        let lead = json!({
            "leadID": lead_id,
            "isTest": true,
            "createTimestamp": (stamp / 1000).to_string(),
            "request": {
                "requestID": format!("smoke-request-{stamp}"),
                "category": "Smoke Testing",
                "title": "Smoke test lead",
                "description": "Posted by the smoke test.",
                "location": {"city": "San Jose", "state": "CA", "zipCode": "95125"},
                "travelPreferences": "Professional must travel to my address.",
                "details": [{"question": "Is this a test?", "answer": "Yes"}]
            },
            "customer": {"customerID": "smoke-customer", "name": "Smoke T."},
            "business": {"businessID": BUSINESS_ID, "name": "Smoke Testing Co"}
        });
        Self {
            stamp,
            review_id: format!("smoke-review-{stamp}"),
            lead_id,
            lead,
        }
    }

    fn message(&self) -> Value {
        json!({
            "leadID": self.lead_id,
            "customerID": "smoke-customer",
            "businessID": BUSINESS_ID,
            "message": {"messageID": format!("smoke-message-{}", self.stamp), "createTimestamp": (self.stamp / 1000).to_string(), "text": "Is Tuesday fine?"}
        })
    }

    fn review(&self) -> Value {
        json!({
            "review": {
                "reviewID": self.review_id,
                "businessID": BUSINESS_ID,
                "leadID": self.lead_id,
                "rating": 5,
                "text": "Smoke-tested and approved.",
                "reviewerName": "Smoke T.",
                "createTime": self.stamp / 1000,
                "verified": true,
                "photos": []
            },
            "reviewEventType": "REVIEW_ADDED"
        })
    }

    fn update(&self, price: &str) -> Value {
        json!({"leadID": self.lead_id, "leadPrice": price, "chargeState": "Charged"})
    }

    fn reply(&self) -> ReplyRequest {
        ReplyRequest {
            reply_id: format!("smoke-reply-{}", self.stamp),
            business_id: BUSINESS_ID.to_owned(),
            lead_id: self.lead_id.clone(),
            text: "Tuesday works. See you then!".to_owned(),
        }
    }
}

/// One run: the stack's routes and the run's samples. Each method is one step.
struct Smoke<'a> {
    api: ReadApi<'a>,
    samples: Samples,
}

impl Smoke<'_> {
    /// `body` sent to an inbound route as Thumbtack would, with `password`. The inbound routes
    /// have no parameters: the path is the route.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        password: &str,
    ) -> Result<reqwest::Response, Error> {
        self.api.note(method.as_str(), path);
        let settings = self.api.settings;
        Ok(self
            .api
            .http
            .request(method, format!("{}{path}", self.api.base))
            .basic_auth(&settings.username, Some(password))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?)
    }

    async fn post(&self, path: &str, body: &Value) -> Result<reqwest::Response, Error> {
        let password = &self.api.settings.password;
        self.send(reqwest::Method::POST, path, body, password).await
    }

    async fn put(&self, path: &str, body: &Value) -> Result<reqwest::Response, Error> {
        let password = &self.api.settings.password;
        self.send(reqwest::Method::PUT, path, body, password).await
    }

    async fn update_before_its_lead(&self) -> Result<(), Error> {
        let response = self
            .put("/v1/lead/update", &self.samples.update("$12.00"))
            .await?;
        expect_json(response, 202, |b| b["leadKnown"] == false).await
    }

    async fn new_lead(&self) -> Result<(), Error> {
        let response = self.post("/v1/lead", &self.samples.lead).await?;
        expect_json(response, 200, |b| b["status"] == "stored").await
    }

    async fn duplicate_lead(&self) -> Result<(), Error> {
        let response = self.post("/v1/lead", &self.samples.lead).await?;
        expect_json(response, 200, |b| b["status"] == "duplicate").await
    }

    async fn message(&self) -> Result<(), Error> {
        let response = self.post("/v1/message", &self.samples.message()).await?;
        expect_json(response, 200, |b| b["status"] == "stored").await
    }

    async fn update_of_a_stored_lead(&self) -> Result<(), Error> {
        let response = self
            .put("/v1/lead/update", &self.samples.update("$15.00"))
            .await?;
        expect_json(response, 200, |b| b["status"] == "stored").await
    }

    async fn review(&self) -> Result<(), Error> {
        let response = self.post("/v1/review", &self.samples.review()).await?;
        let review_id = self.samples.review_id.as_str();
        expect_json(response, 200, |b| b["reviewID"] == review_id).await
    }

    async fn wrong_password(&self) -> Result<(), Error> {
        let response = self
            .send(
                reqwest::Method::POST,
                "/v1/lead",
                &self.samples.lead,
                "not-the-password",
            )
            .await?;
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if response.status() != 401 || !challenge.starts_with("Basic") {
            return Err(format!("got {} with challenge {challenge:?}", response.status()).into());
        }
        Ok(())
    }

    async fn invalid_lead(&self) -> Result<(), Error> {
        let mut invalid = self.samples.lead.clone();
        invalid["leadID"] = json!("not an id");
        let response = self.post("/v1/lead", &invalid).await?;
        expect_json(response, 400, |b| b["fields"][0]["path"] == "leadID").await
    }

    async fn conversation(&self) -> Result<(), Error> {
        let Samples {
            lead_id, review_id, ..
        } = &self.samples;
        let view = self.api.get(LEAD, &[("leadID", lead_id)], "").await?;
        if view["lead"]["leadID"] != lead_id.as_str()
            || view["messages"][0]["direction"] != "inbound"
            || view["leadPrice"] != "$15.00"
            || view["priceUpdates"].as_array().map(Vec::len) != Some(2)
            || view["reviews"][0]["reviewID"] != review_id.as_str()
        {
            return Err(format!("unexpected conversation: {view}").into());
        }
        Ok(())
    }

    async fn business_lists(&self) -> Result<(), Error> {
        let Samples {
            lead_id, review_id, ..
        } = &self.samples;
        let business = [("businessID", BUSINESS_ID)];
        let leads = self
            .api
            .get(BUSINESS_LEADS, &business, "?limit=100")
            .await?;
        let listed = leads["leads"].as_array().and_then(|all| {
            all.iter()
                .find(|l| l["leadID"] == lead_id.as_str())
                .cloned()
        });
        if listed.is_none_or(|lead| lead["leadPrice"] != "$15.00") {
            return Err(format!("the lead is not listed with its price: {leads}").into());
        }
        let reviews = self
            .api
            .get(BUSINESS_REVIEWS, &business, "?limit=100")
            .await?;
        let found = reviews["reviews"]
            .as_array()
            .is_some_and(|all| all.iter().any(|r| r["reviewID"] == review_id.as_str()));
        if !found {
            return Err(format!("the review is not listed: {reviews}").into());
        }
        Ok(())
    }

    async fn changes(&self) -> Result<(), Error> {
        let changes = self.api.get(CHANGES, &[], "?limit=5").await?;
        if !changes["changes"].is_array() || !changes["next"].is_string() {
            return Err(format!("unexpected changes page: {changes}").into());
        }
        Ok(())
    }

    /// The smoke business's settings, to be put back as they were read: the run changes
    /// nothing a later run or a person relies on (its leads are test leads, never acknowledged
    /// anyway).
    async fn settings(&self) -> Result<Value, Error> {
        let document = self
            .api
            .get(SETTINGS, &[("businessID", BUSINESS_ID)], "")
            .await?;
        if document["businessID"] != BUSINESS_ID
            || !document["autoAcknowledgement"]["enabled"].is_boolean()
            || !document["unansweredAfterMinutes"].is_u64()
        {
            return Err(format!("unexpected settings: {document}").into());
        }
        Ok(document)
    }

    async fn settings_put_back(&self, document: &Value) -> Result<(), Error> {
        let business = [("businessID", BUSINESS_ID)];
        let saved = self
            .api
            .call("PUT", SETTINGS, &business, "", Some(document))
            .await?;
        let read = self.api.get(SETTINGS, &business, "").await?;
        for answer in [&saved, &read] {
            let same = [
                "autoAcknowledgement",
                "quietHours",
                "unansweredAfterMinutes",
            ]
            .iter()
            .all(|field| answer[field] == document[field]);
            if answer["configured"] != true || !same {
                return Err(format!("put {document}, answered {answer}").into());
            }
        }
        Ok(())
    }

    async fn reply_handled(&self, reply: &ReplyRequest) -> Result<(), Error> {
        let settings = self.api.settings;
        let started = Instant::now();
        loop {
            let view = self
                .api
                .get(LEAD, &[("leadID", &self.samples.lead_id)], "")
                .await?;
            let status = view["messages"]
                .as_array()
                .and_then(|m| m.iter().find(|e| e["id"] == reply.reply_id.as_str()))
                .map(|e| e["status"].as_str().unwrap_or_default().to_owned());
            match status.as_deref() {
                Some("sent") => return Ok(()),
                Some("failed") if settings.accept_failed_reply => {
                    println!(
                        "       (failed: expected when Thumbtack does not know the smoke lead)"
                    );
                    return Ok(());
                }
                Some("failed") => return Err(format!("the reply failed: {view}").into()),
                _ if started.elapsed() > settings.reply_timeout => {
                    return Err(
                        format!("no outcome after {:?}: {view}", settings.reply_timeout).into(),
                    );
                }
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    /// The business's figures: the smoke lead is a test lead (`isTest`), which the stats leave
    /// out, as they leave out its replies; the smoke business has no other leads. Asked after
    /// the reply was handled, so the lead's event has long been processed.
    async fn stats(&self) -> Result<(), Error> {
        let stats = self
            .api
            .get(STATS, &[("businessID", BUSINESS_ID)], "?days=1")
            .await?;
        if stats["businessID"] != BUSINESS_ID || stats["days"] != 1 {
            return Err(format!("unexpected stats: {stats}").into());
        }
        if stats["leads"] != 0 || stats["leadsReplied"] != 0 {
            return Err(format!("the test lead is counted: {stats}").into());
        }
        Ok(())
    }
}

async fn enqueue(queue: &SqsReplyQueue, reply: &ReplyRequest) -> Result<(), Error> {
    queue.enqueue(reply).await?;
    Ok(())
}

/// The read API's routes, as the template declares them.
const LEAD: &str = "/v1/leads/{leadID}";
const BUSINESS_LEADS: &str = "/v1/businesses/{businessID}/leads";
const BUSINESS_REVIEWS: &str = "/v1/businesses/{businessID}/reviews";
const CHANGES: &str = "/v1/changes";
const SETTINGS: &str = "/v1/businesses/{businessID}/settings";
const STATS: &str = "/v1/businesses/{businessID}/stats";

async fn expect_json(
    response: reqwest::Response,
    status: u16,
    check: impl Fn(&Value) -> bool,
) -> Result<(), Error> {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if got != status || !check(&body) {
        return Err(format!("expected {status}, got {got}: {body}").into());
    }
    Ok(())
}
