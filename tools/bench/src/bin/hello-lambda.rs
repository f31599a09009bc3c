//! The floor for the cold-start benchmark: a `lambda_http` function that answers "hello", built
//! with the same profile, runtime (one thread) and logging set-up as ours, and nothing else.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    adapters::logging::init();
    lambda_http::run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::Text("hello".to_owned())))
    }))
    .await
}
