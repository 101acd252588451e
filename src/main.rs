//! The `alert-whisperer` command: serve, migrate, admin.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use alert_whisperer::config::Config;
use alert_whisperer::domain::tenant::Role;
use alert_whisperer::store::tenant::{Audit, NewOperatorToken};
use alert_whisperer::store::{Scope, Store};

/// Alert Whisperer: the alert control plane for MSPs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (see docs/configuration.md).
    #[arg(long, global = true, env = "ALERT_WHISPERER_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve gRPC, grpc-web and webhooks on one port (migrates the database first).
    Serve,
    /// Apply, roll back or show database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Administrative commands.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migrations.
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// Create an operator token and print it (shown only once).
    CreateToken {
        /// Name of the token (the person or tool that uses it).
        #[arg(long)]
        name: String,
        /// Role of the token.
        #[arg(long, value_enum, default_value_t = RoleArg::Admin)]
        role: RoleArg,
        /// Limit the token to this company (repeatable); none means every company.
        #[arg(long = "company")]
        companies: Vec<String>,
        /// Link the token to this technician (the person who uses it: the
        /// dashboard's "Mine" filter shows their incidents).
        #[arg(long)]
        technician: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Technician,
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Technician => Role::Technician,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

// glibc's allocator showed up as a bottleneck under ingest load (memory freed
// on the SQLite thread that tokio threads allocated); mimalloc handles that well.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    let telemetry = alert_whisperer::telemetry::init(&config)?;
    let result = command(cli.command, config).await;
    // After SIGTERM too: the batch exporter still holds the last spans.
    telemetry.shutdown().await;
    result
}

async fn command(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => alert_whisperer::run(config).await?,
        Command::Migrate { action } => {
            let store = Store::connect(&config).await?;
            match action {
                MigrateAction::Up => {
                    store.migrate().await.context("migrate up")?;
                    println!("migrations applied");
                }
                MigrateAction::Down { steps } => {
                    store.migrate_down(steps).await.context("migrate down")?;
                    println!("rolled back {steps} migration(s)");
                }
                MigrateAction::Status => {
                    for (name, applied) in store.migration_status().await? {
                        println!("{} {name}", if applied { "applied" } else { "pending" });
                    }
                }
            }
        }
        Command::Admin {
            action:
                AdminAction::CreateToken {
                    name,
                    role,
                    mut companies,
                    technician,
                },
        } => {
            let store = Store::connect(&config).await?;
            store.migrate().await?;
            let name = alert_whisperer::domain::tenant::validate_name("name", &name)?;
            let token = alert_whisperer::secrets::new_operator_token();
            companies.sort();
            companies.dedup();
            let record = store
                .create_operator_token(
                    &Audit::new("cli", "admin create-token"),
                    &Scope::All,
                    &NewOperatorToken {
                        name,
                        role: role.into(),
                        company_ids: companies,
                        technician_id: technician.filter(|id| !id.is_empty()),
                        expires_at: None,
                    },
                    &token,
                )
                .await?;
            eprintln!(
                "created operator token {} ({}, role {})",
                record.token.id, record.token.name, record.token.role
            );
            println!("{}", token.secret);
        }
    }
    Ok(())
}
