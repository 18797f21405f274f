//! Generic linkage of two CSV files (通用记录链接), driven by a TOML spec ([`LinkSpec`]).
//!
//! Steps: read both files; prepare every compared value once; generate candidate pairs by the union of the
//! blocking rules (分块规则); estimate `u` from random pairs and `m` by EM on the candidate pairs (no labels);
//! score every candidate with the Fellegi–Sunter model; keep pairs at or above the threshold, optionally one to one.
//!
//! ```toml
//! threshold = 0.99
//! [id]
//! a = "rec_id"
//! b = "rec_id"
//! [[field]]
//! name = "surname"      # column in both files (or give `a` and `b`)
//! kind = "name"         # exact | string | name | date | numeric | address | id_number | phone
//! swap_with = "given_name"
//! [[blocking]]
//! fields = ["surname", "postcode"]
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compare::{
    ComparisonLevel, FieldComparison, FieldKind, PreparedValue, compare, prepare,
};
use crate::error::LinkError;
use crate::model::{Evidence, FieldModel, Model};

/// The id columns of both files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdColumns {
    /// Id column of file A.
    pub a: String,
    /// Id column of file B (defaults to the one of A).
    #[serde(default)]
    pub b: Option<String>,
}

/// One compared field (比较字段).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Name of the field (used in evidence, blocking rules and `swap_with`).
    pub name: String,
    /// Column in file A (defaults to `name`).
    #[serde(default)]
    pub a: Option<String>,
    /// Column in file B (defaults to the column in A).
    #[serde(default)]
    pub b: Option<String>,
    /// Comparison kind.
    pub kind: FieldKind,
    /// Chinese label for evidence (defaults to `name`).
    #[serde(default)]
    pub label_zh: Option<String>,
    /// Another field with which this one may be swapped (given name ↔ surname): a swap gives level `swapped`.
    #[serde(default)]
    pub swap_with: Option<String>,
}

/// One blocking rule (分块规则): candidate pairs agree exactly on the normalised values of all its fields
/// (optionally on their first `prefix` characters). The rules are united.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingRule {
    /// Field names (from `[[field]]`).
    pub fields: Vec<String>,
    /// Compare only the first N characters of each value.
    #[serde(default)]
    pub prefix: Option<usize>,
}

/// A linkage spec (链接配置), read from TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Optional name.
    #[serde(default)]
    pub name: Option<String>,
    /// Id columns.
    pub id: IdColumns,
    /// Compared fields.
    #[serde(rename = "field")]
    pub fields: Vec<FieldSpec>,
    /// Blocking rules.
    #[serde(rename = "blocking")]
    pub blocking: Vec<BlockingRule>,
    /// Match-probability threshold for a link (default 0.99).
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Pairs with at least this probability are returned (default: the threshold).
    #[serde(default)]
    pub min_output_score: Option<f64>,
    /// Keep at most one link per record on each side (greedy by score), for files without duplicates inside.
    #[serde(default)]
    pub one_to_one: bool,
    /// Blocks producing more pairs than this are skipped (default 200,000).
    #[serde(default = "default_max_block")]
    pub max_block_pairs: usize,
    /// Random pairs sampled to estimate u (default 30,000).
    #[serde(default = "default_u_samples")]
    pub u_samples: usize,
    /// Maximum EM iterations (default 50).
    #[serde(default = "default_em_iterations")]
    pub em_iterations: usize,
}

fn default_threshold() -> f64 {
    0.99
}
fn default_max_block() -> usize {
    200_000
}
fn default_u_samples() -> usize {
    30_000
}
fn default_em_iterations() -> usize {
    50
}

impl LinkSpec {
    /// Parses a spec from TOML text and checks it.
    pub fn from_toml(text: &str) -> Result<Self, LinkError> {
        let spec: LinkSpec =
            toml::from_str(text).map_err(|e| LinkError::SpecParse(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Reads and checks a spec file.
    pub fn from_path(path: &Path) -> Result<Self, LinkError> {
        let text = std::fs::read_to_string(path).map_err(|source| LinkError::SpecRead {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text)
    }

    /// Checks names, thresholds and references.
    pub fn validate(&self) -> Result<(), LinkError> {
        if self.fields.is_empty() {
            return Err(LinkError::SpecInvalid("没有比较字段 / no [[field]]".into()));
        }
        if self.fields.len() > 64 {
            return Err(LinkError::SpecInvalid(
                "比较字段超过 64 个 / more than 64 fields".into(),
            ));
        }
        if self.blocking.is_empty() {
            return Err(LinkError::SpecInvalid(
                "没有分块规则 / no [[blocking]] rule".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(LinkError::SpecInvalid(
                "阈值须在 0 与 1 之间 / threshold must be in [0, 1]".into(),
            ));
        }
        if self.u_samples > 10_000_000 || self.em_iterations > 10_000 {
            return Err(LinkError::SpecInvalid(
                "u_samples 不得超过 10000000，em_iterations 不得超过 10000 / u_samples at most 10,000,000 and em_iterations at most 10,000".into(),
            ));
        }
        if self
            .min_output_score
            .is_some_and(|m| !(0.0..=1.0).contains(&m))
        {
            return Err(LinkError::SpecInvalid(
                "min_output_score 须在 0 与 1 之间 / min_output_score must be in [0, 1]".into(),
            ));
        }
        let names: HashSet<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        if names.len() != self.fields.len() {
            return Err(LinkError::SpecInvalid(
                "字段名重复 / duplicate field name".into(),
            ));
        }
        for f in &self.fields {
            if let Some(s) = &f.swap_with
                && !names.contains(s.as_str())
            {
                return Err(LinkError::SpecInvalid(format!(
                    "swap_with 指向未知字段 {s} / swap_with names unknown field {s}"
                )));
            }
        }
        for rule in &self.blocking {
            if rule.fields.is_empty() {
                return Err(LinkError::SpecInvalid(
                    "分块规则为空 / empty blocking rule".into(),
                ));
            }
            for name in &rule.fields {
                if !names.contains(name.as_str()) {
                    return Err(LinkError::SpecInvalid(format!(
                        "分块规则引用未知字段 {name} / blocking rule names unknown field {name}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A scored pair (评分记录对).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    /// Id in file A.
    pub id_a: String,
    /// Id in file B.
    pub id_b: String,
    /// Match probability in \[0, 1\].
    pub score: f64,
    /// Per-field evidence.
    pub evidence: Evidence,
}

/// Figures of a linkage run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkStats {
    /// Records in A.
    pub records_a: usize,
    /// Records in B.
    pub records_b: usize,
    /// Candidate pairs after blocking.
    pub candidate_pairs: usize,
    /// EM iterations.
    pub em_iterations: usize,
    /// Expected matches among candidates (EM).
    pub expected_matches: f64,
}

/// The result of [`link_files`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkResult {
    /// Pairs with a score ≥ the spec's `min_output_score` (default: threshold), best first.
    pub pairs: Vec<ScoredPair>,
    /// The trained model.
    pub model: Model,
    /// Figures.
    pub stats: LinkStats,
}

/// Precision, recall and F1 against a truth file (评估指标).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Threshold applied.
    pub threshold: f64,
    /// Predicted links (score ≥ threshold).
    pub predicted: usize,
    /// True links in the truth file.
    pub true_links: usize,
    /// True positives.
    pub true_positives: usize,
    /// False positives.
    pub false_positives: usize,
    /// False negatives.
    pub false_negatives: usize,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

struct Table {
    ids: Vec<String>,
    /// values[record][field]: one record's values together, for locality when comparing pairs.
    values: Vec<Vec<PreparedValue>>,
}

fn read_table(
    path: &Path,
    id_col: &str,
    columns: &[(&str, FieldKind)],
) -> Result<Table, LinkError> {
    let csv_err = |e: csv::Error| LinkError::Csv {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(csv_err)?;
    let headers = reader.headers().map_err(csv_err)?.clone();
    let find = |name: &str| -> Result<usize, LinkError> {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| LinkError::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
            })
    };
    let id_idx = find(id_col)?;
    let idx: Vec<usize> = columns
        .iter()
        .map(|(c, _)| find(c))
        .collect::<Result<_, _>>()?;
    let mut ids = Vec::new();
    let mut values: Vec<Vec<PreparedValue>> = Vec::new();
    for row in reader.records() {
        let row = row.map_err(csv_err)?;
        ids.push(row.get(id_idx).unwrap_or("").trim().to_string());
        values.push(
            idx.iter()
                .zip(columns)
                .map(|(&i, (_, kind))| prepare(*kind, row.get(i).unwrap_or("")))
                .collect(),
        );
    }
    if ids.len() > u32::MAX as usize {
        return Err(LinkError::Csv {
            path: path.to_path_buf(),
            message: "记录过多 / too many rows".into(),
        });
    }
    Ok(Table { ids, values })
}

fn block_key(table: &Table, fields: &[usize], prefix: Option<usize>, rec: usize) -> Option<String> {
    let mut key = String::new();
    for (n, &f) in fields.iter().enumerate() {
        let v = &table.values[rec][f].norm;
        if v.is_empty() {
            return None;
        }
        if n > 0 {
            key.push('\u{1f}');
        }
        match prefix {
            Some(p) => key.extend(v.chars().take(p)),
            None => key.push_str(v),
        }
    }
    Some(key)
}

/// Compares all fields of record `i` of A with record `j` of B.
fn compare_pair(
    spec: &LinkSpec,
    swap: &[Option<usize>],
    a: &Table,
    b: &Table,
    i: usize,
    j: usize,
) -> Vec<FieldComparison> {
    let mut out = Vec::with_capacity(spec.fields.len());
    for (f, fs) in spec.fields.iter().enumerate() {
        let mut c = compare(fs.kind, &a.values[i][f], &b.values[j][f]);
        if let Some(g) = swap[f] {
            let weak = matches!(
                c.level,
                ComparisonLevel::Different
                    | ComparisonLevel::SimilarMid
                    | ComparisonLevel::SimilarHigh
            );
            if weak {
                let x = compare(fs.kind, &a.values[i][f], &b.values[j][g]).level;
                let y = compare(fs.kind, &a.values[i][g], &b.values[j][f]).level;
                let close = |l: ComparisonLevel| {
                    matches!(
                        l,
                        ComparisonLevel::Exact
                            | ComparisonLevel::Normalised
                            | ComparisonLevel::OneEdit
                    )
                };
                if close(x) && (close(y) || y == ComparisonLevel::Missing) {
                    c = FieldComparison {
                        level: ComparisonLevel::Swapped,
                        detail: None,
                    };
                }
            }
        }
        out.push(c);
    }
    out
}

/// A small deterministic generator (SplitMix64) for sampling random pairs.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Links two CSV files according to the spec. Labels are never used: `u` comes from random pairs, `m` from EM.
pub fn link_files(spec: &LinkSpec, a: &Path, b: &Path) -> Result<LinkResult, LinkError> {
    spec.validate()?;
    let cols_a: Vec<(&str, FieldKind)> = spec
        .fields
        .iter()
        .map(|f| (f.a.as_deref().unwrap_or(&f.name), f.kind))
        .collect();
    let cols_b: Vec<(&str, FieldKind)> = spec
        .fields
        .iter()
        .map(|f| (f.b.as_deref().or(f.a.as_deref()).unwrap_or(&f.name), f.kind))
        .collect();
    let id_b = spec.id.b.as_deref().unwrap_or(&spec.id.a);
    let ta = read_table(a, &spec.id.a, &cols_a)?;
    let tb = read_table(b, id_b, &cols_b)?;
    let field_index: HashMap<&str, usize> = spec
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    let swap: Vec<Option<usize>> = spec
        .fields
        .iter()
        .map(|f| {
            f.swap_with
                .as_deref()
                .and_then(|s| field_index.get(s).copied())
        })
        .collect();

    // Candidate pairs: union of blocking rules.
    let mut pairs: Vec<u64> = Vec::new();
    for rule in &spec.blocking {
        let fields: Vec<usize> = rule
            .fields
            .iter()
            .filter_map(|n| field_index.get(n.as_str()).copied())
            .collect();
        let mut blocks: HashMap<String, Vec<u32>> = HashMap::new();
        for j in 0..tb.ids.len() {
            if let Some(k) = block_key(&tb, &fields, rule.prefix, j) {
                blocks.entry(k).or_default().push(j as u32);
            }
        }
        let mut a_blocks: HashMap<String, Vec<u32>> = HashMap::new();
        for i in 0..ta.ids.len() {
            if let Some(k) = block_key(&ta, &fields, rule.prefix, i) {
                a_blocks.entry(k).or_default().push(i as u32);
            }
        }
        for (k, members_a) in &a_blocks {
            if let Some(members_b) = blocks.get(k) {
                if members_a.len().saturating_mul(members_b.len()) > spec.max_block_pairs {
                    continue;
                }
                for &i in members_a {
                    for &j in members_b {
                        pairs.push((u64::from(i) << 32) | u64::from(j));
                    }
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();

    let mut model = Model::new(
        spec.fields
            .iter()
            .map(|f| FieldModel::new(&f.name, f.label_zh.as_deref().unwrap_or(&f.name), f.kind))
            .collect(),
        1e-4,
    );
    let nf = spec.fields.len();

    // u from random pairs.
    let mut rng = SplitMix(0x5eed_1234_abcd_0001);
    let mut random_codes = Vec::with_capacity(spec.u_samples * nf);
    if !ta.ids.is_empty() && !tb.ids.is_empty() {
        // Sorted so that file A is walked in order (locality); the sample stays uniform.
        let mut sample: Vec<(usize, usize)> = (0..spec.u_samples)
            .map(|_| (rng.below(ta.ids.len()), rng.below(tb.ids.len())))
            .collect();
        sample.sort_unstable();
        for (i, j) in sample {
            let cmp = compare_pair(spec, &swap, &ta, &tb, i, j);
            random_codes.extend(model.encode(&cmp));
        }
    }
    model.estimate_u(&random_codes, ta.ids.len() as f64 * tb.ids.len() as f64);

    // Comparison vectors of candidates, then EM for m and λ.
    let mut codes = Vec::with_capacity(pairs.len() * nf);
    for &p in &pairs {
        let (i, j) = ((p >> 32) as usize, (p & 0xffff_ffff) as usize);
        let cmp = compare_pair(spec, &swap, &ta, &tb, i, j);
        codes.extend(model.encode(&cmp));
    }
    let total_pairs = ta.ids.len() as f64 * tb.ids.len() as f64;
    let report = model.train_em(&codes, total_pairs, spec.em_iterations);

    let min_out = spec.min_output_score.unwrap_or(spec.threshold);
    let mut scored: Vec<(f64, usize)> = codes
        .chunks_exact(nf.max(1))
        .enumerate()
        .map(|(k, row)| (model.probability(row), k))
        .filter(|(s, _)| *s >= min_out)
        .collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    if spec.one_to_one {
        let mut used_a = HashSet::new();
        let mut used_b = HashSet::new();
        scored.retain(|&(_, k)| {
            let p = pairs[k];
            let (i, j) = (p >> 32, p & 0xffff_ffff);
            if used_a.contains(&i) || used_b.contains(&j) {
                false
            } else {
                used_a.insert(i);
                used_b.insert(j);
                true
            }
        });
    }
    let out: Vec<ScoredPair> = scored
        .into_iter()
        .map(|(score, k)| {
            let p = pairs[k];
            let (i, j) = ((p >> 32) as usize, (p & 0xffff_ffff) as usize);
            let cmp = compare_pair(spec, &swap, &ta, &tb, i, j);
            ScoredPair {
                id_a: ta.ids[i].clone(),
                id_b: tb.ids[j].clone(),
                score,
                evidence: model.evidence(&cmp, &[]),
            }
        })
        .collect();
    Ok(LinkResult {
        pairs: out,
        model,
        stats: LinkStats {
            records_a: ta.ids.len(),
            records_b: tb.ids.len(),
            candidate_pairs: pairs.len(),
            em_iterations: report.iterations,
            expected_matches: report.expected_matches,
        },
    })
}

/// Writes pairs as CSV with the columns `id_a,id_b,score,match_weight,evidence_zh,evidence_en`.
pub fn write_pairs_csv(pairs: &[ScoredPair], path: &Path) -> Result<(), LinkError> {
    let werr = |message: String| LinkError::Write {
        path: path.to_path_buf(),
        message,
    };
    let mut w = csv::Writer::from_path(path).map_err(|e| werr(e.to_string()))?;
    w.write_record([
        "id_a",
        "id_b",
        "score",
        "match_weight",
        "evidence_zh",
        "evidence_en",
    ])
    .map_err(|e| werr(e.to_string()))?;
    for p in pairs {
        w.write_record([
            p.id_a.as_str(),
            p.id_b.as_str(),
            &format!("{:.6}", p.score),
            &format!("{:.2}", p.evidence.total_weight()),
            &p.evidence.zh_summary(),
            &p.evidence.en_summary(),
        ])
        .map_err(|e| werr(e.to_string()))?;
    }
    w.flush().map_err(|e| werr(e.to_string()))
}

/// Evaluates pairs against a truth CSV with columns `id_a,id_b` (one row per true link).
pub fn evaluate(
    pairs: &[ScoredPair],
    truth_path: &Path,
    threshold: f64,
) -> Result<Metrics, LinkError> {
    let path: PathBuf = truth_path.to_path_buf();
    let csv_err = |e: csv::Error| LinkError::Csv {
        path: path.clone(),
        message: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(truth_path)
        .map_err(csv_err)?;
    let headers = reader.headers().map_err(csv_err)?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| LinkError::MissingColumn {
                path: path.clone(),
                column: name.to_string(),
            })
    };
    let (ca, cb) = (col("id_a")?, col("id_b")?);
    let mut truth: HashSet<(String, String)> = HashSet::new();
    for row in reader.records() {
        let row = row.map_err(csv_err)?;
        truth.insert((
            row.get(ca).unwrap_or("").trim().to_string(),
            row.get(cb).unwrap_or("").trim().to_string(),
        ));
    }
    let predicted: HashSet<(String, String)> = pairs
        .iter()
        .filter(|p| p.score >= threshold)
        .map(|p| (p.id_a.clone(), p.id_b.clone()))
        .collect();
    let tp = predicted.intersection(&truth).count();
    let fp = predicted.len() - tp;
    let fn_ = truth.len() - tp;
    let precision = if predicted.is_empty() {
        0.0
    } else {
        tp as f64 / predicted.len() as f64
    };
    let recall = if truth.is_empty() {
        0.0
    } else {
        tp as f64 / truth.len() as f64
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Ok(Metrics {
        threshold,
        predicted: predicted.len(),
        true_links: truth.len(),
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
        precision,
        recall,
        f1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("xunren-link-{}-{name}", std::process::id()));
        std::fs::write(&p, text).expect("write temp file");
        p
    }

    #[test]
    fn chinese_records_link_with_evidence() {
        let mut a_text = String::from(
            "id,姓名,出生日期,地址\n\
             a1,王明,1950-03-04,上海市黄浦区乔家路十二弄三号\n\
             a2,陳大文,1962-11-05,复兴东路100弄5号\n\
             a3,李娜,1980-01-01,中华路3号\n",
        );
        let mut b_text = String::from(
            "编号,name,birth,addr\n\
             b1,王铭,19500304,乔家路12弄-3\n\
             b2,陈大文,1962年11月5日,复兴东路100弄5号201室\n\
             b3,赵四,1990-09-09,人民路1号\n",
        );
        // Unrelated filler records so that u and EM have a population to learn from.
        let surnames: Vec<char> = "赵钱孙周吴郑冯褚卫蒋沈韩朱秦尤许何吕施孔".chars().collect();
        let given: Vec<char> = "一二三四五六七八九十春夏秋冬东南西北".chars().collect();
        for i in 0..60 {
            let name = |k: usize| {
                format!(
                    "{}{}",
                    surnames[k % surnames.len()],
                    given[(k / 3) % given.len()]
                )
            };
            a_text.push_str(&format!(
                "fa{i},{},{}-{:02}-{:02},淮海中路{}号\n",
                name(i),
                1930 + i % 50,
                1 + i % 12,
                1 + (i * 5) % 28,
                i + 1
            ));
            b_text.push_str(&format!(
                "fb{i},{},{}-{:02}-{:02},南京东路{}号\n",
                name(i + 7),
                1931 + (i * 3) % 50,
                1 + (i * 5) % 12,
                1 + (i * 3) % 28,
                i + 2
            ));
        }
        let a = write("a.csv", &a_text);
        let b = write("b.csv", &b_text);
        let spec = LinkSpec::from_toml(
            r#"
threshold = 0.5
one_to_one = true
[id]
a = "id"
b = "编号"
[[field]]
name = "name"
a = "姓名"
b = "name"
kind = "name"
label_zh = "姓名"
[[field]]
name = "birth"
a = "出生日期"
b = "birth"
kind = "date"
label_zh = "出生日期"
[[field]]
name = "addr"
a = "地址"
b = "addr"
kind = "address"
label_zh = "地址"
[[blocking]]
fields = ["birth"]
[[blocking]]
fields = ["name"]
prefix = 1
"#,
        )
        .expect("spec");
        let result = link_files(&spec, &a, &b).expect("link");
        let ids: Vec<(&str, &str)> = result
            .pairs
            .iter()
            .map(|p| (p.id_a.as_str(), p.id_b.as_str()))
            .collect();
        assert!(ids.contains(&("a1", "b1")), "{ids:?}");
        assert!(ids.contains(&("a2", "b2")), "{ids:?}");
        let p1 = result.pairs.iter().find(|p| p.id_a == "a1").expect("a1");
        let zh = p1.evidence.zh_summary();
        assert!(zh.contains("姓名同音 明/铭"), "{zh}");
        assert!(zh.contains("地址一致"), "{zh}");
        let p2 = result.pairs.iter().find(|p| p.id_a == "a2").expect("a2");
        assert!(p2.evidence.zh_summary().contains("姓名繁简/全半角后一致"));
        assert!(p2.evidence.zh_summary().contains("地址同一门牌"));
        let _ = std::fs::remove_file(a);
        let _ = std::fs::remove_file(b);
    }

    #[test]
    fn missing_column_is_reported() {
        let a = write("m-a.csv", "id,x\n1,a\n");
        let b = write("m-b.csv", "id,y\n1,a\n");
        let spec = LinkSpec::from_toml(
            "[id]\na = \"id\"\n[[field]]\nname = \"x\"\nkind = \"string\"\n[[blocking]]\nfields = [\"x\"]\n",
        )
        .expect("spec");
        let err = link_files(&spec, &a, &b).expect_err("column x missing in b");
        assert!(matches!(err, LinkError::MissingColumn { .. }), "{err}");
        let _ = std::fs::remove_file(a);
        let _ = std::fs::remove_file(b);
    }
}
