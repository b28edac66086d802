//! The Hugging Face token an admin saves on the export page, kept so the browser never
//! holds it: sealed with XChaCha20-Poly1305 under a key derived (HKDF-SHA256) from the
//! instance secret, never sent back, never logged.
//!
//! What sealing protects against: the token showing up in a copy of the settings table, a
//! log of queries or a dump of a few tables. What it does not: someone with the whole
//! database has the instance secret too. So the Hub snapshot (`super::snapshot`) leaves
//! this table out, and on a Space the better place for a token is an `HF_TOKEN` secret,
//! which the export page uses when it is set and never stores.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use hkdf::Hkdf;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use sha2::Sha256;

use crate::accounts::pseudonyms::instance_secret;
use crate::db::entities::hub_setting;
use crate::{CoreError, CoreResult};

/// A saved token as the page may show it: whose it is and when it was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedToken {
    pub owner: String,
    pub saved_at: DateTime<Utc>,
}

fn cipher(secret: &str) -> XChaCha20Poly1305 {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"swipeset"), secret.as_bytes())
        .expand(b"hub token v1", &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    XChaCha20Poly1305::new(&key.into())
}

fn seal(secret: &str, token: &str) -> String {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher(secret)
        .encrypt(&nonce, token.as_bytes())
        .expect("encrypting a short token in memory cannot fail");
    let mut bytes = nonce.to_vec();
    bytes.extend(sealed);
    BASE64.encode(bytes)
}

fn open(secret: &str, sealed: &str) -> Option<String> {
    let bytes = BASE64.decode(sealed).ok()?;
    if bytes.len() < 24 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let plain = cipher(secret)
        .decrypt(XNonce::from_slice(nonce), ciphertext)
        .ok()?;
    String::from_utf8(plain).ok()
}

/// Replaces the saved token.
pub async fn save(
    db: &impl ConnectionTrait,
    token: &str,
    owner: &str,
    saved_by: Option<i32>,
) -> CoreResult<SavedToken> {
    let secret = instance_secret(db).await?;
    hub_setting::Entity::delete_many().exec(db).await?;
    let saved_at = Utc::now();
    hub_setting::ActiveModel {
        token_sealed: Set(seal(&secret, token.trim())),
        token_owner: Set(owner.to_string()),
        saved_by: Set(saved_by),
        saved_at: Set(saved_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(SavedToken {
        owner: owner.to_string(),
        saved_at,
    })
}

async fn row(db: &impl ConnectionTrait) -> CoreResult<Option<hub_setting::Model>> {
    Ok(hub_setting::Entity::find()
        .order_by_desc(hub_setting::Column::Id)
        .one(db)
        .await?)
}

/// Whose token is saved, if any; never the token.
pub async fn describe(db: &impl ConnectionTrait) -> CoreResult<Option<SavedToken>> {
    Ok(row(db).await?.map(|r| SavedToken {
        owner: r.token_owner,
        saved_at: r.saved_at,
    }))
}

/// The saved token, for a call to the Hub.
pub async fn load(db: &impl ConnectionTrait) -> CoreResult<Option<String>> {
    let Some(row) = row(db).await? else {
        return Ok(None);
    };
    let secret = instance_secret(db).await?;
    open(&secret, &row.token_sealed).map(Some).ok_or_else(|| {
        CoreError::invalid(
            "hub token",
            "the saved token cannot be unsealed (was the database moved to another instance?); \
             save it again on the export page",
        )
    })
}

pub async fn forget(db: &impl ConnectionTrait) -> CoreResult<()> {
    hub_setting::Entity::delete_many().exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_db;

    #[test]
    fn sealed_tokens_open_only_with_their_secret() {
        let sealed = seal("secret-a", "hf_abc");
        assert!(!sealed.contains("hf_abc"));
        assert_eq!(open("secret-a", &sealed).as_deref(), Some("hf_abc"));
        assert_eq!(open("secret-b", &sealed), None);
        // A fresh nonce each time: two seals of one token differ.
        assert_ne!(seal("secret-a", "hf_abc"), sealed);
        assert_eq!(open("secret-a", "not base64!"), None);
    }

    #[tokio::test]
    async fn the_database_holds_the_token_sealed_only() {
        let db = fresh_db().await;
        assert_eq!(load(&db).await.unwrap(), None);
        save(&db, " hf_secret_value ", "alice", None).await.unwrap();
        save(&db, "hf_second_value", "bob", Some(1)).await.unwrap();
        assert_eq!(load(&db).await.unwrap().as_deref(), Some("hf_second_value"));
        assert_eq!(describe(&db).await.unwrap().unwrap().owner, "bob");
        let rows = hub_setting::Entity::find().all(&db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].token_sealed.contains("hf_second_value"));
        forget(&db).await.unwrap();
        assert_eq!(describe(&db).await.unwrap(), None);
    }
}
