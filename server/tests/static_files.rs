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

#[tokio::test]
async fn precompressed_files_are_sent_as_built_and_pages_link_their_bundle_by_content() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for name in ["rater", "swipeset"] {
        std::fs::write(pkg.join(format!("{name}.js")), format!("// {name}\n")).unwrap();
        std::fs::write(pkg.join(format!("{name}.css")), format!("/* {name} */\n")).unwrap();
        std::fs::write(pkg.join(format!("{name}_bg.wasm")), vec![7u8; 4096]).unwrap();
    }
    // Not real brotli: the bytes show which file was sent, untouched by the compression layer.
    let prebuilt = b"prebuilt brotli of the rater bundle".to_vec();
    std::fs::write(pkg.join("rater_bg.wasm.br"), &prebuilt).unwrap();

    let test_db = Backend::Sqlite.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .unwrap();
    let server = TestServer::start_with_site(test_db.db.clone(), site.path()).await;

    let wasm = server
        .client
        .get(server.url("/pkg/rater_bg.wasm?v=0123"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(wasm.headers()["content-encoding"], "br");
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.bytes().await.unwrap().to_vec(), prebuilt);

    // The rating page loads the rater bundle; every other page the full one.
    let rating = server.get_text(&server.client, "/").await;
    let board = server.get_text(&server.client, "/leaderboard").await;
    let versioned = |name: &str, page: &str| {
        page.contains(&format!("/pkg/{name}_bg.wasm?v="))
            && page.contains(&format!("import(\"/pkg/{name}.js?v="))
            && page.contains(&format!("href=\"/pkg/{name}.css?v="))
    };
    assert!(versioned("rater", &rating), "{rating}");
    assert!(!rating.contains("/pkg/swipeset_bg.wasm"), "{rating}");
    assert!(versioned("swipeset", &board), "{board}");
    assert!(!board.contains("/pkg/rater"), "{board}");
}
