//! `swipeset healthcheck`: asks a running server's `/healthz` and exits 0 only when it
//! answers that it and its database are up. For a container's `HEALTHCHECK`: the runtime
//! image carries no curl, and this reads the same `SWIPESET_ADDR` the server listens on.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};

#[derive(Debug, Clone, clap::Args)]
pub struct HealthcheckArgs {
    /// The address the server listens on; `0.0.0.0` (or `::`) is asked on loopback.
    #[arg(long, env = "SWIPESET_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
}

pub async fn run(args: HealthcheckArgs) -> anyhow::Result<()> {
    let url = format!("http://{}/healthz", reachable(args.addr));
    let response = reqwest::Client::new()
        .get(&url)
        .timeout(Duration::from_secs(args.timeout))
        .send()
        .await
        .with_context(|| format!("no answer from {url}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{url} answered {status}: {body}");
    }
    println!("{body}");
    Ok(())
}

/// Where to ask a server that listens on `addr`.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_loopback_for_a_server_on_every_address() {
        let at = |s: &str| reachable(s.parse().unwrap()).to_string();
        assert_eq!(at("0.0.0.0:7860"), "127.0.0.1:7860");
        assert_eq!(at("[::]:7860"), "[::1]:7860");
        assert_eq!(at("10.0.0.2:80"), "10.0.0.2:80");
    }
}
