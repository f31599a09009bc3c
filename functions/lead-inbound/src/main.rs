//! Lambda entry point: wiring only. The init (`adapters::inbound`) and the handler
//! (`http_api::inbound`) are the other inbound function's too; the route table says which routes
//! are this one's.

use http_api::routes::Function;
use lambda_http::Error;

// One thread: an invocation waits on I/O, and a worker per core costs start-up and hand-offs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let function = Function::LeadInbound;
    let deps = adapters::start(adapters::inbound::init(function.name())).await?;
    http_api::inbound::run(deps, function).await
}
