//! A stand-in for an OpenAI-compatible chat completions endpoint
//! (`POST {base}/chat/completions`), behaving by the requested model's name, so one server
//! plays every kind of model a test needs:
//!
//! - `flaky`: 429 with `Retry-After: 0` twice per prompt, then an answer;
//! - `broken`: 500 until [`OpenAiStandin::heal`] (or `POST /_standin/heal`);
//! - `rejecting`: 400; `garbled`: malformed JSON; `silent`: an empty answer; `cut`: an
//!   answer cut off by the length limit (`finish_reason: length`);
//! - `system`: answers with the system message it was sent;
//! - `echo-messages`: answers with every message it was sent, `role: content` a line;
//! - `slow`: answers after 40 ms, `slow-N` after N ms; anything else after 1 ms,
//!   `"<model> answers <prompt>"`.
//!
//! It counts requests and the most it had in flight at once, for concurrency caps.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

#[derive(Default)]
struct Counters {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    requests: AtomicUsize,
    /// Tries per prompt, for `flaky`.
    tries: Mutex<HashMap<String, usize>>,
    /// `broken` answers 500 until this is set.
    healed: AtomicBool,
}

/// The endpoint, serving on a local port until dropped.
pub struct OpenAiStandin {
    counters: Arc<Counters>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl OpenAiStandin {
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let counters = Arc::new(Counters::default());
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .route("/_standin/heal", post(heal))
            .with_state(counters.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            counters,
            addr,
            server,
        })
    }

    /// On any free local port.
    pub async fn local() -> Self {
        Self::start("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("binding a local port")
    }

    /// The `base_url` for `models.toml`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    pub fn most_in_flight(&self) -> usize {
        self.counters.most_in_flight.load(Ordering::SeqCst)
    }

    /// `broken` answers from now on.
    pub fn heal(&self) {
        self.counters.healed.store(true, Ordering::SeqCst);
    }
}

impl Drop for OpenAiStandin {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn heal(State(counters): State<Arc<Counters>>) -> StatusCode {
    counters.healed.store(true, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

fn delay(model: &str) -> Duration {
    let ms = match model.strip_prefix("slow") {
        Some(rest) => rest
            .strip_prefix('-')
            .and_then(|n| n.parse().ok())
            .unwrap_or(40),
        None => 1,
    };
    Duration::from_millis(ms)
}

async fn complete(State(counters): State<Arc<Counters>>, Json(body): Json<Value>) -> Response {
    counters.requests.fetch_add(1, Ordering::SeqCst);
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.most_in_flight.fetch_max(now, Ordering::SeqCst);
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let prompt = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    tokio::time::sleep(delay(&model)).await;
    let ok = |content: &str, finish: &str| {
        Json(json!({
            "model": format!("{model}-served"),
            "choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
        }))
        .into_response()
    };
    let response = match model.as_str() {
        "flaky" => {
            let tries = {
                let mut tries = counters.tries.lock().unwrap_or_else(|p| p.into_inner());
                let n = tries.entry(prompt.clone()).or_default();
                *n += 1;
                *n
            };
            if tries <= 2 {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "0")],
                    "slow down",
                )
                    .into_response()
            } else {
                ok(&format!("flaky answer to {prompt}"), "stop")
            }
        }
        "broken" if !counters.healed.load(Ordering::SeqCst) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response()
        }
        "rejecting" => (StatusCode::BAD_REQUEST, "{\"error\": \"bad model\"}").into_response(),
        "garbled" => (StatusCode::OK, "{\"choices\": [").into_response(),
        "silent" => ok("", "stop"),
        "cut" => ok("Once upon a", "length"),
        "system" => ok(
            body["messages"][0]["content"].as_str().unwrap_or_default(),
            "stop",
        ),
        "echo-messages" => {
            let lines: Vec<String> = body["messages"]
                .as_array()
                .map(|messages| {
                    messages
                        .iter()
                        .map(|m| {
                            format!(
                                "{}: {}",
                                m["role"].as_str().unwrap_or_default(),
                                m["content"].as_str().unwrap_or_default()
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            ok(&lines.join("\n"), "stop")
        }
        _ => ok(&format!("{model} answers {prompt}"), "stop"),
    };
    counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}
