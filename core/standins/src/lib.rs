//! Stand-ins for the services swipeset talks to, for its tests: the Hugging Face Hub
//! (`hub`: publishing and restoring) and an OpenAI-compatible chat completions endpoint
//! (`openai`: generation). Each is strict about what the real service documents, can be
//! told to fail, and reports what it received. The Rust tests start them in process; the
//! browser tests run the `swipeset-standins` binary.

pub mod hub;
pub mod openai;

pub use hub::{Account, CommitRecord, Endpoint, Fault, HubStandin, Stored};
pub use openai::OpenAiStandin;
