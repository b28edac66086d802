//! Which browser bundle a page loads, and the script tags that load it.
//!
//! Two bundles are built from this crate (`cargo xtask site`): `rater`, the rating page
//! alone (`RaterApp`: no router, no leptos_meta), for `/`, where raters arrive on their
//! phones; and `swipeset`, every page (`App`), for the rest. Link-time optimisation drops
//! what a bundle's app never reaches, so the rater's phone does not download the admin
//! pages. A link from the rating page is a plain link: the server sends the next page with
//! the full bundle.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;

/// A browser bundle: `pkg/{name}.js` and `pkg/{name}_bg.wasm`, as `cargo xtask site` writes
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    /// The rating page alone.
    Rater,
    /// Every page.
    Full,
}

impl Bundle {
    /// Both, for the server to fingerprint at start-up.
    pub const ALL: [Bundle; 2] = [Bundle::Rater, Bundle::Full];

    /// The bundle for a request's path: the rating page gets the small one.
    pub fn for_path(path: &str) -> Self {
        if path.is_empty() || path == "/" {
            Bundle::Rater
        } else {
            Bundle::Full
        }
    }

    /// The file stem in `pkg/`.
    pub fn name(self) -> &'static str {
        match self {
            Bundle::Rater => "rater",
            Bundle::Full => "swipeset",
        }
    }

    pub fn js_file(self) -> String {
        format!("{}.js", self.name())
    }

    pub fn wasm_file(self) -> String {
        format!("{}_bg.wasm", self.name())
    }

    /// The style sheet: the rating page's has only what that page uses.
    pub fn css_file(self) -> String {
        format!("{}.css", self.name())
    }
}

/// A short content hash per file of `pkg/`, appended to its URL as `?v=`: a new build is a
/// new URL, so neither the browser's cache nor the service worker's can pair a new page with
/// an old bundle (or the other way round). The server computes them when it starts.
#[derive(Debug, Clone, Default)]
pub struct BundleVersions(pub Arc<HashMap<String, String>>);

impl BundleVersions {
    /// `/pkg/{file}`, with `?v=` when the file's hash is known.
    pub fn url(&self, file: &str) -> String {
        match self.0.get(file) {
            Some(version) => format!("/pkg/{file}?v={version}"),
            None => format!("/pkg/{file}"),
        }
    }
}

/// The bundle for the request being rendered (server only; `Full` elsewhere).
pub fn for_this_request() -> Bundle {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        return Bundle::for_path(parts.uri.path());
    }
    Bundle::Full
}

/// Registers `public/sw.js` once the page has loaded (so it does not compete with the
/// bundle), then hands it what this visit loaded before it ran: the page and its files, so
/// the next visit opens with no network.
const REGISTER_SERVICE_WORKER: &str = "\nif ('serviceWorker' in navigator) addEventListener('load', () => \
navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then((r) => \
r.active.postMessage({type: 'keep', urls: [location.pathname === '/' ? '/' : null, \
...performance.getEntriesByType('resource').map((e) => e.name)].filter(Boolean)})).catch(() => {}));";

/// Preloads `bundle` and hydrates the page with it once loaded: what Leptos's
/// `HydrationScripts` does, with the bundle chosen per page and versioned URLs. The inline
/// script carries the page's Content-Security-Policy nonce.
#[component]
pub fn BundleScripts(bundle: Bundle) -> impl IntoView {
    let versions = use_context::<BundleVersions>().unwrap_or_default();
    let js = versions.url(&bundle.js_file());
    let wasm = versions.url(&bundle.wasm_file());
    let nonce = leptos::nonce::use_nonce();
    // JSON string literals are JavaScript string literals: the URLs go in escaped.
    let script = format!(
        "import({js}).then(m => m.default({{module_or_path: {wasm}}}).then(() => m.hydrate()));{REGISTER_SERVICE_WORKER}",
        js = serde_json::to_string(&js).unwrap_or_default(),
        wasm = serde_json::to_string(&wasm).unwrap_or_default(),
    );
    view! {
        <link rel="modulepreload" href=js.clone() />
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous" />
        <script type="module" nonce=nonce>{script}</script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rating_page_gets_the_rater_bundle_and_the_rest_the_full_one() {
        assert_eq!(Bundle::for_path("/"), Bundle::Rater);
        assert_eq!(Bundle::for_path(""), Bundle::Rater);
        for path in [
            "/leaderboard",
            "/export",
            "/login",
            "/admin/campaign",
            "/nope",
        ] {
            assert_eq!(Bundle::for_path(path), Bundle::Full, "{path}");
        }
    }

    #[test]
    fn a_known_file_gets_its_version_in_the_url() {
        let versions = BundleVersions(Arc::new(HashMap::from([(
            "rater.js".to_string(),
            "0123abcd".to_string(),
        )])));
        assert_eq!(versions.url("rater.js"), "/pkg/rater.js?v=0123abcd");
        assert_eq!(versions.url("rater_bg.wasm"), "/pkg/rater_bg.wasm");
    }
}
