//! # xunren-demo
//!
//! Demo data (演示数据): the data-preparation half of `xunren demo`, also used by the web tests
//! and the load benchmark.
//!
//! [`prepare`] fills a database with a complete, realistic tracing workload for the base of the
//! article, 乔家路北块(一期) ([`DEMO_BASE`]), in the same steps an operator takes on the command
//! line, by calling the same library functions those commands call:
//!
//! 1. `xunren gen` — [`xunren_synth::generate`] writes synthetic files into a work directory: the
//!    roster (花名册) of property certificates (权证; by default 2,002: 征收一所 with 1,191 in
//!    老西门街道 and 772 in 小南门街道, 征收三所 with 39 organisations 单位), three reference
//!    sources (参考数据源: 旧改档案, 居住登记, 电话登记), staff (工作人员) of six specialist teams
//!    (专业小组) and first-round consultation opinions (一轮征询意见);
//! 2. `xunren import roster | reference | staff | votes` — the registry's and the task engine's
//!    importers, each all or nothing and idempotent;
//! 3. `xunren match` — [`xunren_registry::matching::run_matching`] with default options finds
//!    candidates (匹配候选) for every lost person (失联人员) in the reference records;
//! 4. `xunren assign --base 乔家路北块(一期)` — [`xunren_tasks::assign::run`] opens a case (个案)
//!    per lost person, turns the candidates into leads (线索) and assigns them to staff by the
//!    rules, as the system (no `--by`), relaxing at once.
//!
//! It then reads the figures back from the database ([`DemoData`]) and picks the staff who should
//! get a demo account: every team leader (组长), every supervisor (督导), and the first two other
//! staff of each team who have open leads to work. Running it again on the same database changes
//! nothing: every step is idempotent.

use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait,
};
use xunren_domain::ContactStatus;
use xunren_registry::entity::{certificate, match_candidate, person};
use xunren_registry::import::Progress;
use xunren_registry::import::reference::{ReferenceOptions, import_reference};
use xunren_registry::import::roster::{RosterOptions, import_roster};
use xunren_registry::matching::{MatchOptions, run_matching};
use xunren_tasks::Actor;
use xunren_tasks::code::StaffRole;
use xunren_tasks::entity::{case, lead};
use xunren_tasks::{assign, staff, vote};

/// Why preparing the demo failed: the step, and the error of the library that failed.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {source}")]
pub struct DemoError {
    /// What was being done (`importing the roster …`).
    pub step: String,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Result of the demo preparation.
pub type Result<T, E = DemoError> = std::result::Result<T, E>;

/// Names the step an error happened in.
trait Step<T> {
    fn step(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Step<T> for std::result::Result<T, E> {
    fn step(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| DemoError {
            step: what(),
            source: Box::new(e),
        })
    }
}

/// The base (征收基地) the demo data is imported into: the base of the article.
pub const DEMO_BASE: &str = "乔家路北块(一期)";

/// Non-leader staff per team who get a demo account.
const STAFF_PER_TEAM: usize = 2;

/// The status of a lead still being worked (`leads.status`).
const OPEN: &str = "open";

/// What the demo database holds, for printing at start.
#[derive(Clone, Debug)]
pub struct DemoData {
    /// The base's name ([`DEMO_BASE`]).
    pub base: String,
    /// Property certificates (权证) on the base.
    pub certificates: u64,
    /// Lost persons (失联人员) on the base.
    pub lost_persons: u64,
    /// Cases (个案) of the base.
    pub cases: u64,
    /// Leads (线索) of the base's cases, open or closed.
    pub leads: u64,
    /// Open leads of the base's cases that have an assignee (已分派).
    pub assigned: u64,
    /// Stored matcher candidates (匹配候选) of the base's persons, for the person and for
    /// relatives together.
    pub candidates: u64,
    /// One row per staff member that should get a demo account: (staff name, role code of
    /// xunren_tasks::code::StaffRole, team)
    pub staff: Vec<(String, String, Option<String>)>,
}

/// Generates the synthetic data of `config` into `work_dir`, imports it into `db` (roster into
/// [`DEMO_BASE`], the reference sources, staff, votes), matches and assigns, and returns what the
/// database then holds. With `progress`, each step and its time is told on standard error and
/// imports draw a progress bar.
pub async fn prepare(
    db: &DatabaseConnection,
    work_dir: &Path,
    config: &xunren_synth::GenConfig,
    progress: bool,
) -> Result<DemoData> {
    let steps = Steps { progress };

    let started = Instant::now();
    let summary = xunren_synth::generate(config, work_dir)
        .step(|| format!("generating demo data into {}", work_dir.display()))?;
    steps.done(
        &format!(
            "生成 generated {} 权证 certificates, {} 条参考记录 reference records",
            summary.certificates,
            summary.reference_records()
        ),
        started,
    );

    let bar = steps.bar();
    let on_progress = |p: Progress| {
        bar.set_length(p.total_bytes);
        bar.set_position(p.bytes_read);
        bar.set_message(format!("{} 行 rows", p.rows));
    };

    let started = Instant::now();
    let roster_options = RosterOptions {
        base: DEMO_BASE.to_string(),
        sheet: None,
        dry_run: false,
    };
    let roster = import_roster(db, &summary.roster.path, &roster_options, &on_progress).await;
    bar.finish_and_clear();
    let roster =
        roster.step(|| format!("importing the roster {}", summary.roster.path.display()))?;
    steps.done(
        &format!(
            "花名册 roster: {} 行 rows, 新增权证 certificates added {}",
            roster.rows, roster.certificates.added
        ),
        started,
    );

    let reference_options = ReferenceOptions {
        source: None,
        sheet: None,
        replace: false,
        dry_run: false,
    };
    for (source, file) in &summary.references {
        let started = Instant::now();
        bar.reset();
        let report = import_reference(db, &file.path, &reference_options, &on_progress).await;
        bar.finish_and_clear();
        let report = report.step(|| {
            format!(
                "importing reference records of {source} from {}",
                file.path.display()
            )
        })?;
        steps.done(
            &format!(
                "参考记录 reference {source}: {} 行 rows, 新增 added {}",
                report.rows, report.records.added
            ),
            started,
        );
    }

    let started = Instant::now();
    let staff_report = staff::import_staff(db, &summary.staff.path, None, false)
        .await
        .step(|| format!("importing staff {}", summary.staff.path.display()))?;
    steps.done(
        &format!(
            "工作人员 staff: {} 行 rows, 新增 added {}",
            staff_report.rows, staff_report.added
        ),
        started,
    );

    if let Some(votes) = &summary.votes {
        let started = Instant::now();
        let report = vote::import_votes(db, &votes.path, Some(DEMO_BASE), None, false)
            .await
            .step(|| format!("importing votes {}", votes.path.display()))?;
        steps.done(
            &format!(
                "征询意见 votes: {} 行 rows, 新增 added {}",
                report.rows, report.added
            ),
            started,
        );
    }

    let started = Instant::now();
    let matched = run_matching(db, &MatchOptions::default())
        .await
        .step(|| "matching lost persons".to_string())?;
    steps.done(
        &format!(
            "匹配 matched {} 失联人员 lost persons: 候选 candidates {}, 亲属 relatives {}",
            matched.persons_matched, matched.candidates_stored, matched.relatives_stored
        ),
        started,
    );

    let base = vote::find_base(db, DEMO_BASE)
        .await
        .step(|| format!("finding the base {DEMO_BASE}"))?;
    let started = Instant::now();
    let assigned = assign::run(
        db,
        Some(base.id),
        &assign::AssignOptions::default(),
        &Actor::system(),
    )
    .await
    .step(|| "assigning".to_string())?;
    steps.done(
        &format!(
            "分派 assign: 新开个案 cases opened {}, 候选线索 candidate leads {}, 已分派 assigned {}, 待分派 waiting {}",
            assigned.opened_cases,
            assigned.candidate_leads,
            assigned.assigned,
            assigned.unassigned
        ),
        started,
    );

    read_back(db, base.id).await
}

/// Counts what the database holds for base `base_id` and picks the demo accounts.
async fn read_back(db: &DatabaseConnection, base_id: i32) -> Result<DemoData> {
    let certificates_of_base = || -> SelectStatement {
        certificate::Entity::find()
            .select_only()
            .column(certificate::Column::Id)
            .filter(certificate::Column::BaseId.eq(base_id))
            .into_query()
    };
    let persons_of_base = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::CertificateId.in_subquery(certificates_of_base()))
        .into_query();
    let cases_of_base = || -> SelectStatement {
        case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(case::Column::BaseId.eq(base_id))
            .into_query()
    };

    let certificates = certificate::Entity::find()
        .filter(certificate::Column::BaseId.eq(base_id))
        .count(db)
        .await
        .step(|| "counting certificates".to_string())?;
    let lost_persons = person::Entity::find()
        .filter(person::Column::CertificateId.in_subquery(certificates_of_base()))
        .filter(person::Column::ContactStatus.eq(ContactStatus::Lost.as_code()))
        .count(db)
        .await
        .step(|| "counting lost persons".to_string())?;
    let cases = case::Entity::find()
        .filter(case::Column::BaseId.eq(base_id))
        .count(db)
        .await
        .step(|| "counting cases".to_string())?;
    let leads = lead::Entity::find()
        .filter(lead::Column::CaseId.in_subquery(cases_of_base()))
        .count(db)
        .await
        .step(|| "counting leads".to_string())?;
    let assigned = lead::Entity::find()
        .filter(lead::Column::CaseId.in_subquery(cases_of_base()))
        .filter(lead::Column::Status.eq(OPEN))
        .filter(lead::Column::AssigneeId.is_not_null())
        .count(db)
        .await
        .step(|| "counting assigned leads".to_string())?;
    let candidates = match_candidate::Entity::find()
        .filter(match_candidate::Column::PersonId.in_subquery(persons_of_base))
        .count(db)
        .await
        .step(|| "counting match candidates".to_string())?;
    let staff = demo_staff(db).await?;

    Ok(DemoData {
        base: DEMO_BASE.to_string(),
        certificates,
        lost_persons,
        cases,
        leads,
        assigned,
        candidates,
        staff,
    })
}

/// Staff who get a demo account, in staff-id order (the order of the staff file): every team
/// leader, every supervisor, and per team the first [`STAFF_PER_TEAM`] liaisons, cadres or office
/// staff with at least one open lead assigned.
async fn demo_staff(db: &DatabaseConnection) -> Result<Vec<(String, String, Option<String>)>> {
    let mut rows = staff::list(db).await.step(|| "listing staff".to_string())?;
    rows.sort_by_key(|row| row.id);
    let mut per_team: std::collections::HashMap<String, usize> = Default::default();
    let mut chosen = Vec::new();
    for row in rows {
        let role =
            StaffRole::parse(&row.role).step(|| format!("the role of staff member #{}", row.id))?;
        let take = match role {
            StaffRole::Leader | StaffRole::Supervisor => true,
            StaffRole::Liaison | StaffRole::Cadre | StaffRole::Office => match &row.team {
                Some(team) if row.open_leads > 0 => {
                    let taken = per_team.entry(team.clone()).or_default();
                    *taken += 1;
                    *taken <= STAFF_PER_TEAM
                }
                _ => false,
            },
        };
        if take {
            chosen.push((row.name, role.as_code().to_string(), row.team));
        }
    }
    Ok(chosen)
}

/// Telling the steps, or not.
struct Steps {
    progress: bool,
}

impl Steps {
    fn done(&self, what: &str, started: Instant) {
        if self.progress {
            eprintln!("{what} ({:.1} s)", started.elapsed().as_secs_f64());
        }
    }

    fn bar(&self) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn prepares_a_small_demo_with_cases_leads_and_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
        let db = xunren_registry::connect(&url).await.unwrap();
        let config = xunren_synth::GenConfig {
            certificates: 200,
            reference_records: 2000,
            staff: 24,
            ..Default::default()
        };
        let work = dir.path().join("gen");
        let demo = prepare(&db, &work, &config, false).await.unwrap();

        assert_eq!(demo.base, DEMO_BASE);
        assert_eq!(demo.certificates, 200);
        assert!(demo.lost_persons > 0, "{demo:?}");
        assert_eq!(demo.cases, demo.lost_persons, "one case per lost person");
        assert!(demo.candidates > 0, "{demo:?}");
        assert!(demo.leads > 0, "{demo:?}");
        assert!(demo.assigned > 0, "{demo:?}");

        // Every case has a lead, or is reported as stuck (卡住: no open lead).
        let stuck = xunren_tasks::case::stuck_cases(&db).await.unwrap();
        for k in case::Entity::find().all(&db).await.unwrap() {
            let leads = lead::Entity::find()
                .filter(lead::Column::CaseId.eq(k.id))
                .count(&db)
                .await
                .unwrap();
            assert!(leads > 0 || stuck.contains(&k.id), "case #{}", k.id);
        }

        let role = |code: StaffRole| {
            demo.staff
                .iter()
                .filter(|(_, role, _)| role == code.as_code())
                .count()
        };
        assert!(role(StaffRole::Leader) >= 1, "{:?}", demo.staff);
        assert!(role(StaffRole::Supervisor) >= 1, "{:?}", demo.staff);
        let workers: Vec<_> = demo
            .staff
            .iter()
            .filter(|(_, role, _)| {
                ![StaffRole::Leader, StaffRole::Supervisor]
                    .map(StaffRole::as_code)
                    .contains(&role.as_str())
            })
            .collect();
        assert!(!workers.is_empty(), "{:?}", demo.staff);
        let open_leads: std::collections::HashMap<String, i64> = staff::list(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.name, row.open_leads))
            .collect();
        for (name, _, team) in &workers {
            assert!(open_leads[name] > 0, "{name} has no open lead");
            let same_team = workers.iter().filter(|(_, _, t)| t == team).count();
            assert!(team.is_some() && same_team <= STAFF_PER_TEAM, "{team:?}");
        }

        // Again on the same database: nothing changes.
        let again = prepare(&db, &work, &config, false).await.unwrap();
        assert_eq!(
            (again.certificates, again.lost_persons, again.cases),
            (demo.certificates, demo.lost_persons, demo.cases)
        );
        assert_eq!(
            (again.leads, again.assigned, again.candidates),
            (demo.leads, demo.assigned, demo.candidates)
        );
        assert_eq!(again.staff, demo.staff);
    }
}
