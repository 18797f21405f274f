//! The registry: bases, departments, subdistricts, committees, certificates, persons, reference
//! sources and records, import batches and their warnings.

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
                    .table("bases")
                    .col(pk_auto("id"))
                    .col(string_uniq("name"))
                    .col(string_null("district"))
                    .col(date_null("round1_date"))
                    .col(double("round1_threshold").default(0.9))
                    .col(date_null("round2_start"))
                    .col(date_null("round2_end"))
                    .col(double("round2_threshold").default(0.85))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("departments")
                    .col(pk_auto("id"))
                    .col(integer("base_id"))
                    .col(string("name"))
                    .foreign_key(&mut fk("departments", "base_id", "bases", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("departments", &["base_id", "name"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("subdistricts")
                    .col(pk_auto("id"))
                    .col(string_uniq("name"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("committees")
                    .col(pk_auto("id"))
                    .col(integer("subdistrict_id"))
                    .col(string("name"))
                    .foreign_key(&mut fk(
                        "committees",
                        "subdistrict_id",
                        "subdistricts",
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("committees", &["subdistrict_id", "name"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reference_sources")
                    .col(pk_auto("id"))
                    .col(string_uniq("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("import_batches")
                    .col(pk_auto("id"))
                    .col(string("kind"))
                    .col(integer_null("base_id"))
                    .col(string("file_name"))
                    .col(string("file_sha256"))
                    .col(timestamp_with_time_zone("imported_at"))
                    .col(big_integer("rows"))
                    .col(big_integer("added"))
                    .col(big_integer("changed"))
                    .col(big_integer("removed"))
                    .col(big_integer("unchanged"))
                    .col(big_integer("warnings"))
                    .foreign_key(&mut fk("import_batches", "base_id", "bases", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("import_batches", &["kind", "file_sha256"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("import_warnings")
                    .col(big_pk_auto("id"))
                    .col(integer("batch_id"))
                    .col(big_integer("row"))
                    .col(string_null("column"))
                    .col(string("message"))
                    .foreign_key(&mut fk(
                        "import_warnings",
                        "batch_id",
                        "import_batches",
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("import_warnings", &["batch_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("certificates")
                    .col(pk_auto("id"))
                    .col(integer("base_id"))
                    .col(string("cert_no"))
                    .col(string_null("property_address"))
                    .col(string_null("housing_type"))
                    .col(integer_null("department_id"))
                    .col(integer_null("subdistrict_id"))
                    .col(integer_null("committee_id"))
                    .col(integer_null("import_batch_id"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("certificates", "base_id", "bases", Cascade))
                    .foreign_key(&mut fk(
                        "certificates",
                        "department_id",
                        "departments",
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "certificates",
                        "subdistrict_id",
                        "subdistricts",
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "certificates",
                        "committee_id",
                        "committees",
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "certificates",
                        "import_batch_id",
                        "import_batches",
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("certificates", &["base_id", "cert_no"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("persons")
                    .col(pk_auto("id"))
                    .col(integer("certificate_id"))
                    .col(string("name"))
                    .col(string("role"))
                    .col(string_null("id_number"))
                    .col(string_null("id_number_as_given"))
                    .col(string_null("id_kind"))
                    .col(string_null("gender"))
                    .col(date_null("birth_date"))
                    .col(string_null("phones"))
                    .col(string_null("registered_address"))
                    .col(string("contact_status"))
                    .col(text_null("warnings"))
                    .col(integer_null("import_batch_id"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "persons",
                        "certificate_id",
                        "certificates",
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "persons",
                        "import_batch_id",
                        "import_batches",
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("persons", &["certificate_id", "name"], true))
            .await?;
        manager
            .create_index(index("persons", &["contact_status"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reference_records")
                    .col(big_pk_auto("id"))
                    .col(integer("source_id"))
                    .col(string("record_id"))
                    .col(string("name"))
                    .col(string_null("id_number"))
                    .col(string_null("id_number_as_given"))
                    .col(string_null("gender"))
                    .col(date_null("birth_date"))
                    .col(string_null("phones"))
                    .col(string_null("address"))
                    .col(string_null("previous_address"))
                    .col(text_null("warnings"))
                    .col(integer_null("import_batch_id"))
                    // Stable hash of the record's content: a re-import compares hashes, not rows.
                    .col(big_integer("content_hash"))
                    .foreign_key(&mut fk(
                        "reference_records",
                        "source_id",
                        "reference_sources",
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "reference_records",
                        "import_batch_id",
                        "import_batches",
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "reference_records",
                &["source_id", "record_id"],
                true,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "reference_records",
            "persons",
            "certificates",
            "import_warnings",
            "import_batches",
            "reference_sources",
            "committees",
            "subdistricts",
            "departments",
            "bases",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
