//! "Sign in with Hugging Face", or any OpenID Connect provider: the authorization code
//! flow with PKCE, through the `openidconnect` crate (discovery, the code exchange, and the
//! ID token's signature, audience, expiry and nonce checks). `GET /login/oidc` sends the
//! browser to the provider; `GET /login/callback` comes back, signs the user in (making an
//! annotator named after `preferred_username` the first time) and returns to where they
//! were.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use swipeset_core::accounts::users::{self, OidcIdentity};
use tokio::sync::Mutex;
use tower_sessions::Session;

use crate::state::AppState;

/// Where a provider is and how swipeset is registered with it.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Beyond `openid`, which is always asked for.
    pub scopes: Vec<String>,
    /// This server's `/login/callback` as the provider knows it.
    pub redirect_url: String,
    /// When not empty, only members of one of these organisations (the `orgs` claim) may
    /// sign in.
    pub allowed_orgs: Vec<String>,
    /// What the button says after "Sign in with".
    pub label: String,
}

/// A configured provider, its discovery document fetched on first use (and again after a
/// failure), so the server starts even while the provider is away.
#[derive(Debug)]
pub struct Oidc {
    pub settings: OidcSettings,
    http: reqwest::Client,
    metadata: Mutex<Option<CoreProviderMetadata>>,
}

/// What the session keeps between leaving for the provider and coming back.
#[derive(Debug, Serialize, Deserialize)]
struct Flow {
    state: String,
    pkce_verifier: String,
    nonce: String,
    next: String,
}

const FLOW_KEY: &str = "oidc_flow";

/// The claims beyond the standard ones: Hugging Face lists organisations in `orgs`, as
/// objects; other providers may list plain names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OrgClaims {
    #[serde(default)]
    orgs: Vec<Org>,
}

impl AdditionalClaims for OrgClaims {}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Org {
    Name(String),
    Detail {
        #[serde(default)]
        preferred_username: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        sub: Option<String>,
    },
}

impl Org {
    fn names(&self) -> Vec<&str> {
        match self {
            Org::Name(n) => vec![n.as_str()],
            Org::Detail {
                preferred_username,
                name,
                sub,
            } => [preferred_username, name, sub]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect(),
        }
    }
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // The flow's redirects are the browser's to follow, never the server's
            // (openidconnect's advice against SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()?;
        Ok(Self {
            settings,
            http,
            metadata: Mutex::new(None),
        })
    }

    async fn client(&self) -> Result<SignInClient, String> {
        let mut cached = self.metadata.lock().await;
        let metadata = match cached.as_ref() {
            Some(m) => m.clone(),
            None => {
                let issuer = IssuerUrl::new(self.settings.issuer_url.clone())
                    .map_err(|e| format!("the provider URL is not a URL: {e}"))?;
                let found = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| {
                        format!(
                            "could not read the provider's discovery document at {}: {e}",
                            self.settings.issuer_url
                        )
                    })?;
                *cached = Some(found.clone());
                found
            }
        };
        let redirect = RedirectUrl::new(self.settings.redirect_url.clone())
            .map_err(|e| format!("the redirect URL is not a URL: {e}"))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }
}

type SignInClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /login/oidc?next=/leaderboard`: off to the provider.
pub async fn start(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<StartQuery>,
) -> Response {
    let Some(oidc) = state.auth.oidc.clone() else {
        return back_to_login("sign-in with an OpenID provider is not configured here");
    };
    let client = match oidc.client().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "OpenID sign-in could not start");
            return back_to_login(&format!(
                "{} sign-in is unavailable: {e}",
                oidc.settings.label
            ));
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in oidc.settings.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
    let flow = Flow {
        state: csrf.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
        next: swipeset_core::wire::safe_next(query.next.as_deref()).to_string(),
    };
    if let Err(e) = session.insert(FLOW_KEY, flow).await {
        return back_to_login(&format!("the session store did not answer: {e}"));
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /login/callback?code=…&state=…`: back from the provider.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = state.auth.oidc.clone() else {
        return back_to_login("sign-in with an OpenID provider is not configured here");
    };
    match finish(&state, &oidc, &session, query).await {
        Ok(next) => Redirect::to(&next).into_response(),
        Err(message) => {
            tracing::info!(%message, "OpenID sign-in refused");
            back_to_login(&message)
        }
    }
}

async fn finish(
    state: &AppState,
    oidc: &Oidc,
    session: &Session,
    query: CallbackQuery,
) -> Result<String, String> {
    let label = &oidc.settings.label;
    let flow: Flow = session
        .remove(FLOW_KEY)
        .await
        .map_err(|e| format!("the session store did not answer: {e}"))?
        .ok_or_else(|| {
            "this sign-in did not start here, or took too long; try again".to_string()
        })?;
    if let Some(error) = query.error {
        return Err(format!(
            "{label} refused the sign-in: {}",
            query.error_description.unwrap_or(error)
        ));
    }
    if query.state.as_deref() != Some(flow.state.as_str()) {
        return Err("the sign-in's state did not match; try again".to_string());
    }
    let code = query
        .code
        .ok_or_else(|| format!("{label} sent no authorization code"))?;
    let client = oidc.client().await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| format!("{label} has no token endpoint: {e}"))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier))
        .request_async(&oidc.http)
        .await
        .map_err(|e| format!("{label} did not accept the authorization code: {e}"))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| format!("{label} sent no ID token"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(flow.nonce))
        .map_err(|e| format!("{label}'s ID token did not check out: {e}"))?;
    let subject = claims.subject().clone();
    let mut preferred = claims.preferred_username().map(|u| u.as_str().to_string());
    let mut orgs = Vec::new();
    if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(subject.clone())) {
        let info: Result<UserInfoClaims<OrgClaims, CoreGenderClaim>, _> =
            request.request_async(&oidc.http).await;
        match info {
            Ok(info) => {
                if preferred.is_none() {
                    preferred = info.preferred_username().map(|u| u.as_str().to_string());
                }
                orgs = info.additional_claims().orgs.clone();
            }
            Err(e) if !oidc.settings.allowed_orgs.is_empty() => {
                return Err(format!(
                    "{label} did not say which organisations you belong to: {e}"
                ));
            }
            Err(e) => tracing::warn!(error = %e, "OpenID userinfo failed; going on without it"),
        }
    }
    check_orgs(&oidc.settings.allowed_orgs, &orgs)?;
    let identity = OidcIdentity {
        issuer: claims.issuer().as_str().to_string(),
        subject: subject.as_str().to_string(),
        preferred_username: preferred,
    };
    let user = users::oidc_sign_in(&state.db, &identity)
        .await
        .map_err(|e| e.to_string())?;
    super::sessions::start(session, &user)
        .await
        .map_err(|e| e.message)?;
    Ok(flow.next)
}

fn check_orgs(allowed: &[String], orgs: &[Org]) -> Result<(), String> {
    if allowed.is_empty() {
        return Ok(());
    }
    let member = orgs
        .iter()
        .flat_map(Org::names)
        .any(|name| allowed.iter().any(|a| a.eq_ignore_ascii_case(name)));
    if member {
        Ok(())
    } else {
        Err(format!(
            "only members of {} may sign in here",
            allowed.join(", ")
        ))
    }
}

fn back_to_login(message: &str) -> Response {
    let encoded: String =
        openidconnect::url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    Redirect::to(&format!("/login?error={encoded}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisations_come_as_names_or_objects() {
        let hf: OrgClaims = serde_json::from_str(
            r#"{"orgs": [{"sub": "1", "name": "Big Science", "preferred_username": "bigscience"}]}"#,
        )
        .unwrap();
        let plain: OrgClaims = serde_json::from_str(r#"{"orgs": ["swipeset"]}"#).unwrap();
        let none: OrgClaims = serde_json::from_str("{}").unwrap();
        let allowed = vec!["BigScience".to_string()];
        assert!(check_orgs(&allowed, &hf.orgs).is_ok());
        assert!(check_orgs(&allowed, &plain.orgs).is_err());
        assert!(check_orgs(&allowed, &none.orgs).is_err());
        assert!(check_orgs(&[], &none.orgs).is_ok());
    }
}
