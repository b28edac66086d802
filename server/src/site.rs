//! The built site's bundle files, fingerprinted once at start-up so every page links them by
//! content (`/pkg/rater.js?v=…`): after an upgrade a browser or the service worker fetches
//! the new files instead of pairing a new page with a cached old bundle.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use swipeset_app::bundle::{Bundle, BundleVersions};

/// Hex digits of sha256 kept: plenty to tell builds apart.
const VERSIONED_LEN: usize = 12;

/// Hashes of the bundles' files under `site_root/pkg`. A missing file is left out (its URL
/// then has no version) and logged: a server started before `cargo xtask site` ran still
/// serves its API.
pub fn bundle_versions(site_root: &Path) -> BundleVersions {
    let pkg = site_root.join("pkg");
    let mut versions = HashMap::new();
    for bundle in Bundle::ALL {
        for file in [bundle.js_file(), bundle.wasm_file(), bundle.css_file()] {
            match std::fs::read(pkg.join(&file)) {
                Ok(bytes) => {
                    let digest = hex::encode(Sha256::digest(&bytes));
                    versions.insert(file, digest[..VERSIONED_LEN].to_string());
                }
                Err(error) => {
                    tracing::warn!(
                        "browser bundle file {} cannot be read ({error}): run `cargo xtask site`",
                        pkg.join(&file).display()
                    );
                }
            }
        }
    }
    BundleVersions(Arc::new(versions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bundle_file_gets_a_hash_of_its_content() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        std::fs::write(site.path().join("pkg/rater.js"), "one").unwrap();
        let first = bundle_versions(site.path());
        std::fs::write(site.path().join("pkg/rater.js"), "two").unwrap();
        let second = bundle_versions(site.path());
        let (a, b) = (first.url("rater.js"), second.url("rater.js"));
        assert!(a.starts_with("/pkg/rater.js?v=") && a.len() == "/pkg/rater.js?v=".len() + 12);
        assert_ne!(a, b, "a changed file gets a new URL");
        assert_eq!(
            first.url("swipeset.js"),
            "/pkg/swipeset.js",
            "missing: no version"
        );
    }
}
