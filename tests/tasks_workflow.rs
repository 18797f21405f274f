//! The tracing workflow (xunren-tasks) on SQLite and PostgreSQL: every case state transition
//! (legal and refused) with its audit trail, staff import and verbs, leads, attempts and chains,
//! every assignment rule and its relaxation, and the claim race.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Statement};
use xunren_tasks::case::{self, Actor};
use xunren_tasks::code::{
    AttemptMethod, AttemptResult, CaseState, LeadKind, LeadOutcome, StaffRole,
};
use xunren_tasks::lead::{self, NewAttempt, NewLead};
use xunren_tasks::staff::{self, StaffChange, StaffInput};
use xunren_tasks::{TaskError, assign};
use xunren_tests::{TASKS_STAFF, TestDb, import_tasks_roster, on_both_databases, write_xlsx};

/// Roster and staff imported, a case opened per lost person: case id by person name.
async fn setup(t: &TestDb) -> HashMap<String, i32> {
    import_tasks_roster(t).await;
    let path = t.write("staff.csv", TASKS_STAFF);
    staff::import_staff(&t.db, &path, None, false)
        .await
        .expect("staff import");
    let opened = case::open_cases(&t.db, None, &Actor::system())
        .await
        .expect("open cases");
    assert_eq!(opened, 5, "one case per lost person");
    cases_by_name(t).await
}

async fn cases_by_name(t: &TestDb) -> HashMap<String, i32> {
    let rows =
        t.db.query_all_raw(Statement::from_string(
            t.db.get_database_backend(),
            "SELECT p.name, k.id FROM cases k JOIN persons p ON p.id = k.person_id".to_string(),
        ))
        .await
        .expect("cases");
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).expect("name"),
                r.try_get_by_index::<i32>(1).expect("id"),
            )
        })
        .collect()
}

async fn actor(t: &TestDb, name: &str) -> Actor {
    Actor::by_name(&t.db, name).await.expect("a staff member")
}

fn attempt(result: AttemptResult) -> NewAttempt {
    NewAttempt {
        method: AttemptMethod::Visit,
        result,
        at: None,
        notes: Some("上门未遇".to_string()),
        next_step: None,
    }
}

async fn assignee(t: &TestDb, lead_id: i32) -> (Option<String>, Option<String>, Option<i32>) {
    let model = lead::get(&t.db, lead_id).await.expect("the lead");
    let name = match model.assignee_id {
        Some(id) => Some(
            t.db.query_one_raw(Statement::from_string(
                t.db.get_database_backend(),
                format!("SELECT name FROM staff WHERE id = {id}"),
            ))
            .await
            .expect("q")
            .expect("row")
            .try_get_by_index::<String>(0)
            .expect("name"),
        ),
        None => None,
    };
    (name, model.assignment_reason, model.assignment_level)
}

/// A lead in the pool (unassigned), then one assignment run: who got it, why, at which level.
async fn assign_one(
    t: &TestDb,
    case_id: i32,
    skills: &[&str],
) -> (i32, Option<String>, String, Option<i32>) {
    let new = NewLead {
        required_skills: skills.iter().map(|s| s.to_string()).collect(),
        ..NewLead::new(case_id, LeadKind::Address, "复兴东路100弄2号")
    };
    let model = lead::create_in_pool(&t.db, &new, &Actor::system())
        .await
        .expect("a lead");
    assign::assign_unassigned(&t.db, &assign::AssignOptions::default(), &Actor::system())
        .await
        .expect("assign");
    let (name, reason, level) = assignee(t, model.id).await;
    (model.id, name, reason.unwrap_or_default(), level)
}

async fn every_transition_legal_and_refused_with_audit(t: &TestDb) {
    let cases = setup(t).await;
    let id = cases["张明"];
    let by = actor(t, "周磊").await;
    let backend = t.db.get_database_backend();
    let mut legal = 0;
    for from in CaseState::ALL {
        for to in CaseState::ALL {
            t.db.execute_raw(Statement::from_string(
                backend,
                format!(
                    "UPDATE cases SET state = '{}' WHERE id = {id}",
                    from.as_code()
                ),
            ))
            .await
            .expect("set the state");
            let before = t
                .count(&format!(
                    "SELECT COUNT(*) FROM case_events WHERE case_id = {id}"
                ))
                .await;
            let result = case::transition(&t.db, id, *to, Some("原因 reason"), &by).await;
            let after = t
                .count(&format!(
                    "SELECT COUNT(*) FROM case_events WHERE case_id = {id}"
                ))
                .await;
            let state = case::get(&t.db, id).await.expect("case").state;
            if from.can_go_to(*to) {
                legal += 1;
                let model = result.unwrap_or_else(|e| panic!("{from} → {to}: {e}"));
                assert_eq!(model.state, to.as_code());
                assert_eq!(state, to.as_code());
                assert_eq!(after, before + 1, "{from} → {to} is logged");
            } else {
                match result {
                    Err(TaskError::IllegalTransition {
                        from: f, to: tt, ..
                    }) => {
                        assert_eq!((f, tt), (*from, *to));
                    }
                    other => panic!("{from} → {to} must be refused, got {other:?}"),
                }
                assert_eq!(
                    state,
                    from.as_code(),
                    "a refused transition changes nothing"
                );
                assert_eq!(after, before, "a refused transition logs nothing");
            }
        }
    }
    assert_eq!(legal, 21);

    // A fresh walk: open → tracing → located → contacted, audit lines in order.
    let id = cases["王建国"];
    for to in [CaseState::Tracing, CaseState::Located, CaseState::Contacted] {
        case::transition(&t.db, id, to, None, &by)
            .await
            .expect("legal");
    }
    let history = case::history(&t.db, id).await.expect("history");
    let steps: Vec<(Option<String>, Option<String>, String)> = history
        .iter()
        .map(|e| (e.from_state.clone(), e.to_state.clone(), e.actor.clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, Some("open".into()), "system".into()),
            (Some("open".into()), Some("tracing".into()), "周磊".into()),
            (
                Some("tracing".into()),
                Some("located".into()),
                "周磊".into()
            ),
            (
                Some("located".into()),
                Some("contacted".into()),
                "周磊".into()
            ),
        ]
    );
    let model = case::get(&t.db, id).await.expect("case");
    assert!(model.located_at.is_some() && model.resolved_at.is_some());

    // Closing needs a reason; with one it is stored and logged.
    let id = cases["陈芳"];
    match case::transition(&t.db, id, CaseState::Deceased, Some("  "), &by).await {
        Err(TaskError::ReasonRequired { to, .. }) => assert_eq!(to, CaseState::Deceased),
        other => panic!("expected ReasonRequired, got {other:?}"),
    }
    let closed = case::transition(
        &t.db,
        id,
        CaseState::Abroad,
        Some("定居加拿大，需公证委托"),
        &by,
    )
    .await
    .expect("close as abroad");
    assert_eq!(
        closed.closing_reason.as_deref(),
        Some("定居加拿大，需公证委托")
    );
    let last = case::history(&t.db, id)
        .await
        .expect("h")
        .pop()
        .expect("a line");
    assert_eq!(last.note.as_deref(), Some("定居加拿大，需公证委托"));
    // Reopening needs a reason too, and clears the closing reason.
    assert!(matches!(
        case::transition(&t.db, id, CaseState::Tracing, None, &by).await,
        Err(TaskError::ReasonRequired { .. })
    ));
    let reopened = case::transition(&t.db, id, CaseState::Tracing, Some("亲属提供新地址"), &by)
        .await
        .expect("reopen");
    assert_eq!(reopened.closing_reason, None);
    // Unknown case.
    assert!(matches!(
        case::transition(&t.db, 999_999, CaseState::Tracing, None, &by).await,
        Err(TaskError::NotFound { .. })
    ));
    // Opening again opens nothing new.
    assert_eq!(
        case::open_cases(&t.db, None, &Actor::system())
            .await
            .expect("again"),
        0
    );
}

async fn staff_import_verbs_and_errors(t: &TestDb) {
    import_tasks_roster(t).await;
    let path = t.write("staff.csv", TASKS_STAFF);
    let report = staff::import_staff(&t.db, &path, None, false)
        .await
        .expect("import");
    assert_eq!((report.rows, report.added), (5, 5));
    let list = staff::list(&t.db).await.expect("list");
    let meng = list.iter().find(|s| s.name == "孟晓晔").expect("孟晓晔");
    assert_eq!(
        (meng.role.as_str(), meng.skills.as_str(), meng.capacity),
        ("liaison", "法律;房产", 5)
    );
    let du = list.iter().find(|s| s.name == "督导甲").expect("督导甲");
    assert_eq!(
        (du.role.as_str(), du.subdistricts.as_str()),
        ("supervisor", "老西门街道;小南门街道")
    );
    // The same file again changes nothing; a changed capacity is one change.
    let again = staff::import_staff(&t.db, &path, None, false)
        .await
        .expect("again");
    assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 5));
    let changed = TASKS_STAFF.replace("法律,2", "法律,4");
    let path2 = t.write("staff2.csv", &changed);
    let again = staff::import_staff(&t.db, &path2, None, false)
        .await
        .expect("changed");
    assert_eq!((again.changed, again.unchanged), (1, 4));

    // A bad file: every problem with row and column, nothing written.
    let before = t.snapshot().await;
    let bad = "姓名,角色,小组,容量\n王五,厨师,第一小组,3\n,联络员,,3\n赵六,联络员,,很多\n赵六,联络员,,2\n";
    let path = t.write("bad.csv", bad);
    match staff::import_staff(&t.db, &path, None, false).await {
        Err(xunren_registry::ImportError::Invalid { problems, .. }) => {
            let text: Vec<String> = problems.listed.iter().map(ToString::to_string).collect();
            assert_eq!(problems.total, 4, "{text:?}");
            assert!(
                text[0].contains("第 2 行「角色」列") && text[0].contains("厨师"),
                "{text:?}"
            );
            assert!(text[1].contains("第 3 行「姓名」列"), "{text:?}");
            assert!(text[2].contains("第 4 行「容量」列"), "{text:?}");
            assert!(
                text[3].contains("第 5 行") && text[3].contains("row 4"),
                "{text:?}"
            );
        }
        other => panic!("expected an invalid file, got {other:?}"),
    }
    let missing = t.write("missing.csv", "姓名,角色\n王五,联络员\n");
    assert!(matches!(
        staff::import_staff(&t.db, &missing, None, false).await,
        Err(xunren_registry::ImportError::MissingColumn { zh: "容量", .. })
    ));
    assert_eq!(t.snapshot().await, before);

    // xlsx, with English headers.
    let path = t.path("staff.xlsx");
    write_xlsx(
        &path,
        &[
            &[
                "name",
                "role",
                "team",
                "subdistricts",
                "committees",
                "skills",
                "capacity",
            ],
            &[
                "钱七",
                "组长",
                "第二小组",
                "小南门街道",
                "龙潭居委会",
                "外语、法律",
                "6",
            ],
        ],
    );
    let report = staff::import_staff(&t.db, &path, None, false)
        .await
        .expect("xlsx");
    assert_eq!(report.added, 1);

    // Add, change, leave, back.
    let input = StaffInput {
        name: "孙八".into(),
        role: StaffRole::Office,
        team: Some("第三小组".into()),
        subdistricts: vec!["小南门街道".into()],
        committees: vec![],
        skills: vec!["财务".into()],
        capacity: 3,
    };
    staff::add(&t.db, &input).await.expect("add");
    assert!(matches!(
        staff::add(&t.db, &input).await,
        Err(TaskError::StaffExists(_))
    ));
    let changed = staff::change(
        &t.db,
        "孙八",
        &StaffChange {
            capacity: Some(8),
            skills: Some(vec!["财务".into(), "法律".into()]),
            ..Default::default()
        },
    )
    .await
    .expect("change");
    assert_eq!(
        (changed.capacity, changed.skills.as_str()),
        (8, "财务;法律")
    );
    assert!(matches!(
        staff::change(
            &t.db,
            "孙八",
            &StaffChange {
                capacity: Some(-1),
                ..Default::default()
            }
        )
        .await,
        Err(TaskError::Invalid { .. })
    ));
    staff::put_on_leave(&t.db, "孙八", &Actor::system())
        .await
        .expect("leave");
    assert_eq!(
        staff::find_by_name(&t.db, "孙八").await.expect("x").status,
        "on_leave"
    );
    assert!(matches!(
        assign::reassign(&t.db, 1, "孙八", "试", &Actor::system()).await,
        Err(TaskError::StaffOnLeave(_))
    ));
    staff::put_back(&t.db, "孙八").await.expect("back");
    assert_eq!(
        staff::find_by_name(&t.db, "孙八").await.expect("x").status,
        "active"
    );
}

async fn leads_attempts_and_chains(t: &TestDb) {
    let cases = setup(t).await;
    let id = cases["王建国"];
    let root = lead::create(
        &t.db,
        &NewLead::new(id, LeadKind::Address, "复兴东路100弄2号"),
        &Actor::system(),
    )
    .await
    .expect("a lead");
    assert!(root.assignee_id.is_some(), "assigned on creation");
    assert!(root.due_date.is_some());
    let by = actor(t, "周磊").await;

    // Not closed without an attempt.
    match lead::close(&t.db, root.id, LeadOutcome::DeadEnd, None, &[], &by).await {
        Err(TaskError::NoAttempt(lead_id)) => assert_eq!(lead_id, root.id),
        other => panic!("expected NoAttempt, got {other:?}"),
    }
    // An attempt moves the case to tracing.
    lead::record_attempt(&t.db, root.id, &attempt(AttemptResult::NewInfo), &by)
        .await
        .expect("attempt");
    assert_eq!(case::get(&t.db, id).await.expect("c").state, "tracing");
    // The old address was demolished: ask the committee that covered it, and a relative.
    let closed = lead::close(
        &t.db,
        root.id,
        LeadOutcome::NewInfo,
        Some("原址已拆，原居委会可查"),
        &[
            (LeadKind::Committee, "原复兴东路居委会".to_string()),
            (LeadKind::Phone, "邻居 13912345678".to_string()),
        ],
        &by,
    )
    .await
    .expect("close with follow-ups");
    assert_eq!(closed.follow_ups.len(), 2);
    let (committee_lead, phone_lead) = (closed.follow_ups[0], closed.follow_ups[1]);
    assert!(
        lead::get(&t.db, committee_lead)
            .await
            .expect("l")
            .assignee_id
            .is_some()
    );
    assert!(matches!(
        lead::record_attempt(&t.db, root.id, &attempt(AttemptResult::NoTrace), &by).await,
        Err(TaskError::LeadClosed(_))
    ));
    // The phone is a dead end.
    lead::record_attempt(&t.db, phone_lead, &attempt(AttemptResult::NoTrace), &by)
        .await
        .expect("attempt");
    lead::close(
        &t.db,
        phone_lead,
        LeadOutcome::DeadEnd,
        Some("空号"),
        &[],
        &by,
    )
    .await
    .expect("dead end");
    // The committee finds a relative; the relative reaches him.
    lead::record_attempt(&t.db, committee_lead, &attempt(AttemptResult::NewInfo), &by)
        .await
        .expect("attempt");
    let relative = lead::close(
        &t.db,
        committee_lead,
        LeadOutcome::NewInfo,
        None,
        &[(LeadKind::Relative, "其侄 王某".to_string())],
        &by,
    )
    .await
    .expect("close")
    .follow_ups[0];
    assert!(
        case::stuck_cases(&t.db)
            .await
            .expect("stuck")
            .contains(&cases["张明"])
    );
    assert!(!case::stuck_cases(&t.db).await.expect("stuck").contains(&id));
    // A lead still open when the person is reached is withdrawn, in nobody's load any more.
    let extra = lead::create(
        &t.db,
        &NewLead::new(id, LeadKind::Police, "派出所协查"),
        &Actor::system(),
    )
    .await
    .expect("extra lead");
    lead::record_attempt(&t.db, relative, &attempt(AttemptResult::Reached), &by)
        .await
        .expect("attempt");
    let done = lead::close(
        &t.db,
        relative,
        LeadOutcome::Reached,
        Some("已通话"),
        &[],
        &by,
    )
    .await
    .expect("reached");
    assert_eq!(done.case_state, "contacted");
    // The chain: root → (committee → relative), (phone: dead end).
    let chain = lead::chain(&t.db, id).await.expect("chain");
    let shape: Vec<(usize, i32, bool)> = chain
        .iter()
        .map(|n| (n.depth, n.lead.id, n.dead_end))
        .collect();
    assert_eq!(
        shape,
        vec![
            (0, root.id, false),
            (1, committee_lead, false),
            (2, relative, false),
            (1, phone_lead, true),
            (0, extra.id, false),
        ]
    );
    let withdrawn = lead::get(&t.db, extra.id).await.expect("extra");
    assert_eq!(
        (withdrawn.status.as_str(), withdrawn.outcome.as_deref()),
        ("closed", Some("withdrawn"))
    );
    assert!(matches!(
        lead::close(&t.db, relative, LeadOutcome::Withdrawn, None, &[], &by).await,
        Err(TaskError::LeadClosed(_))
    ));
    // Lists mask phones.
    let phone = chain
        .iter()
        .find(|n| n.lead.id == phone_lead)
        .expect("phone");
    assert!(
        phone.lead.detail.contains("139****5678"),
        "{}",
        phone.lead.detail
    );
    // The case went through located to contacted, both logged; a closed case takes no leads.
    let states: Vec<String> = case::history(&t.db, id)
        .await
        .expect("h")
        .iter()
        .filter(|e| e.kind == "state")
        .filter_map(|e| e.to_state.clone())
        .collect();
    assert_eq!(states, ["open", "tracing", "located", "contacted"]);
    assert!(matches!(
        lead::create(
            &t.db,
            &NewLead::new(id, LeadKind::Phone, "x"),
            &Actor::system()
        )
        .await,
        Err(TaskError::CaseClosed(_))
    ));
    let view = lead::view(&t.db, relative).await.expect("view");
    assert_eq!(view.attempts.len(), 1);
    assert_eq!(view.chain.len(), 5);
    assert_eq!(view.person.expect("person").masked_name(), "王**");
}

async fn area_then_skills(t: &TestDb) {
    let cases = setup(t).await;
    // Area: both committee cadres of 艾家弄 fit; equal load share and history → lower id (周磊).
    let (_, who, why, level) = assign_one(t, cases["张明"], &[]).await;
    assert_eq!((who.as_deref(), level), (Some("周磊"), Some(0)));
    assert!(
        why.contains("片区: 艾家弄居委会") && why.contains("area: committee"),
        "{why}"
    );
    // Subdistrict area: 陈芳 is in 小南门街道 (龙潭): 刘洋 covers the subdistrict.
    let (_, who, why, _) = assign_one(t, cases["陈芳"], &[]).await;
    assert_eq!(who.as_deref(), Some("刘洋"));
    assert!(why.contains("片区: 小南门街道"), "{why}");
    // Skills are a requirement at level 0: 李秀英's household is familiar to 周磊, but 法律 is
    // required and of those familiar or in the area only 孟晓晔 has it.
    let (_, who, why, level) = assign_one(t, cases["李秀英"], &["法律"]).await;
    assert_eq!((who.as_deref(), level), (Some("孟晓晔"), Some(0)), "{why}");
    assert!(why.contains("技能齐备: 法律"), "{why}");
}

/// Gives `name` a lead of `case_id` by hand (it counts as load, and as familiarity with that
/// person only).
async fn give(t: &TestDb, case_id: i32, name: &str) -> i32 {
    let model = lead::create_in_pool(
        &t.db,
        &NewLead::new(case_id, LeadKind::Police, "派出所协查"),
        &Actor::system(),
    )
    .await
    .expect("pool lead");
    assign::reassign(&t.db, model.id, name, "测试", &Actor::system())
        .await
        .expect("reassign");
    model.id
}

async fn load_then_fairness(t: &TestDb) {
    let cases = setup(t).await;
    give(t, cases["孙丽"], "周磊").await;
    give(t, cases["孙丽"], "周磊").await;
    // Load: 周磊 2/10 against 孟晓晔 0/5 → 孟晓晔, though 周磊 has the lower id.
    let (_, who, why, _) = assign_one(t, cases["张明"], &[]).await;
    assert_eq!(who.as_deref(), Some("孟晓晔"), "{why}");
    assert!(why.contains("负荷 0/5"), "{why}");
    // Fairness: 周磊 2/10 = 孟晓晔 1/5; 孟晓晔 has received fewer leads (1 against 2).
    let (_, who, why, _) = assign_one(t, cases["王建国"], &[]).await;
    assert_eq!(who.as_deref(), Some("孟晓晔"), "{why}");
    assert!(why.contains("负荷 1/5"), "{why}");
}

async fn familiarity_first(t: &TestDb) {
    let cases = setup(t).await;
    staff::change(
        &t.db,
        "刘洋",
        &StaffChange {
            capacity: Some(10),
            ..Default::default()
        },
    )
    .await
    .expect("capacity");
    // 刘洋 (小南门 office staff, no area in 艾家弄) claims and works a lead of 王建国.
    let wang_lead = lead::create_in_pool(
        &t.db,
        &NewLead::new(cases["王建国"], LeadKind::Phone, "63219876"),
        &Actor::system(),
    )
    .await
    .expect("pool lead");
    assign::claim(&t.db, wang_lead.id, "刘洋")
        .await
        .expect("claim");
    lead::record_attempt(
        &t.db,
        wang_lead.id,
        &attempt(AttemptResult::NoTrace),
        &actor(t, "刘洋").await,
    )
    .await
    .expect("attempt");
    // The next lead of 王建国 goes to 刘洋 (familiar), not to the committee's cadres (area).
    let (_, who, why, _) = assign_one(t, cases["王建国"], &[]).await;
    assert_eq!(who.as_deref(), Some("刘洋"), "{why}");
    assert!(why.contains("熟人: 曾办理本人"), "{why}");
    // Familiar by address: 陈芳 is registered at the same old address as 王建国.
    let (_, who, why, _) = assign_one(t, cases["陈芳"], &[]).await;
    assert_eq!(who.as_deref(), Some("刘洋"));
    assert!(why.contains("熟人: 曾办理同一户籍地址"), "{why}");
    // Familiar by household: 刘洋 claims a lead of 张明; 李秀英 (same certificate) follows.
    let zhang = lead::create_in_pool(
        &t.db,
        &NewLead::new(cases["张明"], LeadKind::Phone, "13812345678"),
        &Actor::system(),
    )
    .await
    .expect("pool lead");
    assign::claim(&t.db, zhang.id, "刘洋").await.expect("claim");
    let (_, who, why, _) = assign_one(t, cases["李秀英"], &[]).await;
    assert_eq!(who.as_deref(), Some("刘洋"));
    assert!(why.contains("同户"), "{why}");
}

async fn relaxation_in_stated_order(t: &TestDb) {
    let cases = setup(t).await;
    // Level 1: 外语 is required and nobody has it: skills relax, the area holds (刘洋 for 小南门).
    let (_, who, why, level) = assign_one(t, cases["陈芳"], &["外语"]).await;
    assert_eq!((who.as_deref(), level), (Some("刘洋"), Some(1)), "{why}");
    assert!(why.contains("技能不全") && why.contains("第1级"), "{why}");
    // A wait: with relax_after = 1 day a fresh lead only takes level 0 — nobody fits, it waits.
    let sun = lead::create_in_pool(
        &t.db,
        &NewLead::new(cases["孙丽"], LeadKind::Police, "耀江派出所"),
        &Actor::system(),
    )
    .await
    .expect("lead");
    let mut options = assign::AssignOptions {
        relax_after: chrono::Duration::days(1),
        now: sun.created_at,
    };
    let report = assign::assign_unassigned(&t.db, &options, &Actor::system())
        .await
        .expect("assign");
    assert_eq!((report.assigned, report.unassigned), (0, 1));
    assert_eq!(assignee(t, sun.id).await.0, None);
    // One day later: level 1 — still nobody (no area, no familiarity). Two days: level 2.
    options.now = sun.created_at + chrono::Duration::days(1) + chrono::Duration::minutes(1);
    let report = assign::assign_unassigned(&t.db, &options, &Actor::system())
        .await
        .expect("a");
    assert_eq!(report.assigned, 0);
    options.now = sun.created_at + chrono::Duration::days(2) + chrono::Duration::minutes(1);
    let report = assign::assign_unassigned(&t.db, &options, &Actor::system())
        .await
        .expect("a");
    assert_eq!((report.assigned, report.by_level[2]), (1, 1));
    let (who, why, level) = assignee(t, sun.id).await;
    assert_eq!(level, Some(2));
    assert_ne!(
        who.as_deref(),
        Some("督导甲"),
        "supervisors are not assigned"
    );
    assert!(why.is_some_and(|w| w.contains("放宽片区")));
    // Once someone worked 孙丽, the next lead goes to them at level 0 (familiarity).
    let (_, who, why, level) = assign_one(t, cases["孙丽"], &[]).await;
    assert_eq!(level, Some(0), "{why}");
    assert!(who.is_some() && why.contains("熟人"), "{why}");
    // Level 3: everybody full (capacity 0): the lead still gets someone, never the supervisor.
    for name in ["周磊", "孟晓晔", "刘洋", "陈组长"] {
        staff::change(
            &t.db,
            name,
            &StaffChange {
                capacity: Some(0),
                ..Default::default()
            },
        )
        .await
        .expect("capacity");
    }
    let (_, who, why, level) = assign_one(t, cases["张明"], &[]).await;
    assert_eq!(level, Some(3), "{why}");
    assert!(who.is_some() && who.as_deref() != Some("督导甲"));
    assert!(
        why.contains("超出容量") && why.contains("over capacity"),
        "{why}"
    );
    // Nobody active but the supervisor: the lead stays in the pool.
    for name in ["周磊", "孟晓晔", "刘洋", "陈组长"] {
        staff::put_on_leave(&t.db, name, &Actor::system())
            .await
            .expect("leave");
    }
    let (_, who, _, _) = assign_one(t, cases["张明"], &[]).await;
    assert_eq!(who, None);
    // Every open lead went back to the pool as its assignee went on leave, each logged.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM leads WHERE status = 'open' AND assignee_id IS NOT NULL")
            .await,
        0
    );
    assert!(
        t.count("SELECT COUNT(*) FROM case_events WHERE kind = 'released'")
            .await
            >= 4
    );
}

async fn leave_reassigns_in_bulk(t: &TestDb) {
    let cases = setup(t).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, who, _, _) = assign_one(t, cases["张明"], &[]).await;
        assert!(who.is_some());
        ids.push(id);
    }
    // 周磊 (cadre of 艾家弄) holds some of them; he goes on leave.
    let held_before = t
        .count("SELECT COUNT(*) FROM leads l JOIN staff s ON s.id = l.assignee_id WHERE s.name = '周磊'")
        .await;
    assert!(held_before > 0);
    let report = staff::put_on_leave(&t.db, "周磊", &Actor::system())
        .await
        .expect("leave");
    assert_eq!(report.reassigned, held_before as u64);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM leads l JOIN staff s ON s.id = l.assignee_id WHERE s.name = '周磊'")
            .await,
        0
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM case_events WHERE kind = 'reassigned'")
            .await,
        held_before
    );
    // Manual reassignment, release and claim, each logged with its reason.
    let by = actor(t, "陈组长").await;
    let moved = assign::reassign(&t.db, ids[0], "刘洋", "熟悉该户", &by)
        .await
        .expect("reassign");
    assert!(
        moved
            .assignment_reason
            .as_deref()
            .is_some_and(|r| r.contains("熟悉该户"))
    );
    let released = assign::release(&t.db, ids[0], &by, Some("组长收回"))
        .await
        .expect("release");
    assert_eq!(released.assignee_id, None);
    // A liaison may not release someone else's lead.
    let meng = actor(t, "孟晓晔").await;
    let other = lead::get(&t.db, ids[1]).await.expect("l");
    if other.assignee_id != meng.id {
        assert!(matches!(
            assign::release(&t.db, ids[1], &meng, None).await,
            Err(TaskError::NotAssignee { .. })
        ));
    }
    let claimed = assign::claim(&t.db, ids[0], "孟晓晔").await.expect("claim");
    assert_eq!(claimed.assignee_id, meng.id);
    assert!(matches!(
        assign::claim(&t.db, ids[0], "刘洋").await,
        Err(TaskError::AlreadyAssigned(_))
    ));
    let kinds: Vec<String> = case::history(&t.db, cases["张明"])
        .await
        .expect("h")
        .into_iter()
        .filter(|e| e.lead_id == Some(ids[0]))
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["reassigned", "released", "claimed"]
    );
}

async fn claim_race_has_one_winner(t: &TestDb) {
    let cases = setup(t).await;
    for name in ["钱一", "钱二", "钱三", "钱四", "钱五", "钱六"] {
        let input = StaffInput {
            name: name.into(),
            role: StaffRole::Liaison,
            team: None,
            subdistricts: vec![],
            committees: vec![],
            skills: vec![],
            capacity: 5,
        };
        staff::add(&t.db, &input).await.expect("add");
    }
    let claimers = [
        "周磊",
        "孟晓晔",
        "刘洋",
        "陈组长",
        "钱一",
        "钱二",
        "钱三",
        "钱四",
        "钱五",
        "钱六",
    ];
    for round in 0..5 {
        let model = lead::create_in_pool(
            &t.db,
            &NewLead::new(cases["张明"], LeadKind::Address, format!("地址 {round}")),
            &Actor::system(),
        )
        .await
        .expect("lead");
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(claimers.len()));
        let mut handles = Vec::new();
        for name in claimers {
            let db = t.db.clone();
            let barrier = barrier.clone();
            handles.push(tokio::spawn(async move {
                barrier.wait().await;
                (name, assign::claim(&db, model.id, name).await)
            }));
        }
        let mut winners = Vec::new();
        for handle in handles {
            let (name, result) = handle.await.expect("the task");
            match result {
                Ok(won) => winners.push((name, won.assignee_id)),
                Err(TaskError::ClaimLost(_) | TaskError::AlreadyAssigned(_)) => {}
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one winner, got {winners:?}"
        );
        let winner = actor(t, winners[0].0).await;
        let stored = lead::get(&t.db, model.id).await.expect("lead");
        assert_eq!(stored.assignee_id, winner.id);
        assert_eq!(stored.version, 1);
        assert_eq!(
            t.count(&format!(
                "SELECT COUNT(*) FROM case_events WHERE lead_id = {} AND kind = 'claimed'",
                model.id
            ))
            .await,
            1
        );
    }
}

async fn assign_turns_candidates_into_leads(t: &TestDb) {
    import_tasks_roster(t).await;
    let path = t.write("staff.csv", TASKS_STAFF);
    staff::import_staff(&t.db, &path, None, false)
        .await
        .expect("staff");
    let backend = t.db.get_database_backend();
    let at = "2026-11-28 08:00:00+00:00";
    let refs = t.write(
        "refs.csv",
        "来源,记录号,姓名,联系电话,地址\n旧改档案,A-17,王建国,13900001111,浦东新区锦绣路100弄5号\n旧改档案,A-18,王小明,,闵行区莘庄镇1号\n",
    );
    let options = xunren_registry::import::reference::ReferenceOptions {
        source: None,
        sheet: None,
        replace: false,
        dry_run: false,
    };
    xunren_registry::import::reference::import_reference(&t.db, &refs, &options, &|_| {})
        .await
        .expect("reference records");
    let sql = format!(
        "INSERT INTO match_candidates (person_id, reference_record_id, kind, rank, score, evidence, matched_at)
         SELECT p.id, r.id, CASE WHEN r.record_id = 'A-17' THEN 'person' ELSE 'relative' END, 1, 0.93, '[]', '{at}'
         FROM persons p, reference_records r WHERE p.name = '王建国'"
    );
    t.db.execute_raw(Statement::from_string(backend, sql))
        .await
        .expect("candidates");
    let report = assign::run(
        &t.db,
        None,
        &assign::AssignOptions::default(),
        &Actor::system(),
    )
    .await
    .expect("assign");
    assert_eq!((report.opened_cases, report.candidate_leads), (5, 2));
    assert_eq!(report.assigned, 2);
    let kinds: Vec<(String, String)> = lead::pool(&t.db)
        .await
        .expect("pool")
        .into_iter()
        .map(|l| (l.kind, l.detail))
        .collect();
    assert!(
        kinds.is_empty(),
        "every candidate lead is assigned: {kinds:?}"
    );
    let cases = cases_by_name(t).await;
    let chain = lead::chain(&t.db, cases["王建国"]).await.expect("chain");
    let mut got: Vec<(String, bool)> = chain
        .iter()
        .map(|n| (n.lead.kind.clone(), n.lead.detail.contains("旧改档案#A-1")))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("candidate".to_string(), true),
            ("relative".to_string(), true)
        ]
    );
    // The phone is masked in lists, plain in the lead's own view, with the candidate's score.
    let person_lead = chain
        .iter()
        .find(|n| n.lead.kind == "candidate")
        .expect("candidate lead");
    assert!(
        person_lead.lead.detail.contains("139****1111"),
        "{}",
        person_lead.lead.detail
    );
    let view = lead::view(&t.db, person_lead.lead.id).await.expect("view");
    assert!(view.detail.contains("13900001111"));
    let candidate = view.candidate.expect("candidate");
    assert_eq!(
        (candidate.source.as_str(), candidate.record_id.as_str()),
        ("旧改档案", "A-17")
    );
    // Running again opens and makes nothing new.
    let again = assign::run(
        &t.db,
        None,
        &assign::AssignOptions::default(),
        &Actor::system(),
    )
    .await
    .expect("again");
    assert_eq!(
        (again.opened_cases, again.candidate_leads, again.assigned),
        (0, 0, 0)
    );
}

async fn concurrent_writes_all_succeed(t: &TestDb) {
    let cases = setup(t).await;
    // Ten staff at work at once: each records an attempt on a lead of their own and closes it.
    let mut ids = Vec::new();
    for i in 0..10 {
        let name = format!("并发{i}");
        let input = StaffInput {
            name: name.clone(),
            role: StaffRole::Liaison,
            team: None,
            subdistricts: vec![],
            committees: vec![],
            skills: vec![],
            capacity: 5,
        };
        staff::add(&t.db, &input).await.expect("add");
        let case_id = cases[["张明", "李秀英", "王建国", "陈芳", "孙丽"][i % 5]];
        let l = lead::create_in_pool(
            &t.db,
            &NewLead::new(case_id, LeadKind::Phone, format!("电话 {i}")),
            &Actor::system(),
        )
        .await
        .expect("lead");
        assign::claim(&t.db, l.id, &name).await.expect("claim");
        ids.push((l.id, name));
    }
    let mut handles = Vec::new();
    for (lead_id, name) in ids {
        let db = t.db.clone();
        handles.push(tokio::spawn(async move {
            let by = Actor::by_name(&db, &name).await?;
            lead::record_attempt(&db, lead_id, &attempt(AttemptResult::NoTrace), &by).await?;
            lead::close(&db, lead_id, LeadOutcome::DeadEnd, None, &[], &by).await?;
            Ok::<(), TaskError>(())
        }));
    }
    for handle in handles {
        handle
            .await
            .expect("the task")
            .expect("every write succeeds");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM attempts").await, 10);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM leads WHERE outcome = 'dead_end'")
            .await,
        10
    );
}

/// The audit log is append-only in the database: no UPDATE, no DELETE of an event while its case
/// exists — whoever asks, even by hand-written SQL; a case's events go with the case.
async fn audit_log_is_append_only_in_the_database(t: &TestDb) {
    let cases = setup(t).await;
    let case_id = *cases.values().next().expect("a case");
    let clerk = actor(t, "周磊").await;
    case::transition(&t.db, case_id, CaseState::Tracing, None, &clerk)
        .await
        .expect("open → tracing");
    let events = t
        .count(&format!(
            "SELECT COUNT(*) FROM case_events WHERE case_id = {case_id}"
        ))
        .await;
    assert!(events >= 2, "opened and moved: {events}");
    for sql in [
        format!("UPDATE case_events SET note = '改过' WHERE case_id = {case_id}"),
        format!("UPDATE case_events SET actor = 'someone' WHERE case_id = {case_id}"),
        format!("UPDATE case_events SET lead_id = 1 WHERE case_id = {case_id}"),
        format!("DELETE FROM case_events WHERE case_id = {case_id}"),
    ] {
        let refused = t.db.execute_unprepared(&sql).await;
        let message = refused.expect_err(&sql).to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM case_events WHERE case_id = {case_id}"
        ))
        .await,
        events,
        "nothing changed"
    );
    // Deleting the case takes its events with it (ON DELETE CASCADE).
    t.db.execute_unprepared(&format!("DELETE FROM cases WHERE id = {case_id}"))
        .await
        .expect("a case can go, with its events");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM case_events WHERE case_id = {case_id}"
        ))
        .await,
        0
    );
    // The view audit: no update, no delete.
    t.db.execute_unprepared(
        "INSERT INTO view_audit (user_id, user_name, at, subject, subject_id, path) \
         VALUES (NULL, 'supervisor', '2026-11-28 08:00:00+00:00', 'person', 1, '/persons/1')",
    )
    .await
    .expect("append");
    for sql in [
        "UPDATE view_audit SET user_name = 'nobody'",
        "DELETE FROM view_audit",
    ] {
        let message =
            t.db.execute_unprepared(sql)
                .await
                .expect_err(sql)
                .to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM view_audit").await, 1);
}

on_both_databases!(
    audit_log_is_append_only_in_the_database,
    every_transition_legal_and_refused_with_audit,
    staff_import_verbs_and_errors,
    leads_attempts_and_chains,
    area_then_skills,
    load_then_fairness,
    familiarity_first,
    relaxation_in_stated_order,
    leave_reassigns_in_bulk,
    claim_race_has_one_winner,
    assign_turns_candidates_into_leads,
    concurrent_writes_all_succeed,
);
