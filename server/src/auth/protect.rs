//! Protections every response gets: refusing cross-site state changes (CSRF) and the
//! security headers, with a fresh Content-Security-Policy nonce per page; under https,
//! Strict-Transport-Security; and `Cache-Control: no-store` on the replies that carry
//! tokens or accounts.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use server_fn::ServerFn;
use swipeset_app::api::{ApiError, CreateToken, ErrorCode, Me, SignIn, SignUp, Tokens, Users};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::handlers::api_error;
use crate::state::AppState;

/// The nonce of this response's Content-Security-Policy; the page's own scripts carry it.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// Refuses a state-changing request that a browser sent from another site, the way Go's
/// `net/http.CrossOriginProtection` does: `Sec-Fetch-Site` when the browser sends it (all
/// current ones do), else `Origin` against the host. Requests with a bearer token are not
/// at risk (browsers never attach one by themselves) and pass; so do clients that send
/// neither header, which are not browsers.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) || request.headers().contains_key(header::AUTHORIZATION) {
        return next.run(request).await;
    }
    if let Some(reason) = cross_site_reason(&request, state.auth.public_origin.as_deref()) {
        return api_error(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "cross-site request refused: {reason}; state-changing requests must come from swipeset's own pages or carry an API token"
            ),
        ))
        .into_response();
    }
    next.run(request).await
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn cross_site_reason(request: &Request, public_origin: Option<&str>) -> Option<String> {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str().unwrap_or_default() {
            "same-origin" | "none" => None,
            other => Some(format!("Sec-Fetch-Site is `{other}`")),
        };
    }
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("null");
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    if (!host.is_empty() && origin_host == host) || public_origin == Some(origin) {
        None
    } else {
        Some(format!("Origin `{origin}` is not this site"))
    }
}

/// Adds the security headers (and `no-store` on [`NO_STORE_SERVER_FNS`]) and makes the
/// nonce that the page's scripts will carry.
pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = new_nonce();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let private = NO_STORE_SERVER_FNS.contains(&request.uri().path());
    // A policy governs documents and workers. The bundle's files (a module the page imports,
    // Wasm, CSS) are neither: the page's policy is what applies to them, and theirs would
    // only add 330 bytes to each download of a phone's first visit.
    let bundle_file = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let policy = content_security_policy(&nonce, &state.auth.frame_ancestors);
    if let (false, Ok(value)) = (bundle_file, HeaderValue::from_str(&policy)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Only this site's own scripts (the nonce covers the inline hydration script) and
/// WebAssembly compilation; style attributes are allowed (the card's position and the
/// progress bars are set through them), style sheets only from this site.
pub fn content_security_policy(nonce: &str, frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors {frame_ancestors}"
    )
}

/// `Strict-Transport-Security` on every response when the public URL is https, none
/// otherwise (a plain-http instance must stay reachable over http). Behind a TLS proxy
/// the server itself sees http, which is why the public URL decides. A year, what HSTS
/// checkers expect; no `includeSubDomains` or `preload`, since an instance does not own
/// its parent domain (a Space lives under hf.space).
pub fn strict_transport_security(
    https: bool,
) -> SetResponseHeaderLayer<impl Fn(&Response) -> Option<HeaderValue> + Clone> {
    let value = https.then(|| HeaderValue::from_static("max-age=31536000"));
    SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, move |_: &Response| {
        value.clone()
    })
}

/// The server functions whose replies carry a token, an account or the list of users: no
/// cache, the browser's included, may keep them (a shared computer's disk cache, a proxy).
/// `security_headers` marks them by path, since leptos_axum routes every server function
/// itself and leaves no route of theirs to hang a layer on.
pub const NO_STORE_SERVER_FNS: [&str; 6] = [
    Me::PATH,
    SignIn::PATH,
    SignUp::PATH,
    Tokens::PATH,
    CreateToken::PATH,
    Users::PATH,
];

/// 128 bits from the system's generator (what CSP asks for at least), in hex. Every script
/// of a page carries it, so a longer one costs a phone bytes that do not compress.
fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => hex::encode(bytes),
        // Never seen: the same generator backs v4 UUIDs, 122 random bits each.
        Err(_) => format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method("POST").uri("/api/rate");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn a_nonce_is_128_random_bits_in_hex() {
        let nonce = new_nonce();
        assert_eq!(nonce.len(), 32, "{nonce}");
        assert!(nonce.chars().all(|c| c.is_ascii_hexdigit()), "{nonce}");
        assert_ne!(nonce, new_nonce());
    }

    #[test]
    fn cross_site_posts_are_told_apart() {
        assert!(cross_site_reason(&post(&[("sec-fetch-site", "same-origin")]), None).is_none());
        assert!(cross_site_reason(&post(&[("sec-fetch-site", "cross-site")]), None).is_some());
        assert!(
            cross_site_reason(&post(&[("sec-fetch-site", "same-site")]), None).is_some(),
            "another Space on the same parent domain is still another site"
        );
        let same = post(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(cross_site_reason(&same, None).is_none());
        let evil = post(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(cross_site_reason(&evil, None).is_some());
        let proxied = post(&[("origin", "https://me.hf.space"), ("host", "10.0.0.3:7860")]);
        assert!(cross_site_reason(&proxied, Some("https://me.hf.space")).is_none());
        assert!(
            cross_site_reason(&post(&[]), None).is_none(),
            "not a browser"
        );
    }

    #[test]
    fn the_policy_names_the_nonce_and_the_frame_ancestors() {
        let csp = content_security_policy("abc", "'self' https://huggingface.co");
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(csp.ends_with("frame-ancestors 'self' https://huggingface.co"));
        assert!(!csp.contains("unsafe-eval'") || csp.contains("wasm-unsafe-eval"));
    }
}
