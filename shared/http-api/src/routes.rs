//! The API's route table, once: each route's method and path, the function that serves it and who
//! may call it. The functions dispatch on it, `make dev` serves it, and tests/infra holds
//! infra/template.yaml (the deploy's truth) to it, so that neither can drift.

use crate::request::path_segments;
use app::ports::Route;
use lambda_http::Request;
use lambda_http::http::Method;

/// The functions behind the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    LeadInbound,
    MessageInbound,
    PartnerApi,
    /// Connecting a pro's Thumbtack account (v4 OAuth).
    Connections,
}

impl Function {
    /// Every function behind the API: the template deploys each (tests/infra).
    pub const ALL: [Function; 4] = [
        Function::LeadInbound,
        Function::MessageInbound,
        Function::PartnerApi,
        Function::Connections,
    ];

    /// Its name: its crate and binary, and its metrics' `Function` dimension.
    pub fn name(self) -> &'static str {
        match self {
            Function::LeadInbound => "lead-inbound",
            Function::MessageInbound => "message-inbound",
            Function::PartnerApi => "partner-api",
            Function::Connections => "connections",
        }
    }

    /// Its resource in infra/template.yaml.
    pub fn resource(self) -> &'static str {
        match self {
            Function::LeadInbound => "LeadInboundFunction",
            Function::MessageInbound => "MessageInboundFunction",
            Function::PartnerApi => "PartnerApiFunction",
            Function::Connections => "ConnectionsFunction",
        }
    }
}

/// Who may call a route, and where that is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Auth {
    /// Thumbtack, with HTTP basic credentials checked in the function (the gateway lets every
    /// call through).
    Basic,
    /// The partner's own systems, with IAM (SigV4) checked by the gateway; open on loopback in
    /// `make dev`.
    Iam,
    /// Anyone: the pro's browser, back from Thumbtack's consent page (what it carries is checked
    /// in the function: the sealed state).
    Public,
    /// Thumbtack (v4), with the custom-header secret our webhook of the path's business was
    /// registered with, checked in the function against its stored hash (the gateway lets every
    /// call through).
    WebhookSecret,
}

/// What a route does: what its function dispatches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// One of Thumbtack's deliveries, taken by `app::ingest::deliver`.
    Deliver(Route),
    /// A Thumbtack v4 webhook delivery, taken by `app::ingest::deliver_webhook`.
    DeliverWebhook,
    /// A lead as received and its conversation.
    Lead,
    /// A business's leads, newest first.
    BusinessLeads,
    /// A business's reviews, newest first.
    BusinessReviews,
    /// A business's settings, read and saved.
    BusinessSettings,
    /// A business's daily figures.
    BusinessStats,
    /// Every stored fact in order of receipt.
    Changes,
    /// A pro's connection started: the consent page's URL (`app::connections::start`).
    ConnectionStart,
    /// The pro's browser back from the consent page (`app::connections::callback`).
    ConnectionCallback,
    /// One pro's connection, as the partner may see it (`app::connections::show`).
    ConnectionShow,
    /// Every connection, a page at a time (`app::connections::list`).
    ConnectionList,
    /// A pro's businesses listed again, our webhooks with them (`app::connections::sync`).
    ConnectionSync,
    /// A pro disconnected: our webhooks deleted, the tokens erased (`app::connections::remove`).
    ConnectionRemove,
}

/// One route of the API.
#[derive(Debug, Clone)]
pub struct ApiRoute {
    pub method: Method,
    /// As the template writes it: `{name}` for a path parameter.
    pub path: &'static str,
    pub endpoint: Endpoint,
    pub function: Function,
    pub auth: Auth,
}

const fn route(
    method: Method,
    path: &'static str,
    endpoint: Endpoint,
    function: Function,
    auth: Auth,
) -> ApiRoute {
    ApiRoute {
        method,
        path,
        endpoint,
        function,
        auth,
    }
}

/// Every route of the API.
pub static ROUTES: [ApiRoute; 18] = {
    use Auth::{Basic, Iam, Public, WebhookSecret};
    use Endpoint::*;
    use Function::{Connections, LeadInbound, MessageInbound, PartnerApi};
    [
        route(
            Method::POST,
            "/v1/lead",
            Deliver(Route::Lead),
            LeadInbound,
            Basic,
        ),
        route(
            Method::PUT,
            "/v1/lead/update",
            Deliver(Route::LeadUpdate),
            LeadInbound,
            Basic,
        ),
        route(
            Method::POST,
            "/v1/message",
            Deliver(Route::Message),
            MessageInbound,
            Basic,
        ),
        route(
            Method::POST,
            "/v1/review",
            Deliver(Route::Review),
            MessageInbound,
            Basic,
        ),
        route(
            Method::POST,
            "/v4/webhooks/{businessID}",
            DeliverWebhook,
            LeadInbound,
            WebhookSecret,
        ),
        route(Method::GET, "/v1/leads/{leadID}", Lead, PartnerApi, Iam),
        route(
            Method::GET,
            "/v1/businesses/{businessID}/leads",
            BusinessLeads,
            PartnerApi,
            Iam,
        ),
        route(
            Method::GET,
            "/v1/businesses/{businessID}/reviews",
            BusinessReviews,
            PartnerApi,
            Iam,
        ),
        route(
            Method::GET,
            "/v1/businesses/{businessID}/settings",
            BusinessSettings,
            PartnerApi,
            Iam,
        ),
        route(
            Method::PUT,
            "/v1/businesses/{businessID}/settings",
            BusinessSettings,
            PartnerApi,
            Iam,
        ),
        route(
            Method::GET,
            "/v1/businesses/{businessID}/stats",
            BusinessStats,
            PartnerApi,
            Iam,
        ),
        route(Method::GET, "/v1/changes", Changes, PartnerApi, Iam),
        route(
            Method::POST,
            "/v1/connections",
            ConnectionStart,
            Connections,
            Iam,
        ),
        route(
            Method::GET,
            "/v1/connections",
            ConnectionList,
            Connections,
            Iam,
        ),
        route(
            Method::GET,
            "/v1/connections/callback",
            ConnectionCallback,
            Connections,
            Public,
        ),
        // After the callback: a request for `/v1/connections/callback` is the callback's (the
        // first route that matches; API Gateway too prefers the literal path).
        route(
            Method::GET,
            "/v1/connections/{userID}",
            ConnectionShow,
            Connections,
            Iam,
        ),
        route(
            Method::POST,
            "/v1/connections/{userID}/sync",
            ConnectionSync,
            Connections,
            Iam,
        ),
        route(
            Method::DELETE,
            "/v1/connections/{userID}",
            ConnectionRemove,
            Connections,
            Iam,
        ),
    ]
};

/// What `request` asks of `function`: the endpoint of the route of `function` its method and
/// path match, or `None`. The path is matched from its end (a REST API may put its stage in
/// front); a parameter matches any one segment (its value comes from the path parameters, as
/// API Gateway decoded them).
pub fn endpoint(function: Function, request: &Request) -> Option<Endpoint> {
    let segments = path_segments(request);
    ROUTES
        .iter()
        .find(|route| {
            route.function == function
                && route.method == request.method()
                && matches(route.path, &segments)
        })
        .map(|route| route.endpoint)
}

fn matches(template: &str, segments: &[&str]) -> bool {
    let template: Vec<&str> = template.split('/').skip(1).collect();
    segments.len() >= template.len()
        && template
            .iter()
            .rev()
            .zip(segments.iter().rev())
            .all(|(want, got)| want.starts_with('{') || want == got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<&str> {
        p.trim_end_matches('/').split('/').collect()
    }

    #[test]
    fn a_path_matches_a_route_from_its_end_whatever_stage_comes_before_it() {
        assert!(matches("/v1/lead", &path("/v1/lead")));
        assert!(matches("/v1/lead", &path("/Prod/v1/lead/")));
        assert!(!matches("/v1/lead", &path("/v1/lead/update")));
        assert!(!matches("/v1/lead", &path("/v1/leads/1")));
        assert!(matches("/v1/leads/{leadID}", &path("/Prod/v1/leads/1")));
        assert!(!matches("/v1/leads/{leadID}", &path("/v1/leads")));
        assert!(matches(
            "/v1/businesses/{businessID}/stats",
            &path("/v1/businesses/b-1/stats")
        ));
        assert!(!matches("/v1/changes", &path("/v1")));
    }

    #[test]
    fn no_two_routes_share_a_method_and_a_path_and_each_delivery_has_one_route() {
        let all: Vec<&ApiRoute> = ROUTES.iter().collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!((&a.method, a.path) != (&b.method, b.path), "{a:?} {b:?}");
            }
        }
        for delivery in Route::ALL {
            let served: Vec<&ApiRoute> = ROUTES
                .iter()
                .filter(|r| r.endpoint == Endpoint::Deliver(delivery))
                .collect();
            assert_eq!(served.len(), 1, "{delivery:?}");
            assert_eq!(served[0].auth, Auth::Basic, "{delivery:?}");
        }
        let webhook: Vec<&ApiRoute> = ROUTES
            .iter()
            .filter(|r| r.endpoint == Endpoint::DeliverWebhook)
            .collect();
        assert_eq!(webhook.len(), 1);
        assert_eq!(webhook[0].auth, Auth::WebhookSecret);
        assert_eq!(webhook[0].function, Function::LeadInbound);
    }
}
