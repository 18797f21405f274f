//! # xunren-synth: synthetic data for tracing lost residents (失联居民)
//!
//! A deterministic generator of everything a tracing run needs, in the import formats of `xunren import`:
//!
//! - `roster.csv` — the expropriation office's roster (花名册): one row per person per property certificate (权证),
//!   in the proportions of the 黄浦区乔家路北块(一期) base: 2,002 certificates, of which 征收一所 holds 1,191 in
//!   老西门街道 and 772 in 小南门街道 and 征收三所 holds 39 organisations (单位). Households of public housing (公房,
//!   tenant of record 承租人) and private housing (私房, owner 产权人) with one to four persons: the holder and
//!   co-residents (同住人). About 15 % of natural persons are lost (失联), often whole households; many of them are
//!   registered (户籍地址) at a lane that was itself demolished in an earlier redevelopment (人户分离).
//! - `reference_旧改档案.csv`, `reference_居住登记.csv`, `reference_电话登记.csv` — reference sources (参考数据源):
//!   archives of earlier redevelopments (old address 原地址 → relocation address 地址), resident registration (where
//!   people live now) and phone registration. Most records are background population; the rest are planted.
//! - `truth.csv` — which records belong to which lost person.
//! - `staff.csv` — the staff (工作人员) who trace: liaisons, committee cadres, office staff, leaders of six
//!   specialist teams (专业小组), supervisors, with areas, skills and capacity.
//! - `votes.csv` — first-round consultation (一轮征询) opinions per certificate (all 同意 by default, as in 2020).
//!
//! ## Noise model (噪声模型)
//! Formats vary in every record whatever the level: date formats (1956-03-07, 1956/3/7, 1956年3月7日, 19560307),
//! phone formats (021-, +86, spaces, two phones joined by `、`), address forms (with or without 上海市/区, the
//! district name of the time such as 南市区, Chinese or full-width numerals, `12弄-3`, room left out).
//! [`NoiseLevel`] scales the corruptions: homophones in given names (明/铭/鸣), traditional characters (陳/陈),
//! shape-alike characters (己/已), Shanghainese surname confusions (王/黄), former names (曾用名), spaces inside
//! names; masked IDs (`310101********123X`), legacy 15-digit IDs, blank IDs, wrong check digits, mistyped digits;
//! birth dates with day and month swapped, year only, written in the lunar calendar (农历, about a month early) or
//! mistyped; missing or wrong gender; wrong house numbers and dropped lanes. Lost persons change phones and move.
//! Each source has its own character: archives carry more legacy IDs and old district names, phone registration
//! rarely has IDs or birth dates.
//!
//! ## How truth is linked (真值)
//! A lost person is keyed by certificate number and roster name (`权证号` + `姓名`). Unless drawn into the share
//! without a true record ([`GenConfig::no_true_record_share`]), a lost person has one or two records (本人) in the
//! sources. Relatives — siblings and children with the same surname, spouses with their own — share the old address
//! and often the old landline; their records are `亲属` rows for every lost person of the same certificate, and so
//! are the own records of lost co-residents. Same-name strangers (同名不同人) are planted too and appear in no truth
//! row. Truth rows name the source (来源) and record number (记录号) of the record.
//!
//! ## Determinism and scale
//! The same [`GenConfig`] writes byte-identical files. Independent ChaCha8 streams feed the roster, the planted
//! records, each source's background and the staff, so changing the reference count leaves the roster unchanged.
//! Reference files are streamed: memory does not grow with [`GenConfig::reference_records`].

mod address;
mod idcard;
mod people;
mod reference;
mod roster;
mod staff;
mod tables;
mod text;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use idcard::check_digit;

/// Certificates of 老西门街道, 小南门街道 and organisations (单位) for a total, in the article's proportions
/// (1,191 : 772 : 39 of 2,002).
pub fn certificate_split(total: usize) -> [usize; 3] {
    roster::split_certificates(total)
}

/// Header of `roster.csv` (花名册).
pub const ROSTER_HEADER: [&str; 14] = [
    "权证号",
    "房屋坐落",
    "房屋类型",
    "征收所",
    "街道",
    "居委会",
    "姓名",
    "身份",
    "身份证号",
    "性别",
    "出生日期",
    "联系电话",
    "户籍地址",
    "联系状态",
];
/// Header of every `reference_*.csv` (参考数据).
pub const REFERENCE_HEADER: [&str; 9] = [
    "来源",
    "记录号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "联系电话",
    "地址",
    "原地址",
];
/// Header of `truth.csv` (真值).
pub const TRUTH_HEADER: [&str; 5] = ["权证号", "姓名", "来源", "记录号", "关系"];
/// Header of `staff.csv` (工作人员).
pub const STAFF_HEADER: [&str; 7] = ["姓名", "角色", "小组", "街道", "居委会", "技能", "容量"];
/// Header of `votes.csv` (征询意见).
pub const VOTES_HEADER: [&str; 3] = ["权证号", "轮次", "意见"];

/// File name of the roster (花名册).
pub const ROSTER_FILE: &str = "roster.csv";
/// File name of the truth (真值).
pub const TRUTH_FILE: &str = "truth.csv";
/// File name of the staff list (工作人员).
pub const STAFF_FILE: &str = "staff.csv";
/// File name of the round-one opinions (一轮征询意见).
pub const VOTES_FILE: &str = "votes.csv";

/// How much the records are corrupted (噪声强度). Format variety is present at every level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseLevel {
    /// No corruption (无噪声): values are exact, only formats vary.
    None,
    /// Half the default rates (低).
    Low,
    /// The default (中).
    #[default]
    Moderate,
    /// About twice the default rates (高).
    High,
    /// A custom multiplier of the default rates (0 = none, 1 = moderate).
    Factor(f64),
}

impl NoiseLevel {
    /// Multiplier of the default corruption rates.
    pub fn factor(self) -> f64 {
        match self {
            NoiseLevel::None => 0.0,
            NoiseLevel::Low => 0.5,
            NoiseLevel::Moderate => 1.0,
            NoiseLevel::High => 2.0,
            NoiseLevel::Factor(f) => f.clamp(0.0, 5.0),
        }
    }
}

impl FromStr for NoiseLevel {
    type Err = GenError;

    /// `none`, `low`, `moderate`, `high` (or 无/低/中/高), or a number.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "无" => Ok(NoiseLevel::None),
            "low" | "低" => Ok(NoiseLevel::Low),
            "moderate" | "default" | "中" => Ok(NoiseLevel::Moderate),
            "high" | "高" => Ok(NoiseLevel::High),
            other => match other.parse::<f64>() {
                Ok(f) if f.is_finite() && (0.0..=5.0).contains(&f) => Ok(NoiseLevel::Factor(f)),
                _ => Err(GenError::InvalidConfig(format!("noise = {s:?}"))),
            },
        }
    }
}

/// What to generate (生成参数).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct GenConfig {
    /// Seed (随机种子): the same config and seed write byte-identical files.
    pub seed: u64,
    /// Property certificates (权证) in the roster; default 2,002.
    pub certificates: usize,
    /// Share of natural persons who are lost (失联); default 0.15.
    pub lost_share: f64,
    /// Total reference records over all sources; default 20,000.
    pub reference_records: usize,
    /// Share of lost persons without any record of their own in the sources; default 0.10.
    pub no_true_record_share: f64,
    /// Share of lost persons for whom same-name strangers (同名不同人) are planted; default 0.30.
    pub stranger_share: f64,
    /// Corruption level (噪声); default moderate.
    pub noise: NoiseLevel,
    /// Staff (工作人员) rows; default 60.
    pub staff: usize,
    /// Write the third source, `reference_电话登记.csv`; default true.
    pub phone_source: bool,
    /// Write `votes.csv`; default true.
    pub votes: bool,
    /// Share of certificates voting 同意 in round one; default 1.0 (as on 2020-08-16).
    pub agree_share: f64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 20_200_816,
            certificates: 2002,
            lost_share: 0.15,
            reference_records: 20_000,
            no_true_record_share: 0.10,
            stranger_share: 0.30,
            noise: NoiseLevel::Moderate,
            staff: 60,
            phone_source: true,
            votes: true,
            agree_share: 1.0,
        }
    }
}

impl GenConfig {
    fn validate(&self) -> Result<(), GenError> {
        let shares = [
            ("lost_share", self.lost_share),
            ("no_true_record_share", self.no_true_record_share),
            ("stranger_share", self.stranger_share),
            ("agree_share", self.agree_share),
        ];
        for (name, v) in shares {
            if !(0.0..=1.0).contains(&v) {
                return Err(GenError::InvalidConfig(format!("{name} = {v}")));
            }
        }
        if let NoiseLevel::Factor(f) = self.noise
            && !(f.is_finite() && f >= 0.0)
        {
            return Err(GenError::InvalidConfig(format!("noise = {f}")));
        }
        Ok(())
    }
}

/// One written file and its data rows (header excluded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileCount {
    /// Path of the file (文件路径).
    pub path: PathBuf,
    /// Data rows (行数), header excluded.
    pub rows: usize,
}

/// What [`generate`] wrote (生成结果).
#[derive(Clone, Debug, Serialize)]
pub struct GenSummary {
    /// Output directory (输出目录).
    pub out_dir: PathBuf,
    /// `roster.csv` (花名册).
    pub roster: FileCount,
    /// One entry per reference source: source name (来源) and file.
    pub references: Vec<(String, FileCount)>,
    /// `truth.csv` (真值).
    pub truth: FileCount,
    /// `staff.csv` (工作人员).
    pub staff: FileCount,
    /// `votes.csv` (征询意见), when written.
    pub votes: Option<FileCount>,
    /// Property certificates (权证).
    pub certificates: usize,
    /// Certificates of 老西门街道, 小南门街道 and organisations (单位).
    pub certificates_by_group: [usize; 3],
    /// Natural persons on the roster.
    pub persons: usize,
    /// Lost persons (失联人员).
    pub lost_persons: usize,
    /// Lost persons with at least one 本人 record.
    pub lost_with_true_record: usize,
}

impl GenSummary {
    /// All reference records written.
    pub fn reference_records(&self) -> usize {
        self.references.iter().map(|(_, f)| f.rows).sum()
    }
}

/// Errors of the generator (生成错误), displayed in Chinese and English.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("无法创建输出目录 {path}: {source} / cannot create output directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("写入文件失败 {path}: {source} / failed to write file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("写入 CSV 失败 {path}: {source} / failed to write CSV {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("生成参数无效: {0} / invalid generator setting: {0}")]
    InvalidConfig(String),
}

/// A buffered CSV file being written.
pub(crate) struct CsvOut {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    rows: usize,
}

impl CsvOut {
    pub(crate) fn create(path: &Path) -> Result<Self, GenError> {
        let file = File::create(path).map_err(|source| GenError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let writer = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
        Ok(CsvOut {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    pub(crate) fn write(&mut self, fields: &[&str]) -> Result<(), GenError> {
        self.rows += 1;
        self.writer
            .write_record(fields)
            .map_err(|source| GenError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    /// Flushes and closes; returns the data rows written (header excluded).
    pub(crate) fn finish(self) -> Result<FileCount, GenError> {
        let path = self.path;
        let mut inner = self.writer.into_inner().map_err(|e| GenError::Io {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        inner.flush().map_err(|source| GenError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(FileCount {
            path,
            rows: self.rows.saturating_sub(1),
        })
    }
}

fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(id);
    rng
}

/// Writes roster, reference sources, truth, staff and votes into `out_dir` (created if missing).
pub fn generate(config: &GenConfig, out_dir: &Path) -> Result<GenSummary, GenError> {
    config.validate()?;
    std::fs::create_dir_all(out_dir).map_err(|source| GenError::CreateDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let seed = config.seed;

    let roster_path = out_dir.join(ROSTER_FILE);
    let votes_path = out_dir.join(VOTES_FILE);
    let mut roster_rng = stream(seed, 1);
    let roster = roster::generate_roster(
        config,
        &mut roster_rng,
        &roster_path,
        config.votes.then_some(&votes_path),
    )?;

    let mut plant_rng = stream(seed, 2);
    let mut background = [stream(seed, 10), stream(seed, 11), stream(seed, 12)];
    let (counts, truth) =
        reference::generate_references(config, &mut plant_rng, &mut background, &roster, out_dir)?;

    let truth_path = out_dir.join(TRUTH_FILE);
    let mut out = CsvOut::create(&truth_path)?;
    out.write(&TRUTH_HEADER)?;
    let mut with_true = std::collections::BTreeSet::new();
    for t in &truth {
        let p = &roster.persons[t.person];
        if t.relation == reference::Relation::Own {
            with_true.insert(t.person);
        }
        let record_id = reference::record_id(t.source, t.row);
        out.write(&[
            roster.certs[p.cert].no.as_str(),
            &p.roster_name,
            reference::SOURCES[t.source].name,
            &record_id,
            t.relation.label(),
        ])?;
    }
    let truth_count = out.finish()?;

    let staff_path = out_dir.join(STAFF_FILE);
    let mut staff_rng = stream(seed, 20);
    let staff_rows = staff::generate_staff(&mut staff_rng, config.staff, &staff_path)?;

    Ok(GenSummary {
        out_dir: out_dir.to_path_buf(),
        roster: FileCount {
            path: roster_path,
            rows: roster.rows,
        },
        references: counts
            .iter()
            .map(|c| {
                let s = &reference::SOURCES[c.source];
                (
                    s.name.to_string(),
                    FileCount {
                        path: out_dir.join(s.file),
                        rows: c.rows,
                    },
                )
            })
            .collect(),
        truth: truth_count,
        staff: FileCount {
            path: staff_path,
            rows: staff_rows,
        },
        votes: config.votes.then_some(FileCount {
            path: votes_path,
            rows: roster.certs.len(),
        }),
        certificates: roster.certs.len(),
        certificates_by_group: [
            roster.by_subdistrict[0],
            roster.by_subdistrict[1],
            roster.organisations,
        ],
        persons: roster.persons.len(),
        lost_persons: roster.persons.iter().filter(|p| p.lost).count(),
        lost_with_true_record: with_true.len(),
    })
}
