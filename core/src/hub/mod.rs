//! Publishing to the Hugging Face Hub, and getting a snapshot back: the Hub's HTTP API
//! (`client`), a directory published as one commit (`publish`), an export published as a
//! dataset repository (`dataset`), and the scheduled snapshot of an instance that a Space
//! without persistent storage can restore from (`snapshot`).

mod client;
pub mod dataset;
mod error;
mod files;
mod publish;
mod repo_id;
pub mod snapshot;
pub mod token;

pub use client::{
    CommitInfo, DEFAULT_ENDPOINT, HubClient, Operation, RemoteFile, RetryPolicy, UploadProgress,
    WhoAmI,
};
pub use error::HubError;
pub use files::LocalFile;
pub use publish::{PublishOutcome, PublishRequest, PublishStep, StepReport, publish_dir};
pub use repo_id::RepoId;
