//! Benchmark of the tracing workflow on SQLite (or the URL given): 1,000 open cases, 5,000 leads,
//! 200 staff. Measures assigning 1,000 new leads and each supervisor report.
//!
//! ```sh
//! cargo run --release -p xunren-tasks --example bench_tasks            # temporary SQLite file
//! cargo run --release -p xunren-tasks --example bench_tasks -- URL     # any database URL
//! ```

use std::time::{Duration, Instant};

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use xunren_registry::entity::{certificate, committee, department, person, subdistrict};
use xunren_tasks::entity::{attempt, lead, staff, vote};
use xunren_tasks::report::{self, GroupBy};
use xunren_tasks::{Actor, assign, case};

const CASES: usize = 1000;
const STAFF: usize = 200;
const OLD_LEADS: usize = 4000;
const NEW_LEADS: usize = 1000;
const COMMITTEES: [(&str, &str); 10] = [
    ("老西门街道", "艾家弄居委会"),
    ("老西门街道", "梅家弄居委会"),
    ("老西门街道", "学西居委会"),
    ("老西门街道", "尚文居委会"),
    ("老西门街道", "龙门居委会"),
    ("小南门街道", "龙潭居委会"),
    ("小南门街道", "王家码头居委会"),
    ("小南门街道", "桑园居委会"),
    ("小南门街道", "大夫坊居委会"),
    ("小南门街道", "外马路居委会"),
];
const SKILLS: [&str; 6] = ["法律", "房产", "方言", "调解", "外语", "社工"];

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let arg = std::env::args().nth(1);
    let file = std::env::temp_dir().join(format!("xunren_bench_tasks_{}.db", std::process::id()));
    let url = arg.unwrap_or_else(|| format!("sqlite://{}?mode=rwc", file.display()));
    let db = xunren_registry::connect(&url).await?;
    let started = Instant::now();
    seed(&db).await?;
    let opened = case::open_cases(&db, None, &Actor::system()).await?;
    println!(
        "seeded {opened} cases, {STAFF} staff in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let case_ids: Vec<i32> = case::list(&db, None).await?.iter().map(|c| c.id).collect();
    insert_leads(&db, &case_ids, OLD_LEADS).await?;
    let t = Instant::now();
    let r =
        assign::assign_unassigned(&db, &assign::AssignOptions::default(), &Actor::system()).await?;
    println!(
        "assigned the first {} leads in {:.3} s (by level {:?})",
        r.assigned,
        t.elapsed().as_secs_f64(),
        r.by_level
    );
    insert_attempts(&db).await?;
    insert_leads(&db, &case_ids, NEW_LEADS).await?;
    let open: i64 = count(&db, "SELECT COUNT(*) FROM leads WHERE status = 'open'").await?;
    let t = Instant::now();
    let r =
        assign::assign_unassigned(&db, &assign::AssignOptions::default(), &Actor::system()).await?;
    let assign_time = t.elapsed();
    println!(
        "ASSIGN {} new leads (of {open} open, {STAFF} staff, {} cases): {:.3} s (by level {:?})",
        r.assigned,
        case_ids.len(),
        assign_time.as_secs_f64(),
        r.by_level
    );

    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // What autovacuum does shortly after a bulk load: planner statistics.
        db.execute_unprepared("ANALYZE").await?;
    }
    let today = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    let base_id = xunren_tasks::vote::resolve_base(&db, None).await?.id;
    macro_rules! time {
        ($name:expr, $e:expr) => {{
            let mut runs = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let value = $e;
                runs.push(t.elapsed());
                std::hint::black_box(&value);
            }
            runs.sort();
            println!(
                "REPORT {:<24} median {:>7.1} ms  (min {:.1}, max {:.1})",
                $name,
                ms(runs[2]),
                ms(runs[0]),
                ms(runs[4])
            );
        }};
    }
    time!(
        "consultation",
        report::consultation(&db, base_id, 1).await?.table()
    );
    time!(
        "unresolved subdistrict",
        report::unresolved(&db, None, GroupBy::Subdistrict, today)
            .await?
            .table()
    );
    time!(
        "unresolved committee",
        report::unresolved(&db, None, GroupBy::Committee, today)
            .await?
            .table()
    );
    time!(
        "unresolved team",
        report::unresolved(&db, None, GroupBy::Team, today)
            .await?
            .table()
    );
    time!(
        "unresolved staff",
        report::unresolved(&db, None, GroupBy::Staff, today)
            .await?
            .table()
    );
    time!("staff", report::staff_report(&db, today).await?.table());
    time!(
        "overdue",
        report::staff_report(&db, today).await?.overdue_table()
    );
    time!(
        "burndown",
        report::burndown(&db, None, today, 60).await?.table()
    );
    time!("blocked", report::blocked(&db, base_id, 1).await?.table());
    time!(
        "digest (all staff)",
        xunren_tasks::deadline::digest(&db, today, 3, None).await?
    );
    drop(db);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> Res<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await?
        .ok_or("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// A base with 1,000 certificates, each with one lost holder; 200 staff over 10 committees.
async fn seed(db: &sea_orm::DatabaseConnection) -> Res<()> {
    let txn = db.begin().await?;
    let now = chrono::Utc::now();
    let base = xunren_registry::ensure_base(&txn, "乔家路北块(基准)").await?;
    let dept = department::Entity::insert(department::ActiveModel {
        base_id: Set(base.id),
        name: Set("征收一所".into()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let mut committee_ids = Vec::new();
    let mut subdistrict_ids = std::collections::HashMap::new();
    for (s, c) in COMMITTEES {
        let sid = match subdistrict_ids.get(s) {
            Some(id) => *id,
            None => {
                let id = subdistrict::Entity::insert(subdistrict::ActiveModel {
                    name: Set(s.into()),
                    ..Default::default()
                })
                .exec(&txn)
                .await?
                .last_insert_id;
                subdistrict_ids.insert(s, id);
                id
            }
        };
        let cid = committee::Entity::insert(committee::ActiveModel {
            subdistrict_id: Set(sid),
            name: Set(c.into()),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        committee_ids.push((sid, cid));
    }
    let certs = (0..CASES).map(|i| {
        let (sid, cid) = committee_ids[i % committee_ids.len()];
        certificate::ActiveModel {
            base_id: Set(base.id),
            cert_no: Set(format!("B{i:05}")),
            property_address: Set(Some(format!("乔家路{}号", i + 1))),
            housing_type: Set(Some("public".into())),
            department_id: Set(Some(dept)),
            subdistrict_id: Set(Some(sid)),
            committee_id: Set(Some(cid)),
            import_batch_id: Set(None),
            updated_at: Set(now),
            ..Default::default()
        }
    });
    for chunk in certs.collect::<Vec<_>>().chunks(500) {
        certificate::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    let first_cert: i64 = {
        let row = txn
            .query_one_raw(sea_orm::Statement::from_string(
                txn.get_database_backend(),
                "SELECT MIN(id) FROM certificates".to_string(),
            ))
            .await?
            .ok_or("no certificates")?;
        i64::from(row.try_get_by_index::<i32>(0)?)
    };
    let persons: Vec<person::ActiveModel> = (0..CASES)
        .map(|i| person::ActiveModel {
            certificate_id: Set(i32::try_from(first_cert).unwrap_or(1) + i as i32),
            name: Set(format!("住户{i}")),
            role: Set("tenant".into()),
            id_number: Set(None),
            id_number_as_given: Set(None),
            id_kind: Set(None),
            gender: Set(None),
            birth_date: Set(None),
            phones: Set(None),
            registered_address: Set(Some(format!("复兴东路{}弄", i % 300))),
            contact_status: Set("lost".into()),
            warnings: Set(None),
            import_batch_id: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in persons.chunks(500) {
        person::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    let votes: Vec<vote::ActiveModel> = (0..CASES)
        .filter(|i| i % 5 != 0)
        .map(|i| vote::ActiveModel {
            certificate_id: Set(i32::try_from(first_cert).unwrap_or(1) + i as i32),
            round: Set(1),
            opinion: Set("agree".into()),
            recorded_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in votes.chunks(500) {
        vote::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let roles = ["liaison", "cadre", "office", "leader", "supervisor"];
    let staff_rows: Vec<staff::ActiveModel> = (0..STAFF)
        .map(|i| {
            let (s, c) = COMMITTEES[i % COMMITTEES.len()];
            let (s2, c2) = COMMITTEES[(i * 7 + 3) % COMMITTEES.len()];
            staff::ActiveModel {
                name: Set(format!("工作人员{i:03}")),
                role: Set(roles[i % roles.len()].into()),
                team: Set(Some(format!("第{}小组", i % 6 + 1))),
                subdistricts: Set(format!("{s};{s2}")),
                committees: Set(if i % 3 == 0 {
                    String::new()
                } else {
                    format!("{c};{c2}")
                }),
                skills: Set(format!("{};{}", SKILLS[i % 6], SKILLS[(i / 6) % 6])),
                capacity: Set(25 + (i % 4) as i32 * 10),
                status: Set("active".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    staff::Entity::insert_many(staff_rows).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// `n` unassigned open leads spread over the cases, some needing a skill, some overdue.
async fn insert_leads(db: &sea_orm::DatabaseConnection, case_ids: &[i32], n: usize) -> Res<()> {
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let rows: Vec<lead::ActiveModel> = (0..n)
        .map(|i| lead::ActiveModel {
            case_id: Set(case_ids[i % case_ids.len()]),
            parent_lead_id: Set(None),
            kind: Set(["address", "committee", "relative", "phone", "police"][i % 5].into()),
            detail: Set(format!("线索 {i}")),
            candidate_id: Set(None),
            required_skills: Set(if i % 7 == 0 {
                SKILLS[i % 6].into()
            } else {
                String::new()
            }),
            status: Set("open".into()),
            outcome: Set(None),
            outcome_note: Set(None),
            assignee_id: Set(None),
            assignment_reason: Set(None),
            assignment_level: Set(None),
            assigned_at: Set(None),
            due_date: Set(Some(today + chrono::Duration::days((i % 21) as i64 - 3))),
            escalation_level: Set(0),
            escalated_to_id: Set(None),
            version: Set(0),
            created_at: Set(now),
            closed_at: Set(None),
            ..Default::default()
        })
        .collect();
    let txn = db.begin().await?;
    for chunk in rows.chunks(500) {
        lead::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// An attempt by the assignee on every other assigned lead (familiarity for later assignments).
async fn insert_attempts(db: &sea_orm::DatabaseConnection) -> Res<()> {
    let now = chrono::Utc::now();
    let leads = lead::Entity::find().all(db).await?;
    let rows: Vec<attempt::ActiveModel> = leads
        .iter()
        .filter(|l| l.id % 2 == 0 && l.assignee_id.is_some())
        .map(|l| attempt::ActiveModel {
            lead_id: Set(l.id),
            staff_id: Set(l.assignee_id),
            method: Set("visit".into()),
            at: Set(now),
            result: Set("no_trace".into()),
            notes: Set(None),
            next_step: Set(None),
            ..Default::default()
        })
        .collect();
    let txn = db.begin().await?;
    for chunk in rows.chunks(500) {
        attempt::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
