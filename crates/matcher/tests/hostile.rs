//! Property tests with hostile input (empty, very long, emoji, mixed scripts, control characters): every parser
//! and comparison returns a value or an error, never panics, and scores stay in [0, 1].

use proptest::prelude::*;
use xunren_match::address::{compare_addresses, parse_address, parse_chinese_number};
use xunren_match::compare::{FieldKind, compare, parse_date_parts, prepare};
use xunren_match::ids::{canonical_id, canonical_phone, compare_id_numbers, compare_phones};
use xunren_match::index::{Index, Record};
use xunren_match::link::LinkSpec;
use xunren_match::normalize::{
    char_relation, normalize_name, normalize_text, pinyin_key, readings,
};

const KINDS: [FieldKind; 8] = [
    FieldKind::Exact,
    FieldKind::String,
    FieldKind::Name,
    FieldKind::Date,
    FieldKind::Numeric,
    FieldKind::Address,
    FieldKind::IdNumber,
    FieldKind::Phone,
];

/// Hostile strings: arbitrary Unicode, Chinese address-like text with numerals and separators, digits and masks,
/// emoji and control characters, and very long repetitions.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[上海市黄浦区乔家路弄号室支幢楼层十百千零一二三四五六七八九两〇0-9０-９\\-—#之 ]{0,40}",
        "[0-9Xx*＊ +\\-]{0,25}",
        "[\\u{0}-\\u{1f}\\u{7f}\\u{200b}\\u{feff}😀👨‍👩‍👧🇨🇳a-zA-Zа-яΩ王明陳韋]{0,30}",
        (".{1,5}", 1usize..2000).prop_map(|(s, n)| s.repeat(n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn normalisers_never_panic(s in hostile()) {
        let _ = normalize_text(&s);
        let _ = normalize_name(&s);
        let _ = pinyin_key(&s);
        for c in s.chars().take(50) {
            let _ = readings(c);
            let _ = char_relation(c, '明');
        }
        let _ = parse_chinese_number(&s);
        let _ = parse_date_parts(&s);
    }

    /// Dates in words and digits, lunar words, separators: what the date reader looks for, in any order.
    #[test]
    fn dates_in_words_never_panic(s in "[〇○零一二三四五六七八九十百千廿卅初正腊冬年月日号农历闰0-9/. -]{0,40}") {
        if let Some([y, m, d]) = parse_date_parts(&s) {
            prop_assert!(y <= 99_999 && m <= 99 && d <= 99, "{s:?} gave {y}-{m}-{d}");
        }
    }

    /// Digits, separators and masks: what ID and phone readers look for.
    #[test]
    fn ids_and_phones_in_digits_never_panic(a in "[0-9０-９xX*+()（）— -]{0,30}", b in "[0-9*+ -]{0,20}") {
        let _ = canonical_id(&a);
        let _ = canonical_phone(&a);
        let _ = compare_id_numbers(&a, &b);
        let _ = compare_phones(&a, &b);
    }

    #[test]
    fn addresses_never_panic(a in hostile(), b in hostile()) {
        let pa = parse_address(&a);
        let pb = parse_address(&b);
        let _ = compare_addresses(&pa, &pb);
        let _ = pa.short();
        let _ = pa.road_lane_key();
    }

    #[test]
    fn comparisons_never_panic(a in hostile(), b in hostile()) {
        for kind in KINDS {
            let c = compare(kind, &prepare(kind, &a), &prepare(kind, &b));
            prop_assert!(
                c.level == xunren_match::compare::ComparisonLevel::Missing || kind.levels().contains(&c.level),
                "{kind:?} gave {:?}", c.level
            );
        }
        let _ = compare_id_numbers(&a, &b);
        let _ = compare_phones(&a, &b);
    }

    #[test]
    fn index_never_panics(names in proptest::collection::vec(hostile(), 1..6), q in hostile()) {
        let records: Vec<Record> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Record {
                id: format!("r{i}"),
                name: n.clone(),
                former_names: vec![q.clone()],
                id_number: Some(n.clone()),
                birth_date: Some(n.clone()),
                phones: vec![n.clone(), q.clone()],
                address: Some(n.clone()),
                former_address: Some(q.clone()),
                registered_address: None,
            })
            .collect();
        let index = Index::build(&records).expect("build");
        let query = Record {
            id: "q".into(),
            name: q.clone(),
            id_number: Some(q.clone()),
            birth_date: Some(q.clone()),
            phones: vec![q.clone()],
            registered_address: Some(q.clone()),
            ..Record::default()
        };
        for c in index.candidates(&query, 5) {
            prop_assert!((0.0..=1.0).contains(&c.score));
        }
        let _ = index.relatives(&query, 5);
    }

    #[test]
    fn saved_index_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), flip in any::<usize>()) {
        let _ = Index::read_from(&mut bytes.as_slice());
        // A valid file with one byte altered.
        let records = vec![Record { id: "r".into(), name: "王明".into(), address: Some("乔家路12弄3号".into()), ..Record::default() }];
        let mut buf = Vec::new();
        Index::build(&records).expect("build").write_to(&mut buf).expect("write");
        let i = flip % buf.len();
        buf[i] ^= 0x5a;
        if let Ok(index) = Index::read_from(&mut buf.as_slice()) {
            let _ = index.candidates(&records[0], 3);
            let _ = index.relatives(&records[0], 3);
        }
    }

    #[test]
    fn spec_parser_returns_errors(s in hostile()) {
        let _ = LinkSpec::from_toml(&s);
    }
}

#[test]
fn identical_hostile_records_score_in_range() {
    let weird = "\u{0}\u{1b}[31m😀王\u{200b}明\u{feff}";
    let r = Record {
        id: "x".into(),
        name: weird.into(),
        address: Some(weird.into()),
        ..Record::default()
    };
    let index = Index::build(std::slice::from_ref(&r)).expect("build");
    for c in index.candidates(&r, 3) {
        assert!((0.0..=1.0).contains(&c.score));
    }
}
