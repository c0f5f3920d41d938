//! An HTTP receiver for webhooks: checks `X-Telltale-Signature` against
//! its secret (HMAC-SHA256 over `timestamp.body`, computed here, not by the
//! code under test) and can be told to answer the next requests with a
//! status, with a huge body, or to hang.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State as Ext;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Answers `status` with a body of `bytes` bytes of `x`, made as it is
    /// sent (never held in memory), until done or the client hangs up.
    Huge {
        status: u16,
        bytes: u64,
    },
    /// Never answers.
    Hang,
}

/// The piece a huge answer is made of.
static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Value,
    pub signature_ok: bool,
}

#[derive(Default)]
struct State {
    secret: String,
    script: VecDeque<Answer>,
    /// Requests answered 2xx.
    accepted: Vec<Received>,
    /// Every request, however it was answered.
    seen: Vec<Received>,
    requests: usize,
}

#[derive(Clone)]
pub struct HookReceiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl HookReceiver {
    pub async fn start(secret: &str) -> HookReceiver {
        let state = Arc::new(Mutex::new(State {
            secret: secret.to_owned(),
            ..Default::default()
        }));
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        HookReceiver { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// How to answer the next requests, in order; then 200.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.lock().unwrap().script.extend(answers);
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.state.lock().unwrap().accepted.clone()
    }

    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    /// Every request so far, answered 2xx or not (a hung one too).
    pub fn seen(&self) -> Vec<Received> {
        self.state.lock().unwrap().seen.clone()
    }
}

async fn receive(Ext(state): Ext<Arc<Mutex<State>>>, headers: HeaderMap, body: Bytes) -> Response {
    let (answer, secret) = {
        let mut s = state.lock().unwrap();
        s.requests += 1;
        (s.script.pop_front(), s.secret.clone())
    };
    let timestamp = headers
        .get("x-telltale-timestamp")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let signature_ok = headers
        .get("x-telltale-signature")
        .and_then(|v| v.to_str().ok())
        == Some(expected.as_str());
    let received = Received {
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signature_ok,
    };
    state.lock().unwrap().seen.push(received.clone());
    match answer {
        Some(Answer::Hang) => std::future::pending::<Response>().await,
        Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
        Some(Answer::Huge { status, bytes }) => {
            let chunks = bytes.div_ceil(CHUNK.len() as u64);
            let stream = futures_util::stream::iter(
                (0..chunks).map(|_| Ok::<_, std::convert::Infallible>(Bytes::from_static(&CHUNK))),
            );
            (
                StatusCode::from_u16(status).unwrap(),
                Body::from_stream(stream),
            )
                .into_response()
        }
        None => {
            state.lock().unwrap().accepted.push(received);
            StatusCode::NO_CONTENT.into_response()
        }
    }
}
