//! Who may use this server and how they prove it: sessions, bearer tokens, OpenID Connect,
//! the CSRF guard and the security headers. The rules of who may do what live in
//! `swipeset_core::accounts`; this module only finds out who is asking.

pub mod caller;
pub mod oidc;
pub mod protect;
pub mod sessions;

use std::sync::Arc;

use swipeset_app::api::ssr::AuthSettings;
use swipeset_core::accounts::membership::MembershipRule;
use swipeset_core::accounts::throttle::Limits;

/// The instance's sign-in settings, as the server holds them.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// People may rate without an account, each browser as its own guest.
    pub guests: bool,
    pub open_registration: bool,
    /// `X-Forwarded-For` names the client (behind a reverse proxy).
    pub trust_proxy: bool,
    /// `https://host` as users reach it, when known: its scheme decides the cookie's
    /// `Secure`, and a request from that origin is not cross-site.
    pub public_origin: Option<String>,
    pub cookie: sessions::CookiePolicy,
    /// The CSP `frame-ancestors` sources: who may show swipeset in a frame.
    pub frame_ancestors: String,
    pub oidc: Option<Arc<oidc::Oidc>>,
    /// Set when sign-in is limited to organisations: how long a provider sign-in vouches
    /// for an account (`swipeset_core::accounts::membership`).
    pub membership: Option<MembershipRule>,
    pub throttle: Limits,
}

impl Default for AuthConfig {
    /// What tests and a bare `AppState::new` get: accounts only, no guests, no provider.
    fn default() -> Self {
        Self {
            guests: false,
            open_registration: false,
            trust_proxy: false,
            public_origin: None,
            cookie: sessions::CookiePolicy::default(),
            frame_ancestors: "'self'".to_string(),
            oidc: None,
            membership: None,
            throttle: Limits::default(),
        }
    }
}

impl AuthConfig {
    /// Whether people reach this instance over https (its public URL says so), even when a
    /// proxy in front of it speaks plain http to it.
    pub fn is_https(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// What the app's server functions need to know.
    pub fn app_settings(&self) -> AuthSettings {
        AuthSettings {
            open_registration: self.open_registration,
            guests: self.guests,
            oidc_label: self.oidc.as_ref().map(|o| o.settings.label.clone()),
            throttle: self.throttle,
            membership: self.membership.clone(),
        }
    }
}
