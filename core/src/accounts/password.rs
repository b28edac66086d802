//! Password hashing with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, the
//! OWASP recommendation), off the async threads since a hash takes tens of milliseconds.
//! At most two hashes per core run at once: each takes 19 MiB and a core's worth of time,
//! so a burst of sign-ins must not be able to take the server's memory and CPU. A check
//! of a password (signing in) beyond that is answered at once with "busy, try again in a
//! second"; making a hash (a new account, a new password) waits its turn instead, since
//! its callers are rare and failing them would only make them retry.

use std::sync::{LazyLock, OnceLock};

use tokio::sync::Semaphore;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash::rand_core::OsRng};

use crate::{CoreError, CoreResult};

/// Shorter passwords are refused; longer than `MAX_LEN` too, so nobody can make the server
/// hash a megabyte per request.
pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 1024;

/// Refuses a password too short or too long to be one, saying which.
pub fn check_strength(password: &str) -> CoreResult<()> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(CoreError::invalid(
            "password",
            format!("must have at least {MIN_LEN} characters, got {len}"),
        ));
    }
    if password.len() > MAX_LEN {
        return Err(CoreError::invalid(
            "password",
            format!("must be at most {MAX_LEN} bytes"),
        ));
    }
    Ok(())
}

/// The PHC string of `password` under a fresh random salt.
pub async fn hash(password: &str) -> CoreResult<String> {
    let password = password.to_owned();
    blocking(Slot::Wait, move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::invalid("password", format!("could not be hashed: {e}")))
    })
    .await
}

/// Whether `password` matches `phc`. With no hash (an unknown user, an OpenID-only
/// account) it still spends the time of one check, so timing does not tell who exists.
pub async fn verify(phc: Option<&str>, password: &str) -> CoreResult<bool> {
    let phc = phc.map(str::to_owned);
    let password = password.to_owned();
    blocking(Slot::Refuse, move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return Ok(false);
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
}

/// A hash of nothing anyone knows, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(uuid::Uuid::new_v4().to_string().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Hashes that may run at once.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Semaphore::new(2 * cores)
});

/// What to do when every hashing slot is taken.
enum Slot {
    Wait,
    Refuse,
}

async fn blocking<T: Send + 'static>(
    slot: Slot,
    work: impl FnOnce() -> CoreResult<T> + Send + 'static,
) -> CoreResult<T> {
    let _slot = match slot {
        Slot::Wait => HASHING.acquire().await.ok(),
        Slot::Refuse => Some(HASHING.try_acquire().map_err(|_| CoreError::Busy {
            retry_after_secs: 1,
        })?),
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CoreError::invalid("password", format!("hashing stopped: {e}")))?
}

/// A random password for a first admin: 20 letters and digits (about 119 bits).
pub fn generate() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse").await.unwrap();
        let b = hash("correct horse").await.unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "every hash has its own salt");
        assert!(verify(Some(&a), "correct horse").await.unwrap());
        assert!(!verify(Some(&a), "correct horsE").await.unwrap());
        assert!(!verify(None, "correct horse").await.unwrap());
        assert!(!verify(Some("not a phc string"), "x").await.unwrap());
    }

    #[test]
    fn strength_rules_say_what_is_wrong() {
        assert!(check_strength("12345678").is_ok());
        let short = check_strength("1234567").unwrap_err().to_string();
        assert!(short.contains("at least 8"), "{short}");
        assert!(check_strength(&"x".repeat(MAX_LEN + 1)).is_err());
        assert_eq!(generate().len(), 20);
    }
}
