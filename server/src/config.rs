//! Settings, in one place: each has a command-line flag and an environment variable, and
//! `README.md` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives when nothing else is said: a SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/swipeset.db";

#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH` (created on first start) or `postgres://USER:PASS@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// PostgreSQL only: connections this process keeps open at most (default 16, one of
    /// them listening for leaderboard changes). With several replicas, keep replicas × this
    /// under the server's `max_connections` less a few for administration
    /// (docs/ARCHITECTURE.md, "Running several replicas").
    #[arg(long, env = "SWIPESET_DATABASE_POOL", value_parser = clap::value_parser!(u32).range(1..))]
    pub database_pool: Option<u32>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address and port to listen on.
    #[arg(long, env = "SWIPESET_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Folder holding the built browser bundle (`pkg/`) and static files, as written by
    /// `cargo xtask site`.
    #[arg(long, env = "SWIPESET_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Load the demo campaign if the database holds no campaign yet.
    #[arg(long, env = "SWIPESET_DEMO")]
    pub demo: bool,

    /// Dataset downloads that may run at once; more are refused with 503 until one ends.
    #[arg(long, env = "SWIPESET_MAX_EXPORTS", default_value_t = crate::state::DEFAULT_MAX_EXPORTS)]
    pub max_exports: usize,

    /// Live leaderboard streams that may be open at once; more are refused with 503.
    #[arg(long, env = "SWIPESET_MAX_EVENT_STREAMS", default_value_t = crate::live::DEFAULT_MAX_STREAMS)]
    pub max_event_streams: usize,

    /// Live leaderboard streams one client address may hold open; more get 429.
    #[arg(long, env = "SWIPESET_MAX_EVENT_STREAMS_PER_CLIENT", default_value_t = crate::live::DEFAULT_MAX_STREAMS_PER_CLIENT)]
    pub max_event_streams_per_client: usize,

    /// Cards one rater may hold at once; asking for more renews the held ones instead of
    /// leasing new ones, so a few identities cannot hold every slot of a campaign.
    #[arg(long, env = "SWIPESET_MAX_HELD_CARDS", default_value_t = swipeset_core::db::store::DEFAULT_HOLD_CAP, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_held_cards: usize,

    /// New guests one client address may make per hour (a browser's first rating makes its
    /// guest; returning browsers are never counted). Raise it for an event where many
    /// people share one network.
    #[arg(long, env = "SWIPESET_NEW_GUESTS_PER_HOUR", default_value_t = swipeset_core::accounts::guests::GuestLimits::default().per_hour, value_parser = clap::value_parser!(u32).range(1..))]
    pub new_guests_per_hour: u32,

    /// New guests one client address may make per day.
    #[arg(long, env = "SWIPESET_NEW_GUESTS_PER_DAY", default_value_t = swipeset_core::accounts::guests::GuestLimits::default().per_day, value_parser = clap::value_parser!(u32).range(1..))]
    pub new_guests_per_day: u32,

    /// Requests one rater (account or guest) may make per minute to the rating endpoints
    /// after a burst; more get 429 with `Retry-After`.
    #[arg(long, env = "SWIPESET_RATING_REQUESTS_PER_MINUTE", default_value_t = crate::limits::DEFAULT_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
    pub rating_requests_per_minute: u32,

    /// Requests one rater may make to the rating endpoints at once, before the per-minute
    /// pace applies.
    #[arg(long, env = "SWIPESET_RATING_BURST", default_value_t = crate::limits::DEFAULT_BURST, value_parser = clap::value_parser!(u32).range(1..))]
    pub rating_burst: u32,

    /// The largest file an admin may upload on a campaign's page for import, in bytes
    /// (`swipeset import` has its own `--max-file-bytes`).
    #[arg(long, env = "SWIPESET_MAX_UPLOAD_BYTES", default_value_t = crate::state::DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: u64,

    #[command(flatten)]
    pub access: AccessArgs,

    #[command(flatten)]
    pub oidc: OidcArgs,

    #[command(flatten)]
    pub hub: crate::hub::HubArgs,

    #[command(flatten)]
    pub snapshots: crate::hub::SnapshotArgs,
}

/// Who may sign up and rate, and how the server sits on the web.
#[derive(Debug, Clone, clap::Args)]
pub struct AccessArgs {
    /// Let people rate without an account: each browser rates as its own guest. What a
    /// guest may do is limited: new guests per client address (--new-guests-per-hour,
    /// --new-guests-per-day), cards held at once (--max-held-cards), rating requests per
    /// rater (--rating-requests-per-minute, --rating-burst), and, per campaign,
    /// `guest_hold_back`: a guest's votes count only after that many decisions, a right
    /// gold vote among them.
    #[arg(long, env = "SWIPESET_GUESTS")]
    pub guests: bool,

    /// Let anyone make an annotator account on the sign-up page.
    #[arg(long, env = "SWIPESET_OPEN_REGISTRATION")]
    pub open_registration: bool,

    /// The URL people reach swipeset at (`https://swipeset.example.org`). With https, the
    /// session cookie is `Secure`. On a Hugging Face Space it defaults to
    /// `https://$SPACE_HOST`.
    #[arg(long, env = "SWIPESET_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Send the session cookie as `SameSite=None; Secure`, so sign-in works inside another
    /// site's iframe (on by default on a Space).
    #[arg(long, env = "SWIPESET_COOKIE_CROSS_SITE")]
    pub cookie_cross_site: Option<bool>,

    /// Who may show swipeset in a frame: CSP `frame-ancestors` sources. Default `'self'`;
    /// on a Space `'self' https://huggingface.co`.
    #[arg(long, env = "SWIPESET_FRAME_ANCESTORS")]
    pub frame_ancestors: Option<String>,

    /// Take the client's address from `X-Forwarded-For` (the last entry), for sign-in
    /// throttling behind a reverse proxy. Only behind a proxy that sets it; on by default
    /// on a Space, whose proxy does. Without it, behind a proxy every client shares the
    /// proxy's address, and the throttle's per-address limits are shared too.
    #[arg(
        long,
        env = "SWIPESET_TRUST_PROXY",
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub trust_proxy: Option<bool>,
}

/// "Sign in with Hugging Face", or another OpenID Connect provider. On a Space with
/// `hf_oauth: true`, the Space's own variables (`OAUTH_CLIENT_ID`, `OAUTH_CLIENT_SECRET`,
/// `OPENID_PROVIDER_URL`, `OAUTH_SCOPES`, `SPACE_HOST`) are used when these are not set.
#[derive(Debug, Clone, clap::Args)]
pub struct OidcArgs {
    /// The provider's issuer URL (`https://huggingface.co`).
    #[arg(long = "oidc-issuer-url", env = "SWIPESET_OIDC_ISSUER_URL")]
    pub issuer_url: Option<String>,
    #[arg(long = "oidc-client-id", env = "SWIPESET_OIDC_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Better given by environment than on the command line.
    #[arg(
        long = "oidc-client-secret",
        env = "SWIPESET_OIDC_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// Scopes beyond `openid`, space-separated (default `openid profile`).
    #[arg(long = "oidc-scopes", env = "SWIPESET_OIDC_SCOPES")]
    pub scopes: Option<String>,
    /// This server's callback as registered with the provider; default: the public URL
    /// (or `https://$SPACE_HOST`) with `/login/callback`.
    #[arg(long = "oidc-redirect-url", env = "SWIPESET_OIDC_REDIRECT_URL")]
    pub redirect_url: Option<String>,
    /// Only members of these organisations may sign in (comma-separated; the `orgs` claim).
    #[arg(
        long = "oidc-allowed-orgs",
        env = "SWIPESET_OIDC_ALLOWED_ORGS",
        value_delimiter = ','
    )]
    pub allowed_orgs: Vec<String>,
    /// With `--oidc-allowed-orgs`: how many hours a sign-in through the provider vouches
    /// for an account's membership; past that its sessions and tokens stop working until
    /// it signs in through the provider again.
    #[arg(
        long = "oidc-membership-hours",
        env = "SWIPESET_OIDC_MEMBERSHIP_HOURS",
        default_value_t = swipeset_core::accounts::membership::DEFAULT_VALID_FOR_HOURS,
        value_parser = clap::value_parser!(i64).range(1..=24 * 365)
    )]
    pub membership_hours: i64,
    /// What the button says after "Sign in with" (default `Hugging Face`).
    #[arg(
        long = "oidc-label",
        env = "SWIPESET_OIDC_LABEL",
        default_value = "Hugging Face"
    )]
    pub label: String,
}

/// The environment, as far as the settings read it: a seam for tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process's real environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl AccessArgs {
    /// The server's sign-in settings, with a Space's defaults filled in.
    pub fn auth_config(
        &self,
        oidc_args: &OidcArgs,
        env: &dyn Env,
    ) -> anyhow::Result<crate::auth::AuthConfig> {
        use crate::auth::{AuthConfig, oidc::Oidc, sessions::CookiePolicy};
        let space_host = env.var("SPACE_HOST");
        let public_url = self
            .public_url
            .clone()
            .or_else(|| space_host.as_ref().map(|h| format!("https://{h}")))
            .map(|u| u.trim_end_matches('/').to_string());
        if let Some(url) = &public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            anyhow::bail!("--public-url must start with https:// or http://, got `{url}`");
        }
        let on_space = space_host.is_some();
        let oidc = oidc_args
            .settings(public_url.as_deref(), env)?
            .map(|s| Oidc::new(s).map(std::sync::Arc::new))
            .transpose()?;
        let membership = oidc
            .as_ref()
            .filter(|o| !o.settings.allowed_orgs.is_empty())
            .map(|o| swipeset_core::accounts::membership::MembershipRule {
                provider: o.settings.label.clone(),
                orgs: o.settings.allowed_orgs.clone(),
                valid_for: chrono::Duration::hours(oidc_args.membership_hours),
            });
        Ok(AuthConfig {
            guests: self.guests,
            open_registration: self.open_registration,
            trust_proxy: self.trust_proxy.unwrap_or(on_space),
            cookie: CookiePolicy {
                secure: public_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://")),
                cross_site: self.cookie_cross_site.unwrap_or(on_space),
            },
            frame_ancestors: self.frame_ancestors.clone().unwrap_or_else(|| {
                if on_space {
                    "'self' https://huggingface.co".to_string()
                } else {
                    "'self'".to_string()
                }
            }),
            public_origin: public_url,
            oidc,
            membership,
            ..AuthConfig::default()
        })
    }
}

impl OidcArgs {
    /// The provider's settings, or `None` when no provider is configured. Half a
    /// configuration is an error that names what is missing.
    pub fn settings(
        &self,
        public_url: Option<&str>,
        env: &dyn Env,
    ) -> anyhow::Result<Option<crate::auth::oidc::OidcSettings>> {
        let issuer = self
            .issuer_url
            .clone()
            .or_else(|| env.var("OPENID_PROVIDER_URL"));
        let client_id = self
            .client_id
            .clone()
            .or_else(|| env.var("OAUTH_CLIENT_ID"));
        let client_secret = self
            .client_secret
            .clone()
            .or_else(|| env.var("OAUTH_CLIENT_SECRET"));
        let (issuer, client_id) = match (issuer, client_id) {
            (None, None) => return Ok(None),
            (Some(i), Some(c)) => (i, c),
            (None, Some(_)) => anyhow::bail!(
                "an OpenID client id is set but no provider: set SWIPESET_OIDC_ISSUER_URL (or OPENID_PROVIDER_URL)"
            ),
            (Some(_), None) => anyhow::bail!(
                "an OpenID provider is set but no client id: set SWIPESET_OIDC_CLIENT_ID (or OAUTH_CLIENT_ID)"
            ),
        };
        let scopes = self
            .scopes
            .clone()
            .or_else(|| env.var("OAUTH_SCOPES"))
            .unwrap_or_else(|| "openid profile".to_string());
        let redirect_url = match &self.redirect_url {
            Some(url) => url.clone(),
            None => match public_url {
                Some(base) => format!("{base}/login/callback"),
                None => anyhow::bail!(
                    "OpenID sign-in needs this server's public URL for its callback: set SWIPESET_PUBLIC_URL or SWIPESET_OIDC_REDIRECT_URL"
                ),
            },
        };
        Ok(Some(crate::auth::oidc::OidcSettings {
            issuer_url: issuer.trim_end_matches('/').to_string(),
            client_id,
            client_secret,
            scopes: scopes.split_whitespace().map(str::to_string).collect(),
            redirect_url,
            allowed_orgs: self
                .allowed_orgs
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            label: self.label.clone(),
        }))
    }
}

/// A clap value parser for the domain's named values (`--kind dpo`, `--format jsonl`): the
/// domain's own error, which lists the accepted names.
pub fn parse_named<T: std::str::FromStr<Err = swipeset_core::CoreError>>(
    text: &str,
) -> Result<T, String> {
    text.parse()
        .map_err(|e: swipeset_core::CoreError| e.to_string())
}

/// An environment of the test's making.
#[cfg(test)]
pub(crate) struct FakeEnv(pub std::collections::HashMap<&'static str, &'static str>);

#[cfg(test)]
impl Env for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::collections::HashMap;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn settings(args: &[&str]) -> Settings {
        let mut all = vec!["swipeset"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("arguments").settings
    }

    #[test]
    fn the_hold_cap_and_the_pool_are_positive_numbers() {
        let s = settings(&[]);
        assert_eq!(s.max_held_cards, 20);
        assert_eq!(s.database.database_pool, None);
        let s = settings(&["--max-held-cards", "5", "--database-pool", "8"]);
        assert_eq!((s.max_held_cards, s.database.database_pool), (5, Some(8)));
        for bad in [
            &["--max-held-cards", "0"][..],
            &["--max-held-cards", "many"][..],
            &["--database-pool", "0"][..],
        ] {
            let mut all = vec!["swipeset"];
            all.extend_from_slice(bad);
            let error = Cli::try_parse_from(all).err().expect("refused");
            assert!(error.to_string().contains(bad[0]), "{bad:?}: {error}");
        }
    }

    #[test]
    fn a_space_gets_its_provider_cookie_and_frame_defaults() {
        let env = FakeEnv(HashMap::from([
            ("SPACE_HOST", "me-swipeset.hf.space"),
            ("OAUTH_CLIENT_ID", "abc"),
            ("OAUTH_CLIENT_SECRET", "s3cret"),
            ("OPENID_PROVIDER_URL", "https://huggingface.co"),
            ("OAUTH_SCOPES", "openid profile"),
        ]));
        let s = settings(&[]);
        let config = s.access.auth_config(&s.oidc, &env).unwrap();
        let oidc = config.oidc.as_ref().expect("a provider");
        assert_eq!(
            oidc.settings.redirect_url,
            "https://me-swipeset.hf.space/login/callback"
        );
        assert_eq!(oidc.settings.client_secret.as_deref(), Some("s3cret"));
        assert_eq!(oidc.settings.scopes, ["openid", "profile"]);
        assert!(config.cookie.secure && config.cookie.cross_site);
        assert!(config.trust_proxy, "a Space's proxy sets X-Forwarded-For");
        assert!(config.frame_ancestors.contains("https://huggingface.co"));
        assert_eq!(
            config.public_origin.as_deref(),
            Some("https://me-swipeset.hf.space")
        );
    }

    #[test]
    fn plain_defaults_are_strict_and_half_a_provider_is_an_error() {
        let none = FakeEnv(HashMap::new());
        let s = settings(&[]);
        let config = s.access.auth_config(&s.oidc, &none).unwrap();
        assert!(config.oidc.is_none() && !config.guests && !config.open_registration);
        assert!(!config.cookie.secure && !config.cookie.cross_site);
        assert!(!config.trust_proxy);
        assert_eq!(config.frame_ancestors, "'self'");
        for (args, trusted) in [
            (&["--trust-proxy"][..], true),
            (&["--trust-proxy", "false"][..], false),
            (&["--trust-proxy=1"][..], true),
        ] {
            let s = settings(args);
            let config = s.access.auth_config(&s.oidc, &none).unwrap();
            assert_eq!(config.trust_proxy, trusted, "{args:?}");
        }

        let s = settings(&["--oidc-client-id", "abc"]);
        let error = s
            .access
            .auth_config(&s.oidc, &none)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no provider"), "{error}");

        let s = settings(&[
            "--oidc-client-id",
            "abc",
            "--oidc-issuer-url",
            "http://127.0.0.1:9",
        ]);
        let error = s
            .access
            .auth_config(&s.oidc, &none)
            .unwrap_err()
            .to_string();
        assert!(error.contains("public URL"), "{error}");

        let s = settings(&["--public-url", "ftp://x"]);
        assert!(s.access.auth_config(&s.oidc, &none).is_err());
    }
}
