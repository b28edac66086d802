//! An admin finds a careless rater on the raters page, excludes them, and takes them back;
//! raters flag a broken card and an admin hides it: on SQLite and PostgreSQL, over HTTP as
//! the pages do it. The board, the exports and the recount follow; the rater cannot rate
//! meanwhile; the audit log has every action.

mod common;

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use common::TestServer;

/// Deals and rates `n` cards as `client`, each 👍 when `up(response id)`, taking `ms` to
/// decide; the responses rated.
async fn rate_cards(
    server: &TestServer,
    client: &reqwest::Client,
    n: usize,
    up: impl Fn(i64) -> bool,
    ms: i64,
) -> Vec<i64> {
    let mut rated = 0;
    let mut ids = Vec::new();
    while rated < n {
        let (status, dealt) = server
            .post_json(
                client,
                "/api/next_cards",
                json!({"campaign": "haiku-demo", "count": 10}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{dealt}");
        let cards = dealt["cards"].as_array().cloned().unwrap_or_default();
        assert!(!cards.is_empty(), "the demo ran out of cards");
        for card in cards.iter().take(n - rated) {
            let id = card["response_id"].as_i64().unwrap();
            let label = if up(id) { "up" } else { "down" };
            let (status, reply) = server
                .post_json(
                    client,
                    "/api/rate",
                    json!({"response_id": id, "label": label, "decision_ms": ms}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{reply}");
            ids.push(id);
            rated += 1;
        }
    }
    ids
}

/// `POST /api/{action}` (`exclude_rater` or `include_rater`) on the demo as `admin`.
async fn change(
    server: &TestServer,
    admin: &reqwest::Client,
    action: &str,
    user_id: i64,
    reason: &str,
) -> (StatusCode, Value) {
    let body = json!({"campaign": "haiku-demo", "user_id": user_id, "reason": reason});
    server
        .post_json(admin, &format!("/api/{action}"), body)
        .await
}

/// (👍, 👎) over every model of the demo's board.
async fn board(server: &TestServer, admin: &reqwest::Client) -> (i64, i64) {
    let board = server
        .get_json(admin, "/api/leaderboard?campaign=haiku-demo")
        .await;
    board["models"]
        .as_array()
        .unwrap()
        .iter()
        .fold((0, 0), |(u, d), m| {
            (
                u + m["up"].as_i64().unwrap(),
                d + m["down"].as_i64().unwrap(),
            )
        })
}

async fn ratings_exported(server: &TestServer, admin: &reqwest::Client) -> usize {
    let text = server
        .get_text(
            admin,
            "/api/campaigns/haiku-demo/export?kind=ratings&format=jsonl",
        )
        .await;
    text.lines().filter(|l| !l.trim().is_empty()).count()
}

async fn rater<'a>(raters: &'a Value, name: &str) -> &'a Value {
    raters["raters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not listed: {raters}"))
}

#[tokio::test]
async fn an_admin_excludes_a_careless_rater_and_takes_them_back() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        swipeset_core::campaign::demo::load(&test_db.db)
            .await
            .expect("demo");
        let server = TestServer::start(test_db.db.clone()).await;
        let admin = server.signed_in("admin").await;
        // Two careful raters agree on a hidden truth; a clicker swipes 👎 on everything in
        // a third of a second.
        let truth = |id: i64| id % 3 != 0;
        let (ada, bo, clicker) = (
            server.other_browser(),
            server.other_browser(),
            server.other_browser(),
        );
        rate_cards(&server, &ada, 20, truth, 2_500).await;
        rate_cards(&server, &bo, 20, truth, 3_100).await;
        rate_cards(&server, &clicker, 24, |_| false, 300).await;

        let raters = server
            .get_json(&admin, "/api/raters?campaign=haiku-demo")
            .await;
        assert_eq!(raters["raters"].as_array().unwrap().len(), 3, "{raters}");
        let by_ratings: Vec<i64> = raters["raters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ratings"].as_i64().unwrap())
            .collect();
        assert_eq!(by_ratings, vec![24, 20, 20], "most ratings first");
        let flagged = &raters["raters"][0];
        assert_eq!(flagged["up_share"], 0.0);
        assert_eq!(
            flagged["median_under_ms"], 400,
            "300 ms: the bucket under 0.4 s"
        );
        let flags: Vec<&str> = flagged["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert!(
            flags.contains(&"too_fast") && flags.contains(&"one_sided"),
            "{flagged}"
        );
        let clicker_name = flagged["name"].as_str().unwrap().to_string();
        let clicker_id = flagged["user_id"].as_i64().unwrap();
        for careful in &raters["raters"].as_array().unwrap()[1..] {
            assert!(careful["flags"].as_array().unwrap().is_empty(), "{careful}");
        }

        let before = board(&server, &admin).await;
        let exported = ratings_exported(&server, &admin).await;
        assert_eq!(exported, 64);
        let (status, moved) = change(
            &server,
            &admin,
            "exclude_rater",
            clicker_id,
            "all 👎 in 0.3 s",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {moved}");
        assert_eq!(moved, json!({"excluded": true, "ratings": 24}));
        assert_eq!(board(&server, &admin).await, (before.0, before.1 - 24));
        assert_eq!(ratings_exported(&server, &admin).await, 40);
        // The dataset card says so (the zip stores its files as they are).
        let zip = server
            .get_text(
                &admin,
                "/api/campaigns/haiku-demo/export?kind=ratings&format=jsonl&archive=zip",
            )
            .await;
        assert!(
            zip.contains("**Excluded raters**: 1 rater was excluded by an admin; their 24 ratings"),
            "{backend:?}: {}",
            zip.chars().take(300).collect::<String>()
        );
        let drift = swipeset_core::board::aggregates::rebuild(&test_db.db, false)
            .await
            .unwrap();
        assert!(drift.is_clean(), "{backend:?}: {drift:?}");
        let listed = server
            .get_json(&admin, "/api/raters?campaign=haiku-demo")
            .await;
        assert_eq!(
            rater(&listed, &clicker_name).await["excluded"],
            "all 👎 in 0.3 s"
        );

        // The clicker can neither rate nor be dealt cards there now, and is told why.
        let (status, refused) = server
            .post_json(
                &clicker,
                "/api/next_cards",
                json!({"campaign": "haiku-demo", "count": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert!(
            refused["message"].as_str().unwrap().contains("excluded"),
            "{refused}"
        );

        let (status, back) = change(&server, &admin, "include_rater", clicker_id, "appeal").await;
        assert_eq!(status, StatusCode::OK, "{back}");
        assert_eq!(back, json!({"excluded": false, "ratings": 24}));
        assert_eq!(board(&server, &admin).await, before);
        assert_eq!(ratings_exported(&server, &admin).await, 64);
        let drift = swipeset_core::board::aggregates::rebuild(&test_db.db, false)
            .await
            .unwrap();
        assert!(drift.is_clean(), "{backend:?}: {drift:?}");

        let log = server.get_json(&admin, "/api/audit_log").await;
        let actions: Vec<(&str, &str)> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["action"].as_str().unwrap(), l["reason"].as_str().unwrap()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("include_rater", "appeal"),
                ("exclude_rater", "all 👎 in 0.3 s")
            ]
        );
        assert_eq!(log[0]["campaign"], "haiku-demo");
        assert!(
            log[0]["actor"].as_str().unwrap().starts_with("admin-"),
            "{log}"
        );

        // A reason is required, and an unknown rater is named as such.
        let (status, body) = change(&server, &admin, "exclude_rater", clicker_id, " ").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = change(&server, &admin, "exclude_rater", 987_654, "who?").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
}

/// `POST /api/moderate_response` on the demo as `admin`.
async fn moderate(
    server: &TestServer,
    admin: &reqwest::Client,
    response_id: i64,
    action: &str,
    reason: &str,
) -> (StatusCode, Value) {
    let body = json!({"campaign": "haiku-demo", "response_id": response_id,
                      "action": action, "reason": reason});
    server
        .post_json(admin, "/api/moderate_response", body)
        .await
}

#[tokio::test]
async fn raters_flag_a_broken_card_and_an_admin_hides_it_from_the_board_and_the_exports() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        swipeset_core::campaign::demo::load(&test_db.db)
            .await
            .expect("demo");
        let server = TestServer::start(test_db.db.clone()).await;
        let admin = server.signed_in("admin").await;
        let (ada, bo, carol, dave) = (
            server.other_browser(),
            server.other_browser(),
            server.other_browser(),
            server.other_browser(),
        );
        let rated = rate_cards(&server, &ada, 10, |_| true, 2_000).await;
        let broken = rated[0];
        let flag = |client, kind: &str, note: Value| {
            let body = json!({"response_id": broken, "kind": kind, "note": note});
            let server = &server;
            async move { server.post_json(client, "/api/flag_card", body).await }
        };
        // The page that flags shows the card first.
        let shown = server
            .get_json(&bo, &format!("/api/card?response_id={broken}"))
            .await;
        assert_eq!(shown["card"]["response_id"], broken, "{shown}");
        let (status, reply) = flag(&bo, "broken", json!("cut off after two lines")).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {reply}");
        assert_eq!(reply, json!({"response_id": broken, "new": true}));
        let (status, reply) = flag(&carol, "other", Value::Null).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "a note is needed: {reply}");
        assert!(
            reply["message"].as_str().unwrap().contains("note"),
            "{reply}"
        );
        let (status, reply) = flag(&carol, "reveals_model", Value::Null).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        let (status, reply) = flag(&carol, "sideways", Value::Null).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown kind: {reply}");

        let queue = server
            .get_json(&admin, "/api/flag_queue?campaign=haiku-demo")
            .await;
        assert_eq!(queue["flagged"].as_array().unwrap().len(), 1, "{queue}");
        let item = &queue["flagged"][0];
        assert_eq!(item["response_id"], broken);
        let kinds: Vec<&str> = item["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["reveals_model", "broken"], "newest first");
        assert_eq!(item["flags"][1]["note"], "cut off after two lines");
        assert_eq!(item["ratings"].as_array().unwrap().len(), 1, "ada's 👍");

        let before = board(&server, &admin).await;
        let exported = ratings_exported(&server, &admin).await;
        assert_eq!(exported, 10);
        let labelled = format!("\"response_id\":{broken},");
        let kto = server
            .get_text(
                &admin,
                "/api/campaigns/haiku-demo/export?kind=kto&format=jsonl&min_votes=1",
            )
            .await;
        assert!(kto.contains(&labelled), "ada's 👍 labels it: {kto}");
        let (status, hidden) = moderate(&server, &admin, broken, "hide", "garbled output").await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {hidden}");
        assert_eq!(
            hidden,
            json!({"response_id": broken, "hidden": true, "ratings": 1, "flags": 2})
        );
        assert_eq!(board(&server, &admin).await, (before.0 - 1, before.1));
        assert_eq!(ratings_exported(&server, &admin).await, 9);
        let kto = server
            .get_text(
                &admin,
                "/api/campaigns/haiku-demo/export?kind=kto&format=jsonl&min_votes=1",
            )
            .await;
        assert!(
            !kto.contains(&labelled),
            "hidden responses are not exported"
        );
        let zip = server
            .get_text(
                &admin,
                "/api/campaigns/haiku-demo/export?kind=ratings&format=jsonl&archive=zip",
            )
            .await;
        assert!(
            zip.contains("**Hidden responses**: 1 response was hidden by an admin"),
            "{backend:?}: {}",
            zip.chars().take(300).collect::<String>()
        );
        let drift = swipeset_core::board::aggregates::rebuild(&test_db.db, false)
            .await
            .unwrap();
        assert!(drift.is_clean(), "{backend:?}: {drift:?}");

        // Out of every deck: not shown, not dealt, a rating sent anyway is not needed.
        let res = dave
            .get(server.url(&format!("/api/card?response_id={broken}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let (status, late) = server
            .post_json(
                &dave,
                "/api/rate",
                json!({"response_id": broken, "label": "down"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{late}");
        assert_eq!(late["status"], "not_needed", "{late}");
        let queue = server
            .get_json(&admin, "/api/flag_queue?campaign=haiku-demo")
            .await;
        assert!(queue["flagged"].as_array().unwrap().is_empty(), "{queue}");
        assert_eq!(queue["hidden"][0]["response_id"], broken, "{queue}");
        let (status, body) = moderate(&server, &admin, broken, "dismiss", "none open").await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        let (status, shown) = moderate(&server, &admin, broken, "show", "fixed upstream").await;
        assert_eq!(status, StatusCode::OK, "{shown}");
        assert_eq!(shown["ratings"], 1);
        assert_eq!(board(&server, &admin).await, before);

        // One bad rating goes on its own.
        let rating_id = queue["hidden"][0]["ratings"][0]["rating_id"]
            .as_i64()
            .unwrap();
        let (status, deleted) = server
            .post_json(
                &admin,
                "/api/delete_rating",
                json!({"campaign": "haiku-demo", "rating_id": rating_id, "reason": "test vote"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{deleted}");
        assert_eq!(deleted["response_id"], broken);
        assert_eq!(board(&server, &admin).await, (before.0 - 1, before.1));
        assert_eq!(ratings_exported(&server, &admin).await, 9);
        let drift = swipeset_core::board::aggregates::rebuild(&test_db.db, false)
            .await
            .unwrap();
        assert!(drift.is_clean(), "{backend:?}: {drift:?}");

        let log = server.get_json(&admin, "/api/audit_log").await;
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec!["delete_rating", "show_response", "hide_response"]
        );
        assert_eq!(log[2]["reason"], "garbled output");
    }
}

/// The same from the command line: `rater list`, `rater exclude`, `rater include`, `audit`.
#[tokio::test]
async fn the_command_line_lists_excludes_and_includes_raters() {
    const BIN: &str = env!("CARGO_BIN_EXE_swipeset");
    let test_db = common::Backend::Sqlite.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .expect("demo");
    let server = TestServer::start(test_db.db.clone()).await;
    let clicker = server.other_browser();
    rate_cards(&server, &clicker, 12, |_| true, 200).await;
    let name = swipeset_core::db::entities::user::Entity::find()
        .one(&test_db.db)
        .await
        .unwrap()
        .unwrap()
        .name;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(args)
            .args(["--database-url", &test_db.url])
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run swipeset");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, listed) = run(&["rater", "list", "--campaign", "haiku-demo"]);
    assert!(ok, "{listed}");
    assert!(
        listed.contains(&name) && listed.contains("12 ratings"),
        "{listed}"
    );
    assert!(
        listed.contains("more than half the decisions took under 1.0 s"),
        "{listed}"
    );
    let (ok, out) = run(&[
        "rater",
        "exclude",
        &name,
        "--campaign",
        "haiku-demo",
        "--reason",
        "too fast",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("12 ratings set aside"), "{out}");
    let (ok, out) = run(&[
        "rater",
        "exclude",
        &name,
        "--campaign",
        "haiku-demo",
        "--reason",
        "again",
    ]);
    assert!(!ok && out.contains("already excluded"), "{out}");
    let (ok, out) = run(&[
        "rater",
        "exclude",
        "nobody",
        "--campaign",
        "haiku-demo",
        "--reason",
        "x",
    ]);
    assert!(!ok && out.contains("no user is named `nobody`"), "{out}");
    let (ok, out) = run(&[
        "rater",
        "include",
        &name,
        "--campaign",
        "haiku-demo",
        "--reason",
        "ok",
    ]);
    assert!(ok && out.contains("12 ratings counted"), "{out}");
    let (ok, log) = run(&["audit"]);
    assert!(ok, "{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains("command line") && lines[0].contains("include_rater"),
        "{log}"
    );
    assert!(
        lines[1].contains("exclude_rater") && lines[1].contains("(too fast)"),
        "{log}"
    );

    // `response …`: a flagged response, hidden and shown, a rating deleted.
    let response_id = swipeset_core::db::entities::rating::Entity::find()
        .one(&test_db.db)
        .await
        .unwrap()
        .unwrap()
        .generation_id;
    let (status, reply) = server
        .post_json(
            &clicker,
            "/api/flag_card",
            json!({"response_id": response_id, "kind": "harmful", "note": "slur"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let (ok, out) = run(&["response", "flagged", "--campaign", "haiku-demo"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("response {response_id} (")) && out.contains("flag: Harmful by"),
        "{out}"
    );
    let id = response_id.to_string();
    let act = |verb: &'static str, id: String, reason: &'static str| {
        let run = &run;
        move || {
            run(&[
                "response",
                verb,
                &id,
                "--campaign",
                "haiku-demo",
                "--reason",
                reason,
            ])
        }
    };
    let (ok, out) = act("hide", id.clone(), "slur")();
    assert!(
        ok && out.contains("1 ratings set aside") && out.contains("1 flags resolved"),
        "{out}"
    );
    let (ok, out) = act("hide", id.clone(), "again")();
    assert!(!ok && out.contains("already hidden"), "{out}");
    let (ok, out) = act("show", id.clone(), "false alarm")();
    assert!(ok && out.contains("1 ratings counted"), "{out}");
    let rating_id = swipeset_core::db::entities::rating::Entity::find()
        .one(&test_db.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (ok, out) = act("delete-rating", rating_id.to_string(), "test")();
    assert!(
        ok && out.contains(&format!("deleted rating {rating_id}")),
        "{out}"
    );
    let (ok, out) = act("delete-rating", rating_id.to_string(), "test")();
    assert!(!ok && out.contains("does not exist"), "{out}");
    let (ok, log) = run(&["audit", "--limit", "3"]);
    assert!(ok, "{log}");
    let actions: Vec<&str> = log
        .lines()
        .map(|l| l.split_whitespace().nth(4).unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        vec!["delete_rating", "show_response", "hide_response"],
        "{log}"
    );
}

/// Gold cards come with the responses file, are dealt to a rater among the others, count
/// nowhere but in the rater's gold accuracy, and an admin unmarks one from the API.
#[tokio::test]
async fn gold_cards_imported_with_the_responses_measure_a_rater_and_count_nowhere_else() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        swipeset_core::campaign::demo::load(&test_db.db)
            .await
            .expect("demo");
        let server = TestServer::start(test_db.db.clone()).await;
        let admin = server.signed_in("admin").await;
        let rows = [
            r#"{"prompt": "Is 7 prime?", "completion": "Yes.", "model": "Gold", "gold_label": "up"}"#,
            r#"{"prompt": "Is 9 prime?", "completion": "Yes.", "model": "Gold", "gold_label": "down"}"#,
            r#"{"prompt": "Is 4 prime?", "completion": "Yes.", "model": "Gold", "gold_label": false}"#,
        ];
        let res = admin
            .post(
                server.url("/api/campaigns/haiku-demo/import?what=responses&file_name=gold.jsonl"),
            )
            .body(rows.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        let gold = server
            .get_json(&admin, "/api/gold_cards?campaign=haiku-demo")
            .await;
        let gold_ids: Vec<i64> = gold
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["response_id"].as_i64().unwrap())
            .collect();
        assert_eq!(gold_ids.len(), 3, "{gold}");
        assert_eq!(gold[1]["expected"], "down");

        // A rater who says 👍 to everything meets the gold cards among the others.
        let rater = server.other_browser();
        let rated = rate_cards(&server, &rater, 30, |_| true, 2_000).await;
        let met: Vec<i64> = rated
            .iter()
            .copied()
            .filter(|id| gold_ids.contains(id))
            .collect();
        // Dealt ten at a time, still at their turns: the 3rd, 13th and 23rd cards.
        let positions: Vec<usize> = rated
            .iter()
            .enumerate()
            .filter(|(_, id)| gold_ids.contains(id))
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(positions, vec![3, 13, 23], "{backend:?}: {rated:?}");
        assert_eq!(met.len(), 3);
        assert_eq!(
            board(&server, &admin).await,
            (27, 0),
            "gold votes count nowhere"
        );
        assert_eq!(ratings_exported(&server, &admin).await, 27);
        let raters = server
            .get_json(&admin, "/api/raters?campaign=haiku-demo")
            .await;
        let line = &raters["raters"][0];
        // 👍 on all three: right on the one expecting 👍 only.
        assert_eq!(line["gold"], 3, "{line}");
        assert!(
            (line["gold_accuracy"]["estimate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9,
            "{line}"
        );
        let progress = server
            .get_json(&rater, "/api/progress?campaign=haiku-demo")
            .await;
        assert_eq!(progress["rated_by_you"], 30, "{progress}");

        // Unmarked, a gold card's votes count as ratings.
        let (status, change) = server
            .post_json(
                &admin,
                "/api/set_gold",
                json!({"campaign": "haiku-demo", "response_id": met[0],
                       "expected": null, "reason": "not clear-cut"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{change}");
        assert_eq!(change["votes"], 1);
        assert_eq!(board(&server, &admin).await, (28, 0));
        let drift = swipeset_core::board::aggregates::rebuild(&test_db.db, false)
            .await
            .unwrap();
        assert!(drift.is_clean(), "{backend:?}: {drift:?}");
        let (status, again) = server
            .post_json(
                &admin,
                "/api/set_gold",
                json!({"campaign": "haiku-demo", "response_id": met[0],
                       "expected": null, "reason": "again"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        let log = server.get_json(&admin, "/api/audit_log?limit=1").await;
        assert_eq!(log[0]["action"], "unmark_gold", "{log}");
    }
}
