//! The Fellegi–Sunter model (Fellegi–Sunter 概率匹配模型).
//!
//! For each field and each [`ComparisonLevel`], `m` is the probability of the level among true matches (同一人)
//! and `u` among random pairs (不同人). The match weight of a level is `log2(m/u)`; the weights of all fields plus
//! the prior log-odds `log2(λ/(1−λ))` (λ = probability that two random records are the same person) give the
//! posterior log-odds, turned into a **match probability** (匹配概率) in \[0, 1\].
//!
//! `u` is estimated from random pairs of the data ([`Model::estimate_u`]); `m` starts from priors per
//! [`FieldKind`] and is re-estimated without labels by expectation–maximisation on blocked candidate pairs
//! ([`Model::train_em`]), or from labelled pairs ([`Model::train_labelled`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::compare::{ComparisonLevel, FieldComparison, FieldKind};

/// The code of a missing value in a comparison vector.
pub const MISSING_CODE: u8 = u8::MAX;

/// m and u of one comparison level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelParams {
    /// The level.
    pub level: ComparisonLevel,
    /// Probability of this level among true matches.
    pub m: f64,
    /// Probability of this level among random (non-matching) pairs.
    pub u: f64,
}

impl LevelParams {
    /// Match weight `log2(m/u)` (匹配权重).
    pub fn weight(&self) -> f64 {
        (self.m.max(1e-12) / self.u.max(1e-12)).log2()
    }
}

/// The parameters of one compared field (字段).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldModel {
    /// Field name (as in the spec or the record).
    pub name: String,
    /// Chinese label for staff (`姓名`, `出生日期`).
    pub label_zh: String,
    /// Comparison kind.
    pub kind: FieldKind,
    /// The levels, strongest first, with their m and u.
    pub levels: Vec<LevelParams>,
}

impl FieldModel {
    /// A field with prior m and u for its kind.
    pub fn new(name: &str, label_zh: &str, kind: FieldKind) -> Self {
        let levels = kind
            .levels()
            .iter()
            .map(|&level| {
                let (m, u) = kind.prior(level);
                LevelParams { level, m, u }
            })
            .collect();
        Self {
            name: name.to_string(),
            label_zh: label_zh.to_string(),
            kind,
            levels,
        }
    }

    /// The code (index) of a level in this field, [`MISSING_CODE`] for missing or unknown levels.
    pub fn code(&self, level: ComparisonLevel) -> u8 {
        self.levels
            .iter()
            .position(|p| p.level == level)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(MISSING_CODE)
    }

    /// The weight of a code (0 for missing).
    pub fn weight(&self, code: u8) -> f64 {
        self.levels
            .get(usize::from(code))
            .map_or(0.0, LevelParams::weight)
    }
}

/// A Fellegi–Sunter model: fields and the prior probability λ that two random records match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The compared fields.
    pub fields: Vec<FieldModel>,
    /// λ: probability that two records drawn at random refer to the same person.
    pub prior: f64,
    /// Dependence between phone and address agreement among different persons (used by the person index).
    #[serde(default)]
    pub household: HouseholdDependence,
}

/// Phone and address agreement are not independent among different persons: members of one household share the
/// landline **and** the address (同户证据). Fellegi–Sunter multiplies their `u`s as if independent, which counts one
/// household twice. These are `P(address comparison is at building / lane / road level | phone agrees, different
/// persons)`, estimated from pairs of indexed records that share a phone ([`crate::Index::build`]); when the phone
/// agrees, the address weight uses this conditional `u` instead of the marginal one (whichever gives less weight).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HouseholdDependence {
    /// Given a shared landline (座机): same building (or exact), same lane only, same road only.
    pub landline: [f64; 3],
    /// Given a shared mobile (手机): same building (or exact), same lane only, same road only.
    pub mobile: [f64; 3],
    /// Pairs of different persons sharing a landline that the estimate rests on.
    pub landline_pairs: f64,
    /// Pairs of different persons sharing a mobile that the estimate rests on.
    pub mobile_pairs: f64,
    /// Of the landline pairs, those whose addresses compare at building, lane-only and road-only level (kept so
    /// that adding records updates the estimate instead of counting every pair again).
    #[serde(default)]
    pub landline_agree: [f64; 3],
    /// Of the mobile pairs, the same.
    #[serde(default)]
    pub mobile_agree: [f64; 3],
}

impl HouseholdDependence {
    /// Prior conditional probabilities (building, lane, road) given a shared landline, blended with the estimate.
    pub const PRIOR_LANDLINE: [f64; 3] = [0.5, 0.05, 0.05];
    /// The same given a shared mobile.
    pub const PRIOR_MOBILE: [f64; 3] = [0.2, 0.05, 0.05];
    /// Pseudo-pairs of the prior in the blend.
    pub const PRIOR_PAIRS: f64 = 10.0;

    /// Estimates from counts of pairs (sharing a phone, both with an address) and of those whose addresses
    /// compare at building, lane-only and road-only level, blended with the priors.
    pub fn from_counts(landline: (f64, [f64; 3]), mobile: (f64, [f64; 3])) -> Self {
        let blend = |(pairs, agree): (f64, [f64; 3]), prior: [f64; 3]| {
            let mut out = [0.0; 3];
            for (k, slot) in out.iter_mut().enumerate() {
                *slot = ((agree[k] + Self::PRIOR_PAIRS * prior[k]) / (pairs + Self::PRIOR_PAIRS))
                    .clamp(1e-4, 1.0);
            }
            out
        };
        Self {
            landline: blend(landline, Self::PRIOR_LANDLINE),
            mobile: blend(mobile, Self::PRIOR_MOBILE),
            landline_pairs: landline.0,
            mobile_pairs: mobile.0,
            landline_agree: landline.1,
            mobile_agree: mobile.1,
        }
    }

    /// The counts the estimate was made from, as given to [`HouseholdDependence::from_counts`].
    pub fn counts(&self) -> ((f64, [f64; 3]), (f64, [f64; 3])) {
        (
            (self.landline_pairs, self.landline_agree),
            (self.mobile_pairs, self.mobile_agree),
        )
    }

    /// The conditional `u` of an address comparing at `level` (exact or same building, same lane, same road)
    /// given agreement on a landline or a mobile; `None` for other levels.
    pub fn address_u(&self, landline: bool, level: ComparisonLevel) -> Option<f64> {
        let k = match level {
            ComparisonLevel::Exact | ComparisonLevel::SameBuilding => 0,
            ComparisonLevel::SameLane => 1,
            ComparisonLevel::SameRoad => 2,
            _ => return None,
        };
        Some(if landline {
            self.landline[k]
        } else {
            self.mobile[k]
        })
    }
}

impl Default for HouseholdDependence {
    fn default() -> Self {
        Self::from_counts((0.0, [0.0; 3]), (0.0, [0.0; 3]))
    }
}

/// One field's contribution to a score: the evidence shown to staff (证据).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvidence {
    /// Field name.
    pub field: String,
    /// Comparison level.
    pub level: ComparisonLevel,
    /// Match weight in bits (`log2(m/u)`): positive for evidence for, negative against.
    pub weight: f64,
    /// Detail such as differing characters (`明/铭`).
    pub detail: Option<String>,
    /// Chinese rendering (`姓名同音 明/铭`).
    pub zh: String,
    /// English rendering (`name: homophone 明/铭`).
    pub en: String,
}

/// The evidence of a scored pair or candidate (匹配证据).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Prior log2-odds.
    pub prior_weight: f64,
    /// Per field.
    pub fields: Vec<FieldEvidence>,
}

impl Evidence {
    /// Total weight (prior plus fields), the posterior log2-odds.
    pub fn total_weight(&self) -> f64 {
        self.prior_weight + self.fields.iter().map(|f| f.weight).sum::<f64>()
    }

    /// The match probability this evidence gives.
    pub fn probability(&self) -> f64 {
        probability_from_log2_odds(self.total_weight())
    }

    /// Chinese summary for staff, fields with a non-missing level joined by `；`.
    pub fn zh_summary(&self) -> String {
        self.fields
            .iter()
            .filter(|f| f.level != ComparisonLevel::Missing)
            .map(|f| f.zh.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }

    /// English summary, fields joined by `; `.
    pub fn en_summary(&self) -> String {
        self.fields
            .iter()
            .filter(|f| f.level != ComparisonLevel::Missing)
            .map(|f| f.en.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `1 / (1 + 2^-x)`, clamped to \[0, 1\].
pub fn probability_from_log2_odds(x: f64) -> f64 {
    if x.is_nan() {
        return 0.0;
    }
    (1.0 / (1.0 + (-x).exp2())).clamp(0.0, 1.0)
}

/// What EM did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmReport {
    /// Iterations run.
    pub iterations: usize,
    /// Estimated share of matches among the candidate pairs.
    pub candidate_match_share: f64,
    /// Estimated number of matches among the candidate pairs.
    pub expected_matches: f64,
}

impl Model {
    /// A model with the given fields (prior m/u) and λ.
    pub fn new(fields: Vec<FieldModel>, prior: f64) -> Self {
        Self {
            fields,
            prior,
            household: HouseholdDependence::default(),
        }
    }

    /// Prior log2-odds `log2(λ/(1−λ))`.
    pub fn prior_weight(&self) -> f64 {
        let p = self.prior.clamp(1e-15, 1.0 - 1e-12);
        (p / (1.0 - p)).log2()
    }

    /// Total log2-odds of a comparison vector (one code per field).
    pub fn log2_odds(&self, codes: &[u8]) -> f64 {
        self.prior_weight()
            + self
                .fields
                .iter()
                .zip(codes)
                .map(|(f, &c)| f.weight(c))
                .sum::<f64>()
    }

    /// Match probability of a comparison vector.
    pub fn probability(&self, codes: &[u8]) -> f64 {
        probability_from_log2_odds(self.log2_odds(codes))
    }

    /// Encodes field comparisons as codes.
    pub fn encode(&self, comparisons: &[FieldComparison]) -> Vec<u8> {
        self.fields
            .iter()
            .zip(comparisons)
            .map(|(f, c)| f.code(c.level))
            .collect()
    }

    /// Re-estimates every `u` from comparison vectors of random pairs (row-major, one code per field), drawn
    /// from a population of `distinct_pairs` possible pairs. Counts are blended with the prior `u` (50
    /// pseudo-observations), and never count for more than the distinct pairs they were drawn from, so that tiny
    /// inputs lean on the priors; a level never seen gets `u` = one over the sample size.
    pub fn estimate_u(&mut self, random_codes: &[u8], distinct_pairs: f64) {
        const PRIOR_STRENGTH: f64 = 50.0;
        let nf = self.fields.len();
        if nf == 0 {
            return;
        }
        for (fi, field) in self.fields.iter_mut().enumerate() {
            let mut counts = vec![0f64; field.levels.len()];
            let mut total = 0f64;
            for row in random_codes.chunks_exact(nf) {
                let c = usize::from(row[fi]);
                if let Some(slot) = counts.get_mut(c) {
                    *slot += 1.0;
                    total += 1.0;
                }
            }
            if total < 1.0 {
                continue;
            }
            let scale = (distinct_pairs.max(1.0) / total).min(1.0);
            let prior_total: f64 = field.levels.iter().map(|l| l.u).sum::<f64>().max(1e-12);
            for (lp, count) in field.levels.iter_mut().zip(&counts) {
                let prior_u = lp.u / prior_total;
                // A level never seen cannot be claimed rarer than one in the sample.
                let floor = 1.0 / (total * scale + PRIOR_STRENGTH);
                lp.u = ((count * scale + PRIOR_STRENGTH * prior_u)
                    / (total * scale + PRIOR_STRENGTH))
                    .max(floor);
            }
        }
    }

    /// Estimates `m` (and the share of matches) by EM on unlabelled candidate pairs, `u` of the random
    /// population being kept. `total_pairs` is the size of the whole comparison space (|A|·|B|); λ is set to the
    /// expected number of matches divided by it.
    pub fn train_em(
        &mut self,
        candidate_codes: &[u8],
        total_pairs: f64,
        max_iterations: usize,
    ) -> EmReport {
        let nf = self.fields.len();
        let mut report = EmReport {
            iterations: 0,
            candidate_match_share: 0.0,
            expected_matches: 0.0,
        };
        if nf == 0 || candidate_codes.len() < nf {
            return report;
        }
        // Distinct comparison patterns with their counts: EM runs on patterns, not pairs.
        let mut patterns: HashMap<&[u8], f64> = HashMap::new();
        for row in candidate_codes.chunks_exact(nf) {
            *patterns.entry(row).or_insert(0.0) += 1.0;
        }
        let patterns: Vec<(&[u8], f64)> = patterns.into_iter().collect();
        let n: f64 = patterns.iter().map(|p| p.1).sum();
        // u among candidate pairs, estimated alongside (candidates agree more often than random pairs).
        let mut u_cand: Vec<Vec<f64>> = self
            .fields
            .iter()
            .map(|f| f.levels.iter().map(|l| l.u).collect())
            .collect();
        let mut m: Vec<Vec<f64>> = self
            .fields
            .iter()
            .map(|f| f.levels.iter().map(|l| l.m).collect())
            .collect();
        let priors: Vec<Vec<f64>> = m.clone();
        let mut share = 0.1f64;
        for it in 0..max_iterations {
            let mut m_acc: Vec<Vec<f64>> = m.iter().map(|v| vec![0.0; v.len()]).collect();
            let mut u_acc: Vec<Vec<f64>> = m.iter().map(|v| vec![0.0; v.len()]).collect();
            let mut matches = 0.0;
            for (row, count) in &patterns {
                let mut lm = share.ln();
                let mut lu = (1.0 - share).ln();
                for (fi, &c) in row.iter().enumerate() {
                    let c = usize::from(c);
                    if let (Some(mv), Some(uv)) = (m[fi].get(c), u_cand[fi].get(c)) {
                        lm += mv.max(1e-12).ln();
                        lu += uv.max(1e-12).ln();
                    }
                }
                let p = 1.0 / (1.0 + (lu - lm).exp());
                matches += p * count;
                for (fi, &c) in row.iter().enumerate() {
                    let c = usize::from(c);
                    if c < m_acc[fi].len() {
                        m_acc[fi][c] += p * count;
                        u_acc[fi][c] += (1.0 - p) * count;
                    }
                }
            }
            let new_share = (matches / n).clamp(1e-9, 1.0 - 1e-9);
            let mut delta = (new_share - share).abs();
            for fi in 0..nf {
                let pseudo = 1.0;
                let tm: f64 = m_acc[fi].iter().sum::<f64>() + pseudo;
                let tu: f64 = u_acc[fi].iter().sum::<f64>() + pseudo;
                for k in 0..m[fi].len() {
                    let nm = (m_acc[fi][k] + pseudo * priors[fi][k]) / tm;
                    let nu = (u_acc[fi][k] + pseudo * self.fields[fi].levels[k].u) / tu;
                    delta = delta.max((nm - m[fi][k]).abs());
                    m[fi][k] = nm;
                    u_cand[fi][k] = nu.max(1e-9);
                }
            }
            share = new_share;
            report.iterations = it + 1;
            if delta < 1e-5 {
                break;
            }
        }
        for (field, mv) in self.fields.iter_mut().zip(&m) {
            let total: f64 = mv.iter().sum();
            for (lp, &x) in field.levels.iter_mut().zip(mv) {
                lp.m = (x / total.max(1e-12)).max(1e-6);
            }
        }
        report.candidate_match_share = share;
        report.expected_matches = share * n;
        if total_pairs > 0.0 {
            self.prior = (share * n / total_pairs).clamp(1e-15, 0.5);
        }
        report
    }

    /// Estimates `m` from comparison vectors of labelled true matches (smoothed towards the priors).
    pub fn train_labelled(&mut self, match_codes: &[u8]) {
        let nf = self.fields.len();
        if nf == 0 {
            return;
        }
        for (fi, field) in self.fields.iter_mut().enumerate() {
            let mut counts = vec![0f64; field.levels.len()];
            for row in match_codes.chunks_exact(nf) {
                if let Some(slot) = counts.get_mut(usize::from(row[fi])) {
                    *slot += 1.0;
                }
            }
            let total: f64 = counts.iter().sum::<f64>() + 1.0;
            for (lp, count) in field.levels.iter_mut().zip(&counts) {
                lp.m = (count + lp.m) / total;
            }
        }
    }

    /// Builds the evidence of a pair from its field comparisons. `versus_zh` optionally names, per field, the
    /// query-side field it was compared with (rendered `原地址 = 户籍地址`).
    pub fn evidence(
        &self,
        comparisons: &[FieldComparison],
        versus_zh: &[Option<&str>],
    ) -> Evidence {
        let fields = self
            .fields
            .iter()
            .zip(comparisons)
            .enumerate()
            .map(|(i, (f, c))| {
                let code = f.code(c.level);
                let weight = f.weight(code);
                let detail = c.detail.clone().filter(|d| !d.is_empty());
                let versus = versus_zh.get(i).copied().flatten();
                let zh = match (c.level, versus) {
                    (ComparisonLevel::Exact, Some(v)) => format!("{} = {}", f.label_zh, v),
                    (_, Some(v)) => format!("{}与{}{}", f.label_zh, v, c.level.zh()),
                    _ => format!("{}{}", f.label_zh, c.level.zh()),
                };
                let zh = match &detail {
                    Some(d) => format!("{zh} {d}"),
                    None => zh,
                };
                let en = match &detail {
                    Some(d) => format!("{}: {} {}", f.name, c.level.en(), d),
                    None => format!("{}: {}", f.name, c.level.en()),
                };
                FieldEvidence {
                    field: f.name.clone(),
                    level: c.level,
                    weight,
                    detail,
                    zh,
                    en,
                }
            })
            .collect();
        Evidence {
            prior_weight: self.prior_weight(),
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_field_model() -> Model {
        Model::new(
            vec![
                FieldModel::new("name", "姓名", FieldKind::Name),
                FieldModel::new("birth_date", "出生日期", FieldKind::Date),
            ],
            1e-3,
        )
    }

    #[test]
    fn probability_is_calibrated_form() {
        let m = two_field_model();
        let exact = m.probability(&[0, 0]);
        let different = m.probability(&[m.fields[0].code(ComparisonLevel::Different), 4]);
        assert!(exact > 0.99 && exact <= 1.0);
        assert!(different < 1e-3);
        assert!((m.probability(&[MISSING_CODE, MISSING_CODE]) - 1e-3).abs() < 1e-6);
        assert_eq!(probability_from_log2_odds(f64::NAN), 0.0);
    }

    #[test]
    fn em_separates_two_groups() {
        let mut m = two_field_model();
        let diff0 = m.fields[0].code(ComparisonLevel::Different);
        let mut codes = Vec::new();
        for _ in 0..100 {
            codes.extend([0u8, 0u8]);
        }
        for _ in 0..900 {
            codes.extend([diff0, 4u8]);
        }
        let report = m.train_em(&codes, 1_000_000.0, 50);
        assert!((report.expected_matches - 100.0).abs() < 5.0, "{report:?}");
        assert!(m.probability(&[0, 0]) > 0.99);
    }

    #[test]
    fn household_dependence_blends_and_is_cumulative() {
        let prior = HouseholdDependence::default();
        assert_eq!(prior.landline, HouseholdDependence::PRIOR_LANDLINE);
        // 90 landline pairs: 60 at the same building, 10 in the same lane only, 5 on the same road only.
        let h = HouseholdDependence::from_counts((90.0, [60.0, 10.0, 5.0]), (0.0, [0.0; 3]));
        assert!((h.landline[0] - (60.0 + 5.0) / 100.0).abs() < 1e-12);
        let b = h.address_u(true, ComparisonLevel::Exact);
        assert_eq!(b, h.address_u(true, ComparisonLevel::SameBuilding));
        let lane = h.address_u(true, ComparisonLevel::SameLane).expect("lane");
        assert!((lane - (10.0 + 0.5) / 100.0).abs() < 1e-12);
        assert_eq!(
            h.address_u(false, ComparisonLevel::Exact),
            Some(HouseholdDependence::PRIOR_MOBILE[0])
        );
        assert_eq!(h.address_u(true, ComparisonLevel::Different), None);
        // Serialised models without the field still load.
        let m: Model = toml::from_str("prior = 0.5\nfields = []\n").expect("model");
        assert_eq!(m.household, HouseholdDependence::default());
    }

    #[test]
    fn evidence_renders_bilingual() {
        let m = two_field_model();
        let ev = m.evidence(
            &[
                FieldComparison {
                    level: ComparisonLevel::Homophone,
                    detail: Some("明/铭".into()),
                },
                FieldComparison {
                    level: ComparisonLevel::Exact,
                    detail: None,
                },
            ],
            &[],
        );
        assert_eq!(ev.fields[0].zh, "姓名同音 明/铭");
        assert_eq!(ev.fields[1].zh, "出生日期一致");
        assert!(ev.en_summary().contains("homophone"));
        assert!((ev.probability() - m.probability(&[2, 0])).abs() < 1e-12);
    }
}
