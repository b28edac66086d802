//! The authorization matrix: every server function (as registered with server_fn) and
//! every other HTTP route (`router::http_routes`) is called as anonymous, an annotator, an
//! admin, a disabled user and the holder of a revoked token, and the outcome is checked
//! against the table below. A denied call must answer 401 or 403 with a message and leave
//! every table of the database exactly as it was.
//!
//! A new endpoint without a line in the table fails `the_table_covers_every_endpoint`.

mod common;

use std::collections::BTreeSet;

use common::{Backend, PASSWORD, TestServer};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};
use swipeset_core::accounts::{Role, tokens, users};
use swipeset_core::db::entities::{campaign, generation, rating};
use swipeset_server::auth::AuthConfig;

/// What a caller should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 2xx.
    Ok,
    /// 3xx: a redirect (the OpenID routes send the browser on).
    Redirect,
    Unauth,
    Forbid,
    /// Another 4xx: let through, then refused for what it asked (an empty token, a campaign
    /// that does not exist), where doing it would need the Hub or a model endpoint.
    Refused,
}
use Expect::*;

/// The callers, in the order of each line's expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Annotator,
    Admin,
    Disabled,
    RevokedToken,
}
const EVERYONE: [Who; 5] = [
    Who::Anonymous,
    Who::Annotator,
    Who::Admin,
    Who::Disabled,
    Who::RevokedToken,
];

/// Ids the request bodies refer to.
struct Ctx {
    campaign: String,
    /// A generation nobody has rated, and one the victim rated.
    fresh_generation: i32,
    victims_generation: i32,
    victims_rating: i32,
    victim_id: i32,
    victim_token: i32,
    /// The caller's own token, where they have one.
    own_token: Option<i32>,
    unique: String,
}

struct Case {
    method: &'static str,
    /// The path as registered (with `{slug}` where a route has one).
    path: &'static str,
    /// The query, for GETs.
    query: fn(&Ctx) -> String,
    body: fn(&Ctx) -> Value,
    /// Anonymous, annotator, admin, disabled, revoked token.
    expect: [Expect; 5],
}

fn none(_: &Ctx) -> String {
    String::new()
}
fn of_campaign(c: &Ctx) -> String {
    format!("?campaign={}", c.campaign)
}
fn empty(_: &Ctx) -> Value {
    json!({})
}

/// The table. Rating needs an account here: the server runs without guests.
fn cases() -> Vec<Case> {
    const SIGNED_IN: [Expect; 5] = [Unauth, Ok, Ok, Forbid, Unauth];
    const ADMIN: [Expect; 5] = [Unauth, Forbid, Ok, Forbid, Unauth];
    const ANYONE: [Expect; 5] = [Ok, Ok, Ok, Forbid, Unauth];
    const ADMIN_REFUSED: [Expect; 5] = [Unauth, Forbid, Refused, Forbid, Unauth];
    vec![
        Case {
            method: "GET",
            path: "/api/hub_status",
            query: none,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/save_hub_token",
            query: none,
            body: |_| json!({"token": ""}),
            expect: ADMIN_REFUSED,
        },
        Case {
            method: "POST",
            path: "/api/forget_hub_token",
            query: none,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/publish_to_hub",
            query: none,
            body: |c| json!({"campaign": c.campaign, "repo": "not a repository"}),
            expect: ADMIN_REFUSED,
        },
        Case {
            method: "GET",
            path: "/api/generate_status",
            query: of_campaign,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/save_generate_models",
            query: none,
            body: |c| {
                json!({"campaign": c.campaign, "models": [{
                    "name": "M", "base_url": "http://127.0.0.1:9/v1", "model": "m",
                    "samples": 1, "concurrency": 1
                }]})
            },
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/upload_models_toml",
            query: none,
            body: |c| {
                json!({"campaign": c.campaign,
                    "toml": "[[model]]\nname = \"T\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"t\"\n"})
            },
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/start_generation",
            query: none,
            body: |_| json!({"campaign": "no-such-campaign"}),
            expect: ADMIN_REFUSED,
        },
        Case {
            method: "POST",
            path: "/api/pause_generation",
            query: none,
            body: |c| json!({"campaign": c.campaign}),
            expect: ADMIN_REFUSED,
        },
        Case {
            method: "GET",
            path: "/api/campaigns/{slug}/generate/events",
            query: none,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/me",
            query: none,
            body: empty,
            expect: ANYONE,
        },
        Case {
            method: "POST",
            path: "/api/sign_in",
            query: none,
            body: |_| json!({"name": "spare", "password": PASSWORD}),
            expect: ANYONE,
        },
        Case {
            method: "POST",
            path: "/api/sign_up",
            query: none,
            body: |c| json!({"name": format!("new-{}", c.unique), "password": PASSWORD}),
            expect: ANYONE,
        },
        // Ending a session is no power: even a disabled user may.
        Case {
            method: "POST",
            path: "/api/sign_out",
            query: none,
            body: empty,
            expect: [Ok, Ok, Ok, Ok, Unauth],
        },
        Case {
            method: "POST",
            path: "/api/change_password",
            query: none,
            body: |_| json!({"current_password": PASSWORD, "new_password": "a new password"}),
            expect: SIGNED_IN,
        },
        Case {
            method: "POST",
            path: "/api/set_show_name",
            query: none,
            body: |_| json!({"show": true}),
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/tokens",
            query: none,
            body: empty,
            expect: SIGNED_IN,
        },
        Case {
            method: "POST",
            path: "/api/create_token",
            query: none,
            body: |_| json!({"name": "matrix"}),
            expect: SIGNED_IN,
        },
        Case {
            method: "POST",
            path: "/api/revoke_token",
            query: none,
            body: |c| json!({"id": c.own_token.unwrap_or(c.victim_token)}),
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/users",
            query: none,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/set_user_role",
            query: none,
            body: |c| json!({"user_id": c.victim_id, "role": "annotator"}),
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/set_user_disabled",
            query: none,
            body: |c| json!({"user_id": c.victim_id, "disabled": false}),
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/admin_campaigns",
            query: none,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/admin_campaign",
            query: of_campaign,
            body: empty,
            expect: ADMIN,
        },
        // Saves the campaign's settings unchanged (an admin's save must not disturb the
        // rest of the table).
        Case {
            method: "POST",
            path: "/api/save_campaign",
            query: none,
            body: |c| {
                json!({"settings": {
                    "slug": c.campaign, "title": "Haiku (demo)", "guidelines": "",
                    "overlap": 3, "reveal_models": true, "open": true,
                    "public_board": false, "license": "apache-2.0", "system_prompt": ""
                }})
            },
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/export_preview",
            query: of_campaign,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/leaderboard",
            query: of_campaign,
            body: empty,
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/next_card",
            query: of_campaign,
            body: empty,
            expect: SIGNED_IN,
        },
        Case {
            method: "POST",
            path: "/api/next_cards",
            query: none,
            body: |c| json!({"campaign": c.campaign, "count": 1}),
            expect: SIGNED_IN,
        },
        Case {
            method: "POST",
            path: "/api/rate",
            query: none,
            body: |c| json!({"response_id": c.fresh_generation, "label": "up"}),
            expect: SIGNED_IN,
        },
        Case {
            method: "POST",
            path: "/api/undo",
            query: none,
            body: |c| json!({"response_id": c.victims_generation}),
            expect: SIGNED_IN,
        },
        Case {
            method: "POST",
            path: "/api/skip",
            query: none,
            body: |c| json!({"response_id": c.fresh_generation}),
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/progress",
            query: of_campaign,
            body: empty,
            expect: SIGNED_IN,
        },
        // Health is no data: only a bad token is turned away.
        Case {
            method: "GET",
            path: "/healthz",
            query: none,
            body: empty,
            expect: [Ok, Ok, Ok, Ok, Unauth],
        },
        Case {
            method: "GET",
            path: "/login/oidc",
            query: none,
            body: empty,
            expect: [Redirect, Redirect, Redirect, Redirect, Unauth],
        },
        Case {
            method: "GET",
            path: "/login/callback",
            query: none,
            body: empty,
            expect: [Redirect, Redirect, Redirect, Redirect, Unauth],
        },
        Case {
            method: "GET",
            path: "/api/campaigns/{slug}/events",
            query: none,
            body: empty,
            expect: SIGNED_IN,
        },
        // One new prompt per allowed call, as a one-line JSON Lines file.
        Case {
            method: "POST",
            path: "/api/campaigns/{slug}/import",
            query: |_| "?what=prompts&file_name=prompts.jsonl".to_string(),
            body: |c| json!({"prompt": format!("Uploaded prompt {}", c.unique)}),
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/campaigns/{slug}/export",
            query: |_| "?kind=ratings&format=jsonl".to_string(),
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/campaigns/{slug}/leaderboard",
            query: |_| "?format=csv".to_string(),
            body: empty,
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/campaigns/{slug}/models/{name}",
            query: |_| "?format=json".to_string(),
            body: empty,
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/model_page",
            query: |c| {
                format!(
                    "?campaign={}&model=Demo%20%C2%B7%20Careful%20Poet",
                    c.campaign
                )
            },
            body: empty,
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/raters",
            query: of_campaign,
            body: empty,
            expect: ADMIN,
        },
        // The admin's exclusion is undone by the admin's inclusion on the next line.
        Case {
            method: "POST",
            path: "/api/exclude_rater",
            query: none,
            body: |c| json!({"campaign": c.campaign, "user_id": c.victim_id, "reason": "matrix"}),
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/include_rater",
            query: none,
            body: |c| json!({"campaign": c.campaign, "user_id": c.victim_id, "reason": "matrix"}),
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/audit_log",
            query: none,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/card",
            query: |c| format!("?response_id={}", c.fresh_generation),
            body: empty,
            expect: SIGNED_IN,
        },
        // Flags for the dismissal two lines below to resolve.
        Case {
            method: "POST",
            path: "/api/flag_card",
            query: none,
            body: |c| json!({"response_id": c.victims_generation, "kind": "broken"}),
            expect: SIGNED_IN,
        },
        Case {
            method: "GET",
            path: "/api/flag_queue",
            query: of_campaign,
            body: empty,
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/moderate_response",
            query: none,
            body: |c| {
                json!({"campaign": c.campaign, "response_id": c.victims_generation,
                       "action": "dismiss", "reason": "matrix"})
            },
            expect: ADMIN,
        },
        // Hidden, then shown again on the next line.
        Case {
            method: "POST",
            path: "/api/moderate_response",
            query: none,
            body: |c| {
                json!({"campaign": c.campaign, "response_id": c.victims_generation,
                       "action": "hide", "reason": "matrix"})
            },
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/moderate_response",
            query: none,
            body: |c| {
                json!({"campaign": c.campaign, "response_id": c.victims_generation,
                       "action": "show", "reason": "matrix"})
            },
            expect: ADMIN,
        },
        // Last: the victim's rating is gone after it.
        Case {
            method: "POST",
            path: "/api/delete_rating",
            query: none,
            body: |c| json!({"campaign": c.campaign, "rating_id": c.victims_rating, "reason": "matrix"}),
            expect: ADMIN,
        },
        Case {
            method: "GET",
            path: "/api/gold_cards",
            query: of_campaign,
            body: empty,
            expect: ADMIN,
        },
        // Marked gold, then unmarked on the next line.
        Case {
            method: "POST",
            path: "/api/set_gold",
            query: none,
            body: |c| {
                json!({"campaign": c.campaign, "response_id": c.fresh_generation,
                       "expected": "up", "reason": "matrix"})
            },
            expect: ADMIN,
        },
        Case {
            method: "POST",
            path: "/api/set_gold",
            query: none,
            body: |c| {
                json!({"campaign": c.campaign, "response_id": c.fresh_generation,
                       "expected": null, "reason": "matrix"})
            },
            expect: ADMIN,
        },
    ]
}

/// Every endpoint the server has: server functions from server_fn's registry, the other
/// routes from the router's own list.
fn registered_endpoints() -> BTreeSet<(String, String)> {
    let mut all: BTreeSet<(String, String)> = server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method.to_string(), path.to_string()))
        .collect();
    for (method, path, _) in swipeset_server::router::http_routes() {
        all.insert((method.to_string(), path.to_string()));
    }
    all
}

#[test]
fn the_table_covers_every_endpoint() {
    let table: BTreeSet<(String, String)> = cases()
        .iter()
        .map(|c| (c.method.to_string(), c.path.to_string()))
        .collect();
    let registered = registered_endpoints();
    let missing: Vec<_> = registered.difference(&table).collect();
    let stale: Vec<_> = table.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "endpoints with no line in the authorization table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "lines for endpoints that do not exist: {stale:?}"
    );
    assert!(registered.len() >= 29, "{registered:?}");
}

/// Everything in the database, as text: a denied call must leave it exactly so.
async fn snapshot(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let tables = db
        .query_all(Statement::from_string(
            backend,
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        ))
        .await
        .expect("tables");
    let mut out = Vec::new();
    for table in tables {
        let name: String = table.try_get_by_index(0).expect("name");
        let columns = db
            .query_all(Statement::from_string(
                backend,
                format!("SELECT name FROM pragma_table_info('{name}')"),
            ))
            .await
            .expect("columns");
        let quoted: Vec<String> = columns
            .iter()
            .map(|c| c.try_get_by_index::<String>(0).expect("column"))
            // A token's last use is the record of an attempt, kept on purpose even when
            // the attempt is refused: it is not something the refused call changed.
            .filter(|column| !(name == "api_token" && column == "last_used_at"))
            .map(|column| format!("quote(\"{column}\")"))
            .collect();
        let rows = db
            .query_all(Statement::from_string(
                backend,
                format!(
                    "SELECT {} FROM \"{name}\" ORDER BY rowid",
                    quoted.join(" || '|' || ")
                ),
            ))
            .await
            .expect("rows");
        for row in rows {
            let line: String = row.try_get_by_index(0).expect("row");
            out.push(format!("{name}: {line}"));
        }
    }
    out
}

struct World {
    server: TestServer,
    ctx: Ctx,
}

async fn world() -> (common::TestDb, World) {
    let test_db = Backend::Sqlite.fresh().await;
    let db = test_db.db.clone();
    swipeset_core::campaign::demo::load(&db)
        .await
        .expect("demo");
    // The demo's board is public; the matrix is about a private one.
    let demo = campaign::Entity::find().one(&db).await.unwrap().unwrap();
    let slug = demo.slug.clone();
    let mut private: campaign::ActiveModel = demo.into();
    private.public_board = Set(false);
    private.update(&db).await.unwrap();

    users::create(&db, "root", PASSWORD, Role::Admin)
        .await
        .unwrap();
    users::create(&db, "spare", PASSWORD, Role::Annotator)
        .await
        .unwrap();
    let victim = users::create(&db, "victim", PASSWORD, Role::Annotator)
        .await
        .unwrap();
    let (victim_token, _) = tokens::create(&db, victim.id, "victim's").await.unwrap();
    let generations = generation::Entity::find().all(&db).await.unwrap();
    let store = swipeset_core::Store::new(db.clone());
    swipeset_core::rating::rate::rate(
        &store,
        victim.id,
        swipeset_core::rating::rate::NewRating {
            response_id: generations[0].id,
            label: swipeset_core::Label::Down,
            client_id: None,
            decision_ms: None,
        },
    )
    .await
    .unwrap();
    let victims_rating = rating::Entity::find().one(&db).await.unwrap().unwrap().id;
    let auth = AuthConfig {
        open_registration: true,
        ..AuthConfig::default()
    };
    let server =
        TestServer::start_with(db.clone(), std::path::Path::new("target/site"), auth).await;
    let ctx = Ctx {
        campaign: slug,
        fresh_generation: generations[1].id,
        victims_generation: generations[0].id,
        victims_rating,
        victim_id: victim.id,
        victim_token: victim_token.id,
        own_token: None,
        unique: String::new(),
    };
    (test_db, World { server, ctx })
}

/// How a signed-in caller proves who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Session,
    Token,
}

/// A client acting as `who`, made afresh for each call (a call may sign it out), with
/// the id of a token of its own where it has an account. With `Via::Token` the account
/// holders send their token instead of a session cookie.
async fn caller(world: &World, who: Who, n: usize, via: Via) -> (reqwest::Client, Option<i32>) {
    let db = &world.server.db;
    let account = |role: Role| async move {
        let name = format!("{role:?}-{via:?}-{n}").to_lowercase();
        let user = users::create(db, &name, PASSWORD, role).await.unwrap();
        let (token, secret) = tokens::create(db, user.id, "own").await.unwrap();
        (user, name, token.id, secret)
    };
    let sign_in = move |name: String, secret: String| async move {
        if via == Via::Token {
            return common::bearer_client(&secret);
        }
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = client
            .post(world.server.url("/api/sign_in"))
            .json(&json!({"name": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "sign in as {name}");
        client
    };
    match who {
        Who::Anonymous => (
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            None,
        ),
        Who::Annotator => {
            let (_, name, token, secret) = account(Role::Annotator).await;
            (sign_in(name, secret).await, Some(token))
        }
        Who::Admin => {
            let (_, name, token, secret) = account(Role::Admin).await;
            (sign_in(name, secret).await, Some(token))
        }
        Who::Disabled => {
            let (user, name, token, secret) = account(Role::Annotator).await;
            let client = sign_in(name, secret).await;
            users::set_disabled(db, user.id, true).await.unwrap();
            (client, Some(token))
        }
        Who::RevokedToken => {
            let (user, _, _, _) = account(Role::Admin).await;
            let (row, token) = tokens::create(db, user.id, "revoked").await.unwrap();
            tokens::revoke(db, user.id, row.id).await.unwrap();
            (common::bearer_client(&token), None)
        }
    }
}

/// Once with sessions and once with API tokens: a token opens what a session opens.
#[tokio::test]
async fn every_endpoint_answers_each_caller_as_the_table_says() {
    for via in [Via::Session, Via::Token] {
        matrix(via).await;
    }
}

async fn matrix(via: Via) {
    let (_db, mut world) = world().await;
    let mut failures = Vec::new();
    let mut n = 0;
    for case in cases() {
        for (i, who) in EVERYONE.iter().enumerate() {
            n += 1;
            let (client, own_token) = caller(&world, *who, n, via).await;
            world.ctx.own_token = own_token;
            world.ctx.unique = n.to_string();
            let path = case
                .path
                .replace("{slug}", &world.ctx.campaign)
                .replace("{name}", "Demo%20%C2%B7%20Careful%20Poet");
            let url = world
                .server
                .url(&format!("{path}{}", (case.query)(&world.ctx)));
            let before = snapshot(&world.server.db).await;
            let request = match case.method {
                "GET" => client.get(&url),
                _ => client.post(&url).json(&(case.body)(&world.ctx)),
            };
            let response = request.send().await.expect("request");
            let status = response.status();
            let expected = case.expect[i];
            let got = if status.is_success() {
                Ok
            } else if status.is_redirection() {
                Redirect
            } else if status == StatusCode::UNAUTHORIZED {
                Unauth
            } else if status == StatusCode::FORBIDDEN {
                Forbid
            } else if status.is_client_error() {
                Refused
            } else {
                failures.push(format!(
                    "{} {} as {who:?} by {via:?}: unexpected {status}: {}",
                    case.method,
                    case.path,
                    response.text().await.unwrap_or_default()
                ));
                continue;
            };
            if got != expected {
                failures.push(format!(
                    "{} {} as {who:?} by {via:?}: expected {expected:?}, got {status}",
                    case.method, case.path
                ));
                continue;
            }
            if matches!(got, Unauth | Forbid | Refused) {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let message = body["message"].as_str().unwrap_or_default();
                if message.len() < 10 {
                    failures.push(format!(
                        "{} {} as {who:?}: the refusal has no clear message: {body}",
                        case.method, case.path
                    ));
                }
                let after = snapshot(&world.server.db).await;
                if before != after {
                    let changed: Vec<_> = after.iter().filter(|l| !before.contains(l)).collect();
                    failures.push(format!(
                        "{} {} as {who:?}: refused, yet the database changed: {changed:?}",
                        case.method, case.path
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} calls went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn an_annotator_cannot_act_as_someone_else() {
    let (_db, world) = world().await;
    let (client, _) = caller(&world, Who::Annotator, 1, Via::Session).await;
    let db = &world.server.db;
    let victim_rating = || async {
        rating::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.user_id == world.ctx.victim_id)
            .count()
    };
    // Undoing the victim's card undoes nothing of theirs.
    let (_, reply) = world
        .server
        .post_json(
            &client,
            "/api/undo",
            json!({"response_id": world.ctx.victims_generation}),
        )
        .await;
    assert_eq!(reply["undone"], false, "{reply}");
    assert_eq!(victim_rating().await, 1);
    // A rating is always the caller's own: there is no field to name anyone else, and an
    // extra one is refused.
    let (status, _) = world
        .server
        .post_json(
            &client,
            "/api/rate",
            json!({"response_id": world.ctx.fresh_generation, "label": "up", "user_id": world.ctx.victim_id}),
        )
        .await;
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::OK,
        "{status}"
    );
    assert_eq!(
        victim_rating().await,
        1,
        "nothing was added in the victim's name"
    );
    // Their own role stays theirs to keep.
    let me = users::find_by_name(db, "annotator-session-1")
        .await
        .unwrap()
        .unwrap();
    let (status, body) = world
        .server
        .post_json(
            &client,
            "/api/set_user_role",
            json!({"user_id": me.id, "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        users::find(db, me.id).await.unwrap().unwrap().role,
        "annotator"
    );
    // Someone else's token is not theirs to revoke, and reads as not found.
    let (status, _) = world
        .server
        .post_json(
            &client,
            "/api/revoke_token",
            json!({"id": world.ctx.victim_token}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Admin data stays out of pages too: the users page lists nobody for them.
    let page = world.server.get_text(&client, "/admin/users").await;
    assert!(!page.contains("victim"), "the users page leaked a name");
}

#[tokio::test]
async fn a_public_board_needs_no_sign_in_and_a_private_one_does() {
    let (_db, world) = world().await;
    let anonymous = reqwest::Client::new();
    let path = format!("/api/leaderboard?campaign={}", world.ctx.campaign);
    let res = anonymous.get(world.server.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let db = &world.server.db;
    let c = campaign::Entity::find().one(db).await.unwrap().unwrap();
    let mut public: campaign::ActiveModel = c.into();
    public.public_board = Set(true);
    public.update(db).await.unwrap();
    let res = anonymous.get(world.server.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The board is public; rating still is not.
    let res = anonymous
        .post(world.server.url("/api/next_cards"))
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// What is wrong with the instance (the storage warning of a Space) reaches admins through
/// `/api/me`, and nobody else.
#[tokio::test]
async fn only_admins_are_told_what_is_wrong_with_the_instance() {
    let test_db = Backend::Sqlite.fresh().await;
    let db = &test_db.db;
    let notice = "Ratings will be lost when this Space restarts: test";
    let state = swipeset_server::AppState::new(db.clone(), std::path::Path::new("target/site"))
        .with_admin_notice(Some(notice.to_string()))
        .with_admin_notice(None);
    let addr = common::serve(state).await;
    let me = |client: reqwest::Client| async move {
        let res = client
            .get(format!("http://{addr}/api/me"))
            .send()
            .await
            .expect("me");
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.expect("json")
    };
    let admin = me(common::admin_client(db).await).await;
    assert_eq!(admin["notices"], json!([notice]));

    let ada = users::create(db, "ada", PASSWORD, Role::Annotator)
        .await
        .expect("ada");
    let (_, token) = tokens::create(db, ada.id, "t").await.expect("token");
    let annotator = me(common::bearer_client(&token)).await;
    assert_eq!(annotator["user"]["name"], "ada");
    assert!(annotator.get("notices").is_none(), "{annotator}");
    let nobody = me(reqwest::Client::new()).await;
    assert!(nobody.get("notices").is_none(), "{nobody}");
}
