//! `xunren stats`: how many certificates and persons there are, and how many persons are lost
//! (失联), per base, department (征收所), subdistrict (街道) and committee (居委会).

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use serde::Serialize;

/// One group of certificates sharing base, department, subdistrict and committee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct StatsRow {
    pub base: String,
    pub department: Option<String>,
    pub subdistrict: Option<String>,
    pub committee: Option<String>,
    pub certificates: i64,
    pub persons: i64,
    pub lost: i64,
}

/// Reference records held per source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct SourceCount {
    pub source: String,
    pub records: i64,
}

/// The registry in figures.
#[derive(Clone, Debug, Serialize)]
pub struct RegistryStats {
    pub groups: Vec<StatsRow>,
    pub sources: Vec<SourceCount>,
}

const GROUPS_SQL: &str = "
SELECT b.name AS base, d.name AS department, s.name AS subdistrict, c.name AS committee,
       COUNT(DISTINCT cert.id) AS certificates,
       COUNT(p.id) AS persons,
       COALESCE(SUM(CASE WHEN p.contact_status = 'lost' THEN 1 ELSE 0 END), 0) AS lost
FROM certificates cert
JOIN bases b ON b.id = cert.base_id
LEFT JOIN departments d ON d.id = cert.department_id
LEFT JOIN subdistricts s ON s.id = cert.subdistrict_id
LEFT JOIN committees c ON c.id = cert.committee_id
LEFT JOIN persons p ON p.certificate_id = cert.id AND p.removed_at IS NULL
GROUP BY b.name, d.name, s.name, c.name
ORDER BY b.name, d.name, s.name, c.name";

const SOURCES_SQL: &str = "
SELECT src.name AS source, COUNT(r.id) AS records
FROM reference_sources src
LEFT JOIN reference_records r ON r.source_id = src.id
GROUP BY src.name
ORDER BY src.name";

/// Counts per group, finest grain first; callers add the subtotals they show.
pub async fn registry_stats<C: ConnectionTrait>(db: &C) -> Result<RegistryStats, DbErr> {
    let backend = db.get_database_backend();
    let groups = StatsRow::find_by_statement(Statement::from_string(backend, GROUPS_SQL))
        .all(db)
        .await?;
    let sources = SourceCount::find_by_statement(Statement::from_string(backend, SOURCES_SQL))
        .all(db)
        .await?;
    Ok(RegistryStats { groups, sources })
}
