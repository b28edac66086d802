//! The few browser facilities the rating screen needs, with harmless stand-ins on the
//! server (where no decision is ever made).

/// Marks the page as interactive (`<body data-hydrated="true">`) once the calling
/// component has hydrated. Pages call it from their innermost interactive part, which
/// hydrates after any suspense around it; the end-to-end tests wait for this mark.
pub fn mark_hydrated() {
    leptos::prelude::Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Milliseconds on the page's monotonic clock.
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or_else(js_sys::Date::now)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// A fresh random id for a rating, so the server recognises a retry.
pub fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        if let Some(id) = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
        {
            return id;
        }
        // Old browsers without crypto.randomUUID: time and randomness are unique enough
        // for one person's ratings.
        format!(
            "{:x}-{:x}",
            js_sys::Date::now() as u64,
            (js_sys::Math::random() * 1e15) as u64
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// Waits `ms` milliseconds without blocking the page.
#[cfg(feature = "hydrate")]
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Exponential backoff with jitter for the `attempt`-th consecutive failure: 0.5 s, 1 s,
/// 2 s, ... up to 15 s, each stretched by up to a quarter at random so that many phones
/// coming back online do not retry in step.
pub fn backoff_ms(attempt: u32, jitter: f64) -> u32 {
    let base = 500u32.saturating_mul(1 << attempt.min(5)).min(15_000);
    base + (f64::from(base) * 0.25 * jitter.clamp(0.0, 1.0)) as u32
}

/// The value saved under `key` in this browser's localStorage (never on the server).
pub fn load(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(key).ok().flatten())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

/// Saves `value` under `key`, or removes the key for `None`. Storage may be full or
/// disabled (private mode): then nothing is kept beyond the page, as without this.
pub fn save(key: &str, value: Option<&str>) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = match value {
            Some(value) => storage.set_item(key, value),
            None => storage.remove_item(key),
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

/// Removes every localStorage key that starts with one of `prefixes`.
pub fn remove_prefixed(prefixes: &[&str]) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let count = storage.length().unwrap_or(0);
        let doomed: Vec<String> = (0..count)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|key| prefixes.iter().any(|p| key.starts_with(p)))
            .collect();
        for key in doomed {
            let _ = storage.remove_item(&key);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = prefixes;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(backoff_ms(0, 0.0), 500);
        assert_eq!(backoff_ms(1, 0.0), 1_000);
        assert_eq!(backoff_ms(3, 0.0), 4_000);
        assert_eq!(backoff_ms(30, 0.0), 15_000);
        assert_eq!(backoff_ms(0, 1.0), 625);
    }
}

/// `text` made safe for a URL's query value (what `encodeURIComponent` does), written out
/// so the server renders the same link the browser would.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod encode_tests {
    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(
            super::encode_component("/leaderboard?campaign=a b&x=é"),
            "%2Fleaderboard%3Fcampaign%3Da%20b%26x%3D%C3%A9"
        );
    }
}

/// A full page load of `href`: the next page renders afresh on the server (with its own
/// bundle, for the rating page). Nothing on the server.
pub fn go_to(_href: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(_href);
    }
}
