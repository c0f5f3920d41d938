//! The route table and the middleware stack every request passes.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{get, post};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use telltale_app::{App, shell};
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};

use crate::auth::{access, headers, login};
use crate::metrics;
use crate::state::AppState;
use crate::{api, edge, site};

/// The app's routes, generated once per process. Generating them sets a
/// process-global flag under which any resource first polled meanwhile waits
/// forever (leptos #4773): a second server started in the same process (the
/// tests start dozens) would hang a page another one is rendering. Once
/// generated, no later start-up renders the app again.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// tower-http's default compresses anything over 32 bytes: every ingest
/// answer (`{"inserted":1,…}`, 43 bytes) to a client that accepts gzip, as
/// Python's `requests` does, for a body no smaller and a compressor set up
/// per response. Pages, lists and exports are still compressed; the live
/// stream and images never.
fn worth_compressing() -> impl Predicate {
    SizeAbove::new(1024)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
}

/// The whole middleware stack and route table, top to bottom.
pub(super) fn build_router(state: AppState) -> Router {
    let routes = route_list();
    let core = state.core.clone();
    let options = state.leptos_options.clone();
    let split_manifest = state.site.split_manifest();
    // Every route, the fallback included, sits behind the same stack. Read
    // bottom-up for the order a request meets it:
    // - metrics (latency and status of every answer, these layers' own too),
    //   then trace;
    // - security headers, outside everything that can answer on its own, so
    //   no answer goes without them;
    // - JSON errors: the plain-text 413, 408, 500 or 503 of a layer or an
    //   extractor below gets the API's error shape;
    // - panics: a handler, server function or layer below that panics gets
    //   a 500 JSON answer, and the connection lives on;
    // - the timeout (503), then the request slots (a request waits for one;
    //   sign-ins skip them, see `edge::slots`), the body limit (413),
    //   compression, access control (CSRF + access table), the test-only
    //   fault hook, and routing.
    let body_limit = state.config.ingest.max_body_bytes.saturating_add(64 * 1024);
    let slots = edge::Slots::new(state.config.max_concurrent_requests);
    let timeout = state.config.request_timeout;
    let api_page: Arc<str> =
        api::reference::render(&serde_json::to_value(api::openapi()).unwrap_or_default()).into();
    Router::new()
        .nest("/v1", api::router(&state))
        .merge(crate::badge::router())
        .merge(crate::ping::router())
        .route("/auth/login", post(login::login))
        .route("/auth/logout", post(login::logout))
        .route("/metrics", get(metrics::serve))
        .route(
            "/docs/api",
            get(move || std::future::ready(reference(&api_page))),
        )
        // Forge served its dashboard at /monitor; old bookmarks land on the overview.
        .route("/monitor", get(|| async { Redirect::permanent("/") }))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(core.clone());
                // leptos reads it from disk; an embedded site has none there.
                if let Some(manifest) = &split_manifest {
                    provide_context(manifest.clone());
                }
            },
            move || shell(options.clone()),
        )
        .fallback(site::file_or_not_found)
        .layer(middleware::from_fn_with_state(state.clone(), edge::fault))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access::enforce,
        ))
        .layer(CompressionLayer::new().compress_when(worth_compressing()))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(middleware::from_fn_with_state(slots, edge::slots))
        .layer(middleware::from_fn_with_state(timeout, edge::timeout))
        .layer(CatchPanicLayer::custom(edge::panic_answer(
            state.metrics.clone(),
        )))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            edge::json_errors,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), headers::add))
        .layer(trace_layer(state.config.access_log))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::http::track,
        ))
        // Outermost: every request has an id before anything logs, and
        // every answer carries it back, errors and refusals included.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

type MakeRequestSpan = fn(&Request<Body>) -> tracing::Span;
type RequestTrace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    MakeRequestSpan,
    DefaultOnRequest,
    DefaultOnResponse,
>;

/// A span per request naming its method, path and request id, so every log
/// line written while serving it can be found by the id the client got;
/// with `access_log`, one line per answer (status, latency) at info.
fn trace_layer(access_log: bool) -> RequestTrace {
    let level = if access_log {
        tracing::Level::INFO
    } else {
        tracing::Level::DEBUG
    };
    TraceLayer::new_for_http()
        .make_span_with(request_span as MakeRequestSpan)
        .on_request(DefaultOnRequest::new().level(tracing::Level::DEBUG))
        .on_response(
            DefaultOnResponse::new()
                .level(level)
                .latency_unit(LatencyUnit::Millis),
        )
}

fn request_span(req: &Request<Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %id,
    )
}

fn reference(page: &Arc<str>) -> axum::response::Response {
    api::reference::page(page)
}
