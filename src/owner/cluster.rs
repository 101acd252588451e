//! Replicas on one PostgreSQL: each company is owned by one replica at a
//! time, through a lease in `company_leases` (owner, its advertised address,
//! an epoch, an expiry on the database's clock).
//!
//! - A replica takes a company whose lease is absent or expired (or its own):
//!   the epoch goes up. The update waits for the row locks that appends of
//!   the previous owner hold, so once it commits the previous owner can
//!   append nothing more: every append checks, in its own transaction, that
//!   the lease is still this replica's at the epoch its state was loaded at
//!   ([`LeaseFence`]). The new owner then projects what the previous one
//!   logged and did not project, and loads the company from the tables.
//! - A replica holding a company renews its lease every third of the lease
//!   time; one that loses it (it could not renew in time and another took
//!   over) drops the company's state.
//! - A request for a company another replica owns is forwarded to it
//!   (`alertwhisperer.internal.v1.ReplicaService/Forward`, with the cluster
//!   token and the caller's deadline); when that replica does not answer, the
//!   request waits until its lease expires and takes the company over.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};

use super::command::{Answer, Command};
use crate::error::{Error, Result};
use crate::proto::alertwhisperer::internal::v1 as wire;
use crate::store::Store;
use crate::store::entity::company_lease;

/// The database's clock in Unix milliseconds (every replica compares lease
/// expiries against the same clock).
const DB_NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The header that carries the cluster token on forwarded calls.
pub(crate) const REPLICA_TOKEN_HEADER: &str = "x-aw-replica-token";

/// Who owns a company, as its lease says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lease {
    /// The owning replica.
    pub owner_id: String,
    /// Where it takes forwarded calls.
    pub address: String,
    /// Whether the lease has not expired.
    pub live: bool,
}

/// This replica's part in the cluster.
pub(crate) struct Cluster {
    store: Store,
    /// This replica's id (new at every start).
    pub replica_id: String,
    address: String,
    lease_ms: i64,
    token: String,
    /// This replica's TLS files: what it presents to other replicas that
    /// require client certificates.
    tls: Option<crate::tls::TlsFiles>,
    clients: std::sync::Mutex<
        HashMap<
            String,
            wire::replica_service_client::ReplicaServiceClient<tonic::transport::Channel>,
        >,
    >,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("replica_id", &self.replica_id)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// The version of the encoding of forwarded commands and their results
/// (borsh of [`Command`] and [`Forwarded`]): a change to either takes a new
/// one, so replicas of two builds refuse each other instead of misreading.
pub(crate) const FORWARD_LAYOUT: u32 = 1;

/// The layout a forward or its answer names; 0 is what builds from before
/// the field send, the first layout.
pub(crate) fn forward_layout(sent: u32) -> u32 {
    sent.max(1)
}

/// A refusal as it travels back from the owner (the variants a decision can
/// answer; anything internal is logged where it happened).
#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub(crate) enum Refusal {
    /// INVALID_ARGUMENT.
    InvalidArgument(String),
    /// NOT_FOUND (the message names what).
    NotFound(String),
    /// FAILED_PRECONDITION.
    FailedPrecondition(String),
    /// PERMISSION_DENIED.
    PermissionDenied(String),
    /// UNAVAILABLE.
    Unavailable(String),
    /// The called replica does not own the company (any more).
    NotOwner,
    /// Something failed on the owner (logged there).
    Internal,
}

impl Refusal {
    /// The refusal of an error.
    pub(crate) fn of(error: Error) -> Self {
        match error {
            Error::InvalidArgument(message) => Refusal::InvalidArgument(message),
            Error::NotFound(what) => Refusal::NotFound(what),
            Error::FailedPrecondition(message) => Refusal::FailedPrecondition(message),
            Error::PermissionDenied(message) => Refusal::PermissionDenied(message),
            Error::Unavailable(message) => Refusal::Unavailable(message),
            error => {
                tracing::error!(%error, "a forwarded request failed");
                Refusal::Internal
            }
        }
    }

    /// The error the forwarding replica answers.
    fn error(self) -> Error {
        match self {
            Refusal::InvalidArgument(message) => Error::InvalidArgument(message),
            Refusal::NotFound(what) => Error::NotFound(what),
            Refusal::FailedPrecondition(message) => Error::FailedPrecondition(message),
            Refusal::PermissionDenied(message) => Error::PermissionDenied(message),
            Refusal::Unavailable(message) => Error::Unavailable(message),
            Refusal::NotOwner => {
                Error::Unavailable("the company's owner moved; retry the request".to_owned())
            }
            Refusal::Internal => {
                Error::Internal("the company's owner failed the request".to_owned())
            }
        }
    }
}

/// What a forwarded call answered.
pub(crate) type Forwarded = std::result::Result<Answer, Refusal>;

/// Why a forward did not get an answer from the owner.
pub(crate) enum Unreached {
    /// The owner could not be reached (it may be down).
    Down(String),
    /// The owner does not own the company any more.
    Moved,
    /// It answered with a refusal.
    Refused(Error),
}

impl Cluster {
    /// This replica, advertised at `address`, with leases of `lease`.
    pub(crate) fn new(
        store: Store,
        address: String,
        lease: Duration,
        token: &str,
        tls: Option<crate::tls::TlsFiles>,
    ) -> Self {
        Self {
            store,
            replica_id: crate::store::new_id(),
            address,
            lease_ms: i64::try_from(lease.as_millis()).unwrap_or(5_000),
            token: token.to_owned(),
            tls,
            clients: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Whether `token` is this deployment's cluster token (constant time).
    pub(crate) fn accepts(&self, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        !self.token.is_empty() && bool::from(self.token.as_bytes().ct_eq(token.as_bytes()))
    }

    /// How long a lease lasts.
    pub(crate) fn lease_time(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.lease_ms).unwrap_or(5_000))
    }

    /// Takes the company when its lease is absent, expired or this
    /// replica's; answers the new epoch, or `None` when another replica
    /// holds a live lease.
    pub(crate) async fn acquire(&self, company_id: &str) -> Result<Option<i64>> {
        let sql = format!(
            "INSERT INTO company_leases (company_id, owner_id, address, epoch, expires_at) \
             VALUES ($1, $2, $3, 1, {DB_NOW_MS} + $4) \
             ON CONFLICT (company_id) DO UPDATE SET owner_id = excluded.owner_id, \
             address = excluded.address, epoch = company_leases.epoch + 1, \
             expires_at = excluded.expires_at \
             WHERE company_leases.expires_at < {DB_NOW_MS} \
             OR company_leases.owner_id = excluded.owner_id \
             RETURNING epoch"
        );
        let row = self
            .store
            .connection()
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [
                    company_id.into(),
                    self.replica_id.clone().into(),
                    self.address.clone().into(),
                    self.lease_ms.into(),
                ],
            ))
            .await?;
        Ok(match row {
            Some(row) => Some(row.try_get::<i64>("", "epoch")?),
            None => None,
        })
    }

    /// The company's lease, if it has one.
    pub(crate) async fn lease(&self, company_id: &str) -> Result<Option<Lease>> {
        let sql = format!(
            "SELECT owner_id, address, expires_at > {DB_NOW_MS} AS live \
             FROM company_leases WHERE company_id = $1"
        );
        let row = self
            .store
            .connection()
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [company_id.into()],
            ))
            .await?;
        row.map(|row| {
            Ok(Lease {
                owner_id: row.try_get("", "owner_id")?,
                address: row.try_get("", "address")?,
                live: row.try_get("", "live")?,
            })
        })
        .transpose()
    }

    /// Renews the leases of `held` (company, epoch); answers the companies
    /// whose lease is no longer this replica's at that epoch.
    pub(crate) async fn renew(&self, held: &[(String, i64)]) -> Result<Vec<String>> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let mut kept: HashMap<String, i64> = HashMap::new();
        for chunk in held.chunks(500) {
            let statement = Query::update()
                .table(company_lease::Entity)
                .value(
                    company_lease::Column::ExpiresAt,
                    Expr::cust(format!("{DB_NOW_MS} + {}", self.lease_ms)),
                )
                .and_where(company_lease::Column::OwnerId.eq(self.replica_id.clone()))
                .and_where(
                    company_lease::Column::CompanyId
                        .is_in(chunk.iter().map(|(company, _)| company.clone())),
                )
                .returning(Query::returning().columns([
                    company_lease::Column::CompanyId,
                    company_lease::Column::Epoch,
                ]))
                .to_owned();
            for row in self.store.connection().query_all(&statement).await? {
                kept.insert(row.try_get("", "company_id")?, row.try_get("", "epoch")?);
            }
        }
        Ok(held
            .iter()
            .filter(|(company, epoch)| kept.get(company) != Some(epoch))
            .map(|(company, _)| company.clone())
            .collect())
    }

    /// Gives up leases (shutdown, idle companies): another replica may take
    /// them at once.
    pub(crate) async fn release(&self, held: &[(String, i64)]) -> Result<()> {
        for (company, epoch) in held {
            company_lease::Entity::update_many()
                .col_expr(company_lease::Column::ExpiresAt, Expr::value(0))
                .filter(company_lease::Column::CompanyId.eq(company.as_str()))
                .filter(company_lease::Column::OwnerId.eq(self.replica_id.as_str()))
                .filter(company_lease::Column::Epoch.eq(*epoch))
                .exec(self.store.connection())
                .await?;
        }
        Ok(())
    }

    /// Has the replica at `address` decide `command` for the company, with
    /// at most `timeout` to answer.
    pub(crate) async fn forward(
        &self,
        address: &str,
        company_id: &str,
        command: &Command,
        timeout: Duration,
    ) -> std::result::Result<Answer, Unreached> {
        let mut client = self.client(address).map_err(Unreached::Down)?;
        let encoded = borsh::to_vec(command).map_err(|error| {
            Unreached::Refused(Error::Internal(format!("encode a command: {error}")))
        })?;
        let mut request = tonic::Request::new(wire::ForwardRequest {
            company_id: company_id.to_owned(),
            command: encoded,
            layout: FORWARD_LAYOUT,
        });
        request.set_timeout(timeout);
        if let Ok(token) = tonic::metadata::MetadataValue::try_from(self.token.as_str()) {
            request.metadata_mut().insert(REPLICA_TOKEN_HEADER, token);
        }
        // The owner's spans continue this request's trace.
        for (name, value) in crate::telemetry::current_trace_headers() {
            if let (Ok(name), Ok(value)) = (
                tonic::metadata::MetadataKey::from_bytes(name.as_bytes()),
                tonic::metadata::MetadataValue::try_from(value.as_str()),
            ) {
                request.metadata_mut().insert(name, value);
            }
        }
        let response = match client.forward(request).await {
            Ok(response) => response.into_inner(),
            // A replica of another build (during a rolling upgrade): the
            // request fails retryably rather than being misread.
            Err(status) if status.code() == tonic::Code::FailedPrecondition => {
                return Err(Unreached::Refused(Error::Unavailable(format!(
                    "the company's owner replica cannot take this request now: {}",
                    status.message()
                ))));
            }
            Err(status) => {
                self.forget_client(address);
                return Err(Unreached::Down(format!("{status}")));
            }
        };
        let layout = forward_layout(response.layout);
        if layout != FORWARD_LAYOUT {
            return Err(Unreached::Refused(Error::Unavailable(format!(
                "the company's owner replica answered in forward layout {layout}, this replica reads {FORWARD_LAYOUT}: retry once the replicas run one build"
            ))));
        }
        let forwarded: Forwarded = borsh::from_slice(&response.result).map_err(|error| {
            Unreached::Refused(Error::Internal(format!(
                "decode a forwarded answer: {error}"
            )))
        })?;
        match forwarded {
            Ok(answer) => Ok(answer),
            Err(Refusal::NotOwner) => Err(Unreached::Moved),
            Err(refusal) => Err(Unreached::Refused(refusal.error())),
        }
    }

    fn client(
        &self,
        address: &str,
    ) -> std::result::Result<
        wire::replica_service_client::ReplicaServiceClient<tonic::transport::Channel>,
        String,
    > {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(address) {
            return Ok(client.clone());
        }
        let mut endpoint = tonic::transport::Channel::from_shared(address.to_owned())
            .map_err(|error| format!("{address}: {error}"))?;
        if address.starts_with("https://") {
            let tls = match &self.tls {
                Some(files) => {
                    crate::tls::replica_client_config(files).map_err(|error| error.to_string())?
                }
                None => tonic::transport::ClientTlsConfig::new().with_native_roots(),
            };
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|error| format!("{address}: {error}"))?;
        }
        let channel = endpoint
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(2))
            .connect_lazy();
        let client = wire::replica_service_client::ReplicaServiceClient::new(channel);
        clients.insert(address.to_owned(), client.clone());
        Ok(client)
    }

    fn forget_client(&self, address: &str) {
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(address);
    }

    /// Waits (at most `wait`) until the tables reflect every record any
    /// replica appended to the log before the call: what another replica
    /// answered is then there to be read. Answers whether it got there.
    pub(crate) async fn barrier(&self, wait: Duration) -> Result<bool> {
        let start = self
            .store
            .connection()
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT {DB_NOW_MS} AS now"),
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "now"))
            .transpose()?
            .unwrap_or(i64::MAX);
        let deadline = tokio::time::Instant::now() + wait;
        let mut pause = Duration::from_millis(2);
        loop {
            let behind = self
                .store
                .connection()
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT 1 AS behind FROM ingest_log l \
                     LEFT JOIN projector_checkpoints c ON c.company_id = l.company_id \
                     WHERE l.appended_at <= $1 AND l.position > COALESCE(c.position, 0) LIMIT 1",
                    [start.into()],
                ))
                .await?
                .is_some();
            if !behind {
                return Ok(true);
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

/// Every append checks, under a shared lock of the companies' lease rows,
/// that they are still this replica's at the epoch its states were loaded
/// at: a takeover's update waits for the append, and an append after a
/// takeover fails.
pub(crate) struct LeaseFence {
    pub replica_id: String,
}

#[tonic::async_trait]
impl super::Fence for LeaseFence {
    async fn check(&self, txn: &DatabaseTransaction, companies: &[(&str, i64)]) -> Result<()> {
        let wanted: HashSet<&str> = companies.iter().map(|(company, _)| *company).collect();
        let rows = company_lease::Entity::find()
            .filter(company_lease::Column::CompanyId.is_in(wanted.iter().map(|c| (*c).to_owned())))
            .lock_shared()
            .all(txn)
            .await?;
        let leases: HashMap<&str, &company_lease::Model> = rows
            .iter()
            .map(|row| (row.company_id.as_str(), row))
            .collect();
        for (company, epoch) in companies {
            let ours = leases
                .get(company)
                .is_some_and(|lease| lease.owner_id == self.replica_id && lease.epoch == *epoch);
            if !ours {
                return Err(Error::Unavailable(format!(
                    "company {company} is owned by another replica now; retry the request"
                )));
            }
        }
        Ok(())
    }
}
