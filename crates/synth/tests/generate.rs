use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use xunren_synth::{
    GenConfig, GenError, NoiseLevel, REFERENCE_HEADER, ROSTER_HEADER, STAFF_HEADER, TRUTH_HEADER,
    VOTES_HEADER, generate,
};

fn read(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// ISO 7064 MOD 11-2, written independently of the crate.
fn valid_id18(id: &str) -> bool {
    let b: Vec<char> = id.chars().collect();
    if b.len() != 18 || !b[..17].iter().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let mut sum = 0u32;
    for (i, c) in b[..17].iter().enumerate() {
        let w = (1u32 << (17 - i)) % 11;
        sum += c.to_digit(10).unwrap() * w;
    }
    let check = (12 - sum % 11) % 11;
    let expected = if check == 10 {
        'X'
    } else {
        char::from_digit(check, 10).unwrap()
    };
    b[17] == expected
}

/// Parses the clerk formats of birth dates into (y, m, d).
fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let digits: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap())
        .collect();
    match digits.as_slice() {
        [y, m, d] => Some((*y, *m, *d)),
        [x] if s.len() == 8 => Some((x / 10000, (x / 100) % 100, x % 100)),
        _ => None,
    }
}

fn small(seed: u64) -> GenConfig {
    GenConfig {
        seed,
        certificates: 300,
        reference_records: 3000,
        staff: 20,
        ..GenConfig::default()
    }
}

fn file_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    generate(&GenConfig::default(), a.path()).unwrap();
    generate(&GenConfig::default(), b.path()).unwrap();
    generate(
        &GenConfig {
            seed: 7,
            ..GenConfig::default()
        },
        c.path(),
    )
    .unwrap();
    let (fa, fb, fc) = (
        file_bytes(a.path()),
        file_bytes(b.path()),
        file_bytes(c.path()),
    );
    assert_eq!(fa.len(), 7, "{:?}", fa.keys());
    assert_eq!(fa, fb);
    assert_ne!(fa["roster.csv"], fc["roster.csv"]);
}

#[test]
fn roster_is_independent_of_reference_count() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    generate(&small(3), a.path()).unwrap();
    generate(
        &GenConfig {
            reference_records: 5000,
            ..small(3)
        },
        b.path(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(a.path().join("roster.csv")).unwrap(),
        std::fs::read(b.path().join("roster.csv")).unwrap()
    );
}

#[test]
fn headers_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(&small(1), dir.path()).unwrap();
    let expect = |file: &str, header: &[&str]| {
        let (h, _) = read(&dir.path().join(file));
        assert_eq!(h, header, "{file}");
        // No BOM, LF line ends.
        let bytes = std::fs::read(dir.path().join(file)).unwrap();
        assert!(bytes.starts_with(header[0].as_bytes()));
        assert!(!bytes.contains(&b'\r'));
    };
    expect("roster.csv", &ROSTER_HEADER);
    expect("truth.csv", &TRUTH_HEADER);
    expect("staff.csv", &STAFF_HEADER);
    expect("votes.csv", &VOTES_HEADER);
    for name in ["旧改档案", "居住登记", "电话登记"] {
        expect(&format!("reference_{name}.csv"), &REFERENCE_HEADER);
    }
    assert_eq!(s.references.len(), 3);
    assert_eq!(
        ROSTER_HEADER.join(","),
        "权证号,房屋坐落,房屋类型,征收所,街道,居委会,姓名,身份,身份证号,性别,出生日期,联系电话,户籍地址,联系状态"
    );
    assert_eq!(
        REFERENCE_HEADER.join(","),
        "来源,记录号,姓名,身份证号,性别,出生日期,联系电话,地址,原地址"
    );
    assert_eq!(TRUTH_HEADER.join(","), "权证号,姓名,来源,记录号,关系");
    assert_eq!(
        STAFF_HEADER.join(","),
        "姓名,角色,小组,街道,居委会,技能,容量"
    );
}

#[test]
fn default_roster_has_the_articles_shape() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&GenConfig::default(), dir.path()).unwrap();
    assert_eq!(summary.certificates, 2002);
    assert_eq!(summary.certificates_by_group, [1191, 772, 39]);
    let (_, rows) = read(&dir.path().join("roster.csv"));
    assert_eq!(rows.len(), summary.roster.rows);

    let mut certs: BTreeMap<String, Vec<&Vec<String>>> = BTreeMap::new();
    for r in &rows {
        certs.entry(r[0].clone()).or_default().push(r);
    }
    assert_eq!(certs.len(), 2002);
    let mut groups: BTreeMap<(String, String), usize> = BTreeMap::new();
    for members in certs.values() {
        let first = members[0];
        let key = if first[2] == "单位" {
            (first[3].clone(), "单位".to_string())
        } else {
            (first[3].clone(), first[4].clone())
        };
        *groups.entry(key).or_default() += 1;
        assert!((1..=4).contains(&members.len()));
        for m in members {
            assert_eq!(m[1], first[1], "same property address within a certificate");
            assert_eq!(m[2], first[2]);
        }
        match first[2].as_str() {
            "单位" => {
                assert_eq!(members.len(), 1);
                assert_eq!(first[7], "单位");
                assert_eq!(first[8], "");
                assert_eq!(first[3], "征收三所");
            }
            "公房" => assert_eq!(first[7], "承租人"),
            "私房" => assert_eq!(first[7], "产权人"),
            other => panic!("housing type {other}"),
        }
        for m in &members[1..] {
            assert_eq!(m[7], "同住人");
        }
        let mut names = BTreeSet::new();
        for m in members {
            assert!(names.insert(&m[6]), "duplicate person {} in {}", m[6], m[0]);
        }
    }
    assert_eq!(
        groups[&("征收一所".to_string(), "老西门街道".to_string())],
        1191
    );
    assert_eq!(
        groups[&("征收一所".to_string(), "小南门街道".to_string())],
        772
    );
    assert_eq!(groups[&("征收三所".to_string(), "单位".to_string())], 39);
    assert!(rows.iter().any(|r| r[5] == "艾家弄居委会"));

    let persons: Vec<_> = rows.iter().filter(|r| r[2] != "单位").collect();
    let lost = persons.iter().filter(|r| r[13] == "失联").count();
    assert!(persons.iter().all(|r| r[13] == "失联" || r[13] == "已联系"));
    let share = lost as f64 / persons.len() as f64;
    assert!((0.12..=0.18).contains(&share), "lost share {share}");
    assert_eq!(lost, summary.lost_persons);
    let public = certs.values().filter(|m| m[0][2] == "公房").count();
    let private = certs.values().filter(|m| m[0][2] == "私房").count();
    assert!(public > 0 && private > 0);
    // 人户分离: some registered addresses differ from the property address.
    let elsewhere = persons
        .iter()
        .filter(|r| !r[12].ends_with(r[1].as_str()))
        .count();
    assert!(elsewhere > persons.len() / 20);

    let (_, votes) = read(&dir.path().join("votes.csv"));
    assert_eq!(votes.len(), 2002);
    assert!(votes.iter().all(|v| v[1] == "1" && v[2] == "同意"));
}

#[test]
fn other_certificate_counts_keep_the_proportions() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(
        &GenConfig {
            certificates: 500,
            reference_records: 2000,
            ..GenConfig::default()
        },
        dir.path(),
    )
    .unwrap();
    assert_eq!(s.certificates_by_group, [297, 193, 10]);
    let s = generate(
        &GenConfig {
            certificates: 4004,
            reference_records: 2000,
            ..GenConfig::default()
        },
        dir.path(),
    )
    .unwrap();
    assert_eq!(s.certificates_by_group, [2382, 1544, 78]);
    let s = generate(
        &GenConfig {
            certificates: 0,
            reference_records: 10,
            staff: 0,
            ..GenConfig::default()
        },
        dir.path(),
    )
    .unwrap();
    assert_eq!(s.certificates, 0);
    assert_eq!(s.reference_records(), 10);
    assert_eq!(s.truth.rows, 0);
}

#[test]
fn roster_ids_are_valid_and_agree_with_birth_date_and_gender() {
    let dir = tempfile::tempdir().unwrap();
    generate(&GenConfig::default(), dir.path()).unwrap();
    let (_, rows) = read(&dir.path().join("roster.csv"));
    let (mut n18, mut n15, mut blank) = (0, 0, 0);
    for r in rows.iter().filter(|r| r[2] != "单位") {
        let id = &r[8];
        let (y, m, d) = parse_date(&r[10]).unwrap_or_else(|| panic!("date {}", r[10]));
        let male = r[9] == "男";
        assert!(r[9] == "男" || r[9] == "女");
        match id.len() {
            18 => {
                n18 += 1;
                assert!(valid_id18(id), "check digit of {id}");
                assert_eq!(&id[6..14], format!("{y:04}{m:02}{d:02}"));
                let seq: u32 = id[14..17].parse().unwrap();
                assert_eq!(seq % 2 == 1, male, "gender of {id}");
            }
            15 => {
                n15 += 1;
                assert!(id.chars().all(|c| c.is_ascii_digit()));
                assert_eq!(&id[6..12], format!("{:02}{m:02}{d:02}", y % 100));
                let seq: u32 = id[12..15].parse().unwrap();
                assert_eq!(seq % 2 == 1, male);
            }
            0 => blank += 1,
            _ => panic!("roster ID {id}"),
        }
        let phone = &r[11];
        for p in phone.split('、').filter(|p| !p.is_empty()) {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            let local = digits
                .strip_prefix("8621")
                .or(digits.strip_prefix("021"))
                .unwrap_or(&digits);
            let local = if local.len() == 13 && local.starts_with("86") {
                &local[2..]
            } else {
                local
            };
            assert!(local.len() == 11 || local.len() == 8, "phone {p}");
        }
    }
    assert!(n18 > 3000 && n15 > 50 && blank > 50, "{n18} {n15} {blank}");
    assert!(valid_id18("11010519491231002X"));
    assert!(!valid_id18("110105194912310021"));
}

#[test]
fn truth_rows_reference_existing_records_and_lost_persons() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&GenConfig::default(), dir.path()).unwrap();
    let mut records = BTreeMap::new();
    let mut total = 0;
    for (name, f) in &summary.references {
        let (_, rows) = read(&f.path);
        assert_eq!(rows.len(), f.rows);
        total += rows.len();
        for r in rows {
            assert_eq!(&r[0], name);
            assert!(
                records.insert((r[0].clone(), r[1].clone()), r).is_none(),
                "duplicate record id"
            );
        }
    }
    assert_eq!(total, 20_000);
    assert_eq!(summary.reference_records(), 20_000);

    let (_, roster) = read(&dir.path().join("roster.csv"));
    let lost: BTreeMap<(String, String), &Vec<String>> = roster
        .iter()
        .filter(|r| r[13] == "失联")
        .map(|r| ((r[0].clone(), r[6].clone()), r))
        .collect();
    let (_, truth) = read(&dir.path().join("truth.csv"));
    assert_eq!(truth.len(), summary.truth.rows);
    let mut own: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut relatives = 0;
    let mut same_name = 0;
    for t in &truth {
        let key = (t[0].clone(), t[1].clone());
        let person = lost
            .get(&key)
            .unwrap_or_else(|| panic!("truth for unknown lost person {key:?}"));
        let record = records
            .get(&(t[2].clone(), t[3].clone()))
            .unwrap_or_else(|| panic!("no record {t:?}"));
        match t[4].as_str() {
            "本人" => {
                *own.entry(key).or_default() += 1;
                if record[2] == person[6] {
                    same_name += 1;
                }
            }
            "亲属" => relatives += 1,
            other => panic!("relation {other}"),
        }
    }
    assert!(
        own.values().all(|n| (1..=2).contains(n)),
        "one or two own records per person"
    );
    assert_eq!(own.len(), summary.lost_with_true_record);
    let with_true = own.len() as f64 / lost.len() as f64;
    assert!(
        (0.85..=0.95).contains(&with_true),
        "share with a true record {with_true}"
    );
    assert!(relatives > lost.len() / 3);
    // Noise at the default level changes some names but not most.
    let own_total: usize = own.values().sum();
    let exact = same_name as f64 / own_total as f64;
    assert!(
        (0.6..0.97).contains(&exact),
        "exact names among own records {exact}"
    );
}

#[test]
fn without_noise_own_records_carry_the_roster_name() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &GenConfig {
            noise: NoiseLevel::None,
            ..small(5)
        },
        dir.path(),
    )
    .unwrap();
    let (_, truth) = read(&dir.path().join("truth.csv"));
    let mut records = BTreeMap::new();
    for name in ["旧改档案", "居住登记", "电话登记"] {
        for r in read(&dir.path().join(format!("reference_{name}.csv"))).1 {
            records.insert((r[0].clone(), r[1].clone()), r);
        }
    }
    let mut n = 0;
    for t in truth.iter().filter(|t| t[4] == "本人") {
        let r = &records[&(t[2].clone(), t[3].clone())];
        assert_eq!(r[2], t[1]);
        if r[3].len() == 18 && !r[3].contains('*') {
            assert!(valid_id18(&r[3]));
        }
        n += 1;
    }
    assert!(n > 20);
}

#[test]
fn few_reference_records_still_give_exact_counts_and_valid_truth() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(
        &GenConfig {
            reference_records: 50,
            ..small(9)
        },
        dir.path(),
    )
    .unwrap();
    assert_eq!(s.reference_records(), 50);
    let mut ids = BTreeSet::new();
    for (_, f) in &s.references {
        for r in read(&f.path).1 {
            ids.insert((r[0].clone(), r[1].clone()));
        }
    }
    for t in read(&dir.path().join("truth.csv")).1 {
        assert!(ids.contains(&(t[2].clone(), t[3].clone())));
    }
    let s = generate(
        &GenConfig {
            phone_source: false,
            votes: false,
            ..small(9)
        },
        dir.path(),
    )
    .unwrap();
    assert_eq!(s.references.len(), 2);
    assert_eq!(s.reference_records(), 3000);
    assert!(s.votes.is_none());
}

#[test]
fn staff_have_roles_teams_and_capacity() {
    let dir = tempfile::tempdir().unwrap();
    generate(&GenConfig::default(), dir.path()).unwrap();
    let (_, staff) = read(&dir.path().join("staff.csv"));
    assert_eq!(staff.len(), 60);
    let roles: BTreeSet<&str> = staff.iter().map(|r| r[1].as_str()).collect();
    for role in ["联络员", "居委干部", "征收所工作人员", "组长", "督导"] {
        assert!(roles.contains(role), "{role}");
    }
    let teams: BTreeSet<&str> = staff
        .iter()
        .filter(|r| r[1] == "组长")
        .map(|r| r[2].as_str())
        .collect();
    assert_eq!(teams.len(), 6);
    let names: BTreeSet<&str> = staff.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names.len(), 60);
    for r in &staff {
        let cap: u32 = r[6].parse().unwrap();
        assert!((5..=30).contains(&cap));
        assert!(!r[5].is_empty());
    }
    assert!(staff.iter().any(|r| r[3].contains('、')));
}

#[test]
fn noise_levels_change_the_records_not_the_roster() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let levels = [NoiseLevel::Low, NoiseLevel::High, NoiseLevel::Factor(1.0)];
    for (dir, noise) in dirs.iter().zip(levels) {
        generate(&GenConfig { noise, ..small(11) }, dir.path()).unwrap();
    }
    let roster = |i: usize| std::fs::read(dirs[i].path().join("roster.csv")).unwrap();
    let archive = |i: usize| std::fs::read(dirs[i].path().join("reference_旧改档案.csv")).unwrap();
    assert_eq!(roster(0), roster(1));
    assert_ne!(archive(0), archive(1));
    let moderate = tempfile::tempdir().unwrap();
    generate(&small(11), moderate.path()).unwrap();
    assert_eq!(
        archive(2),
        std::fs::read(moderate.path().join("reference_旧改档案.csv")).unwrap()
    );
    assert_eq!(xunren_synth::certificate_split(2002), [1191, 772, 39]);
}

#[test]
fn bad_settings_are_typed_bilingual_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = generate(
        &GenConfig {
            lost_share: 1.5,
            ..GenConfig::default()
        },
        dir.path(),
    )
    .unwrap_err();
    assert!(matches!(err, GenError::InvalidConfig(_)));
    let text = err.to_string();
    assert!(
        text.contains("生成参数无效") && text.contains("invalid generator setting"),
        "{text}"
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = generate(&GenConfig::default(), &file.join("sub")).unwrap_err();
    assert!(matches!(err, GenError::CreateDir { .. }), "{err}");
    assert_eq!(
        "moderate".parse::<NoiseLevel>().unwrap(),
        NoiseLevel::Moderate
    );
    assert_eq!("高".parse::<NoiseLevel>().unwrap(), NoiseLevel::High);
    assert_eq!(
        "0.3".parse::<NoiseLevel>().unwrap(),
        NoiseLevel::Factor(0.3)
    );
    assert!("loud".parse::<NoiseLevel>().is_err());
}
