//! Accounts of the web app (xunren-web): users (用户) with argon2id password hashes and a role,
//! server-side sessions (会话), and the view audit (查阅记录) of who opened whose personal data.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_auto("id"))
                    .col(string_uniq("name"))
                    // admin | supervisor | leader | staff
                    .col(string("role"))
                    // argon2id PHC string.
                    .col(string("password_hash"))
                    // The staff record a staff or leader account works as.
                    .col(integer_null("staff_id"))
                    // The base a supervisor oversees (none: every base).
                    .col(integer_null("base_id"))
                    .col(boolean("disabled").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("users", "staff_id", "staff", SetNull))
                    .foreign_key(&mut fk("users", "base_id", "bases", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    // SHA-256 of the cookie's token, hex: the token itself is never stored.
                    .col(string("id").primary_key())
                    .col(integer("user_id"))
                    .col(string("csrf_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk("sessions", "user_id", "users", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("sessions", &["user_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("view_audit")
                    .col(pk_auto("id"))
                    .col(integer_null("user_id"))
                    .col(string("user_name"))
                    .col(timestamp_with_time_zone("at"))
                    // person | case | lead | dashboard | report | export …
                    .col(string("subject"))
                    .col(integer_null("subject_id"))
                    .col(string("path"))
                    .foreign_key(&mut fk("view_audit", "user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("view_audit", &["subject", "subject_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["view_audit", "sessions", "users"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
