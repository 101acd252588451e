//! Persistence through SeaORM on SQLite or PostgreSQL.
//!
//! Repositories expose only finders that take the caller's [`Scope`]: a query
//! of tenant rows cannot be written without one.

pub mod compliance;
pub mod correlation;
pub mod entity;
pub mod error;
pub mod event_log;
pub mod execution;
pub mod incident;
pub mod ingest;
pub mod master_key;
pub mod notification;
pub mod projection;
pub mod resident;
mod rows;
pub mod runbook;
pub mod session;
pub mod tenant;

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrations::Migrator;
use migrations::sea_orm_migration::MigratorTrait;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, IsolationLevel, TransactionTrait,
};

use self::error::{Error, Result};
use crate::config::Config;

/// The companies a caller may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every company.
    All,
    /// Only these company ids.
    Companies(Arc<[String]>),
}

impl Scope {
    /// Whether `company_id` is inside the scope.
    pub fn allows(&self, company_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Companies(ids) => ids.iter().any(|id| id == company_id),
        }
    }

    /// Whether the scope is not limited to some companies.
    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// A SQL condition restricting `column` (a company id column) to the scope.
    pub(crate) fn condition(&self, column: impl sea_orm::ColumnTrait) -> SimpleExpr {
        match self {
            Scope::All => Expr::value(true),
            Scope::Companies(ids) => column.is_in(ids.iter().cloned()),
        }
    }
}

/// A company id that a scope allowed, or that an authenticated identity
/// carries (an ingest API key's company, the system acting for every
/// company): what the finders of one company's rows take, so that none can
/// be handed an id nobody checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopedCompany(String);

impl ScopedCompany {
    /// The id.
    pub fn id(&self) -> &str {
        &self.0
    }

    /// A company the system acts on for itself (the owner of the company,
    /// its sweeps and the executor act for every company).
    pub(crate) fn system(id: String) -> Self {
        Self(id)
    }
}

impl std::fmt::Display for ScopedCompany {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The database handle and the repositories over it.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to the configured database (creating the SQLite file and its
    /// directory if needed) without migrating.
    pub async fn connect(config: &Config) -> Result<Self> {
        Self::connect_with_pool(config, config.database_max_connections).await
    }

    /// Connects with a pool of `max_connections`. The ingest writer uses a pool
    /// of one: the same SQLite connection every time keeps its page cache warm
    /// (a different pooled connection per commit re-read the changed pages).
    pub async fn connect_with_pool(config: &Config, max_connections: u32) -> Result<Self> {
        Self::connect_with(
            config,
            max_connections,
            Synchronous::Full,
            DEFAULT_CACHE_KIB,
        )
        .await
    }

    /// Connects the projector: one connection, whose page cache holds the
    /// indexes its large transactions touch. With SQLite's default 2 MB, a
    /// transaction of thousands of rows spilled dirty pages to the WAL before
    /// its commit and read them back.
    pub async fn connect_projector(config: &Config) -> Result<Self> {
        Self::connect_with(config, 1, Synchronous::Full, PROJECTOR_CACHE_KIB).await
    }

    /// Connects the ingest log's writer. On SQLite the log is a file of its
    /// own ([`Config::ingest_log_url`]), migrated here, on one connection that
    /// commits without waiting for the disk (`synchronous=NORMAL`), with the
    /// [`WalSync`] that makes its commits durable: the writer answers a group
    /// only after `WalSync::sync` has returned, so an answered alert survives
    /// a power loss as it does with `synchronous=FULL`, while the writer
    /// already commits the next group. On PostgreSQL the log is a table of
    /// the database (its commits wait for its own WAL flush): one connection
    /// and no `WalSync`.
    pub async fn connect_ingest_log(config: &Config) -> Result<(Self, Option<WalSync>)> {
        if !config.is_sqlite() {
            return Ok((Self::connect_with_pool(config, 1).await?, None));
        }
        let url = config.ingest_log_url();
        let log_config = Config {
            database_url: url.clone(),
            ..config.clone()
        };
        let store =
            Self::connect_with(&log_config, 1, Synchronous::Deferred, DEFAULT_CACHE_KIB).await?;
        migrations::LogMigrator::up(&store.db, None).await?;
        // The file sqlx opened; none for an in-memory database, whose
        // commits have nothing to sync.
        let database = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .map_err(|error| Error::Internal(format!("ingest log url: {error}")))?
            .get_filename()
            .to_path_buf();
        Ok((store, database.is_file().then(|| WalSync::new(database))))
    }

    /// A reading connection to the ingest log (the projector's catch-up at
    /// start, which runs beside the writer): on SQLite the log's own file.
    pub async fn connect_ingest_log_reader(config: &Config) -> Result<Self> {
        if !config.is_sqlite() {
            return Self::connect_with_pool(config, 1).await;
        }
        let log_config = Config {
            database_url: config.ingest_log_url(),
            ..config.clone()
        };
        Self::connect_with(&log_config, 1, Synchronous::Full, DEFAULT_CACHE_KIB).await
    }

    async fn connect_with(
        config: &Config,
        max_connections: u32,
        synchronous: Synchronous,
        cache_kib: u32,
    ) -> Result<Self> {
        if let Some(dir) = sqlite_parent_dir(&config.database_url).filter(|_| config.is_sqlite()) {
            std::fs::create_dir_all(&dir).map_err(|error| {
                Error::Internal(format!("cannot create {}: {error}", dir.display()))
            })?;
        }
        if !config.database_schema.is_empty() {
            // The schema name is validated by the config (a-z, 0-9, _), so quoting is safe.
            let db = Database::connect(config.database_url.clone()).await?;
            db.execute_unprepared(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{}\"",
                config.database_schema
            ))
            .await?;
            db.close().await?;
        }
        let mut options = ConnectOptions::new(config.database_url.clone());
        if !config.database_schema.is_empty() {
            options.set_schema_search_path(config.database_schema.clone());
        }
        options
            .max_connections(max_connections.max(1))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false)
            // A pooled SQLite connection is a file handle that cannot go stale;
            // pinging it before every use cost a round trip per transaction.
            .test_before_acquire(!config.is_sqlite())
            .map_sqlx_sqlite_opts(move |options| {
                // WAL lets readers run beside the writer; FULL makes a commit
                // survive power loss, not only a process crash.
                options
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(match synchronous {
                        Synchronous::Full => SqliteSynchronous::Full,
                        Synchronous::Deferred => SqliteSynchronous::Normal,
                    })
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .create_if_missing(true)
                    // Checkpoints run in the background (Store::checkpoint);
                    // the commit path only checkpoints if the WAL outgrows
                    // about 40 MB, not at every 4 MB as by default.
                    .pragma("wal_autocheckpoint", "10000")
                    // Negative: KiB rather than pages.
                    .pragma("cache_size", format!("-{cache_kib}"))
            });
        let db = Database::connect(options).await?;
        Ok(Self { db })
    }

    /// On SQLite, copies what the write-ahead log holds into the database
    /// file without blocking writers (a PASSIVE checkpoint); nothing elsewhere.
    pub async fn checkpoint(&self) -> Result<(), DbErr> {
        if self.backend() == DbBackend::Sqlite {
            self.db
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await?;
        }
        Ok(())
    }

    /// Applies every pending migration.
    ///
    /// On SQLite all of them run in one write transaction, on one connection.
    /// sea-orm-migration runs an SQLite migration statement by statement on
    /// the pool, so one statement could land on a connection whose cached
    /// schema predates the previous statement's `ALTER TABLE` (start-up
    /// failed, rarely, with `no such column: "sources_indexed"`). In one
    /// transaction a failed start also leaves the schema as it was. On
    /// PostgreSQL each migration runs in a transaction of its own.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        if self.backend() != DbBackend::Sqlite {
            return Migrator::up(&self.db, None).await;
        }
        let txn = self.begin_write().await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    }

    /// The underlying connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A transaction that writes: on SQLite `BEGIN IMMEDIATE`, so that it
    /// holds the write lock from its first statement. A deferred one that
    /// reads first and writes after another connection committed fails with
    /// `SQLITE_BUSY_SNAPSHOT` (the busy timeout cannot help it); an
    /// immediate one waits for the lock instead.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        if self.backend() == DbBackend::Sqlite {
            self.db
                .begin_with_options(sea_orm::TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await
        } else {
            self.db.begin().await
        }
    }

    /// A read-only transaction whose reads all see one snapshot: REPEATABLE
    /// READ on PostgreSQL; on SQLite (WAL) any transaction reads one snapshot
    /// from its first read on.
    pub async fn snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
        if self.backend() == DbBackend::Postgres {
            self.db
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await
        } else {
            self.db.begin().await
        }
    }

    /// The company, if `scope` allows it and it exists (NOT_FOUND otherwise).
    pub async fn scoped_company(&self, scope: &Scope, company_id: &str) -> Result<ScopedCompany> {
        Ok(self.scoped_company_row(scope, company_id).await?.0)
    }

    /// [`Store::scoped_company`] with the company's row, for a caller that
    /// also needs its fields (its AWS role), in one read.
    pub async fn scoped_company_row(
        &self,
        scope: &Scope,
        company_id: &str,
    ) -> Result<(ScopedCompany, entity::company::Model)> {
        let row = tenant::find_company(self.connection(), scope, company_id).await?;
        Ok((ScopedCompany(row.id.clone()), row))
    }

    /// The database backend in use.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }

    /// Rolls back the last `steps` migrations.
    pub async fn migrate_down(&self, steps: u32) -> Result<(), DbErr> {
        if self.backend() != DbBackend::Sqlite {
            return Migrator::down(&self.db, Some(steps)).await;
        }
        let txn = self.begin_write().await?;
        Migrator::down(&txn, Some(steps)).await?;
        txn.commit().await
    }

    /// Each migration's name and whether it is applied.
    pub async fn migration_status(&self) -> Result<Vec<(String, bool)>, DbErr> {
        let migrations = Migrator::get_migration_with_status(&self.db).await?;
        Ok(migrations
            .into_iter()
            .map(|migration| {
                let applied = matches!(
                    migration.status(),
                    migrations::sea_orm_migration::MigrationStatus::Applied
                );
                (migration.name().to_owned(), applied)
            })
            .collect())
    }
}

/// SQLite's default page cache per connection (2 MB).
const DEFAULT_CACHE_KIB: u32 = 2_000;
/// The projector's page cache.
const PROJECTOR_CACHE_KIB: u32 = 64 * 1024;

/// How a connection's commits reach the disk.
#[derive(Debug, Clone, Copy)]
enum Synchronous {
    /// Each commit waits for its `fsync` (`synchronous=FULL`).
    Full,
    /// Commits do not wait (`synchronous=NORMAL`); the caller syncs the WAL
    /// through [`WalSync`] before it answers.
    Deferred,
}

/// Makes what a SQLite connection with deferred syncs committed durable:
/// `fsync` of the write-ahead log. One call covers every commit before it.
///
/// The log (and the database file) stay open between calls. Linux reports a
/// failed write-back to every file description that was open when it
/// happened, on its next `fsync`, even if another one (SQLite's own, at a
/// checkpoint) has seen the error already; a file opened afresh for each call
/// could miss it and report success for pages that never reached the disk.
#[derive(Debug)]
pub struct WalSync {
    database: std::path::PathBuf,
    wal: std::path::PathBuf,
    open: std::sync::Mutex<OpenFiles>,
}

#[derive(Debug, Default)]
struct OpenFiles {
    database: Option<std::fs::File>,
    // The log, with its device and inode to notice a log created anew.
    wal: Option<(std::fs::File, (u64, u64))>,
}

fn file_id(metadata: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

impl WalSync {
    fn new(database: std::path::PathBuf) -> Self {
        let mut wal = database.clone().into_os_string();
        wal.push("-wal");
        let sync = Self {
            database,
            wal: wal.into(),
            open: std::sync::Mutex::default(),
        };
        // Open both now, before the writer's first commit; a file that
        // cannot be opened yet is opened by the first sync.
        let mut open = sync
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.database = std::fs::File::open(&sync.database).ok();
        open.wal = sync.open_wal().ok();
        drop(open);
        sync
    }

    fn open_wal(&self) -> std::io::Result<(std::fs::File, (u64, u64))> {
        let file = std::fs::File::open(&self.wal)?;
        let id = file_id(&file.metadata()?);
        Ok((file, id))
    }

    /// Flushes the write-ahead log to the disk (blocking; run it off the
    /// async threads) through the file kept open. If SQLite has deleted the
    /// log and created a new one (it deletes it after a complete checkpoint
    /// when its last connection closes), the new one is opened. Without a
    /// log the commits are in the database file, which the checkpoint
    /// synced; the file is synced again all the same.
    pub fn sync(&self) -> std::io::Result<()> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match std::fs::metadata(&self.wal) {
            Ok(metadata) => {
                let current = file_id(&metadata);
                if open.wal.as_ref().is_none_or(|(_, id)| *id != current) {
                    open.wal = Some(self.open_wal()?);
                }
                let (file, _) = open
                    .wal
                    .as_ref()
                    .ok_or_else(|| std::io::Error::other("the write-ahead log is not open"))?;
                file.sync_data()
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if open.database.is_none() {
                    open.database = Some(std::fs::File::open(&self.database)?);
                }
                let file = open
                    .database
                    .as_ref()
                    .ok_or_else(|| std::io::Error::other("the database file is not open"))?;
                file.sync_data()
            }
            Err(error) => Err(error),
        }
    }

    /// The device and inode of the log file this syncs (for tests).
    #[cfg(test)]
    fn synced_log(&self) -> Option<(u64, u64)> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .wal
            .as_ref()
            .map(|(_, id)| *id)
    }
}

fn sqlite_parent_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map(|parent| parent.to_path_buf())
}

/// A value as JSON text for a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|error| Error::Internal(error.to_string()))
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// A new time-ordered id (UUIDv7, lower-case hex with dashes).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Page size bounds shared by every List RPC.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page a List RPC answers.
pub const MAX_PAGE_SIZE: u64 = 500;

/// A validated page request: ids are UUIDv7, so the last id of a page is the cursor.
#[derive(Debug, Clone)]
pub struct Page {
    /// How many rows to answer.
    pub size: u64,
    /// Answer rows after (or, newest first, before) this id.
    pub after: Option<String>,
}

impl Page {
    /// Validates `page_size` and `page_token` from a request.
    pub fn new(page_size: i32, page_token: &str) -> Result<Self> {
        let size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n < 0 => return Err(Error::invalid("page_size", "must not be negative")),
            n => u64::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            Some(decode_page_token(page_token)?)
        };
        Ok(Self { size, after })
    }

    /// Splits `rows` fetched with limit `size + 1` into the page and the next token.
    pub fn finish<T>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> &str) -> (Vec<T>, String) {
        let limit = usize::try_from(self.size).unwrap_or(usize::MAX);
        if rows.len() > limit {
            rows.truncate(limit);
            let token = rows.last().map(|row| encode_page_token(id_of(row)));
            (rows, token.unwrap_or_default())
        } else {
            (rows, String::new())
        }
    }
}

fn encode_page_token(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn decode_page_token(token: &str) -> Result<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| Error::invalid("page_token", "not a token from a previous response"))?;
    let id = String::from_utf8(bytes)
        .map_err(|_| Error::invalid("page_token", "not a token from a previous response"))?;
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(Error::invalid(
            "page_token",
            "not a token from a previous response",
        ));
    }
    Ok(id)
}

/// A migrated store on a fresh SQLite file (default settings), for unit tests;
/// the directory lives as long as the returned guard.
#[cfg(test)]
pub(crate) async fn temp_sqlite_store() -> (tempfile::TempDir, Config, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    }
    .validated()
    .expect("config");
    let store = Store::connect(&config).await.expect("store");
    store.migrate().await.expect("migrate");
    (dir, config, store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_token_round_trips_and_rejects_garbage() {
        let id = new_id();
        let page = Page::new(10, &encode_page_token(&id)).expect("valid token");
        assert_eq!(page.after.as_deref(), Some(id.as_str()));
        assert!(Page::new(10, "!!!").is_err());
        assert!(Page::new(-1, "").is_err());
        assert_eq!(Page::new(100_000, "").expect("clamped").size, MAX_PAGE_SIZE);
    }

    #[test]
    fn sqlite_parent_dir_is_found() {
        assert_eq!(
            sqlite_parent_dir("sqlite://data/aw.db?mode=rwc"),
            Some(std::path::PathBuf::from("data"))
        );
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
    }

    async fn synchronous_of(store: &Store) -> i64 {
        let row = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA synchronous",
            ))
            .await
            .expect("pragma")
            .expect("row");
        row.try_get_by_index::<i64>(0).expect("value")
    }

    #[tokio::test]
    async fn the_ingest_log_defers_its_syncs_to_the_wal_sync_others_sync_each_commit() {
        let (dir, config, store) = temp_sqlite_store().await;
        let (writer, wal) = Store::connect_ingest_log(&config).await.expect("writer");
        let wal = wal.expect("a file database has a log to sync");
        // FULL (2) everywhere but on the writer, NORMAL (1) there.
        assert_eq!(synchronous_of(&store).await, 2);
        assert_eq!(synchronous_of(&writer).await, 1);
        writer
            .connection()
            .execute_unprepared("CREATE TABLE synced (n INTEGER)")
            .await
            .expect("write");
        // The log is a file of its own beside the database.
        assert_eq!(wal.wal, dir.path().join("alert-whisperer-log.db-wal"));
        assert!(
            wal.wal.is_file(),
            "the commit went to the log that is synced"
        );
        wal.sync().expect("sync");
        let opened = wal.synced_log().expect("the log is kept open");
        assert_eq!(opened, file_id(&std::fs::metadata(&wal.wal).expect("log")));

        let memory = Config {
            database_url: "sqlite::memory:".to_owned(),
            ..config
        };
        let (_, none) = Store::connect_ingest_log(&memory).await.expect("writer");
        assert!(none.is_none(), "an in-memory database has nothing to sync");
    }

    #[test]
    fn wal_sync_keeps_the_log_open_and_follows_a_log_created_anew() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("db");
        std::fs::write(&database, b"db").expect("database");
        let wal_path = dir.path().join("db-wal");
        // No log yet: the database file is synced.
        let sync = WalSync::new(database);
        assert_eq!(sync.synced_log(), None);
        sync.sync().expect("sync without a log");

        std::fs::write(&wal_path, b"first").expect("log");
        sync.sync().expect("sync");
        let first = sync.synced_log().expect("log opened");
        assert_eq!(first, file_id(&std::fs::metadata(&wal_path).expect("log")));
        // The same file stays open: no new open while the log is the same.
        sync.sync().expect("sync again");
        assert_eq!(sync.synced_log(), Some(first));

        // Deleted and created again (a new inode while the old one is still
        // held open): the new log is the one synced.
        std::fs::remove_file(&wal_path).expect("remove");
        std::fs::write(&wal_path, b"second").expect("new log");
        let second = file_id(&std::fs::metadata(&wal_path).expect("log"));
        assert_ne!(first, second, "a new file");
        sync.sync().expect("sync the new log");
        assert_eq!(sync.synced_log(), Some(second));
    }

    #[test]
    fn scope_allows_only_its_companies() {
        let scope = Scope::Companies(vec!["a".to_owned()].into());
        assert!(scope.allows("a"));
        assert!(!scope.allows("b"));
        assert!(Scope::All.allows("b"));
    }
}
