//! `swipeset-standins`: the stand-ins as a process, for the browser tests.
//!
//! `swipeset-standins --hub-addr 127.0.0.1:7861 --account hf_token:alice --account hf_read:bob:read
//!  --openai-addr 127.0.0.1:7862`

use clap::Parser;
use swipeset_standins::{Account, HubStandin, OpenAiStandin};

#[derive(Parser)]
struct Args {
    /// Where the stand-in Hub listens.
    #[arg(long)]
    hub_addr: Option<std::net::SocketAddr>,
    /// A Hub account: TOKEN:USER[:read][:org=NAME...]; a write token unless `:read`.
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// Where the stand-in OpenAI-compatible endpoint listens (`/v1/chat/completions`).
    #[arg(long)]
    openai_addr: Option<std::net::SocketAddr>,
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
    anyhow::ensure!(
        args.hub_addr.is_some() || args.openai_addr.is_some(),
        "give --hub-addr, --openai-addr or both"
    );
    let accounts = args
        .accounts
        .iter()
        .map(|s| account(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let _hub = match args.hub_addr {
        Some(addr) => {
            let hub = HubStandin::start(addr, accounts).await?;
            println!("stand-in Hub on {}", hub.url());
            Some(hub)
        }
        None => None,
    };
    let _openai = match args.openai_addr {
        Some(addr) => {
            let openai = OpenAiStandin::start(addr).await?;
            println!("stand-in OpenAI endpoint on {}", openai.base_url());
            Some(openai)
        }
        None => None,
    };
    tokio::signal::ctrl_c().await?;
    Ok(())
}
