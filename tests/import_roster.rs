//! Roster import (花名册导入), on SQLite and PostgreSQL: every validation rule, every kind of bad
//! file, and the all-or-nothing guarantee.

use xunren_registry::ImportError;
use xunren_registry::import::roster::{RosterOptions, RosterReport, import_roster};
use xunren_tests::{TestDb, gbk, id18, id18_wrong_check, on_both_databases, write_xlsx};

const HEADER: &str = "权证号,房屋坐落,房屋类型,征收所,街道,居委会,姓名,身份,身份证号,性别,出生日期,联系电话,户籍地址,联系状态";

fn zhang_id() -> String {
    id18("31010119560307123")
}

/// Three certificates, five persons, one of them lost.
fn roster() -> String {
    format!(
        "{HEADER}
Q-001,乔家路12弄3号,公房,征收一所,老西门街道,艾家弄居委会,张明,承租人,{zhang},男,1956-03-07,13812345678、021-63211234,乔家路12弄3号,已联系
Q-001,,,,,,李秀英,同住人,,女,1958年5月1日,,乔家路12弄3号,已联系
Q-002,大夫坊5号,私房,征收一所,老西门街道,艾家弄居委会,王建国,产权人,{wang},男,19600101,63219876,复兴东路100弄2号,失联
Q-002,大夫坊5号,私房,征收一所,老西门街道,艾家弄居委会,王小红,同住人,,女,1985/7/9,,大夫坊5号,已联系
D3-01,望云路8号,单位,征收三所,,,上海某某商店,单位,,,,,,已联系
",
        zhang = zhang_id(),
        wang = id18("31010119600101201"),
    )
}

fn options() -> RosterOptions {
    RosterOptions {
        base: "乔家路北块".to_string(),
        sheet: None,
        dry_run: false,
    }
}

async fn import(t: &TestDb, path: &std::path::Path) -> Result<RosterReport, ImportError> {
    import_roster(&t.db, path, &options(), &|_| {}).await
}

fn invalid(result: Result<RosterReport, ImportError>) -> Vec<String> {
    match result {
        Err(ImportError::Invalid { problems, .. }) => {
            problems.listed.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected an invalid-file error, got {other:?}"),
    }
}

async fn imports_a_utf8_roster(t: &TestDb) {
    let path = t.write("roster.csv", &roster());
    let report = import(t, &path).await.expect("valid roster");
    assert_eq!(report.rows, 5);
    assert_eq!(report.certificates.added, 3);
    assert_eq!(report.persons.added, 5);
    assert!(report.batch_id.is_some());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(t.count("SELECT COUNT(*) FROM certificates").await, 3);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM persons WHERE contact_status = 'lost'")
            .await,
        1
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM departments").await, 2);
    assert_eq!(t.count("SELECT COUNT(*) FROM committees").await, 1);
    // Phones canonical, both kept; ID canonical; birth date parsed from 1958年5月1日.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM persons WHERE phones = '13812345678;63211234'")
            .await,
        1
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM persons WHERE id_number = '{}' AND id_kind = 'full'",
            zhang_id()
        ))
        .await,
        1
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM persons WHERE name = '李秀英' AND birth_date = '1958-05-01'")
            .await,
        1
    );
    let stats = xunren_registry::stats::registry_stats(&t.db)
        .await
        .expect("stats");
    let certificates: i64 = stats.groups.iter().map(|g| g.certificates).sum();
    let lost: i64 = stats.groups.iter().map(|g| g.lost).sum();
    assert_eq!((certificates, lost), (3, 1));
}

async fn imports_utf8_with_bom(t: &TestDb) {
    let path = t.path("bom.csv");
    std::fs::write(&path, format!("\u{feff}{}", roster())).expect("write");
    let report = import(t, &path).await.expect("BOM is accepted");
    assert_eq!(report.persons.added, 5);
}

async fn imports_gbk(t: &TestDb) {
    let path = t.path("gbk.csv");
    std::fs::write(&path, gbk(&roster())).expect("write");
    let report = import(t, &path).await.expect("GBK is detected");
    assert_eq!(report.persons.added, 5);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM persons WHERE name = '王建国'")
            .await,
        1
    );
}

async fn imports_xlsx_and_picks_a_sheet(t: &TestDb) {
    let text = roster();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let rows: Vec<&[&str]> = lines.iter().map(Vec::as_slice).collect();
    let path = t.path("roster.xlsx");
    write_xlsx(&path, &rows);
    let report = import(t, &path).await.expect("xlsx");
    assert_eq!((report.rows, report.persons.added), (5, 5));

    let wrong_sheet = RosterOptions {
        sheet: Some("不存在".to_string()),
        ..options()
    };
    match import_roster(&t.db, &path, &wrong_sheet, &|_| {}).await {
        Err(ImportError::NoSuchSheet { sheet, .. }) => assert_eq!(sheet, "不存在"),
        other => panic!("expected NoSuchSheet, got {other:?}"),
    }
}

async fn accepts_english_headers_in_any_order_and_reports_unknown_columns(t: &TestDb) {
    let path = t.write(
        "english.csv",
        "name,contact_status,cert_no,role,remark,id_number\n张明,失联,Q-9,承租人,note,\n",
    );
    let report = import(t, &path).await.expect("aliases");
    assert_eq!(report.persons.added, 1);
    assert_eq!(report.unknown_columns, vec!["remark".to_string()]);
}

async fn missing_required_column_is_an_error(t: &TestDb) {
    let path = t.write("no-name.csv", "权证号,身份,联系状态\nQ-1,承租人,失联\n");
    match import(t, &path).await {
        Err(ImportError::MissingColumn { zh, .. }) => assert_eq!(zh, "姓名"),
        other => panic!("expected MissingColumn, got {other:?}"),
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM certificates").await, 0);
}

async fn empty_files_are_errors(t: &TestDb) {
    let empty = t.write("empty.csv", "");
    assert!(matches!(
        import(t, &empty).await,
        Err(ImportError::Empty { .. })
    ));
    let header_only = t.write("header.csv", &format!("{HEADER}\n"));
    assert!(matches!(
        import(t, &header_only).await,
        Err(ImportError::Empty { .. })
    ));
}

async fn truncated_xlsx_is_unreadable_and_changes_nothing(t: &TestDb) {
    let good = t.write("first.csv", &roster());
    import(t, &good).await.expect("first import");
    let before = t.snapshot().await;

    let text = roster();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let rows: Vec<&[&str]> = lines.iter().map(Vec::as_slice).collect();
    let path = t.path("truncated.xlsx");
    write_xlsx(&path, &rows);
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
    match import(t, &path).await {
        Err(ImportError::Unreadable { file, .. }) => assert!(file.contains("truncated.xlsx")),
        other => panic!("expected Unreadable, got {other:?}"),
    }
    assert_eq!(t.snapshot().await, before);
}

async fn bad_values_are_errors_naming_row_and_column(t: &TestDb) {
    let good = t.write("first.csv", &roster());
    import(t, &good).await.expect("first import");
    let before = t.snapshot().await;

    let path = t.write(
        "bad.csv",
        &format!(
            "{HEADER}
Q-001,乔家路12弄3号,公房,征收一所,老西门街道,艾家弄居委会,张明,承租人,3101011956,男,1956-03-07,,,已联系
Q-005,,私房,,,,,产权人,,,,,,失联
,,,,,,赵六,产权人,,,,,,失联
Q-006,,别墅,,,,钱七,房东,,未知,1956-13-45,12345,,不知道
"
        ),
    );
    let problems = invalid(import(t, &path).await);
    let joined = problems.join("\n");
    assert!(joined.contains("第 2 行「身份证号」列"), "{joined}");
    assert!(joined.contains("第 3 行「姓名」列"), "{joined}");
    assert!(joined.contains("第 4 行「权证号」列"), "{joined}");
    for column in [
        "房屋类型",
        "身份",
        "性别",
        "出生日期",
        "联系电话",
        "联系状态",
    ] {
        assert!(
            joined.contains(&format!("第 5 行「{column}」列")),
            "{column}: {joined}"
        );
    }
    // Every message is bilingual.
    assert!(problems.iter().all(|p| p.contains(" / ")), "{joined}");
    assert_eq!(t.snapshot().await, before, "a failed import writes nothing");
}

async fn duplicate_person_is_an_error(t: &TestDb) {
    let path = t.write(
        "dup.csv",
        &format!("{HEADER}\nQ-1,,,,,,张明,承租人,,,,,,失联\nQ-1,,,,,,张明,同住人,,,,,,失联\n"),
    );
    let problems = invalid(import(t, &path).await);
    assert!(
        problems[0].contains("第 3 行") && problems[0].contains("第 2 行已有"),
        "{problems:?}"
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM persons").await, 0);
}

async fn contradicting_certificate_rows_are_errors(t: &TestDb) {
    let path = t.write(
        "contradiction.csv",
        &format!("{HEADER}\nQ-1,乔家路1号,,,,,张明,承租人,,,,,,失联\nQ-1,乔家路2号,,,,,李红,同住人,,,,,,失联\n"),
    );
    let problems = invalid(import(t, &path).await);
    assert!(problems[0].contains("「房屋坐落」"), "{problems:?}");
}

async fn id_warnings_are_stored_and_flagged(t: &TestDb) {
    let path = t.write(
        "warnings.csv",
        &format!(
            "{HEADER}
Q-1,,,,,,张明,承租人,{wrong},,,,,失联
Q-2,,,,,,李红,承租人,{zhang},女,1957-01-01,,,失联
",
            wrong = id18_wrong_check("31010119560307123"),
            zhang = zhang_id()
        ),
    );
    let report = import(t, &path)
        .await
        .expect("warnings do not fail the import");
    // Row 2: wrong check digit. Row 3: birth date and gender disagree with the ID.
    assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
    assert!(
        report
            .warnings
            .iter()
            .all(|w| w.column.as_deref() == Some("身份证号"))
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM import_warnings").await, 3);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM persons WHERE warnings IS NOT NULL")
            .await,
        2
    );
}

async fn excel_number_ids_are_refused_with_a_hint(t: &TestDb) {
    let path = t.path("numeric-id.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["权证号", "姓名", "身份", "联系状态", "身份证号"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("cell");
    }
    for (c, v) in ["Q-1", "张明", "承租人", "失联"].iter().enumerate() {
        sheet.write_string(1, c as u16, *v).expect("cell");
    }
    sheet
        .write_number(1, 4, 310101195603071234.0)
        .expect("cell");
    workbook.save(&path).expect("save");
    let problems = invalid(import(t, &path).await);
    assert!(problems[0].contains("设为文本"), "{problems:?}");
}

async fn reimporting_the_same_file_changes_nothing(t: &TestDb) {
    let path = t.write("roster.csv", &roster());
    import(t, &path).await.expect("first");
    let before = t.snapshot().await;
    let again = import(t, &path).await.expect("second");
    assert_eq!(again.persons.unchanged, 5);
    assert_eq!(again.certificates.unchanged, 3);
    assert!(!again.persons.is_change() && !again.certificates.is_change());
    assert_eq!(again.batch_id, None);
    assert_eq!(t.snapshot().await, before);
}

async fn a_newer_roster_adds_changes_and_removes(t: &TestDb) {
    let first = t.write("v1.csv", &roster());
    import(t, &first).await.expect("first");
    // 李秀英 leaves, 张明 is now lost; Q-002 unchanged; D3-01 gone; Q-003 new.
    let newer = format!(
        "{HEADER}
Q-001,乔家路12弄3号,公房,征收一所,老西门街道,艾家弄居委会,张明,承租人,{zhang},男,1956-03-07,13812345678、021-63211234,乔家路12弄3号,失联
Q-002,大夫坊5号,私房,征收一所,老西门街道,艾家弄居委会,王建国,产权人,{wang},男,19600101,63219876,复兴东路100弄2号,失联
Q-002,大夫坊5号,私房,征收一所,老西门街道,艾家弄居委会,王小红,同住人,,女,1985/7/9,,大夫坊5号,已联系
Q-003,乔家路20号,公房,征收一所,小南门街道,,周平,承租人,,男,,,,已联系
",
        zhang = zhang_id(),
        wang = id18("31010119600101201"),
    );
    let second = t.write("v2.csv", &newer);
    let report = import(t, &second).await.expect("second");
    assert_eq!(
        (
            report.certificates.added,
            report.certificates.changed,
            report.certificates.removed,
            report.certificates.unchanged
        ),
        (1, 0, 1, 2)
    );
    assert_eq!(
        (
            report.persons.added,
            report.persons.changed,
            report.persons.removed,
            report.persons.unchanged
        ),
        (1, 1, 2, 2)
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM persons").await, 4);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM persons WHERE contact_status = 'lost'")
            .await,
        2
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM import_batches").await, 2);
}

async fn dry_run_writes_nothing(t: &TestDb) {
    let path = t.write("roster.csv", &roster());
    let before = t.snapshot().await;
    let dry = RosterOptions {
        dry_run: true,
        ..options()
    };
    let report = import_roster(&t.db, &path, &dry, &|_| {})
        .await
        .expect("dry run");
    assert_eq!(report.persons.added, 5);
    assert!(report.dry_run && report.batch_id.is_none());
    assert_eq!(t.snapshot().await, before);
}

on_both_databases!(
    imports_a_utf8_roster,
    imports_utf8_with_bom,
    imports_gbk,
    imports_xlsx_and_picks_a_sheet,
    accepts_english_headers_in_any_order_and_reports_unknown_columns,
    missing_required_column_is_an_error,
    empty_files_are_errors,
    truncated_xlsx_is_unreadable_and_changes_nothing,
    bad_values_are_errors_naming_row_and_column,
    duplicate_person_is_an_error,
    contradicting_certificate_rows_are_errors,
    id_warnings_are_stored_and_flagged,
    excel_number_ids_are_refused_with_a_hint,
    reimporting_the_same_file_changes_nothing,
    a_newer_roster_adds_changes_and_removes,
    dry_run_writes_nothing,
);
