//! Publishing to the Hub, against the stand-in Hub (`swipeset-standins`), which is as
//! strict as the Hub's documentation: one commit per publish, no commit for unchanged data,
//! stale files deleted, every failure the Hub can answer reported clearly with nothing
//! half-published, the snapshot and the restore, and the received repository loaded by
//! Hugging Face `datasets` (when `SWIPESET_PYTHON` names a Python that has it).

mod common;

use std::path::Path;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::json;
use swipeset_core::accounts::guests;
use swipeset_core::campaign::demo::{self, DEMO_SLUG};
use swipeset_core::db::entities::generation;
use swipeset_core::export::{ExportError, ExportOptions, Format, Kind};
use swipeset_core::hub::dataset::{PublishError, publish_export};
use swipeset_core::hub::snapshot::{BACKUP_PATH, publish_snapshot, restore};
use swipeset_core::hub::{
    HubClient, HubError, LocalFile, Operation, PublishOutcome, RepoId, RetryPolicy,
};
use swipeset_core::rating::rate::{self, NewRating};
use swipeset_core::{Label, Store};
use swipeset_standins::{Account, Endpoint, Fault, HubStandin};

const REPO: &str = "tester/haiku-kto";

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        first_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

fn client(hub: &HubStandin, token: &str) -> HubClient {
    HubClient::new(&hub.url(), token)
        .unwrap()
        .with_retry(quick())
}

/// The demo campaign on a file database, with three raters' votes on the first
/// `responses` responses (every third one voted down by two of them).
async fn rated_demo(dir: &Path, responses: usize) -> (DatabaseConnection, String) {
    let url = format!("sqlite://{}", dir.join("live.db").display());
    let db = swipeset_core::db::connect(&url).await.unwrap();
    demo::load(&db).await.unwrap();
    rate_more(&db, 0, responses).await;
    (db, url)
}

async fn rate_more(db: &DatabaseConnection, from: usize, to: usize) {
    let store = Store::new(db.clone());
    let ids: Vec<i32> = generation::Entity::find()
        .order_by_asc(generation::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    for (u, who) in ["ann", "bo", "cy"].into_iter().enumerate() {
        let user = guests::browser_annotator(db, who).await.unwrap().id;
        for (i, &id) in ids.iter().enumerate().take(to).skip(from) {
            let label = if i % 3 == 0 && u > 0 {
                Label::Down
            } else {
                Label::Up
            };
            rate::rate(&store, user, NewRating::new(id, label))
                .await
                .unwrap();
        }
    }
}

fn kto() -> ExportOptions {
    ExportOptions::new(Kind::Kto)
}

async fn publish(
    db: &DatabaseConnection,
    client: &HubClient,
    options: ExportOptions,
) -> Result<PublishOutcome, PublishError> {
    let repo: RepoId = REPO.parse().unwrap();
    publish_export(db, client, DEMO_SLUG, options, &repo, true, None)
        .await
        .map(|p| p.outcome)
}

#[tokio::test]
async fn publishes_once_skips_unchanged_data_and_replaces_changed_files_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rated_demo(dir.path(), 12).await;
    let hub = HubStandin::local().await;
    let client = client(&hub, "hf_test_token");

    let first = publish(&db, &client, kto()).await.unwrap();
    let PublishOutcome::Committed {
        commit_url,
        created,
        changed,
        ..
    } = &first
    else {
        panic!("expected a commit, got {first:?}");
    };
    assert!(created);
    assert!(commit_url.starts_with(&format!("{}/datasets/{REPO}/commit/", hub.url())));
    assert_eq!(changed, &["README.md", "data/train-00000-of-00001.parquet"]);
    assert_eq!(hub.is_private(REPO), Some(true));
    // The Hub's own first commit (.gitattributes), then ours.
    assert_eq!(hub.commits(REPO).len(), 2);
    assert!(
        hub.commits(REPO)[1]
            .summary
            .contains("kto dataset of campaign haiku-demo")
    );
    // The Parquet file went through LFS, uploaded once and verified.
    assert_eq!(hub.calls(Endpoint::LfsUpload), vec![200]);
    assert_eq!(hub.calls(Endpoint::LfsVerify), vec![200]);

    // The same data again: the card's date differs, nothing else does.
    let again = publish(&db, &client, kto()).await.unwrap();
    assert!(
        matches!(again, PublishOutcome::Unchanged { .. }),
        "{again:?}"
    );
    assert_eq!(hub.commits(REPO).len(), 2);
    assert_eq!(hub.calls(Endpoint::LfsUpload).len(), 1);

    // New votes: data and card replaced in one commit.
    rate_more(&db, 12, 15).await;
    let changed = publish(&db, &client, kto()).await.unwrap();
    assert!(
        matches!(changed, PublishOutcome::Committed { .. }),
        "{changed:?}"
    );
    let commits = hub.commits(REPO);
    assert_eq!(commits.len(), 3);
    assert_eq!(
        commits[2].added,
        ["README.md", "data/train-00000-of-00001.parquet"]
    );

    // Another format: the old data file goes in the same commit as the new one arrives.
    let jsonl = publish(
        &db,
        &client,
        ExportOptions {
            format: Format::Jsonl,
            ..kto()
        },
    )
    .await
    .unwrap();
    let PublishOutcome::Committed { deleted, .. } = jsonl else {
        panic!("expected a commit");
    };
    assert_eq!(deleted, ["data/train-00000-of-00001.parquet"]);
    assert_eq!(
        hub.paths(REPO),
        [
            ".gitattributes",
            "README.md",
            "data/train-00000-of-00001.jsonl"
        ]
    );
    assert_eq!(hub.commits(REPO).len(), 4);
}

#[tokio::test]
async fn every_refusal_is_reported_and_nothing_is_half_published() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = rated_demo(dir.path(), 12).await;
    let hub = HubStandin::start(
        "127.0.0.1:0".parse().unwrap(),
        vec![
            Account::writer("hf_test_token", "tester"),
            Account {
                write: false,
                ..Account::writer("hf_read_only", "tester")
            },
            Account::writer("hf_someone_else", "mallory"),
        ],
    )
    .await
    .unwrap();

    let error = publish(&db, &client(&hub, "hf_wrong"), kto())
        .await_err()
        .await;
    assert!(error.contains("401 Unauthorized"), "{error}");
    assert!(error.contains("huggingface.co/settings/tokens"), "{error}");
    assert!(!hub.exists(REPO));

    let error = publish(&db, &client(&hub, "hf_read_only"), kto())
        .await_err()
        .await;
    assert!(error.contains("403 Forbidden"), "{error}");
    assert!(error.contains("write access"), "{error}");

    let error = publish(&db, &client(&hub, "hf_someone_else"), kto())
        .await_err()
        .await;
    assert!(error.contains("403"), "{error}");
    assert!(error.contains("namespace tester"), "{error}");
    assert!(!hub.exists(REPO));

    // The Hub down while the Parquet file uploads: retried, then reported; no commit.
    let writer = client(&hub, "hf_test_token");
    hub.fail(Fault {
        endpoint: Endpoint::LfsUpload,
        status: 503,
        times: 3,
        retry_after: None,
    });
    let error = publish(&db, &writer, kto()).await_err().await;
    assert!(error.contains("answered 503 3 times in a row"), "{error}");
    assert!(
        error.contains("uploading data/train-00000-of-00001.parquet"),
        "{error}"
    );
    assert_eq!(hub.commits(REPO).len(), 1, "only the Hub's initial commit");
    assert_eq!(hub.paths(REPO), [".gitattributes"]);

    // A 5xx that passes, and a 429 with a short Retry-After, are waited out.
    hub.fail(Fault {
        endpoint: Endpoint::Commit,
        status: 502,
        times: 1,
        retry_after: None,
    });
    hub.fail(Fault {
        endpoint: Endpoint::Preupload,
        status: 429,
        times: 1,
        retry_after: Some(1),
    });
    let done = publish(&db, &writer, kto()).await.unwrap();
    assert!(matches!(done, PublishOutcome::Committed { .. }));
    assert!(hub.calls(Endpoint::Preupload).ends_with(&[429, 200]));
    assert_eq!(hub.commits(REPO).len(), 2);

    // A Retry-After longer than worth waiting is reported with the wait.
    hub.fail(Fault {
        endpoint: Endpoint::Whoami,
        status: 429,
        times: 1,
        retry_after: Some(3600),
    });
    let error = publish(&db, &writer, kto()).await_err().await;
    assert!(error.contains("rate-limiting"), "{error}");
    assert!(error.contains("60 min"), "{error}");

    // Too large (413), a conflict (409) and not found (404) name their status. (New votes
    // each time, so that there is something to commit.)
    let refusals = [
        (413, "too large (413)", 12),
        (409, "conflict (409)", 13),
        (404, "not found (404)", 14),
    ];
    for (status, words, votes) in refusals {
        hub.fail(Fault {
            endpoint: Endpoint::Commit,
            status,
            times: 1,
            retry_after: None,
        });
        rate_more(&db, votes, votes + 1).await;
        let error = publish(&db, &writer, kto()).await_err().await;
        assert!(error.contains(words), "{error}");
    }

    // Nothing to export: said before the Hub is called.
    let calls = hub.calls(Endpoint::Whoami).len();
    let empty = publish(
        &db,
        &writer,
        ExportOptions {
            policy: swipeset_core::export::Policy::parse("unanimous", 9, None).unwrap(),
            ..kto()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(empty, PublishError::Export(ExportError::Empty(_))),
        "{empty}"
    );
    assert_eq!(hub.calls(Endpoint::Whoami).len(), calls);

    // A down Hub: no answer at all.
    let nowhere = HubClient::new("http://127.0.0.1:9", "hf_test_token")
        .unwrap()
        .with_retry(quick());
    let error = publish(&db, &nowhere, kto()).await_err().await;
    assert!(
        error.contains("could not reach http://127.0.0.1:9 (3 tries)"),
        "{error}"
    );
}

/// `publish(..)` with the default options, expected to fail: its message.
trait AwaitErr {
    async fn await_err(self) -> String;
}

impl<F: Future<Output = Result<PublishOutcome, PublishError>>> AwaitErr for F {
    async fn await_err(self) -> String {
        self.await.unwrap_err().to_string()
    }
}

#[tokio::test]
async fn the_stand_in_refuses_a_commit_whose_lfs_object_was_never_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubStandin::local().await;
    let client = client(&hub, "hf_test_token");
    let repo: RepoId = REPO.parse().unwrap();
    client.create_repo(&repo, false).await.unwrap();
    let path = dir.path().join("x.parquet");
    std::fs::write(&path, b"PAR1 not really").unwrap();
    let file = LocalFile::read(&path, "data/x.parquet").unwrap();
    // Straight to the commit, skipping the upload.
    let error = commit_lfs(&client, &repo, &file)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("LFS pointer pointed to a file that does not exist"),
        "{error}"
    );
    // Uploaded: accepted.
    client.upload_lfs(&repo, &file, None).await.unwrap();
    commit_lfs(&client, &repo, &file).await.unwrap();
    assert_eq!(
        hub.file(REPO, "data/x.parquet").unwrap(),
        b"PAR1 not really"
    );
}

async fn commit_lfs(client: &HubClient, repo: &RepoId, file: &LocalFile) -> Result<(), HubError> {
    client
        .commit(repo, "add x", "", &[Operation::Lfs(file)])
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_snapshot_holds_every_campaigns_ratings_and_the_database_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = rated_demo(dir.path(), 9).await;
    swipeset_core::hub::token::save(&db, "hf_saved_secret", "tester", None)
        .await
        .unwrap();
    db.execute_unprepared(
        "INSERT INTO tower_sessions (id, data, expiry_date) VALUES ('s1', x'00', 4102444800)",
    )
    .await
    .unwrap();
    assert_eq!(count(&db, "tower_sessions").await, 1);
    let hub = HubStandin::local().await;
    let client = client(&hub, "hf_test_token");
    let repo: RepoId = "tester/swipeset-backup".parse().unwrap();

    let report = publish_snapshot(&db, &url, &client, &repo, None)
        .await
        .unwrap();
    assert_eq!((report.campaigns, report.ratings), (1, 27));
    assert!(matches!(report.outcome, PublishOutcome::Committed { .. }));
    assert_eq!(hub.is_private("tester/swipeset-backup"), Some(true));
    assert_eq!(
        hub.paths("tester/swipeset-backup"),
        [
            ".gitattributes",
            "README.md",
            BACKUP_PATH,
            "ratings/haiku-demo/train-00000-of-00001.parquet"
        ]
    );
    let again = publish_snapshot(&db, &url, &client, &repo, None)
        .await
        .unwrap();
    assert!(
        matches!(again.outcome, PublishOutcome::Unchanged { .. }),
        "{:?}",
        again.outcome
    );

    // Restored into a fresh place: every rating, no saved token, nobody signed in.
    let target = dir.path().join("restored").join("swipeset.db");
    let target_url = format!("sqlite://{}", target.display());
    let restored = restore(&client, &repo, &target_url, false, None)
        .await
        .unwrap();
    assert_eq!(restored.ratings, 27);
    let copy = swipeset_core::db::connect(&target_url).await.unwrap();
    assert_eq!(
        swipeset_core::hub::token::describe(&copy).await.unwrap(),
        None
    );
    assert_eq!(count(&copy, "tower_sessions").await, 0);
    assert_eq!(count(&copy, "rating").await, 27);
    copy.close().await.unwrap();

    // An existing database is replaced only when asked, and kept.
    let error = restore(&client, &repo, &target_url, false, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("pass --overwrite"), "{error}");
    let again = restore(&client, &repo, &target_url, true, None)
        .await
        .unwrap();
    assert!(again.kept.unwrap().exists());

    // A damaged download changes nothing.
    let other: RepoId = "tester/not-a-backup".parse().unwrap();
    client.create_repo(&other, true).await.unwrap();
    let error = restore(&client, &other, &target_url, true, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("it has no backup/swipeset.db"), "{error}");
    assert!(
        !std::fs::read_dir(target.parent().unwrap())
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().contains("partial"))
    );
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    db.query_one(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!("SELECT COUNT(*) AS n FROM {table}"),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get::<i64>("", "n")
    .unwrap()
}

#[tokio::test]
async fn the_published_repository_loads_in_datasets() {
    let Some(python) = common::python() else {
        eprintln!("skipped: set SWIPESET_PYTHON to a Python with `datasets` installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = rated_demo(dir.path(), 12).await;
    let hub = HubStandin::local().await;
    let client = client(&hub, "hf_test_token");
    let mut manifest = Vec::new();
    for (kind, repo) in [(Kind::Kto, "tester/kto"), (Kind::Dpo, "tester/dpo")] {
        let id: RepoId = repo.parse().unwrap();
        let published = publish_export(
            &db,
            &client,
            DEMO_SLUG,
            ExportOptions::new(kind),
            &id,
            false,
            None,
        )
        .await
        .unwrap();
        let out = dir.path().join(repo);
        hub.checkout(repo, &out).unwrap();
        manifest.push(json!({
            "dir": out,
            "data_path": published.summary.data_path,
            "kind": kind.name(),
            "variant": "standard",
            "format": "parquet",
            "rows": published.summary.plan.rows,
        }));
    }
    let snapshot: RepoId = "tester/backup".parse().unwrap();
    publish_snapshot(&db, &url, &client, &snapshot, None)
        .await
        .unwrap();
    let out = dir.path().join("tester/backup");
    hub.checkout("tester/backup", &out).unwrap();
    manifest.push(json!({
        "dir": out,
        "config": DEMO_SLUG,
        "data_path": "ratings/haiku-demo/train-00000-of-00001.parquet",
        "kind": "ratings",
        "variant": "standard",
        "format": "parquet",
        "rows": 36,
    }));
    common::check_datasets(&python, dir.path(), &manifest);
}
