//! One loopback server that answers as each provider documents: it checks
//! the method, path, auth, content type, required fields and their types,
//! and the provider's size limits, and refuses what the provider would
//! refuse, in that provider's error format. What it accepted is recorded
//! per provider, so a test can count what each one received.

mod chat;
mod incident;
mod push;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use serde_json::Value;

pub const DISCORD_TOKEN: &str = "dKx9-Discord-Webhook-Token";
pub const TELEGRAM_TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
pub const TELEGRAM_CHAT: &str = "-1001234567890";
pub const GOTIFY_TOKEN: &str = "AbCdEf0123456.x";
pub const PUSHOVER_TOKEN: &str = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";
pub const PUSHOVER_USER: &str = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";
pub const MATRIX_TOKEN: &str = "syt_dGVsbHRhbGU_abcdefghijklmnop_123456";
pub const MATRIX_ROOM: &str = "!ops:example.org";
pub const PAGERDUTY_KEY: &str = "R0123456789ABCDEF0123456789ABCDE";
pub const OPSGENIE_KEY: &str = "eb243592-faa2-4ba2-a551-1afdf565c889";
pub const NTFY_TOKEN: &str = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";
pub const APPRISE_KEY: &str = "telltale";
pub const TEMPLATE_AUTH: &str = "Bearer template-0123456789";

/// One request a provider accepted.
#[derive(Debug, Clone)]
pub struct Got {
    pub provider: &'static str,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
struct State {
    accepted: Vec<Got>,
    /// `(provider, status, what was wrong)` for each refusal.
    refused: Vec<(&'static str, u16, String)>,
    /// Matrix transaction ids seen: a repeat is answered, not posted.
    matrix_txns: HashSet<String>,
}

type Shared = Arc<Mutex<State>>;

#[derive(Clone)]
pub struct Providers {
    pub addr: SocketAddr,
    state: Shared,
}

impl Providers {
    pub async fn start() -> Providers {
        let state = Shared::default();
        let app = Router::new()
            .route("/slack/services/{*rest}", post(chat::slack))
            .route("/discord/api/webhooks/{id}/{token}", post(chat::discord))
            .route("/teams/workflows/{*rest}", post(chat::teams))
            .route("/mattermost/hooks/{key}", post(chat::mattermost))
            .route("/rocketchat/hooks/{id}/{token}", post(chat::rocketchat))
            .route(
                "/googlechat/v1/spaces/{space}/messages",
                post(chat::google_chat),
            )
            .route("/telegram/{bot}/sendMessage", post(push::telegram))
            .route("/ntfy/", post(push::ntfy))
            .route("/gotify/message", post(push::gotify))
            .route("/pushover/1/messages.json", post(push::pushover))
            .route(
                "/matrix/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}",
                put(push::matrix),
            )
            .route("/apprise/notify/{key}", post(push::apprise))
            .route("/pagerduty/v2/enqueue", post(incident::pagerduty))
            .route("/opsgenie/v2/alerts", post(incident::opsgenie_create))
            .route(
                "/opsgenie/v2/alerts/{alias}/close",
                post(incident::opsgenie_close),
            )
            .route("/template/hook", axum::routing::any(incident::template))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind providers");
        let addr = listener.local_addr().expect("providers addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Providers { addr, state }
    }

    /// `http://127.0.0.1:port/<provider path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn accepted(&self, provider: &str) -> Vec<Got> {
        let s = self.state.lock().unwrap();
        s.accepted
            .iter()
            .filter(|g| g.provider == provider)
            .cloned()
            .collect()
    }

    pub fn refused(&self) -> Vec<(&'static str, u16, String)> {
        self.state.lock().unwrap().refused.clone()
    }
}

/// What a handler is given, parsed.
pub(super) struct Req {
    provider: &'static str,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
}

/// The provider is the path's first segment (each has its own prefix).
impl<S: Send + Sync> axum::extract::FromRequest<S> for Req {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let uri = req.uri().clone();
        let headers = req.headers().clone();
        let first = uri.path().split('/').nth(1).unwrap_or_default().to_owned();
        // Each provider's path prefix is its format's name.
        let provider = telltale_model::WebhookFormat::ALL
            .into_iter()
            .map(|f| f.as_str())
            .find(|n| *n == first)
            .unwrap_or("unknown");
        let raw = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            provider,
            uri,
            headers,
            raw,
        })
    }
}

impl Req {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn is_json(&self) -> bool {
        self.header("content-type").starts_with("application/json")
    }

    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.raw).ok()
    }

    fn query(&self, key: &str) -> Option<String> {
        url::form_urlencoded::parse(self.uri.query().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

/// Records a refusal and answers it.
fn refuse(state: &Shared, r: &Req, status: u16, why: &str, body: Response) -> Response {
    state
        .lock()
        .unwrap()
        .refused
        .push((r.provider, status, why.to_owned()));
    let mut response = body;
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
}

/// Records an acceptance and answers it.
fn accept(state: &Shared, r: &Req, body: Value, answer: Response) -> Response {
    state.lock().unwrap().accepted.push(Got {
        provider: r.provider,
        path: r.uri.path().to_owned(),
        query: r.uri.query().unwrap_or_default().to_owned(),
        headers: r.headers.clone(),
        body,
    });
    answer
}

fn text(s: &str) -> Response {
    s.to_owned().into_response()
}

fn json(v: Value) -> Response {
    axum::Json(v).into_response()
}

/// Characters of a string field (0 when absent or not a string).
fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}
