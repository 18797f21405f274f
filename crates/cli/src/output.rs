//! What the CLI prints: summaries and tables, aligned for CJK text.

use std::fmt::Write;
use std::time::Duration;

use unicode_width::UnicodeWidthStr;
use xunren_registry::RowProblem;
use xunren_registry::import::Counts;
use xunren_registry::import::reference::ReferenceReport;
use xunren_registry::import::roster::RosterReport;
use xunren_registry::stats::{RegistryStats, StatsRow};

/// Warnings printed in a summary before the rest are only counted.
const WARNINGS_SHOWN: usize = 20;

/// The URL without a password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn counts(label: &str, counts: &Counts) -> String {
    format!(
        "{label}: 新增 added {}, 变更 changed {}, 删除 removed {}, 未变 unchanged {}",
        counts.added, counts.changed, counts.removed, counts.unchanged
    )
}

fn warnings(out: &mut String, warnings: &[RowProblem], total: u64) {
    if total == 0 {
        return;
    }
    let _ = writeln!(out, "警告 warnings: {total}");
    for warning in warnings.iter().take(WARNINGS_SHOWN) {
        let _ = writeln!(out, "  {warning}");
    }
    if total > WARNINGS_SHOWN as u64 {
        let _ = writeln!(
            out,
            "  …另有 {} 条 / … and {} more",
            total - WARNINGS_SHOWN as u64,
            total - WARNINGS_SHOWN as u64
        );
    }
}

fn outcome(dry_run: bool, batch_id: Option<i32>) -> String {
    match (dry_run, batch_id) {
        (true, _) => "试运行，未写入 / dry run: nothing written".to_string(),
        (false, Some(id)) => format!("已写入，导入批次 #{id} / written as import batch #{id}"),
        (false, None) => {
            "与已有数据相同，未作改动 / same as what is stored: nothing changed".to_string()
        }
    }
}

pub fn roster_summary(report: &RosterReport, elapsed: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} 行 rows, sha256 {}",
        report.file, report.rows, &report.sha256
    );
    let _ = writeln!(out, "{}", counts("权证 certificates", &report.certificates));
    let _ = writeln!(out, "{}", counts("人员 persons", &report.persons));
    if report.persons_kept_for_cases > 0 {
        let _ = writeln!(
            out,
            "其中 {n} 人有寻人个案，保留并标为已移出名单 / {n} of them have tracing cases: kept, marked removed from the roster",
            n = report.persons_kept_for_cases
        );
    }
    if !report.unknown_columns.is_empty() {
        let _ = writeln!(
            out,
            "已忽略未知列 ignored unknown columns: {}",
            report.unknown_columns.join(", ")
        );
    }
    warnings(&mut out, &report.warnings, report.warnings.len() as u64);
    let _ = writeln!(
        out,
        "{} ({:.2} s)",
        outcome(report.dry_run, report.batch_id),
        elapsed.as_secs_f64()
    );
    out
}

pub fn reference_summary(report: &ReferenceReport, elapsed: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} 行 rows, 来源 sources: {}, sha256 {}",
        report.file,
        report.rows,
        report.sources.join("、"),
        &report.sha256
    );
    let _ = writeln!(out, "{}", counts("参考记录 records", &report.records));
    if !report.unknown_columns.is_empty() {
        let _ = writeln!(
            out,
            "已忽略未知列 ignored unknown columns: {}",
            report.unknown_columns.join(", ")
        );
    }
    warnings(&mut out, &report.warnings, report.warning_count);
    let seconds = elapsed.as_secs_f64();
    let _ = writeln!(
        out,
        "{} ({seconds:.2} s, {:.0} 行/秒 rows/s)",
        outcome(report.dry_run, report.batch_id),
        report.rows as f64 / seconds.max(1e-9)
    );
    out
}

/// Left-aligns `cells` in columns of display width (CJK characters are two columns wide).
fn render(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(width.saturating_sub(cell.width()) + 2));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// The stats as a table with a subtotal per base.
pub fn stats_table(stats: &RegistryStats) -> String {
    let header = [
        "基地 base",
        "征收所 department",
        "街道 subdistrict",
        "居委会 committee",
        "权证 certs",
        "人员 persons",
        "失联 lost",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".to_string());
    let mut index = 0;
    while index < stats.groups.len() {
        let base = &stats.groups[index].base;
        let group: Vec<&StatsRow> = stats.groups[index..]
            .iter()
            .take_while(|r| &r.base == base)
            .collect();
        index += group.len();
        for row in &group {
            rows.push(vec![
                row.base.clone(),
                dash(&row.department),
                dash(&row.subdistrict),
                dash(&row.committee),
                row.certificates.to_string(),
                row.persons.to_string(),
                row.lost.to_string(),
            ]);
        }
        let sum = |f: fn(&StatsRow) -> i64| group.iter().map(|r| f(r)).sum::<i64>().to_string();
        rows.push(vec![
            format!("{base} 合计 total"),
            String::new(),
            String::new(),
            String::new(),
            sum(|r| r.certificates),
            sum(|r| r.persons),
            sum(|r| r.lost),
        ]);
    }
    let mut out = render(&rows);
    if !stats.sources.is_empty() {
        let mut sources = vec![vec![
            "参考来源 source".to_string(),
            "记录 records".to_string(),
        ]];
        for source in &stats.sources {
            sources.push(vec![source.source.clone(), source.records.to_string()]);
        }
        out.push('\n');
        out.push_str(&render(&sources));
    }
    out
}

/// What `xunren gen` wrote.
pub fn gen_summary(summary: &xunren_synth::GenSummary) -> String {
    let mut out = String::new();
    let [old_west, small_south, units] = summary.certificates_by_group;
    let _ = writeln!(
        out,
        "权证 certificates {} (老西门街道 {old_west}, 小南门街道 {small_south}, 单位 {units}), 人员 persons {}, 失联 lost {} (有本人记录 with a true record {})",
        summary.certificates, summary.persons, summary.lost_persons, summary.lost_with_true_record
    );
    let mut files = vec![&summary.roster, &summary.truth, &summary.staff];
    files.extend(summary.references.iter().map(|(_, file)| file));
    files.extend(summary.votes.iter());
    for file in files {
        let _ = writeln!(out, "  {} ({} 行 rows)", file.path.display(), file.rows);
    }
    out
}

/// Writes candidates as CSV (`cert_no,name,source,record_id,rank,score,evidence,kind`, the evidence
/// as its Chinese summary) or as JSON (the evidence in full).
pub fn write_candidates(
    out: &mut dyn std::io::Write,
    candidates: &[xunren_registry::matching::CandidateExport],
    json: bool,
) -> anyhow::Result<()> {
    let evidence = |c: &xunren_registry::matching::CandidateExport| {
        serde_json::from_str::<serde_json::Value>(&c.evidence).unwrap_or(serde_json::Value::Null)
    };
    if json {
        let rows: Vec<serde_json::Value> = candidates
            .iter()
            .map(|c| {
                serde_json::json!({
                    "cert_no": c.cert_no, "name": c.name, "source": c.source,
                    "record_id": c.record_id, "rank": c.rank, "score": c.score,
                    "kind": c.kind, "evidence": evidence(c),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "cert_no",
        "name",
        "source",
        "record_id",
        "rank",
        "score",
        "evidence",
        "kind",
    ])?;
    for c in candidates {
        let summary = evidence(c)
            .get("zh")
            .and_then(|z| z.as_str().map(str::to_string))
            .unwrap_or_default();
        writer.write_record([
            c.cert_no.as_str(),
            c.name.as_str(),
            c.source.as_str(),
            c.record_id.as_str(),
            &c.rank.to_string(),
            &format!("{:.4}", c.score),
            &summary,
            c.kind.as_str(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// What `xunren match` did.
/// How the matching index was obtained, in Chinese and English.
pub fn index_origin(origin: xunren_registry::matching::IndexOrigin) -> String {
    use xunren_registry::matching::IndexOrigin;
    match origin {
        IndexOrigin::Loaded => "索引已加载 index loaded".to_string(),
        IndexOrigin::Extended { added } => {
            format!("索引已追加 {added} 条 index extended by {added} records")
        }
        IndexOrigin::Rebuilt => "索引已重建 index rebuilt".to_string(),
    }
}

pub fn match_summary(
    report: &xunren_registry::matching::MatchReport,
    written: usize,
    elapsed: Duration,
) -> String {
    format!(
        "参考记录 records indexed {} ({}; {:.2} s), 失联 lost {}, 本次匹配 matched {} ({:.2} s), \
         候选 candidates {} + 亲属/旧邻 relatives {} stored ({:.2} s), 输出 written {written}; total {:.2} s\n",
        report.records_indexed,
        index_origin(report.index_origin),
        report.index_time.as_secs_f64(),
        report.lost_persons,
        report.persons_matched,
        report.match_time.as_secs_f64(),
        report.candidates_stored,
        report.relatives_stored,
        report.store_time.as_secs_f64(),
        elapsed.as_secs_f64()
    )
}
