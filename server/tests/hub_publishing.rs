//! The Hub from the command line and from `serve`, against the stand-in Hub: `swipeset
//! publish` (one commit, none for unchanged data, clear errors for a bad or missing token),
//! and `serve --publish-every --publish-repo`, which restores a new database from the last
//! snapshot at start, takes a last snapshot when stopped, and refuses to start empty when
//! the snapshot cannot be read.

mod common;

use std::sync::Arc;

use common::binary::{Acknowledged, free_port, rate_until_stopped, raters, start_with, stop};
use sea_orm::{EntityTrait, PaginatorTrait};
use swipeset_core::db::entities::rating;
use swipeset_core::hub::snapshot::publish_snapshot;
use swipeset_core::hub::{HubClient, RepoId};
use swipeset_standins::HubStandin;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_swipeset");
const TOKEN: &str = "hf_test_token";

/// The demo campaign with every response rated by two raters (through the rating path).
async fn rated_demo() -> (common::TestDb, Vec<(i32, String)>) {
    let test_db = common::Backend::Sqlite.fresh().await;
    let db = &test_db.db;
    swipeset_core::campaign::demo::load(db).await.expect("demo");
    let raters = raters(db, 3).await;
    let store = swipeset_core::Store::new(db.clone());
    let responses = swipeset_core::db::entities::generation::Entity::find()
        .all(db)
        .await
        .unwrap();
    for (i, response) in responses.iter().enumerate() {
        for (n, (user, _)) in raters.iter().take(2).enumerate() {
            let label = if (i + n) % 3 == 0 {
                swipeset_core::Label::Down
            } else {
                swipeset_core::Label::Up
            };
            swipeset_core::rating::rate::rate(
                &store,
                *user,
                swipeset_core::rating::rate::NewRating::new(response.id, label),
            )
            .await
            .unwrap();
        }
    }
    (test_db, raters)
}

async fn publish(
    url: &str,
    hub: &HubStandin,
    token: Option<&str>,
    home: &std::path::Path,
) -> (bool, String, String) {
    let mut command = Command::new(BIN);
    command
        .args(["publish", "--database-url", url, "--campaign", "haiku-demo"])
        .args(["--repo", "tester/haiku-kto", "--private", "--hub-endpoint"])
        .arg(hub.url())
        .env_remove("HF_TOKEN")
        .env_remove("HF_HOME")
        .env_remove("HF_TOKEN_PATH")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", home);
    if let Some(token) = token {
        command.env("HF_TOKEN", token);
    }
    let output = command.output().await.expect("swipeset publish");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn publish_pushes_one_commit_and_none_for_unchanged_data() {
    let (test_db, _) = rated_demo().await;
    let hub = HubStandin::local().await;
    let home = tempfile::tempdir().unwrap();

    let (ok, out, err) = publish(&test_db.url, &hub, Some(TOKEN), home.path()).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("(new repository)"), "{out}");
    assert!(
        out.contains(&format!(
            "commit: {}/datasets/tester/haiku-kto/commit/",
            hub.url()
        )),
        "{out}"
    );
    assert!(out.contains("load_dataset(\"tester/haiku-kto\""), "{out}");
    assert_eq!(hub.commits("tester/haiku-kto").len(), 2);
    assert_eq!(hub.is_private("tester/haiku-kto"), Some(true));

    let (ok, out, err) = publish(&test_db.url, &hub, Some(TOKEN), home.path()).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("holds this data already: no new commit"),
        "{out}"
    );
    assert_eq!(hub.commits("tester/haiku-kto").len(), 2);

    let (ok, _, err) = publish(&test_db.url, &hub, Some("hf_revoked"), home.path()).await;
    assert!(!ok);
    assert!(
        err.contains("publishing campaign `haiku-demo` to tester/haiku-kto"),
        "{err}"
    );
    assert!(err.contains("401 Unauthorized"), "{err}");

    // No token anywhere, then the one `huggingface-cli login` saves.
    let (ok, _, err) = publish(&test_db.url, &hub, None, home.path()).await;
    assert!(!ok);
    assert!(err.contains("no Hugging Face token"), "{err}");
    let saved = home.path().join(".cache/huggingface");
    std::fs::create_dir_all(&saved).unwrap();
    std::fs::write(saved.join("token"), format!("{TOKEN}\n")).unwrap();
    let (ok, out, err) = publish(&test_db.url, &hub, None, home.path()).await;
    assert!(ok, "{out}{err}");
}

async fn ratings_in(url: &str) -> u64 {
    let db = swipeset_core::db::connect(url).await.unwrap();
    let n = rating::Entity::find().count(&db).await.unwrap();
    db.close().await.unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_restores_a_new_database_from_its_snapshot_and_snapshots_again_when_stopped() {
    let (live, raters) = rated_demo().await;
    let before = rating::Entity::find().count(&live.db).await.unwrap();
    assert!(before > 0);
    let hub = HubStandin::local().await;
    let repo: RepoId = "tester/backup".parse().unwrap();
    let client = HubClient::new(&hub.url(), TOKEN).unwrap();
    publish_snapshot(&live.db, &live.url, &client, &repo, None)
        .await
        .unwrap();
    assert_eq!(hub.commits("tester/backup").len(), 2);

    // A Space restarted without persistent storage: no database file.
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("data").join("swipeset.db").display()
    );
    let endpoint = hub.url();
    let args = [
        "--publish-every",
        "1h",
        "--publish-repo",
        "tester/backup",
        "--hub-endpoint",
        &endpoint,
    ];
    let port = free_port();
    let server = start_with(BIN, &url, port, &args, &[("HF_TOKEN", TOKEN)]).await;
    // The third rater's API token came back with the database: it rates on.
    let acked: Acknowledged = Arc::default();
    let (id, token) = raters[2].clone();
    rate_until_stopped(format!("http://127.0.0.1:{port}"), token, id, acked.clone()).await;
    let added = swipeset_core::sync::lock(&acked).len() as u64;
    assert!(added > 0);
    stop(server).await;
    assert_eq!(ratings_in(&url).await, before + added);
    let commits = hub.commits("tester/backup");
    assert_eq!(
        commits.len(),
        3,
        "the last snapshot, taken when the server stopped"
    );
    assert!(
        commits[2]
            .summary
            .ends_with(&format!("{} ratings", before + added)),
        "{}",
        commits[2].summary
    );

    // Restarted again on a new disk: everything, the last ratings included.
    let again = format!("sqlite://{}", dir.path().join("again.db").display());
    let port = free_port();
    let server = start_with(BIN, &again, port, &args, &[("HF_TOKEN", TOKEN)]).await;
    stop(server).await;
    assert_eq!(ratings_in(&again).await, before + added);
    assert_eq!(
        hub.commits("tester/backup").len(),
        3,
        "nothing new: no commit"
    );
}

#[tokio::test]
async fn serve_refuses_to_start_empty_when_the_snapshot_cannot_be_read() {
    let hub = HubStandin::local().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swipeset.db");
    let output = Command::new(BIN)
        .args(["serve", "--database-url"])
        .arg(format!("sqlite://{}", file.display()))
        .args([
            "--publish-every",
            "1h",
            "--publish-repo",
            "tester/backup",
            "--hub-endpoint",
        ])
        .arg(hub.url())
        .env("HF_TOKEN", "hf_revoked")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        err.contains("restoring the database from the snapshot in tester/backup"),
        "{err}"
    );
    assert!(err.contains("401 Unauthorized"), "{err}");
    assert!(!file.exists(), "no empty database was made");

    let output = Command::new(BIN)
        .args(["serve", "--database-url"])
        .arg(format!("sqlite://{}", file.display()))
        .args(["--publish-every", "1h", "--publish-repo", "tester/backup"])
        .env_remove("HF_TOKEN")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("--publish-repo needs a token"), "{err}");
}
