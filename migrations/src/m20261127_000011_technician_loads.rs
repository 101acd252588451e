//! Keeps each technician's count of open incidents assigned to them on the
//! technician's row (`technicians.open_incident_count`), up to date by
//! triggers on `incidents`.
//!
//! Automatic assignment picks the on-duty technician with the fewest open
//! incidents. Before this migration every correlation pass that assigned
//! counted them: a GROUP BY over every open, assigned incident of the
//! company, so a pass cost more the more incidents were open. Now a pass reads
//! the technicians' rows only. Triggers, not application code, keep the count,
//! so every path that inserts, updates or deletes an incident (correlation,
//! the incident RPCs, remediation) keeps it exact in the same transaction.
//!
//! "Open" is any status but resolved (stored as 3), as the count was before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Technicians {
    Table,
    OpenIncidentCount,
}

/// Counts what the triggers maintain, for the rows that exist already.
const BACKFILL: &str = "UPDATE technicians SET open_incident_count = (\
     SELECT COUNT(*) FROM incidents \
     WHERE incidents.assigned_technician_id = technicians.id AND incidents.status <> 3)";

const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER trg_incidents_technician_load_insert AFTER INSERT ON incidents \
     WHEN NEW.assigned_technician_id IS NOT NULL AND NEW.status <> 3 \
     BEGIN \
       UPDATE technicians SET open_incident_count = open_incident_count + 1 \
       WHERE id = NEW.assigned_technician_id; \
     END",
    // An upsert that updates fires the UPDATE trigger, not the INSERT one.
    "CREATE TRIGGER trg_incidents_technician_load_update \
     AFTER UPDATE OF assigned_technician_id, status ON incidents \
     WHEN OLD.assigned_technician_id IS NOT NEW.assigned_technician_id \
       OR (OLD.status = 3) <> (NEW.status = 3) \
     BEGIN \
       UPDATE technicians SET open_incident_count = open_incident_count - 1 \
       WHERE OLD.status <> 3 AND id = OLD.assigned_technician_id; \
       UPDATE technicians SET open_incident_count = open_incident_count + 1 \
       WHERE NEW.status <> 3 AND id = NEW.assigned_technician_id; \
     END",
    "CREATE TRIGGER trg_incidents_technician_load_delete AFTER DELETE ON incidents \
     WHEN OLD.assigned_technician_id IS NOT NULL AND OLD.status <> 3 \
     BEGIN \
       UPDATE technicians SET open_incident_count = open_incident_count - 1 \
       WHERE id = OLD.assigned_technician_id; \
     END",
];

const POSTGRES_TRIGGERS: [&str; 4] = [
    "CREATE OR REPLACE FUNCTION incidents_technician_load() RETURNS trigger \
     LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP <> 'INSERT' THEN \
         IF OLD.assigned_technician_id IS NOT NULL AND OLD.status <> 3 THEN \
           UPDATE technicians SET open_incident_count = open_incident_count - 1 \
           WHERE id = OLD.assigned_technician_id; \
         END IF; \
       END IF; \
       IF TG_OP <> 'DELETE' THEN \
         IF NEW.assigned_technician_id IS NOT NULL AND NEW.status <> 3 THEN \
           UPDATE technicians SET open_incident_count = open_incident_count + 1 \
           WHERE id = NEW.assigned_technician_id; \
         END IF; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER trg_incidents_technician_load_insert AFTER INSERT ON incidents \
     FOR EACH ROW WHEN (NEW.assigned_technician_id IS NOT NULL AND NEW.status <> 3) \
     EXECUTE FUNCTION incidents_technician_load()",
    "CREATE TRIGGER trg_incidents_technician_load_update \
     AFTER UPDATE OF assigned_technician_id, status ON incidents FOR EACH ROW \
     WHEN (OLD.assigned_technician_id IS DISTINCT FROM NEW.assigned_technician_id \
       OR (OLD.status = 3) IS DISTINCT FROM (NEW.status = 3)) \
     EXECUTE FUNCTION incidents_technician_load()",
    "CREATE TRIGGER trg_incidents_technician_load_delete AFTER DELETE ON incidents \
     FOR EACH ROW WHEN (OLD.assigned_technician_id IS NOT NULL AND OLD.status <> 3) \
     EXECUTE FUNCTION incidents_technician_load()",
];

const TRIGGERS: [&str; 3] = [
    "trg_incidents_technician_load_insert",
    "trg_incidents_technician_load_update",
    "trg_incidents_technician_load_delete",
];

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Technicians::Table)
                    .add_column(big_integer(Technicians::OpenIncidentCount).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        let triggers: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for statement in triggers {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for trigger in TRIGGERS {
            let on = if postgres { " ON incidents" } else { "" };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}"))
                .await?;
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS incidents_technician_load()")
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Technicians::Table)
                    .drop_column(Technicians::OpenIncidentCount)
                    .to_owned(),
            )
            .await
    }
}
