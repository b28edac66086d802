//! One chat completion from an OpenAI-compatible endpoint, with the retry rules users rely
//! on: 408, 409, 429, 5xx and connection errors are tried again after an exponential,
//! jittered pause (or the server's `Retry-After`), any other 4xx is not, and an answer that
//! is malformed, empty or cut off comes back as a failure with its reason, never dropped.

use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};

use super::config::ModelSpec;

/// How long to wait between tries.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The pause after the first failure; it doubles each time, up to `cap`.
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// Full jitter: a random pause up to the exponential bound, so many workers hit by
    /// the same 429 do not come back in step.
    fn pause(&self, failures: u32) -> Duration {
        let bound = self
            .base
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)))
            .min(self.cap);
        let millis = bound.as_millis().max(1) as u64;
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// What one (prompt, model, sample) ended with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// The response; also kept for a cut-off failure.
    pub text: Option<String>,
    /// `None` when the answer is usable; otherwise why not.
    pub failure: Option<String>,
    pub served_model: Option<String>,
    pub finish_reason: Option<String>,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    /// Of the last try.
    pub latency_ms: i32,
    pub attempts: u32,
}

enum Try {
    Answered(Answer),
    /// Worth another try; with the server's requested pause, if it gave one.
    Retry(String, Option<Duration>),
    Give(String),
}

/// Asks `spec` for a completion of `messages` (role, content), trying up to
/// `spec.max_attempts` times.
pub async fn ask(
    http: &reqwest::Client,
    spec: &ModelSpec,
    api_key: Option<&str>,
    messages: &[(&str, &str)],
    backoff: Backoff,
) -> Answer {
    let url = format!("{}/chat/completions", spec.base_url.trim_end_matches('/'));
    let mut body = json!({
        "model": spec.model,
        "messages": messages
            .iter()
            .map(|(role, content)| json!({"role": role, "content": content}))
            .collect::<Vec<_>>(),
        "stream": false,
    });
    if let (Value::Object(map), Ok(Value::Object(sampling))) =
        (&mut body, serde_json::to_value(spec.sampling()))
    {
        map.extend(sampling);
    }
    let mut last_reason = String::new();
    for attempt in 1..=spec.max_attempts {
        let started = Instant::now();
        let outcome = once(http, &url, spec, api_key, &body).await;
        let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        match outcome {
            Try::Answered(mut answer) => {
                answer.latency_ms = latency_ms;
                answer.attempts = attempt;
                return answer;
            }
            Try::Give(reason) => {
                return Answer {
                    failure: Some(reason),
                    latency_ms,
                    attempts: attempt,
                    ..Answer::default()
                };
            }
            Try::Retry(reason, asked) => {
                last_reason = reason;
                if attempt < spec.max_attempts {
                    let pause = asked
                        .map(|d| d.min(backoff.cap.max(Duration::from_secs(120))))
                        .unwrap_or_else(|| backoff.pause(attempt));
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }
    Answer {
        failure: Some(format!(
            "gave up after {} tries: {last_reason}",
            spec.max_attempts
        )),
        attempts: spec.max_attempts,
        ..Answer::default()
    }
}

async fn once(
    http: &reqwest::Client,
    url: &str,
    spec: &ModelSpec,
    api_key: Option<&str>,
    body: &Value,
) -> Try {
    let mut request = http.post(url).timeout(spec.timeout()).json(body);
    if let Some(key) = api_key {
        request = request.bearer_auth(key);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Try::Retry(format!("no answer within {} s", spec.timeout_secs), None);
        }
        Err(e) => return Try::Retry(format!("connection failed: {e}"), None),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) if e.is_timeout() => {
            return Try::Retry(format!("no answer within {} s", spec.timeout_secs), None);
        }
        Err(e) => return Try::Retry(format!("the answer broke off: {e}"), None),
    };
    if !status.is_success() {
        let reason = format!("HTTP {}: {}", status.as_u16(), excerpt(&text));
        let code = status.as_u16();
        return if matches!(code, 408 | 409 | 429) || status.is_server_error() {
            Try::Retry(reason, retry_after)
        } else {
            Try::Give(reason)
        };
    }
    Try::Answered(read_answer(&text))
}

fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// Reads a chat-completions body; anything unusable becomes a failure with its reason.
fn read_answer(text: &str) -> Answer {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Answer {
                failure: Some(format!("malformed response ({e}): {}", excerpt(text))),
                ..Answer::default()
            };
        }
    };
    let choice = &value["choices"][0];
    let content = choice["message"]["content"].as_str().map(str::to_string);
    let finish_reason = choice["finish_reason"].as_str().map(str::to_string);
    let tokens = |name: &str| {
        value["usage"][name]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
    };
    let mut answer = Answer {
        served_model: value["model"].as_str().map(str::to_string),
        prompt_tokens: tokens("prompt_tokens"),
        completion_tokens: tokens("completion_tokens"),
        finish_reason: finish_reason.clone(),
        text: content.clone(),
        ..Answer::default()
    };
    answer.failure = match (&content, finish_reason.as_deref()) {
        (None, _) => Some(format!(
            "malformed response: no choices[0].message.content: {}",
            excerpt(text)
        )),
        (Some(c), _) if c.trim().is_empty() => Some("empty response".to_string()),
        (Some(_), Some("length")) => Some("cut off (finish_reason: length)".to_string()),
        _ => None,
    };
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_answers_say_why() {
        assert!(
            read_answer("{not json")
                .failure
                .unwrap()
                .starts_with("malformed response")
        );
        let empty =
            read_answer(r#"{"choices":[{"message":{"content":"  "},"finish_reason":"stop"}]}"#);
        assert_eq!(empty.failure.as_deref(), Some("empty response"));
        let cut = read_answer(
            r#"{"choices":[{"message":{"content":"Once upon"},"finish_reason":"length"}]}"#,
        );
        assert_eq!(
            cut.failure.as_deref(),
            Some("cut off (finish_reason: length)")
        );
        assert_eq!(cut.text.as_deref(), Some("Once upon"));
        let ok = read_answer(
            r#"{"model":"served","choices":[{"message":{"content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#,
        );
        assert_eq!(ok.failure, None);
        assert_eq!((ok.prompt_tokens, ok.completion_tokens), (Some(5), Some(1)));
        assert_eq!(ok.served_model.as_deref(), Some("served"));
    }

    #[test]
    fn pauses_grow_and_stay_under_the_cap() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(400),
        };
        for failures in 1..10 {
            let bound = Duration::from_millis((100u64 << (failures - 1)).min(400));
            assert!(backoff.pause(failures) <= bound);
        }
    }
}
