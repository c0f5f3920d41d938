//! An HTTP receiver for webhooks: checks `X-Telltale-Signature` against
//! its secret (HMAC-SHA256 over `timestamp.body`, computed here, not by the
//! code under test) and can be told to answer the next requests with a
//! status, or to hang.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State as Ext;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Never answers.
    Hang,
}

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
}

async fn receive(
    Ext(state): Ext<Arc<Mutex<State>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let (answer, secret) = {
        let mut s = state.lock().unwrap();
        s.requests += 1;
        (s.script.pop_front(), s.secret.clone())
    };
    match answer {
        Some(Answer::Hang) => std::future::pending::<StatusCode>().await,
        Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap(),
        None => {
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
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            state.lock().unwrap().accepted.push(Received {
                headers,
                body,
                signature_ok,
            });
            StatusCode::NO_CONTENT
        }
    }
}
