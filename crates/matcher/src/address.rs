//! Parser and comparison of Shanghai-style addresses (上海地址解析与比较).
//!
//! An address such as `上海市黄浦区老西门街道乔家路十二弄三号201室` is split into components: city 市,
//! district 区/县, subdistrict or town 街道/镇/乡, road 路/街/弄堂/巷/浜…, lane 弄, branch lane 支弄, number 号,
//! building 幢/栋/号楼, floor 楼/层 and room 室. Chinese numerals before a unit (十二号, 一百零三弄) and full-width
//! digits become Arabic digits; separators are understood (`乔家路12弄-3` = `乔家路12弄3号`); former districts
//! merged since 2000 (南市区, 卢湾区 → 黄浦区; 闸北区 → 静安区; 南汇区 → 浦东新区) compare equal to their successor.
//!
//! Parsing never fails and never panics: text that is not an address yields an [`Address`] with few components.

use serde::{Deserialize, Serialize};

use crate::normalize::{fold_width, is_word_char, simplify_char};

/// The components of a parsed address (地址要素). Missing components are `None`. Numbers are kept as digit
/// strings without leading zeros (`"12"`), possibly with a letter or sub-number (`"12甲"`, `"3-1"` is split).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// City 市 (e.g. `上海市`).
    pub city: Option<String>,
    /// District or county 区/县, mapped to its current name (`卢湾区` → `黄浦区`).
    pub district: Option<String>,
    /// Subdistrict or town 街道/镇/乡.
    pub subdistrict: Option<String>,
    /// Road 路/街/巷/浜/弄堂 (a road whose name ends in 弄 without a number before it, such as 艾家弄, is a road).
    pub road: Option<String>,
    /// Lane 弄.
    pub lane: Option<String>,
    /// Branch lane 支弄.
    pub branch_lane: Option<String>,
    /// House number 号.
    pub number: Option<String>,
    /// Building 幢/栋/号楼.
    pub building: Option<String>,
    /// Floor 楼/层.
    pub floor: Option<String>,
    /// Room 室.
    pub room: Option<String>,
    /// The whole normalised string (half-width, simplified, Arabic numerals, no spaces or punctuation).
    pub normalized: String,
}

/// How close two addresses are (地址比较结果), strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AddressMatch {
    /// Same normalised address (地址一致), including room when both have one.
    Exact,
    /// Same building: road + lane + number agree, room/floor differ or missing (同一门牌).
    SameBuilding,
    /// Same lane: road + lane agree, other number (同一弄).
    SameLane,
    /// Same road only (同一路).
    SameRoad,
    /// Different addresses (地址不同).
    Different,
    /// One side is empty or has no road (地址缺失).
    Missing,
}

/// Current district names of Shanghai, and former ones with their successors.
const DISTRICTS: &[(&str, &str)] = &[
    ("浦东新区", "浦东新区"),
    ("黄浦区", "黄浦区"),
    ("徐汇区", "徐汇区"),
    ("长宁区", "长宁区"),
    ("静安区", "静安区"),
    ("普陀区", "普陀区"),
    ("虹口区", "虹口区"),
    ("杨浦区", "杨浦区"),
    ("闵行区", "闵行区"),
    ("宝山区", "宝山区"),
    ("嘉定区", "嘉定区"),
    ("金山区", "金山区"),
    ("松江区", "松江区"),
    ("青浦区", "青浦区"),
    ("奉贤区", "奉贤区"),
    ("崇明区", "崇明区"),
    ("崇明县", "崇明区"),
    ("南市区", "黄浦区"),
    ("卢湾区", "黄浦区"),
    ("闸北区", "静安区"),
    ("南汇区", "浦东新区"),
    ("川沙县", "浦东新区"),
    ("上海县", "闵行区"),
    ("浦东", "浦东新区"),
];

/// District names without their 区/县 suffix (at least two characters), with their current names.
const DISTRICT_SHORT: &[(&str, &str)] = &[
    ("黄浦", "黄浦区"),
    ("徐汇", "徐汇区"),
    ("长宁", "长宁区"),
    ("静安", "静安区"),
    ("普陀", "普陀区"),
    ("虹口", "虹口区"),
    ("杨浦", "杨浦区"),
    ("闵行", "闵行区"),
    ("宝山", "宝山区"),
    ("嘉定", "嘉定区"),
    ("金山", "金山区"),
    ("松江", "松江区"),
    ("青浦", "青浦区"),
    ("奉贤", "奉贤区"),
    ("崇明", "崇明区"),
    ("南市", "黄浦区"),
    ("卢湾", "黄浦区"),
    ("闸北", "静安区"),
    ("南汇", "浦东新区"),
];

fn chinese_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn is_chinese_numeral(c: char) -> bool {
    chinese_digit(c).is_some() || matches!(c, '十' | '百' | '千')
}

/// Parses a Chinese numeral (`十二` → 12, `一百零三` → 103, `二〇三` → 203). `None` if it is not one.
pub fn parse_chinese_number(text: &str) -> Option<u64> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() || chars.len() > 12 || !chars.iter().all(|&c| is_chinese_numeral(c)) {
        return None;
    }
    // Digit-by-digit form (二〇三, 一二): no unit characters.
    if !chars.iter().any(|c| matches!(c, '十' | '百' | '千')) {
        let mut value: u64 = 0;
        for c in chars {
            value = value.checked_mul(10)?.checked_add(chinese_digit(c)?)?;
        }
        return Some(value);
    }
    let mut total: u64 = 0;
    let mut current: Option<u64> = None;
    for c in chars {
        match c {
            '十' | '百' | '千' => {
                let unit = match c {
                    '十' => 10,
                    '百' => 100,
                    _ => 1000,
                };
                total = total.checked_add(current.unwrap_or(1).checked_mul(unit)?)?;
                current = None;
            }
            _ => {
                let d = chinese_digit(c)?;
                current = Some(d);
            }
        }
    }
    total.checked_add(current.unwrap_or(0))
}

/// Unit characters after which a preceding Chinese numeral is read as a number.
fn starts_with_unit(rest: &[char]) -> bool {
    matches!(
        rest.first(),
        Some('弄' | '号' | '室' | '楼' | '幢' | '栋' | '层' | '支' | '单' | '-')
    ) || rest.is_empty()
}

/// Normalises an address string: half-width, simplified, no whitespace or punctuation except `-`, Chinese
/// numerals before a unit replaced by digits, and `#` read as 号.
pub fn normalize_address(text: &str) -> String {
    let mut cleaned: Vec<char> =
        Vec::with_capacity(text.len().min(4 * crate::compare::MAX_FIELD_CHARS));
    for c in text
        .chars()
        .take(crate::compare::MAX_FIELD_CHARS)
        .map(|c| simplify_char(fold_width(c)))
    {
        match c {
            '-' | '—' | '–' | '‐' | '−' | '~' | '之' => cleaned.push('-'),
            '#' => cleaned.push('号'),
            c if c.is_ascii_alphanumeric() => cleaned.push(c.to_ascii_lowercase()),
            c if c.is_ascii() => {}
            c if crate::normalize::is_cjk(c) => cleaned.push(c),
            c if is_word_char(c) => cleaned.extend(c.to_lowercase()),
            _ => {}
        }
    }
    // Replace runs of Chinese numerals followed by a unit (or at the end) with Arabic digits, but only when the
    // run follows a digit-bearing context (a unit, a road suffix or a separator), so that road names such as
    // 中山东一路 or 四川北路 keep their numerals.
    let mut out = String::with_capacity(cleaned.len() * 2);
    let mut i = 0;
    while i < cleaned.len() {
        let c = cleaned[i];
        if is_chinese_numeral(c) {
            let start = i;
            let mut end = i;
            while end < cleaned.len() && is_chinese_numeral(cleaned[end]) {
                end += 1;
            }
            let run: String = cleaned[start..end].iter().collect();
            let before_ok = start > 0
                && matches!(
                    cleaned[start - 1],
                    '路' | '街'
                        | '巷'
                        | '浜'
                        | '弄'
                        | '号'
                        | '道'
                        | '里'
                        | '坊'
                        | '村'
                        | '幢'
                        | '栋'
                        | '-'
                        | '楼'
                );
            if before_ok
                && starts_with_unit(&cleaned[end..])
                && let Some(v) = parse_chinese_number(&run)
            {
                out.push_str(&v.to_string());
                i = end;
                continue;
            }
            out.push_str(&run);
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn strip_zeros(digits: &str) -> &str {
    let t = digits.trim_start_matches('0');
    if t.is_empty() { "0" } else { t }
}

/// Parses a Shanghai-style address into its components. Never fails; unparsed text stays in `road`.
pub fn parse_address(text: &str) -> Address {
    let normalized = normalize_address(text);
    let mut addr = Address {
        normalized: normalized.clone(),
        ..Address::default()
    };
    let mut rest: &str = &normalized;
    for prefix in ["上海市", "上海"] {
        if let Some(r) = rest.strip_prefix(prefix) {
            addr.city = Some("上海市".to_string());
            rest = r;
            break;
        }
    }
    for (name, current) in DISTRICTS {
        if let Some(r) = rest.strip_prefix(name) {
            addr.district = Some((*current).to_string());
            rest = r;
            break;
        }
    }
    if addr.district.is_none() {
        // A district written without 区 (黄浦乔家路…).
        for (short, current) in DISTRICT_SHORT {
            if let Some(r) = rest.strip_prefix(short)
                && !r.starts_with('路')
                && !r.starts_with('街')
                && !r.starts_with('镇')
            {
                addr.district = Some((*current).to_string());
                rest = r;
                break;
            }
        }
    }
    // Subdistrict / town: ends with 街道, 镇 or 乡, at least two characters before, before any digit.
    {
        // The first 14 characters (the scan looks at 13, and the cut may fall after the 13th) and
        // the byte where each starts.
        let mut chars = [(0usize, '\0'); 14];
        let mut seen = 0;
        for (slot, c) in chars.iter_mut().zip(rest.char_indices()) {
            *slot = c;
            seen += 1;
        }
        let chars = &chars[..seen];
        let limit = chars
            .iter()
            .position(|(_, c)| c.is_ascii_digit())
            .unwrap_or(rest.chars().count());
        let mut cut: Option<usize> = None;
        for k in 2..limit.min(12) {
            let (_, c) = chars[k];
            if c == '街' && chars.get(k + 1).map(|x| x.1) == Some('道') {
                cut = Some(k + 2);
                break;
            }
            if (c == '镇' || c == '乡') && k + 1 < limit {
                cut = Some(k + 1);
                break;
            }
        }
        if let Some(k) = cut {
            let byte = chars.get(k).map(|x| x.0).unwrap_or(rest.len());
            addr.subdistrict = Some(rest[..byte].to_string());
            rest = &rest[byte..];
        }
    }
    // Road: everything up to the first digit.
    let first_digit = rest
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let road = rest[..first_digit].trim_end_matches('-');
    if !road.is_empty() {
        addr.road = Some(road.to_string());
    }
    parse_numbers(&rest[first_digit..], &mut addr);
    addr
}

/// Reads the numeric tail (`12弄3支弄5号201室`, `12弄-3`, `12-3号`) into the address.
fn parse_numbers(tail: &str, addr: &mut Address) {
    // (digits, unit) tokens, at most 17 (the rest is ignored); unit "" means none.
    let mut tokens: [(&str, &'static str); 17] = [("", ""); 17];
    let mut n = 0;
    let mut rest = tail;
    while let Some(c) = rest.chars().next() {
        if !c.is_ascii_digit() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let run = rest.bytes().take_while(u8::is_ascii_digit).count();
        // At most 12 digits are kept (ASCII, so bytes are characters).
        let digits = &rest[..run.min(12)];
        rest = &rest[run..];
        let mut next = rest.chars();
        let (first, second) = (next.next(), next.next());
        let (unit, used): (&'static str, usize) = match (first, second) {
            (Some('支'), Some('弄')) => ("支弄", 2),
            (Some('号'), Some('楼')) => ("幢", 2),
            (Some('单'), Some('元')) => ("单元", 2),
            (Some('弄'), _) => ("弄", 1),
            (Some('号'), _) => ("号", 1),
            (Some('室'), _) => ("室", 1),
            (Some('幢' | '栋'), _) => ("幢", 1),
            (Some('楼' | '层'), _) => ("楼", 1),
            _ => ("", 0),
        };
        let skip: usize = [first, second]
            .iter()
            .take(used)
            .flatten()
            .map(|c| c.len_utf8())
            .sum();
        rest = &rest[skip..];
        tokens[n] = (strip_zeros(digits), unit);
        n += 1;
        if n == tokens.len() {
            break;
        }
    }
    let tokens = &tokens[..n];
    for k in 0..n {
        let (digits, unit) = tokens[k];
        let slot = match unit {
            "弄" => &mut addr.lane,
            "支弄" => &mut addr.branch_lane,
            "号" => &mut addr.number,
            "室" => &mut addr.room,
            "幢" => &mut addr.building,
            "楼" => &mut addr.floor,
            "单元" => continue,
            _ => {
                // No unit: infer from position.
                let next_is_number = tokens.get(k + 1).map(|t| t.1) == Some("号");
                if addr.lane.is_none() && addr.number.is_none() && (next_is_number || k + 1 < n) {
                    &mut addr.lane
                } else if addr.number.is_none() {
                    &mut addr.number
                } else {
                    &mut addr.room
                }
            }
        };
        if slot.is_none() {
            *slot = Some(digits.to_string());
        }
    }
}

/// The components that decide an address comparison, generic over how a component is stored (text here,
/// interned symbols in the index). `road` holds the whole normalised text when no road was recognised; `room`
/// folds building, floor and room together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AddressParts<T> {
    pub district: Option<T>,
    pub road: Option<T>,
    pub lane: Option<T>,
    pub branch_lane: Option<T>,
    pub number: Option<T>,
    pub room: Option<T>,
}

fn conflict<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x != y)
}

/// Compares address components (see [`compare_addresses`]). A missing road on either side gives `Missing`.
pub(crate) fn compare_parts<T: PartialEq>(
    a: &AddressParts<T>,
    b: &AddressParts<T>,
) -> AddressMatch {
    let (Some(road_a), Some(road_b)) = (&a.road, &b.road) else {
        return AddressMatch::Missing;
    };
    if road_a != road_b || conflict(&a.district, &b.district) {
        return AddressMatch::Different;
    }
    if a.lane != b.lane {
        return AddressMatch::SameRoad;
    }
    if a.number != b.number || conflict(&a.branch_lane, &b.branch_lane) {
        return if a.lane.is_some() {
            AddressMatch::SameLane
        } else {
            AddressMatch::SameRoad
        };
    }
    if a.number.is_none() && a.lane.is_none() {
        return if a.room == b.room {
            AddressMatch::Exact
        } else {
            AddressMatch::SameRoad
        };
    }
    if a.room != b.room {
        return AddressMatch::SameBuilding;
    }
    AddressMatch::Exact
}

/// Compares two parsed addresses (地址比较).
pub fn compare_addresses(a: &Address, b: &Address) -> AddressMatch {
    if a.normalized.is_empty() || b.normalized.is_empty() {
        return AddressMatch::Missing;
    }
    compare_parts(&a.parts(), &b.parts())
}

impl Address {
    /// The deciding components (see [`AddressParts`]).
    pub(crate) fn parts(&self) -> AddressParts<String> {
        self.clone().into_parts()
    }

    /// The deciding components, consuming the address.
    pub(crate) fn into_parts(self) -> AddressParts<String> {
        let room = if self.building.is_some() || self.floor.is_some() || self.room.is_some() {
            let mut key = self.building.unwrap_or_default();
            key.push('|');
            key.push_str(self.floor.as_deref().unwrap_or(""));
            key.push('|');
            key.push_str(self.room.as_deref().unwrap_or(""));
            Some(key)
        } else {
            None
        };
        let road = match self.road {
            Some(r) => Some(r),
            None => (!self.normalized.is_empty()).then_some(self.normalized),
        };
        AddressParts {
            district: self.district,
            road,
            lane: self.lane,
            branch_lane: self.branch_lane,
            number: self.number,
            room,
        }
    }

    /// The road + lane key (`乔家路|12`) used for blocking, if the road is known.
    pub fn road_lane_key(&self) -> Option<String> {
        let road = self.road.as_ref()?;
        Some(format!("{road}|{}", self.lane.as_deref().unwrap_or("")))
    }

    /// A short rendering of the building-level components (`乔家路12弄3号`), used in evidence.
    pub fn short(&self) -> String {
        let mut s = String::new();
        if let Some(r) = &self.road {
            s.push_str(r);
        }
        if let Some(l) = &self.lane {
            s.push_str(l);
            s.push('弄');
        }
        if let Some(l) = &self.branch_lane {
            s.push_str(l);
            s.push_str("支弄");
        }
        if let Some(n) = &self.number {
            s.push_str(n);
            s.push('号');
        }
        if let Some(r) = &self.room {
            s.push_str(r);
            s.push('室');
        }
        if s.is_empty() {
            s = self.normalized.clone();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(parse_chinese_number("十二"), Some(12));
        assert_eq!(parse_chinese_number("一百零三"), Some(103));
        assert_eq!(parse_chinese_number("二十一"), Some(21));
        assert_eq!(parse_chinese_number("十"), Some(10));
        assert_eq!(parse_chinese_number("二〇三"), Some(203));
        assert_eq!(parse_chinese_number("两千零五"), Some(2005));
        assert_eq!(parse_chinese_number("路"), None);
        assert_eq!(parse_chinese_number(""), None);
    }

    #[test]
    fn full_address() {
        let a = parse_address("上海市黄浦区老西门街道乔家路十二弄三号201室");
        assert_eq!(a.city.as_deref(), Some("上海市"));
        assert_eq!(a.district.as_deref(), Some("黄浦区"));
        assert_eq!(a.subdistrict.as_deref(), Some("老西门街道"));
        assert_eq!(a.road.as_deref(), Some("乔家路"));
        assert_eq!(a.lane.as_deref(), Some("12"));
        assert_eq!(a.number.as_deref(), Some("3"));
        assert_eq!(a.room.as_deref(), Some("201"));
    }

    #[test]
    fn equal_forms() {
        let a = parse_address("乔家路12弄3号");
        let b = parse_address("上海市黄浦区乔家路十二弄三号");
        let c = parse_address("乔家路12弄-3");
        let d = parse_address("乔家路１２弄３号");
        let e = parse_address("喬家路12弄3號");
        for x in [&b, &c, &d, &e] {
            assert_eq!(compare_addresses(&a, x), AddressMatch::Exact, "{x:?}");
        }
        let f = parse_address("乔家路12-3号");
        assert_eq!(f.lane.as_deref(), Some("12"));
        assert_eq!(f.number.as_deref(), Some("3"));
    }

    #[test]
    fn levels() {
        let a = parse_address("乔家路12弄3号201室");
        assert_eq!(
            compare_addresses(&a, &parse_address("乔家路12弄3号")),
            AddressMatch::SameBuilding
        );
        assert_eq!(
            compare_addresses(&a, &parse_address("乔家路12弄5号")),
            AddressMatch::SameLane
        );
        assert_eq!(
            compare_addresses(&a, &parse_address("乔家路30弄5号")),
            AddressMatch::SameRoad
        );
        assert_eq!(
            compare_addresses(&a, &parse_address("复兴东路30弄5号")),
            AddressMatch::Different
        );
        assert_eq!(
            compare_addresses(&a, &parse_address("")),
            AddressMatch::Missing
        );
        assert_eq!(
            compare_addresses(
                &parse_address("卢湾区顺昌路5号"),
                &parse_address("黄浦区顺昌路5号")
            ),
            AddressMatch::Exact
        );
        assert_eq!(
            compare_addresses(
                &parse_address("徐汇区顺昌路5号"),
                &parse_address("黄浦区顺昌路5号")
            ),
            AddressMatch::Different
        );
    }

    #[test]
    fn road_names_keep_numerals() {
        let a = parse_address("中山东一路18号");
        assert_eq!(a.road.as_deref(), Some("中山东一路"));
        assert_eq!(a.number.as_deref(), Some("18"));
        let b = parse_address("艾家弄25号");
        assert_eq!(b.road.as_deref(), Some("艾家弄"));
        assert_eq!(b.number.as_deref(), Some("25"));
        let c = parse_address("四川北路一百零三弄二支弄五号");
        assert_eq!(c.road.as_deref(), Some("四川北路"));
        assert_eq!(c.lane.as_deref(), Some("103"));
        assert_eq!(c.branch_lane.as_deref(), Some("2"));
        assert_eq!(c.number.as_deref(), Some("5"));
    }

    #[test]
    fn numbers_and_long_subdistricts() {
        // A subdistrict name as long as the scan allows: 街道 at the 12th and 13th characters.
        let a = parse_address("老西门外东南西北角落甲街道乔家路12弄3号");
        assert_eq!(a.subdistrict.as_deref(), Some("老西门外东南西北角落甲街道"));
        assert_eq!(a.road.as_deref(), Some("乔家路"));
        let a = parse_address("乔家路012弄3支弄05号201室");
        let parts = (a.lane, a.branch_lane, a.number, a.room);
        assert_eq!(
            parts,
            (
                Some("12".into()),
                Some("3".into()),
                Some("5".into()),
                Some("201".into())
            )
        );
        let a = parse_address("新川路5号楼3单元201室");
        assert_eq!(
            (a.building.as_deref(), a.room.as_deref()),
            (Some("5"), Some("201"))
        );
        let a = parse_address("乔家路12-3-201");
        let parts = (a.lane, a.number, a.room);
        assert_eq!(
            parts,
            (Some("12".into()), Some("3".into()), Some("201".into()))
        );
        assert_eq!(parse_address("乔家路000号").number.as_deref(), Some("0"));
        // Runs of digits are cut to 12; more than 17 numbers, the rest is ignored.
        let long = parse_address("乔家路1234567890123456弄");
        assert_eq!(long.lane.as_deref(), Some("123456789012"));
        let many = format!("乔家路{}", "1-".repeat(40));
        assert_eq!(parse_address(&many).lane.as_deref(), Some("1"));
    }

    #[test]
    fn towns() {
        let a = parse_address("浦东新区川沙镇新川路3号");
        assert_eq!(a.district.as_deref(), Some("浦东新区"));
        assert_eq!(a.subdistrict.as_deref(), Some("川沙镇"));
        assert_eq!(a.road.as_deref(), Some("新川路"));
        let b = parse_address("镇宁路5号");
        assert_eq!(b.road.as_deref(), Some("镇宁路"));
    }
}
