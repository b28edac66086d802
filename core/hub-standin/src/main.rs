//! `swipeset-hub-standin`: the stand-in Hub as a process, for the browser tests.
//!
//! `swipeset-hub-standin --addr 127.0.0.1:7861 --account hf_token:alice --account hf_read:bob:read`

use clap::Parser;
use swipeset_hub_standin::{Account, HubStandin};

#[derive(Parser)]
struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:7861")]
    addr: std::net::SocketAddr,
    /// TOKEN:USER[:read][:org=NAME...]; a write token unless `:read` is given.
    #[arg(long = "account", required = true)]
    accounts: Vec<String>,
}

fn account(spec: &str) -> anyhow::Result<Account> {
    let mut parts = spec.split(':');
    let (Some(token), Some(user)) = (parts.next(), parts.next()) else {
        anyhow::bail!("--account {spec}: expected TOKEN:USER[:read][:org=NAME]");
    };
    let mut account = Account::writer(token, user);
    for extra in parts {
        match extra.strip_prefix("org=") {
            Some(org) => account.orgs.push(org.to_string()),
            None if extra == "read" => account.write = false,
            None => anyhow::bail!("--account {spec}: unknown part {extra:?}"),
        }
    }
    Ok(account)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let accounts = args
        .accounts
        .iter()
        .map(|s| account(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let hub = HubStandin::start(args.addr, accounts).await?;
    println!("stand-in Hub on {}", hub.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
