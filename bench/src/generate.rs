//! `swipeset-bench --generate`: `swipeset generate` against an OpenAI-compatible server run
//! here that answers every request after 50 ms. 10,000 requests at concurrency 64: the
//! ideal is 10,000 × 50 ms / 64 = 7.81 s; the run's wall time (process start to exit) is
//! reported against it, with the generator's peak RSS.

use std::path::Path;
use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::export::measure;

const LATENCY: Duration = Duration::from_millis(50);
const CONCURRENCY: usize = 64;

async fn answer(Json(body): Json<Value>) -> Json<Value> {
    tokio::time::sleep(LATENCY).await;
    Json(json!({
        "model": body["model"],
        "choices": [{"message": {"role": "assistant", "content": "An answer of a few words."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6},
    }))
}

pub async fn run(dir: &Path, server: &Path, requests: usize) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let app = Router::new().route("/v1/chat/completions", post(answer));
        axum::serve(listener, app).await.ok();
    });

    let url = format!("sqlite://{}", dir.join("generate.db").display());
    let db = swipeset_core::db::connect(&url).await?;
    let campaign = swipeset_core::campaign::create(
        &db,
        swipeset_core::campaign::NewCampaign::new("bench-generate", "Generate"),
    )
    .await?;
    let txn = sea_orm::TransactionTrait::begin(&db).await?;
    for i in 0..requests {
        swipeset_core::campaign::prompts::add(
            &txn,
            campaign.id,
            &format!("Prompt {i}"),
            None,
            None,
        )
        .await?;
    }
    txn.commit().await?;
    db.close().await?;
    let models = dir.join("models.toml");
    std::fs::write(
        &models,
        format!(
            "[[model]]\nname = \"Bench\"\nbase_url = \"http://{addr}/v1\"\nmodel = \"bench\"\nconcurrency = {CONCURRENCY}\n"
        ),
    )?;
    let server = server.to_path_buf();
    let args = [
        "generate".to_string(),
        "--database-url".into(),
        url,
        "--campaign".into(),
        "bench-generate".into(),
        "--models".into(),
        models.display().to_string(),
    ];
    // The polling measurement blocks; the fake server keeps the runtime's other threads.
    let (took, rss_kb, stdout) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        measure(&server, &args)
    })
    .await??;
    let ideal = requests as f64 * LATENCY.as_secs_f64() / CONCURRENCY as f64;
    println!(
        "generate {requests} requests, {} ms each, concurrency {CONCURRENCY}: {took:.2} s, ideal {ideal:.2} s, ratio {:.3}, peak RSS {:.0} MB",
        LATENCY.as_millis(),
        took / ideal,
        rss_kb as f64 / 1024.0
    );
    for line in stdout.lines().take(3) {
        println!("    {line}");
    }
    Ok(())
}
