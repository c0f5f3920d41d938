//! A small SMTP server (RFC 5321's receiving side, enough for lettre):
//! records every message; can be told to answer RCPT with an error code
//! for the next sessions.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as received (dot-unstuffed).
    pub data: String,
}

impl Mail {
    pub fn subject(&self) -> String {
        self.data
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Default)]
struct State {
    mails: Vec<Mail>,
    /// Replies to RCPT for the next sessions (`550 …`, `451 …`).
    refusals: VecDeque<String>,
    sessions: usize,
}

#[derive(Clone)]
pub struct SmtpReceiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl SmtpReceiver {
    pub async fn start() -> SmtpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let addr = listener.local_addr().expect("smtp addr");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = session(socket, state).await;
                });
            }
        });
        SmtpReceiver { addr, state }
    }

    /// `smtp://127.0.0.1:<port>` (plain: it is loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Answer RCPT with `reply` (`"451 4.3.0 try later"`) in the next
    /// `times` sessions.
    pub fn refuse(&self, reply: &str, times: usize) {
        let mut s = self.state.lock().unwrap();
        for _ in 0..times {
            s.refusals.push_back(reply.to_owned());
        }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.state.lock().unwrap().mails.clone()
    }

    pub fn sessions(&self) -> usize {
        self.state.lock().unwrap().sessions
    }
}

async fn session(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let refusal = {
        let mut s = state.lock().unwrap();
        s.sessions += 1;
        s.refusals.pop_front()
    };
    write.write_all(b"220 receiver.test ESMTP\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-receiver.test\r\n250 8BITMIME".to_owned()
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_owned();
            "250 2.1.0 OK".to_owned()
        } else if upper.starts_with("RCPT TO:") {
            match &refusal {
                Some(r) => r.clone(),
                None => {
                    to.push(line[8..].trim().to_owned());
                    "250 2.1.5 OK".to_owned()
                }
            }
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                let l = l.strip_prefix('.').unwrap_or(&l);
                data.push_str(l);
                data.push('\n');
            }
            state.lock().unwrap().mails.push(Mail {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            "250 2.0.0 queued".to_owned()
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            "250 OK".to_owned()
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
    Ok(())
}
