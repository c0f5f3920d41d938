//! The REST API under `/v1`: thin handlers that parse, call the store and
//! answer. Unknown `/v1` paths get a JSON 404, not the dashboard's page.
//!
//! Routes are registered through utoipa-axum, so the OpenAPI document at
//! `/v1/openapi.json` is built from the very handlers and types that serve
//! them: an endpoint cannot exist undocumented.

mod alerts;
mod badges;
mod delivery;
mod events;
mod export;
mod health;
mod ingest;
mod jobs;
mod maintenance;
mod pings;
mod query;
pub mod reference;
mod runs;
mod settings;
mod status;
mod stream;
mod workers;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Uri, header};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Telltale",
        description = "Ingest and read API of Telltale, a monitor for batch jobs and their workers. \
                       Forge's `/jobs…` paths are `/v1/runs…` here.",
    ),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

/// The `/v1` routes (to be nested at `/v1`) and their OpenAPI document.
pub fn router(state: &AppState) -> Router<AppState> {
    let (router, doc) = documented_routes().split_for_parts();
    let json: Arc<str> = doc
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        .into();
    router
        .route(
            "/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        json.to_string(),
                    )
                }
            }),
        )
        // The outer metrics layer cannot see a nested route's pattern.
        .route_layer(axum::middleware::from_fn(crate::metrics::http::note_route))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.config.ingest.max_body_bytes))
}

/// The OpenAPI document alone, as served at `/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().split_for_parts().1
}

fn documented_routes() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(ingest::ingest_one, events::list))
        .routes(routes!(ingest::ingest_batch))
        .routes(routes!(runs::list))
        .routes(routes!(runs::active))
        .routes(routes!(runs::failed))
        .routes(routes!(runs::completed))
        .routes(routes!(runs::stats))
        .routes(routes!(runs::detail))
        .routes(routes!(workers::list))
        .routes(routes!(status::summary))
        .routes(routes!(status::jobs))
        .routes(routes!(status::job))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::detail))
        .routes(routes!(alerts::close))
        .routes(routes!(maintenance::list, maintenance::create))
        .routes(routes!(maintenance::delete))
        .routes(routes!(settings::list_keys, settings::create_key))
        .routes(routes!(settings::revoke_key))
        .routes(routes!(settings::list_users, settings::create_user))
        .routes(routes!(settings::delete_user))
        .routes(routes!(settings::reset_password))
        .routes(routes!(settings::set_role))
        .routes(routes!(delivery::get_email, delivery::put_email))
        .routes(routes!(delivery::test_email))
        .routes(routes!(delivery::list_webhooks, delivery::create_webhook))
        .routes(routes!(delivery::update_webhook, delivery::delete_webhook))
        .routes(routes!(delivery::test_webhook))
        .routes(routes!(stream::stream))
        .routes(routes!(export::runs_csv))
        .routes(routes!(export::events_ndjson))
        .routes(routes!(badges::set_public))
        .routes(routes!(pings::get_ping))
        .routes(routes!(pings::regenerate))
        .routes(routes!(jobs::create))
        .routes(routes!(jobs::edit, jobs::delete))
        .routes(routes!(jobs::pause))
        .routes(routes!(jobs::resume))
        .routes(routes!(jobs::retire))
        .routes(routes!(workers::detail, jobs::forget_worker))
        .routes(routes!(jobs::audit));
    // Paths in the document carry the /v1 prefix the server mounts them at.
    let mut doc = ApiDoc::openapi();
    let paths = std::mem::take(&mut doc.paths.paths);
    let mut router = OpenApiRouter::with_openapi(doc).merge(v1);
    let collected = std::mem::take(&mut router.get_openapi_mut().paths.paths);
    router.get_openapi_mut().paths.paths = paths
        .into_iter()
        .chain(
            collected
                .into_iter()
                .map(|(p, item)| (format!("/v1{p}"), item)),
        )
        .collect();
    router
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().to_owned())
}
