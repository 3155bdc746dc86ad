use std::time::Duration;

use sqlx::pool::PoolOptions;

/// Connection-pool settings shared by every store.
///
/// ```
/// use std::time::Duration;
/// let settings = auth_sqlx::PoolSettings { max_connections: 20, ..Default::default() };
/// assert_eq!(settings.acquire_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections open at once. Defaults to 10.
    pub max_connections: u32,
    /// Connections kept open when idle. Defaults to 0.
    pub min_connections: u32,
    /// How long a call waits for a connection before failing as unavailable. Defaults to 5 s.
    pub acquire_timeout: Duration,
    /// How long an idle connection is kept. Defaults to 10 minutes.
    pub idle_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(600),
        }
    }
}

impl PoolSettings {
    /// The sqlx pool options for these settings. Connections are checked before being
    /// handed out, so a connection the server dropped is replaced instead of failing a call.
    pub fn pool_options<DB: sqlx::Database>(&self) -> PoolOptions<DB> {
        PoolOptions::new()
            .max_connections(self.max_connections.max(1))
            .min_connections(self.min_connections.min(self.max_connections))
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(Some(self.idle_timeout))
            .test_before_acquire(true)
    }
}
