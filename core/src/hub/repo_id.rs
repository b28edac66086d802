//! A dataset repository's name on the Hub, checked before anything is sent.

use std::fmt;
use std::str::FromStr;

use super::HubError;

/// `OWNER/NAME`: a user or organisation, and the repository's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId {
    owner: String,
    name: String,
}

impl RepoId {
    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The repository's page on `endpoint`.
    pub fn url(&self, endpoint: &str) -> String {
        format!("{}/datasets/{self}", endpoint.trim_end_matches('/'))
    }
}

/// The Hub's rule for names: letters, digits, `-`, `_`, `.`; not starting or ending with
/// `-` or `.`; no `--` or `..`; at most 96 characters.
fn valid_part(part: &str) -> bool {
    (1..=96).contains(&part.len())
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !part.starts_with(['-', '.'])
        && !part.ends_with(['-', '.'])
        && !part.contains("--")
        && !part.contains("..")
}

impl FromStr for RepoId {
    type Err = HubError;

    fn from_str(text: &str) -> Result<Self, HubError> {
        let bad = |why: &str| HubError::BadRepo(format!("repository {text:?}: {why}"));
        let (owner, name) = text
            .split_once('/')
            .ok_or_else(|| bad("write it as OWNER/NAME, e.g. my-org/haiku-kto"))?;
        if name.contains('/') {
            return Err(bad("write it as OWNER/NAME, with one '/'"));
        }
        for part in [owner, name] {
            if !valid_part(part) {
                return Err(bad(
                    "names are 1–96 letters, digits, '-', '_' or '.', not starting or ending \
                     with '-' or '.', without '--' or '..'",
                ));
            }
        }
        Ok(Self {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_hubs_rule() {
        let ok: RepoId = "my-org/haiku_kto.v2".parse().unwrap();
        assert_eq!((ok.owner(), ok.name()), ("my-org", "haiku_kto.v2"));
        assert_eq!(
            ok.url("https://huggingface.co/"),
            "https://huggingface.co/datasets/my-org/haiku_kto.v2"
        );
        for bad in [
            "haiku", "a/b/c", "/x", "x/", "a/-x", "a/x.", "a/b--c", "a/b c", "a/é",
        ] {
            let error = bad.parse::<RepoId>().unwrap_err().to_string();
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
    }
}
