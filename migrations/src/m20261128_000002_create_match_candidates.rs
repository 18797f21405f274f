//! Candidates found by the matcher (xunren-match) for lost persons: the reference records that may
//! be the person, or relatives and former neighbours, with score and evidence. The task engine
//! turns them into leads.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("match_candidates")
                    .col(big_pk_auto("id"))
                    .col(integer("person_id"))
                    .col(big_integer("reference_record_id"))
                    // `person` (the person themself) or `relative` (relative or former neighbour).
                    .col(string("kind"))
                    .col(integer("rank"))
                    .col(double("score"))
                    // JSON: per field, comparison level, weight, and the Chinese/English rendering.
                    .col(text("evidence"))
                    .col(timestamp_with_time_zone("matched_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_match_candidates_person_id")
                            .from("match_candidates", "person_id")
                            .to("persons", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_match_candidates_reference_record_id")
                            .from("match_candidates", "reference_record_id")
                            .to("reference_records", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_match_candidates_person_kind_rank")
                    .table("match_candidates")
                    .col("person_id")
                    .col("kind")
                    .col("rank")
                    .to_owned(),
            )
            .await?;
        // What each person and record looked like when last matched, so a re-run only matches
        // what changed since.
        manager
            .create_table(
                Table::create()
                    .table("match_runs")
                    .col(pk_auto("id"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .col(big_integer("persons_matched"))
                    .col(big_integer("records_indexed"))
                    .col(big_integer("candidates"))
                    // Which reference data the run's index held (see match_index_chunks).
                    .col(string("index_fingerprint"))
                    .to_owned(),
            )
            .await?;
        // The matcher's saved index (xunren-match `Index::write_to`), in chunks: built once for
        // a state of the reference records (its fingerprint), loaded by every later run.
        manager
            .create_table(
                Table::create()
                    .table("match_index_chunks")
                    .col(integer("seq").primary_key())
                    .col(string("fingerprint"))
                    .col(blob("data"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("match_index_chunks").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("match_runs").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("match_candidates").to_owned())
            .await
    }
}
