//! Reports for supervisors (督导报表): the consultation table in the base's published form,
//! unresolved cases by subdistrict, committee, team and staff member, overdue leads, staff load,
//! the burn-down with the median time to locate, and certificates blocked by a lost holder.
//!
//! Each report is a typed, serialisable value (the JSON format and the web dashboard use it) with
//! a [`ReportTable`] view rendered as an aligned text table, CSV, xlsx or JSON. Names are masked.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Statement};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::Timestamp;
use crate::code::ThresholdRule;
use crate::entity::staff;
use crate::error::{Result, TaskError};

/// Output formats of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Table,
    Csv,
    Xlsx,
    Json,
}

impl std::str::FromStr for Format {
    type Err = TaskError;
    fn from_str(text: &str) -> Result<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "json" => Ok(Format::Json),
            _ => Err(TaskError::invalid(
                format!("未知格式「{text}」(table/csv/xlsx/json)"),
                format!("unknown format {text:?} (table, csv, xlsx, json)"),
            )),
        }
    }
}

/// A report as a titled table with notes under it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReportTable {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

impl ReportTable {
    fn new(title: impl Into<String>, headers: &[&str]) -> ReportTable {
        ReportTable {
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Renders in `format` (JSON here is the table itself; typed JSON comes from the report).
    pub fn render(&self, format: Format) -> Result<Vec<u8>> {
        match format {
            Format::Table => Ok(self.text().into_bytes()),
            Format::Csv => self.csv(),
            Format::Xlsx => self.xlsx(),
            Format::Json => {
                serde_json::to_vec_pretty(self).map_err(|e| TaskError::Output(e.to_string()))
            }
        }
    }

    /// An aligned text table (CJK characters count double).
    pub fn text(&self) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.width());
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate().take(columns) {
                let pad = widths[i].saturating_sub(cell.width());
                let numeric = cell
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '-');
                if i > 0 {
                    out.push_str("  ");
                }
                if numeric {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                }
            }
            out.trim_end().to_string()
        };
        let mut out = format!("{}\n", self.title);
        out.push_str(&line(&self.headers));
        out.push('\n');
        let total: usize = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        for note in &self.notes {
            out.push_str(note);
            out.push('\n');
        }
        out
    }

    fn csv(&self) -> Result<Vec<u8>> {
        let error = |e: csv::Error| TaskError::Output(e.to_string());
        // A BOM so that Excel on Chinese Windows reads UTF-8.
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(b"\xEF\xBB\xBF".to_vec());
        writer.write_record(&self.headers).map_err(error)?;
        for row in &self.rows {
            writer.write_record(row).map_err(error)?;
        }
        for note in &self.notes {
            writer.write_record([note]).map_err(error)?;
        }
        writer
            .into_inner()
            .map_err(|e| TaskError::Output(e.to_string()))
    }

    fn xlsx(&self) -> Result<Vec<u8>> {
        let error = |e: rust_xlsxwriter::XlsxError| TaskError::Output(e.to_string());
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        sheet
            .write_string_with_format(0, 0, &self.title, &bold)
            .map_err(error)?;
        for (c, header) in self.headers.iter().enumerate() {
            sheet
                .write_string_with_format(1, col(c), header, &bold)
                .map_err(error)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let at = u32::try_from(r + 2).unwrap_or(u32::MAX);
                match cell.parse::<f64>() {
                    Ok(number) if !cell.starts_with('0') || cell == "0" => {
                        sheet.write_number(at, col(c), number).map_err(error)?
                    }
                    _ => sheet.write_string(at, col(c), cell).map_err(error)?,
                };
            }
        }
        let mut at = u32::try_from(self.rows.len() + 3).unwrap_or(u32::MAX);
        for note in &self.notes {
            sheet.write_string(at, 0, note).map_err(error)?;
            at = at.saturating_add(1);
        }
        workbook.save_to_buffer().map_err(error)
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// `n / d` as a percentage the way the published tables print it: `100%`, `99.5%`, `-` for 0/0.
pub fn percent(n: i64, d: i64) -> String {
    if d == 0 {
        return "-".to_string();
    }
    let text = format!("{:.2}", n as f64 * 100.0 / d as f64);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// How many more positive votes meet `threshold` (a share) of `total` under `rule`: never
/// negative.
pub fn needed(positive: i64, total: i64, threshold: f64, rule: ThresholdRule) -> i64 {
    (rule.required(total, threshold) - positive).max(0)
}

// ---------------------------------------------------------------------------------------------
// Consultation

/// A row of the consultation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// A department and subdistrict (or 单位 for organisations).
    Group,
    /// 合计 of one department.
    Subtotal,
    /// 合计 of the base.
    Total,
}

/// Counts of one row of the consultation table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct ConsultationCounts {
    pub certificates: i64,
    pub agree: i64,
    pub oppose: i64,
    pub abstain: i64,
    pub invalid: i64,
    pub signed: i64,
    pub unsigned: i64,
}

impl ConsultationCounts {
    fn zero() -> Self {
        ConsultationCounts {
            certificates: 0,
            agree: 0,
            oppose: 0,
            abstain: 0,
            invalid: 0,
            signed: 0,
            unsigned: 0,
        }
    }

    fn add(&mut self, o: &ConsultationCounts) {
        self.certificates += o.certificates;
        self.agree += o.agree;
        self.oppose += o.oppose;
        self.abstain += o.abstain;
        self.invalid += o.invalid;
        self.signed += o.signed;
        self.unsigned += o.unsigned;
    }

    /// 同意 in round 1, 已签约 in round 2.
    pub fn positive(&self, round: i32) -> i64 {
        if round == 2 { self.signed } else { self.agree }
    }
}

/// One row of the consultation table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsultationRow {
    pub kind: RowKind,
    /// 部门 (征收所).
    pub department: String,
    /// 街道, or 单位 for organisations' certificates.
    pub area: String,
    #[serde(flatten)]
    pub counts: ConsultationCounts,
    /// 同意率 / 签约率.
    pub rate: String,
}

/// The consultation table of a base for one round, with the gap to its threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Consultation {
    pub base: String,
    pub round: i32,
    pub date: Option<chrono::NaiveDate>,
    pub rows: Vec<ConsultationRow>,
    pub total: ConsultationCounts,
    /// 同意/签约 share of all certificates.
    pub rate: String,
    pub threshold: f64,
    /// How the threshold is read (≥ or >), the base's setting.
    pub threshold_rule: ThresholdRule,
    /// More 同意 (round 1) or 签约 (round 2) needed to reach the threshold.
    pub needed: i64,
    /// Certificates without a positive vote whose holder is an unresolved lost case.
    pub blocked: i64,
}

/// The consultation table (征询统计表) of `base_id`, round 1 or 2: a row per department and
/// subdistrict (organisations' certificates as 单位), a 合计 per department of several rows,
/// the base's 合计, the rate, the threshold and how far the base is from it.
pub async fn consultation<C: ConnectionTrait>(
    db: &C,
    base_id: i32,
    round: i32,
) -> Result<Consultation> {
    #[derive(FromQueryResult)]
    struct Group {
        department: Option<String>,
        area: Option<String>,
        first_id: i32,
        #[sea_orm(nested)]
        counts: ConsultationCounts,
    }
    let base = xunren_registry::entity::base::Entity::find_by_id(base_id)
        .one(db)
        .await?
        .ok_or_else(|| TaskError::not_found("征收基地", "base", format!("#{base_id}")))?;
    let round = if round == 2 { 2 } else { 1 };
    let count =
        |code: &str| format!("COALESCE(SUM(CASE WHEN v.opinion = '{code}' THEN 1 ELSE 0 END), 0)");
    let sql = format!(
        "SELECT d.name AS department,
                CASE WHEN c.housing_type = 'organisation' THEN '单位' ELSE s.name END AS area,
                MIN(c.id) AS first_id, COUNT(*) AS certificates,
                {} AS agree, {} AS oppose, {} AS abstain, {} AS invalid, {} AS signed, {} AS unsigned
         FROM certificates c
         LEFT JOIN departments d ON d.id = c.department_id
         LEFT JOIN subdistricts s ON s.id = c.subdistrict_id
         LEFT JOIN votes v ON v.certificate_id = c.id AND v.round = {round}
         WHERE c.base_id = {base_id}
         GROUP BY d.name, CASE WHEN c.housing_type = 'organisation' THEN '单位' ELSE s.name END",
        count("agree"),
        count("oppose"),
        count("abstain"),
        count("invalid"),
        count("signed"),
        count("unsigned"),
    );
    let mut groups =
        Group::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?;
    // Departments in roster order, and their rows in roster order.
    let mut department_first: HashMap<Option<String>, i32> = HashMap::new();
    for g in &groups {
        let entry = department_first
            .entry(g.department.clone())
            .or_insert(g.first_id);
        *entry = (*entry).min(g.first_id);
    }
    groups.sort_by_key(|g| (department_first.get(&g.department).copied(), g.first_id));
    let rate = |c: &ConsultationCounts| percent(c.positive(round), c.certificates);
    let mut rows = Vec::new();
    let mut total = ConsultationCounts::zero();
    let mut index = 0;
    while index < groups.len() {
        let department = groups[index].department.clone();
        let mut subtotal = ConsultationCounts::zero();
        let mut members = 0;
        while index < groups.len() && groups[index].department == department {
            let g = &groups[index];
            subtotal.add(&g.counts);
            rows.push(ConsultationRow {
                kind: RowKind::Group,
                department: department.clone().unwrap_or_else(|| "(未分所)".to_string()),
                area: g.area.clone().unwrap_or_else(|| "(未填街道)".to_string()),
                counts: g.counts.clone(),
                rate: rate(&g.counts),
            });
            members += 1;
            index += 1;
        }
        if members > 1 {
            rows.push(ConsultationRow {
                kind: RowKind::Subtotal,
                department: department.clone().unwrap_or_else(|| "(未分所)".to_string()),
                area: "合计".to_string(),
                rate: rate(&subtotal),
                counts: subtotal.clone(),
            });
        }
        total.add(&subtotal);
    }
    rows.push(ConsultationRow {
        kind: RowKind::Total,
        department: String::new(),
        area: "合计".to_string(),
        rate: rate(&total),
        counts: total.clone(),
    });
    let threshold = if round == 2 {
        base.round2_threshold
    } else {
        base.round1_threshold
    };
    let threshold_rule = ThresholdRule::parse(&base.threshold_rule)?;
    let blocked = blocked_count(db, base_id, round).await?;
    Ok(Consultation {
        base: base.name.clone(),
        round,
        date: if round == 2 {
            base.round2_end
        } else {
            base.round1_date
        },
        rate: rate(&total),
        needed: needed(
            total.positive(round),
            total.certificates,
            threshold,
            threshold_rule,
        ),
        rows,
        total,
        threshold,
        threshold_rule,
        blocked,
    })
}

impl Consultation {
    /// The threshold with its rule, as reports print it: `≥90%`, `>85%`.
    pub fn threshold_label(&self) -> String {
        format!(
            "{}{}",
            self.threshold_rule.sign(),
            percent((self.threshold * 10_000.0).round() as i64, 10_000)
        )
    }

    /// The table in the published form (部门/街道/权证数/同意/反对/弃权/废票/同意率).
    pub fn table(&self) -> ReportTable {
        let round1 = self.round == 1;
        let title = format!(
            "{} {}统计{}",
            self.base,
            if round1 {
                "一轮意愿征询投票"
            } else {
                "二轮征询签约"
            },
            self.date
                .map(|d| format!(" ({})", d.format("%Y.%-m.%-d")))
                .unwrap_or_default()
        );
        let mut table = if round1 {
            ReportTable::new(
                title,
                &[
                    "部门",
                    "街道",
                    "权证数",
                    "同意",
                    "反对",
                    "弃权",
                    "废票",
                    "同意率",
                ],
            )
        } else {
            ReportTable::new(
                title,
                &["部门", "街道", "权证数", "已签约", "未签约", "签约率"],
            )
        };
        let mut previous: Option<&str> = None;
        for row in &self.rows {
            let c = &row.counts;
            // The published form: a department named on its first row only, its 合计 in the
            // first column, the base's 合计 in the second.
            let (department, area) = match row.kind {
                RowKind::Group if previous == Some(row.department.as_str()) => {
                    (String::new(), row.area.clone())
                }
                RowKind::Group => {
                    previous = Some(row.department.as_str());
                    (row.department.clone(), row.area.clone())
                }
                RowKind::Subtotal => ("合计".to_string(), String::new()),
                RowKind::Total => (String::new(), "合计".to_string()),
            };
            let mut cells = vec![department, area, c.certificates.to_string()];
            if round1 {
                cells.extend([c.agree, c.oppose, c.abstain, c.invalid].map(|n| n.to_string()));
            } else {
                cells.extend([c.signed, c.unsigned].map(|n| n.to_string()));
            }
            cells.push(row.rate.clone());
            table.rows.push(cells);
        }
        let word = if round1 { "同意" } else { "签约" };
        table
            .notes
            .push(format!("百分比 (%) {word}数占总权证数 {}", self.rate));
        let threshold = self.threshold_label();
        table.notes.push(if self.needed == 0 {
            format!("门槛 {threshold}: 已达到 / threshold {threshold}: reached")
        } else {
            format!(
                "门槛 {threshold}: 还需 {n} 证{word} / threshold {threshold}: {n} more certificates needed",
                n = self.needed
            )
        });
        table.notes.push(format!(
            "失联权利人阻塞 {n} 证 / {n} certificates blocked by a lost holder",
            n = self.blocked
        ));
        table
    }
}

/// A holder (not a co-resident, still on the roster) whose case is unresolved.
const BLOCKED_WHERE: &str = "p.role IN ('tenant', 'owner') AND p.removed_at IS NULL \
     AND k.state IN ('open', 'tracing', 'located')";

async fn blocked_count<C: ConnectionTrait>(db: &C, base_id: i32, round: i32) -> Result<i64> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    let sql = format!(
        "SELECT COUNT(DISTINCT c.id) AS n FROM certificates c
         JOIN persons p ON p.certificate_id = c.id JOIN cases k ON k.person_id = p.id
         WHERE c.base_id = {base_id} AND {BLOCKED_WHERE}
           AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.certificate_id = c.id AND v.round = {round}
                           AND v.opinion IN ('agree', 'signed'))"
    );
    Ok(
        N::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .one(db)
            .await?
            .map_or(0, |n| n.n),
    )
}

/// A certificate blocked by a lost holder.
#[derive(Clone, Debug, Serialize)]
pub struct BlockedCertificate {
    pub cert_no: String,
    pub department: Option<String>,
    pub subdistrict: Option<String>,
    pub committee: Option<String>,
    /// Lost holders, names masked, with their case state.
    pub holders: Vec<String>,
}

/// Certificates without a positive vote in `round` whose holder (承租人/产权人) is an unresolved
/// lost case, and the gap to the threshold: `xunren report blocked`.
#[derive(Clone, Debug, Serialize)]
pub struct Blocked {
    pub base: String,
    pub round: i32,
    pub certificates: Vec<BlockedCertificate>,
    pub needed: i64,
}

/// The certificates blocked by a lost holder.
pub async fn blocked<C: ConnectionTrait>(db: &C, base_id: i32, round: i32) -> Result<Blocked> {
    #[derive(FromQueryResult)]
    struct Row {
        cert_no: String,
        department: Option<String>,
        subdistrict: Option<String>,
        committee: Option<String>,
        name: String,
        state: String,
    }
    let round = if round == 2 { 2 } else { 1 };
    let sql = format!(
        "SELECT c.cert_no AS cert_no, d.name AS department, s.name AS subdistrict,
                m.name AS committee, p.name AS name, k.state AS state
         FROM certificates c
         JOIN persons p ON p.certificate_id = c.id JOIN cases k ON k.person_id = p.id
         LEFT JOIN departments d ON d.id = c.department_id
         LEFT JOIN subdistricts s ON s.id = c.subdistrict_id
         LEFT JOIN committees m ON m.id = c.committee_id
         WHERE c.base_id = {base_id} AND {BLOCKED_WHERE}
           AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.certificate_id = c.id AND v.round = {round}
                           AND v.opinion IN ('agree', 'signed'))
         ORDER BY c.cert_no, p.name"
    );
    let rows = Row::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await?;
    let mut certificates: Vec<BlockedCertificate> = Vec::new();
    for row in rows {
        let holder = format!(
            "{} ({})",
            xunren_domain::mask_name(&row.name),
            crate::code::CaseState::parse(&row.state)
                .map_or(row.state.clone(), |s| s.label().to_string())
        );
        match certificates.last_mut() {
            Some(last) if last.cert_no == row.cert_no => last.holders.push(holder),
            _ => certificates.push(BlockedCertificate {
                cert_no: row.cert_no,
                department: row.department,
                subdistrict: row.subdistrict,
                committee: row.committee,
                holders: vec![holder],
            }),
        }
    }
    let c = consultation(db, base_id, round).await?;
    Ok(Blocked {
        base: c.base,
        round,
        certificates,
        needed: c.needed,
    })
}

impl Blocked {
    pub fn table(&self) -> ReportTable {
        let mut table = ReportTable::new(
            format!(
                "{} 失联权利人阻塞的权证 (第{}轮) / certificates blocked by a lost holder (round {})",
                self.base, self.round, self.round
            ),
            &["权证号", "部门", "街道", "居委会", "失联权利人"],
        );
        for c in &self.certificates {
            table.rows.push(vec![
                c.cert_no.clone(),
                c.department.clone().unwrap_or_default(),
                c.subdistrict.clone().unwrap_or_default(),
                c.committee.clone().unwrap_or_default(),
                c.holders.join("、"),
            ]);
        }
        table.notes.push(format!(
            "阻塞 {} 证；距门槛还需 {} 证 / {} blocked; {} more needed to reach the threshold",
            self.certificates.len(),
            self.needed,
            self.certificates.len(),
            self.needed
        ));
        table
    }
}

// ---------------------------------------------------------------------------------------------
// Cases and leads

/// When cases were opened, located and resolved (for the burn-down and the median time to locate).
#[derive(Clone, Debug, FromQueryResult)]
struct CaseTimes {
    state: String,
    opened_at: Timestamp,
    located_at: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
}

const UNRESOLVED: &str = "k.state IN ('open', 'tracing', 'located')";

fn base_filter(base_id: Option<i32>) -> String {
    base_id.map_or(String::new(), |id| format!(" AND k.base_id = {id}"))
}

async fn case_times<C: ConnectionTrait>(
    db: &C,
    base_id: Option<i32>,
    located_only: bool,
) -> Result<Vec<CaseTimes>> {
    let located = if located_only {
        " AND k.located_at IS NOT NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT k.state AS state, k.opened_at AS opened_at, k.located_at AS located_at,
                k.resolved_at AS resolved_at
         FROM cases k WHERE 1 = 1{}{located}",
        base_filter(base_id)
    );
    Ok(
        CaseTimes::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?,
    )
}

/// Counts of unresolved cases in one group and state, computed by the database.
#[derive(Clone, Debug, FromQueryResult)]
struct GroupCount {
    grp: Option<String>,
    state: String,
    n: i64,
    stuck: i64,
    overdue: i64,
}

/// What unresolved cases are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Subdistrict,
    Committee,
    Team,
    Staff,
}

impl std::str::FromStr for GroupBy {
    type Err = TaskError;
    fn from_str(text: &str) -> Result<GroupBy> {
        match text.trim() {
            "subdistrict" | "街道" => Ok(GroupBy::Subdistrict),
            "committee" | "居委会" => Ok(GroupBy::Committee),
            "team" | "小组" => Ok(GroupBy::Team),
            "staff" | "工作人员" => Ok(GroupBy::Staff),
            _ => Err(TaskError::invalid(
                format!("未知分组「{text}」(subdistrict/committee/team/staff)"),
                format!("unknown grouping {text:?} (subdistrict, committee, team, staff)"),
            )),
        }
    }
}

/// One group of unresolved cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnresolvedRow {
    pub group: String,
    /// Unresolved cases (open, tracing, located).
    pub unresolved: i64,
    pub open: i64,
    pub tracing: i64,
    pub located: i64,
    /// Unresolved cases without an open lead.
    pub stuck: i64,
    /// Open leads past their due date.
    pub overdue_leads: i64,
}

/// Unresolved cases by subdistrict, committee, team or staff member.
#[derive(Clone, Debug, Serialize)]
pub struct Unresolved {
    pub by: GroupBy,
    pub today: chrono::NaiveDate,
    pub rows: Vec<UnresolvedRow>,
    pub total: UnresolvedRow,
    /// Median days from opening to located, over cases located so far.
    pub median_days_to_locate: Option<f64>,
}

const NOBODY: &str = "(无人负责 / nobody)";
const UNASSIGNED: &str = "(未分派 / unassigned)";

/// Unresolved cases grouped `by`, as of `today`. For teams and staff a case counts for every staff
/// member holding one of its open leads (and, once, for their team); cases with no open lead are
/// `nobody`'s. The counting is done by the database: the rows returned are groups, not cases.
pub async fn unresolved<C: ConnectionTrait>(
    db: &C,
    base_id: Option<i32>,
    by: GroupBy,
    today: chrono::NaiveDate,
) -> Result<Unresolved> {
    let backend = db.get_database_backend();
    let day = today.format("%Y-%m-%d");
    let filter = base_filter(base_id);
    // Per case: open leads and overdue ones.
    let per_case = format!(
        "SELECT case_id, COUNT(*) AS open_n,
                SUM(CASE WHEN due_date < '{day}' THEN 1 ELSE 0 END) AS overdue_n
         FROM leads WHERE status = 'open' GROUP BY case_id"
    );
    let by_area = |group: &str| {
        format!(
            "SELECT grp, state, COUNT(*) AS n, CAST(SUM(stuck) AS BIGINT) AS stuck,
                    CAST(SUM(overdue) AS BIGINT) AS overdue
             FROM (SELECT {group} AS grp, k.state AS state,
                          CASE WHEN o.open_n IS NULL THEN 1 ELSE 0 END AS stuck,
                          COALESCE(o.overdue_n, 0) AS overdue
                   FROM cases k JOIN persons p ON p.id = k.person_id
                   JOIN certificates c ON c.id = p.certificate_id
                   LEFT JOIN subdistricts s ON s.id = c.subdistrict_id
                   LEFT JOIN committees m ON m.id = c.committee_id
                   LEFT JOIN ({per_case}) o ON o.case_id = k.id
                   WHERE {UNRESOLVED}{filter}) x
             GROUP BY grp, state"
        )
    };
    let fetch = |sql: String| async move {
        GroupCount::find_by_statement(Statement::from_string(backend, sql))
            .all(db)
            .await
    };
    let totals = fetch(by_area("'合计 / total'")).await?;
    let groups = match by {
        GroupBy::Subdistrict => fetch(by_area("s.name")).await?,
        GroupBy::Committee => fetch(by_area("m.name")).await?,
        GroupBy::Team | GroupBy::Staff => {
            let group = if by == GroupBy::Staff {
                format!("CASE WHEN l.assignee_id IS NULL THEN '{UNASSIGNED}' ELSE st.name END")
            } else {
                format!(
                    "CASE WHEN l.assignee_id IS NULL THEN '{UNASSIGNED}' ELSE COALESCE(st.team, '(无小组)') END"
                )
            };
            let held = format!(
                "SELECT grp, state, COUNT(*) AS n, CAST(0 AS BIGINT) AS stuck,
                        CAST(SUM(overdue) AS BIGINT) AS overdue
                 FROM (SELECT k.id AS id, k.state AS state, {group} AS grp,
                              SUM(CASE WHEN l.due_date < '{day}' THEN 1 ELSE 0 END) AS overdue
                       FROM cases k JOIN leads l ON l.case_id = k.id AND l.status = 'open'
                       LEFT JOIN staff st ON st.id = l.assignee_id
                       WHERE {UNRESOLVED}{filter}
                       GROUP BY k.id, k.state, {group}) x
                 GROUP BY grp, state"
            );
            let stuck = format!(
                "SELECT '{NOBODY}' AS grp, k.state AS state, COUNT(*) AS n, COUNT(*) AS stuck,
                        CAST(0 AS BIGINT) AS overdue
                 FROM cases k
                 WHERE {UNRESOLVED}{filter}
                   AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.case_id = k.id AND l.status = 'open')
                 GROUP BY k.state"
            );
            let mut rows = fetch(held).await?;
            rows.extend(fetch(stuck).await?);
            rows
        }
    };
    let fold = |rows: &[GroupCount], name: Option<&str>| {
        let mut out: BTreeMap<String, UnresolvedRow> = BTreeMap::new();
        for g in rows {
            let key = name
                .map(str::to_string)
                .or_else(|| g.grp.clone())
                .unwrap_or_else(|| "(无)".to_string());
            let entry = out.entry(key.clone()).or_insert_with(|| row(key));
            entry.unresolved += g.n;
            match g.state.as_str() {
                "open" => entry.open += g.n,
                "tracing" => entry.tracing += g.n,
                _ => entry.located += g.n,
            }
            entry.stuck += g.stuck;
            entry.overdue_leads += g.overdue;
        }
        out
    };
    let total = fold(&totals, Some("合计 / total"))
        .into_values()
        .next()
        .unwrap_or_else(|| row("合计 / total".to_string()));
    let mut rows: Vec<UnresolvedRow> = fold(&groups, None).into_values().collect();
    rows.sort_by(|a, b| b.unresolved.cmp(&a.unresolved).then(a.group.cmp(&b.group)));
    let located = case_times(db, base_id, true).await?;
    Ok(Unresolved {
        by,
        today,
        rows,
        total,
        median_days_to_locate: median_days_to_locate(&located),
    })
}

fn row(group: String) -> UnresolvedRow {
    UnresolvedRow {
        group,
        unresolved: 0,
        open: 0,
        tracing: 0,
        located: 0,
        stuck: 0,
        overdue_leads: 0,
    }
}

fn median_days_to_locate(cases: &[CaseTimes]) -> Option<f64> {
    let mut days: Vec<f64> = cases
        .iter()
        .filter_map(|c| {
            c.located_at
                .map(|l| (l - c.opened_at).num_seconds() as f64 / 86_400.0)
        })
        .collect();
    if days.is_empty() {
        return None;
    }
    days.sort_by(f64::total_cmp);
    let mid = days.len() / 2;
    Some(if days.len().is_multiple_of(2) {
        (days[mid - 1] + days[mid]) / 2.0
    } else {
        days[mid]
    })
}

fn median_note(median: Option<f64>) -> String {
    match median {
        Some(d) => format!("找到所需时间中位数 {d:.1} 天 / median time to locate {d:.1} days"),
        None => "尚无已找到的个案 / no case located yet".to_string(),
    }
}

impl Unresolved {
    pub fn table(&self) -> ReportTable {
        let what = match self.by {
            GroupBy::Subdistrict => "街道 subdistrict",
            GroupBy::Committee => "居委会 committee",
            GroupBy::Team => "小组 team",
            GroupBy::Staff => "工作人员 staff",
        };
        let mut table = ReportTable::new(
            format!("未解决个案 unresolved cases — {what} ({})", self.today),
            &[
                "分组 group",
                "未解决",
                "待查",
                "查找中",
                "已找到",
                "卡住 stuck",
                "逾期线索 overdue",
            ],
        );
        for r in self.rows.iter().chain(std::iter::once(&self.total)) {
            table.rows.push(vec![
                r.group.clone(),
                r.unresolved.to_string(),
                r.open.to_string(),
                r.tracing.to_string(),
                r.located.to_string(),
                r.stuck.to_string(),
                r.overdue_leads.to_string(),
            ]);
        }
        if matches!(self.by, GroupBy::Team | GroupBy::Staff) {
            table.notes.push(
                "一个个案可计入多名负责人 / a case counts for every staff member holding one of its leads".to_string(),
            );
        }
        table.notes.push(median_note(self.median_days_to_locate));
        table
    }
}

/// One staff member's workload.
#[derive(Clone, Debug, Serialize)]
pub struct StaffLoad {
    pub name: String,
    pub role: String,
    pub team: Option<String>,
    pub status: String,
    pub capacity: i32,
    pub open_leads: i64,
    pub overdue: i64,
    /// Overdue leads escalated to them.
    pub escalated_to_them: i64,
    pub attempts_7d: i64,
    pub leads_closed: i64,
    pub leads_reached: i64,
}

/// Staff workload and overdue leads: `xunren report staff` and `xunren report overdue`.
#[derive(Clone, Debug, Serialize)]
pub struct StaffReport {
    pub today: chrono::NaiveDate,
    pub rows: Vec<StaffLoad>,
    /// Open leads past due with nobody assigned.
    pub overdue_unassigned: i64,
}

/// Workload per staff member as of `today`.
pub async fn staff_report<C: ConnectionTrait>(
    db: &C,
    today: chrono::NaiveDate,
) -> Result<StaffReport> {
    #[derive(FromQueryResult)]
    struct Counts {
        staff_id: i32,
        n: i64,
    }
    let backend = db.get_database_backend();
    let counts = |sql: String| async move {
        Ok::<HashMap<i32, i64>, TaskError>(
            Counts::find_by_statement(Statement::from_string(backend, sql))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.staff_id, c.n))
                .collect(),
        )
    };
    let since = (today - chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let attempts = counts(format!(
        "SELECT staff_id AS staff_id, COUNT(*) AS n FROM attempts
         WHERE staff_id IS NOT NULL AND at >= '{since}' GROUP BY staff_id"
    ))
    .await?;
    let closed = counts(
        "SELECT assignee_id AS staff_id, COUNT(*) AS n FROM leads
         WHERE assignee_id IS NOT NULL AND status = 'closed' GROUP BY assignee_id"
            .to_string(),
    )
    .await?;
    let reached = counts(
        "SELECT assignee_id AS staff_id, COUNT(*) AS n FROM leads
         WHERE assignee_id IS NOT NULL AND outcome IN ('reached', 'located') GROUP BY assignee_id"
            .to_string(),
    )
    .await?;
    let day = today.format("%Y-%m-%d");
    let open = counts(
        "SELECT assignee_id AS staff_id, COUNT(*) AS n FROM leads
         WHERE assignee_id IS NOT NULL AND status = 'open' GROUP BY assignee_id"
            .to_string(),
    )
    .await?;
    let overdue = counts(format!(
        "SELECT assignee_id AS staff_id, COUNT(*) AS n FROM leads
         WHERE assignee_id IS NOT NULL AND status = 'open' AND due_date < '{day}'
         GROUP BY assignee_id"
    ))
    .await?;
    let overdue_unassigned = counts(format!(
        "SELECT 0 AS staff_id, COUNT(*) AS n FROM leads
         WHERE assignee_id IS NULL AND status = 'open' AND due_date < '{day}'"
    ))
    .await?
    .get(&0)
    .copied()
    .unwrap_or(0);
    let members = staff::Entity::find().all(db).await?;
    let escalated = counts(
        "SELECT escalated_to_id AS staff_id, COUNT(*) AS n FROM leads
         WHERE escalated_to_id IS NOT NULL AND status = 'open' GROUP BY escalated_to_id"
            .to_string(),
    )
    .await?;
    let mut rows: Vec<StaffLoad> = members
        .iter()
        .map(|s| StaffLoad {
            name: s.name.clone(),
            role: crate::code::StaffRole::parse(&s.role)
                .map_or(s.role.clone(), |r| r.label().to_string()),
            team: s.team.clone(),
            status: crate::code::StaffStatus::parse(&s.status)
                .map_or(s.status.clone(), |r| r.label().to_string()),
            capacity: s.capacity,
            open_leads: open.get(&s.id).copied().unwrap_or(0),
            overdue: overdue.get(&s.id).copied().unwrap_or(0),
            escalated_to_them: escalated.get(&s.id).copied().unwrap_or(0),
            attempts_7d: attempts.get(&s.id).copied().unwrap_or(0),
            leads_closed: closed.get(&s.id).copied().unwrap_or(0),
            leads_reached: reached.get(&s.id).copied().unwrap_or(0),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.open_leads.cmp(&a.open_leads))
            .then(a.name.cmp(&b.name))
    });
    Ok(StaffReport {
        today,
        rows,
        overdue_unassigned,
    })
}

impl StaffReport {
    /// Every staff member's load.
    pub fn table(&self) -> ReportTable {
        let mut table = ReportTable::new(
            format!("工作人员负荷 staff workload ({})", self.today),
            &[
                "姓名",
                "角色",
                "小组",
                "状态",
                "在办/容量",
                "负荷",
                "逾期",
                "升级给本人",
                "近7天走访",
                "已结线索",
                "找到/联系上",
            ],
        );
        for r in &self.rows {
            table.rows.push(vec![
                r.name.clone(),
                r.role.clone(),
                r.team.clone().unwrap_or_default(),
                r.status.clone(),
                format!("{}/{}", r.open_leads, r.capacity),
                percent(r.open_leads, i64::from(r.capacity)),
                r.overdue.to_string(),
                r.escalated_to_them.to_string(),
                r.attempts_7d.to_string(),
                r.leads_closed.to_string(),
                r.leads_reached.to_string(),
            ]);
        }
        table
    }

    /// Only those with overdue or escalated leads: `xunren report overdue`.
    pub fn overdue_table(&self) -> ReportTable {
        let mut table = ReportTable::new(
            format!("逾期线索 overdue leads ({})", self.today),
            &["姓名", "小组", "逾期", "升级给本人", "在办"],
        );
        let mut total = 0;
        for r in self
            .rows
            .iter()
            .filter(|r| r.overdue > 0 || r.escalated_to_them > 0)
        {
            total += r.overdue;
            table.rows.push(vec![
                r.name.clone(),
                r.team.clone().unwrap_or_default(),
                r.overdue.to_string(),
                r.escalated_to_them.to_string(),
                r.open_leads.to_string(),
            ]);
        }
        table.rows.push(vec![
            "(未分派 / unassigned)".to_string(),
            String::new(),
            self.overdue_unassigned.to_string(),
            String::new(),
            String::new(),
        ]);
        table.notes.push(format!(
            "逾期合计 {n} 条 / {n} overdue leads in all",
            n = total + self.overdue_unassigned
        ));
        table
    }
}

/// One day of the burn-down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BurnDay {
    pub date: chrono::NaiveDate,
    pub opened: i64,
    pub located: i64,
    /// Contacted or closed that day.
    pub resolved: i64,
    /// Unresolved at the end of the day.
    pub remaining: i64,
}

/// Cases resolved per day and what remains: `xunren report burndown`.
#[derive(Clone, Debug, Serialize)]
pub struct Burndown {
    pub days: Vec<BurnDay>,
    pub median_days_to_locate: Option<f64>,
    pub unresolved: i64,
}

/// The burn-down of a base (or all) from the first opening to `today` (at most `max_days` days,
/// the latest kept).
pub async fn burndown<C: ConnectionTrait>(
    db: &C,
    base_id: Option<i32>,
    today: chrono::NaiveDate,
    max_days: usize,
) -> Result<Burndown> {
    let cases = case_times(db, base_id, false).await?;
    let mut opened: BTreeMap<chrono::NaiveDate, i64> = BTreeMap::new();
    let mut located: BTreeMap<chrono::NaiveDate, i64> = BTreeMap::new();
    let mut resolved: BTreeMap<chrono::NaiveDate, i64> = BTreeMap::new();
    for c in &cases {
        *opened.entry(c.opened_at.date_naive()).or_default() += 1;
        if let Some(at) = c.located_at {
            *located.entry(at.date_naive()).or_default() += 1;
        }
        if let Some(at) = c
            .resolved_at
            .filter(|_| !matches!(c.state.as_str(), "open" | "tracing" | "located"))
        {
            *resolved.entry(at.date_naive()).or_default() += 1;
        }
    }
    let mut days = Vec::new();
    if let Some(first) = opened.keys().next().copied() {
        let mut remaining = 0;
        let mut day = first;
        while day <= today {
            let o = opened.get(&day).copied().unwrap_or(0);
            let r = resolved.get(&day).copied().unwrap_or(0);
            remaining += o - r;
            days.push(BurnDay {
                date: day,
                opened: o,
                located: located.get(&day).copied().unwrap_or(0),
                resolved: r,
                remaining,
            });
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
    }
    if days.len() > max_days {
        days.drain(..days.len() - max_days);
    }
    Ok(Burndown {
        unresolved: cases
            .iter()
            .filter(|c| matches!(c.state.as_str(), "open" | "tracing" | "located"))
            .count() as i64,
        median_days_to_locate: median_days_to_locate(&cases),
        days,
    })
}

impl Burndown {
    pub fn table(&self) -> ReportTable {
        let mut table = ReportTable::new(
            "燃尽 burn-down: 每日解决与剩余 resolved per day and remaining",
            &["日期", "新开", "找到", "解决", "剩余"],
        );
        for d in &self.days {
            table.rows.push(vec![
                d.date.to_string(),
                d.opened.to_string(),
                d.located.to_string(),
                d.resolved.to_string(),
                d.remaining.to_string(),
            ]);
        }
        table.notes.push(format!(
            "未解决 {n} 个 / {n} unresolved",
            n = self.unresolved
        ));
        table.notes.push(median_note(self.median_days_to_locate));
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_gaps() {
        assert_eq!(percent(2002, 2002), "100%");
        assert_eq!(percent(1, 3), "33.33%");
        assert_eq!(percent(1, 2), "50%");
        assert_eq!(percent(0, 0), "-");
        use ThresholdRule::{AtLeast, MoreThan};
        assert_eq!(needed(1800, 2002, 0.9, AtLeast), 2); // 0.9 × 2002 = 1801.8 → 1802
        assert_eq!(needed(1802, 2002, 0.9, AtLeast), 0);
        assert_eq!(needed(90, 100, 0.9, AtLeast), 0);
        assert_eq!(needed(90, 100, 0.9, MoreThan), 1);
        assert_eq!(needed(84, 100, 0.85, AtLeast), 1);
        assert_eq!(needed(100, 100, 0.9, MoreThan), 0);
    }

    #[test]
    fn renders_aligned_text_and_csv() {
        let mut t = ReportTable::new("标题", &["部门", "n"]);
        t.rows.push(vec!["征收一所".into(), "1191".into()]);
        t.rows.push(vec!["x".into(), "7".into()]);
        let text = t.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], "征收一所  1191");
        assert_eq!(lines[4], "x            7");
        let csv = String::from_utf8(t.render(Format::Csv).expect("csv")).expect("utf8");
        assert!(csv.starts_with('\u{feff}') && csv.contains("征收一所,1191"));
        assert!(t.render(Format::Xlsx).expect("xlsx").starts_with(b"PK"));
    }
}
