//! `xunren match` on the registry (SQLite and PostgreSQL): the index is saved and reused, runs are
//! incremental, candidates for the person and relatives are stored apart, and they point at the
//! right records.

use std::collections::{HashMap, HashSet};

use xunren_registry::import::reference::{ReferenceOptions, import_reference};
use xunren_registry::import::roster::{RosterOptions, import_roster};
use xunren_registry::matching::{
    IndexOrigin, MatchOptions, forget_saved_index, refresh_index, run_matching, stored_candidates,
};
use xunren_tests::{TestDb, on_both_databases};

/// Generates a small base (60 certificates, 600 reference records) and imports its roster only.
async fn small_roster(t: &TestDb) -> std::path::PathBuf {
    let out = t.path("gen");
    let config = xunren_synth::GenConfig {
        seed: 11,
        certificates: 60,
        reference_records: 600,
        staff: 6,
        ..Default::default()
    };
    xunren_synth::generate(&config, &out).expect("generate");
    let roster = RosterOptions {
        base: "测试基地".to_string(),
        sheet: None,
        dry_run: false,
    };
    import_roster(&t.db, &out.join("roster.csv"), &roster, &|_| {})
        .await
        .expect("roster");
    out
}

/// Generates a small base (60 certificates, 600 reference records) and imports all of it.
async fn small_base(t: &TestDb) -> std::path::PathBuf {
    let out = small_roster(t).await;
    for source in ["旧改档案", "居住登记", "电话登记"] {
        import_reference(
            &t.db,
            &out.join(format!("reference_{source}.csv")),
            &ReferenceOptions::default(),
            &|_| {},
        )
        .await
        .expect("reference");
    }
    out
}

/// (权证号, 姓名) → the (来源, 记录号) of the person's own records, from the generator's truth.
fn truth(dir: &std::path::Path) -> HashMap<(String, String), HashSet<(String, String)>> {
    let mut truth: HashMap<_, HashSet<_>> = HashMap::new();
    let text = std::fs::read_to_string(dir.join("truth.csv")).expect("truth");
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() == 5 && cells[4] == "本人" {
            truth
                .entry((cells[0].to_string(), cells[1].to_string()))
                .or_default()
                .insert((cells[2].to_string(), cells[3].to_string()));
        }
    }
    truth
}

async fn matching_stores_ranked_candidates_that_point_at_the_right_records(t: &TestDb) {
    let dir = small_base(t).await;
    let report = run_matching(&t.db, &MatchOptions::default())
        .await
        .expect("match");
    assert!(report.index_rebuilt);
    assert_eq!(report.records_indexed, 600);
    let lost = t
        .count("SELECT COUNT(*) FROM persons WHERE contact_status = 'lost'")
        .await;
    assert!(lost > 0);
    assert_eq!(report.persons_matched as i64, lost);
    assert!(report.candidates_stored > 0 && report.relatives_stored > 0);
    // At most `top` per person and kind, ranks from 1.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM (SELECT person_id, kind FROM match_candidates GROUP BY person_id, kind HAVING COUNT(*) > 5) x").await,
        0
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM match_candidates WHERE rank < 1")
            .await,
        0
    );

    // Rank 1 is the person's own record for most lost persons who have one: the ids map back.
    let truth = truth(&dir);
    let candidates = stored_candidates(&t.db, 0.0, false).await.expect("export");
    assert!(candidates.iter().all(|c| c.kind == "person"));
    let mut with_truth = 0;
    let mut top1 = 0;
    for ((cert_no, name), records) in &truth {
        let best = candidates
            .iter()
            .find(|c| &c.cert_no == cert_no && &c.name == name && c.rank == 1);
        let Some(best) = best else { continue };
        with_truth += 1;
        if records.contains(&(best.source.clone(), best.record_id.clone())) {
            top1 += 1;
        }
    }
    assert!(with_truth > 5, "{with_truth}");
    assert!(top1 * 10 >= with_truth * 8, "top-1 {top1} of {with_truth}");

    // Scores are probabilities and the filter applies to them; relatives come only when asked.
    assert!(candidates.iter().all(|c| (0.0..=1.0).contains(&c.score)));
    let confident = stored_candidates(&t.db, 0.9, false).await.expect("export");
    assert!(confident.iter().all(|c| c.score >= 0.9));
    let with_relatives = stored_candidates(&t.db, 0.0, true).await.expect("export");
    assert!(with_relatives.iter().any(|c| c.kind == "relative"));
}

async fn reruns_are_incremental_and_reuse_the_saved_index(t: &TestDb) {
    small_base(t).await;
    run_matching(&t.db, &MatchOptions::default())
        .await
        .expect("first");
    let stored = t.count("SELECT COUNT(*) FROM match_candidates").await;

    let again = run_matching(&t.db, &MatchOptions::default())
        .await
        .expect("again");
    assert!(!again.index_rebuilt, "the saved index is reused");
    assert_eq!(
        again.persons_matched, 0,
        "nothing changed since the last run"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM match_candidates").await,
        stored
    );

    let full = MatchOptions {
        full: true,
        ..Default::default()
    };
    let forced = run_matching(&t.db, &full).await.expect("full");
    assert_eq!(forced.persons_matched, forced.lost_persons);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM match_candidates").await,
        stored
    );

    // New reference records only: the saved index is extended (not rebuilt), and every lost
    // person is matched again.
    let extra = t.write(
        "extra.csv",
        "来源,记录号,姓名,出生日期,地址\n电话登记,NEW-1,张三,1950-01-01,浦东新区三林路1号\n",
    );
    import_reference(&t.db, &extra, &ReferenceOptions::default(), &|_| {})
        .await
        .expect("extra");
    let after = run_matching(&t.db, &MatchOptions::default())
        .await
        .expect("after");
    assert_eq!(after.index_origin, IndexOrigin::Extended { added: 1 });
    assert!(!after.index_rebuilt);
    assert_eq!(after.records_indexed, 601);
    assert_eq!(after.persons_matched, after.lost_persons);
    let again = run_matching(&t.db, &MatchOptions::default())
        .await
        .expect("again");
    assert_eq!(
        again.index_origin,
        IndexOrigin::Loaded,
        "the extended index was saved"
    );

    // A changed record: the saved index no longer describes the records, so it is rebuilt.
    let changed = t.write(
        "changed.csv",
        "来源,记录号,姓名,出生日期,地址\n电话登记,NEW-1,张三,1950-01-02,浦东新区三林路1号\n",
    );
    import_reference(&t.db, &changed, &ReferenceOptions::default(), &|_| {})
        .await
        .expect("changed");
    let after = run_matching(&t.db, &MatchOptions::default())
        .await
        .expect("after a change");
    assert_eq!(after.index_origin, IndexOrigin::Rebuilt);
    assert_eq!(after.records_indexed, 601);

    // A removed record (a source replaced by a file without it): rebuilt as well.
    let replaced = t.write(
        "replaced.csv",
        "来源,记录号,姓名,出生日期,地址\n新来源,N-1,李四,1960-01-01,黄浦区中华路1号\n",
    );
    import_reference(&t.db, &replaced, &ReferenceOptions::default(), &|_| {})
        .await
        .expect("new source");
    assert_eq!(
        refresh_index(&t.db).await.expect("refresh").origin,
        IndexOrigin::Extended { added: 1 }
    );
    let replace = ReferenceOptions {
        replace: true,
        ..Default::default()
    };
    let emptied = t.write(
        "emptied.csv",
        "来源,记录号,姓名,出生日期,地址\n新来源,N-2,李五,1961-01-01,黄浦区中华路2号\n",
    );
    import_reference(&t.db, &emptied, &replace, &|_| {})
        .await
        .expect("replace");
    let after = run_matching(&t.db, &MatchOptions::default())
        .await
        .expect("after a removal");
    assert_eq!(after.index_origin, IndexOrigin::Rebuilt);
    assert_eq!(after.records_indexed, 602);
}

/// The candidates of a run on an index extended with added records are those of a run on an
/// index rebuilt from all records.
async fn an_extended_index_gives_the_candidates_of_a_rebuilt_one(t: &TestDb) {
    let dir = small_roster(t).await;
    // Hold back the last 150 records of one source, index the rest, then import them.
    let file = dir.join("reference_居住登记.csv");
    let text = std::fs::read_to_string(&file).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 200);
    let held = t.write("held.csv", &(lines[..lines.len() - 150].join("\n") + "\n"));
    for path in [
        dir.join("reference_旧改档案.csv"),
        held,
        dir.join("reference_电话登记.csv"),
    ] {
        import_reference(&t.db, &path, &ReferenceOptions::default(), &|_| {})
            .await
            .expect("reference");
    }
    assert_eq!(
        refresh_index(&t.db).await.expect("index").origin,
        IndexOrigin::Rebuilt
    );
    import_reference(&t.db, &file, &ReferenceOptions::default(), &|_| {})
        .await
        .expect("the held-back records");
    let full = MatchOptions {
        full: true,
        ..Default::default()
    };
    let extended = run_matching(&t.db, &full).await.expect("extended");
    assert_eq!(extended.index_origin, IndexOrigin::Extended { added: 150 });
    let a = stored_candidates(&t.db, 0.0, true).await.expect("export");

    forget_saved_index(&t.db)
        .await
        .expect("drop the saved index");
    let rebuilt = run_matching(&t.db, &full).await.expect("rebuilt");
    assert_eq!(rebuilt.index_origin, IndexOrigin::Rebuilt);
    let b = stored_candidates(&t.db, 0.0, true).await.expect("export");
    assert!(a.len() > 100, "{}", a.len());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (&x.cert_no, &x.name, &x.kind, x.rank, &x.record_id),
            (&y.cert_no, &y.name, &y.kind, y.rank, &y.record_id)
        );
        // Scores are stored as f64 and computed from the same data: equal to rounding.
        assert!((x.score - y.score).abs() <= 1e-9, "{x:?} {y:?}");
    }
}

/// Every reference record reaches the index, also one whose values hold the characters a page of
/// records is joined with (U+001E, U+001F): the page is read again with them replaced. On SQLite
/// the index is saved in a file beside the database (forgetting it removes the file); on
/// PostgreSQL in rows, so that every app instance finds it.
async fn every_record_is_indexed_and_the_index_is_saved_beside_the_database(t: &TestDb) {
    small_base(t).await;
    let odd = t.write(
        "odd.csv",
        "来源,记录号,姓名,身份证号,性别,出生日期,联系电话,地址,原地址\n\
         电话登记,ODD-1,王\u{1f}明,,男,1950-03-04,13912345678,黄浦区乔家路12弄\u{1e}3号,\n\
         电话登记,ODD-2,李\u{1e}红,,女,,13912345679,黄浦区\u{1f}乔家路12弄5号,\n",
    );
    import_reference(&t.db, &odd, &ReferenceOptions::default(), &|_| {})
        .await
        .expect("records with separators");
    forget_saved_index(&t.db).await.expect("forget");
    let refresh = refresh_index(&t.db).await.expect("index");
    assert_eq!(refresh.origin, IndexOrigin::Rebuilt);
    assert_eq!(refresh.records_indexed, 602);
    let index_file = t.path("test.db-match-index");
    let saved_rows = t.count("SELECT COUNT(*) FROM match_index_chunks").await;
    if t.url.starts_with("sqlite") {
        assert!(index_file.is_file(), "{}", index_file.display());
        // One row without data: the file's first line, which the file must carry to be used.
        assert_eq!(saved_rows, 1);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM match_index_chunks WHERE LENGTH(data) > 0")
                .await,
            0
        );
    } else {
        assert!(saved_rows >= 1);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM match_index_chunks WHERE LENGTH(data) = 0")
                .await,
            0
        );
    }
    let again = refresh_index(&t.db).await.expect("load");
    assert_eq!(again.origin, IndexOrigin::Loaded);
    assert_eq!(again.records_indexed, 602);
    forget_saved_index(&t.db).await.expect("forget");
    assert!(!index_file.exists());
    assert_eq!(t.count("SELECT COUNT(*) FROM match_index_chunks").await, 0);
    // A saved index that does not read back is rebuilt, not trusted.
    refresh_index(&t.db).await.expect("index");
    if t.url.starts_with("sqlite") {
        // A file the database does not know (a database deleted and made again beside it, with
        // records of the same count, highest id and batch) is not used either.
        sea_orm::ConnectionTrait::execute_unprepared(&t.db, "DELETE FROM match_index_chunks")
            .await
            .expect("forget the marker");
        assert!(index_file.is_file());
        assert_eq!(
            refresh_index(&t.db).await.expect("rebuild").origin,
            IndexOrigin::Rebuilt
        );
        let text = std::fs::read(&index_file).expect("index file");
        let cut = text.len() / 2;
        std::fs::write(&index_file, &text[..cut]).expect("truncate");
        assert_eq!(
            refresh_index(&t.db).await.expect("rebuild").origin,
            IndexOrigin::Rebuilt
        );
    }
}

on_both_databases!(
    matching_stores_ranked_candidates_that_point_at_the_right_records,
    reruns_are_incremental_and_reuse_the_saved_index,
    an_extended_index_gives_the_candidates_of_a_rebuilt_one,
    every_record_is_indexed_and_the_index_is_saved_beside_the_database,
);
