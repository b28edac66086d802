//! `swipeset serve`: the web app. Migrates, loads the demo into an empty database when
//! asked, makes the first admin of a new instance, then serves until Ctrl-C and lets the
//! requests in flight finish.

use anyhow::Context;

use super::{demo, open};
use crate::config::{ProcessEnv, Settings};
use crate::{AppState, router, shutdown};

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let (hub, snapshots) = crate::hub::setup(
        &settings.hub,
        &settings.snapshots,
        &settings.database.database_url,
    )?;
    if let Some(snapshots) = &snapshots {
        snapshots.restore_if_new().await?;
    }
    let db = open::database(&settings.database).await?;
    if settings.demo && swipeset_core::campaign::demo::database_is_empty(&db).await? {
        demo::report(swipeset_core::campaign::demo::load(&db).await?);
    }
    if !settings.site_root.join("pkg").exists() {
        tracing::warn!(
            site_root = %settings.site_root.display(),
            "no browser bundle found: pages will render but not hydrate; run `cargo xtask site`"
        );
    }
    let auth = settings.access.auth_config(&settings.oidc, &ProcessEnv)?;
    let storage_warning = crate::storage::warning(
        &settings.database.database_url,
        &ProcessEnv,
        std::fs::read_to_string("/proc/self/mountinfo")
            .ok()
            .as_deref(),
        &std::env::current_dir().unwrap_or_default(),
    );
    if let Some(warning) = &storage_warning {
        tracing::error!("{warning}");
    }
    let first_admin = first_admin(&db).await?;
    let guests = auth.guests;
    let open_registration = auth.open_registration;
    let oidc_label = auth.oidc.as_ref().map(|o| o.settings.label.clone());
    let state = AppState::new(db, &settings.site_root)
        .with_export_limit(settings.max_exports)
        .with_upload_limit(settings.max_upload_bytes)
        .with_stream_limits(crate::live::StreamLimits::new(
            settings.max_event_streams,
            settings.max_event_streams_per_client,
        ))
        .with_auth(auth)
        .with_admin_notice(storage_warning.clone())
        .with_hub(hub)
        .with_hold_cap(settings.max_held_cards)
        .with_guest_limits(swipeset_core::accounts::guests::GuestLimits {
            per_hour: settings.new_guests_per_hour,
            per_day: settings.new_guests_per_day,
        })
        .with_rating_limits(settings.rating_requests_per_minute, settings.rating_burst)
        .with_database_events()
        .await?;
    state.sessions.delete_expired_hourly();
    if let Some(snapshots) = &snapshots {
        snapshots.spawn(state.db.clone());
    }
    // Runs a stopped server left, and runs of replicas that stopped beating.
    state.generators.take_up_orphans();
    let generators = state.generators.clone();
    let live = state.live.clone();
    let db = state.db.clone();
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.addr))?;
    println!();
    println!("  swipeset is running at http://{}", settings.addr);
    println!(
        "  database: {}",
        swipeset_core::db::redact(&settings.database.database_url)
    );
    if let Some(line) = first_admin {
        println!("{line}");
    }
    if guests {
        println!(
            "  guests may rate: each browser rates as its own guest annotator (a campaign's \
             guest_hold_back holds a new guest's votes until they have shown they read)"
        );
    }
    if open_registration {
        println!("  anyone may sign up at /signup");
    }
    if let Some(label) = oidc_label {
        println!("  sign-in with {label} is on");
    }
    if let Some(snapshots) = &snapshots {
        println!(
            "  snapshots to {} every {}",
            snapshots.state.repo,
            humantime::format_duration(snapshots.state.every)
        );
    }
    println!("  press Ctrl-C to stop");
    println!();
    // Event streams never finish on their own: end them when shutdown starts, so the
    // requests that do finish can be waited for.
    let stopping = async move {
        shutdown::signal().await;
        live.close();
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stopping)
        .await
        .context("the HTTP server failed")?;
    // Generation runs stay `running`, for the next start to take up at once.
    generators.release().await;
    if let Some(snapshots) = &snapshots {
        // What was rated since the last snapshot would be lost with the Space's disk.
        println!("taking a last snapshot…");
        if tokio::time::timeout(LAST_SNAPSHOT, snapshots.run(&db))
            .await
            .is_err()
        {
            tracing::error!("the last snapshot did not finish in {LAST_SNAPSHOT:?}");
        }
    }
    println!("swipeset stopped");
    Ok(())
}

/// How long stopping waits for the last snapshot: inside the 30 s a container platform
/// usually allows between SIGTERM and SIGKILL, with room for the rest of the shutdown.
const LAST_SNAPSHOT: std::time::Duration = std::time::Duration::from_secs(20);

/// Makes the first admin of an empty instance, from `SWIPESET_ADMIN_PASSWORD` or with a
/// one-time password, and says how to sign in.
async fn first_admin(db: &swipeset_core::DatabaseConnection) -> anyhow::Result<Option<String>> {
    let given = std::env::var("SWIPESET_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let made = swipeset_core::accounts::users::ensure_first_admin(db, given.as_deref())
        .await
        .context(
            "making the first admin (SWIPESET_ADMIN_PASSWORD must have 8 or more characters)",
        )?;
    Ok(made.map(|(user, generated)| match generated {
        Some(password) => format!(
            "  first admin made: sign in at /login as `{}` with this one-time password:\n\n      {password}\n\n  (it is not shown again; change it on /profile, or set one with `swipeset user password {}`)",
            user.name, user.name
        ),
        None => format!(
            "  first admin made: sign in at /login as `{}` with SWIPESET_ADMIN_PASSWORD",
            user.name
        ),
    }))
}
