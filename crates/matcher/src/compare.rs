//! Field comparisons (字段比较): each turns two values into a discrete [`ComparisonLevel`] (比较等级) plus a
//! short detail for the evidence (e.g. the differing characters `明/铭`).

use serde::{Deserialize, Serialize};

use crate::address::{AddressMatch, compare_addresses, parse_address};
use crate::normalize::{
    CharRelation, char_relation, edit_distance_capped, is_cjk, jaro_winkler, normalize_name,
    pinyin_key,
};

/// A discrete comparison level (比较等级) of one field of a pair of records. Which levels a field can take
/// depends on its [`FieldKind`]; see [`FieldKind::levels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonLevel {
    /// A value is missing on one side (缺失): no evidence either way.
    Missing,
    /// Equal after normalisation (一致).
    Exact,
    /// Equal only after traditional→simplified or width folding (繁简/全半角后一致).
    Normalised,
    /// Same pronunciation with the same tones (同音).
    Homophone,
    /// Same pronunciation ignoring tones (同音不同调).
    HomophoneToneless,
    /// Given name and surname swapped (姓名颠倒).
    Swapped,
    /// Alike in a southern/Shanghai accent or a listed Shanghai confusion such as 王/黄 (方言音近).
    AccentAlike,
    /// Shape-alike characters (形近字).
    ShapeAlike,
    /// One character inserted, deleted, substituted or two adjacent ones transposed (差一个字符).
    OneEdit,
    /// Masked or legacy ID/phone: all visible digits agree (可见位一致).
    VisibleDigitsAgree,
    /// ID numbers differ but agree on region and birth date (身份证地区码与出生日期一致).
    IdRegionBirthAgree,
    /// Two full ID numbers differ in two or three digits (two typos, or a typo and a check digit): 差两三位.
    FewDigitsDiffer,
    /// Two full ID numbers agree on the birth date digits only (a number reissued under another region): 仅出生日期码一致.
    IdBirthAgree,
    /// Two full, unmasked ID numbers that differ in many digits: two different numbers, not a typo (明显不同).
    ClearlyDifferent,
    /// Chinese names with the same surname and an unrelated given name (同姓不同名): the signature of a relative.
    GivenNameDiffers,
    /// Day and month swapped (日月颠倒).
    DayMonthSwapped,
    /// One date, read as a lunar-calendar date (农历), is the other (农历/公历换算一致).
    LunarSolar,
    /// Same year only (仅年份一致).
    YearOnly,
    /// Jaro–Winkler similarity ≥ 0.92 (高度相似).
    SimilarHigh,
    /// Jaro–Winkler similarity ≥ 0.80 (较相似).
    SimilarMid,
    /// Same building: road, lane and number agree (同一门牌).
    SameBuilding,
    /// Same lane, other number (同一弄).
    SameLane,
    /// Same road only (同一路).
    SameRoad,
    /// Different (不同).
    Different,
}

impl ComparisonLevel {
    /// Short Chinese wording for staff.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Missing => "缺失",
            Self::Exact => "一致",
            Self::Normalised => "繁简/全半角后一致",
            Self::Homophone => "同音",
            Self::HomophoneToneless => "同音不同调",
            Self::Swapped => "姓名颠倒",
            Self::AccentAlike => "方言音近",
            Self::ShapeAlike => "形近",
            Self::OneEdit => "差一个字符",
            Self::VisibleDigitsAgree => "可见位一致",
            Self::IdRegionBirthAgree => "地区码与出生日期一致",
            Self::FewDigitsDiffer => "差两三位",
            Self::IdBirthAgree => "仅出生日期码一致",
            Self::ClearlyDifferent => "明显不同",
            Self::GivenNameDiffers => "同姓不同名",
            Self::DayMonthSwapped => "日月颠倒",
            Self::LunarSolar => "农历公历换算一致",
            Self::YearOnly => "仅年份一致",
            Self::SimilarHigh => "高度相似",
            Self::SimilarMid => "较相似",
            Self::SameBuilding => "同一门牌",
            Self::SameLane => "同一弄",
            Self::SameRoad => "同一路",
            Self::Different => "不同",
        }
    }

    /// Short English wording.
    pub fn en(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Exact => "agrees",
            Self::Normalised => "agrees after traditional/width normalisation",
            Self::Homophone => "homophone",
            Self::HomophoneToneless => "homophone (other tone)",
            Self::Swapped => "given name and surname swapped",
            Self::AccentAlike => "sounds alike in Shanghai accent",
            Self::ShapeAlike => "shape-alike characters",
            Self::OneEdit => "one character off",
            Self::VisibleDigitsAgree => "visible digits agree",
            Self::IdRegionBirthAgree => "region and birth date in ID agree",
            Self::FewDigitsDiffer => "two or three digits differ",
            Self::IdBirthAgree => "only the birth date digits agree",
            Self::ClearlyDifferent => "clearly different (many digits)",
            Self::GivenNameDiffers => "same surname, other given name",
            Self::DayMonthSwapped => "day and month swapped",
            Self::LunarSolar => "agrees once one is read as a lunar-calendar date",
            Self::YearOnly => "same year only",
            Self::SimilarHigh => "very similar",
            Self::SimilarMid => "similar",
            Self::SameBuilding => "same building",
            Self::SameLane => "same lane",
            Self::SameRoad => "same road",
            Self::Different => "differs",
        }
    }
}

/// The kind of comparison applied to a field (比较方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Exact equality after normalisation.
    Exact,
    /// Strings: exact, one edit, Jaro–Winkler ≥ 0.92, ≥ 0.80.
    String,
    /// Person names: Chinese-aware (homophones, accents, shape-alike) or Latin (edits, Jaro–Winkler).
    Name,
    /// Dates (birth dates): exact, day/month swapped, one digit off, same year.
    Date,
    /// Short numbers (house numbers): exact, one digit off.
    Numeric,
    /// Shanghai-style addresses: exact, same building, same lane, same road.
    Address,
    /// Resident ID numbers (身份证号), 18/15-digit or masked.
    IdNumber,
    /// Phone numbers (电话), mobile or landline, masked or not.
    Phone,
}

impl FieldKind {
    /// The levels this kind can produce, strongest first (never including [`ComparisonLevel::Missing`]).
    pub fn levels(self) -> &'static [ComparisonLevel] {
        use ComparisonLevel::*;
        match self {
            FieldKind::Exact => &[Exact, Different],
            FieldKind::String => &[Exact, OneEdit, SimilarHigh, SimilarMid, Different],
            FieldKind::Name => &[
                Exact,
                Normalised,
                Homophone,
                HomophoneToneless,
                Swapped,
                AccentAlike,
                ShapeAlike,
                OneEdit,
                SimilarHigh,
                SimilarMid,
                GivenNameDiffers,
                Different,
            ],
            FieldKind::Date => &[
                Exact,
                DayMonthSwapped,
                LunarSolar,
                OneEdit,
                YearOnly,
                Different,
            ],
            FieldKind::Numeric => &[Exact, OneEdit, Different],
            FieldKind::Address => &[Exact, SameBuilding, SameLane, SameRoad, Different],
            FieldKind::IdNumber => &[
                Exact,
                VisibleDigitsAgree,
                OneEdit,
                FewDigitsDiffer,
                IdRegionBirthAgree,
                IdBirthAgree,
                Different,
                ClearlyDifferent,
            ],
            FieldKind::Phone => &[Exact, VisibleDigitsAgree, OneEdit, Different],
        }
    }

    /// Prior probabilities (m among true matches, u among random pairs) for a level of this kind, used before
    /// (or instead of) estimation from data.
    pub fn prior(self, level: ComparisonLevel) -> (f64, f64) {
        use ComparisonLevel::*;
        match (self, level) {
            (_, Missing) => (1.0, 1.0),
            (FieldKind::Exact, Exact) => (0.95, 0.05),
            (FieldKind::Exact, _) => (0.05, 0.95),
            (FieldKind::Date, Exact) => (0.88, 0.0004),
            (FieldKind::Date, DayMonthSwapped) => (0.02, 0.00005),
            (FieldKind::Date, LunarSolar) => (0.01, 0.00005),
            (FieldKind::Date, OneEdit) => (0.06, 0.003),
            (FieldKind::Date, YearOnly) => (0.02, 0.015),
            (FieldKind::IdNumber, Exact) => (0.9, 0.000001),
            (FieldKind::IdNumber, VisibleDigitsAgree) => (0.05, 0.00005),
            (FieldKind::IdNumber, OneEdit) => (0.03, 0.000005),
            (FieldKind::IdNumber, IdRegionBirthAgree) => (0.01, 0.00005),
            (FieldKind::IdNumber, FewDigitsDiffer) => (0.005, 0.00001),
            (FieldKind::IdNumber, IdBirthAgree) => (0.005, 0.0001),
            // Visible digits of a masked number that disagree: against, but a typo in them remains possible.
            (FieldKind::IdNumber, Different) => (0.02, 0.2),
            // Two full numbers differing in many digits are two numbers: near-decisive against.
            (FieldKind::IdNumber, ClearlyDifferent) => (0.002, 0.8),
            (FieldKind::Phone, Exact) => (0.5, 0.00001),
            (FieldKind::Phone, VisibleDigitsAgree) => (0.1, 0.0005),
            (FieldKind::Phone, OneEdit) => (0.05, 0.0001),
            (FieldKind::Phone, Different) => (0.35, 0.99),
            (FieldKind::Address, Exact) => (0.5, 0.001),
            (FieldKind::Address, SameBuilding) => (0.1, 0.002),
            (FieldKind::Address, SameLane) => (0.1, 0.01),
            (FieldKind::Address, SameRoad) => (0.05, 0.05),
            (FieldKind::Address, Different) => (0.25, 0.937),
            (_, Exact) => (0.85, 0.002),
            (_, Normalised) => (0.02, 0.0001),
            (_, Homophone) => (0.03, 0.0005),
            (_, HomophoneToneless) => (0.01, 0.001),
            (_, Swapped) => (0.01, 0.0001),
            (_, AccentAlike) => (0.01, 0.002),
            (_, ShapeAlike) => (0.005, 0.001),
            (_, OneEdit) => (0.05, 0.002),
            (_, SimilarHigh) => (0.02, 0.005),
            (_, SimilarMid) => (0.01, 0.05),
            // Same surname, given name replaced by unrelated characters: rare as a clerical error, common among
            // relatives and namesakes of a common surname.
            (_, GivenNameDiffers) => (0.005, 0.05),
            (_, Different) => (0.02, 0.9),
            (_, _) => (0.01, 0.01),
        }
    }
}

/// The result of comparing one field of a pair: its level and an optional detail for staff (`明/铭`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldComparison {
    /// The comparison level.
    pub level: ComparisonLevel,
    /// A short detail, e.g. the differing characters.
    pub detail: Option<String>,
}

impl FieldComparison {
    fn plain(level: ComparisonLevel) -> Self {
        Self {
            level,
            detail: None,
        }
    }
}

/// A value prepared once for repeated comparisons (normalised text, pinyin, parsed address…).
#[derive(Debug, Clone, Default)]
pub struct PreparedValue {
    /// The raw text, trimmed.
    pub raw: String,
    /// The normalised text (see [`crate::normalize`]).
    pub norm: String,
    /// Toneless pinyin of the normalised text (names only).
    pub pinyin: String,
    /// Digits of a date as `YYYYMMDD` when the value parses as a date.
    pub date: Option<[u32; 3]>,
    /// The parsed address (addresses only).
    pub address: Option<Box<crate::address::Address>>,
}

impl PreparedValue {
    /// Whether the value is missing (empty after normalisation).
    pub fn is_missing(&self) -> bool {
        self.norm.is_empty()
    }
}

/// Values are cut to this many characters before comparison: no real name, ID or address is longer, and the
/// string measures are quadratic.
pub const MAX_FIELD_CHARS: usize = 200;

/// Prepares a raw value for comparisons of the given kind.
pub fn prepare(kind: FieldKind, raw: &str) -> PreparedValue {
    let raw: String = raw.trim().chars().take(MAX_FIELD_CHARS).collect();
    let mut v = PreparedValue::default();
    match kind {
        FieldKind::Name => {
            v.norm = normalize_name(&raw);
            if v.norm.chars().any(is_cjk) {
                v.pinyin = pinyin_key(&v.norm);
            }
        }
        FieldKind::Address => {
            let a = parse_address(&raw);
            v.norm = a.normalized.clone();
            v.address = Some(Box::new(a));
        }
        FieldKind::Date => {
            v.norm = crate::normalize::normalize_text(&raw);
            v.date = parse_date_parts(&raw);
        }
        FieldKind::IdNumber | FieldKind::Phone => {
            v.norm = raw
                .chars()
                .map(crate::normalize::fold_width)
                .filter(|c| c.is_ascii_alphanumeric() || *c == '*')
                .map(|c| c.to_ascii_uppercase())
                .collect();
        }
        _ => v.norm = crate::normalize::normalize_text(&raw),
    }
    v.raw = raw;
    v
}

/// Reads a date written as `19151111`, `1915-11-11`, `1915/11/11`, `1915.11.11` or `1915年11月11日` into
/// `[year, month, day]` (a day or month of 0 means unknown). Returns `None` for other text.
pub fn parse_date_parts(raw: &str) -> Option<[u32; 3]> {
    // The form databases hand over (`1952-05-23`), read without the general path's allocations: it runs
    // for every record of an index being built.
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *raw.as_bytes()
        && [y0, y1, y2, y3, m0, m1, d0, d1]
            .iter()
            .all(u8::is_ascii_digit)
    {
        let n = |digits: &[u8]| digits.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0'));
        return Some([n(&[y0, y1, y2, y3]), n(&[m0, m1]), n(&[d0, d1])]);
    }
    // A lunar-calendar date (marked 农历, or in lunar words such as 腊月初八; the domain knows which):
    // converted to the solar calendar, or its year alone when the day cannot exist.
    if let Some((plain, leap)) = xunren_domain::lunar_plain(raw) {
        let d = parse_solar_parts(&plain)?;
        return lunar_to_solar(d, leap).or(Some([d[0], 0, 0]));
    }
    parse_solar_parts(raw)
}

/// The solar date of a lunar-calendar date `[year, month, day]` (农历转公历), if it exists (years 1901–2100).
pub fn lunar_to_solar(d: [u32; 3], leap: bool) -> Option<[u32; 3]> {
    use chrono::Datelike;
    let date = xunren_domain::lunar_to_solar(d[0], d[1], d[2], leap)?;
    Some([u32::try_from(date.year()).ok()?, date.month(), date.day()])
}

fn parse_solar_parts(raw: &str) -> Option<[u32; 3]> {
    let folded: String = raw.chars().map(crate::normalize::fold_width).collect();
    let t = folded.trim();
    // Written with 年/月/日, in Arabic or Chinese numerals, perhaps a year alone (the domain reads
    // these; 0 for a part not given).
    if let Some((year, month, day)) = xunren_domain::written_date_parts(t) {
        return Some([year, month.unwrap_or(0), day.unwrap_or(0)]);
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        let y = t[0..4].parse().ok()?;
        let m = t[4..6].parse().ok()?;
        let d = t[6..8].parse().ok()?;
        return Some([y, m, d]);
    }
    let parts: Vec<&str> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [y] if y.len() == 4 => Some([y.parse().ok()?, 0, 0]),
        [y, m] if y.len() == 4 && m.len() <= 2 => Some([y.parse().ok()?, m.parse().ok()?, 0]),
        [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => {
            Some([y.parse().ok()?, m.parse().ok()?, d.parse().ok()?])
        }
        // Day first, as some forms print it: 23/05/1952, 23.5.1952.
        [d, m, y] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => {
            Some([y.parse().ok()?, m.parse().ok()?, d.parse().ok()?])
        }
        _ => None,
    }
}

/// Compares two prepared values of a field of the given kind.
pub fn compare(kind: FieldKind, a: &PreparedValue, b: &PreparedValue) -> FieldComparison {
    use ComparisonLevel::*;
    if a.is_missing() || b.is_missing() {
        return FieldComparison::plain(Missing);
    }
    match kind {
        FieldKind::Exact => {
            FieldComparison::plain(if a.norm == b.norm { Exact } else { Different })
        }
        FieldKind::String => FieldComparison::plain(string_level(&a.norm, &b.norm)),
        FieldKind::Numeric => FieldComparison::plain(if a.norm == b.norm {
            Exact
        } else if edit_distance_capped(&a.norm, &b.norm, 1) <= 1 {
            OneEdit
        } else {
            Different
        }),
        FieldKind::Name => compare_names(a, b),
        FieldKind::Date => FieldComparison::plain(date_level(a, b)),
        FieldKind::Address => match (&a.address, &b.address) {
            (Some(x), Some(y)) => FieldComparison {
                level: match compare_addresses(x, y) {
                    AddressMatch::Exact => Exact,
                    AddressMatch::SameBuilding => SameBuilding,
                    AddressMatch::SameLane => SameLane,
                    AddressMatch::SameRoad => SameRoad,
                    AddressMatch::Different => Different,
                    AddressMatch::Missing => Missing,
                },
                detail: None,
            },
            _ => FieldComparison::plain(Missing),
        },
        FieldKind::IdNumber => {
            FieldComparison::plain(crate::ids::compare_id_numbers(&a.raw, &b.raw))
        }
        FieldKind::Phone => FieldComparison::plain(crate::ids::compare_phones(&a.raw, &b.raw)),
    }
}

/// The level of two normalised strings: exact, one edit, Jaro–Winkler ≥ 0.92, ≥ 0.80, different.
pub fn string_level(a: &str, b: &str) -> ComparisonLevel {
    use ComparisonLevel::*;
    if a == b {
        return Exact;
    }
    if edit_distance_capped(a, b, 1) <= 1 {
        return OneEdit;
    }
    let jw = jaro_winkler(a, b);
    if jw >= 0.92 {
        SimilarHigh
    } else if jw >= 0.80 {
        SimilarMid
    } else {
        Different
    }
}

fn date_level(a: &PreparedValue, b: &PreparedValue) -> ComparisonLevel {
    use ComparisonLevel::*;
    match (a.date, b.date) {
        (Some(x), Some(y)) => compare_date_parts(x, y),
        _ => {
            if a.norm == b.norm {
                Exact
            } else if edit_distance_capped(&a.norm, &b.norm, 1) <= 1 {
                OneEdit
            } else {
                Different
            }
        }
    }
}

/// Compares two dates given as `[year, month, day]` (0 = unknown month/day): exact, day/month swapped, one digit
/// off, same year, different.
pub fn compare_date_parts(x: [u32; 3], y: [u32; 3]) -> ComparisonLevel {
    use ComparisonLevel::*;
    let complete = |d: [u32; 3]| d[1] != 0 && d[2] != 0;
    if x == y && complete(x) {
        Exact
    } else if complete(x) && complete(y) {
        if x[0] == y[0] && x[1] == y[2] && x[2] == y[1] {
            DayMonthSwapped
        } else if y[0] >= x[0] && y[0] <= x[0] + 1 && lunar_to_solar(x, false) == Some(y)
            || x[0] >= y[0] && x[0] <= y[0] + 1 && lunar_to_solar(y, false) == Some(x)
        {
            LunarSolar
        } else if date_digits_one_edit(x, y) {
            OneEdit
        } else if x[0] == y[0] {
            YearOnly
        } else {
            Different
        }
    } else if x[0] == y[0] {
        YearOnly
    } else {
        Different
    }
}

/// Whether two complete dates differ by one digit substitution or one transposition of adjacent digits
/// in their `YYYYMMDD` form.
fn date_digits_one_edit(x: [u32; 3], y: [u32; 3]) -> bool {
    let digits = |d: [u32; 3]| -> [u8; 8] {
        let v = [
            d[0] / 1000 % 10,
            d[0] / 100 % 10,
            d[0] / 10 % 10,
            d[0] % 10,
            d[1] / 10 % 10,
            d[1] % 10,
            d[2] / 10 % 10,
            d[2] % 10,
        ];
        v.map(|n| n as u8)
    };
    let (a, b) = (digits(x), digits(y));
    let diff: Vec<usize> = (0..8).filter(|&i| a[i] != b[i]).collect();
    match diff.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
        _ => false,
    }
}

/// Compares a romanised name (normalised Latin letters) with a Chinese one through its toneless pinyin, in both
/// name orders (surname first or last).
fn compare_romanised(latin: &str, chinese: &str) -> FieldComparison {
    use ComparisonLevel::*;
    let compact: String = latin.chars().filter(char::is_ascii_alphanumeric).collect();
    if compact.is_empty() {
        return FieldComparison::plain(Missing);
    }
    let mut chars = chinese.chars();
    let surname: String = chars
        .next()
        .map(|c| pinyin_key(&c.to_string()))
        .unwrap_or_default();
    let given = pinyin_key(chars.as_str());
    let orders = [format!("{surname}{given}"), format!("{given}{surname}")];
    let detail = Some(format!("{latin}/{chinese}"));
    if orders.contains(&compact) {
        return FieldComparison {
            level: HomophoneToneless,
            detail,
        };
    }
    let best = orders
        .iter()
        .map(|o| jaro_winkler(&compact, o))
        .fold(0.0f64, f64::max);
    let level = if orders
        .iter()
        .any(|o| edit_distance_capped(&compact, o, 1) <= 1)
    {
        OneEdit
    } else if best >= 0.92 {
        SimilarHigh
    } else if best >= 0.80 {
        SimilarMid
    } else {
        Different
    };
    FieldComparison {
        level,
        detail: (level != Different).then_some(detail).flatten(),
    }
}

/// Chinese names with the same (or same-sounding) surname whose given names share no character and no related
/// character (李俊杰/李建国): [`ComparisonLevel::GivenNameDiffers`]. A Jaro–Winkler similarity of the pinyin says
/// nothing here (same-surname pinyin strings are always similar), and the pattern is that of a relative.
fn surname_only(ca: &[char], cb: &[char]) -> Option<ComparisonLevel> {
    let (&sa, ga) = ca.split_first()?;
    let (&sb, gb) = cb.split_first()?;
    if ga.is_empty() || gb.is_empty() || !is_cjk(sa) || !is_cjk(sb) {
        return None;
    }
    if sa != sb && char_relation(sa, sb) == CharRelation::Unrelated {
        return None;
    }
    let related = ga.iter().any(|&x| {
        gb.iter()
            .any(|&y| x == y || char_relation(x, y) != CharRelation::Unrelated)
    });
    (!related).then_some(ComparisonLevel::GivenNameDiffers)
}

/// Compares two names: Chinese-aware when both contain ideographs, Latin (edits, Jaro–Winkler) otherwise.
pub fn compare_names(a: &PreparedValue, b: &PreparedValue) -> FieldComparison {
    use ComparisonLevel::*;
    if a.norm == b.norm {
        let level = if a
            .raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .eq(b.raw.chars().filter(|c| !c.is_whitespace()))
            || a.raw.is_ascii()
        {
            Exact
        } else {
            Normalised
        };
        return FieldComparison::plain(level);
    }
    if a.norm.is_ascii() && b.norm.is_ascii() {
        return FieldComparison::plain(string_level(&a.norm, &b.norm));
    }
    // A romanised name against a Chinese one (`Wang Ming` / `Ming Wang` vs 王明): compare with the pinyin.
    let a_latin = a.norm.is_ascii();
    if a_latin || b.norm.is_ascii() {
        let (latin, chinese) = if a_latin { (a, b) } else { (b, a) };
        if chinese.norm.chars().any(is_cjk) {
            return compare_romanised(&latin.norm, &chinese.norm);
        }
        return FieldComparison::plain(string_level(&a.norm, &b.norm));
    }
    let ca: Vec<char> = a.norm.chars().collect();
    let cb: Vec<char> = b.norm.chars().collect();
    let chinese = ca.iter().any(|&c| is_cjk(c)) && cb.iter().any(|&c| is_cjk(c));
    if !chinese {
        return FieldComparison::plain(string_level(&a.norm, &b.norm));
    }
    if ca.len() == cb.len() {
        let mut worst = CharRelation::Same;
        let mut unrelated = 0usize;
        let mut pairs: Vec<String> = Vec::new();
        for (&x, &y) in ca.iter().zip(cb.iter()) {
            if x == y {
                continue;
            }
            let r = char_relation(x, y);
            if r == CharRelation::Unrelated {
                unrelated += 1;
            } else if r > worst {
                worst = r;
            }
            pairs.push(format!("{x}/{y}"));
        }
        let detail = Some(pairs.join(" "));
        if unrelated == 0 {
            let level = match worst {
                CharRelation::Same | CharRelation::HomophoneToned => Homophone,
                CharRelation::HomophoneToneless => HomophoneToneless,
                CharRelation::AccentAlike => AccentAlike,
                _ => ShapeAlike,
            };
            return FieldComparison { level, detail };
        }
        if unrelated == 1 && pairs.len() == 1 {
            // 张晨/张敏: the one differing character is the whole given name — another person of the family,
            // not a slip of the pen.
            let level = if ca.len() == 2 && ca[0] == cb[0] {
                GivenNameDiffers
            } else {
                OneEdit
            };
            return FieldComparison { level, detail };
        }
        // Transposed characters (明小 / 小明).
        if edit_distance_capped(&a.norm, &b.norm, 1) <= 1 {
            return FieldComparison {
                level: OneEdit,
                detail,
            };
        }
    } else if edit_distance_capped(&a.norm, &b.norm, 1) <= 1 {
        return FieldComparison {
            level: OneEdit,
            detail: Some(format!("{}/{}", a.norm, b.norm)),
        };
    }
    if let Some(level) = surname_only(&ca, &cb) {
        return FieldComparison {
            level,
            detail: Some(format!("{}/{}", a.norm, b.norm)),
        };
    }
    let pa = if a.pinyin.is_empty() {
        pinyin_key(&a.norm)
    } else {
        a.pinyin.clone()
    };
    let pb = if b.pinyin.is_empty() {
        pinyin_key(&b.norm)
    } else {
        b.pinyin.clone()
    };
    let jw = jaro_winkler(&pa, &pb);
    let level = if jw >= 0.92 {
        SimilarHigh
    } else if jw >= 0.80 {
        SimilarMid
    } else {
        Different
    };
    FieldComparison {
        level,
        detail: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComparisonLevel::*;

    fn names(a: &str, b: &str) -> FieldComparison {
        compare(
            FieldKind::Name,
            &prepare(FieldKind::Name, a),
            &prepare(FieldKind::Name, b),
        )
    }

    #[test]
    fn chinese_names() {
        assert_eq!(names("王明", "王明").level, Exact);
        assert_eq!(names("陳明", "陈明").level, Normalised);
        let h = names("王明", "王铭");
        assert_eq!(h.level, Homophone);
        assert_eq!(h.detail.as_deref(), Some("明/铭"));
        assert_eq!(names("王明", "黄明").level, AccentAlike);
        assert_eq!(names("李己", "李已").level, ShapeAlike);
        assert_eq!(names("王小明", "王小红").level, OneEdit);
        assert_eq!(names("王小明", "王明").level, OneEdit);
        assert_eq!(names("王小明", "").level, Missing);
        assert_eq!(names("张伟", "李娜").level, Different);
        assert_eq!(names("Wang Ming", "王明").level, HomophoneToneless);
        assert_eq!(names("王明", "MING wang").level, HomophoneToneless);
        assert_eq!(names("Wang Mign", "王明").level, OneEdit);
        assert_eq!(names("Smith", "王明").level, Different);
    }

    #[test]
    fn same_surname_other_given_name() {
        // The whole given name replaced by unrelated characters: a relative, not a spelling variant.
        let g = names("张晨", "张敏");
        assert_eq!(g.level, GivenNameDiffers);
        assert_eq!(g.detail.as_deref(), Some("晨/敏"));
        assert_eq!(names("李俊杰", "李建国").level, GivenNameDiffers);
        assert_eq!(names("王云龙", "王芳").level, GivenNameDiffers);
        // A same-sounding surname counts as the same surname.
        assert_eq!(names("陈建华", "程玉英").level, GivenNameDiffers);
        // Sharing or resembling a given-name character is not "other given name".
        assert_eq!(names("张晓明", "张晓华").level, OneEdit);
        assert_eq!(names("张明", "张铭").level, Homophone);
        assert_ne!(names("李建国", "李国建华").level, GivenNameDiffers);
        // Other surname: plain difference.
        assert_eq!(names("张晨", "李敏").level, Different);
    }

    #[test]
    fn latin_names() {
        assert_eq!(names("stanley", "stanley").level, Exact);
        assert_eq!(names("stanley", "stanlhy").level, OneEdit);
        assert_eq!(names("jayde", "ja yde").level, OneEdit);
        assert_eq!(names("michaela", "michelle").level, SimilarMid);
        assert_eq!(names("michaela", "bob").level, Different);
    }

    #[test]
    fn dates() {
        let d = |a: &str, b: &str| {
            compare(
                FieldKind::Date,
                &prepare(FieldKind::Date, a),
                &prepare(FieldKind::Date, b),
            )
            .level
        };
        assert_eq!(d("19151111", "1915-11-11"), Exact);
        assert_eq!(d("19150311", "19151103"), DayMonthSwapped);
        assert_eq!(d("19151111", "19151121"), OneEdit);
        assert_eq!(d("19151111", "19150203"), YearOnly);
        assert_eq!(d("1915年", "19150203"), YearOnly);
        assert_eq!(d("19151111", "19800203"), Different);
        assert_eq!(d("", "19800203"), Missing);
        assert_eq!(parse_date_parts("1915年11月1日"), Some([1915, 11, 1]));
        // The `YYYY-MM-DD` shortcut reads what the general path reads.
        for text in [
            "1952-05-23",
            "0000-00-00",
            "1952-13-45",
            "2024-02-29",
            "1900-01-09",
        ] {
            assert_eq!(parse_date_parts(text), parse_solar_parts(text), "{text}");
        }
        assert_eq!(parse_date_parts("1952-05-23"), Some([1952, 5, 23]));
        // Chinese numerals, as handwritten registers and archives write dates.
        assert_eq!(
            parse_date_parts("一九五二年五月二十三日"),
            Some([1952, 5, 23])
        );
        assert_eq!(
            parse_date_parts("一九五二年十二月廿三号"),
            Some([1952, 12, 23])
        );
        // Lunar by its words alone: 腊月初八 of 1952 (the 12th month) fell in January 1953.
        assert_eq!(
            parse_date_parts("1952年腊月初八"),
            lunar_to_solar([1952, 12, 8], false)
        );
        assert_eq!(
            lunar_to_solar([1952, 12, 8], false).map(|d| d[0]),
            Some(1953)
        );
        assert_eq!(parse_date_parts("一九五二年"), Some([1952, 0, 0]));
        assert_eq!(parse_date_parts("五二年五月"), None);
        assert_eq!(parse_date_parts("二十三日"), None);
        // Day first.
        assert_eq!(parse_date_parts("23/05/1952"), Some([1952, 5, 23]));
        assert_eq!(d("23.5.1952", "1952-05-23"), Exact);
        // 农历 1950-03-04 is 1950-04-20 in the solar calendar.
        assert_eq!(lunar_to_solar([1950, 3, 4], false), Some([1950, 4, 20]));
        assert_eq!(d("1950-03-04", "1950-04-20"), LunarSolar);
        assert_eq!(d("农历1950年3月4日", "1950-04-20"), Exact);
        assert_eq!(d("农历一九五〇年三月初四", "1950-04-20"), Exact);
        assert_eq!(lunar_to_solar([1950, 13, 4], false), None);
    }

    #[test]
    fn strings() {
        assert_eq!(string_level("abc", "abc"), Exact);
        assert_eq!(string_level("pike place", "pike mlace"), OneEdit);
        assert_eq!(string_level("abc", "xyz"), Different);
    }
}
