//! Request limits per rater on the rating endpoints, so that one identity (a script with a
//! token, a guest cookie replayed in a loop) cannot rate or hold cards at machine speed.
//!
//! Keyed by who is asking, never by address: many raters share an address (a classroom,
//! a phone network's carrier NAT, the Space's proxy without `--trust-proxy`), and limiting
//! the address would stop all of them for one of them. A signed-in rater is their account;
//! a guest is their browser's identity cookie. A client without a cookie gets a new
//! identity with each request, so it is limited where that identity would be created
//! instead (`swipeset_core::accounts::guests::GuestLimits`, per address).
//!
//! The limit is a leaky bucket (GCRA, from the `governor` crate, rather than counters
//! written by hand): `burst` requests at once, refilled at `per_minute`. The defaults are
//! far above a person's pace (a swipe a second is fast; the page sends one request per
//! decision and asks for cards in the same request) and leave room for a phone sending a
//! backlog of offline decisions at once. Buckets live in this process: with several
//! replicas behind a balancer each allows the full rate (docs/ARCHITECTURE.md).

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use swipeset_app::api::ssr::{BrowserIdentity, RequestCaller};
use swipeset_app::api::{ApiError, ErrorCode};
use swipeset_core::sync::Every;

use crate::handlers::api_error;

/// Requests a rater may make per minute on the rating endpoints, unless the settings say
/// otherwise.
pub const DEFAULT_PER_MINUTE: u32 = 300;
/// Requests a rater may make at once before the per-minute pace applies.
pub const DEFAULT_BURST: u32 = 60;

/// The endpoints the limits apply to: what a rater calls while rating.
const RATING_PATHS: [&str; 8] = [
    "/api/next_card",
    "/api/next_cards",
    "/api/rate",
    "/api/undo",
    "/api/skip",
    "/api/progress",
    "/api/card",
    "/api/flag_card",
];

/// The buckets of every rater this process has seen lately.
pub struct RatingLimits {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    /// Buckets back to full are forgotten at most once a minute.
    forget: Every,
}

impl std::fmt::Debug for RatingLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RatingLimits").finish_non_exhaustive()
    }
}

impl Default for RatingLimits {
    fn default() -> Self {
        Self::new(DEFAULT_PER_MINUTE, DEFAULT_BURST)
    }
}

impl RatingLimits {
    /// `per_minute` and `burst` below 1 count as 1.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let clock = DefaultClock::default();
        Self {
            limiter: RateLimiter::dashmap_with_clock(
                Quota::per_minute(per_minute).allow_burst(burst),
                clock.clone(),
            ),
            clock,
            forget: Every::new(chrono::Duration::minutes(1)),
        }
    }

    /// Counts a request by `rater`, or says how many seconds to wait (at least 1).
    pub fn check(&self, rater: &str) -> Result<(), u64> {
        if self.forget.due(chrono::Utc::now()) {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&rater.to_owned())
            .map_err(|refused| {
                let wait = refused.wait_time_from(self.clock.now());
                (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
            })
    }
}

/// Refuses a rating request with 429 and `Retry-After` when its rater is over the limit.
pub async fn limit_raters(
    State(limits): State<Arc<RatingLimits>>,
    request: Request,
    next: Next,
) -> Response {
    if !RATING_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let Some(rater) = rater(&request) else {
        return next.run(request).await;
    };
    match limits.check(&rater) {
        Ok(()) => next.run(request).await,
        Err(retry_after_secs) => {
            let message = swipeset_core::CoreError::RateLimited {
                what: "too many rating requests from you at once",
                retry_after_secs,
            }
            .to_string();
            let mut response = api_error(ApiError::new(ErrorCode::TooManyRequests, message));
            response
                .headers_mut()
                .insert(RETRY_AFTER, retry_after_secs.into());
            response.into_response()
        }
    }
}

/// Whose bucket a request counts against: the account, else the guest's cookie, else
/// nobody (a request that will be refused as anonymous anyway).
fn rater(request: &Request) -> Option<String> {
    let caller = request
        .extensions()
        .get::<RequestCaller>()
        .and_then(|RequestCaller(caller)| caller.account().map(|account| account.id));
    if let Some(id) = caller {
        return Some(format!("u{id}"));
    }
    request
        .extensions()
        .get::<BrowserIdentity>()
        .map(|BrowserIdentity(cookie)| format!("g{cookie}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rater_gets_the_burst_then_waits_and_others_do_not() {
        let limits = RatingLimits::new(60, 3);
        for _ in 0..3 {
            assert_eq!(limits.check("u1"), Ok(()));
        }
        assert_eq!(limits.check("u1"), Err(1), "one a second after the burst");
        assert_eq!(limits.check("u2"), Ok(()), "another rater has their own");
        let slow = RatingLimits::new(1, 1);
        assert_eq!(slow.check("g1"), Ok(()));
        let wait = slow.check("g1").unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
    }
}
