//! `swipeset backup` against the real binary while raters rate through the HTTP API: the
//! copy holds every rating acknowledged before it started, is a database the server starts
//! on (a restore), and its counters agree with a recount. A backup that runs out of disk
//! fails with a clear error and leaves no file behind.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::binary::{Acknowledged, free_port, load, raters, start};
use sea_orm::EntityTrait;
use swipeset_core::db::entities::rating;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_swipeset");
const RATERS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_holds_every_rating_acknowledged_before_it() {
    let test_db = common::Backend::Sqlite.fresh().await;
    let db = &test_db.db;
    swipeset_core::campaign::demo::load(db).await.expect("demo");
    let raters = raters(db, RATERS).await;
    let port = free_port();
    let mut server = start(BIN, &test_db.url, port).await;
    let acked: Acknowledged = Arc::default();
    let load = load(&format!("http://127.0.0.1:{port}"), &raters, &acked);
    while swipeset_core::sync::lock(&acked).len() < 60 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    // Mid-load: what was acknowledged before the backup starts must be in it.
    let before = swipeset_core::sync::lock(&acked).clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("backup.db");
    let backup = Command::new(BIN)
        .args(["backup", "--database-url", &test_db.url, "--out"])
        .arg(&copy)
        .output()
        .await
        .expect("swipeset backup");
    let during = swipeset_core::sync::lock(&acked).len();
    let printed = String::from_utf8_lossy(&backup.stdout).into_owned();
    assert!(
        backup.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    for rater in load {
        rater.await.expect("rater task");
    }
    let total = swipeset_core::sync::lock(&acked).len();
    assert!(
        during < total,
        "the backup was not taken under load: {during} of {total} acknowledged when it ended"
    );
    server.start_kill().ok();
    server.wait().await.ok();

    // Restore: the server starts on the copy, and the copy holds every earlier rating.
    let restored_url = format!("sqlite://{}", copy.display());
    let mut restored = start(BIN, &restored_url, free_port()).await;
    restored.start_kill().ok();
    restored.wait().await.ok();
    let restored_db = swipeset_core::db::connect(&restored_url)
        .await
        .expect("open the copy");
    let stored = rating::Entity::find()
        .all(&restored_db)
        .await
        .expect("ratings");
    for ((user, response), label) in &before {
        assert!(
            stored
                .iter()
                .any(|r| r.user_id == *user && r.generation_id == *response && r.label == *label),
            "rating ({user}, {response}) acknowledged before the backup is not in it"
        );
    }
    assert!(
        printed.contains(&format!("{} ratings", stored.len())),
        "the summary must count the copy's ratings ({}): {printed}",
        stored.len()
    );
    let check = Command::new(BIN)
        .args([
            "stats",
            "rebuild",
            "--check",
            "--database-url",
            &restored_url,
        ])
        .output()
        .await
        .expect("stats rebuild --check");
    assert!(
        check.status.success(),
        "the copy's counters disagree with a recount: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    eprintln!(
        "backup under load: {} acknowledged before, {} in the copy, {total} in all",
        before.len(),
        stored.len()
    );
}

/// A full disk, made with a file size limit on the backup process (SIGXFSZ ignored, so the
/// write fails with EFBIG as on a full disk): a clear error, and no file under either name.
#[tokio::test]
async fn a_backup_that_runs_out_of_space_leaves_nothing_behind() {
    let test_db = common::Backend::Sqlite.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .expect("demo");
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("backup.db");
    let limited = Command::new("sh")
        .args([
            "-c",
            r#"trap '' XFSZ; ulimit -f 16; exec "$0" backup --database-url "$1" --out "$2""#,
            BIN,
            &test_db.url,
        ])
        .arg(&copy)
        .output()
        .await
        .expect("swipeset backup");
    let err = String::from_utf8_lossy(&limited.stderr);
    assert!(
        !limited.status.success(),
        "the backup cannot have fit in 8 KiB"
    );
    assert!(
        err.contains(&format!(
            "backing up {}",
            test_db.url.trim_start_matches("sqlite://")
        )) && err.contains("writing the copy"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // The same command with room succeeds, so it was the space.
    let ok = Command::new(BIN)
        .args(["backup", "--database-url", &test_db.url, "--out"])
        .arg(&copy)
        .output()
        .await
        .expect("swipeset backup");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}
