//! Turning SDK errors into the port's [`StoreError`], deciding what is worth retrying.

use app::StoreError;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// DynamoDB error codes that mean "later may work".
const TRANSIENT_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

pub(crate) fn store_error<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(context) => {
            context.raw().status().is_server_error()
                || error
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    };
    // DynamoDB's answer to an item over 400 KB: the same write can never succeed.
    let too_large = error.code() == Some("ValidationException")
        && error
            .message()
            .is_some_and(|message| message.contains("Item size"));
    if transient {
        StoreError::Unavailable(Box::new(error))
    } else if too_large {
        StoreError::TooLarge(Box::new(error))
    } else {
        StoreError::Rejected(Box::new(error))
    }
}
