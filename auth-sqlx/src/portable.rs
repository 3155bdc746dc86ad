//! Statements written once for PostgreSQL, SQLite and MySQL.
//!
//! [`Dialect`] says what differs between the databases — placeholders, how a new row's id
//! comes back, the upsert syntax, how a write transaction begins — and [`Portable`] runs a
//! [`Statement`] with [`Arg`]s and decodes rows through [`ReadRow`] on any of them. The stores of
//! this crate are plain code on it, and an application can write its own queries on a
//! store's pool the same way:
//!
//! ```
//! use auth_sqlx::{Store, portable::{Arg, On, Portable, ReadRow, Statement}};
//!
//! struct Count(i64);
//!
//! impl ReadRow for Count {
//!     fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error> {
//!         Ok(Self(DB::i64(row, "n")?))
//!     }
//! }
//!
//! static COUNT_BY_PREFIX: Statement =
//!     Statement::new("SELECT COUNT(*) AS n FROM auth_users WHERE username_key LIKE ?");
//!
//! /// Users whose key starts with `prefix`, on any database.
//! async fn count_users<DB: Portable>(store: &Store<DB>, prefix: &str) -> Result<i64, sqlx::Error> {
//!     let pattern = format!("{prefix}%");
//!     let on = On::Pool(store.pool());
//!     let count: Option<Count> = DB::fetch_optional(on, &COUNT_BY_PREFIX, &[Arg::Str(&pattern)]).await?;
//!     Ok(count.map_or(0, |c| c.0))
//! }
//! ```
//!
//! Statements are [`Statement`]s, `static`s with `?` placeholders; on PostgreSQL each is
//! rewritten to `$1, $2, …` once, on first use.

use std::{fmt, future::Future, sync::OnceLock};

use time::OffsetDateTime;

use auth_core::StoreError;
use sqlx::{
    ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments, Pool, Row,
    Transaction, Type,
    migrate::{Migrate, Migrator},
    query::Query,
};

/// An instant as the stores keep it: `BIGINT` microseconds since the Unix epoch (UTC), on
/// every database (exact ordering on SQLite, no 2038 limit on MySQL).
pub fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// The instant a stored microsecond count names, or `None` when it is out of range.
pub fn from_micros(us: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000).ok()
}

/// A sqlx error as the core's [`StoreError`], by kind and code, never by message text: an
/// unreachable server, a pool timeout or a killed connection is `Unavailable`, anything
/// else `Backend`. The SQL stays in the source chain, for logs only.
pub fn store_error(e: sqlx::Error) -> StoreError {
    crate::error::other_error(e)
}

/// Which database a [`Dialect`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
    /// MySQL or MariaDB.
    MySql,
}

impl Backend {
    /// `"postgres"`, `"sqlite"` or `"mysql"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
            Self::MySql => "mysql",
        }
    }
}

/// How a database writes statement parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholders {
    /// `?` (SQLite, MySQL).
    Question,
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
}

/// How a database writes "insert, or update the row with this key".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// `INSERT … ON CONFLICT (key) DO UPDATE SET …` (PostgreSQL, SQLite).
    OnConflict,
    /// `INSERT … ON DUPLICATE KEY UPDATE …` (MySQL).
    OnDuplicateKey,
}

mod sealed {
    pub trait Sealed {}
    #[cfg(feature = "postgres")]
    impl Sealed for sqlx::Postgres {}
    #[cfg(feature = "sqlite")]
    impl Sealed for sqlx::Sqlite {}
    #[cfg(feature = "mysql")]
    impl Sealed for sqlx::MySql {}
}

/// What differs between the databases this crate supports: implemented for
/// `sqlx::Postgres`, `sqlx::Sqlite` and `sqlx::MySql` (each behind its cargo feature), and
/// for no other type.
pub trait Dialect: Database<Connection: Migrate> + sealed::Sealed {
    /// Which database this is.
    const BACKEND: Backend;
    /// The parameter style.
    const PLACEHOLDERS: Placeholders;
    /// Whether `INSERT … RETURNING id` gives the new id; when not, the result reports it
    /// ([`Dialect::last_insert_id`]).
    const INSERT_RETURNS_ID: bool;
    /// The upsert syntax.
    const UPSERT: Upsert;
    /// The statement that begins a write transaction, when not the plain `BEGIN`.
    const BEGIN_WRITE: Option<&'static str>;
    /// Whether `SELECT … FOR UPDATE` locks rows. SQLite has no such clause and needs none:
    /// its write transaction (`BEGIN IMMEDIATE`) already keeps every other writer out.
    const ROW_LOCKS: bool;

    /// The embedded migrations of this crate's tables, bookkept in `_auth_sqlx_migrations`.
    fn migrator() -> Migrator;

    /// The connection options every connection of a store gets (SQLite: WAL, foreign keys,
    /// busy timeout).
    fn configure(
        options: <Self::Connection as Connection>::Options,
    ) -> <Self::Connection as Connection>::Options {
        options
    }

    /// The id of the row an `INSERT` created, for a database that reports it in the result
    /// (`None` when it reports none).
    fn last_insert_id(result: &Self::QueryResult) -> Option<i64>;

    /// How many rows a statement affected (each driver's result type has its own method).
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// A statement, written once with `?` placeholders and declared as a `static`, so that its
/// form for each database (`$1, $2, …` on PostgreSQL, with ` RETURNING id` for an insert
/// that reports its id) is made on first use and kept with it:
///
/// ```
/// use auth_sqlx::portable::Statement;
/// static USER_BY_ID: Statement = Statement::new("SELECT id FROM auth_users WHERE id = ?");
/// assert_eq!(USER_BY_ID.text(), "SELECT id FROM auth_users WHERE id = ?");
/// ```
///
/// Statements are constants: SQL is never built from a request's data. The rewrite assumes
/// no `?` inside a string literal.
#[derive(Debug)]
pub struct Statement {
    text: &'static str,
    /// With `$n` placeholders.
    numbered: OnceLock<String>,
    /// With ` RETURNING id`, `?` then `$n` placeholders.
    returning: [OnceLock<String>; 2],
}

impl Statement {
    /// A statement with `?` placeholders.
    pub const fn new(text: &'static str) -> Self {
        Self { text, numbered: OnceLock::new(), returning: [OnceLock::new(), OnceLock::new()] }
    }

    /// The statement as written.
    pub const fn text(&self) -> &'static str {
        self.text
    }

    /// The statement in `DB`'s placeholder style, with ` RETURNING id` when `returning`.
    fn for_dialect<DB: Dialect>(&'static self, returning: bool) -> &'static str {
        let numbered = DB::PLACEHOLDERS == Placeholders::Numbered;
        match (returning, numbered) {
            (false, false) => self.text,
            (false, true) => self.numbered.get_or_init(|| numbered_placeholders(self.text)),
            (true, _) => self.returning[usize::from(numbered)].get_or_init(|| {
                let text =
                    if numbered { numbered_placeholders(self.text) } else { self.text.to_owned() };
                text + " RETURNING id"
            }),
        }
    }
}

/// A statement parameter, in the order of the statement's placeholders. `Debug` shows
/// numbers and flags, and only the length of text and bytes (a password hash, a token
/// digest).
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// `BIGINT`.
    I64(i64),
    /// `BIGINT` or `NULL`.
    OptI64(Option<i64>),
    /// `BOOLEAN`.
    Bool(bool),
    /// `BOOLEAN` or `NULL`.
    OptBool(Option<bool>),
    /// Text.
    Str(&'a str),
    /// Text or `NULL`.
    OptStr(Option<&'a str>),
    /// Bytes (`BYTEA`, `BLOB`, `BINARY`).
    Bytes(&'a [u8]),
    /// Bytes or `NULL`.
    OptBytes(Option<&'a [u8]>),
}

impl fmt::Debug for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = |n: usize| format!("[{n} bytes]");
        match self {
            Self::I64(v) => write!(f, "I64({v})"),
            Self::OptI64(v) => write!(f, "OptI64({v:?})"),
            Self::Bool(v) => write!(f, "Bool({v})"),
            Self::OptBool(v) => write!(f, "OptBool({v:?})"),
            Self::Str(v) => write!(f, "Str({})", len(v.len())),
            Self::OptStr(v) => write!(f, "OptStr({:?})", v.map(|v| len(v.len()))),
            Self::Bytes(v) => write!(f, "Bytes({})", len(v.len())),
            Self::OptBytes(v) => write!(f, "OptBytes({:?})", v.map(|v| len(v.len()))),
        }
    }
}

/// Where a statement runs: on the pool (a connection of its own) or in a transaction.
#[derive(Debug)]
pub enum On<'a, DB: Database> {
    /// Any connection of the pool.
    Pool(&'a Pool<DB>),
    /// The connection of a transaction.
    Tx(&'a mut Transaction<'static, DB>),
}

/// A row type that reads its columns by name.
pub trait ReadRow: Sized {
    /// Reads a row of a result.
    ///
    /// # Errors
    /// A column that is missing or of another type.
    fn from_row<DB: Portable>(row: &DB::Row) -> Result<Self, sqlx::Error>;
}

/// Statements and rows on any [`Dialect`]: implemented for each of them.
pub trait Portable: Dialect {
    /// Runs a statement; the number of rows it affected.
    fn execute<'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'a;

    /// Runs an `INSERT` (without a `RETURNING` clause); the new row's `id`.
    fn insert<'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send + 'a;

    /// The first row of a query, if any.
    fn fetch_optional<'a, T: ReadRow + Send + 'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<Option<T>, sqlx::Error>> + Send + 'a;

    /// Every row of a query.
    fn fetch_all<'a, T: ReadRow + Send + 'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> impl Future<Output = Result<Vec<T>, sqlx::Error>> + Send + 'a;

    /// Begins a transaction that will write ([`Dialect::BEGIN_WRITE`]).
    fn begin_write(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send + '_;

    /// A `BIGINT` column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn i64(row: &Self::Row, column: &str) -> Result<i64, sqlx::Error>;
    /// A nullable `BIGINT` column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn opt_i64(row: &Self::Row, column: &str) -> Result<Option<i64>, sqlx::Error>;
    /// An `INT` column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn i32(row: &Self::Row, column: &str) -> Result<i32, sqlx::Error>;
    /// A `BOOLEAN` column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn bool(row: &Self::Row, column: &str) -> Result<bool, sqlx::Error>;
    /// A text column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn string(row: &Self::Row, column: &str) -> Result<String, sqlx::Error>;
    /// A nullable text column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn opt_string(row: &Self::Row, column: &str) -> Result<Option<String>, sqlx::Error>;
    /// A bytes column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn bytes(row: &Self::Row, column: &str) -> Result<Vec<u8>, sqlx::Error>;
    /// A nullable bytes column.
    ///
    /// # Errors
    /// No such column, or another type.
    fn opt_bytes(row: &Self::Row, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
}

impl<DB> Portable for DB
where
    DB: Dialect + BindArgs,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'r> i64: Decode<'r, DB> + Type<DB>,
    for<'r> i32: Decode<'r, DB> + Type<DB>,
    for<'r> bool: Decode<'r, DB> + Type<DB>,
    for<'r> Option<i64>: Decode<'r, DB>,
    for<'r> Option<String>: Decode<'r, DB>,
    for<'r> Option<Vec<u8>>: Decode<'r, DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Vec<u8>: Decode<'r, DB> + Type<DB>,
    for<'s> &'s str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn execute<'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> Result<u64, sqlx::Error> {
        let query = DB::bound(sql.for_dialect::<DB>(false), args);
        let result = match on {
            On::Pool(pool) => query.execute(pool).await?,
            On::Tx(tx) => query.execute(&mut **tx).await?,
        };
        Ok(DB::rows_affected(&result))
    }

    async fn insert<'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> Result<i64, sqlx::Error> {
        let query = DB::bound(sql.for_dialect::<DB>(DB::INSERT_RETURNS_ID), args);
        if DB::INSERT_RETURNS_ID {
            let row = match on {
                On::Pool(pool) => query.fetch_one(pool).await?,
                On::Tx(tx) => query.fetch_one(&mut **tx).await?,
            };
            return row.try_get(0);
        }
        let result = match on {
            On::Pool(pool) => query.execute(pool).await?,
            On::Tx(tx) => query.execute(&mut **tx).await?,
        };
        DB::last_insert_id(&result)
            .ok_or_else(|| sqlx::Error::Protocol("the insert reported no id".into()))
    }

    async fn fetch_optional<'a, T: ReadRow + Send + 'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> Result<Option<T>, sqlx::Error> {
        let query = DB::bound(sql.for_dialect::<DB>(false), args);
        let row = match on {
            On::Pool(pool) => query.fetch_optional(pool).await?,
            On::Tx(tx) => query.fetch_optional(&mut **tx).await?,
        };
        row.as_ref().map(T::from_row::<DB>).transpose()
    }

    async fn fetch_all<'a, T: ReadRow + Send + 'a>(
        on: On<'a, Self>,
        sql: &'static Statement,
        args: &'a [Arg<'a>],
    ) -> Result<Vec<T>, sqlx::Error> {
        let query = DB::bound(sql.for_dialect::<DB>(false), args);
        let rows = match on {
            On::Pool(pool) => query.fetch_all(pool).await?,
            On::Tx(tx) => query.fetch_all(&mut **tx).await?,
        };
        rows.iter().map(T::from_row::<DB>).collect()
    }

    async fn begin_write(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        match DB::BEGIN_WRITE {
            Some(begin) => pool.begin_with(begin).await,
            None => pool.begin().await,
        }
    }

    fn i64(row: &Self::Row, column: &str) -> Result<i64, sqlx::Error> {
        row.try_get(column)
    }

    fn opt_i64(row: &Self::Row, column: &str) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(column)
    }

    fn i32(row: &Self::Row, column: &str) -> Result<i32, sqlx::Error> {
        row.try_get(column)
    }

    fn bool(row: &Self::Row, column: &str) -> Result<bool, sqlx::Error> {
        row.try_get(column)
    }

    fn string(row: &Self::Row, column: &str) -> Result<String, sqlx::Error> {
        row.try_get(column)
    }

    fn opt_string(row: &Self::Row, column: &str) -> Result<Option<String>, sqlx::Error> {
        row.try_get(column)
    }

    fn bytes(row: &Self::Row, column: &str) -> Result<Vec<u8>, sqlx::Error> {
        row.try_get(column)
    }

    fn opt_bytes(row: &Self::Row, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        row.try_get(column)
    }
}

/// Binding [`Arg`]s, for every database whose sqlx types take them.
pub(crate) trait BindArgs: Database<Arguments: IntoArguments<Self>> {
    /// The query for `sql` with `args` bound in order.
    fn bound<'a>(sql: &'static str, args: &'a [Arg<'a>]) -> Query<'a, Self, Self::Arguments>;
}

impl<DB> BindArgs for DB
where
    DB: Database<Arguments: IntoArguments<DB>>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> Option<bool>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
{
    fn bound<'a>(sql: &'static str, args: &'a [Arg<'a>]) -> Query<'a, DB, DB::Arguments> {
        args.iter().fold(sqlx::query(sql), |q, arg| match *arg {
            Arg::I64(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::OptBool(v) => q.bind(v),
            Arg::Str(v) => q.bind(v),
            Arg::OptStr(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
            Arg::OptBytes(v) => q.bind(v),
        })
    }
}

/// Rewrites `?` placeholders to PostgreSQL's numbered form.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    static BY_ID: Statement = Statement::new("SELECT id FROM auth_users WHERE id = ?");
    static INSERT: Statement = Statement::new("INSERT INTO t (a, b) VALUES (?, ?)");

    #[test]
    fn numbers_placeholders_in_order() {
        assert_eq!(numbered_placeholders("a = ? AND b > ?"), "a = $1 AND b > $2");
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn rewritten_statements_are_kept() {
        let once = BY_ID.for_dialect::<sqlx::Postgres>(false);
        assert!(once.ends_with("WHERE id = $1"), "{once}");
        assert!(std::ptr::eq(once, BY_ID.for_dialect::<sqlx::Postgres>(false)));
        let insert = INSERT.for_dialect::<sqlx::Postgres>(true);
        assert_eq!(insert, "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id");
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn statements_that_need_no_change_are_not_copied() {
        assert!(std::ptr::eq(BY_ID.for_dialect::<sqlx::Sqlite>(false), BY_ID.text()));
        assert!(INSERT.for_dialect::<sqlx::Sqlite>(true).ends_with("(?, ?) RETURNING id"));
    }

    #[test]
    fn debug_shows_no_text_or_bytes() {
        let shown = format!(
            "{:?}",
            [Arg::Str("$argon2id$secret-hash"), Arg::Bytes(b"digest"), Arg::I64(7)]
        );
        assert_eq!(shown, "[Str([21 bytes]), Bytes([6 bytes]), I64(7)]");
    }
}
