//! The tracing workflow (xunren-tasks): staff (工作人员), cases (失联个案) and their append-only
//! audit log, leads (线索) with their chains, attempts (走访记录) and consultation votes (征询意见).
//! Round dates and thresholds live on `bases` already.

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
                    .table("staff")
                    .col(pk_auto("id"))
                    .col(string_uniq("name"))
                    // liaison | cadre | office | leader | supervisor
                    .col(string("role"))
                    .col(string_null("team"))
                    // Names joined by `;`.
                    .col(text("subdistricts"))
                    .col(text("committees"))
                    .col(text("skills"))
                    .col(integer("capacity"))
                    // active | on_leave
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("cases")
                    .col(pk_auto("id"))
                    .col(integer("person_id"))
                    .col(integer("base_id"))
                    // open | tracing | located | contacted | deceased | abroad | refuses | untraceable
                    .col(string("state"))
                    .col(text_null("closing_reason"))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("located_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("cases", "person_id", "persons", Cascade))
                    .foreign_key(&mut fk("cases", "base_id", "bases", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("cases", &["person_id"], true))
            .await?;
        manager
            .create_index(index("cases", &["base_id", "state"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("leads")
                    .col(pk_auto("id"))
                    .col(integer("case_id"))
                    .col(integer_null("parent_lead_id"))
                    // candidate | address | committee | relative | phone | police
                    .col(string("kind"))
                    .col(text("detail"))
                    .col(big_integer_null("candidate_id"))
                    // Skills the lead needs, joined by `;`.
                    .col(text("required_skills"))
                    // open | closed
                    .col(string("status"))
                    // reached | new_info | dead_end | (null while open)
                    .col(string_null("outcome"))
                    .col(text_null("outcome_note"))
                    .col(integer_null("assignee_id"))
                    .col(text_null("assignment_reason"))
                    .col(integer_null("assignment_level"))
                    .col(timestamp_with_time_zone_null("assigned_at"))
                    .col(date_null("due_date"))
                    .col(integer("escalation_level").default(0))
                    .col(integer_null("escalated_to_id"))
                    .col(integer("version").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(&mut fk("leads", "case_id", "cases", Cascade))
                    .foreign_key(&mut fk("leads", "parent_lead_id", "leads", SetNull))
                    .foreign_key(&mut fk(
                        "leads",
                        "candidate_id",
                        "match_candidates",
                        SetNull,
                    ))
                    .foreign_key(&mut fk("leads", "assignee_id", "staff", SetNull))
                    .foreign_key(&mut fk("leads", "escalated_to_id", "staff", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("leads", &["case_id"], false))
            .await?;
        manager
            .create_index(index("leads", &["assignee_id", "status"], false))
            .await?;
        manager
            .create_index(index("leads", &["status", "due_date"], false))
            .await?;
        manager
            .create_index(index("leads", &["candidate_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("case_events")
                    .col(big_pk_auto("id"))
                    .col(integer("case_id"))
                    .col(integer_null("lead_id"))
                    // state | lead_created | assigned | claimed | released | reassigned | lead_closed | attempt | escalated
                    .col(string("kind"))
                    .col(integer_null("actor_id"))
                    .col(string("actor"))
                    .col(timestamp_with_time_zone("at"))
                    .col(string_null("from_state"))
                    .col(string_null("to_state"))
                    .col(text_null("note"))
                    .foreign_key(&mut fk("case_events", "case_id", "cases", Cascade))
                    .foreign_key(&mut fk("case_events", "lead_id", "leads", SetNull))
                    .foreign_key(&mut fk("case_events", "actor_id", "staff", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("case_events", &["case_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("attempts")
                    .col(pk_auto("id"))
                    .col(integer("lead_id"))
                    .col(integer_null("staff_id"))
                    // visit | phone | letter | committee | relative | police
                    .col(string("method"))
                    .col(timestamp_with_time_zone("at"))
                    // reached | new_info | no_trace | refused
                    .col(string("result"))
                    .col(text_null("notes"))
                    .col(text_null("next_step"))
                    .foreign_key(&mut fk("attempts", "lead_id", "leads", Cascade))
                    .foreign_key(&mut fk("attempts", "staff_id", "staff", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("attempts", &["lead_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("votes")
                    .col(pk_auto("id"))
                    .col(integer("certificate_id"))
                    .col(integer("round"))
                    // round 1: agree | oppose | abstain | invalid; round 2: signed | unsigned
                    .col(string("opinion"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("votes", "certificate_id", "certificates", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("votes", &["certificate_id", "round"], true))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "votes",
            "attempts",
            "case_events",
            "leads",
            "cases",
            "staff",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
