//! One-record lookup benchmark: builds an index of N synthetic Shanghai person records (default 1,000,000) and
//! times `Index::candidates` for noisy queries derived from indexed records.
//!
//! `cargo run --release -p xunren-match --example lookup_bench -- [N] [QUERIES]`
//!
//! The generator here is deliberately simple (it only needs realistic key distributions); the product's
//! generator lives elsewhere.

use std::time::Instant;

use xunren_match::index::{Index, Record};
use xunren_match::normalize::readings;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平红玲桂兰凤珍梅琴云霞萍玉海林春文德荣宝根发福金龙生祥才新忠志成康永庆兴富贵家佳嘉欣怡雯婷雪琳晨浩宇轩鑫俊豪博斌辉鹏飞刚健毅峰东波亮铭鸣民敏岚蓉燕莉萍倩颖洁晶妍璐瑶琪琦诗梦婉露菲卫红立群爱珠娥菊秋冬兵亚利";
const ROADS: &[&str] = &[
    "乔家路",
    "复兴东路",
    "中华路",
    "人民路",
    "河南南路",
    "西藏南路",
    "方浜中路",
    "蓬莱路",
    "大境路",
    "尚文路",
    "文庙路",
    "学院路",
    "梦花街",
    "巡道街",
    "凝和路",
    "光启路",
    "望云路",
    "东门路",
    "会馆街",
    "篾竹路",
    "淮海中路",
    "南京东路",
    "四川北路",
    "四平路",
    "控江路",
    "长阳路",
    "杨树浦路",
    "平凉路",
    "周家嘴路",
    "武宁路",
    "曹杨路",
    "长寿路",
    "漕溪北路",
    "天钥桥路",
    "虹桥路",
    "延安西路",
    "番禺路",
    "定西路",
    "江苏路",
    "愚园路",
    "锦绣路",
    "张杨路",
    "浦东南路",
    "东方路",
    "世纪大道",
    "莘建路",
    "沪闵路",
    "共和新路",
    "场中路",
    "大华路",
];
const REGIONS: &[&str] = &[
    "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113",
    "310115",
];
const CN_DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

fn check_char(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    C[(sum % 11) as usize] as char
}

fn chinese_number(n: usize) -> String {
    if n < 10 {
        return CN_DIGITS[n].to_string();
    }
    if n < 20 {
        return format!(
            "十{}",
            if n.is_multiple_of(10) {
                String::new()
            } else {
                CN_DIGITS[n % 10].to_string()
            }
        );
    }
    if n < 100 {
        return format!(
            "{}十{}",
            CN_DIGITS[n / 10],
            if n.is_multiple_of(10) {
                String::new()
            } else {
                CN_DIGITS[n % 10].to_string()
            }
        );
    }
    n.to_string()
        .chars()
        .map(|c| CN_DIGITS[c.to_digit(10).unwrap_or(0) as usize])
        .collect()
}

struct Addr {
    road: &'static str,
    lane: usize,
    number: usize,
    room: usize,
}

impl Addr {
    fn plain(&self) -> String {
        format!(
            "{}{}弄{}号{}室",
            self.road, self.lane, self.number, self.room
        )
    }
    fn variant(&self, rng: &mut Rng) -> String {
        match rng.below(3) {
            0 => format!(
                "上海市黄浦区{}{}弄{}号",
                self.road,
                chinese_number(self.lane),
                chinese_number(self.number)
            ),
            1 => format!("{}{}弄-{}", self.road, self.lane, self.number),
            _ => format!("{}{}弄{}号", self.road, self.lane, self.number),
        }
    }
}

fn random_addr(rng: &mut Rng) -> Addr {
    Addr {
        road: ROADS[rng.below(ROADS.len())],
        lane: 1 + rng.below(600),
        number: 1 + rng.below(40),
        room: 100 * (1 + rng.below(6)) + 1 + rng.below(4),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let nq: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let given: Vec<char> = GIVEN.chars().collect();
    // Homophones among the given-name characters, for noise.
    let homophone = |c: char| -> Vec<char> {
        let r = readings(c);
        given
            .iter()
            .copied()
            .filter(|&g| {
                g != c
                    && readings(g)
                        .iter()
                        .any(|x| r.iter().any(|y| x.toned == y.toned))
            })
            .collect()
    };
    let traditional: &[(char, char)] = &[
        ('陈', '陳'),
        ('刘', '劉'),
        ('杨', '楊'),
        ('黄', '黃'),
        ('赵', '趙'),
        ('华', '華'),
        ('国', '國'),
        ('龙', '龍'),
        ('凤', '鳳'),
        ('兰', '蘭'),
        ('宝', '寶'),
        ('发', '發'),
        ('庆', '慶'),
        ('兴', '興'),
    ];
    let mut rng = Rng(42);
    let t0 = Instant::now();
    let mut records = Vec::with_capacity(n);
    // Persons beyond `n` are not indexed: queries about them have no true record.
    let absent = nq / 4;
    for i in 0..n + absent {
        let s = *rng.pick(&surnames);
        let mut name = s.to_string();
        for _ in 0..(1 + usize::from(rng.chance(0.7))) {
            name.push(*rng.pick(&given));
        }
        let (y, m, d) = (1930 + rng.below(70), 1 + rng.below(12), 1 + rng.below(28));
        let region = *rng.pick(REGIONS);
        let body = format!("{region}{y:04}{m:02}{d:02}{:03}", rng.below(1000));
        let id = format!("{body}{}", check_char(&body));
        let current = random_addr(&mut rng);
        let former = random_addr(&mut rng);
        let mut phones = Vec::new();
        if rng.chance(0.7) {
            phones.push(format!(
                "1{}{:09}",
                3 + rng.below(7),
                rng.below(1_000_000_000)
            ));
        }
        if rng.chance(0.2) {
            phones.push(format!("6{:07}", rng.below(10_000_000)));
        }
        records.push(Record {
            id: format!("R{i}"),
            name,
            id_number: rng.chance(0.8).then_some(id),
            birth_date: Some(format!("{y}-{m:02}-{d:02}")),
            phones,
            address: Some(current.plain()),
            former_address: rng.chance(0.5).then(|| former.plain()),
            registered_address: rng.chance(0.4).then(|| former.plain()),
            ..Record::default()
        });
    }
    eprintln!(
        "generated {n} records in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    // Queries: noisy copies of random records (homophone or traditional name, masked/legacy/blank ID,
    // address variant, swapped day/month…).
    let mut queries = Vec::with_capacity(nq + absent);
    for qn in 0..nq + absent {
        let k = if qn < nq { rng.below(n) } else { n + qn - nq };
        let r = &records[k];
        let mut name: Vec<char> = r.name.chars().collect();
        if rng.chance(0.3) && name.len() > 1 {
            let pos = 1 + rng.below(name.len() - 1);
            let h = homophone(name[pos]);
            if !h.is_empty() {
                name[pos] = *rng.pick(&h);
            }
        }
        if rng.chance(0.2) {
            for c in name.iter_mut() {
                if let Some(&(_, t)) = traditional.iter().find(|(s, _)| s == c) {
                    *c = t;
                }
            }
        }
        let id_number = match (&r.id_number, rng.below(4)) {
            (Some(id), 0) => Some(format!("{}********{}", &id[..6], &id[14..])),
            (Some(id), 1) => Some(format!("{}{}", &id[..6], &id[8..17])),
            (Some(_), 2) => None,
            (id, _) => id.clone(),
        };
        let mut birth = r.birth_date.clone();
        if rng.chance(0.1)
            && let Some(b) = &birth
        {
            let parts: Vec<&str> = b.split('-').collect();
            if parts.len() == 3 {
                birth = Some(format!("{}-{}-{}", parts[0], parts[2], parts[1]));
            }
        }
        let addr_source = r
            .former_address
            .clone()
            .or(r.address.clone())
            .unwrap_or_default();
        let parsed = xunren_match::address::parse_address(&addr_source);
        let registered = match (
            parsed.road.as_deref(),
            parsed.lane.as_deref(),
            parsed.number.as_deref(),
        ) {
            (Some(road), Some(lane), Some(number)) => {
                let a = Addr {
                    road: ROADS
                        .iter()
                        .copied()
                        .find(|x| *x == road)
                        .unwrap_or("乔家路"),
                    lane: lane.parse().unwrap_or(1),
                    number: number.parse().unwrap_or(1),
                    room: 0,
                };
                Some(a.variant(&mut rng))
            }
            _ => None,
        };
        queries.push((
            k,
            Record {
                id: format!("Q{k}"),
                name: name.into_iter().collect(),
                id_number,
                birth_date: if rng.chance(0.1) { None } else { birth },
                phones: if rng.chance(0.5) {
                    r.phones.clone()
                } else {
                    Vec::new()
                },
                registered_address: registered,
                ..Record::default()
            },
        ));
    }
    let t1 = Instant::now();
    let index = match Index::build(&records[..n]) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let build = t1.elapsed().as_secs_f64();
    let stats = index.stats();
    // Save and load: the index can be built once (at import) and loaded per run.
    let path = std::env::temp_dir().join(format!("xunren-lookup-bench-{}.idx", std::process::id()));
    let t2 = Instant::now();
    let saved = std::fs::File::create(&path)
        .map_err(|e| xunren_match::IndexError::Io(e.to_string()))
        .and_then(|f| index.write_to(&mut std::io::BufWriter::new(f)));
    let save = t2.elapsed().as_secs_f64();
    let t3 = Instant::now();
    let loaded = saved.and_then(|()| {
        std::fs::File::open(&path)
            .map_err(|e| xunren_match::IndexError::Io(e.to_string()))
            .and_then(|f| Index::read_from(&mut std::io::BufReader::new(f)))
    });
    let load = t3.elapsed().as_secs_f64();
    let file_mb = std::fs::metadata(&path)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0);
    let _ = std::fs::remove_file(&path);
    let mut index = match loaded {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            index
        }
    };
    if std::env::var_os("XUNREN_BENCH_EM").is_some() {
        // Unsupervised m and λ from the queries themselves (no labels).
        let batch: Vec<Record> = queries.iter().map(|(_, q)| q.clone()).collect();
        let t = Instant::now();
        let report = index.fit_em(&batch, 50);
        println!(
            "EM on the queries: {report:?} in {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    println!(
        "saved index {file_mb:.0} MB in {save:.2} s, loaded in {load:.2} s (queries below use the loaded index)"
    );
    drop(records);
    let mut times = Vec::with_capacity(nq);
    let mut top1 = 0usize;
    let mut top5 = 0usize;
    let mut confident = 0usize;
    let mut confident_right = 0usize;
    let show = std::env::var_os("XUNREN_BENCH_SHOW").is_some();
    let mut absent_confident = 0usize;
    for (k, q) in &queries {
        let t = Instant::now();
        let c = index.candidates(q, 5);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if *k >= n {
            if c.iter().any(|c| c.score >= 0.9) {
                absent_confident += 1;
            }
            continue;
        }
        let want = format!("R{k}");
        if c.first().map(|c| c.record_id.as_str()) == Some(want.as_str()) {
            top1 += 1;
        } else if show {
            println!(
                "top-1 miss for {q:?}: got {:?}",
                c.first()
                    .map(|c| (&c.record_id, c.score, c.evidence.zh_summary()))
            );
        }
        if c.iter().any(|c| c.record_id == want) {
            top5 += 1;
        }
        for cand in c.iter().filter(|c| c.score >= 0.9) {
            confident += 1;
            if cand.record_id == want {
                confident_right += 1;
            } else if show {
                println!(
                    "wrong confident {:.3} for {q:?}: {} {}",
                    cand.score,
                    cand.record_id,
                    cand.evidence.zh_summary()
                );
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0);
    println!(
        "records {n}, build {build:.2} s, keys {}, postings {}, index ~{:.0} MB, peak RSS {peak:.0} MB (incl. generated records)",
        stats.keys,
        stats.postings,
        stats.approx_bytes as f64 / 1e6
    );
    println!(
        "queries {}: median {:.3} ms, p95 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        queries.len(),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        times.last().copied().unwrap_or(0.0)
    );
    println!(
        "top-1 {:.4}, recall@5 {:.4}, precision of candidates >= 0.9: {:.4} ({confident}); persons without a true record given a candidate >= 0.9: {absent_confident} of {absent}",
        top1 as f64 / nq as f64,
        top5 as f64 / nq as f64,
        confident_right as f64 / confident.max(1) as f64
    );
}
