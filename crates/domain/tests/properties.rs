//! Property tests: parsers never panic, and valid values round-trip.

use chrono::{Datelike, Duration, NaiveDate};
use proptest::prelude::*;
use xunren_domain::{
    ContactStatus, Gender, HolderRole, HousingType, IdKind, IdNumber, Phone, PhoneKind, mask_id,
    mask_name, mask_phone, parse_date, parse_phone_list,
};

/// Independent ISO 7064 MOD 11-2: weight of position i is 2^(17-i) mod 11.
fn reference_check(body17: &str) -> char {
    let sum: u64 = body17
        .chars()
        .enumerate()
        .map(|(i, c)| u64::from(c.to_digit(10).unwrap()) * ((1u64 << (17 - i)) % 11))
        .sum();
    match (12 - (sum % 11)) % 11 {
        10 => 'X',
        r => char::from_digit(r as u32, 10).unwrap(),
    }
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            ' ' => '\u{3000}',
            c => c,
        })
        .collect()
}

fn chinese_digits(n: u32) -> String {
    const D: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    n.to_string()
        .chars()
        .map(|c| D[c.to_digit(10).unwrap() as usize])
        .collect()
}

fn chinese_small(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match (n / 10, n % 10) {
        (0, u) => D[u as usize].to_string(),
        (1, u) => format!("十{}", D[u as usize]),
        (t, u) => format!("{}十{}", D[t as usize], D[u as usize]),
    }
}

fn any_date(min: NaiveDate, max: NaiveDate) -> impl Strategy<Value = NaiveDate> {
    (0..=(max - min).num_days()).prop_map(move |d| min + Duration::days(d))
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Characters clerks' cells are made of, plus troublemakers.
fn messy_text() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        '0', '1', '2', '3', '5', '8', '9', '０', '３', '９', 'x', 'X', 'Ｘ', '*', '＊', '+', '(',
        ')', '（', '-', '－', ' ', '\u{3000}', '\t', '\n', '、', ';', '；', ',', '，', '/', '.',
        ':', 'T', '年', '月', '日', '号', '十', '一', '九', '〇', '廿', '男', '女', '😀', '\u{0}',
        '\u{200d}', 'é', 'ß',
    ]);
    prop::collection::vec(chars, 0..40).prop_map(|v| v.into_iter().collect())
}

fn exercise(text: &str) {
    let _ = IdNumber::parse(text).map(|id| {
        assert_eq!(id.canonical().len(), 18);
        let _ = (
            id.birth_date(),
            id.gender(),
            id.region_code(),
            id.check_digit_ok(),
        );
        let _ = id.cross_check(Some(ymd(1950, 1, 1)), Some(Gender::Male));
        assert!(id.visible_positions_agree(&id).is_some());
    });
    let _ = Phone::parse(text).map(|p| p.last4().map(str::len));
    let _ = parse_phone_list(text);
    let _ = parse_date(text);
    let _ = Gender::parse(text);
    let _ = HolderRole::parse(text);
    let _ = HousingType::parse(text);
    let _ = ContactStatus::parse(text);
    let n = text.chars().count();
    assert_eq!(mask_id(text).chars().count(), n);
    assert_eq!(mask_name(text).chars().count(), n);
    assert_eq!(mask_phone(text).chars().count(), n);
}

prop_compose! {
    /// A valid 18-character ID: region, birth date, sequence and the computed check digit.
    fn full_id()(
        region in "[1-8][0-9]{5}",
        birth in any_date(ymd(1880, 1, 1), ymd(2100, 12, 31)),
        seq in "[0-9]{3}",
    ) -> (String, NaiveDate) {
        let body = format!("{region}{}{seq}", birth.format("%Y%m%d"));
        let check = reference_check(&body);
        (format!("{body}{check}"), birth)
    }
}

proptest! {
    #[test]
    fn parsers_never_panic_on_printable(text in "\\PC*") {
        exercise(&text);
    }

    #[test]
    fn parsers_never_panic_on_any_string(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn parsers_never_panic_on_messy_cells(text in messy_text()) {
        exercise(&text);
    }

    #[test]
    fn full_ids_round_trip((text, birth) in full_id()) {
        let id = IdNumber::parse(&text).unwrap();
        prop_assert_eq!(id.kind(), IdKind::Full);
        prop_assert_eq!(id.canonical(), text.clone());
        prop_assert_eq!(id.check_digit_ok(), Some(true));
        prop_assert_eq!(id.birth_date(), Some(birth));
        prop_assert_eq!(id.birth_year(), Some(birth.year()));
        let seventeenth = text.chars().nth(16).unwrap().to_digit(10).unwrap();
        let gender = if seventeenth % 2 == 1 { Gender::Male } else { Gender::Female };
        prop_assert_eq!(id.gender(), Some(gender));
        prop_assert_eq!(id.region_code(), text.get(0..6));
        prop_assert!(id.cross_check(Some(birth), Some(gender)).is_empty());
        let again = IdNumber::parse(&id.canonical()).unwrap();
        prop_assert_eq!(again.kind(), IdKind::Full);
        prop_assert_eq!(&again, &id);
        let wide = IdNumber::parse(&full_width(&text.to_lowercase())).unwrap();
        prop_assert_eq!(wide.canonical(), text);
    }

    #[test]
    fn wrong_check_digit_still_parses((text, _) in full_id(), replacement in "[0-9X]") {
        let body = &text[..17];
        prop_assume!(!text.ends_with(replacement.as_str()));
        let id = IdNumber::parse(&format!("{body}{replacement}")).unwrap();
        prop_assert_eq!(id.kind(), IdKind::Full);
        prop_assert_eq!(id.check_digit_ok(), Some(false));
        prop_assert_eq!(id.cross_check(None, None).len(), 1);
    }

    #[test]
    fn legacy_ids_upgrade(
        region in "[1-8][0-9]{5}",
        birth in any_date(ymd(1900, 1, 1), ymd(1999, 12, 31)),
        seq in "[0-9]{3}",
    ) {
        let legacy = format!("{region}{}{seq}", birth.format("%y%m%d"));
        let body = format!("{region}{}{seq}", birth.format("%Y%m%d"));
        let id = IdNumber::parse(&legacy).unwrap();
        prop_assert_eq!(id.kind(), IdKind::Legacy15);
        prop_assert_eq!(id.as_given(), legacy.as_str());
        prop_assert_eq!(id.canonical(), format!("{body}{}", reference_check(&body)));
        prop_assert_eq!(id.check_digit_ok(), Some(true));
        prop_assert_eq!(id.birth_date(), Some(birth));
        prop_assert_eq!(IdNumber::parse(&id.canonical()).unwrap().kind(), IdKind::Full);
    }

    #[test]
    fn masked_ids_agree_with_their_source((text, birth) in full_id(), hidden in prop::collection::vec(any::<bool>(), 18)) {
        prop_assume!(hidden.iter().any(|h| *h) && !hidden.iter().all(|h| *h));
        let masked: String = text
            .chars()
            .zip(&hidden)
            .map(|(c, h)| if *h { '*' } else { c })
            .collect();
        let id = IdNumber::parse(&masked).unwrap();
        let full = IdNumber::parse(&text).unwrap();
        prop_assert_eq!(id.kind(), IdKind::Masked);
        prop_assert_eq!(id.canonical(), masked);
        let visible = hidden.iter().filter(|h| !**h).count();
        prop_assert_eq!(id.visible_positions_agree(&full), Some((visible, visible)));
        prop_assert_eq!(full.visible_positions_agree(&id), Some((visible, visible)));
        let date_visible = hidden[6..14].iter().all(|h| !*h);
        prop_assert_eq!(id.birth_date(), date_visible.then_some(birth));
        prop_assert_eq!(id.check_digit_ok(), None);
    }

    #[test]
    fn masked_id_of_a_valid_id_parses((text, _) in full_id()) {
        let masked = mask_id(&text);
        let id = IdNumber::parse(&masked).unwrap();
        prop_assert_eq!(id.kind(), IdKind::Masked);
        prop_assert_eq!(id.visible_positions_agree(&IdNumber::parse(&text).unwrap()), Some((10, 10)));
    }

    #[test]
    fn dates_round_trip_in_all_formats(date in any_date(ymd(1880, 1, 1), ymd(2100, 12, 31))) {
        let (y, m, d) = (date.year() as u32, date.month(), date.day());
        let mut texts: Vec<String> = [
            "%Y-%m-%d", "%Y-%-m-%-d", "%Y/%-m/%-d", "%Y/%m/%d", "%Y.%-m.%-d", "%Y年%-m月%-d日",
            "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%-m/%-d %-H:%M", "%Y-%m-%dT%H:%M:%S",
        ]
        .iter()
        .map(|f| date.and_hms_opt(0, 0, 0).unwrap().format(f).to_string())
        .collect();
        texts.push(format!("{}年{}月{}日", chinese_digits(y), chinese_small(m), chinese_small(d)));
        let wide: Vec<String> = texts.iter().map(|t| full_width(t)).collect();
        texts.extend(wide);
        for text in texts {
            prop_assert_eq!(parse_date(&text), Ok(date), "{}", text);
        }
    }

    #[test]
    fn mobiles_round_trip(number in "1[3-9][0-9]{9}", style in 0usize..6) {
        let (a, b, c) = (&number[..3], &number[3..7], &number[7..]);
        let text = match style {
            0 => number.clone(),
            1 => format!("+86 {a} {b} {c}"),
            2 => format!("{a}-{b}-{c}"),
            3 => full_width(&number),
            4 => format!("0086{number}"),
            _ => format!("86 {number}"),
        };
        let phone = Phone::parse(&text).unwrap();
        prop_assert_eq!(phone.kind(), PhoneKind::Mobile);
        prop_assert_eq!(phone.canonical(), number.as_str());
        prop_assert_eq!(phone.last4(), Some(c));
        prop_assert_eq!(Phone::parse(phone.canonical()).unwrap(), phone.clone());
        let masked = mask_phone(&text);
        prop_assert_eq!(masked.chars().count(), text.chars().count());
        let masked_phone = Phone::parse(&masked).unwrap();
        prop_assert_eq!(masked_phone.kind(), PhoneKind::MaskedMobile);
        prop_assert_eq!(masked_phone.canonical(), format!("{a}****{c}"));
    }

    #[test]
    fn landlines_round_trip(number in "[2-9][0-9]{7}", style in 0usize..5) {
        let (a, b) = (&number[..4], &number[4..]);
        let text = match style {
            0 => number.clone(),
            1 => format!("021-{number}"),
            2 => format!("(021){a}-{b}"),
            3 => format!("021 {a} {b}"),
            _ => format!("+86 21 {a} {b}"),
        };
        let phone = Phone::parse(&text).unwrap();
        prop_assert_eq!(phone.kind(), PhoneKind::Landline);
        prop_assert_eq!(phone.canonical(), number.as_str());
        prop_assert!(mask_phone(&text).ends_with("****"));
    }

    #[test]
    fn phone_lists_split_and_deduplicate(
        numbers in prop::collection::vec(prop_oneof!["1[3-9][0-9]{9}", "[2-9][0-9]{7}"], 0..6),
        separators in prop::collection::vec(prop::sample::select(vec!["、", ";", "；", ",", "，", "/", " ", "  ", " / "]), 6),
        spaced in any::<bool>(),
    ) {
        let mut text = String::new();
        for (i, n) in numbers.iter().enumerate() {
            if i > 0 {
                text.push_str(separators[i % separators.len()]);
            }
            if spaced && n.len() == 8 {
                text.push_str(&format!("021 {} {}", &n[..4], &n[4..]));
            } else {
                text.push_str(n);
            }
        }
        let mut expected: Vec<&str> = Vec::new();
        for n in &numbers {
            if !expected.contains(&n.as_str()) {
                expected.push(n);
            }
        }
        let parsed = parse_phone_list(&text).unwrap();
        let canon: Vec<&str> = parsed.iter().map(Phone::canonical).collect();
        prop_assert_eq!(canon, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn parsers_never_panic_on_long_strings(seed in messy_text(), printable in "\\PC{1,8}") {
        for unit in [seed, printable] {
            if unit.is_empty() {
                continue;
            }
            let text = unit.repeat(1_000_000 / unit.len() + 1);
            exercise(&text);
        }
    }
}
