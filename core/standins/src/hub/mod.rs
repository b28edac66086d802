//! A stand-in for the Hugging Face Hub: the endpoints `swipeset publish` and
//! `swipeset restore` use, implemented strictly from the Hub's documentation so that a
//! client that works here does what the Hub expects. No network reaches the Hub from the
//! machines the tests run on, so this is what the client is checked against.
//!
//! Strict where the Hub is: a token on every call (401 without, 403 for a read token or
//! someone else's namespace), private repositories invisible to others (404), a commit
//! refused when an LFS pointer names an object that was not uploaded and verified, uploads
//! refused when their bytes do not hash to the announced sha256 or size, binary or large
//! files refused as regular (inline) files, and only the `main` revision.
//!
//! Tests can make the next calls to an endpoint fail ([`Fault`]) and read back what the
//! Hub received: the commits, the files, and a checkout of a repository as a directory
//! (which `datasets.load_dataset` reads as it would read the Hub's).

mod files;
mod routes;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub use files::{git_blob_oid, sha256_hex};

/// Who a token belongs to and what it may do.
#[derive(Debug, Clone)]
pub struct Account {
    pub token: String,
    pub user: String,
    pub orgs: Vec<String>,
    /// A write token; read tokens get 403 on every write.
    pub write: bool,
}

impl Account {
    pub fn writer(token: &str, user: &str) -> Self {
        Self {
            token: token.into(),
            user: user.into(),
            orgs: Vec::new(),
            write: true,
        }
    }
}

/// The endpoints, by what they do, for [`Fault`]s and the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Whoami,
    CreateRepo,
    Tree,
    Preupload,
    LfsBatch,
    LfsUpload,
    LfsVerify,
    Commit,
    Resolve,
}

/// The next `times` calls to `endpoint` answer `status` (with `Retry-After` when given)
/// instead of doing their work.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Fault {
    pub endpoint: Endpoint,
    pub status: u16,
    pub times: usize,
    #[serde(default)]
    pub retry_after: Option<u64>,
}

/// A file as the repository holds it.
#[derive(Debug, Clone)]
pub enum Stored {
    Regular(Vec<u8>),
    /// An LFS pointer: the object is in the Hub's LFS store.
    Lfs {
        oid: String,
        size: u64,
    },
}

/// One commit the Hub accepted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommitRecord {
    pub oid: String,
    pub summary: String,
    pub description: String,
    /// Paths added or replaced, and deleted, by this commit.
    pub added: Vec<String>,
    pub deleted: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Repo {
    pub owner: String,
    pub private: bool,
    pub files: BTreeMap<String, Stored>,
    pub commits: Vec<CommitRecord>,
}

#[derive(Default)]
pub(crate) struct State {
    pub accounts: Vec<Account>,
    pub repos: BTreeMap<String, Repo>,
    /// Uploaded and verified LFS objects, by sha256.
    pub lfs: HashMap<String, Vec<u8>>,
    /// Uploaded, not yet verified.
    pub lfs_pending: HashMap<String, Vec<u8>>,
    /// Upload URLs handed out by the batch endpoint: token → (oid, size).
    pub upload_urls: HashMap<String, (String, u64)>,
    pub faults: Vec<Fault>,
    pub log: Vec<(Endpoint, u16)>,
}

pub(crate) struct Shared {
    pub base: String,
    pub state: Mutex<State>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has failed already; the state is
        // still the best account of what was received.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A stand-in Hub serving on a local port until dropped.
pub struct HubStandin {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl HubStandin {
    /// Serves on `addr` (port 0 for any free port) for these accounts.
    pub async fn start(addr: SocketAddr, accounts: Vec<Account>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base: format!("http://{addr}"),
            state: Mutex::new(State {
                accounts,
                ..State::default()
            }),
        });
        let app = routes::router(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            shared,
            addr,
            server,
        })
    }

    /// On any free local port, with one write token `hf_test_token` of user `tester`.
    pub async fn local() -> Self {
        Self::start(
            "127.0.0.1:0".parse().expect("address"),
            vec![Account::writer("hf_test_token", "tester")],
        )
        .await
        .expect("binding a local port")
    }

    /// The endpoint to give the client (`--endpoint`, `HF_ENDPOINT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn fail(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// The commits of `repo` (`owner/name`), oldest first; empty when it does not exist.
    pub fn commits(&self, repo: &str) -> Vec<CommitRecord> {
        self.shared
            .lock()
            .repos
            .get(repo)
            .map(|r| r.commits.clone())
            .unwrap_or_default()
    }

    pub fn exists(&self, repo: &str) -> bool {
        self.shared.lock().repos.contains_key(repo)
    }

    pub fn is_private(&self, repo: &str) -> Option<bool> {
        self.shared.lock().repos.get(repo).map(|r| r.private)
    }

    /// The paths in `repo`, sorted.
    pub fn paths(&self, repo: &str) -> Vec<String> {
        self.shared
            .lock()
            .repos
            .get(repo)
            .map(|r| r.files.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A file's content, LFS objects resolved.
    pub fn file(&self, repo: &str, path: &str) -> Option<Vec<u8>> {
        let state = self.shared.lock();
        match state.repos.get(repo)?.files.get(path)? {
            Stored::Regular(bytes) => Some(bytes.clone()),
            Stored::Lfs { oid, .. } => state.lfs.get(oid).cloned(),
        }
    }

    /// How many calls each endpoint got, and with what status.
    pub fn calls(&self, endpoint: Endpoint) -> Vec<u16> {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|(e, _)| *e == endpoint)
            .map(|(_, s)| *s)
            .collect()
    }

    /// Writes `repo`'s files under `dir`, as a clone of it would have them.
    pub fn checkout(&self, repo: &str, dir: &Path) -> std::io::Result<()> {
        let paths = self.paths(repo);
        for path in paths {
            let bytes = self
                .file(repo, &path)
                .ok_or_else(|| std::io::Error::other(format!("{path}: LFS object missing")))?;
            let target = dir.join(&path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(target, bytes)?;
        }
        Ok(())
    }
}

impl Drop for HubStandin {
    fn drop(&mut self) {
        self.server.abort();
    }
}
