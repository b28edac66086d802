//! The browser bundle and static files: served from the site root, compressed for phones.

mod common;

use common::{Backend, TestServer};
use reqwest::StatusCode;

#[tokio::test]
async fn the_bundle_is_served_compressed_with_its_type() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    let css = ".card { color: red; }\n".repeat(200);
    std::fs::write(site.path().join("pkg/swipeset.css"), &css).unwrap();
    std::fs::write(site.path().join("pkg/swipeset_bg.wasm"), vec![0u8; 4096]).unwrap();

    let test_db = Backend::Sqlite.fresh().await;
    let server = TestServer::start_with_site(test_db.db.clone(), site.path()).await;

    let res = server
        .client
        .get(server.url("/pkg/swipeset.css"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let compressed = res.bytes().await.unwrap();
    assert!(
        compressed.len() < css.len() / 4,
        "{} bytes",
        compressed.len()
    );

    let wasm = server
        .client
        .get(server.url("/pkg/swipeset_bg.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");

    let missing = server
        .client
        .get(server.url("/pkg/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
