//! The real `swipeset` binary under load, for the tests that kill it or copy its database
//! while it serves: start it on a free port, and raters that rate through the HTTP API and
//! record every rating the server acknowledged.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use swipeset_core::DatabaseConnection;
use swipeset_core::accounts::{Role, tokens, users};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// A rating the server answered 200 to: (user, response) → label.
pub type Acknowledged = Arc<Mutex<HashMap<(i32, i32), bool>>>;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `bin serve` on `url`, once it answers `/healthz`.
pub async fn start(bin: &str, url: &str, port: u16) -> Child {
    start_with(bin, url, port, &[], &[]).await
}

/// `bin serve` on `url` with more arguments and environment, once it answers `/healthz`.
pub async fn start_with(
    bin: &str,
    url: &str,
    port: u16,
    args: &[&str],
    env: &[(&str, &str)],
) -> Child {
    let child = Command::new(bin)
        .args(["serve", "--database-url", url, "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--site-root", "target/site"])
        .args(args)
        .env("SWIPESET_ADMIN_PASSWORD", "crash-test-admin-password")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        // `SWIPESET_TEST_SERVER_OUTPUT=1` shows what the servers print, to debug a test.
        .stdout(server_output())
        .stderr(server_output())
        .kill_on_drop(true)
        .spawn()
        .expect("start swipeset serve");
    let health = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..300 {
        if reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("swipeset serve did not answer /healthz on port {port}");
}

fn server_output() -> Stdio {
    if std::env::var_os("SWIPESET_TEST_SERVER_OUTPUT").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

/// Sends SIGTERM, as a container platform stops a Space, and waits for a clean exit.
pub async fn stop(mut server: Child) {
    let pid = server.id().expect("running").to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), server.wait())
        .await
        .expect("serve stops within a minute")
        .expect("exit status");
    assert!(exit.success(), "{exit}");
}

/// One rater: takes cards and rates them until none are left or the server goes away.
pub async fn rate_until_stopped(base: String, token: String, user_id: i32, acked: Acknowledged) {
    let client = super::bearer_client(&token);
    let mut cards: Vec<i64> = Vec::new();
    let mut n = 0u64;
    loop {
        let Some(id) = cards.pop() else {
            let Ok(res) = client
                .post(format!("{base}/api/next_cards"))
                .json(&json!({"count": 4, "holding": []}))
                .send()
                .await
            else {
                return;
            };
            let Ok(body) = res.json::<Value>().await else {
                return;
            };
            let dealt: Vec<i64> = body["cards"]
                .as_array()
                .map(|c| c.iter().filter_map(|c| c["response_id"].as_i64()).collect())
                .unwrap_or_default();
            if dealt.is_empty() {
                return; // all rated
            }
            cards = dealt;
            continue;
        };
        n += 1;
        let up = (n + user_id as u64).is_multiple_of(3);
        let label = if up { "up" } else { "down" };
        let Ok(res) = client
            .post(format!("{base}/api/rate"))
            .json(&json!({"response_id": id, "label": label}))
            .send()
            .await
        else {
            return;
        };
        if !res.status().is_success() {
            continue;
        }
        let Ok(body) = res.json::<Value>().await else {
            return; // killed while answering: not acknowledged
        };
        if body["status"] == "recorded" {
            let stored = body["label"] == "up";
            swipeset_core::sync::lock(&acked).insert((user_id, id as i32), stored);
        }
    }
}

/// `count` annotator accounts (`rater0`…), each with an API token: (user id, token).
pub async fn raters(db: &DatabaseConnection, count: usize) -> Vec<(i32, String)> {
    let mut raters = Vec::new();
    for i in 0..count {
        let user = users::create(db, &format!("rater{i}"), super::PASSWORD, Role::Annotator)
            .await
            .expect("rater");
        let (_, token) = tokens::create(db, user.id, "load").await.expect("token");
        raters.push((user.id, token));
    }
    raters
}

/// Every rater rating at once against `base` until the cards run out or the server goes.
pub fn load(base: &str, raters: &[(i32, String)], acked: &Acknowledged) -> Vec<JoinHandle<()>> {
    raters
        .iter()
        .map(|(id, token)| {
            tokio::spawn(rate_until_stopped(
                base.to_string(),
                token.clone(),
                *id,
                Arc::clone(acked),
            ))
        })
        .collect()
}

/// `bin stats rebuild --check` on `url`: the counters kept with each rating must equal a
/// recount. `context` names the trial in the failure.
pub async fn assert_counters_match(bin: &str, url: &str, context: &str) {
    let check = Command::new(bin)
        .args(["stats", "rebuild", "--check", "--database-url", url])
        .output()
        .await
        .expect("stats rebuild --check");
    assert!(
        check.status.success(),
        "{context}: the counters drifted from a recount: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
