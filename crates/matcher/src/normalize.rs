//! Normalisation (规范化) of names and free text before comparison.
//!
//! - traditional → simplified characters (繁体 → 简体) through `ferrous-opencc` (pure Rust, Apache-2.0);
//! - full-width → half-width (全角 → 半角);
//! - removal of whitespace, punctuation and control characters, lower case for Latin letters;
//! - pinyin (拼音) of every character with **all** readings of polyphonic characters (多音字), tone-marked
//!   and toneless, so that homophones (同音字, 明/铭/鸣) compare as such;
//! - small tables of shape-alike characters (形近字, 己/已) and of confusions common in Shanghai records
//!   (沪语同音: 王/黄, 吴/胡) plus southern-accent pinyin folding (平翘舌 zh/z, 前后鼻音 in/ing, n/l), used as weaker
//!   comparison levels.
//!
//! Every function here is total: any input (empty, emoji, control characters, mixed scripts) gives an output,
//! never a panic.

use std::sync::OnceLock;

use ferrous_opencc::{OpenCC, config::BuiltinConfig};
use pinyin::{ToPinyin, ToPinyinMulti};

/// The code points the traditional→simplified table covers: CJK Extension A, the unified ideographs and the
/// compatibility ideographs (繁体 characters outside them are kept as they are).
const T2S_FIRST: u32 = 0x3400;
const T2S_LAST: u32 = 0xFAFF;

/// The character-level traditional→simplified table, built once from the OpenCC data by converting every CJK
/// ideograph on its own (names and addresses need characters, not phrases). Dense over
/// [`T2S_FIRST`]..=[`T2S_LAST`] (200 KB), so that a lookup is an array read: every character of every record
/// goes through it when an index is built.
fn t2s_table() -> &'static [char] {
    static TABLE: OnceLock<Box<[char]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<char> = (T2S_FIRST..=T2S_LAST)
            .map(|cp| char::from_u32(cp).unwrap_or('\u{FFFD}'))
            .collect();
        // The converter (with its phrase dictionaries) is only needed to build the table and is dropped after.
        // Should it fail to load, the table maps every character to itself.
        if let Ok(converter) = OpenCC::from_config(BuiltinConfig::T2s) {
            let ranges = [0x3400u32..=0x4DBF, 0x4E00..=0x9FFF, 0xF900..=0xFAFF];
            let mut buf = String::new();
            for range in ranges {
                for cp in range {
                    let Some(c) = char::from_u32(cp) else {
                        continue;
                    };
                    buf.clear();
                    buf.push(c);
                    let out = converter.convert(&buf);
                    let mut chars = out.chars();
                    if let (Some(s), None) = (chars.next(), chars.next())
                        && let Some(slot) = table.get_mut((cp - T2S_FIRST) as usize)
                    {
                        *slot = s;
                    }
                }
            }
        }
        table.into_boxed_slice()
    })
}

/// Converts one traditional character to its simplified form (繁转简), other characters unchanged.
pub fn simplify_char(c: char) -> char {
    let cp = c as u32;
    if !(T2S_FIRST..=T2S_LAST).contains(&cp) {
        return c;
    }
    t2s_table()
        .get((cp - T2S_FIRST) as usize)
        .copied()
        .unwrap_or(c)
}

/// Whether a character is kept by normalisation (a letter of any script, a digit or an ideograph); ideographs
/// are answered without Unicode's general tables.
pub(crate) fn is_word_char(c: char) -> bool {
    is_cjk(c) || c.is_alphanumeric()
}

/// Appends `c` in lower case (ideographs as they are, without Unicode's case tables).
pub(crate) fn push_lower(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_cjk(c) {
        out.push(c);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// Converts traditional characters to simplified ones (繁转简), character by character. ASCII-only text is
/// returned unchanged.
pub fn to_simplified(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    text.chars().map(simplify_char).collect()
}

/// Folds one full-width character (全角) to its half-width form (半角); other characters are returned as is.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Whether `c` is a CJK ideograph (汉字).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF | 0xF900..=0xFAFF | 0x3007)
}

/// Normalises free text for comparison: half-width, simplified, lower case, without whitespace, punctuation,
/// symbols or control characters. Letters of every script, digits and ideographs are kept.
pub fn normalize_text(text: &str) -> String {
    if text.is_ascii() {
        return text
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(|c| simplify_char(fold_width(c))) {
        if is_word_char(c) {
            push_lower(&mut out, c);
        }
    }
    out
}

/// Normalises a person's name (姓名): like [`normalize_text`], but for Latin-script names single spaces between
/// words are kept (`"Mary  Ann"` → `"mary ann"`), since word order matters there.
pub fn normalize_name(text: &str) -> String {
    let simplified = if text.is_ascii() {
        text.to_string()
    } else {
        let folded: String = text.chars().map(fold_width).collect();
        to_simplified(&folded)
    };
    let has_cjk = simplified.chars().any(is_cjk);
    let mut out = String::with_capacity(simplified.len());
    let mut pending_space = false;
    for c in simplified.chars() {
        if is_word_char(c) {
            if pending_space && !out.is_empty() && !has_cjk {
                out.push(' ');
            }
            pending_space = false;
            push_lower(&mut out, c);
        } else if c.is_whitespace() || c == '-' || c == '.' {
            pending_space = true;
        }
    }
    out
}

/// One pronunciation (读音) of a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// With tone mark, e.g. `míng`.
    pub toned: &'static str,
    /// Without tone, e.g. `ming`.
    pub toneless: &'static str,
}

/// All readings of a character (every reading of a polyphonic character 多音字); empty for non-Chinese characters.
pub fn readings(c: char) -> Vec<Reading> {
    match c.to_pinyin_multi() {
        Some(multi) => multi
            .into_iter()
            .map(|p| Reading {
                toned: p.with_tone(),
                toneless: p.plain(),
            })
            .collect(),
        None => Vec::new(),
    }
}

/// The toneless pinyin of a text, first (most common) reading of each character, syllables concatenated;
/// non-Chinese alphanumerics are kept in lower case. Used as a blocking key (`"王明"` → `"wangming"`).
pub fn pinyin_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for c in text.chars() {
        match c.to_pinyin() {
            Some(p) => out.push_str(p.plain()),
            None => {
                if is_word_char(c) {
                    push_lower(&mut out, c);
                }
            }
        }
    }
    out
}

/// Folds a toneless syllable for southern (and Shanghai) accents: zh/ch/sh → z/c/s, initial n → l,
/// final -ng → -n, initial h before u → f (胡/福 are often confused).
pub fn fold_accent(syllable: &str) -> String {
    let mut s = syllable.to_string();
    for (from, to) in [("zh", "z"), ("ch", "c"), ("sh", "s")] {
        if s.starts_with(from) {
            s.replace_range(0..from.len(), to);
        }
    }
    if s.starts_with('n') && s.len() > 1 {
        s.replace_range(0..1, "l");
    }
    if s.ends_with("ng") && s.len() > 2 {
        s.truncate(s.len() - 1);
    }
    if s.starts_with("hu") {
        s.replace_range(0..1, "f");
    }
    s
}

/// Pairs of characters read alike in Shanghainese (沪语) or commonly confused by Shanghai clerks.
const SHANGHAI_CONFUSIONS: &[(char, char)] = &[
    ('王', '黄'),
    ('吴', '胡'),
    ('吴', '伍'),
    ('胡', '伍'),
    ('何', '胡'),
    ('陈', '沈'),
    ('陈', '程'),
    ('金', '经'),
    ('金', '京'),
    ('范', '万'),
    ('周', '邹'),
    ('钱', '全'),
    ('徐', '许'),
    ('杨', '羊'),
    ('姚', '杨'),
    ('陆', '罗'),
    ('戴', '代'),
    ('顾', '古'),
    ('朱', '诸'),
    ('黄', '汪'),
    ('华', '花'),
];

/// Pairs of shape-alike characters (形近字) often mistyped or misread in handwritten records.
const SHAPE_ALIKE: &[(char, char)] = &[
    ('己', '已'),
    ('已', '巳'),
    ('己', '巳'),
    ('未', '末'),
    ('土', '士'),
    ('日', '曰'),
    ('戊', '戌'),
    ('戌', '戍'),
    ('王', '玉'),
    ('王', '主'),
    ('大', '太'),
    ('太', '犬'),
    ('人', '入'),
    ('天', '夭'),
    ('千', '干'),
    ('干', '于'),
    ('毛', '手'),
    ('刀', '力'),
    ('田', '由'),
    ('由', '甲'),
    ('甲', '申'),
    ('贝', '见'),
    ('晴', '睛'),
    ('候', '侯'),
    ('明', '朋'),
    ('李', '季'),
    ('陈', '阵'),
    ('刘', '浏'),
    ('凤', '风'),
    ('华', '毕'),
    ('桂', '佳'),
    ('梅', '海'),
    ('军', '车'),
    ('国', '围'),
    ('宝', '室'),
    ('珍', '诊'),
    ('兰', '当'),
    ('春', '椿'),
    ('秀', '季'),
    ('英', '荚'),
    ('红', '江'),
    ('芳', '劳'),
    ('丽', '俪'),
    ('娟', '绢'),
    ('清', '请'),
    ('林', '材'),
    ('杰', '术'),
    ('荣', '蓉'),
    ('妹', '姝'),
    ('伟', '玮'),
    ('平', '乎'),
    ('玲', '伶'),
    ('霞', '葭'),
    ('萍', '苹'),
    ('琴', '芩'),
    ('辉', '挥'),
    ('斌', '赋'),
    ('龙', '尤'),
    ('文', '又'),
    ('东', '冻'),
    ('新', '亲'),
    ('忠', '患'),
];

fn pair_in(table: &[(char, char)], a: char, b: char) -> bool {
    table
        .iter()
        .any(|&(x, y)| (x == a && y == b) || (x == b && y == a))
}

/// The characters listed as Shanghai confusions of `c` (王 → 黄, 汪).
pub fn shanghai_partners(c: char) -> Vec<char> {
    SHANGHAI_CONFUSIONS
        .iter()
        .filter_map(|&(x, y)| {
            if x == c {
                Some(y)
            } else if y == c {
                Some(x)
            } else {
                None
            }
        })
        .collect()
}

/// Whether two characters are a listed shape-alike pair (形近字).
pub fn shape_alike(a: char, b: char) -> bool {
    pair_in(SHAPE_ALIKE, a, b)
}

/// Whether two characters are a listed Shanghai confusion (沪语同音/常见误记).
pub fn shanghai_confusable(a: char, b: char) -> bool {
    pair_in(SHANGHAI_CONFUSIONS, a, b)
}

/// How two characters relate, strongest relation first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CharRelation {
    /// The same character.
    Same,
    /// They share a reading with the same tone (同音同调).
    HomophoneToned,
    /// They share a reading when tones are ignored (同音不同调).
    HomophoneToneless,
    /// They sound alike in a southern/Shanghai accent or are a listed Shanghai confusion (方言音近).
    AccentAlike,
    /// They look alike (形近).
    ShapeAlike,
    /// No known relation.
    Unrelated,
}

/// Relation between two (already normalised) characters.
pub fn char_relation(a: char, b: char) -> CharRelation {
    if a == b {
        return CharRelation::Same;
    }
    let ra = readings(a);
    let rb = readings(b);
    if !ra.is_empty() && !rb.is_empty() {
        if ra.iter().any(|x| rb.iter().any(|y| x.toned == y.toned)) {
            return CharRelation::HomophoneToned;
        }
        if ra
            .iter()
            .any(|x| rb.iter().any(|y| x.toneless == y.toneless))
        {
            return CharRelation::HomophoneToneless;
        }
        if shanghai_confusable(a, b) {
            return CharRelation::AccentAlike;
        }
        let fa: Vec<String> = ra.iter().map(|r| fold_accent(r.toneless)).collect();
        if rb
            .iter()
            .any(|y| fa.iter().any(|x| *x == fold_accent(y.toneless)))
        {
            return CharRelation::AccentAlike;
        }
    }
    if shape_alike(a, b) {
        return CharRelation::ShapeAlike;
    }
    CharRelation::Unrelated
}

/// Damerau–Levenshtein distance (optimal string alignment) on characters, capped: returns `cap + 1` as soon as
/// the distance is known to exceed `cap`. Cost is O(len_a · len_b) but inputs are short fields; ASCII inputs are
/// compared on bytes without allocation.
pub fn edit_distance_capped(a: &str, b: &str, cap: usize) -> usize {
    if a == b {
        return 0;
    }
    if a.is_ascii() && b.is_ascii() {
        osa_capped(a.as_bytes(), b.as_bytes(), cap)
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        osa_capped(&a, &b, cap)
    }
}

fn osa_capped<T: Eq>(a: &[T], b: &[T], cap: usize) -> usize {
    if a.len().abs_diff(b.len()) > cap {
        return cap + 1;
    }
    let n = b.len();
    const STACK: usize = 64;
    let mut s0 = [0usize; STACK];
    let mut s1 = [0usize; STACK];
    let mut s2 = [0usize; STACK];
    let mut h0;
    let mut h1;
    let mut h2;
    let (mut prev2, mut prev, mut cur): (&mut [usize], &mut [usize], &mut [usize]) = if n < STACK {
        (&mut s0[..=n], &mut s1[..=n], &mut s2[..=n])
    } else {
        h0 = vec![0usize; n + 1];
        h1 = vec![0usize; n + 1];
        h2 = vec![0usize; n + 1];
        (&mut h0[..], &mut h1[..], &mut h2[..])
    };
    for (j, v) in prev.iter_mut().enumerate() {
        *v = j;
    }
    // Only the band |i - j| <= cap matters; cells just outside it are set to cap + 1.
    for i in 1..=a.len() {
        let lo = i.saturating_sub(cap).max(1);
        let hi = (i + cap).min(n);
        cur[lo - 1] = if lo == 1 { i } else { cap + 1 };
        let mut row_min = cur[lo - 1];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if hi < n {
            cur[hi + 1] = cap + 1;
        }
        if row_min > cap {
            return cap + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n].min(cap + 1)
}

/// Jaro–Winkler similarity (prefix scale 0.1, up to 4 characters) in \[0, 1\]; ASCII inputs up to 64 bytes are
/// handled without allocation.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a.is_ascii() && b.is_ascii() && a.len() <= 64 && b.len() <= 64 {
        let (x, y) = (a.as_bytes(), b.as_bytes());
        let jaro = jaro_ascii(x, y);
        let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count();
        jaro + prefix as f64 * 0.1 * (1.0 - jaro)
    } else {
        // Long texts are compared on their first 256 characters (the measure is quadratic).
        let cut = |s: &str| -> String { s.chars().take(256).collect() };
        strsim::jaro_winkler(&cut(a), &cut(b))
    }
}

fn jaro_ascii(a: &[u8], b: &[u8]) -> f64 {
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut used_b: u64 = 0;
    let mut matched_a: u64 = 0;
    let mut matches = 0usize;
    for (i, &c) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for (j, &bj) in b.iter().enumerate().take(hi).skip(lo) {
            if used_b & (1 << j) == 0 && bj == c {
                used_b |= 1 << j;
                matched_a |= 1 << i;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &c) in a.iter().enumerate() {
        if matched_a & (1 << i) == 0 {
            continue;
        }
        while used_b & (1 << j) == 0 {
            j += 1;
        }
        if b[j] != c {
            transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - (transpositions / 2) as f64) / m) / 3.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn jaro_winkler_matches_strsim() {
        for (a, b) in [
            ("martha", "marhta"),
            ("dixon", "dicksonx"),
            ("abc", "xyz"),
            ("a", "a"),
            ("michaela", "michelle"),
        ] {
            assert!(
                (jaro_winkler(a, b) - strsim::jaro_winkler(a, b)).abs() < 1e-9,
                "{a} {b}"
            );
        }
    }

    use super::*;

    #[test]
    fn traditional_to_simplified() {
        assert_eq!(to_simplified("陳韋"), "陈韦");
        assert_eq!(normalize_text("陳 大文"), "陈大文");
        assert_eq!(to_simplified("abc"), "abc");
    }

    #[test]
    fn width_and_punctuation() {
        assert_eq!(normalize_text("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize_text("王\u{3000}明。"), "王明");
        assert_eq!(normalize_text("乔家路12弄-3号"), "乔家路12弄3号");
        assert_eq!(normalize_name("  Mary   Ann "), "mary ann");
        assert_eq!(normalize_name("王 小明"), "王小明");
        assert_eq!(normalize_text(""), "");
    }

    #[test]
    fn polyphonic_readings() {
        let r = readings('重');
        assert!(r.iter().any(|x| x.toneless == "zhong"));
        assert!(r.iter().any(|x| x.toneless == "chong"));
        assert!(readings('a').is_empty());
    }

    #[test]
    fn relations() {
        assert_eq!(char_relation('明', '铭'), CharRelation::HomophoneToned);
        assert_eq!(char_relation('明', '鸣'), CharRelation::HomophoneToned);
        assert_eq!(char_relation('王', '黄'), CharRelation::AccentAlike);
        assert_eq!(char_relation('金', '京'), CharRelation::AccentAlike);
        assert_eq!(char_relation('陈', '程'), CharRelation::AccentAlike);
        assert_eq!(char_relation('己', '已'), CharRelation::ShapeAlike);
        assert_eq!(char_relation('王', '李'), CharRelation::Unrelated);
        assert_eq!(char_relation('🙂', '李'), CharRelation::Unrelated);
    }

    #[test]
    fn pinyin_keys() {
        assert_eq!(pinyin_key("王明"), "wangming");
        assert_eq!(pinyin_key("Ann"), "ann");
        assert_eq!(fold_accent("zhang"), "zan");
        assert_eq!(fold_accent("ning"), "lin");
    }

    #[test]
    fn edit_distance() {
        assert_eq!(edit_distance_capped("stanley", "stanlye", 2), 1);
        assert_eq!(edit_distance_capped("abc", "abc", 1), 0);
        assert_eq!(edit_distance_capped("abc", "xyz", 1), 2);
        assert_eq!(edit_distance_capped("", "ab", 1), 2);
        assert_eq!(edit_distance_capped("19151111", "19151121", 1), 1);
        assert_eq!(edit_distance_capped("kitten", "sitting", 3), 3);
        assert_eq!(edit_distance_capped("kitten", "sitting", 2), 3);
        assert_eq!(edit_distance_capped("ab", "ba", 1), 1);
        assert_eq!(edit_distance_capped("王小明", "王明小", 1), 1);
        let long_a = "a".repeat(5000);
        let long_b = format!("{}b", "a".repeat(4999));
        assert_eq!(edit_distance_capped(&long_a, &long_b, 1), 1);
    }
}
