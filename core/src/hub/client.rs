//! The Hub's HTTP API, the calls publishing and restoring need, each retried the way the
//! Hub asks: `429` after its `Retry-After`, `5xx` and dropped connections with exponential
//! backoff, anything else answered at once with what the Hub said.
//!
//! The endpoints, documented at <https://huggingface.co/docs/hub/api> and in the
//! `huggingface_hub` client's `HfApi` (<https://huggingface.co/docs/huggingface_hub/package_reference/hf_api>):
//! `whoami-v2`, `repos/create`, `tree`, `preupload`, the git-lfs batch API
//! (<https://github.com/git-lfs/git-lfs/blob/main/docs/api/batch.md>), `commit` and
//! `resolve`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::StreamExt;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::files::LocalFile;
use super::{HubError, RepoId};

/// Where the Hub is, unless `--endpoint` or `HF_ENDPOINT` say otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

const LFS_JSON: &str = "application/vnd.git-lfs+json";

/// How often and how long to retry what the Hub may answer later.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The wait before the second try; doubled for each one after.
    pub first_delay: Duration,
    /// The longest `Retry-After` worth waiting for; a longer one is reported instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Bytes sent so far of the file being uploaded, and its size.
pub type UploadProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A token's owner, as `whoami` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoAmI {
    pub name: String,
    /// `write`, `read`, `fineGrained`, or empty when the Hub does not say.
    pub role: String,
}

/// A file in a repository, as the tree lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub path: String,
    pub size: u64,
    /// The LFS object's sha256 for LFS files, git's blob id for the others.
    pub content_id: String,
    pub lfs: bool,
}

/// What `preupload` says about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPlan {
    pub lfs: bool,
    /// The Hub would ignore this path (its `.gitignore`).
    pub ignored: bool,
    /// The content id of the file the repository holds at this path now, if any.
    pub remote: Option<String>,
}

/// One change of a commit.
#[derive(Debug, Clone)]
pub enum Operation<'a> {
    /// A file sent inline (small text files).
    Regular(&'a LocalFile, Vec<u8>),
    /// A file whose content was uploaded to LFS.
    Lfs(&'a LocalFile),
    Delete(String),
}

/// A commit the Hub made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub url: String,
    pub oid: String,
}

/// A client for one endpoint and token.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    endpoint: String,
    token: String,
    retry: RetryPolicy,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("HubClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl HubClient {
    pub fn new(endpoint: &str, token: &str) -> Result<Self, HubError> {
        let endpoint = endpoint.trim().trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&endpoint).map_err(|e| HubError::BadEndpoint {
            endpoint: endpoint.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HubError::BadEndpoint {
                endpoint,
                reason: "use an http:// or https:// address".into(),
            });
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(HubError::NoToken);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .user_agent(concat!("swipeset/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HubError::BadEndpoint {
                endpoint: endpoint.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            http,
            endpoint,
            token: token.to_string(),
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn authed(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.endpoint))
            .bearer_auth(&self.token)
    }

    /// Sends what `make` builds, again while the Hub answers with something worth retrying.
    async fn send(
        &self,
        action: &str,
        make: impl Fn() -> Result<RequestBuilder, HubError>,
    ) -> Result<Response, HubError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts;
            let backoff = self.retry.first_delay * 2u32.saturating_pow(attempt - 1);
            let response = match make()?.send().await {
                Ok(response) => response,
                Err(error) => {
                    if last {
                        return Err(HubError::Network {
                            action: action.into(),
                            endpoint: self.endpoint.clone(),
                            attempts: attempt,
                            detail: error_chain(&error),
                        });
                    }
                    tracing::warn!(action, attempt, error = %error, "the Hub could not be reached; retrying");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
            };
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after(&response).unwrap_or(backoff);
                if last || wait > self.retry.max_retry_after {
                    return Err(HubError::RateLimited {
                        action: action.into(),
                        retry_after: wait,
                    });
                }
                tracing::warn!(
                    action,
                    attempt,
                    wait_s = wait.as_secs(),
                    "the Hub asked to slow down"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if status.is_server_error() && !last {
                tracing::warn!(action, attempt, %status, "the Hub failed; retrying");
                tokio::time::sleep(backoff).await;
                continue;
            }
            return Err(refusal(action, attempt, response).await);
        }
    }

    /// Who the token belongs to: the first call, so a bad token is reported before any
    /// work is done.
    pub async fn whoami(&self) -> Result<WhoAmI, HubError> {
        let action = "checking the token";
        let body: Value = json_of(
            action,
            self.send(action, || {
                Ok(self.authed(Method::GET, "/api/whoami-v2").timeout(TIMEOUT))
            })
            .await?,
        )
        .await?;
        let name = body["name"]
            .as_str()
            .ok_or_else(|| protocol(action, "no `name` in the reply"))?;
        Ok(WhoAmI {
            name: name.to_string(),
            role: body["auth"]["accessToken"]["role"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// Makes the dataset repository; `false` when it existed already.
    pub async fn create_repo(&self, repo: &RepoId, private: bool) -> Result<bool, HubError> {
        let action = format!("creating the dataset repository {repo}");
        let body = json!({
            "name": repo.name(),
            "organization": repo.owner(),
            "type": "dataset",
            "private": private,
        });
        match self
            .send(&action, || {
                Ok(self
                    .authed(Method::POST, "/api/repos/create")
                    .json(&body)
                    .timeout(TIMEOUT))
            })
            .await
        {
            Ok(_) => Ok(true),
            Err(HubError::Conflict { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Every file of the repository's `main` branch.
    pub async fn list_files(&self, repo: &RepoId) -> Result<Vec<RemoteFile>, HubError> {
        let action = format!("listing the files of {repo}");
        let path = format!("/api/datasets/{repo}/tree/main?recursive=true");
        let entries: Vec<Value> = json_of(
            &action,
            self.send(&action, || {
                Ok(self.authed(Method::GET, &path).timeout(TIMEOUT))
            })
            .await?,
        )
        .await?;
        let mut files = Vec::new();
        for entry in entries.iter().filter(|e| e["type"] == "file") {
            let path = entry["path"]
                .as_str()
                .ok_or_else(|| protocol(&action, "a tree entry without `path`"))?;
            let lfs = entry.get("lfs").filter(|l| l.is_object());
            let content_id = match lfs {
                Some(lfs) => lfs["oid"].as_str(),
                None => entry["oid"].as_str(),
            }
            .ok_or_else(|| protocol(&action, format!("{path}: no oid")))?;
            files.push(RemoteFile {
                path: path.to_string(),
                size: entry["size"].as_u64().unwrap_or(0),
                content_id: content_id.to_string(),
                lfs: lfs.is_some(),
            });
        }
        Ok(files)
    }

    /// Asks how each file must be sent (inline or LFS), and what the repository holds at
    /// its path.
    pub async fn preupload(
        &self,
        repo: &RepoId,
        files: &[LocalFile],
    ) -> Result<HashMap<String, UploadPlan>, HubError> {
        let action = format!("preparing the upload to {repo}");
        let body = json!({
            "files": files.iter().map(|f| json!({
                "path": f.path,
                "sample": BASE64.encode(&f.sample),
                "size": f.size,
            })).collect::<Vec<_>>(),
        });
        let path = format!("/api/datasets/{repo}/preupload/main");
        let reply: Value = json_of(
            &action,
            self.send(&action, || {
                Ok(self
                    .authed(Method::POST, &path)
                    .json(&body)
                    .timeout(TIMEOUT))
            })
            .await?,
        )
        .await?;
        let mut plans = HashMap::new();
        for file in reply["files"]
            .as_array()
            .ok_or_else(|| protocol(&action, "no `files` in the reply"))?
        {
            let path = file["path"]
                .as_str()
                .ok_or_else(|| protocol(&action, "a file without `path`"))?;
            let lfs = match file["uploadMode"].as_str() {
                Some("lfs") => true,
                Some("regular") => false,
                other => {
                    return Err(protocol(&action, format!("{path}: uploadMode {other:?}")));
                }
            };
            plans.insert(
                path.to_string(),
                UploadPlan {
                    lfs,
                    ignored: file["shouldIgnore"].as_bool().unwrap_or(false),
                    remote: file["oid"].as_str().map(str::to_string),
                },
            );
        }
        for file in files {
            if !plans.contains_key(&file.path) {
                return Err(protocol(
                    &action,
                    format!("{}: not in the reply", file.path),
                ));
            }
        }
        Ok(plans)
    }

    /// Uploads a file's content to the Hub's LFS store (unless it holds it already) and
    /// has it verified, so that a commit may point at it.
    pub async fn upload_lfs(
        &self,
        repo: &RepoId,
        file: &LocalFile,
        progress: Option<UploadProgress>,
    ) -> Result<(), HubError> {
        let action = format!("uploading {} to {repo}", file.path);
        let batch = json!({
            "operation": "upload",
            "transfers": ["basic"],
            "objects": [{"oid": file.sha256, "size": file.size}],
            "hash_algo": "sha256",
            "ref": {"name": "refs/heads/main"},
        });
        let batch_path = format!("/datasets/{repo}.git/info/lfs/objects/batch");
        let reply: Value = json_of(
            &action,
            self.send(&action, || {
                Ok(self
                    .authed(Method::POST, &batch_path)
                    .header(reqwest::header::ACCEPT, LFS_JSON)
                    .header(reqwest::header::CONTENT_TYPE, LFS_JSON)
                    .body(batch.to_string())
                    .timeout(TIMEOUT))
            })
            .await?,
        )
        .await?;
        let object = reply["objects"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["oid"] == file.sha256.as_str()))
            .ok_or_else(|| protocol(&action, "the batch reply does not list the object"))?;
        if let Some(error) = object.get("error") {
            return Err(HubError::Refused {
                action,
                status: error["code"].as_u64().unwrap_or(0) as u16,
                detail: error["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        let Some(actions) = object.get("actions").filter(|a| a.is_object()) else {
            // The Hub has this content already.
            if let Some(progress) = progress {
                progress(file.size, file.size);
            }
            return Ok(());
        };
        let upload = &actions["upload"];
        let href = upload["href"]
            .as_str()
            .ok_or_else(|| protocol(&action, "the upload action has no href"))?;
        let headers = action_headers(upload);
        let local = file.local.clone();
        let size = file.size;
        self.send(&action, || {
            // A presigned storage URL: the URL is the permission, so no token goes with it.
            let mut request = self
                .http
                .put(href)
                .header(reqwest::header::CONTENT_LENGTH, size)
                .body(file_body(&local, size, progress.clone())?);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            Ok(request)
        })
        .await?;
        if let Some(verify) = actions.get("verify").filter(|v| v.is_object()) {
            let href = verify["href"]
                .as_str()
                .ok_or_else(|| protocol(&action, "the verify action has no href"))?;
            let headers = action_headers(verify);
            let body = json!({"oid": file.sha256, "size": file.size}).to_string();
            self.send(&action, || {
                let mut request = self
                    .http
                    .post(href)
                    .bearer_auth(&self.token)
                    .header(reqwest::header::ACCEPT, LFS_JSON)
                    .header(reqwest::header::CONTENT_TYPE, LFS_JSON)
                    .body(body.clone())
                    .timeout(TIMEOUT);
                for (name, value) in &headers {
                    request = request.header(name, value);
                }
                Ok(request)
            })
            .await?;
        }
        Ok(())
    }

    /// One commit of all `operations` on `main`.
    pub async fn commit(
        &self,
        repo: &RepoId,
        summary: &str,
        description: &str,
        operations: &[Operation<'_>],
    ) -> Result<CommitInfo, HubError> {
        let action = format!("committing to {repo}");
        let mut lines = vec![json!({
            "key": "header",
            "value": {"summary": summary, "description": description},
        })];
        for operation in operations {
            lines.push(match operation {
                Operation::Regular(file, content) => json!({
                    "key": "file",
                    "value": {"content": BASE64.encode(content), "path": file.path, "encoding": "base64"},
                }),
                Operation::Lfs(file) => json!({
                    "key": "lfsFile",
                    "value": {"path": file.path, "algo": "sha256", "oid": file.sha256, "size": file.size},
                }),
                Operation::Delete(path) => json!({"key": "deletedFile", "value": {"path": path}}),
            });
        }
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let path = format!("/api/datasets/{repo}/commit/main");
        let reply: Value = json_of(
            &action,
            self.send(&action, || {
                Ok(self
                    .authed(Method::POST, &path)
                    .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
                    .body(body.clone())
                    .timeout(TIMEOUT))
            })
            .await?,
        )
        .await?;
        Ok(CommitInfo {
            url: reply["commitUrl"]
                .as_str()
                .ok_or_else(|| protocol(&action, "no commitUrl in the reply"))?
                .to_string(),
            oid: reply["commitOid"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// A small file's content, or `None` when the repository has no such file.
    pub async fn read_small(&self, repo: &RepoId, path: &str) -> Result<Option<Vec<u8>>, HubError> {
        let action = format!("reading {path} of {repo}");
        let url = format!("/datasets/{repo}/resolve/main/{path}");
        match self
            .send(&action, || {
                Ok(self.authed(Method::GET, &url).timeout(TIMEOUT))
            })
            .await
        {
            Ok(response) => Ok(Some(
                response
                    .bytes()
                    .await
                    .map_err(|e| protocol(&action, error_chain(&e)))?
                    .to_vec(),
            )),
            Err(HubError::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Downloads a file to `to` (which is created), checking it against `expected_sha256`.
    pub async fn download(
        &self,
        repo: &RepoId,
        path: &str,
        to: &Path,
        expected_sha256: &str,
        progress: Option<UploadProgress>,
    ) -> Result<u64, HubError> {
        let action = format!("downloading {path} of {repo}");
        let url = format!("/datasets/{repo}/resolve/main/{path}");
        let response = self
            .send(&action, || Ok(self.authed(Method::GET, &url)))
            .await?;
        let total = response.content_length().unwrap_or(0);
        let mut file = tokio::fs::File::create(to)
            .await
            .map_err(|e| HubError::local(to, e))?;
        let mut hasher = Sha256::new();
        let mut written = 0u64;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| HubError::Network {
                action: action.clone(),
                endpoint: self.endpoint.clone(),
                attempts: 1,
                detail: error_chain(&e),
            })?;
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| HubError::local(to, e))?;
            written += chunk.len() as u64;
            if let Some(progress) = &progress {
                progress(written, total.max(written));
            }
        }
        file.sync_all().await.map_err(|e| HubError::local(to, e))?;
        let got = hex::encode(hasher.finalize());
        if got != expected_sha256 {
            return Err(protocol(
                &action,
                format!("the download hashes to {got}, the Hub lists {expected_sha256}"),
            ));
        }
        Ok(written)
    }
}

/// Small calls; uploads and downloads have none (they take as long as the bytes do).
const TIMEOUT: Duration = Duration::from_secs(120);

fn protocol(action: &str, detail: impl Into<String>) -> HubError {
    HubError::Protocol {
        action: action.into(),
        detail: detail.into(),
    }
}

async fn json_of<T: serde::de::DeserializeOwned>(
    action: &str,
    response: Response,
) -> Result<T, HubError> {
    let bytes = response
        .bytes()
        .await
        .map_err(|e| protocol(action, error_chain(&e)))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| protocol(action, format!("not the JSON expected: {e}")))
}

/// A git-lfs action's extra headers.
fn action_headers(action: &Value) -> Vec<(String, String)> {
    action["header"]
        .as_object()
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The file as a streamed body, reporting what has been read into it.
fn file_body(
    path: &Path,
    size: u64,
    progress: Option<UploadProgress>,
) -> Result<reqwest::Body, HubError> {
    let file = std::fs::File::open(path).map_err(|e| HubError::local(path, e))?;
    let mut sent = 0u64;
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 256 * 1024)
            .inspect(move |chunk| {
                if let (Ok(chunk), Some(progress)) = (chunk, &progress) {
                    sent += chunk.len() as u64;
                    progress(sent, size);
                }
            });
    Ok(reqwest::Body::wrap_stream(stream))
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// What the Hub said about a refusal: its JSON `error`, `X-Error-Message`, or the start
/// of the body.
async fn refusal(action: &str, attempts: u32, response: Response) -> HubError {
    let status = response.status();
    let header = response
        .headers()
        .get("x-error-message")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.bytes().await.unwrap_or_default();
    let from_json = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string));
    let detail = from_json
        .or(header)
        .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect())
        .trim()
        .to_string();
    let action = action.to_string();
    match status.as_u16() {
        401 => HubError::Unauthorized { action, detail },
        403 => HubError::Forbidden { action, detail },
        404 => HubError::NotFound { action, detail },
        409 => HubError::Conflict { action, detail },
        413 => HubError::TooLarge { action, detail },
        s if s >= 500 => HubError::Unavailable {
            action,
            status: s,
            attempts,
            detail,
        },
        s => HubError::Refused {
            action,
            status: s,
            detail,
        },
    }
}

/// A reqwest error with its causes ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
