//! Reference import (参考记录导入), on SQLite and PostgreSQL: sources, warnings kept as given,
//! errors that write nothing, re-import and replace.

use xunren_registry::ImportError;
use xunren_registry::import::reference::{ReferenceOptions, ReferenceReport, import_reference};
use xunren_tests::{TestDb, gbk, id18, on_both_databases};

const HEADER: &str = "来源,记录号,姓名,身份证号,性别,出生日期,联系电话,地址,原地址";

fn archive() -> String {
    format!(
        "{HEADER}
旧改档案,A-1,张铭,{zhang},男,1956-03-07,13812345678,浦东新区三林路100弄5号301室,黄浦区乔家路十二弄三号
旧改档案,A-2,张立,,男,1982,,浦东新区三林路100弄5号301室,黄浦区乔家路十二弄三号
居住登记,R-1,陳明,310101*****1235,男,1956/3/7,021-63211234,闵行区浦江镇江月路8号,
",
        zhang = id18("31010119560307123"),
    )
}

async fn import(
    t: &TestDb,
    path: &std::path::Path,
    options: ReferenceOptions,
) -> Result<ReferenceReport, ImportError> {
    import_reference(&t.db, path, &options, &|_| {}).await
}

async fn imports_several_sources_with_warnings_kept_as_given(t: &TestDb) {
    let path = t.write("reference.csv", &archive());
    let report = import(t, &path, ReferenceOptions::default())
        .await
        .expect("import");
    assert_eq!(report.records.added, 3);
    assert_eq!(
        report.sources,
        vec!["旧改档案".to_string(), "居住登记".to_string()]
    );
    // Row 3: 1982 is not a full date → warning, birth date left empty.
    assert_eq!(report.warning_count, 1, "{:?}", report.warnings);
    assert_eq!(report.warnings[0].row, 3);
    assert_eq!(t.count("SELECT COUNT(*) FROM reference_sources").await, 2);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM reference_records WHERE id_number = '310101*****1235' OR id_number LIKE '310101%'").await,
        2
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM reference_records WHERE warnings IS NOT NULL AND birth_date IS NULL").await,
        1
    );
}

async fn a_bad_id_in_a_reference_is_a_warning_kept_as_given(t: &TestDb) {
    let path = t.write(
        "bad-id.csv",
        &format!("{HEADER}\n居住登记,R-9,王五,31010A,男,,电话不详,,\n"),
    );
    let report = import(t, &path, ReferenceOptions::default())
        .await
        .expect("warnings only");
    assert_eq!(report.warning_count, 2);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM reference_records WHERE id_number IS NULL AND id_number_as_given = '31010A' AND phones = '电话不详'").await,
        1
    );
}

async fn source_option_replaces_the_column(t: &TestDb) {
    let path = t.write(
        "no-source.csv",
        "记录号,姓名,地址\n1,张明,乔家路1号\n2,李红,乔家路2号\n",
    );
    match import(t, &path, ReferenceOptions::default()).await {
        Err(ImportError::MissingColumn { zh, .. }) => assert_eq!(zh, "来源"),
        other => panic!("expected MissingColumn, got {other:?}"),
    }
    let options = ReferenceOptions {
        source: Some("电话登记".to_string()),
        ..Default::default()
    };
    let report = import(t, &path, options).await.expect("with --source");
    assert_eq!((report.records.added, report.sources.len()), (2, 1));
}

async fn gbk_reference_is_read(t: &TestDb) {
    let path = t.path("gbk.csv");
    std::fs::write(&path, gbk(&archive())).expect("write");
    let report = import(t, &path, ReferenceOptions::default())
        .await
        .expect("GBK");
    assert_eq!(report.records.added, 3);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM reference_records WHERE name = '陳明'")
            .await,
        1
    );
}

async fn errors_write_nothing(t: &TestDb) {
    let first = t.write("first.csv", &archive());
    import(t, &first, ReferenceOptions::default())
        .await
        .expect("first");
    let before = t.snapshot().await;
    // 2,500 good rows (more than one insert batch), then a duplicate record id and a missing name.
    let mut text = format!("{HEADER}\n");
    for i in 0..2500 {
        text.push_str(&format!("新来源,N-{i},某{i},,,,,,\n"));
    }
    text.push_str("新来源,N-7,重复,,,,,,\n新来源,N-x,,,,,,,\n");
    let path = t.write("bad.csv", &text);
    match import(t, &path, ReferenceOptions::default()).await {
        Err(ImportError::Invalid { problems, .. }) => {
            assert_eq!(problems.total, 2);
            assert!(
                problems.listed[0]
                    .to_string()
                    .contains("第 2502 行「记录号」列"),
                "{problems}"
            );
            assert!(
                problems.listed[1]
                    .to_string()
                    .contains("第 2503 行「姓名」列"),
                "{problems}"
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(t.snapshot().await, before);
}

async fn reimport_updates_by_record_id_and_replace_removes(t: &TestDb) {
    let first = t.write("v1.csv", &archive());
    import(t, &first, ReferenceOptions::default())
        .await
        .expect("first");
    let again = import(t, &first, ReferenceOptions::default())
        .await
        .expect("again");
    assert_eq!((again.records.unchanged, again.batch_id), (3, None));

    // A-2 gets a phone; A-3 is new; are absent.
    let newer = format!(
        "{HEADER}\n旧改档案,A-2,张立,,男,1982,13900001111,浦东新区三林路100弄5号301室,黄浦区乔家路十二弄三号\n旧改档案,A-3,张红,,女,,,,\n"
    );
    let second = t.write("v2.csv", &newer);
    let update = import(t, &second, ReferenceOptions::default())
        .await
        .expect("update");
    assert_eq!(
        (
            update.records.added,
            update.records.changed,
            update.records.removed
        ),
        (1, 1, 0)
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM reference_records").await, 4);

    let replace = ReferenceOptions {
        replace: true,
        ..Default::default()
    };
    let replaced = import(t, &second, replace).await.expect("replace");
    // Only 旧改档案 is in the file: its A-1 goes, 居住登记 is untouched.
    assert_eq!(
        (replaced.records.removed, replaced.records.unchanged),
        (1, 2)
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM reference_records").await, 3);
}

async fn dry_run_writes_nothing(t: &TestDb) {
    let path = t.write("reference.csv", &archive());
    let before = t.snapshot().await;
    let options = ReferenceOptions {
        dry_run: true,
        ..Default::default()
    };
    let report = import(t, &path, options).await.expect("dry run");
    assert_eq!(report.records.added, 3);
    assert_eq!(t.snapshot().await, before);
}

/// Every migration goes down and up again on a database holding reference records (the indexes
/// of the later migrations included), and the records are still there after the way back up to
/// the table they live in.
async fn migrations_go_down_and_up_again(t: &TestDb) {
    use xunren_migration::MigratorTrait;
    let file = t.write(
        "ref.csv",
        "来源,记录号,姓名,联系电话\n电话登记,DH1,王明,13912345678\n",
    );
    import_reference(&t.db, &file, &ReferenceOptions::default(), &|_| {})
        .await
        .expect("import");
    let applied = xunren_migration::Migrator::get_applied_migrations(&t.db)
        .await
        .expect("applied")
        .len() as u32;
    assert!(applied >= 9, "{applied}");
    // Down to the first migration (the registry's tables), then up again.
    xunren_migration::Migrator::down(&t.db, Some(applied - 1))
        .await
        .expect("down");
    assert_eq!(t.count("SELECT COUNT(*) FROM reference_records").await, 1);
    xunren_migration::Migrator::up(&t.db, None)
        .await
        .expect("up");
    assert_eq!(t.count("SELECT COUNT(*) FROM reference_records").await, 1);
    // On PostgreSQL the saved index's rows are a cache: an unlogged table, bytes stored without
    // compression (migration 000010), and a logged table again when that migration goes down.
    if t.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let as_cache = || async {
            let unlogged = t
                .count(
                    "SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass('match_index_chunks') \
                     AND relpersistence = 'u'",
                )
                .await;
            let external = t
                .count(
                    "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass('match_index_chunks') \
                     AND attname = 'data' AND attstorage = 'e'",
                )
                .await;
            (unlogged, external)
        };
        assert_eq!(as_cache().await, (1, 1));
        xunren_migration::Migrator::down(&t.db, Some(1))
            .await
            .expect("down one");
        assert_eq!(as_cache().await, (0, 0));
        xunren_migration::Migrator::up(&t.db, None)
            .await
            .expect("up");
        assert_eq!(as_cache().await, (1, 1));
    }
}

on_both_databases!(
    imports_several_sources_with_warnings_kept_as_given,
    a_bad_id_in_a_reference_is_a_warning_kept_as_given,
    source_option_replaces_the_column,
    gbk_reference_is_read,
    errors_write_nothing,
    reimport_updates_by_record_id_and_replace_removes,
    dry_run_writes_nothing,
    migrations_go_down_and_up_again,
);
