//! Votes and supervisor reports (xunren-tasks) on SQLite and PostgreSQL: the consultation table
//! of 乔家路北块(一期) reproduced figure for figure, votes import rules, the gap to the threshold,
//! blocked certificates, unresolved cases, staff load, overdue leads, escalation, digest, burn-down.

use std::fmt::Write;

use xunren_tasks::case::{self, Actor};
use xunren_tasks::code::{
    AttemptMethod, AttemptResult, CaseState, LeadKind, LeadOutcome, Opinion, ThresholdRule,
};
use xunren_tasks::lead::{self, NewAttempt, NewLead};
use xunren_tasks::report::{self, Format, GroupBy};
use xunren_tasks::{TaskError, deadline, staff, vote};
use xunren_tests::{TASKS_STAFF, TestDb, import_tasks_roster, on_both_databases};

/// The article's base: 征收一所 老西门街道 1191, 小南门街道 772; 征收三所 39 organisations (some
/// of them located in a subdistrict — they still count as 单位). One holder per certificate.
fn article_roster() -> (String, String) {
    let mut roster = String::from("权证号,房屋类型,征收所,街道,居委会,姓名,身份,联系状态\n");
    let mut votes = String::from("权证号,轮次,意见\n");
    let mut n = 0;
    let mut add =
        |roster: &mut String, kind: &str, dept: &str, street: &str, committee: &str, role: &str| {
            n += 1;
            let _ = writeln!(
                roster,
                "Q{n:05},{kind},{dept},{street},{committee},住户{n},{role},已联系"
            );
            let _ = writeln!(votes, "Q{n:05},1,同意");
        };
    for _ in 0..1191 {
        add(
            &mut roster,
            "公房",
            "征收一所",
            "老西门街道",
            "艾家弄居委会",
            "承租人",
        );
    }
    for i in 0..772 {
        let kind = if i % 3 == 0 { "私房" } else { "公房" };
        let role = if i % 3 == 0 { "产权人" } else { "承租人" };
        add(
            &mut roster,
            kind,
            "征收一所",
            "小南门街道",
            "龙潭居委会",
            role,
        );
    }
    for i in 0..39 {
        let street = if i % 4 == 0 { "老西门街道" } else { "" };
        add(&mut roster, "单位", "征收三所", street, "", "单位");
    }
    (roster, votes)
}

async fn consultation_table_reproduces_the_article(t: &TestDb) {
    let (roster, votes) = article_roster();
    let path = t.write("roster.csv", &roster);
    let options = xunren_registry::import::roster::RosterOptions {
        base: "乔家路北块(一期)".to_string(),
        sheet: None,
        dry_run: false,
    };
    xunren_registry::import::roster::import_roster(&t.db, &path, &options, &|_| {})
        .await
        .expect("roster");
    vote::configure_base(
        &t.db,
        "乔家路北块(一期)",
        &vote::BaseSettings {
            round1_date: chrono::NaiveDate::from_ymd_opt(2020, 8, 16),
            ..Default::default()
        },
    )
    .await
    .expect("round date");
    let path = t.write("votes.csv", &votes);
    let report = vote::import_votes(&t.db, &path, None, None, false)
        .await
        .expect("votes");
    assert_eq!((report.rows, report.added), (2002, 2002));
    let base = vote::resolve_base(&t.db, None).await.expect("base");
    let c = report::consultation(&t.db, base.id, 1)
        .await
        .expect("report");
    let table = c.table();
    assert_eq!(
        table.headers,
        [
            "部门",
            "街道",
            "权证数",
            "同意",
            "反对",
            "弃权",
            "废票",
            "同意率"
        ]
    );
    let expected: Vec<Vec<&str>> = vec![
        vec![
            "征收一所",
            "老西门街道",
            "1191",
            "1191",
            "0",
            "0",
            "0",
            "100%",
        ],
        vec!["", "小南门街道", "772", "772", "0", "0", "0", "100%"],
        vec!["合计", "", "1963", "1963", "0", "0", "0", "100%"],
        vec!["征收三所", "单位", "39", "39", "0", "0", "0", "100%"],
        vec!["", "合计", "2002", "2002", "0", "0", "0", "100%"],
    ];
    let got: Vec<Vec<&str>> = table
        .rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        table.title,
        "乔家路北块(一期) 一轮意愿征询投票统计 (2020.8.16)"
    );
    assert_eq!(table.notes[0], "百分比 (%) 同意数占总权证数 100%");
    assert!(table.notes[1].contains("已达到"), "{:?}", table.notes);
    assert_eq!(
        (c.total.certificates, c.total.agree, c.needed, c.blocked),
        (2002, 2002, 0, 0)
    );
    // Every format renders it.
    let text = String::from_utf8(table.render(Format::Table).expect("text")).expect("utf8");
    assert!(
        text.contains("征收三所  单位") && text.contains("2002"),
        "{text}"
    );
    let csv = String::from_utf8(table.render(Format::Csv).expect("csv")).expect("utf8");
    assert!(
        csv.contains("征收一所,老西门街道,1191,1191,0,0,0,100%"),
        "{csv}"
    );
    assert!(table.render(Format::Xlsx).expect("xlsx").starts_with(b"PK"));
    let json: serde_json::Value = serde_json::to_value(&c).expect("json");
    assert_eq!(json["total"]["certificates"], 2002);
    assert_eq!(json["rows"][2]["kind"], "subtotal");
    assert_eq!(json["rows"][2]["department"], "征收一所");

    // 200 votes turn to 反对: 1802 of 2002 needed at 90% — 1 more 同意 needed.
    let mut changed = String::from("权证号,轮次,意见\n");
    for n in 1..=201 {
        let _ = writeln!(changed, "Q{n:05},1,反对");
    }
    let path = t.write("votes2.csv", &changed);
    let report = vote::import_votes(&t.db, &path, None, None, false)
        .await
        .expect("votes");
    assert_eq!(report.changed, 201);
    let c = report::consultation(&t.db, base.id, 1)
        .await
        .expect("report");
    assert_eq!((c.total.agree, c.total.oppose, c.needed), (1801, 201, 1));
    assert_eq!(c.rows[0].counts.oppose, 201);
    assert_eq!(c.rate, "89.96%");
    assert!(
        c.table().notes[1].contains("还需 1 证同意"),
        "{:?}",
        c.table().notes
    );
}

async fn votes_import_is_all_or_nothing(t: &TestDb) {
    import_tasks_roster(t).await;
    let before = t.snapshot().await;
    let bad = "权证号,轮次,意见\nQ-001,1,同意\nQ-999,1,同意\nQ-002,3,同意\nQ-003,1,已签约\nQ-001,1,反对\nQ-004,2,也许\n";
    let path = t.write("bad.csv", bad);
    match vote::import_votes(&t.db, &path, Some("乔家路北块"), None, false).await {
        Err(TaskError::Import(xunren_registry::ImportError::Invalid { problems, .. })) => {
            let text: Vec<String> = problems.listed.iter().map(ToString::to_string).collect();
            assert_eq!(problems.total, 5, "{text:?}");
            assert!(
                text[0].contains("第 3 行「权证号」列") && text[0].contains("Q-999"),
                "{text:?}"
            );
            assert!(text[1].contains("第 4 行「轮次」列"), "{text:?}");
            assert!(
                text[2].contains("第 5 行「意见」列") && text[2].contains("round-1"),
                "{text:?}"
            );
            assert!(
                text[3].contains("第 6 行") && text[3].contains("row 2"),
                "{text:?}"
            );
            assert!(
                text[4].contains("第 7 行「意见」列") && text[4].contains("也许"),
                "{text:?}"
            );
        }
        other => panic!("expected an invalid file, got {other:?}"),
    }
    assert_eq!(t.snapshot().await, before, "nothing written");
    assert!(matches!(
        vote::import_votes(&t.db, &path, Some("无此基地"), None, false).await,
        Err(TaskError::NotFound { .. })
    ));
    // Round 2, English headers; dry run writes nothing; importing twice changes nothing.
    let good = "cert_no,round,vote\nQ-001,2,已签约\nQ-002,2,未签约\nQ-003,2,已签约\nQ-004,2,已签约\nQ-005,2,未签约\n";
    let path = t.write("good.csv", good);
    let dry = vote::import_votes(&t.db, &path, Some("乔家路北块"), None, true)
        .await
        .expect("dry");
    assert_eq!(dry.added, 5);
    assert_eq!(t.count("SELECT COUNT(*) FROM votes").await, 0);
    vote::import_votes(&t.db, &path, Some("乔家路北块"), None, false)
        .await
        .expect("votes");
    let again = vote::import_votes(&t.db, &path, Some("乔家路北块"), None, false)
        .await
        .expect("again");
    assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 5));
    // Thresholds are per base: 3 of 6 signed; at 85% (default) 6 are needed → 3 more.
    let base = vote::resolve_base(&t.db, None).await.expect("base");
    let c = report::consultation(&t.db, base.id, 2)
        .await
        .expect("report");
    assert_eq!(
        (c.total.certificates, c.total.signed, c.total.unsigned),
        (6, 3, 2)
    );
    assert_eq!(c.needed, 3);
    assert_eq!(
        c.table().headers,
        ["部门", "街道", "权证数", "已签约", "未签约", "签约率"]
    );
    vote::configure_base(
        &t.db,
        "乔家路北块",
        &vote::BaseSettings {
            round2_threshold: Some(0.5),
            ..Default::default()
        },
    )
    .await
    .expect("threshold");
    assert_eq!(
        report::consultation(&t.db, base.id, 2)
            .await
            .expect("r")
            .needed,
        0
    );
    // 3 of 6 signed is exactly 50 %: enough under "at least" (达到), one short under "more
    // than" (超过), the per-base rule.
    vote::configure_base(
        &t.db,
        "乔家路北块",
        &vote::BaseSettings {
            threshold_rule: Some(ThresholdRule::MoreThan),
            ..Default::default()
        },
    )
    .await
    .expect("rule");
    let strict = report::consultation(&t.db, base.id, 2).await.expect("r");
    assert_eq!(strict.needed, 1);
    assert!(
        strict.table().notes.iter().any(|n| n.contains(">50%")),
        "{:?}",
        strict.table().notes
    );
    vote::configure_base(
        &t.db,
        "乔家路北块",
        &vote::BaseSettings {
            threshold_rule: Some(ThresholdRule::AtLeast),
            ..Default::default()
        },
    )
    .await
    .expect("rule");
    assert!(matches!(
        vote::configure_base(
            &t.db,
            "乔家路北块",
            &vote::BaseSettings {
                round1_threshold: Some(90.0),
                ..Default::default()
            }
        )
        .await,
        Err(TaskError::Invalid { .. })
    ));
    // One vote by hand.
    vote::record(&t.db, base.id, "Q-002", Opinion::Signed)
        .await
        .expect("record");
    assert_eq!(
        report::consultation(&t.db, base.id, 2)
            .await
            .expect("r")
            .total
            .signed,
        4
    );
    // Blocked: holders lost without a signature. Cases for the lost: 张明 (Q-001, signed),
    // 王建国 (Q-002, signed now), 陈芳 (Q-003 signed), 孙丽 (Q-005, unsigned) → Q-005 only;
    // 李秀英 is a co-resident and blocks nothing.
    case::open_cases(&t.db, None, &Actor::system())
        .await
        .expect("cases");
    let blocked = report::blocked(&t.db, base.id, 2).await.expect("blocked");
    let certs: Vec<&str> = blocked
        .certificates
        .iter()
        .map(|c| c.cert_no.as_str())
        .collect();
    assert_eq!(certs, ["Q-005"]);
    assert_eq!(blocked.certificates[0].holders, ["孙* (待查)"]);
    // Round 1 (no votes): every holder's certificate is blocked: Q-001, Q-002, Q-003, Q-005.
    let blocked = report::blocked(&t.db, base.id, 1).await.expect("blocked");
    assert_eq!(blocked.certificates.len(), 4);
    assert_eq!(
        report::consultation(&t.db, base.id, 1)
            .await
            .expect("r")
            .blocked,
        4
    );
}

fn visit(result: AttemptResult) -> NewAttempt {
    NewAttempt {
        method: AttemptMethod::Phone,
        result,
        at: None,
        notes: None,
        next_step: Some("再联系".to_string()),
    }
}

async fn unresolved_staff_overdue_escalation_digest_burndown(t: &TestDb) {
    import_tasks_roster(t).await;
    let path = t.write("staff.csv", TASKS_STAFF);
    staff::import_staff(&t.db, &path, None, false)
        .await
        .expect("staff");
    case::open_cases(&t.db, None, &Actor::system())
        .await
        .expect("cases");
    let cases: std::collections::HashMap<String, i32> = case::list(&t.db, None)
        .await
        .expect("list")
        .into_iter()
        .map(|c| (c.person_id.to_string(), c.id))
        .collect();
    assert_eq!(cases.len(), 5);
    let ids: Vec<i32> = {
        let mut v: Vec<i32> = cases.values().copied().collect();
        v.sort();
        v
    };
    let today = chrono::Utc::now().date_naive();
    let long_ago = today - chrono::Duration::days(10);
    // Two overdue leads (one 10 days late), one due later, on three cases; two cases stuck.
    let mut leads = Vec::new();
    for (i, due) in [
        long_ago,
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(2),
    ]
    .into_iter()
    .enumerate()
    {
        let new = NewLead {
            due_date: Some(due),
            ..NewLead::new(ids[i], LeadKind::Address, "乔家路")
        };
        leads.push(
            lead::create(&t.db, &new, &Actor::system())
                .await
                .expect("lead"),
        );
    }
    // The third case is reached.
    let who = leads[2].assignee_id.expect("assigned");
    let by = Actor {
        id: Some(who),
        name: "x".into(),
    };
    lead::record_attempt(&t.db, leads[2].id, &visit(AttemptResult::Reached), &by)
        .await
        .expect("a");
    lead::close(
        &t.db,
        leads[2].id,
        LeadOutcome::Reached,
        Some("通话"),
        &[],
        &by,
    )
    .await
    .expect("c");

    let u = report::unresolved(&t.db, None, GroupBy::Subdistrict, today)
        .await
        .expect("u");
    assert_eq!(
        (u.total.unresolved, u.total.stuck, u.total.overdue_leads),
        (4, 2, 2)
    );
    let sum: i64 = u.rows.iter().map(|r| r.unresolved).sum();
    assert_eq!(sum, 4);
    assert!(u.median_days_to_locate.is_some());
    let by_committee = report::unresolved(&t.db, None, GroupBy::Committee, today)
        .await
        .expect("u");
    assert_eq!(
        by_committee.rows.iter().map(|r| r.unresolved).sum::<i64>(),
        4
    );
    let by_staff = report::unresolved(&t.db, None, GroupBy::Staff, today)
        .await
        .expect("u");
    let nobody = by_staff
        .rows
        .iter()
        .find(|r| r.group.contains("nobody"))
        .expect("nobody");
    assert_eq!(nobody.unresolved, 2);
    assert_eq!(
        by_staff.rows.iter().map(|r| r.overdue_leads).sum::<i64>(),
        2
    );
    let by_team = report::unresolved(&t.db, None, GroupBy::Team, today)
        .await
        .expect("u");
    assert!(by_team.rows.iter().any(|r| r.group.contains("小组")));
    let table = by_staff.table();
    assert!(table.render(Format::Csv).is_ok() && table.rows.len() == by_staff.rows.len() + 1);

    let s = report::staff_report(&t.db, today).await.expect("staff");
    assert_eq!(s.rows.len(), 5);
    assert_eq!(s.rows.iter().map(|r| r.overdue).sum::<i64>(), 2);
    assert_eq!(s.rows.iter().map(|r| r.leads_reached).sum::<i64>(), 1);
    assert_eq!(s.rows.iter().map(|r| r.attempts_7d).sum::<i64>(), 1);
    assert_eq!(
        s.overdue_table().notes[0],
        "逾期合计 2 条 / 2 overdue leads in all"
    );

    // The same figures for the one base.
    let base = vote::resolve_base(&t.db, None).await.expect("base");
    let on_base = report::unresolved(&t.db, Some(base.id), GroupBy::Team, today)
        .await
        .expect("u");
    assert_eq!(on_base.total, by_team.total);
    // Escalation: 1 day late → the assignee's team leader; 10 days → a supervisor. The lead one
    // day late goes to 孟晓晔 (第一小组, whose leader is 陈组长) first.
    xunren_tasks::assign::reassign(&t.db, leads[1].id, "孟晓晔", "测试", &Actor::system())
        .await
        .expect("reassign");
    let e = deadline::escalate(&t.db, today, deadline::DEFAULT_GRACE_DAYS, &Actor::system())
        .await
        .expect("escalate");
    assert_eq!(e.to_leader + e.to_supervisor, 2);
    assert_eq!((e.to_leader, e.to_supervisor), (1, 1));
    let leader = staff::find_by_name(&t.db, "陈组长").await.expect("leader");
    let one_day = lead::get(&t.db, leads[1].id).await.expect("l");
    assert_eq!(
        (one_day.escalation_level, one_day.escalated_to_id),
        (1, Some(leader.id))
    );
    let late = lead::get(&t.db, leads[0].id).await.expect("l");
    assert_eq!(late.escalation_level, 2);
    let supervisor = staff::find_by_name(&t.db, "督导甲").await.expect("s");
    assert_eq!(late.escalated_to_id, Some(supervisor.id));
    let again = deadline::escalate(&t.db, today, deadline::DEFAULT_GRACE_DAYS, &Actor::system())
        .await
        .expect("again");
    assert_eq!(
        again.to_leader + again.to_supervisor,
        0,
        "escalation happens once per level"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM case_events WHERE kind = 'escalated'")
            .await,
        2
    );
    // Digest: the supervisor sees the escalated lead; the assignee sees it overdue.
    let digests = deadline::digest(&t.db, today, 3, None)
        .await
        .expect("digest");
    let sup = digests
        .iter()
        .find(|d| d.staff == "督导甲")
        .expect("supervisor digest");
    assert!(sup.escalated.iter().any(|l| l.id == leads[0].id));
    let owner = late.assignee_id.expect("assigned");
    let mine = deadline::digest(&t.db, today, 3, Some(owner))
        .await
        .expect("digest");
    assert!(mine[0].overdue.iter().any(|l| l.id == leads[0].id));

    // Burn-down: opened today 5, resolved today 1, 4 remaining.
    let b = report::burndown(&t.db, None, today, 30)
        .await
        .expect("burndown");
    let last = b.days.last().expect("a day");
    assert_eq!((last.opened, last.resolved, last.remaining), (5, 1, 4));
    assert_eq!(b.unresolved, 4);
    // Closing a case as untraceable resolves it too.
    case::transition(
        &t.db,
        ids[3],
        CaseState::Untraceable,
        Some("补偿决定并提存"),
        &Actor::system(),
    )
    .await
    .expect("close");
    let b = report::burndown(&t.db, None, today, 30)
        .await
        .expect("burndown");
    assert_eq!(b.days.last().expect("d").remaining, 3);
}

on_both_databases!(
    consultation_table_reproduces_the_article,
    votes_import_is_all_or_nothing,
    unresolved_staff_overdue_escalation_digest_burndown,
);
