//! The endpoints, as the Hub documents them (https://huggingface.co/docs/hub/api and the
//! `huggingface_hub` client's calls for what the page leaves out):
//!
//! - `GET  /api/whoami-v2`
//! - `POST /api/repos/create`
//! - `GET  /api/datasets/{owner}/{name}/tree/{rev}[/{path}]`
//! - `POST /api/datasets/{owner}/{name}/preupload/{rev}`
//! - `POST /datasets/{owner}/{name}.git/info/lfs/objects/batch` (git-lfs batch API), then
//!   `PUT` to the upload URL it hands out and `POST` to its verify URL
//! - `POST /api/datasets/{owner}/{name}/commit/{rev}` (NDJSON: a header, then operations)
//! - `GET  /datasets/{owner}/{name}/resolve/{rev}/{path}`
//!
//! and, for tests driving the binary, `POST /_standin/faults` and
//! `GET /_standin/repos/{owner}/{name}`.

// Handlers answer errors as the responses they are; boxing them would only add noise to a
// test server.
#![allow(clippy::result_large_err)]

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::files::{REGULAR_MAX, git_blob_oid, needs_lfs, sha256_hex, valid_path};
use super::{Account, CommitRecord, Endpoint, Fault, Repo, Shared, Stored};

type Hub = State<Arc<Shared>>;
type Reply = Result<Response, Response>;

const LFS_JSON: &str = "application/vnd.git-lfs+json";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/whoami-v2", get(whoami))
        .route("/api/repos/create", post(create_repo))
        .route("/api/datasets/{owner}/{name}/tree/{rev}", get(tree_root))
        .route(
            "/api/datasets/{owner}/{name}/tree/{rev}/{*path}",
            get(tree_path),
        )
        .route(
            "/api/datasets/{owner}/{name}/preupload/{rev}",
            post(preupload),
        )
        .route("/api/datasets/{owner}/{name}/commit/{rev}", post(commit))
        .route(
            "/datasets/{owner}/{name}/info/lfs/objects/batch",
            post(lfs_batch),
        )
        .route(
            "/datasets/{owner}/{name}/info/lfs/objects/verify",
            post(lfs_verify),
        )
        .route(
            "/datasets/{owner}/{name}/resolve/{rev}/{*path}",
            get(resolve),
        )
        .route("/_lfs/upload/{ticket}", put(lfs_upload))
        .route("/_lfs/object/{oid}", get(lfs_object))
        .route("/_standin/faults", post(add_fault))
        .route("/_standin/repos/{owner}/{name}", get(describe))
        // Larger than any test's upload, so the Hub's own 413 is not what a test meets.
        .layer(axum::extract::DefaultBodyLimit::max(512 * 1024 * 1024))
        .with_state(shared)
}

/// An error as the Hub sends it: a JSON body with `error`, the same text in
/// `X-Error-Message`, and sometimes a machine-readable `X-Error-Code`.
fn error(status: StatusCode, code: Option<&str>, message: impl Into<String>) -> Response {
    let message = message.into();
    let mut response = (status, axum::Json(json!({ "error": message }))).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&message.replace(['\r', '\n'], " ")) {
        headers.insert("x-error-message", value);
    }
    if let Some(value) = code.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert("x-error-code", value);
    }
    response
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, None, message)
}

/// Logs the call and its status; a pending fault for the endpoint answers instead.
async fn run(hub: &Shared, endpoint: Endpoint, work: impl Future<Output = Reply>) -> Response {
    let fault = {
        let mut state = hub.lock();
        let found = state
            .faults
            .iter()
            .position(|f| f.endpoint == endpoint && f.times > 0);
        found.map(|i| {
            state.faults[i].times -= 1;
            state.faults[i].clone()
        })
    };
    let response = match fault {
        Some(fault) => fault_response(&fault),
        None => work.await.unwrap_or_else(|e| e),
    };
    hub.lock().log.push((endpoint, response.status().as_u16()));
    response
}

fn fault_response(fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = error(status, None, format!("stand-in fault: {status}"));
    if let Some(seconds) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The caller's account: 401 without a known token.
fn caller(hub: &Shared, headers: &HeaderMap) -> Result<Account, Response> {
    let Some(token) = bearer(headers) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            None,
            "Invalid username or password.",
        ));
    };
    hub.lock()
        .accounts
        .iter()
        .find(|a| a.token == token)
        .cloned()
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                None,
                "Invalid credentials in Authorization header",
            )
        })
}

/// The caller's account, when it may write to `owner`'s repositories.
fn writer(hub: &Shared, headers: &HeaderMap, owner: &str) -> Result<Account, Response> {
    let account = caller(hub, headers)?;
    if !account.write {
        return Err(error(
            StatusCode::FORBIDDEN,
            None,
            "You have read access but not the required permissions for this operation.",
        ));
    }
    if account.user != owner && !account.orgs.iter().any(|o| o == owner) {
        return Err(error(
            StatusCode::FORBIDDEN,
            None,
            format!("You don't have the rights to write to the namespace {owner}"),
        ));
    }
    Ok(account)
}

fn repo_not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        Some("RepoNotFound"),
        "Repository not found",
    )
}

fn check_revision(rev: &str) -> Result<(), Response> {
    if rev == "main" {
        Ok(())
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {rev}"),
        ))
    }
}

/// A repository the caller (who may be anonymous) can see: public, or in a namespace of
/// theirs. Others' private repositories do not exist, as far as the answer says.
fn visible(hub: &Shared, headers: &HeaderMap, id: &str) -> Result<(), Response> {
    let account = bearer(headers).and_then(|token| {
        hub.lock()
            .accounts
            .iter()
            .find(|a| a.token == token)
            .cloned()
    });
    if bearer(headers).is_some() && account.is_none() {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            None,
            "Invalid credentials in Authorization header",
        ));
    }
    let state = hub.lock();
    let repo = state.repos.get(id).ok_or_else(repo_not_found)?;
    let mine = account.is_some_and(|a| a.user == repo.owner || a.orgs.contains(&repo.owner));
    if repo.private && !mine {
        return Err(repo_not_found());
    }
    Ok(())
}

async fn whoami(State(hub): Hub, headers: HeaderMap) -> Response {
    run(&hub, Endpoint::Whoami, async {
        let account = caller(&hub, &headers)?;
        let orgs: Vec<Value> = account.orgs.iter().map(|o| json!({"name": o})).collect();
        let role = if account.write { "write" } else { "read" };
        Ok(axum::Json(json!({
            "type": "user",
            "name": account.user,
            "orgs": orgs,
            "auth": {"type": "access_token", "accessToken": {"role": role}},
        }))
        .into_response())
    })
    .await
}

#[derive(Deserialize)]
struct CreateRepo {
    name: String,
    organization: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    private: Option<bool>,
}

/// The Hub's rule for repository names.
fn valid_name(name: &str) -> bool {
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (1..=96).contains(&name.len())
        && allowed
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.'])
        && !name.contains("--")
        && !name.contains("..")
}

async fn create_repo(State(hub): Hub, headers: HeaderMap, body: Bytes) -> Response {
    run(&hub, Endpoint::CreateRepo, async {
        let request: CreateRepo = serde_json::from_slice(&body)
            .map_err(|e| bad_request(format!("Invalid JSON body: {e}")))?;
        let account = caller(&hub, &headers)?;
        let owner = request
            .organization
            .clone()
            .unwrap_or_else(|| account.user.clone());
        writer(&hub, &headers, &owner)?;
        if request.kind.as_deref() != Some("dataset") {
            return Err(bad_request(
                "the stand-in only keeps dataset repositories (type: dataset)",
            ));
        }
        if !valid_name(&request.name) {
            return Err(bad_request(format!(
                "Invalid repo name: {} (letters, digits, '-', '_' and '.', at most 96)",
                request.name
            )));
        }
        let id = format!("{owner}/{}", request.name);
        let url = format!("{}/datasets/{id}", hub.base);
        let mut state = hub.lock();
        if state.repos.contains_key(&id) {
            let mut response = error(
                StatusCode::CONFLICT,
                None,
                "You already created this dataset repo",
            );
            *response.body_mut() = axum::body::Body::from(
                json!({"error": "You already created this dataset repo", "url": url}).to_string(),
            );
            return Err(response);
        }
        // A new repository on the Hub has one commit: its .gitattributes.
        let attributes = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.db filter=lfs diff=lfs merge=lfs -text\n".to_vec();
        let mut repo = Repo {
            owner,
            private: request.private.unwrap_or(false),
            ..Repo::default()
        };
        repo.files
            .insert(".gitattributes".into(), Stored::Regular(attributes));
        repo.commits.push(CommitRecord {
            oid: git_blob_oid(format!("initial {id}").as_bytes()),
            summary: "initial commit".into(),
            description: String::new(),
            added: vec![".gitattributes".into()],
            deleted: Vec::new(),
        });
        state.repos.insert(id.clone(), repo);
        Ok(axum::Json(json!({"url": url, "name": id})).into_response())
    })
    .await
}

#[derive(Deserialize)]
struct TreeQuery {
    #[serde(default)]
    recursive: bool,
}

async fn tree_root(
    State(hub): Hub,
    headers: HeaderMap,
    Path((owner, name, rev)): Path<(String, String, String)>,
    Query(query): Query<TreeQuery>,
) -> Response {
    let id = format!("{owner}/{name}");
    run(
        &hub,
        Endpoint::Tree,
        tree(&hub, &headers, &id, &rev, "", query),
    )
    .await
}

async fn tree_path(
    State(hub): Hub,
    headers: HeaderMap,
    Path((owner, name, rev, path)): Path<(String, String, String, String)>,
    Query(query): Query<TreeQuery>,
) -> Response {
    let id = format!("{owner}/{name}");
    run(
        &hub,
        Endpoint::Tree,
        tree(&hub, &headers, &id, &rev, &path, query),
    )
    .await
}

fn pointer(oid: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n")
}

async fn tree(
    hub: &Shared,
    headers: &HeaderMap,
    id: &str,
    rev: &str,
    folder: &str,
    query: TreeQuery,
) -> Reply {
    visible(hub, headers, id)?;
    check_revision(rev)?;
    let state = hub.lock();
    let repo = state.repos.get(id).ok_or_else(repo_not_found)?;
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{}/", folder.trim_end_matches('/'))
    };
    let mut entries = Vec::new();
    let mut folders = HashSet::new();
    for (path, stored) in repo.files.range(prefix.clone()..) {
        let Some(rest) = path.strip_prefix(&prefix) else {
            break;
        };
        if let Some((first, _)) = rest.split_once('/') {
            if folders.insert(first.to_string()) {
                entries.push(json!({"type": "directory", "path": format!("{prefix}{first}"), "oid": git_blob_oid(first.as_bytes()), "size": 0}));
            }
            if !query.recursive {
                continue;
            }
        }
        entries.push(match stored {
            Stored::Regular(bytes) => json!({
                "type": "file", "path": path, "oid": git_blob_oid(bytes), "size": bytes.len(),
            }),
            Stored::Lfs { oid, size } => {
                let pointer = pointer(oid, *size);
                json!({
                    "type": "file", "path": path, "oid": git_blob_oid(pointer.as_bytes()),
                    "size": size,
                    "lfs": {"oid": oid, "size": size, "pointerSize": pointer.len()},
                })
            }
        });
    }
    if entries.is_empty() && !prefix.is_empty() {
        return Err(error(
            StatusCode::NOT_FOUND,
            Some("EntryNotFound"),
            format!("{folder} does not exist on \"main\""),
        ));
    }
    Ok(axum::Json(entries).into_response())
}

#[derive(Deserialize)]
struct PreuploadFile {
    path: String,
    sample: String,
    size: u64,
}

#[derive(Deserialize)]
struct Preupload {
    files: Vec<PreuploadFile>,
}

async fn preupload(
    State(hub): Hub,
    headers: HeaderMap,
    Path((owner, name, rev)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    run(&hub, Endpoint::Preupload, async {
        let id = format!("{owner}/{name}");
        visible(&hub, &headers, &id)?;
        writer(&hub, &headers, &owner)?;
        check_revision(&rev)?;
        let request: Preupload = serde_json::from_slice(&body)
            .map_err(|e| bad_request(format!("Invalid JSON body: {e}")))?;
        let state = hub.lock();
        let repo = state.repos.get(&id).ok_or_else(repo_not_found)?;
        let mut files = Vec::new();
        for file in request.files {
            if !valid_path(&file.path) {
                return Err(bad_request(format!("Invalid path: {}", file.path)));
            }
            let sample = BASE64
                .decode(&file.sample)
                .map_err(|e| bad_request(format!("{}: sample is not base64: {e}", file.path)))?;
            if sample.len() > 512 {
                return Err(bad_request(format!(
                    "{}: the sample is {} bytes; at most 512",
                    file.path,
                    sample.len()
                )));
            }
            let mode = if needs_lfs(&file.path, &sample, file.size) {
                "lfs"
            } else {
                "regular"
            };
            let oid = repo.files.get(&file.path).map(|stored| match stored {
                Stored::Regular(bytes) => git_blob_oid(bytes),
                Stored::Lfs { oid, .. } => oid.clone(),
            });
            files.push(json!({
                "path": file.path, "uploadMode": mode, "shouldIgnore": false, "oid": oid,
            }));
        }
        let head = repo.commits.last().map(|c| c.oid.clone());
        Ok(axum::Json(json!({"files": files, "commitOid": head})).into_response())
    })
    .await
}

#[derive(Deserialize)]
struct LfsObject {
    oid: String,
    size: u64,
}

#[derive(Deserialize)]
struct LfsBatch {
    operation: String,
    #[serde(default)]
    transfers: Vec<String>,
    objects: Vec<LfsObject>,
    #[serde(default)]
    hash_algo: Option<String>,
}

fn repo_of_git(owner: &str, name: &str) -> Result<String, Response> {
    name.strip_suffix(".git")
        .map(|n| format!("{owner}/{n}"))
        .ok_or_else(repo_not_found)
}

fn lfs_reply(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(LFS_JSON));
    response
}

async fn lfs_batch(
    State(hub): Hub,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    run(&hub, Endpoint::LfsBatch, async {
        let id = repo_of_git(&owner, &name)?;
        let accepts = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(LFS_JSON));
        if !accepts {
            return Err(error(
                StatusCode::NOT_ACCEPTABLE,
                None,
                format!("the LFS batch API answers {LFS_JSON}; send it in Accept"),
            ));
        }
        visible(&hub, &headers, &id)?;
        writer(&hub, &headers, &owner)?;
        let request: LfsBatch = serde_json::from_slice(&body)
            .map_err(|e| bad_request(format!("Invalid JSON body: {e}")))?;
        if request.operation != "upload" {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                "the stand-in implements upload only",
            ));
        }
        if !request.transfers.is_empty() && !request.transfers.iter().any(|t| t == "basic") {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                "no supported transfer adapter (basic)",
            ));
        }
        if request.hash_algo.as_deref().is_some_and(|h| h != "sha256") {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                "unsupported hash algorithm",
            ));
        }
        let mut state = hub.lock();
        let mut objects = Vec::new();
        for object in request.objects {
            let well_formed =
                object.oid.len() == 64 && object.oid.bytes().all(|b| b.is_ascii_hexdigit());
            if !well_formed {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    format!("invalid oid {}", object.oid),
                ));
            }
            if state.lfs.contains_key(&object.oid) {
                objects
                    .push(json!({"oid": object.oid, "size": object.size, "authenticated": true}));
                continue;
            }
            let ticket = uuid::Uuid::new_v4().simple().to_string();
            state
                .upload_urls
                .insert(ticket.clone(), (object.oid.clone(), object.size));
            objects.push(json!({
                "oid": object.oid, "size": object.size, "authenticated": true,
                "actions": {
                    "upload": {"href": format!("{}/_lfs/upload/{ticket}", hub.base), "header": {}},
                    "verify": {
                        "href": format!("{}/datasets/{id}.git/info/lfs/objects/verify", hub.base),
                        "header": {},
                    },
                },
            }));
        }
        Ok(lfs_reply(
            StatusCode::OK,
            json!({"transfer": "basic", "objects": objects, "hash_algo": "sha256"}),
        ))
    })
    .await
}

/// The storage behind an upload URL, as S3 behaves: no token (the URL is the permission),
/// and content that must match what the batch call announced.
async fn lfs_upload(State(hub): Hub, Path(ticket): Path<String>, body: Bytes) -> Response {
    run(&hub, Endpoint::LfsUpload, async {
        let mut state = hub.lock();
        let (oid, size) = state
            .upload_urls
            .get(&ticket)
            .cloned()
            .ok_or_else(|| error(StatusCode::FORBIDDEN, None, "unknown upload URL"))?;
        if body.len() as u64 != size {
            return Err(bad_request(format!(
                "received {} bytes; the batch call announced {size}",
                body.len()
            )));
        }
        if sha256_hex(&body) != oid {
            return Err(bad_request(
                "the content does not hash to the sha256 announced",
            ));
        }
        state.lfs_pending.insert(oid, body.to_vec());
        Ok(StatusCode::OK.into_response())
    })
    .await
}

async fn lfs_verify(
    State(hub): Hub,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    run(&hub, Endpoint::LfsVerify, async {
        let id = repo_of_git(&owner, &name)?;
        visible(&hub, &headers, &id)?;
        writer(&hub, &headers, &owner)?;
        let object: LfsObject = serde_json::from_slice(&body)
            .map_err(|e| bad_request(format!("Invalid JSON body: {e}")))?;
        let mut state = hub.lock();
        if let Some(bytes) = state.lfs_pending.remove(&object.oid) {
            if bytes.len() as u64 != object.size {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    "size mismatch",
                ));
            }
            state.lfs.insert(object.oid, bytes);
        } else if !state.lfs.contains_key(&object.oid) {
            return Err(error(
                StatusCode::NOT_FOUND,
                None,
                format!("object {} was not uploaded", object.oid),
            ));
        }
        Ok(lfs_reply(StatusCode::OK, json!({})))
    })
    .await
}

#[derive(Deserialize)]
struct Line {
    key: String,
    value: Value,
}

enum Operation {
    Put(String, Stored),
    Delete(String),
    DeleteFolder(String),
}

fn text_field<'a>(value: &'a Value, field: &str, line: usize) -> Result<&'a str, Response> {
    value[field]
        .as_str()
        .ok_or_else(|| bad_request(format!("line {line}: `{field}` is missing or not a string")))
}

fn checked_path(value: &Value, line: usize) -> Result<String, Response> {
    let path = text_field(value, "path", line)?;
    if !valid_path(path) {
        return Err(bad_request(format!("line {line}: invalid path {path:?}")));
    }
    Ok(path.to_string())
}

async fn commit(
    State(hub): Hub,
    headers: HeaderMap,
    Path((owner, name, rev)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    run(&hub, Endpoint::Commit, async {
        let id = format!("{owner}/{name}");
        visible(&hub, &headers, &id)?;
        writer(&hub, &headers, &owner)?;
        check_revision(&rev)?;
        let ndjson = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-ndjson"));
        if !ndjson {
            return Err(bad_request(
                "a commit is sent as Content-Type: application/x-ndjson",
            ));
        }
        let text = std::str::from_utf8(&body).map_err(|_| bad_request("body is not UTF-8"))?;
        let mut lines = Vec::new();
        for (i, raw) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let line: Line = serde_json::from_str(raw)
                .map_err(|e| bad_request(format!("line {}: {e}", i + 1)))?;
            lines.push((i + 1, line));
        }
        let Some((_, header_line)) = lines.first().filter(|(_, l)| l.key == "header") else {
            return Err(bad_request("the first line must be the header"));
        };
        let summary = text_field(&header_line.value, "summary", 1)?
            .trim()
            .to_string();
        if summary.is_empty() {
            return Err(bad_request("the commit summary is empty"));
        }
        let description = header_line.value["description"]
            .as_str()
            .unwrap_or_default()
            .to_string();

        let mut state = hub.lock();
        let head = state
            .repos
            .get(&id)
            .and_then(|r| r.commits.last())
            .map(|c| c.oid.clone());
        if let Some(parent) = header_line.value["parentCommit"].as_str()
            && Some(parent) != head.as_deref()
        {
            return Err(error(
                StatusCode::PRECONDITION_FAILED,
                None,
                "A commit has happened since. Please refresh and try again.",
            ));
        }
        // Every operation is checked before any is applied: a commit is all or nothing.
        let mut operations = Vec::new();
        let mut seen = HashSet::new();
        for (number, line) in &lines[1..] {
            let (number, value) = (*number, &line.value);
            let path = checked_path(value, number)?;
            if !seen.insert(path.clone()) {
                return Err(bad_request(format!(
                    "line {number}: {path} appears twice in one commit"
                )));
            }
            let operation = match line.key.as_str() {
                "file" => {
                    if value["encoding"].as_str() != Some("base64") {
                        return Err(bad_request(format!(
                            "line {number}: encoding must be base64"
                        )));
                    }
                    let content = BASE64
                        .decode(text_field(value, "content", number)?)
                        .map_err(|e| bad_request(format!("line {number}: {e}")))?;
                    if content.len() as u64 > REGULAR_MAX || content.contains(&0) {
                        return Err(bad_request(format!(
                            "Your push was rejected because it contains binary files or files \
                             over 10 MB ({path}); upload them with LFS"
                        )));
                    }
                    Operation::Put(path, Stored::Regular(content))
                }
                "lfsFile" => {
                    if value["algo"].as_str() != Some("sha256") {
                        return Err(bad_request(format!("line {number}: algo must be sha256")));
                    }
                    let oid = text_field(value, "oid", number)?.to_string();
                    let size = value["size"]
                        .as_u64()
                        .ok_or_else(|| bad_request(format!("line {number}: size is missing")))?;
                    let stored = state.lfs.get(&oid).map(|b| b.len() as u64);
                    if stored != Some(size) {
                        return Err(bad_request(format!(
                            "Your push was rejected because an LFS pointer pointed to a file \
                             that does not exist ({path}: {oid}, {size} bytes)"
                        )));
                    }
                    Operation::Put(path, Stored::Lfs { oid, size })
                }
                "deletedFile" => {
                    let exists = state
                        .repos
                        .get(&id)
                        .is_some_and(|r| r.files.contains_key(&path));
                    if !exists {
                        return Err(error(
                            StatusCode::NOT_FOUND,
                            Some("EntryNotFound"),
                            format!("line {number}: cannot delete {path}: no such file"),
                        ));
                    }
                    Operation::Delete(path)
                }
                "deletedFolder" => Operation::DeleteFolder(path),
                other => {
                    return Err(bad_request(format!(
                        "line {number}: unknown operation {other:?}"
                    )));
                }
            };
            operations.push(operation);
        }
        let base = hub.base.clone();
        let repo = state.repos.get_mut(&id).ok_or_else(repo_not_found)?;
        let oid = git_blob_oid(format!("{id}:{}:{summary}", repo.commits.len()).as_bytes());
        let mut record = CommitRecord {
            oid: oid.clone(),
            summary,
            description,
            added: Vec::new(),
            deleted: Vec::new(),
        };
        for operation in operations {
            match operation {
                Operation::Put(path, stored) => {
                    record.added.push(path.clone());
                    repo.files.insert(path, stored);
                }
                Operation::Delete(path) => {
                    repo.files.remove(&path);
                    record.deleted.push(path);
                }
                Operation::DeleteFolder(folder) => {
                    let prefix = format!("{folder}/");
                    let gone: Vec<String> = repo
                        .files
                        .keys()
                        .filter(|p| p.starts_with(&prefix))
                        .cloned()
                        .collect();
                    for path in gone {
                        repo.files.remove(&path);
                        record.deleted.push(path);
                    }
                }
            }
        }
        repo.commits.push(record);
        Ok(axum::Json(json!({
            "commitUrl": format!("{base}/datasets/{id}/commit/{oid}"),
            "commitOid": oid,
            "pullRequestUrl": null,
        }))
        .into_response())
    })
    .await
}

async fn resolve(
    State(hub): Hub,
    headers: HeaderMap,
    Path((owner, name, rev, path)): Path<(String, String, String, String)>,
) -> Response {
    run(&hub, Endpoint::Resolve, async {
        let id = format!("{owner}/{name}");
        visible(&hub, &headers, &id)?;
        check_revision(&rev)?;
        let state = hub.lock();
        let repo = state.repos.get(&id).ok_or_else(repo_not_found)?;
        match repo.files.get(&path) {
            Some(Stored::Regular(bytes)) => Ok(bytes.clone().into_response()),
            // The Hub redirects LFS files to its storage.
            Some(Stored::Lfs { oid, .. }) => Ok((
                StatusCode::FOUND,
                [(header::LOCATION, format!("{}/_lfs/object/{oid}", hub.base))],
            )
                .into_response()),
            None => Err(error(
                StatusCode::NOT_FOUND,
                Some("EntryNotFound"),
                format!("{path} does not exist on \"main\""),
            )),
        }
    })
    .await
}

async fn lfs_object(State(hub): Hub, Path(oid): Path<String>) -> Response {
    match hub.lock().lfs.get(&oid) {
        Some(bytes) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn add_fault(State(hub): Hub, axum::Json(fault): axum::Json<Fault>) -> Response {
    hub.lock().faults.push(fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn describe(State(hub): Hub, Path((owner, name)): Path<(String, String)>) -> Response {
    let state = hub.lock();
    match state.repos.get(&format!("{owner}/{name}")) {
        Some(repo) => axum::Json(json!({
            "private": repo.private,
            "paths": repo.files.keys().collect::<Vec<_>>(),
            "commits": repo.commits,
        }))
        .into_response(),
        None => repo_not_found(),
    }
}
