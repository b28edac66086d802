//! The per-browser annotator identity: a random value in an `HttpOnly` cookie, handed out
//! on the first request. It stands in for accounts until they exist; the server functions
//! read it from the request's extensions as `BrowserIdentity`. It is sent with the session
//! cookie's `SameSite` and `Secure` (`CookiePolicy`): whoever holds it rates as that guest.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use swipeset_app::api::ssr::BrowserIdentity;

use crate::auth::sessions::CookiePolicy;

pub const COOKIE_NAME: &str = "swipeset_annotator";

/// A year: the identity should outlive a browser restart, like a "remember me".
const MAX_AGE_DAYS: i64 = 365;

/// Reads the identity cookie or issues a new one.
pub async fn ensure_browser_identity(
    State(policy): State<CookiePolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let existing = jar
        .get(COOKIE_NAME)
        .map(|c| c.value().to_string())
        .filter(|v| is_well_formed(v));
    let (value, issued) = match existing {
        Some(value) => (value, false),
        None => (uuid::Uuid::new_v4().simple().to_string(), true),
    };
    request
        .extensions_mut()
        .insert(BrowserIdentity(value.clone()));
    let mut response = next.run(request).await;
    if issued {
        let (same_site, secure) = policy.same_site_and_secure();
        let cookie = Cookie::build((COOKIE_NAME, value))
            .path("/")
            .http_only(true)
            .same_site(same_site)
            .secure(secure)
            .max_age(cookie::time::Duration::days(MAX_AGE_DAYS))
            .build();
        if let Ok(header) = cookie.to_string().parse() {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, header);
        }
    }
    response
}

/// Only values this server could have issued are accepted, so a forged cookie cannot
/// smuggle odd bytes into logs or keys.
fn is_well_formed(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_issued_shapes() {
        assert!(is_well_formed(&uuid::Uuid::new_v4().simple().to_string()));
        assert!(!is_well_formed("short"));
        assert!(!is_well_formed("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
    }
}
