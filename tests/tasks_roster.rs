//! A newer roster meets the tracing workflow, on SQLite and PostgreSQL: a holder it no longer
//! lists keeps their case and its history (marked 已移出名单), holders without a case go, a
//! holder listed again comes back, and a roster that would drop a certificate whose holder is
//! being traced is refused whole.

use xunren_registry::ImportError;
use xunren_registry::import::roster::{RosterOptions, RosterReport, import_roster};
use xunren_tasks::case::{self, Actor, PersonInfo};
use xunren_tasks::code::{AttemptMethod, AttemptResult, LeadKind};
use xunren_tasks::lead::{self, NewAttempt, NewLead};
use xunren_tasks::report;
use xunren_tests::{TASKS_ROSTER, TestDb, import_tasks_roster, on_both_databases};

async fn import(t: &TestDb, name: &str, text: &str) -> Result<RosterReport, ImportError> {
    let path = t.write(name, text);
    let options = RosterOptions {
        base: "乔家路北块".to_string(),
        sheet: None,
        dry_run: false,
    };
    import_roster(&t.db, &path, &options, &|_| {}).await
}

/// [`TASKS_ROSTER`] with the lines of `drop` (by person name) left out and `add` appended.
fn roster_without(drop: &[&str], add: &str) -> String {
    let mut text: String = TASKS_ROSTER
        .lines()
        .filter(|line| !drop.iter().any(|name| line.contains(&format!(",{name},"))))
        .map(|line| format!("{line}\n"))
        .collect();
    text.push_str(add);
    text
}

async fn person_id(t: &TestDb, name: &str) -> Option<i64> {
    let n = t
        .count(&format!(
            "SELECT COUNT(*) FROM persons WHERE name = '{name}'"
        ))
        .await;
    if n == 0 {
        return None;
    }
    Some(
        t.count(&format!(
            "SELECT CAST(MAX(id) AS BIGINT) FROM persons WHERE name = '{name}'"
        ))
        .await,
    )
}

async fn lost_in_stats(t: &TestDb) -> i64 {
    xunren_registry::stats::registry_stats(&t.db)
        .await
        .expect("stats")
        .groups
        .iter()
        .map(|g| g.lost)
        .sum()
}

async fn a_newer_roster_keeps_traced_holders(t: &TestDb) {
    let base_id = import_tasks_roster(t).await;
    assert_eq!(
        case::open_cases(&t.db, None, &Actor::system())
            .await
            .expect("open"),
        5
    );
    // History on 张明's case: a lead and an attempt.
    let zhang = person_id(t, "张明").await.expect("张明");
    let case_id = t
        .count(&format!(
            "SELECT CAST(id AS BIGINT) FROM cases WHERE person_id = {zhang}"
        ))
        .await as i32;
    let lead = lead::create(
        &t.db,
        &NewLead::new(case_id, LeadKind::Address, "乔家路12弄3号"),
        &Actor::system(),
    )
    .await
    .expect("lead");
    let attempt = NewAttempt {
        method: AttemptMethod::Visit,
        result: AttemptResult::NoTrace,
        at: None,
        notes: Some("上门未遇".to_string()),
        next_step: None,
    };
    lead::record_attempt(&t.db, lead.id, &attempt, &Actor::system())
        .await
        .expect("attempt");
    let events = format!("SELECT COUNT(*) FROM case_events WHERE case_id = {case_id}");
    let events_before = t.count(&events).await;
    assert!(events_before >= 3, "opened, lead, attempt: {events_before}");
    let blocked = report::blocked(&t.db, base_id, 1).await.expect("blocked");
    assert!(blocked.certificates.iter().any(|c| c.cert_no == "Q-001"));
    assert_eq!(lost_in_stats(t).await, 5);

    // The newer roster: 张明 (承租人 of Q-001, being traced) is replaced by his heir 张小明, and
    // 赵强 (Q-004, no case) by 赵小强.
    let newer = roster_without(
        &["张明", "赵强"],
        "Q-001,乔家路12弄3号,公房,征收一所,老西门街道,艾家弄居委会,张小明,承租人,13900000001,乔家路12弄3号,已联系\n\
         Q-004,望云路9号,公房,征收一所,小南门街道,龙潭居委会,赵小强,承租人,,望云路9号,已联系\n",
    );
    let report = import(t, "newer.csv", &newer).await.expect("newer roster");
    assert_eq!((report.persons.added, report.persons.removed), (2, 2));
    assert_eq!(report.persons_kept_for_cases, 1);
    // 张明 is kept, marked; his case and its whole history stay.
    assert_eq!(person_id(t, "张明").await, Some(zhang));
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM persons WHERE id = {zhang} AND removed_at IS NOT NULL"
        ))
        .await,
        1
    );
    assert_eq!(t.count(&events).await, events_before);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM attempts WHERE lead_id = {}",
            lead.id
        ))
        .await,
        1
    );
    let info = PersonInfo::load(&t.db, &[zhang as i32])
        .await
        .expect("info");
    assert!(info[0].removed_at.is_some());
    // 赵强 had no case: gone.
    assert_eq!(person_id(t, "赵强").await, None);
    // No longer a lost holder: not counted, not matched, blocks nothing, gets no new case.
    assert_eq!(lost_in_stats(t).await, 4);
    let blocked = report::blocked(&t.db, base_id, 1).await.expect("blocked");
    assert!(
        !blocked.certificates.iter().any(|c| c.cert_no == "Q-001"),
        "{:?}",
        blocked.certificates
    );
    assert_eq!(
        case::open_cases(&t.db, None, &Actor::system())
            .await
            .expect("open"),
        0
    );
    // The same newer roster again: nothing changes, 张明 is not removed twice.
    let again = import(t, "newer-again.csv", &newer).await.expect("again");
    assert_eq!(
        (again.persons.removed, again.persons_kept_for_cases),
        (0, 0)
    );
    assert_eq!(again.batch_id, None);

    // Listed again: the mark is cleared, same person, same case.
    let back = import(t, "back.csv", TASKS_ROSTER).await.expect("back");
    assert_eq!(back.persons.changed, 1, "{:?}", back.persons);
    assert_eq!(person_id(t, "张明").await, Some(zhang));
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM persons WHERE id = {zhang} AND removed_at IS NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        t.count(&format!(
            "SELECT CAST(id AS BIGINT) FROM cases WHERE person_id = {zhang}"
        ))
        .await as i32,
        case_id
    );
    assert_eq!(lost_in_stats(t).await, 5);

    // A roster without certificate Q-005, whose holder 孙丽 is being traced: refused, nothing
    // written.
    let before = t.snapshot().await;
    match import(t, "truncated.csv", &roster_without(&["孙丽"], "")).await {
        Err(ImportError::TracedCertificatesDropped {
            count,
            certificates,
            ..
        }) => {
            assert_eq!((count, certificates.as_str()), (1, "Q-005"));
        }
        other => panic!("expected TracedCertificatesDropped, got {other:?}"),
    }
    assert_eq!(t.snapshot().await, before);
}

on_both_databases!(a_newer_roster_keeps_traced_holders);
