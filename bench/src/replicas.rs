//! The servers under load: one `swipeset serve` on SQLite, or several replicas on one
//! PostgreSQL database (`--postgres URL --replicas N`), with requests spread over them as
//! a load balancer without sticky sessions spreads them.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use tokio::process::Child;

/// Where requests go: each call to [`Balancer::next`] is the next replica in turn.
#[derive(Debug)]
pub struct Balancer {
    bases: Vec<String>,
    turn: AtomicUsize,
}

impl Balancer {
    pub fn new(bases: Vec<String>) -> Self {
        assert!(!bases.is_empty(), "at least one server");
        Self {
            bases,
            turn: AtomicUsize::new(0),
        }
    }

    /// The base URL for the next request.
    pub fn next(&self) -> &str {
        &self.bases[self.turn.fetch_add(1, Ordering::Relaxed) % self.bases.len()]
    }

    pub fn first(&self) -> &str {
        &self.bases[0]
    }

    pub fn last(&self) -> &str {
        &self.bases[self.bases.len() - 1]
    }

    pub fn len(&self) -> usize {
        self.bases.len()
    }
}

/// A new database on the PostgreSQL server of `server_url` (a URL to any database there
/// the benchmark may create databases from), and its URL.
pub async fn fresh_postgres(server_url: &str) -> anyhow::Result<String> {
    use sea_orm::ConnectionTrait;
    let name = format!(
        "swipeset_bench_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let admin = swipeset_core::db::connect_without_migrations(server_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .context("creating the benchmark's database")?;
    admin.close().await?;
    Ok(swipeset_core::db::with_database_name(server_url, &name))
}

/// One `swipeset serve` on `url` with guests on, logging to `log`; its base URL once it
/// answers `/healthz`.
pub async fn start(
    server: &Path,
    url: &str,
    pool: Option<u32>,
    closed_loop: bool,
    log: &Path,
) -> anyhow::Result<(Child, String)> {
    let port = crate::free_port()?;
    let mut command = tokio::process::Command::new(server);
    // Raters rate as guests (a cookie each), the lightest way in: what is measured is
    // the rating path itself.
    command
        .args([
            "serve",
            "--guests",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
            // The load generator is one address with thousands of streams.
            "--max-event-streams-per-client",
            "1000000",
            "--max-event-streams",
            "1000000",
            // Each simulated rater says its own address (`crate::rater_client`), so the
            // limits on new guests per address apply to them one by one, at their defaults.
            "--trust-proxy",
        ])
        .env(
            "RUST_LOG",
            std::env::var("SWIPESET_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_string()),
        )
        .stdout(Stdio::from(std::fs::File::create(log)?))
        .kill_on_drop(true);
    if closed_loop {
        command.args([
            "--rating-requests-per-minute",
            "100000000",
            "--rating-burst",
            "100000",
        ]);
    }
    if let Some(pool) = pool {
        command.args(["--database-pool", &pool.to_string()]);
    }
    let child = command.spawn().with_context(|| {
        format!(
            "cannot start {} (build it with cargo build --release -p swipeset-server)",
            server.display()
        )
    })?;
    let base = format!("http://127.0.0.1:{port}");
    crate::wait_healthy(&base).await?;
    Ok((child, base))
}

/// Where replica `i` logs.
pub fn log_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("server-{i}.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_go_round_the_replicas() {
        let balancer = Balancer::new(vec!["a".into(), "b".into()]);
        let turns: Vec<&str> = (0..4).map(|_| balancer.next()).collect();
        assert_eq!(turns, ["a", "b", "a", "b"]);
        assert_eq!((balancer.first(), balancer.last()), ("a", "b"));
    }
}
