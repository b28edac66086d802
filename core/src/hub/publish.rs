//! Publishing a directory as one commit: the repository is made when missing, only what
//! changed is uploaded, files this publish owns that are gone locally are deleted in the
//! same commit, and when nothing changed there is no commit at all.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use super::client::{HubClient, Operation, UploadProgress};
use super::files::LocalFile;
use super::{HubError, RepoId};

/// What to publish where.
#[derive(Debug, Clone)]
pub struct PublishRequest<'a> {
    pub repo: &'a RepoId,
    /// Its files become the repository's files at the same relative paths.
    pub dir: &'a Path,
    /// For a repository that does not exist yet; an existing one keeps its visibility.
    pub private: bool,
    pub summary: String,
    pub description: String,
    /// Folders this publish owns: what the repository has under them that `dir` does not
    /// is deleted by the commit (an earlier export in another format, say).
    pub owned_folders: &'a [&'a str],
    /// Text lines beginning with this do not count as a change (the dataset card's
    /// "Exported by swipeset … on <date>"), so unchanged data makes no commit.
    pub volatile_line: Option<&'a str>,
}

/// Where a publish is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishStep {
    Checking,
    Uploading { path: String, sent: u64, total: u64 },
    Committing,
}

pub type StepReport = Arc<dyn Fn(PublishStep) + Send + Sync>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    Committed {
        commit_url: String,
        repo_url: String,
        /// The repository was made by this publish.
        created: bool,
        /// Files added or replaced, and deleted.
        changed: Vec<String>,
        deleted: Vec<String>,
    },
    /// The repository holds this data already; no commit was made.
    Unchanged { repo_url: String },
}

impl PublishOutcome {
    pub fn repo_url(&self) -> &str {
        match self {
            PublishOutcome::Committed { repo_url, .. } | PublishOutcome::Unchanged { repo_url } => {
                repo_url
            }
        }
    }
}

pub async fn publish_dir(
    client: &HubClient,
    request: &PublishRequest<'_>,
    report: Option<StepReport>,
) -> Result<PublishOutcome, HubError> {
    let say = |step: PublishStep| {
        if let Some(report) = &report {
            report(step);
        }
    };
    say(PublishStep::Checking);
    let repo = request.repo;
    let files = LocalFile::all_in(request.dir)?;
    // A bad token fails here, before anything is made.
    client.whoami().await?;
    let created = client.create_repo(repo, request.private).await?;
    let plans = client.preupload(repo, &files).await?;
    let remote = client.list_files(repo).await?;

    let mut changed = Vec::new();
    let mut only_volatile = Vec::new();
    for file in &files {
        let plan = &plans[&file.path];
        if plan.ignored {
            tracing::warn!(path = %file.path, "the repository's .gitignore ignores this file; not published");
            continue;
        }
        if plan.remote.as_deref() == Some(file.content_id(plan.lfs)) {
            continue;
        }
        let volatile_only = match (request.volatile_line, plan.remote.is_some(), plan.lfs) {
            (Some(prefix), true, false) => {
                let ours =
                    std::fs::read(&file.local).map_err(|e| HubError::local(&file.local, e))?;
                let theirs = client.read_small(repo, &file.path).await?;
                theirs.is_some_and(|t| same_but(prefix, &ours, &t))
            }
            _ => false,
        };
        if volatile_only {
            only_volatile.push(file);
        } else {
            changed.push(file);
        }
    }
    let local_paths: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let deleted: Vec<String> = remote
        .iter()
        .filter(|r| {
            request
                .owned_folders
                .iter()
                .any(|folder| r.path.starts_with(&format!("{folder}/")))
                && !local_paths.contains(r.path.as_str())
        })
        .map(|r| r.path.clone())
        .collect();
    let repo_url = repo.url(client.endpoint());
    if changed.is_empty() && deleted.is_empty() {
        return Ok(PublishOutcome::Unchanged { repo_url });
    }
    // The card's date goes with the data it describes.
    changed.extend(only_volatile);

    let mut operations = Vec::new();
    for file in &changed {
        if plans[&file.path].lfs {
            let progress: Option<UploadProgress> = report.clone().map(|report| {
                let path = file.path.clone();
                Arc::new(move |sent, total| {
                    report(PublishStep::Uploading {
                        path: path.clone(),
                        sent,
                        total,
                    })
                }) as UploadProgress
            });
            client.upload_lfs(repo, file, progress).await?;
            operations.push(Operation::Lfs(file));
        } else {
            let content =
                std::fs::read(&file.local).map_err(|e| HubError::local(&file.local, e))?;
            operations.push(Operation::Regular(file, content));
        }
    }
    operations.extend(deleted.iter().cloned().map(Operation::Delete));
    say(PublishStep::Committing);
    let commit = client
        .commit(repo, &request.summary, &request.description, &operations)
        .await?;
    Ok(PublishOutcome::Committed {
        commit_url: commit.url,
        repo_url,
        created,
        changed: changed.iter().map(|f| f.path.clone()).collect(),
        deleted,
    })
}

/// Equal once the lines beginning with `prefix` are left out.
fn same_but(prefix: &str, a: &[u8], b: &[u8]) -> bool {
    let lines = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .filter(|l| !l.starts_with(prefix))
            .map(str::to_string)
            .collect()
    };
    lines(a) == lines(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_date_alone_is_no_change() {
        let old = b"# Card\n\nExported by swipeset 0.1.0 on 2026-11-27 10:00 UTC: kind `kto`\n";
        let new = b"# Card\n\nExported by swipeset 0.1.0 on 2026-11-28 11:00 UTC: kind `kto`\n";
        assert!(same_but("Exported by swipeset", old, new));
        assert!(!same_but(
            "Exported by swipeset",
            b"# Card\n",
            b"# Card 2\n"
        ));
    }
}
