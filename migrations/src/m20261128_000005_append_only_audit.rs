//! The audit logs are append-only in the database itself, not only by convention: triggers refuse
//! any UPDATE or DELETE of `case_events` (审计记录) and `view_audit` (查阅记录). Two changes stay
//! possible, both made by the database's own foreign keys: a referenced lead, staff member or user
//! that is deleted leaves its id as NULL (ON DELETE SET NULL), and a case's events go with the
//! case (ON DELETE CASCADE: deleting an event is allowed once its case is gone).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns of `case_events` that never change, and the ones only nulled by foreign keys.
const EVENT_FIXED: &[&str] = &[
    "case_id",
    "kind",
    "actor",
    "at",
    "from_state",
    "to_state",
    "note",
];
const EVENT_NULLABLE: &[&str] = &["lead_id", "actor_id"];
const VIEW_FIXED: &[&str] = &["user_name", "at", "subject", "subject_id", "path"];
const VIEW_NULLABLE: &[&str] = &["user_id"];

/// The condition under which an UPDATE is refused: a fixed column changes, or a nullable one
/// changes to anything but NULL.
fn changed(fixed: &[&str], nullable: &[&str], distinct: &str) -> String {
    fixed
        .iter()
        .map(|c| format!("NEW.{c} {distinct} OLD.{c}"))
        .chain(
            nullable
                .iter()
                .map(|c| format!("(NEW.{c} IS NOT NULL AND NEW.{c} {distinct} OLD.{c})")),
        )
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn sqlite_statements() -> Vec<String> {
    let raise = |table: &str| {
        format!("SELECT RAISE(ABORT, '{table} is append-only / 审计记录只能追加，不能修改或删除')")
    };
    vec![
        format!(
            "CREATE TRIGGER case_events_append_only_update BEFORE UPDATE ON case_events WHEN {} BEGIN {}; END",
            changed(EVENT_FIXED, EVENT_NULLABLE, "IS NOT"),
            raise("case_events")
        ),
        format!(
            "CREATE TRIGGER case_events_append_only_delete BEFORE DELETE ON case_events \
             WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id) BEGIN {}; END",
            raise("case_events")
        ),
        format!(
            "CREATE TRIGGER view_audit_append_only_update BEFORE UPDATE ON view_audit WHEN {} BEGIN {}; END",
            changed(VIEW_FIXED, VIEW_NULLABLE, "IS NOT"),
            raise("view_audit")
        ),
        format!(
            "CREATE TRIGGER view_audit_append_only_delete BEFORE DELETE ON view_audit BEGIN {}; END",
            raise("view_audit")
        ),
    ]
}

fn postgres_statements() -> Vec<String> {
    vec![
        "CREATE FUNCTION xunren_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION '% is append-only / 审计记录只能追加，不能修改或删除', TG_TABLE_NAME; END $$"
            .to_string(),
        "CREATE FUNCTION xunren_case_event_delete() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id) THEN \
         RAISE EXCEPTION 'case_events is append-only / 审计记录只能追加，不能修改或删除'; END IF; \
         RETURN OLD; END $$"
            .to_string(),
        format!(
            "CREATE TRIGGER case_events_append_only_update BEFORE UPDATE ON case_events FOR EACH ROW \
             WHEN ({}) EXECUTE FUNCTION xunren_append_only()",
            changed(EVENT_FIXED, EVENT_NULLABLE, "IS DISTINCT FROM")
        ),
        "CREATE TRIGGER case_events_append_only_delete BEFORE DELETE ON case_events FOR EACH ROW \
         EXECUTE FUNCTION xunren_case_event_delete()"
            .to_string(),
        format!(
            "CREATE TRIGGER view_audit_append_only_update BEFORE UPDATE ON view_audit FOR EACH ROW \
             WHEN ({}) EXECUTE FUNCTION xunren_append_only()",
            changed(VIEW_FIXED, VIEW_NULLABLE, "IS DISTINCT FROM")
        ),
        "CREATE TRIGGER view_audit_append_only_delete BEFORE DELETE ON view_audit FOR EACH ROW \
         EXECUTE FUNCTION xunren_append_only()"
            .to_string(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite_statements(),
            DbBackend::Postgres => postgres_statements(),
            other => {
                return Err(DbErr::Migration(format!(
                    "append-only triggers: unsupported backend {other:?}"
                )));
            }
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (table, name) in [
            ("case_events", "case_events_append_only_update"),
            ("case_events", "case_events_append_only_delete"),
            ("view_audit", "view_audit_append_only_update"),
            ("view_audit", "view_audit_append_only_delete"),
        ] {
            let statement = if postgres {
                format!("DROP TRIGGER IF EXISTS {name} ON {table}")
            } else {
                format!("DROP TRIGGER IF EXISTS {name}")
            };
            db.execute_unprepared(&statement).await?;
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS xunren_append_only()")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS xunren_case_event_delete()")
                .await?;
        }
        Ok(())
    }
}
