//! The page's own URL without the router: the rating page's bundle leaves Leptos's router
//! out (it was 44 KB of the 246 KB a phone downloads), so the rating page reads its query
//! here, from the request on the server and from `window.location` in the browser; both
//! give the same answer for the same page, so hydration agrees.

/// The current page's path and query (`/leaderboard?campaign=x`), e.g. for a sign-in
/// link's `next`. In the full app it is read after a client-side navigation has changed
/// the address, so it is the page being rendered.
pub fn path_and_query() -> String {
    #[cfg(feature = "ssr")]
    if let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() {
        return parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |pq| pq.as_str().to_string());
    }
    #[cfg(feature = "hydrate")]
    if let Some(location) = web_sys::window().map(|w| w.location()) {
        return format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
    }
    "/".to_string()
}

/// The value of `name` in the current page's query, decoded (the first one if repeated).
pub fn query_param(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    if let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() {
        return parts.uri.query().and_then(|query| param_in(query, name));
    }
    #[cfg(feature = "hydrate")]
    if let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) {
        return web_sys::UrlSearchParams::new_with_str(&search)
            .ok()
            .and_then(|params| params.get(name));
    }
    let _ = name;
    None
}

/// `name`'s value in a query string (`a=1&campaign=x%20y`), as browsers decode it.
#[cfg(any(feature = "ssr", test))]
fn param_in(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::param_in;

    #[test]
    fn a_query_parameter_is_decoded_like_the_browser_does() {
        assert_eq!(
            param_in("campaign=haiku-demo", "campaign").as_deref(),
            Some("haiku-demo")
        );
        assert_eq!(
            param_in("x=1&campaign=a%20b+c", "campaign").as_deref(),
            Some("a b c")
        );
        assert_eq!(
            param_in("campaign=one&campaign=two", "campaign").as_deref(),
            Some("one")
        );
        assert_eq!(param_in("campaigns=x", "campaign"), None);
        assert_eq!(param_in("", "campaign"), None);
    }
}
