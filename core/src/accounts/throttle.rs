//! Throttling of password guessing, without letting a guesser lock the owner out.
//!
//! Every sign-in attempt is counted *before* the password is checked, in one write job
//! (`Store::run`), so a burst of concurrent guesses cannot all slip under a limit; a right
//! password gives its attempt back. The counts live in the database, so every replica
//! throttles the same guesser. Within a window (15 minutes by default):
//!
//! - **one account from one address** (`pair:`): 5 attempts, then 429 for that pair until
//!   the window ends. A guesser at one address stops there; the owner elsewhere does not
//!   notice.
//! - **one address, all accounts** (`ip:`): 30 attempts, then 429 for the address.
//! - **one account from everywhere** (`user:`): never a lock. After 10 attempts, an address
//!   the account has not signed in from (in the last 90 days, `sign_in_known`) waits
//!   between attempts: 1 second after the 11th, doubling with each one up to a minute.
//!   Guessers spread over many addresses are slowed to about one guess a minute; the
//!   owner signs in at once from an address they used before, and within a minute from a
//!   new one.
//!
//! Without a known client address (behind a proxy whose `X-Forwarded-For` is not trusted,
//! every client shares the proxy's address) the pair and address rules apply to that one
//! address: set `--trust-proxy` there (a Space does by default).
//!
//! Names that cannot be an account are refused before anything is counted or stored, and
//! rows whose window and delay have passed are deleted as attempts come in.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};

use crate::db::entities::{sign_in_attempt, sign_in_known};
use crate::db::keyed::locked_or_inserted;
use crate::db::store::{Store, Write, WriteJob};
use crate::sync::Every;
use crate::{CoreError, CoreResult};

/// The limits of the rules above.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Attempts at one account from one address per window.
    pub per_pair: i32,
    /// Attempts from one address per window, all accounts together.
    pub per_ip: i32,
    /// Attempts at one account per window before new addresses wait between attempts.
    pub per_account: i32,
    pub window: Duration,
    /// The longest wait between attempts at one account from a new address.
    pub max_delay: Duration,
    /// How long an address an account signed in from stays known.
    pub known_for: Duration,
}

impl Default for Limits {
    /// Room for typos, far too little for guessing.
    fn default() -> Self {
        Self {
            per_pair: 5,
            per_ip: 30,
            per_account: 10,
            window: Duration::minutes(15),
            max_delay: Duration::minutes(1),
            known_for: Duration::days(90),
        }
    }
}

/// An attempt that was counted: settle it with [`succeeded`] when the password was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    account: String,
    ip: Option<String>,
}

/// Old rows are swept at most once a minute.
static SWEEP: LazyLock<Every> = LazyLock::new(|| Every::new(Duration::minutes(1)));

/// Counts an attempt to sign in to `account` from `ip`, or refuses it with `Throttled`
/// (nothing counted) when a rule says wait.
pub async fn attempt(
    store: &Store,
    limits: Limits,
    ip: Option<&str>,
    account: &str,
    now: DateTime<Utc>,
) -> CoreResult<Attempt> {
    let attempt = Attempt {
        account: account.to_lowercase(),
        ip: ip.map(str::to_owned),
    };
    let sweep = SWEEP.due(now);
    store
        .run(Count {
            attempt,
            limits,
            now,
            sweep,
        })
        .await?
        .map_err(|retry_after_secs| CoreError::Throttled { retry_after_secs })
}

/// The password was right: the attempt is given back, the pair's count forgotten, and the
/// address becomes known for the account.
pub async fn succeeded(store: &Store, attempt: Attempt, now: DateTime<Utc>) -> CoreResult<()> {
    give_back(store, attempt, true, now).await
}

/// The password was never checked (the server was busy, the database failed): the
/// attempt is given back.
pub async fn not_checked(store: &Store, attempt: Attempt, now: DateTime<Utc>) -> CoreResult<()> {
    give_back(store, attempt, false, now).await
}

async fn give_back(
    store: &Store,
    attempt: Attempt,
    known: bool,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    store
        .run(GiveBack {
            attempt,
            known,
            now,
        })
        .await
}

impl Attempt {
    fn pair_key(&self) -> String {
        format!(
            "pair:{}|{}",
            self.account,
            self.ip.as_deref().unwrap_or("unknown")
        )
    }

    fn ip_key(&self) -> Option<String> {
        self.ip.as_ref().map(|ip| format!("ip:{ip}"))
    }

    fn account_key(&self) -> String {
        format!("user:{}", self.account)
    }

    fn known_key(&self) -> Option<String> {
        self.ip.as_ref().map(|ip| format!("{}|{ip}", self.account))
    }
}

#[derive(Debug, Clone)]
struct Count {
    attempt: Attempt,
    limits: Limits,
    now: DateTime<Utc>,
    sweep: bool,
}

impl WriteJob for Count {
    /// The attempt, or the seconds to wait.
    type Output = Result<Attempt, u64>;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<Self::Output>> {
        let Self {
            attempt,
            limits,
            now,
            sweep,
        } = self;
        if sweep {
            sweep_old(txn, limits, now).await?;
        }
        let known = is_known(txn, &attempt, limits, now).await?;
        let mut rules = vec![(attempt.pair_key(), Rule::Limit(limits.per_pair))];
        if let Some(ip) = attempt.ip_key() {
            rules.push((ip, Rule::Limit(limits.per_ip)));
        }
        rules.push((attempt.account_key(), Rule::Slow { known }));
        for (key, rule) in rules {
            let fresh = sign_in_attempt::ActiveModel {
                key: Set(key.clone()),
                attempts: Set(0),
                window_start: Set(now),
                next_at: Set(None),
            };
            let row = locked_or_inserted(txn, fresh, sign_in_attempt::Column::Key, &key).await?;
            let fresh = row.window_start + limits.window <= now;
            let (attempts, window_start) = if fresh {
                (0, now)
            } else {
                (row.attempts, row.window_start)
            };
            if let Some(wait) = rule.wait(attempts, window_start, row.next_at, limits, now) {
                // Nothing of this attempt is kept: a refused attempt does not push the
                // owner's next chance further away.
                let secs = wait.num_seconds().max(1) as u64;
                return Ok(Write::Discard(Err(secs)));
            }
            let attempts = attempts + 1;
            let next_at = match rule {
                Rule::Slow { .. } if attempts > limits.per_account => {
                    Some(now + delay(attempts - limits.per_account, limits.max_delay))
                }
                _ => None,
            };
            sign_in_attempt::Entity::update(sign_in_attempt::ActiveModel {
                key: Set(key),
                attempts: Set(attempts),
                window_start: Set(window_start),
                next_at: Set(next_at),
            })
            .exec(txn)
            .await?;
        }
        Ok(Write::Commit(Ok(attempt)))
    }
}

/// What a key's count means.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// A hard limit per window.
    Limit(i32),
    /// The account-wide rule: delays between attempts, waived at known addresses.
    Slow { known: bool },
}

impl Rule {
    /// How long to wait before the next attempt, if at all.
    fn wait(
        self,
        attempts: i32,
        window_start: DateTime<Utc>,
        next_at: Option<DateTime<Utc>>,
        limits: Limits,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        match self {
            Rule::Limit(limit) => (attempts >= limit).then(|| window_start + limits.window - now),
            Rule::Slow { known: true } => None,
            Rule::Slow { known: false } => next_at
                .filter(|at| attempts >= limits.per_account && *at > now)
                .map(|at| at - now),
        }
    }
}

/// The wait after the `n`th attempt past the account's free ones: 1 s, 2 s, 4 s, … up to
/// `max`.
fn delay(n: i32, max: Duration) -> Duration {
    let exponent = (n - 1).clamp(0, 20) as u32;
    Duration::seconds(1i64 << exponent).min(max)
}

async fn is_known(
    db: &impl ConnectionTrait,
    attempt: &Attempt,
    limits: Limits,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let Some(key) = attempt.known_key() else {
        return Ok(false);
    };
    Ok(sign_in_known::Entity::find_by_id(key)
        .one(db)
        .await?
        .is_some_and(|known| known.last_seen + limits.known_for > now))
}

/// Deletes counts whose window and delay are over, and addresses not seen for too long.
async fn sweep_old(
    db: &impl ConnectionTrait,
    limits: Limits,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    use sea_orm::sea_query::Condition;
    sign_in_attempt::Entity::delete_many()
        .filter(sign_in_attempt::Column::WindowStart.lte(now - limits.window))
        .filter(
            Condition::any()
                .add(sign_in_attempt::Column::NextAt.is_null())
                .add(sign_in_attempt::Column::NextAt.lte(now)),
        )
        .exec(db)
        .await?;
    sign_in_known::Entity::delete_many()
        .filter(sign_in_known::Column::LastSeen.lte(now - limits.known_for))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
struct GiveBack {
    attempt: Attempt,
    /// Whether the address becomes known for the account.
    known: bool,
    now: DateTime<Utc>,
}

impl WriteJob for GiveBack {
    type Output = ();

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<()>> {
        use sea_orm::sea_query::Expr;
        let Self {
            attempt,
            known,
            now,
        } = self;
        sign_in_attempt::Entity::delete_by_id(attempt.pair_key())
            .exec(txn)
            .await?;
        let keys: Vec<String> = attempt
            .ip_key()
            .into_iter()
            .chain([attempt.account_key()])
            .collect();
        sign_in_attempt::Entity::update_many()
            .col_expr(
                sign_in_attempt::Column::Attempts,
                Expr::col(sign_in_attempt::Column::Attempts).sub(1),
            )
            .filter(sign_in_attempt::Column::Key.is_in(keys))
            .filter(sign_in_attempt::Column::Attempts.gt(0))
            .exec(txn)
            .await?;
        if let Some(key) = attempt.known_key().filter(|_| known) {
            sign_in_known::Entity::insert(sign_in_known::ActiveModel {
                key: Set(key),
                last_seen: Set(now),
            })
            .on_conflict(
                OnConflict::column(sign_in_known::Column::Key)
                    .update_column(sign_in_known::Column::LastSeen)
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        }
        Ok(Write::Commit(()))
    }
}

#[cfg(test)]
mod tests;
