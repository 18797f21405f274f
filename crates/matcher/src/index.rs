//! The one-record lookup index (索引与单条查询): blocking keys built once into compact inverted indexes, so that
//! matching one person never scans all records.
//!
//! [`Index::build`] prepares every [`Record`] once: normalised names, canonical ID numbers and phones, birth dates
//! packed in a `u32`, addresses parsed into interned components; it derives blocking keys (分块键) — toneless pinyin
//! of the name and of former names, an accent-folded pinyin, given name + birth year, birth date, full ID, ID birth
//! part + last 4, ID region + last 4, phone, phone last 4 + surname, building (road+lane+number), road+lane+surname —
//! hashes them to `u64` and stores them as sorted keys with posting lists of `u32` record numbers.
//!
//! [`Index::candidates`] looks the query's keys up, pre-ranks the records hit by how specific the shared keys are
//! (rarer keys weigh more), scores the best few with the Fellegi–Sunter [`Model`] and returns the top `k`
//! [`Candidate`]s with their [`Evidence`]. [`Index::relatives`] returns, separately, likely relatives and former
//! neighbours (亲属/旧邻): records sharing the old address or the landline.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::address::{AddressMatch, AddressParts, compare_parts, parse_address};
use crate::compare::{
    ComparisonLevel, FieldComparison, FieldKind, MAX_FIELD_CHARS, PreparedValue,
    compare_date_parts, compare_names, parse_date_parts,
};
use crate::error::IndexError;
use crate::ids::{canonical_id, canonical_phone, compare_canonical_ids, compare_phones};
use crate::link::SplitMix;
use crate::model::{Evidence, FieldModel, Model};
use crate::normalize::{fold_accent, is_cjk, normalize_name, pinyin_key, shanghai_partners};

/// A person record (人员记录) as fed by the registry: from a reference source (居住登记, 旧改档案 …) or, as a query,
/// a lost person (失联人员) of the roster. Values are as given; all are optional except the id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Identifier of the record in its source.
    pub id: String,
    /// Name 姓名.
    pub name: String,
    /// Former names 曾用名.
    #[serde(default)]
    pub former_names: Vec<String>,
    /// Resident ID number 身份证号 (18-digit, 15-digit legacy or masked).
    #[serde(default)]
    pub id_number: Option<String>,
    /// Birth date 出生日期 (`1950-01-01`, `19500101`, `1950年1月1日`, `1950`).
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Phones 电话.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Current or relocation address 地址 (安置地址 in redevelopment archives).
    #[serde(default)]
    pub address: Option<String>,
    /// Former address 原地址 (the demolished address in redevelopment archives).
    #[serde(default)]
    pub former_address: Option<String>,
    /// Registered (hukou) address 户籍地址.
    #[serde(default)]
    pub registered_address: Option<String>,
}

/// Which address of a record an address is (地址类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressRole {
    /// 地址: current or relocation address.
    Current,
    /// 原地址: former address.
    Former,
    /// 户籍地址: registered address.
    Registered,
}

impl AddressRole {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Current => "地址",
            Self::Former => "原地址",
            Self::Registered => "户籍地址",
        }
    }

    /// English label.
    pub fn en(self) -> &'static str {
        match self {
            Self::Current => "address",
            Self::Former => "former address",
            Self::Registered => "registered address",
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Former,
            2 => Self::Registered,
            _ => Self::Current,
        }
    }
}

/// A scored candidate for a person (候选记录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Position of the record in the index (as given to [`Index::build`]).
    pub record: u32,
    /// The record's id.
    pub record_id: String,
    /// Calibrated match probability in \[0, 1\].
    pub score: f64,
    /// Per-field evidence.
    pub evidence: Evidence,
}

/// Why a record may lead to the person without being the person (亲属/旧邻线索).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// Same address and same surname: likely a relative (同址同姓，可能是亲属).
    SameAddressSameSurname,
    /// Same landline (同一座机).
    SameLandline,
    /// Same address, other surname: a former neighbour or household member (同址，旧邻或同户).
    SameAddress,
}

impl RelationKind {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Self::SameAddressSameSurname => "同址同姓（可能是亲属）",
            Self::SameLandline => "同一座机",
            Self::SameAddress => "同址（旧邻或同户）",
        }
    }

    /// English label.
    pub fn en(self) -> &'static str {
        match self {
            Self::SameAddressSameSurname => "same address and surname (likely relative)",
            Self::SameLandline => "same landline",
            Self::SameAddress => "same address (former neighbour or household)",
        }
    }
}

/// A likely relative or former neighbour (亲属/旧邻候选), never mixed with candidates for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelativeCandidate {
    /// Position of the record in the index.
    pub record: u32,
    /// The record's id.
    pub record_id: String,
    /// The relation.
    pub kind: RelationKind,
    /// How the shared address compares (exact or same building).
    pub address_level: ComparisonLevel,
    /// Chinese explanation (`原地址 = 户籍地址；同址同姓（可能是亲属）`).
    pub zh: String,
    /// English explanation.
    pub en: String,
}

const NONE: u32 = u32::MAX;
const UNKNOWN: u32 = u32::MAX - 1;

/// Strings stored back to back with end offsets.
#[derive(Debug, Default, Clone)]
struct Arena {
    bytes: String,
    ends: Vec<u32>,
}

impl Arena {
    fn push(&mut self, s: &str) -> Result<(), IndexError> {
        self.bytes.push_str(s);
        let end = u32::try_from(self.bytes.len()).map_err(|_| IndexError::TooManyRecords {
            max: self.ends.len(),
        })?;
        self.ends.push(end);
        Ok(())
    }

    /// Pushes the parts joined by `sep` as one string.
    fn push_joined<'s>(
        &mut self,
        parts: impl IntoIterator<Item = &'s str>,
        sep: char,
    ) -> Result<(), IndexError> {
        for (n, part) in parts.into_iter().enumerate() {
            if n > 0 {
                self.bytes.push(sep);
            }
            self.bytes.push_str(part);
        }
        self.push("")
    }

    /// Appends the strings of another arena.
    fn append(&mut self, other: &Arena) -> Result<(), IndexError> {
        let base = self.bytes.len();
        let too_many = || IndexError::TooManyRecords {
            max: self.ends.len(),
        };
        let last = other.ends.last().copied().unwrap_or(0) as usize;
        u32::try_from(base + last).map_err(|_| too_many())?;
        self.bytes.push_str(&other.bytes);
        self.ends
            .extend(other.ends.iter().map(|&end| end + base as u32));
        Ok(())
    }

    fn get(&self, i: usize) -> &str {
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0) as usize
        };
        self.bytes.get(start..end).unwrap_or("")
    }

    fn memory(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 4
    }

    /// Keeps the first `n` strings (and drops bytes of a push that failed after `n`).
    fn truncate(&mut self, n: usize) {
        if n <= self.ends.len() {
            let end = if n == 0 { 0 } else { self.ends[n - 1] as usize };
            self.bytes.truncate(end);
            self.ends.truncate(n);
        }
    }
}

/// Address parts to their symbols. foldhash rather than the standard SipHash: a million records
/// look up some six million parts while an index is built.
type SymbolMap = HashMap<Box<str>, u32, foldhash::fast::RandomState>;

/// Interned strings (address components).
#[derive(Debug, Default, Clone)]
struct Interner {
    map: SymbolMap,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&v) = self.map.get(s) {
            return v;
        }
        let v = u32::try_from(self.map.len())
            .unwrap_or(UNKNOWN)
            .min(UNKNOWN - 1);
        self.map.insert(s.into(), v);
        v
    }

    fn lookup(&self, s: &str) -> u32 {
        self.map.get(s).copied().unwrap_or(UNKNOWN)
    }
}

/// An address as interned components (`NONE` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CompactAddress {
    district: u32,
    road: u32,
    lane: u32,
    branch_lane: u32,
    number: u32,
    room: u32,
    role: u8,
}

impl CompactAddress {
    fn parts(&self) -> AddressParts<u32> {
        let o = |v: u32| (v != NONE).then_some(v);
        AddressParts {
            district: o(self.district),
            road: o(self.road),
            lane: o(self.lane),
            branch_lane: o(self.branch_lane),
            number: o(self.number),
            room: o(self.room),
        }
    }

    fn building_key(&self) -> Option<(u32, u32, u32)> {
        (self.road != NONE && self.number != NONE).then_some((self.road, self.lane, self.number))
    }
}

fn compact_address(
    parts: &AddressParts<String>,
    role: u8,
    mut sym: impl FnMut(&str) -> u32,
) -> CompactAddress {
    let mut s = |v: &Option<String>| v.as_deref().map_or(NONE, &mut sym);
    CompactAddress {
        district: s(&parts.district),
        road: s(&parts.road),
        lane: s(&parts.lane),
        branch_lane: s(&parts.branch_lane),
        number: s(&parts.number),
        room: s(&parts.room),
        role,
    }
}

/// Blocking key kinds.
mod key {
    pub const NAME_PINYIN: u8 = 1;
    pub const NAME_FOLDED: u8 = 2;
    pub const GIVEN_BIRTH_YEAR: u8 = 3;
    pub const BIRTH_DATE: u8 = 4;
    pub const ID_FULL: u8 = 5;
    pub const ID_BIRTH_LAST4: u8 = 6;
    pub const ID_REGION_LAST4: u8 = 7;
    pub const PHONE: u8 = 8;
    pub const PHONE_LAST4_SURNAME: u8 = 9;
    pub const BUILDING: u8 = 10;
    pub const ROAD_LANE_SURNAME: u8 = 11;
}

/// A 64-bit FNV-1a hash with a final mix; deterministic across runs.
fn key_hash(kind: u8, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(kind);
    for (n, p) in parts.iter().enumerate() {
        if n > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A record prepared for comparison (query side, or a stored record rebuilt for estimating u).
#[derive(Debug, Clone, Default)]
struct PreparedPerson {
    name: PreparedValue,
    former_names: Vec<PreparedValue>,
    id_canonical: String,
    birth: Option<[u32; 3]>,
    phones: Vec<String>,
    addresses: Vec<(AddressParts<String>, u8)>,
}

fn prepare_name(raw: &str) -> PreparedValue {
    let raw: String = raw.trim().chars().take(MAX_FIELD_CHARS).collect();
    let norm = normalize_name(&raw);
    let pinyin = if norm.chars().any(is_cjk) {
        pinyin_key(&norm)
    } else {
        String::new()
    };
    PreparedValue {
        raw,
        norm,
        pinyin,
        date: None,
        address: None,
    }
}

fn pack_date(d: [u32; 3]) -> u32 {
    d[0].min(9999) * 10_000 + d[1].min(99) * 100 + d[2].min(99)
}

fn unpack_date(v: u32) -> Option<[u32; 3]> {
    (v != 0).then_some([v / 10_000, v / 100 % 100, v % 100])
}

fn prepare_person(r: &Record) -> PreparedPerson {
    let id = r.id_number.as_deref().map(canonical_id);
    let id_canonical = match &id {
        Some(Some(id)) => id.clone(),
        Some(None) => r
            .id_number
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(32)
            .collect(),
        None => String::new(),
    };
    let birth = r
        .birth_date
        .as_deref()
        .and_then(parse_date_parts)
        .filter(|d| d[0] > 0)
        .or_else(|| match &id {
            Some(Some(id)) => id.get(6..14).and_then(parse_date_parts),
            _ => None,
        });
    let phones = r.phones.iter().filter_map(|p| canonical_phone(p)).collect();
    let mut addresses = Vec::new();
    for (text, role) in [
        (&r.address, 0u8),
        (&r.former_address, 1),
        (&r.registered_address, 2),
    ] {
        if let Some(t) = text {
            let a = parse_address(t);
            if !a.normalized.is_empty() {
                addresses.push((a.into_parts(), role));
            }
        }
    }
    PreparedPerson {
        name: prepare_name(&r.name),
        former_names: r
            .former_names
            .iter()
            .map(|n| prepare_name(n))
            .filter(|n| !n.norm.is_empty())
            .collect(),
        id_canonical,
        birth,
        phones,
        addresses,
    }
}

fn surname_pinyin(name: &PreparedValue) -> String {
    match name.norm.chars().next() {
        Some(c) if is_cjk(c) => pinyin_key(&c.to_string()),
        Some(_) => name.norm.split(' ').next_back().unwrap_or("").to_string(),
        None => String::new(),
    }
}

fn folded_name_key(surname: char, given: &str) -> String {
    let mut out = String::new();
    let s = pinyin_key(&surname.to_string());
    out.push_str(&fold_accent(&s));
    for c in given.chars() {
        out.push_str(&fold_accent(&pinyin_key(&c.to_string())));
    }
    out
}

/// Blocking keys of a prepared person. `query` adds the variants a query looks up (Shanghai surname confusions).
fn person_keys(p: &PreparedPerson, query: bool, out: &mut Vec<u64>) {
    let mut names: Vec<&PreparedValue> = vec![&p.name];
    names.extend(p.former_names.iter());
    let year = p.birth.map(|d| d[0]).unwrap_or(0);
    for n in names {
        if n.norm.is_empty() {
            continue;
        }
        let py = if n.pinyin.is_empty() {
            n.norm.replace(' ', "")
        } else {
            n.pinyin.clone()
        };
        out.push(key_hash(key::NAME_PINYIN, &[py.as_bytes()]));
        let mut chars = n.norm.chars();
        if let Some(first) = chars.next()
            && is_cjk(first)
        {
            let given: String = chars.collect();
            out.push(key_hash(
                key::NAME_FOLDED,
                &[folded_name_key(first, &given).as_bytes()],
            ));
            if query {
                for partner in shanghai_partners(first) {
                    out.push(key_hash(
                        key::NAME_FOLDED,
                        &[folded_name_key(partner, &given).as_bytes()],
                    ));
                }
            }
            if year > 0 && !given.is_empty() {
                let gp = pinyin_key(&given);
                out.push(key_hash(
                    key::GIVEN_BIRTH_YEAR,
                    &[gp.as_bytes(), &year.to_le_bytes()],
                ));
            }
        }
    }
    if let Some(d) = p.birth
        && d[1] != 0
        && d[2] != 0
    {
        out.push(key_hash(key::BIRTH_DATE, &[&pack_date(d).to_le_bytes()]));
    }
    let id = p.id_canonical.as_bytes();
    if id.len() == 18 {
        if !id.contains(&b'*') {
            out.push(key_hash(key::ID_FULL, &[id]));
        }
        let (birth, last4, region) = (&id[6..14], &id[14..18], &id[0..6]);
        if !last4.contains(&b'*') {
            if !birth.contains(&b'*') {
                out.push(key_hash(key::ID_BIRTH_LAST4, &[birth, last4]));
            }
            if !region.contains(&b'*') {
                out.push(key_hash(key::ID_REGION_LAST4, &[region, last4]));
            }
        }
    }
    let surname = surname_pinyin(&p.name);
    for ph in &p.phones {
        if !ph.contains('*') {
            out.push(key_hash(key::PHONE, &[ph.as_bytes()]));
        }
        if ph.len() >= 4 && !surname.is_empty() {
            let last4 = &ph.as_bytes()[ph.len() - 4..];
            if !last4.contains(&b'*') {
                out.push(key_hash(
                    key::PHONE_LAST4_SURNAME,
                    &[last4, surname.as_bytes()],
                ));
            }
        }
    }
    for (a, _) in &p.addresses {
        if let (Some(road), Some(number)) = (&a.road, &a.number) {
            let lane = a.lane.as_deref().unwrap_or("");
            out.push(key_hash(
                key::BUILDING,
                &[road.as_bytes(), lane.as_bytes(), number.as_bytes()],
            ));
        }
        if let (Some(road), Some(lane)) = (&a.road, &a.lane)
            && !surname.is_empty()
        {
            out.push(key_hash(
                key::ROAD_LANE_SURNAME,
                &[road.as_bytes(), lane.as_bytes(), surname.as_bytes()],
            ));
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// Whether a canonical ID shows its birth digits (positions 7–14).
fn id_birth_visible(canonical: &str) -> bool {
    canonical.len() == 18
        && canonical
            .get(6..14)
            .is_some_and(|b| b.bytes().all(|c| c.is_ascii_digit()))
}

/// The key ranges blocking keys are split into by their top bits: each range is sorted and merged
/// into the posting lists on its own, on all cores, and the ranges, in order, are the sorted whole.
const KEY_RANGES: usize = 16;

fn key_range(key: u64) -> usize {
    (key >> (64 - KEY_RANGES.trailing_zeros())) as usize
}

/// Runs `f` on every item, spread over the available cores (at most 8), and returns the results in
/// the items' order.
fn on_all_cores<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    if threads == 1 || items.len() <= 1 {
        return items.into_iter().map(f).collect();
    }
    let mut shares: Vec<Vec<(usize, T)>> = (0..threads).map(|_| Vec::new()).collect();
    let count = items.len();
    for (n, item) in items.into_iter().enumerate() {
        shares[n % threads].push((n, item));
    }
    let f = &f;
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    share
                        .into_iter()
                        .map(|(n, t)| (n, f(t)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            // The work given here (preparing, sorting, merging, counting, matching) cannot panic on
            // input; should a thread panic anyway, it is a bug, reported as such.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    debug_assert_eq!(results.len(), count);
    results.sort_unstable_by_key(|r| r.0);
    results.into_iter().map(|r| r.1).collect()
}

/// What records added to an index leave to do once all are added: their blocking keys as (key, position) by
/// key range ([`KEY_RANGES`]), to merge into the posting lists, and the keys of their phones with whether each is
/// a landline, for the household estimate.
#[derive(Debug)]
struct Pending {
    entries: Vec<Vec<(u64, u32)>>,
    phones: Vec<(u64, bool)>,
}

impl Default for Pending {
    fn default() -> Self {
        Self {
            entries: (0..KEY_RANGES).map(|_| Vec::new()).collect(),
            phones: Vec::new(),
        }
    }
}

impl Pending {
    fn push(&mut self, key: u64, record: u32) {
        if let Some(range) = self.entries.get_mut(key_range(key)) {
            range.push((key, record));
        }
    }

    /// The lengths to truncate to, should what follows fail.
    fn lengths(&self) -> (Vec<usize>, usize) {
        (
            self.entries.iter().map(Vec::len).collect(),
            self.phones.len(),
        )
    }

    fn truncate(&mut self, (entries, phones): &(Vec<usize>, usize)) {
        for (range, &len) in self.entries.iter_mut().zip(entries) {
            range.truncate(len);
        }
        self.phones.truncate(*phones);
    }
}

/// The posting lists of an index being merged with new entries ([`Index::merge_postings`]).
#[derive(Clone, Copy)]
struct OldPostings<'a> {
    keys: &'a [u64],
    ends: &'a [u32],
    postings: &'a [u32],
}

impl OldPostings<'_> {
    /// The postings of the keys at positions `keys` (consecutive lists).
    fn postings_of(&self, keys: std::ops::Range<usize>) -> &[u32] {
        if keys.is_empty() {
            return &[];
        }
        let start = if keys.start == 0 {
            0
        } else {
            self.ends[keys.start - 1] as usize
        };
        &self.postings[start..self.ends[keys.end - 1] as usize]
    }

    /// Walks the old keys at positions `old` and the sorted `new` entries together, key by key in
    /// order, calling `visit(key, its old postings, its new entries)`.
    fn merge(
        &self,
        old: std::ops::Range<usize>,
        new: &[(u64, u32)],
        mut visit: impl FnMut(u64, &[u32], &[(u64, u32)]),
    ) {
        let (mut i, mut j) = (old.start, 0usize);
        while i < old.end || j < new.len() {
            let key = match (self.keys.get(i).filter(|_| i < old.end), new.get(j)) {
                (Some(&a), Some(&(b, _))) => a.min(b),
                (Some(&a), None) => a,
                (None, Some(&(b, _))) => b,
                (None, None) => break,
            };
            let old_list = if i < old.end && self.keys[i] == key {
                i += 1;
                self.postings_of(i - 1..i)
            } else {
                &[]
            };
            let from = j;
            while new.get(j).is_some_and(|e| e.0 == key) {
                j += 1;
            }
            visit(key, old_list, &new[from..j]);
        }
    }
}

/// Pairs of different persons sharing a phone, and of those whose addresses compare at building, lane-only and
/// road-only level ([`HouseholdDependence`](crate::HouseholdDependence) counts).
type PairCounts = (f64, [f64; 3]);

fn add_counts(a: &mut PairCounts, b: PairCounts, sign: f64) {
    a.0 += sign * b.0;
    for (x, y) in a.1.iter_mut().zip(b.1) {
        *x += sign * y;
    }
}

/// Records prepared per batch when building an index.
const BUILD_BATCH: usize = 65_536;

/// Records prepared by one worker, already in the index's layout: appending them to the index is
/// copying, and the many small strings of preparing are made and freed on the worker's own thread.
#[derive(Debug, Default)]
struct PreparedChunk {
    ids: Arena,
    names_raw: Arena,
    names: Arena,
    former_names: Arena,
    id_numbers: Arena,
    phones: Arena,
    births: Vec<u32>,
    /// Addresses per record.
    address_counts: Vec<u8>,
    /// The addresses, their parts as symbols of `symbols` (interned here, on the worker; appending
    /// maps each symbol to the index's once).
    addresses: Vec<CompactAddress>,
    /// Address parts seen by this chunk's worker, kept from batch to batch.
    symbols: LocalSymbols,
    /// The index's symbol of each of `symbols`, as far as appending has mapped them.
    to_index: Vec<u32>,
    /// Blocking keys, and where each record's end.
    keys: Vec<u64>,
    key_ends: Vec<u32>,
    /// Unmasked phones' keys, with whether each is a landline (for the household estimate).
    phone_keys: Vec<(u64, bool)>,
}

/// The per-record strings of an index or a chunk, in one order: ids, raw names, names, former
/// names, ID numbers, phones.
macro_rules! record_text {
    ($owner:ty) => {
        impl $owner {
            fn text(&self) -> [&Arena; 6] {
                [
                    &self.ids,
                    &self.names_raw,
                    &self.names,
                    &self.former_names,
                    &self.id_numbers,
                    &self.phones,
                ]
            }

            fn text_mut(&mut self) -> [&mut Arena; 6] {
                [
                    &mut self.ids,
                    &mut self.names_raw,
                    &mut self.names,
                    &mut self.former_names,
                    &mut self.id_numbers,
                    &mut self.phones,
                ]
            }
        }
    };
}

record_text!(PreparedChunk);
record_text!(Index);

impl PreparedChunk {
    /// Empties the chunk, keeping its room for the next batch.
    fn clear(&mut self) {
        for arena in self.text_mut() {
            arena.truncate(0);
        }
        self.births.clear();
        self.address_counts.clear();
        self.addresses.clear();
        self.keys.clear();
        self.key_ends.clear();
        self.phone_keys.clear();
    }

    fn add(&mut self, r: &Record, keys: &mut Vec<u64>) -> Result<(), IndexError> {
        let p = prepare_person(r);
        keys.clear();
        person_keys(&p, false, keys);
        self.ids.push(&r.id)?;
        self.names_raw.push(&p.name.raw)?;
        self.names.push(&p.name.norm)?;
        self.former_names
            .push_joined(p.former_names.iter().map(|f| f.norm.as_str()), '|')?;
        self.id_numbers.push(&p.id_canonical)?;
        self.phones
            .push_joined(p.phones.iter().map(String::as_str), '|')?;
        self.births.push(p.birth.map_or(0, pack_date));
        let addresses = p.addresses.len().min(usize::from(u8::MAX));
        self.address_counts.push(addresses as u8);
        for (a, role) in p.addresses.iter().take(addresses) {
            let symbols = &mut self.symbols;
            let mut failed = None;
            let address = compact_address(a, *role, |part| {
                symbols.intern(part).unwrap_or_else(|error| {
                    failed = Some(error);
                    NONE
                })
            });
            if let Some(error) = failed {
                return Err(error);
            }
            self.addresses.push(address);
        }
        self.keys.extend_from_slice(keys);
        let end = u32::try_from(self.keys.len()).map_err(|_| IndexError::TooManyRecords {
            max: self.births.len(),
        })?;
        self.key_ends.push(end);
        self.phone_keys.extend(
            p.phones
                .iter()
                .filter(|ph| !ph.contains('*'))
                .map(|ph| (key_hash(key::PHONE, &[ph.as_bytes()]), is_landline(ph))),
        );
        Ok(())
    }
}

/// Address parts interned by one worker: symbols numbered from 0 in the order first seen.
#[derive(Debug, Default)]
struct LocalSymbols {
    map: SymbolMap,
    strings: Arena,
}

impl LocalSymbols {
    fn intern(&mut self, s: &str) -> Result<u32, IndexError> {
        if let Some(&v) = self.map.get(s) {
            return Ok(v);
        }
        let v = u32::try_from(self.strings.ends.len())
            .ok()
            .filter(|&v| v < UNKNOWN)
            .ok_or(IndexError::TooManyRecords {
                max: UNKNOWN as usize,
            })?;
        self.strings.push(s)?;
        self.map.insert(s.into(), v);
        Ok(v)
    }
}

/// Prepares records and their blocking keys, split over `threads` scoped threads: one chunk per
/// thread, in the records' order, filled in `chunks` (reused from batch to batch, so that their room
/// is not asked of the system again each time).
fn prepare_batch(
    batch: &[&Record],
    threads: usize,
    chunks: &mut Vec<PreparedChunk>,
) -> Result<(), IndexError> {
    let fill = |part: &[&Record], chunk: &mut PreparedChunk| {
        chunk.clear();
        let mut keys = Vec::new();
        part.iter().try_for_each(|r| chunk.add(r, &mut keys))
    };
    let size = if threads <= 1 || batch.len() < 1024 {
        batch.len().max(1)
    } else {
        batch.len().div_ceil(threads)
    };
    let parts: Vec<&[&Record]> = batch.chunks(size).collect();
    chunks.resize_with(parts.len(), PreparedChunk::default);
    let work: Vec<_> = parts.into_iter().zip(chunks.iter_mut()).collect();
    on_all_cores(work, |(part, chunk)| fill(part, chunk))
        .into_iter()
        .collect()
}

/// A record scored for a query.
struct ScoredRecord {
    /// Posterior log2-odds.
    odds: f64,
    /// Position of the record.
    record: u32,
    /// Per-field comparisons.
    comparisons: Vec<FieldComparison>,
    /// Address roles (query, record) of the best address comparison.
    roles: Option<(u8, u8)>,
    /// Whether the address was weighed as household evidence together with a shared phone.
    household: bool,
    /// Per-field weights (term-frequency adjusted where applicable).
    weights: Vec<f64>,
}

/// Frequencies of the query's values among indexed records, for term-frequency adjusted weights.
struct QueryFrequencies {
    /// Records sharing the name's toneless pinyin.
    name: usize,
    /// Records at each of the query's buildings, by address role.
    building_by_role: [usize; 3],
    /// Records sharing the query's ID region + last 4 and birth part + last 4 (0 when not visible).
    id_fragments: [usize; 2],
    /// The query's unmasked phones (canonical), with the number of indexed records sharing each and whether it is
    /// a landline.
    phones: Vec<(String, usize, bool)>,
}

/// Field positions in the person model.
const F_NAME: usize = 0;
const F_ID: usize = 1;
const F_PHONE: usize = 3;
const F_ADDRESS: usize = 4;

/// Phone groups larger than this are skipped when estimating household dependence (switchboards, hotlines).
const MAX_PHONE_GROUP: usize = 50;

/// Whether a canonical phone ([`canonical_phone`]) is a landline: canonical landlines have 8 digits,
/// mobiles 11 — read from the length, not parsed again (this runs for every phone of every record).
fn is_landline(canonical: &str) -> bool {
    canonical.len() == 8
}

/// Checks that a model has the person fields, kinds and levels the index scores with.
fn check_person_model(model: &Model) -> Result<(), IndexError> {
    let expected = default_person_model(1);
    let same = model.fields.len() == expected.fields.len()
        && model.fields.iter().zip(&expected.fields).all(|(f, e)| {
            f.kind == e.kind
                && f.levels.len() == e.levels.len()
                && f.levels
                    .iter()
                    .zip(&e.levels)
                    .all(|(l, el)| l.level == el.level)
        });
    if same {
        Ok(())
    } else {
        Err(IndexError::ModelMismatch)
    }
}

/// The default person model: name, ID number, birth date, phone, address, with prior m and u.
pub fn default_person_model(records: usize) -> Model {
    Model::new(
        vec![
            FieldModel::new("name", "姓名", FieldKind::Name),
            FieldModel::new("id_number", "身份证号", FieldKind::IdNumber),
            FieldModel::new("birth_date", "出生日期", FieldKind::Date),
            FieldModel::new("phone", "电话", FieldKind::Phone),
            FieldModel::new("address", "地址", FieldKind::Address),
        ],
        1.0 / (records.max(1) as f64),
    )
}

/// Options of a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LookupOptions {
    /// At most this many records are fully scored per query (the best pre-ranked ones).
    pub max_scored: usize,
    /// Posting lists longer than this are ignored (keys too common to discriminate).
    pub max_posting: usize,
}

impl Default for LookupOptions {
    fn default() -> Self {
        Self {
            max_scored: 128,
            max_posting: 50_000,
        }
    }
}

/// The in-memory index of reference records (参考记录索引).
#[derive(Debug, Clone)]
pub struct Index {
    ids: Arena,
    names_raw: Arena,
    names: Arena,
    former_names: Arena,
    id_numbers: Arena,
    births: Vec<u32>,
    phones: Arena,
    addr_end: Vec<u32>,
    addrs: Vec<CompactAddress>,
    interner: Interner,
    keys: Vec<u64>,
    key_end: Vec<u32>,
    postings: Vec<u32>,
    model: Model,
    options: LookupOptions,
}

/// Builds an [`Index`] from records that arrive in batches (e.g. pages read from a database), so that
/// the caller never holds all records at once and can read the next batch while this one is prepared.
///
/// `add` prepares a batch and appends it; `finish` merges the blocking keys and derives the model once,
/// exactly as [`Index::build`] (or [`Index::extend`], for a builder made by [`IndexBuilder::extending`])
/// would from all the batches in order.
#[derive(Debug)]
pub struct IndexBuilder {
    index: Index,
    start: usize,
    pending: Pending,
    /// Records the caller expects to add in all ([`IndexBuilder::expect_records`]); 0 when not said.
    expected: usize,
    /// The workers' chunks, reused from batch to batch.
    chunks: Vec<PreparedChunk>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl IndexBuilder {
    /// A builder of a new index.
    pub fn new() -> Self {
        Self::extending(Index::empty())
    }

    /// A builder that appends records to `index` (see [`Index::extend`]).
    pub fn extending(index: Index) -> Self {
        let start = index.len();
        Self {
            index,
            start,
            pending: Pending::default(),
            expected: 0,
            chunks: Vec::new(),
        }
    }

    /// Says how many records will be added in all (a hint; more or fewer may come). After the first
    /// batch the builder reserves room for that many in proportion to what the batch took, so that
    /// its arrays are not copied each time they outgrow their room (at 1,000,000 records, those
    /// copies and the fresh pages they touch were a sixth of a build's time).
    pub fn expect_records(&mut self, records: usize) {
        self.expected = records.min(UNKNOWN as usize);
    }

    /// Records added so far (not counting those of an index being extended).
    pub fn added(&self) -> usize {
        self.index.len() - self.start
    }

    /// Prepares a batch of records and appends it. Returns how many were added. On error (more records
    /// than 32-bit positions or arena offsets allow) none of this batch is kept; earlier batches stay.
    pub fn add<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Result<usize, IndexError> {
        let before = self.index.len();
        let lengths = self.pending.lengths();
        if let Err(error) = self
            .index
            .ingest(records, &mut self.pending, &mut self.chunks)
        {
            self.index.truncate_records(before);
            self.pending.truncate(&lengths);
            return Err(error);
        }
        let added = self.added();
        if before == self.start && added > 0 && self.expected > added {
            // What `len` entries for `now` records become for `then` records, less what is there, with
            // an eighth more: were the later records a little longer than the first ones, an array a
            // few bytes short would be copied whole into one twice its size. Room never written to
            // is never given memory by the system.
            let more = |len: usize, now: usize, then: usize| {
                let estimate = len as u128 * then as u128 / now as u128;
                usize::try_from(estimate + estimate / 8).map_or(0, |v| v - len)
            };
            let (now, then) = (self.start + added, self.start.saturating_add(self.expected));
            self.index.reserve_records(&|len| more(len, now, then));
            let pending = &mut self.pending;
            for range in &mut pending.entries {
                range.reserve(more(range.len(), added, self.expected));
            }
            pending
                .phones
                .reserve(more(pending.phones.len(), added, self.expected));
        }
        Ok(self.index.len() - before)
    }

    /// The finished index: blocking keys merged, `u`, λ and the household dependence derived from all
    /// records (unchanged when nothing was added to an index being extended).
    pub fn finish(self) -> Index {
        let mut index = self.index;
        index.complete(self.start, self.pending);
        index
    }
}

/// Sizes of an index, for benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStats {
    /// Records.
    pub records: usize,
    /// Distinct blocking keys.
    pub keys: usize,
    /// Postings (record entries in key lists).
    pub postings: usize,
    /// Interned address components.
    pub interned: usize,
    /// Approximate heap bytes of the index.
    pub approx_bytes: usize,
}

impl Index {
    /// Builds the index from records (ids are positions, `u32`). Estimates `u` from random pairs of the records.
    pub fn build<'a>(records: impl IntoIterator<Item = &'a Record>) -> Result<Index, IndexError> {
        let mut builder = IndexBuilder::new();
        builder.add(records)?;
        Ok(builder.finish())
    }

    /// An index holding no record (the model is the one [`Index::build`] gives an empty index).
    fn empty() -> Index {
        let mut idx = Index {
            ids: Arena::default(),
            names_raw: Arena::default(),
            names: Arena::default(),
            former_names: Arena::default(),
            id_numbers: Arena::default(),
            births: Vec::new(),
            phones: Arena::default(),
            addr_end: Vec::new(),
            addrs: Vec::new(),
            interner: Interner::default(),
            keys: Vec::new(),
            key_end: Vec::new(),
            postings: Vec::new(),
            model: default_person_model(1),
            options: LookupOptions::default(),
        };
        idx.rederive_model(0, &[]);
        idx
    }

    /// Adds records after those the index holds (增量追加), without rebuilding it: the new records take the
    /// positions `len()..`, their blocking keys are merged into the posting lists, and what depends on all records
    /// is derived again exactly as [`Index::build`] derives it — λ = 1/N, `u` from random pairs of all records
    /// (reset to the priors first) and the household dependence. `m` is kept (a built index carries the priors).
    ///
    /// An index built from `A` and extended with `B` therefore scores every query as an index built from `A` then
    /// `B` in one go (the test `extend_equals_build` checks it). Returns the number of records added; adding none
    /// changes nothing. On error (more records than 32-bit positions or arena offsets allow) the index is left
    /// holding its former records. To add records that arrive in pages, use [`IndexBuilder::extending`].
    pub fn extend<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Result<usize, IndexError> {
        let start = self.len();
        let mut pending = Pending::default();
        if let Err(error) = self.ingest(records, &mut pending, &mut Vec::new()) {
            self.truncate_records(start);
            return Err(error);
        }
        self.complete(start, pending);
        Ok(self.len() - start)
    }

    /// Merges the blocking keys of the records from position `start` on and derives the model again (nothing when
    /// no record was added).
    fn complete(&mut self, start: usize, pending: Pending) {
        let added = self.len() - start;
        if added == 0 {
            return;
        }
        let Pending {
            entries,
            mut phones,
        } = pending;
        let clock = std::time::Instant::now();
        let entries = on_all_cores(entries, |mut range| {
            range.sort_unstable();
            range
        });
        tracing::debug!(added, elapsed = ?clock.elapsed(), "index: keys sorted");
        self.merge_postings(&entries);
        drop(entries);
        tracing::debug!(elapsed = ?clock.elapsed(), "index: postings merged");
        phones.sort_unstable();
        phones.dedup_by_key(|p| p.0);
        self.rederive_model(start, &phones);
        tracing::debug!(elapsed = ?clock.elapsed(), "index: model derived");
    }

    /// λ, `u` and the household dependence from all records (see [`Index::extend`]).
    /// `phones` are the distinct phone keys of the records from position `start` on (all records when `start` is
    /// 0): only their groups are counted again for the household dependence.
    fn rederive_model(&mut self, start: usize, phones: &[(u64, bool)]) {
        let fresh = default_person_model(self.len());
        for (field, prior) in self.model.fields.iter_mut().zip(&fresh.fields) {
            for (level, prior_level) in field.levels.iter_mut().zip(&prior.levels) {
                level.u = prior_level.u;
            }
        }
        self.model.prior = fresh.prior;
        let n = self.len();
        let clock = std::time::Instant::now();
        self.estimate_u(20_000.min(n.saturating_mul(n.saturating_sub(1))));
        tracing::debug!(elapsed = ?clock.elapsed(), "index: u estimated");
        self.update_household(start, phones);
        tracing::debug!(elapsed = ?clock.elapsed(), "index: household dependence estimated");
    }

    /// Prepares records (normalised, parsed, keyed) in batches on all available cores and appends them in order;
    /// their blocking keys go to `entries` as (key, position).
    fn ingest<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a Record>,
        pending: &mut Pending,
        chunks: &mut Vec<PreparedChunk>,
    ) -> Result<(), IndexError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let mut iter = records.into_iter();
        loop {
            let batch: Vec<&Record> = iter.by_ref().take(BUILD_BATCH).collect();
            if batch.is_empty() {
                return Ok(());
            }
            prepare_batch(&batch, threads, chunks)?;
            for chunk in chunks.iter_mut() {
                self.append_chunk(chunk, pending)?;
            }
        }
    }

    /// Appends prepared records; on error (more records than positions or offsets allow) none of
    /// the chunk is kept.
    fn append_chunk(
        &mut self,
        chunk: &mut PreparedChunk,
        pending: &mut Pending,
    ) -> Result<(), IndexError> {
        let start = self.len();
        let too_many = || IndexError::TooManyRecords {
            max: UNKNOWN as usize,
        };
        if start + chunk.births.len() >= UNKNOWN as usize
            || u32::try_from(self.addrs.len() + chunk.addresses.len()).is_err()
        {
            return Err(too_many());
        }
        // Arenas first (they can fail); the fixed-size arrays, whose length is `len()`, last.
        let appended = self
            .text_mut()
            .into_iter()
            .zip(chunk.text())
            .try_for_each(|(mine, theirs)| mine.append(theirs));
        if let Err(error) = appended {
            self.truncate_records(start);
            return Err(error);
        }
        // The chunk's new symbols, mapped to the index's once each.
        for local in chunk.to_index.len()..chunk.symbols.strings.ends.len() {
            let symbol = self.interner.intern(chunk.symbols.strings.get(local));
            chunk.to_index.push(symbol);
        }
        let to_index = |v: u32| {
            if v == NONE {
                NONE
            } else {
                chunk.to_index.get(v as usize).copied().unwrap_or(UNKNOWN)
            }
        };
        let mut addresses = chunk.addresses.iter();
        for &count in &chunk.address_counts {
            for a in addresses.by_ref().take(usize::from(count)) {
                self.addrs.push(CompactAddress {
                    district: to_index(a.district),
                    road: to_index(a.road),
                    lane: to_index(a.lane),
                    branch_lane: to_index(a.branch_lane),
                    number: to_index(a.number),
                    room: to_index(a.room),
                    role: a.role,
                });
            }
            self.addr_end.push(self.addrs.len() as u32);
        }
        self.births.extend_from_slice(&chunk.births);
        let mut from = 0;
        for (n, &end) in chunk.key_ends.iter().enumerate() {
            let rid = (start + n) as u32;
            let keys = chunk.keys.get(from..end as usize).unwrap_or(&[]);
            for &key in keys {
                pending.push(key, rid);
            }
            from = end as usize;
        }
        pending.phones.extend_from_slice(&chunk.phone_keys);
        Ok(())
    }

    /// Reserves room in each record array for `grow(len)` more entries, `len` being its length.
    fn reserve_records(&mut self, grow: &dyn Fn(usize) -> usize) {
        let start = self.len();
        for arena in self.text_mut() {
            arena.bytes.reserve(grow(arena.bytes.len()));
            arena.ends.reserve(grow(arena.ends.len()));
        }
        self.births.reserve(grow(start));
        self.addr_end.reserve(grow(start));
        self.addrs.reserve(grow(self.addrs.len()));
    }

    /// Drops every record at position `n` and after from the record arrays (not from the posting lists: used
    /// only before the new records' keys are merged).
    fn truncate_records(&mut self, n: usize) {
        for arena in self.text_mut() {
            arena.truncate(n);
        }
        self.births.truncate(n);
        self.addr_end.truncate(n);
        let addrs = self.addr_end.last().copied().unwrap_or(0) as usize;
        self.addrs.truncate(addrs);
    }

    /// Merges the (key, position) entries of records added after all indexed ones, by key range and sorted
    /// within each, into the posting lists. Every new position is above every old one, so appending a key's new
    /// positions after its old ones keeps each list sorted, as a build from all records would. The ranges are
    /// merged on all cores, each into its own part of the new lists, sized exactly beforehand.
    fn merge_postings(&mut self, entries: &[Vec<(u64, u32)>]) {
        let old_keys = std::mem::take(&mut self.keys);
        let old_end = std::mem::take(&mut self.key_end);
        let old_postings = std::mem::take(&mut self.postings);
        let old = OldPostings {
            keys: &old_keys,
            ends: &old_end,
            postings: &old_postings,
        };
        // The old keys of each range (they are sorted, so each range is a slice).
        let bounds: Vec<usize> = (0..=KEY_RANGES)
            .map(|r| old_keys.partition_point(|&k| key_range(k) < r))
            .collect();
        // Per key range: positions of its old keys, and its new entries.
        let ranges: Vec<_> = entries
            .iter()
            .enumerate()
            .map(|(r, new)| (bounds[r]..bounds[r + 1], new.as_slice()))
            .collect();
        let key_counts = on_all_cores(ranges.clone(), |(old_range, new)| {
            let mut keys = 0;
            old.merge(old_range, new, |_, _, _| keys += 1);
            keys
        });
        let total_keys: usize = key_counts.iter().sum();
        let total_postings = old_postings.len() + entries.iter().map(Vec::len).sum::<usize>();
        let mut keys = vec![0u64; total_keys];
        let mut key_end = vec![0u32; total_keys];
        let mut postings = vec![0u32; total_postings];
        // Each range's share of the three arrays, and where its postings start.
        let mut shares = Vec::with_capacity(KEY_RANGES);
        let (mut rest_keys, mut rest_ends, mut rest_postings) =
            (&mut keys[..], &mut key_end[..], &mut postings[..]);
        let mut base = 0usize;
        for ((old_range, new), &count) in ranges.into_iter().zip(&key_counts) {
            let old_count = old.postings_of(old_range.clone()).len();
            let (k, kr) = std::mem::take(&mut rest_keys).split_at_mut(count);
            let (e, er) = std::mem::take(&mut rest_ends).split_at_mut(count);
            let (p, pr) = std::mem::take(&mut rest_postings).split_at_mut(old_count + new.len());
            (rest_keys, rest_ends, rest_postings) = (kr, er, pr);
            shares.push((old_range, new, k, e, p, base));
            base += old_count + new.len();
        }
        on_all_cores(shares, |(old_range, new, keys, ends, postings, base)| {
            let (mut n, mut filled) = (0, 0);
            old.merge(old_range, new, |key, old_list, new_list| {
                postings[filled..filled + old_list.len()].copy_from_slice(old_list);
                filled += old_list.len();
                for (slot, &(_, record)) in postings[filled..].iter_mut().zip(new_list) {
                    *slot = record;
                }
                filled += new_list.len();
                keys[n] = key;
                ends[n] = (base + filled) as u32;
                n += 1;
            });
        });
        self.keys = keys;
        self.key_end = key_end;
        self.postings = postings;
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.births.len()
    }

    /// Whether the index holds no record.
    pub fn is_empty(&self) -> bool {
        self.births.is_empty()
    }

    /// The id of the record at a position.
    pub fn record_id(&self, record: u32) -> &str {
        self.ids.get(record as usize)
    }

    /// The scoring model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Replaces the scoring model (e.g. one trained elsewhere). It must have the fields of
    /// [`default_person_model`] (name, ID number, birth date, phone, address) in that order.
    pub fn set_model(&mut self, model: Model) -> Result<(), IndexError> {
        check_person_model(&model)?;
        self.model = model;
        Ok(())
    }

    /// Sets lookup options.
    pub fn set_options(&mut self, options: LookupOptions) {
        self.options = options;
    }

    /// Sizes of the index.
    pub fn stats(&self) -> IndexStats {
        let interned_bytes: usize = self.interner.map.keys().map(|k| k.len() + 24).sum();
        IndexStats {
            records: self.len(),
            keys: self.keys.len(),
            postings: self.postings.len(),
            interned: self.interner.map.len(),
            approx_bytes: self.ids.memory()
                + self.names_raw.memory()
                + self.names.memory()
                + self.former_names.memory()
                + self.id_numbers.memory()
                + self.phones.memory()
                + self.births.capacity() * 4
                + self.addr_end.capacity() * 4
                + self.addrs.capacity() * std::mem::size_of::<CompactAddress>()
                + self.keys.capacity() * 8
                + self.key_end.capacity() * 4
                + self.postings.capacity() * 4
                + interned_bytes,
        }
    }

    fn posting(&self, k: u64) -> &[u32] {
        match self.keys.binary_search(&k) {
            Ok(i) => {
                let end = self.key_end[i] as usize;
                let start = if i == 0 {
                    0
                } else {
                    self.key_end[i - 1] as usize
                };
                &self.postings[start..end]
            }
            Err(_) => &[],
        }
    }

    fn stored_addresses(&self, r: usize) -> &[CompactAddress] {
        let end = self.addr_end.get(r).copied().unwrap_or(0) as usize;
        let start = if r == 0 {
            0
        } else {
            self.addr_end.get(r - 1).copied().unwrap_or(0) as usize
        };
        self.addrs.get(start..end).unwrap_or(&[])
    }

    /// Compares a prepared query with stored record `r`: per-field comparisons, plus the address roles
    /// (query, record) of the best address comparison.
    fn compare_record(
        &self,
        q: &PreparedPerson,
        q_addrs: &[CompactAddress],
        r: usize,
    ) -> (Vec<FieldComparison>, Option<(u8, u8)>) {
        let name_rank = |l: ComparisonLevel| {
            FieldKind::Name
                .levels()
                .iter()
                .position(|&x| x == l)
                .unwrap_or(99)
        };
        // Name, and former names on either side.
        let stored_name = PreparedValue {
            raw: self.names_raw.get(r).to_string(),
            norm: self.names.get(r).to_string(),
            ..PreparedValue::default()
        };
        let mut best = compare_names(&q.name, &stored_name);
        let former = self.former_names.get(r);
        let try_pair =
            |a: &PreparedValue, b: &PreparedValue, tag: &str, best: &mut FieldComparison| {
                let c = compare_names(a, b);
                if c.level != ComparisonLevel::Missing && name_rank(c.level) < name_rank(best.level)
                {
                    let detail = match c.detail {
                        Some(d) => format!("{tag} {d}"),
                        None => tag.to_string(),
                    };
                    *best = FieldComparison {
                        level: c.level,
                        detail: Some(detail),
                    };
                }
            };
        if best.level != ComparisonLevel::Exact {
            if !former.is_empty() {
                for f in former.split('|') {
                    let fv = PreparedValue {
                        raw: f.to_string(),
                        norm: f.to_string(),
                        ..PreparedValue::default()
                    };
                    try_pair(&q.name, &fv, "曾用名/former name", &mut best);
                }
            }
            for qf in &q.former_names {
                try_pair(qf, &stored_name, "曾用名/former name", &mut best);
            }
        }
        let id = {
            let s = self.id_numbers.get(r);
            if q.id_canonical.is_empty() || s.is_empty() {
                FieldComparison {
                    level: ComparisonLevel::Missing,
                    detail: None,
                }
            } else {
                FieldComparison {
                    level: compare_canonical_ids(&q.id_canonical, s),
                    detail: None,
                }
            }
        };
        // The birth date is evidence of its own only when the IDs do not already compare it: when both IDs show
        // their birth digits, counting the birth date again would double the same evidence.
        let stored_id = self.id_numbers.get(r);
        let birth_in_both_ids = id_birth_visible(&q.id_canonical) && id_birth_visible(stored_id);
        let birth = match (
            q.birth,
            unpack_date(self.births.get(r).copied().unwrap_or(0)),
        ) {
            (Some(x), Some(y)) if !birth_in_both_ids => compare_date_parts(x, y),
            _ => ComparisonLevel::Missing,
        };
        let phone_rank = |l: ComparisonLevel| {
            FieldKind::Phone
                .levels()
                .iter()
                .position(|&x| x == l)
                .unwrap_or(99)
        };
        let mut phone = ComparisonLevel::Missing;
        let stored_phones = self.phones.get(r);
        if !stored_phones.is_empty() {
            for qp in &q.phones {
                for sp in stored_phones.split('|') {
                    let l = compare_phones(qp, sp);
                    if phone == ComparisonLevel::Missing || phone_rank(l) < phone_rank(phone) {
                        phone = l;
                    }
                }
            }
        }
        let addr_rank = |m: AddressMatch| m as usize;
        let mut best_addr = AddressMatch::Missing;
        let mut roles = None;
        for qa in q_addrs {
            for sa in self.stored_addresses(r) {
                let m = compare_parts(&qa.parts(), &sa.parts());
                if m != AddressMatch::Missing
                    && (best_addr == AddressMatch::Missing || addr_rank(m) < addr_rank(best_addr))
                {
                    best_addr = m;
                    roles = Some((qa.role, sa.role));
                }
            }
        }
        let address = match best_addr {
            AddressMatch::Exact => ComparisonLevel::Exact,
            AddressMatch::SameBuilding => ComparisonLevel::SameBuilding,
            AddressMatch::SameLane => ComparisonLevel::SameLane,
            AddressMatch::SameRoad => ComparisonLevel::SameRoad,
            AddressMatch::Different => ComparisonLevel::Different,
            AddressMatch::Missing => ComparisonLevel::Missing,
        };
        let plain = |level| FieldComparison {
            level,
            detail: None,
        };
        (
            vec![best, id, plain(birth), plain(phone), plain(address)],
            roles,
        )
    }

    fn query_addresses(&self, q: &PreparedPerson) -> Vec<CompactAddress> {
        q.addresses
            .iter()
            .map(|(a, role)| compact_address(a, *role, |s| self.interner.lookup(s)))
            .collect()
    }

    /// Records sharing blocking keys with the query, pre-ranked by the specificity of the shared keys.
    fn gather(&self, q: &PreparedPerson, limit: usize) -> Vec<u32> {
        let mut keys = Vec::new();
        person_keys(q, true, &mut keys);
        let n = self.len().max(1) as f32;
        let mut hits: Vec<(u32, f32)> = Vec::new();
        for k in keys {
            let list = self.posting(k);
            if list.is_empty() || list.len() > self.options.max_posting {
                continue;
            }
            let w = (n / list.len() as f32).ln().max(0.01);
            hits.extend(list.iter().map(|&r| (r, w)));
        }
        hits.sort_unstable_by_key(|h| h.0);
        let mut merged: Vec<(u32, f32)> = Vec::with_capacity(hits.len());
        for (r, w) in hits {
            match merged.last_mut() {
                Some(last) if last.0 == r => last.1 += w,
                _ => merged.push((r, w)),
            }
        }
        if merged.len() > limit {
            merged.select_nth_unstable_by(limit, |a, b| b.1.total_cmp(&a.1));
            merged.truncate(limit);
        }
        merged.into_iter().map(|(r, _)| r).collect()
    }

    /// [`Index::candidates`] and, with `relatives`, [`Index::relatives`] (else none) for each of many persons,
    /// on all cores, in the persons' order.
    pub fn match_each(
        &self,
        queries: &[Record],
        top_k: usize,
        relatives: bool,
    ) -> Vec<(Vec<Candidate>, Vec<RelativeCandidate>)> {
        let share = queries.len().div_ceil(8).clamp(1, 64);
        on_all_cores(queries.chunks(share).collect(), |part| {
            part.iter()
                .map(|q| {
                    let found = self.candidates(q, top_k);
                    let near = if relatives {
                        self.relatives(q, top_k)
                    } else {
                        Vec::new()
                    };
                    (found, near)
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
    }

    /// The best `top_k` candidates for one person, best first, each with its calibrated match probability and
    /// evidence. Never scans all records: only those sharing a blocking key with the query are looked at.
    pub fn candidates(&self, query: &Record, top_k: usize) -> Vec<Candidate> {
        if top_k == 0 || self.is_empty() {
            return Vec::new();
        }
        let q = prepare_person(query);
        let q_addrs = self.query_addresses(&q);
        let freq = self.query_frequencies(&q);
        let gathered = self.gather(&q, self.options.max_scored.max(top_k));
        let mut scored: Vec<ScoredRecord> = gathered
            .into_iter()
            .map(|r| self.score_record(&q, &q_addrs, &freq, r))
            .collect();
        scored.sort_by(|a, b| b.odds.total_cmp(&a.odds).then(a.record.cmp(&b.record)));
        scored.truncate(top_k);
        scored
            .into_iter()
            .map(|s| {
                let evidence = self.evidence_of(&s);
                Candidate {
                    record: s.record,
                    record_id: self.record_id(s.record).to_string(),
                    score: evidence.probability(),
                    evidence,
                }
            })
            .collect()
    }

    /// How many indexed records share the query's name pinyin and each of its buildings (by address role).
    fn query_frequencies(&self, q: &PreparedPerson) -> QueryFrequencies {
        let py = if q.name.pinyin.is_empty() {
            q.name.norm.replace(' ', "")
        } else {
            q.name.pinyin.clone()
        };
        let name = if py.is_empty() {
            0
        } else {
            self.posting(key_hash(key::NAME_PINYIN, &[py.as_bytes()]))
                .len()
        };
        let mut building_by_role = [0usize; 3];
        for (a, role) in &q.addresses {
            if let (Some(road), Some(number)) = (&a.road, &a.number) {
                let lane = a.lane.as_deref().unwrap_or("");
                let k = key_hash(
                    key::BUILDING,
                    &[road.as_bytes(), lane.as_bytes(), number.as_bytes()],
                );
                if let Some(slot) = building_by_role.get_mut(usize::from(*role)) {
                    *slot = self.posting(k).len();
                }
            }
        }
        // Records sharing the visible fragments of the query's ID (region + last 4, birth part + last 4), for masked
        // IDs; 0 when the fragment is not visible.
        let id = q.id_canonical.as_bytes();
        let mut id_fragments = [0usize; 2];
        if id.len() == 18 && !id[14..18].contains(&b'*') {
            if !id[0..6].contains(&b'*') {
                id_fragments[0] = self
                    .posting(key_hash(key::ID_REGION_LAST4, &[&id[0..6], &id[14..18]]))
                    .len();
            }
            if !id[6..14].contains(&b'*') {
                id_fragments[1] = self
                    .posting(key_hash(key::ID_BIRTH_LAST4, &[&id[6..14], &id[14..18]]))
                    .len();
            }
        }
        let phones = q
            .phones
            .iter()
            .filter(|p| !p.contains('*'))
            .map(|p| {
                let count = self.posting(key_hash(key::PHONE, &[p.as_bytes()])).len();
                (p.clone(), count, is_landline(p))
            })
            .collect();
        QueryFrequencies {
            name,
            building_by_role,
            id_fragments,
            phones,
        }
    }

    /// Scores record `r` for a prepared query. Agreement on the name's sound and on the building uses
    /// term-frequency adjusted `u` (同值频率): the share of indexed records with that name pinyin or at that
    /// building, so that a common name or a crowded building weighs less than a rare one.
    fn score_record(
        &self,
        q: &PreparedPerson,
        q_addrs: &[CompactAddress],
        freq: &QueryFrequencies,
        r: u32,
    ) -> ScoredRecord {
        use ComparisonLevel::*;
        let (cmp, roles) = self.compare_record(q, q_addrs, r as usize);
        let codes = self.model.encode(&cmp);
        let n = self.len().max(1) as f64;
        let mut household = false;
        let mut weights: Vec<f64> = self
            .model
            .fields
            .iter()
            .zip(&codes)
            .map(|(f, &c)| f.weight(c))
            .collect();
        let tf_weight = |field: usize, code: u8, count: usize| -> Option<f64> {
            let m = self
                .model
                .fields
                .get(field)?
                .levels
                .get(usize::from(code))?
                .m;
            let u = (count.max(1) as f64 / n).min(1.0);
            Some((m.max(1e-12) / u).log2())
        };
        if matches!(
            cmp[F_NAME].level,
            Exact | Normalised | Homophone | HomophoneToneless
        ) && let Some(w) = tf_weight(F_NAME, codes[F_NAME], freq.name)
        {
            weights[F_NAME] = w;
        }
        if let (Exact | SameBuilding, Some((qr, _))) = (cmp[F_ADDRESS].level, roles) {
            let count = freq
                .building_by_role
                .get(usize::from(qr))
                .copied()
                .unwrap_or(0);
            if let Some(w) = tf_weight(F_ADDRESS, codes[F_ADDRESS], count) {
                weights[F_ADDRESS] = w;
            }
        }
        // Visible digits agree: u is the share of records sharing a fragment that is visible in both numbers (a
        // number masked down to `310***********2859` agrees on fewer digits than one showing its region code, and
        // weighs less). Without such a fragment the level's u from random pairs stands.
        if cmp[F_ID].level == VisibleDigitsAgree {
            let stored = self.id_numbers.get(r as usize).as_bytes();
            let visible = |range: std::ops::Range<usize>| {
                stored.len() == 18 && stored.get(range).is_some_and(|s| !s.contains(&b'*'))
            };
            let count = [(0..6, freq.id_fragments[0]), (6..14, freq.id_fragments[1])]
                .into_iter()
                .filter(|(range, count)| *count > 0 && visible(range.clone()) && visible(14..18))
                .map(|(_, count)| count)
                .min();
            if let Some(count) = count
                && let Some(w) = tf_weight(F_ID, codes[F_ID], count)
            {
                weights[F_ID] = w;
            }
        }
        // A shared phone: term-frequency adjusted (a household landline shared by four records says less than a
        // mobile of one), and the address is then household evidence too — its u is conditional on the shared
        // phone (同户证据), not the marginal u that would count the household twice.
        if cmp[F_PHONE].level == Exact {
            let stored = self.phones.get(r as usize);
            let shared = freq
                .phones
                .iter()
                .filter(|(p, _, _)| stored.split('|').any(|s| s == p))
                .min_by_key(|(_, count, landline)| (*landline, *count));
            if let Some((_, count, landline)) = shared {
                if let Some(w) = tf_weight(F_PHONE, codes[F_PHONE], *count) {
                    weights[F_PHONE] = w;
                }
                if let Some(u) = self
                    .model
                    .household
                    .address_u(*landline, cmp[F_ADDRESS].level)
                    && let Some(lp) = self.model.fields[F_ADDRESS]
                        .levels
                        .get(usize::from(codes[F_ADDRESS]))
                {
                    let conditional = (lp.m.max(1e-12) / u).log2();
                    if conditional < weights[F_ADDRESS] {
                        weights[F_ADDRESS] = conditional;
                        household = true;
                    }
                }
            }
        }
        let odds = self.model.prior_weight() + weights.iter().sum::<f64>();
        ScoredRecord {
            odds,
            record: r,
            comparisons: cmp,
            roles,
            household,
            weights,
        }
    }

    /// The evidence of a scored record, with address roles named (`原地址 = 户籍地址`).
    fn evidence_of(&self, s: &ScoredRecord) -> Evidence {
        let mut evidence = self.model.evidence(&s.comparisons, &[]);
        for (f, &w) in evidence.fields.iter_mut().zip(&s.weights) {
            if f.level != ComparisonLevel::Missing {
                f.weight = w;
            }
        }
        if let (Some((qr, sr)), Some(f)) = (s.roles, evidence.fields.get_mut(F_ADDRESS)) {
            let (qr, sr) = (AddressRole::from_u8(qr), AddressRole::from_u8(sr));
            f.zh = if f.level == ComparisonLevel::Exact {
                format!("{} = {}", sr.zh(), qr.zh())
            } else {
                format!("{}与{}{}", sr.zh(), qr.zh(), f.level.zh())
            };
            f.en = format!("{} vs {}: {}", sr.en(), qr.en(), f.level.en());
            if s.household {
                // Shared phone and shared address are one household's evidence, weighed once.
                f.zh.push_str("（与电话同属一户证据）");
                f.en.push_str(" (household evidence with the phone)");
            }
        }
        evidence
    }

    /// Likely relatives and former neighbours of the person (亲属/旧邻): records sharing an address at building level
    /// (same road, lane and number) with any address of the query, or a landline. Records that are themselves a
    /// likely match for the person (probability ≥ 0.5) are left out. Best first, at most `top_k`.
    pub fn relatives(&self, query: &Record, top_k: usize) -> Vec<RelativeCandidate> {
        if top_k == 0 || self.is_empty() {
            return Vec::new();
        }
        let q = prepare_person(query);
        let q_addrs = self.query_addresses(&q);
        let freq = self.query_frequencies(&q);
        let surname: Option<char> = q.name.norm.chars().next().filter(|c| is_cjk(*c));
        let mut found: HashMap<u32, (RelationKind, ComparisonLevel, String, String)> =
            HashMap::new();
        for ((parts, _), qa) in q.addresses.iter().zip(&q_addrs) {
            if qa.building_key().is_none() {
                continue;
            }
            let (Some(road_s), Some(number_s)) = (&parts.road, &parts.number) else {
                continue;
            };
            let lane_s = parts.lane.as_deref().unwrap_or("");
            let k = key_hash(
                key::BUILDING,
                &[road_s.as_bytes(), lane_s.as_bytes(), number_s.as_bytes()],
            );
            for &r in self.posting(k).iter().take(self.options.max_posting) {
                for sa in self.stored_addresses(r as usize) {
                    let m = compare_parts(&qa.parts(), &sa.parts());
                    if !matches!(m, AddressMatch::Exact | AddressMatch::SameBuilding) {
                        continue;
                    }
                    let same_surname =
                        surname.is_some() && self.names.get(r as usize).chars().next() == surname;
                    let kind = if same_surname {
                        RelationKind::SameAddressSameSurname
                    } else {
                        RelationKind::SameAddress
                    };
                    let level = if m == AddressMatch::Exact {
                        ComparisonLevel::Exact
                    } else {
                        ComparisonLevel::SameBuilding
                    };
                    let (qr, sr) = (AddressRole::from_u8(qa.role), AddressRole::from_u8(sa.role));
                    let zh = if level == ComparisonLevel::Exact {
                        format!("{} = {}；{}", sr.zh(), qr.zh(), kind.zh())
                    } else {
                        format!("{}与{}{}；{}", sr.zh(), qr.zh(), level.zh(), kind.zh())
                    };
                    let en = format!("{} vs {}: {}; {}", sr.en(), qr.en(), level.en(), kind.en());
                    let entry = found
                        .entry(r)
                        .or_insert((kind, level, zh.clone(), en.clone()));
                    if (kind, level) < (entry.0, entry.1) {
                        *entry = (kind, level, zh, en);
                    }
                }
            }
        }
        for ph in &q.phones {
            if !is_landline(ph) {
                continue;
            }
            for &r in self
                .posting(key_hash(key::PHONE, &[ph.as_bytes()]))
                .iter()
                .take(self.options.max_posting)
            {
                found.entry(r).or_insert((
                    RelationKind::SameLandline,
                    ComparisonLevel::Exact,
                    RelationKind::SameLandline.zh().to_string(),
                    RelationKind::SameLandline.en().to_string(),
                ));
            }
        }
        let mut out: Vec<RelativeCandidate> = found
            .into_iter()
            .filter(|(r, _)| {
                let scored = self.score_record(&q, &q_addrs, &freq, *r);
                crate::model::probability_from_log2_odds(scored.odds) < 0.5
            })
            .map(|(r, (kind, address_level, zh, en))| RelativeCandidate {
                record: r,
                record_id: self.record_id(r).to_string(),
                kind,
                address_level,
                zh,
                en,
            })
            .collect();
        out.sort_by(|a, b| {
            (a.kind, a.address_level, a.record).cmp(&(b.kind, b.address_level, b.record))
        });
        out.truncate(top_k);
        out
    }

    fn stored_as_person(&self, r: usize) -> PreparedPerson {
        let birth = unpack_date(self.births.get(r).copied().unwrap_or(0));
        let phones_s = self.phones.get(r);
        let former_s = self.former_names.get(r);
        PreparedPerson {
            name: prepare_name(self.names_raw.get(r)),
            former_names: if former_s.is_empty() {
                Vec::new()
            } else {
                former_s.split('|').map(prepare_name).collect()
            },
            id_canonical: self.id_numbers.get(r).to_string(),
            birth,
            phones: if phones_s.is_empty() {
                Vec::new()
            } else {
                phones_s.split('|').map(str::to_string).collect()
            },
            addresses: Vec::new(),
        }
    }

    /// Updates the dependence between phone and address agreement among different persons
    /// ([`crate::HouseholdDependence`]) for the records from position `start` on, whose distinct phone keys are
    /// `phones`. It is estimated over all pairs of indexed records sharing a phone (groups of 2 to 50), both with
    /// an address and not alike in name or ID (other persons): the shares whose addresses compare at building,
    /// lane-only and road-only level — separately for landlines and mobiles. Only the groups of the added
    /// records' phones can have changed: each is counted as it is now, and as it was before (its records below
    /// `start`), and the difference added to the kept counts (counts are integers: the result equals counting
    /// every group again). Groups are counted on all available cores.
    fn update_household(&mut self, start: usize, phones: &[(u64, bool)]) {
        let zero: PairCounts = (0.0, [0.0; 3]);
        let (mut landline, mut mobile) = if start == 0 {
            (zero, zero)
        } else {
            self.model.household.counts()
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let part = phones.len().div_ceil(threads).max(1024);
        let this = &*self;
        let delta = |part: &[(u64, bool)]| {
            let (mut landline, mut mobile) = (zero, zero);
            for &(key, is_landline) in part {
                let group = this.posting(key);
                let before = group.partition_point(|&r| (r as usize) < start);
                let counts = if is_landline {
                    &mut landline
                } else {
                    &mut mobile
                };
                add_counts(counts, this.group_counts(group), 1.0);
                add_counts(counts, this.group_counts(&group[..before]), -1.0);
            }
            (landline, mobile)
        };
        for (l, m) in on_all_cores(phones.chunks(part).collect(), delta) {
            add_counts(&mut landline, l, 1.0);
            add_counts(&mut mobile, m, 1.0);
        }
        self.model.household = crate::model::HouseholdDependence::from_counts(landline, mobile);
    }

    /// The pair counts of one group of records sharing a phone (none outside 2 to 50 records).
    fn group_counts(&self, group: &[u32]) -> PairCounts {
        use ComparisonLevel::*;
        let mut counts: PairCounts = (0.0, [0.0; 3]);
        if group.len() < 2 || group.len() > MAX_PHONE_GROUP {
            return counts;
        }
        let people: Vec<(usize, PreparedPerson)> = group
            .iter()
            .map(|&g| g as usize)
            .filter(|&g| !self.stored_addresses(g).is_empty())
            .map(|g| (g, self.stored_as_person(g)))
            .collect();
        for (i, (a, pa)) in people.iter().enumerate() {
            for (b, pb) in &people[i + 1..] {
                let name = compare_names(&pa.name, &pb.name).level;
                let id = compare_canonical_ids(&pa.id_canonical, &pb.id_canonical);
                let same_person = !matches!(name, SimilarMid | GivenNameDiffers | Different)
                    || matches!(id, Exact | OneEdit | VisibleDigitsAgree);
                if same_person {
                    continue;
                }
                counts.0 += 1.0;
                // The closest pair of addresses: 0 building or better, 1 lane, 2 road, 3 other.
                let mut best = 3usize;
                for x in self.stored_addresses(*a) {
                    for y in self.stored_addresses(*b) {
                        let k = match compare_parts(&x.parts(), &y.parts()) {
                            AddressMatch::Exact | AddressMatch::SameBuilding => 0,
                            AddressMatch::SameLane => 1,
                            AddressMatch::SameRoad => 2,
                            _ => 3,
                        };
                        best = best.min(k);
                    }
                }
                if let Some(slot) = counts.1.get_mut(best) {
                    *slot += 1.0;
                }
            }
        }
        counts
    }

    /// Re-estimates `u` from `samples` random pairs of indexed records (deterministic).
    pub fn estimate_u(&mut self, samples: usize) {
        let n = self.len();
        if n < 2 {
            return;
        }
        let mut rng = SplitMix(0x0bad_5eed_u64);
        let mut codes = Vec::with_capacity(samples * self.model.fields.len());
        for _ in 0..samples {
            let i = rng.below(n);
            let mut j = rng.below(n);
            if j == i {
                j = (j + 1) % n;
            }
            let q = self.stored_as_person(i);
            let q_addrs: Vec<CompactAddress> = self.stored_addresses(i).to_vec();
            let (cmp, _) = self.compare_record(&q, &q_addrs, j);
            codes.extend(self.model.encode(&cmp));
        }
        self.model.estimate_u(&codes, n as f64 * (n as f64 - 1.0));
        // Whether an ID is masked is a property of its source, not of the pair, and indexed records are masked
        // less often than queries: among different persons two IDs disagree (almost) whenever both are present,
        // on whatever digits are visible. Both disagreement levels therefore take the `u` of any disagreement,
        // so that a masked number whose visible digits disagree does not look rare (and thus weak evidence
        // against) merely because few indexed pairs are masked.
        if let Some(field) = self.model.fields.get_mut(F_ID) {
            use ComparisonLevel::{ClearlyDifferent, Different};
            let total: f64 = field
                .levels
                .iter()
                .filter(|l| matches!(l.level, Different | ClearlyDifferent))
                .map(|l| l.u)
                .sum();
            for l in field
                .levels
                .iter_mut()
                .filter(|l| matches!(l.level, Different | ClearlyDifferent))
            {
                l.u = total.min(1.0);
            }
        }
    }

    /// Estimates `m` and λ without labels from a batch of queries (e.g. the lost persons of a base).
    ///
    /// A person has at most one true record in a source, so the estimation works on each query's best candidate:
    /// each iteration scores every query's candidates with the current model, weighs the best one by its
    /// posterior probability, and re-estimates `m` from those weighted comparison vectors (smoothed towards the
    /// priors); λ becomes the expected number of true records per query divided by the index size. `u` stays the
    /// random-pair estimate. Plain EM over all candidates is unstable here (candidates are chosen for agreeing on
    /// something, so it finds clusters such as "same birth date" instead of "same person"). In the report,
    /// `candidate_match_share` is the share of queries expected to have a true record.
    pub fn fit_em(&mut self, queries: &[Record], iterations: usize) -> crate::model::EmReport {
        let prepared: Vec<(
            PreparedPerson,
            Vec<CompactAddress>,
            QueryFrequencies,
            Vec<u32>,
        )> = queries
            .iter()
            .map(|query| {
                let q = prepare_person(query);
                let q_addrs = self.query_addresses(&q);
                let freq = self.query_frequencies(&q);
                let gathered = self.gather(&q, self.options.max_scored);
                (q, q_addrs, freq, gathered)
            })
            .collect();
        let priors: Vec<Vec<f64>> = self
            .model
            .fields
            .iter()
            .map(|f| f.kind.levels().iter().map(|&l| f.kind.prior(l).0).collect())
            .collect();
        let mut report = crate::model::EmReport {
            iterations: 0,
            candidate_match_share: 0.0,
            expected_matches: 0.0,
        };
        for it in 0..iterations.max(1) {
            let mut counts: Vec<Vec<f64>> = priors.iter().map(|p| vec![0.0; p.len()]).collect();
            let mut expected = 0.0;
            for (q, q_addrs, freq, gathered) in &prepared {
                let best = gathered
                    .iter()
                    .map(|&r| self.score_record(q, q_addrs, freq, r))
                    .max_by(|a, b| a.odds.total_cmp(&b.odds));
                let Some(best) = best else { continue };
                let p = crate::model::probability_from_log2_odds(best.odds);
                expected += p;
                for (fi, c) in self.model.encode(&best.comparisons).into_iter().enumerate() {
                    if let Some(slot) = counts[fi].get_mut(usize::from(c)) {
                        *slot += p;
                    }
                }
            }
            let mut delta: f64 = 0.0;
            const PSEUDO: f64 = 5.0;
            for (fi, field) in self.model.fields.iter_mut().enumerate() {
                let total: f64 = counts[fi].iter().sum::<f64>() + PSEUDO;
                let prior_total: f64 = priors[fi].iter().sum::<f64>().max(1e-12);
                for (k, lp) in field.levels.iter_mut().enumerate() {
                    let m =
                        ((counts[fi][k] + PSEUDO * priors[fi][k] / prior_total) / total).max(1e-6);
                    delta = delta.max((m - lp.m).abs());
                    lp.m = m;
                }
            }
            let total_pairs = prepared.len() as f64 * self.len() as f64;
            if total_pairs > 0.0 {
                self.model.prior = (expected / total_pairs).clamp(1e-15, 0.5);
            }
            report.iterations = it + 1;
            report.expected_matches = expected;
            report.candidate_match_share = expected / prepared.len().max(1) as f64;
            if delta < 1e-4 {
                break;
            }
        }
        report
    }

    /// Estimates `m` from labelled pairs (query, position of its true record).
    pub fn fit_labelled(&mut self, pairs: &[(Record, u32)]) {
        let mut codes = Vec::new();
        for (query, r) in pairs {
            if (*r as usize) < self.len() {
                let q = prepare_person(query);
                let q_addrs = self.query_addresses(&q);
                let (cmp, _) = self.compare_record(&q, &q_addrs, *r as usize);
                codes.extend(self.model.encode(&cmp));
            }
        }
        self.model.train_labelled(&codes);
    }
}

/// Magic bytes of the saved index format.
const INDEX_MAGIC: &[u8; 8] = b"XUNRENIX";
/// Version of the saved index format and of the model it carries: bump it whenever either
/// changes, so that indexes saved by an older build are rebuilt rather than reused.
pub const INDEX_VERSION: u32 = 4;

struct Writer<'a, W: std::io::Write>(&'a mut W);

impl<W: std::io::Write> Writer<'_, W> {
    fn raw(&mut self, b: &[u8]) -> Result<(), IndexError> {
        self.0
            .write_all(b)
            .map_err(|e| IndexError::Io(e.to_string()))
    }
    fn u32(&mut self, v: u32) -> Result<(), IndexError> {
        self.raw(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> Result<(), IndexError> {
        self.raw(&v.to_le_bytes())
    }
    fn bytes(&mut self, b: &[u8]) -> Result<(), IndexError> {
        self.u64(b.len() as u64)?;
        self.raw(b)
    }
    fn u32s(&mut self, v: &[u32]) -> Result<(), IndexError> {
        self.u64(v.len() as u64)?;
        let mut buf = Vec::with_capacity(v.len() * 4);
        for x in v {
            buf.extend_from_slice(&x.to_le_bytes());
        }
        self.raw(&buf)
    }
    fn u64s(&mut self, v: &[u64]) -> Result<(), IndexError> {
        self.u64(v.len() as u64)?;
        let mut buf = Vec::with_capacity(v.len() * 8);
        for x in v {
            buf.extend_from_slice(&x.to_le_bytes());
        }
        self.raw(&buf)
    }
    fn arena(&mut self, a: &Arena) -> Result<(), IndexError> {
        self.bytes(a.bytes.as_bytes())?;
        self.u32s(&a.ends)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn corrupt(what: &str) -> IndexError {
    IndexError::Corrupt(what.to_string())
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| corrupt("length overflow"))?;
        let out = self
            .data
            .get(self.pos..end)
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos = end;
        Ok(out)
    }
    fn u32(&mut self) -> Result<u32, IndexError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, IndexError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn count(&mut self, elem: usize) -> Result<usize, IndexError> {
        let n = usize::try_from(self.u64()?).map_err(|_| corrupt("count"))?;
        if n.checked_mul(elem)
            .is_none_or(|b| b > self.data.len() - self.pos)
        {
            return Err(corrupt("count larger than the file"));
        }
        Ok(n)
    }
    fn bytes(&mut self) -> Result<&'a [u8], IndexError> {
        let n = self.count(1)?;
        self.take(n)
    }
    fn u32s(&mut self) -> Result<Vec<u32>, IndexError> {
        let n = self.count(4)?;
        let b = self.take(n * 4)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn u64s(&mut self) -> Result<Vec<u64>, IndexError> {
        let n = self.count(8)?;
        let b = self.take(n * 8)?;
        Ok(b.chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect())
    }
    fn arena(&mut self, records: Option<usize>) -> Result<Arena, IndexError> {
        let bytes =
            String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt("text is not UTF-8"))?;
        let ends = self.u32s()?;
        if records.is_some_and(|n| n != ends.len()) {
            return Err(corrupt("arena size differs from the record count"));
        }
        let mut prev = 0u32;
        for &e in &ends {
            if e < prev || e as usize > bytes.len() || !bytes.is_char_boundary(e as usize) {
                return Err(corrupt("arena offsets"));
            }
            prev = e;
        }
        Ok(Arena { bytes, ends })
    }
}

fn check_offsets(ends: &[u32], len: usize, what: &str) -> Result<(), IndexError> {
    let mut prev = 0u32;
    for &e in ends {
        if e < prev || e as usize > len {
            return Err(corrupt(what));
        }
        prev = e;
    }
    Ok(())
}

impl Index {
    /// Saves the index (records, keys, model and options) in a compact binary form, so that it can be built once
    /// (e.g. at import) and loaded quickly with [`Index::read_from`].
    pub fn write_to<W: std::io::Write>(&self, out: &mut W) -> Result<(), IndexError> {
        let mut w = Writer(out);
        w.raw(INDEX_MAGIC)?;
        w.u32(INDEX_VERSION)?;
        let model = toml::to_string(&self.model).map_err(|e| IndexError::Io(e.to_string()))?;
        w.bytes(model.as_bytes())?;
        w.u64(self.options.max_scored as u64)?;
        w.u64(self.options.max_posting as u64)?;
        for a in self.text() {
            w.arena(a)?;
        }
        w.u32s(&self.births)?;
        w.u32s(&self.addr_end)?;
        w.u64(self.addrs.len() as u64)?;
        let mut buf = Vec::with_capacity(self.addrs.len() * 25);
        for a in &self.addrs {
            for v in [a.district, a.road, a.lane, a.branch_lane, a.number, a.room] {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            buf.push(a.role);
        }
        w.raw(&buf)?;
        w.u64(self.interner.map.len() as u64)?;
        for (k, v) in &self.interner.map {
            w.u32(*v)?;
            w.bytes(k.as_bytes())?;
        }
        w.u64s(&self.keys)?;
        w.u32s(&self.key_end)?;
        w.u32s(&self.postings)
    }

    /// Loads an index saved by [`Index::write_to`]. Invalid or truncated input gives an error, never a panic.
    pub fn read_from<R: std::io::Read>(input: &mut R) -> Result<Index, IndexError> {
        let mut data = Vec::new();
        input
            .read_to_end(&mut data)
            .map_err(|e| IndexError::Io(e.to_string()))?;
        Self::from_bytes(&data)
    }

    /// Loads an index saved by [`Index::write_to`] from bytes already in memory (no copy of them). Invalid or
    /// truncated input gives an error, never a panic.
    pub fn from_bytes(data: &[u8]) -> Result<Index, IndexError> {
        let mut r = Reader { data, pos: 0 };
        if r.take(8)? != INDEX_MAGIC {
            return Err(corrupt("not a xunren index"));
        }
        if r.u32()? != INDEX_VERSION {
            return Err(corrupt("unsupported index version"));
        }
        let model_text =
            std::str::from_utf8(r.bytes()?).map_err(|_| corrupt("model is not UTF-8"))?;
        let model: Model =
            toml::from_str(model_text).map_err(|e| IndexError::Corrupt(e.to_string()))?;
        check_person_model(&model)?;
        let options = LookupOptions {
            max_scored: usize::try_from(r.u64()?)
                .map_err(|_| corrupt("options"))?
                .clamp(1, 1 << 20),
            max_posting: usize::try_from(r.u64()?).map_err(|_| corrupt("options"))?,
        };
        let ids = r.arena(None)?;
        let n = ids.ends.len();
        let names_raw = r.arena(Some(n))?;
        let names = r.arena(Some(n))?;
        let former_names = r.arena(Some(n))?;
        let id_numbers = r.arena(Some(n))?;
        let phones = r.arena(Some(n))?;
        let births = r.u32s()?;
        let addr_end = r.u32s()?;
        if births.len() != n || addr_end.len() != n {
            return Err(corrupt("record arrays differ in length"));
        }
        let count = r.count(25)?;
        let raw = r.take(count * 25)?;
        let addrs: Vec<CompactAddress> = raw
            .chunks_exact(25)
            .map(|c| {
                let v = |i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
                CompactAddress {
                    district: v(0),
                    road: v(4),
                    lane: v(8),
                    branch_lane: v(12),
                    number: v(16),
                    room: v(20),
                    role: c[24].min(2),
                }
            })
            .collect();
        check_offsets(&addr_end, addrs.len(), "address offsets")?;
        let interned = r.count(12)?;
        let mut map = SymbolMap::with_capacity_and_hasher(interned, Default::default());
        for _ in 0..interned {
            let id = r.u32()?;
            let text = std::str::from_utf8(r.bytes()?).map_err(|_| corrupt("interned text"))?;
            map.insert(Box::<str>::from(text), id);
        }
        let keys = r.u64s()?;
        let key_end = r.u32s()?;
        let postings = r.u32s()?;
        if key_end.len() != keys.len() || keys.windows(2).any(|w| w[0] >= w[1]) {
            return Err(corrupt("keys"));
        }
        check_offsets(&key_end, postings.len(), "posting offsets")?;
        if postings.iter().any(|&p| p as usize >= n) {
            return Err(corrupt("posting beyond the records"));
        }
        Ok(Index {
            ids,
            names_raw,
            names,
            former_names,
            id_numbers,
            births,
            phones,
            addr_end,
            addrs,
            interner: Interner { map },
            keys,
            key_end,
            postings,
            model,
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, name: &str, idn: &str, birth: &str, addr: &str, former: &str) -> Record {
        Record {
            id: id.into(),
            name: name.into(),
            id_number: (!idn.is_empty()).then(|| idn.into()),
            birth_date: (!birth.is_empty()).then(|| birth.into()),
            address: (!addr.is_empty()).then(|| addr.into()),
            former_address: (!former.is_empty()).then(|| former.into()),
            ..Record::default()
        }
    }

    fn sample() -> Vec<Record> {
        let mut v = vec![
            rec(
                "r1",
                "王铭",
                "",
                "1950-03-04",
                "浦东新区锦绣路100弄5号",
                "乔家路12弄3号",
            ),
            rec("r2", "王明", "", "1962-01-01", "徐汇区漕溪北路3号", ""),
            rec(
                "r3",
                "李建国",
                "310101195003041234",
                "",
                "闵行区莘庄镇莘建路5号",
                "",
            ),
            rec("r4", "王小红", "", "1978-05-05", "", "乔家路12弄3号"),
            rec("r5", "张三", "", "1950-03-04", "", ""),
        ];
        // Unrelated filler records with varied names, dates and addresses.
        let surnames: Vec<char> = "赵钱孙周吴郑冯褚卫蒋沈韩朱秦尤许何吕施孔曹严华金魏陶姜"
            .chars()
            .collect();
        let given: Vec<char> = "一二三四五六七八九十春夏秋冬东南西北".chars().collect();
        for i in 0..200 {
            v.push(rec(
                &format!("x{i}"),
                &format!(
                    "{}{}{}",
                    surnames[i % surnames.len()],
                    given[i % given.len()],
                    given[(i / 7) % given.len()]
                ),
                "",
                &format!(
                    "{}-{:02}-{:02}",
                    1930 + i % 60,
                    1 + i % 12,
                    1 + (i * 7) % 28
                ),
                &format!("人民路{}号", i + 1),
                "",
            ));
        }
        v
    }

    #[test]
    fn homophone_and_old_address() {
        let idx = Index::build(&sample()).expect("index");
        let q = Record {
            id: "q".into(),
            name: "王明".into(),
            birth_date: Some("1950年3月4日".into()),
            registered_address: Some("上海市黄浦区乔家路十二弄三号".into()),
            ..Record::default()
        };
        let c = idx.candidates(&q, 3);
        assert_eq!(c[0].record_id, "r1", "{c:#?}");
        assert!(c[0].score > 0.9, "{}", c[0].score);
        let zh = c[0].evidence.zh_summary();
        assert!(zh.contains("姓名同音 明/铭"), "{zh}");
        assert!(zh.contains("出生日期一致"), "{zh}");
        assert!(zh.contains("原地址 = 户籍地址"), "{zh}");
        let rel = idx.relatives(&q, 5);
        assert!(
            rel.iter()
                .any(|r| r.record_id == "r4" && r.kind == RelationKind::SameAddressSameSurname),
            "{rel:#?} {:#?}",
            idx.candidates(&q, 5)
        );
        assert!(rel.iter().all(|r| r.record_id != "r1"));
    }

    #[test]
    fn id_lookup_and_masked() {
        let idx = Index::build(&sample()).expect("index");
        let q = Record {
            name: "李建國".into(),
            id_number: Some("310101********1234".into()),
            ..Record::default()
        };
        let c = idx.candidates(&q, 1);
        assert_eq!(c[0].record_id, "r3");
        let q2 = Record {
            name: "无名".into(),
            ..Record::default()
        };
        assert!(idx.candidates(&q2, 5).iter().all(|c| c.score < 0.5));
    }

    /// A household: the person's own record and relatives sharing the old address and the landline.
    fn household_sample() -> Vec<Record> {
        let mut v = sample();
        let with_phone = |mut r: Record, phone: &str| {
            r.phones = vec![phone.to_string()];
            r
        };
        let addr = "福佑路104弄37号4室";
        v.push(with_phone(
            rec(
                "own",
                "张晨",
                "310101195001011236",
                "",
                "宝山区菊太路1407弄67号",
                addr,
            ),
            "63305474",
        ));
        // Relatives: same landline and old address, other given name, their own full ID.
        v.push(with_phone(
            rec(
                "rel1",
                "张敏",
                "310101197803154327",
                "",
                "闵行区莘建路9号",
                addr,
            ),
            "63305474",
        ));
        v.push(with_phone(
            rec("rel2", "张建国", "310101197511206610", "", "", addr),
            "63305474",
        ));
        // Another household sharing a landline and an address, for the dependence estimate.
        for i in 0..6 {
            v.push(with_phone(
                rec(
                    &format!("h{i}"),
                    ["孙一", "钱二", "周三", "吴四", "郑五", "冯六"][i],
                    "",
                    "",
                    &format!("光启路{}号", 10 + i / 3),
                    "",
                ),
                &format!("6330{}", 1000 + i / 3),
            ));
        }
        v
    }

    #[test]
    fn relatives_sharing_landline_and_address_are_not_the_person() {
        let idx = Index::build(&household_sample()).expect("index");
        // Pairs sharing a landline mostly share the address too: the conditional u is high.
        assert!(idx.model().household.landline_pairs >= 6.0);
        assert!(idx.model().household.landline[0] > 0.5);
        let q = Record {
            id: "q".into(),
            name: "张晨".into(),
            id_number: Some("310101195001011236".into()),
            phones: vec!["021-63305474".into()],
            registered_address: Some("上海市黄浦区福佑路104弄37号4室".into()),
            ..Record::default()
        };
        let c = idx.candidates(&q, 5);
        assert_eq!(c[0].record_id, "own");
        assert!(c[0].score > 0.99, "{c:?}");
        for rel in c.iter().filter(|c| c.record_id.starts_with("rel")) {
            assert!(rel.score < 0.5, "{rel:?}");
            assert!(
                rel.evidence.zh_summary().contains("同属一户"),
                "{}",
                rel.evidence.zh_summary()
            );
        }
        // Without the ID, a relative with another given name still stays far from 0.9.
        let q2 = Record {
            id_number: None,
            ..q.clone()
        };
        for rel in idx
            .candidates(&q2, 5)
            .iter()
            .filter(|c| c.record_id.starts_with("rel"))
        {
            assert!(rel.score < 0.5, "{rel:?}");
        }
        // The relatives are listed as leads instead.
        let leads = idx.relatives(&q, 10);
        assert!(leads.iter().any(|r| r.record_id == "rel1"));
        assert!(leads.iter().all(|r| r.record_id != "own"));
    }

    #[test]
    fn empty_index_and_query() {
        let idx = Index::build(&[]).expect("index");
        assert!(idx.candidates(&Record::default(), 5).is_empty());
        let idx = Index::build(&sample()).expect("index");
        assert!(idx.candidates(&Record::default(), 5).is_empty());
        assert!(idx.relatives(&Record::default(), 5).is_empty());
    }

    #[test]
    fn save_and_load_round_trip() {
        let idx = Index::build(&sample()).expect("index");
        let mut buf = Vec::new();
        idx.write_to(&mut buf).expect("write");
        let loaded = Index::read_from(&mut buf.as_slice()).expect("read");
        let mut other = Index::build(&sample()).expect("index");
        assert!(other.set_model(loaded.model().clone()).is_ok());
        assert!(matches!(
            other.set_model(Model::new(Vec::new(), 0.5)),
            Err(IndexError::ModelMismatch)
        ));
        let q = Record {
            name: "王明".into(),
            birth_date: Some("1950-03-04".into()),
            registered_address: Some("乔家路12弄3号".into()),
            ..Record::default()
        };
        assert_eq!(idx.candidates(&q, 3), loaded.candidates(&q, 3));
        assert_eq!(idx.relatives(&q, 3), loaded.relatives(&q, 3));
        // Truncated or altered files give errors, not panics.
        for cut in [0, 7, 12, buf.len() / 2, buf.len() - 1] {
            assert!(Index::read_from(&mut &buf[..cut]).is_err());
        }
        let mut bad = buf.clone();
        let last = bad.len() - 1;
        bad[last] = 0xff;
        let _ = Index::read_from(&mut bad.as_slice());
    }

    /// Households of related records: shared surnames, landlines and old addresses, written in several forms, so
    /// that posting lists, term frequencies, `u` and the household dependence all depend on every record.
    fn synthetic(n: usize, seed: u64) -> Vec<Record> {
        let mut rng = SplitMix(seed);
        let surnames = ["王", "黄", "张", "陈", "李", "吴", "胡", "沈"];
        let given = [
            "明", "铭", "建国", "秀英", "晓华", "伟", "敏", "晨", "国强", "桂英",
        ];
        let roads = ["乔家路", "复兴东路", "中华路", "梦花街"];
        (0..n)
            .map(|i| {
                let household = rng.below(n / 3 + 1);
                fn pick(rng: &mut SplitMix, xs: &[&'static str]) -> &'static str {
                    xs[rng.below(xs.len())]
                }
                let surname = if household.is_multiple_of(2) {
                    surnames[household % surnames.len()]
                } else {
                    pick(&mut rng, &surnames)
                };
                let name = format!("{surname}{}", pick(&mut rng, &given));
                let road = roads[household % roads.len()];
                let lane = household % 40 + 1;
                let number = household % 7 + 1;
                let former = match i % 3 {
                    0 => format!("{road}{lane}弄{number}号"),
                    1 => format!("上海市黄浦区{road}{lane}弄-{number}"),
                    _ => format!("{road}{lane}弄{number}号{}室", i % 5 + 1),
                };
                let year = 1930 + rng.below(60);
                let month = rng.below(12) + 1;
                let day = rng.below(28) + 1;
                let id = match i % 4 {
                    0 => String::new(),
                    1 => format!("310101{year}{month:02}{day:02}{:04}", i % 10_000),
                    2 => format!("310101********{:04}", i % 10_000),
                    _ => format!("310102{year}{month:02}{day:02}{:04}", household % 10_000),
                };
                let mut phones = Vec::new();
                if household.is_multiple_of(3) {
                    phones.push(format!("021-6{household:07}"));
                }
                if i.is_multiple_of(2) {
                    phones.push(format!("139{i:08}"));
                }
                Record {
                    id: format!("s{seed}-{i}"),
                    name,
                    former_names: if i.is_multiple_of(11) {
                        vec![format!("{surname}小{}", pick(&mut rng, &given))]
                    } else {
                        Vec::new()
                    },
                    id_number: (!id.is_empty()).then_some(id),
                    birth_date: (i % 5 != 0).then(|| format!("{year}-{month:02}-{day:02}")),
                    phones,
                    address: (i % 4 == 0).then(|| format!("浦东新区三林路{}号", household % 50)),
                    former_address: (i % 6 != 0).then_some(former),
                    registered_address: None,
                }
            })
            .collect()
    }

    /// Queries from some records, with noise, and from nobody.
    fn queries_of(records: &[Record]) -> Vec<Record> {
        let mut out: Vec<Record> = records
            .iter()
            .step_by(17)
            .map(|r| Record {
                id: String::new(),
                name: r.name.replace('明', "铭"),
                id_number: r.id_number.as_ref().map(|id| {
                    let mut id = id.clone();
                    id.replace_range(6..14, "********");
                    id
                }),
                registered_address: r.former_address.clone(),
                address: None,
                former_address: None,
                ..r.clone()
            })
            .collect();
        out.push(Record {
            name: "尉迟雯".into(),
            birth_date: Some("1977-07-07".into()),
            ..Record::default()
        });
        out
    }

    fn assert_same_results(a: &Index, b: &Index, queries: &[Record]) {
        assert_eq!(a.len(), b.len());
        assert_eq!(a.stats().keys, b.stats().keys);
        assert_eq!(a.stats().postings, b.stats().postings);
        assert_eq!(a.model(), b.model(), "u, m, λ and household dependence");
        let mut compared = 0;
        for q in queries {
            let (x, y) = (a.candidates(q, 10), b.candidates(q, 10));
            assert_eq!(x.len(), y.len(), "{q:?}");
            for (cx, cy) in x.iter().zip(&y) {
                assert_eq!(cx.record_id, cy.record_id, "{q:?}");
                // Same data, same arithmetic: the scores agree to rounding (in practice bit for bit).
                assert!((cx.score - cy.score).abs() <= 1e-12, "{cx:?} {cy:?}");
                assert!(
                    (cx.evidence.total_weight() - cy.evidence.total_weight()).abs() <= 1e-9,
                    "{cx:?} {cy:?}"
                );
                compared += 1;
            }
            assert_eq!(a.relatives(q, 10), b.relatives(q, 10), "{q:?}");
        }
        assert!(compared > queries.len(), "the queries find candidates");
    }

    #[test]
    fn match_each_is_one_query_after_another() {
        let all = synthetic(1_200, 5);
        let queries = queries_of(&all);
        let index = Index::build(&all).expect("build");
        for relatives in [true, false] {
            let each = index.match_each(&queries, 5, relatives);
            assert_eq!(each.len(), queries.len());
            for (q, (found, near)) in queries.iter().zip(&each) {
                assert_eq!(found, &index.candidates(q, 5));
                let expected = if relatives {
                    index.relatives(q, 5)
                } else {
                    Vec::new()
                };
                assert_eq!(near, &expected);
            }
            assert!(each.iter().any(|(_, near)| !near.is_empty()) == relatives);
        }
        assert!(index.match_each(&[], 5, true).is_empty());
    }

    #[test]
    fn extend_equals_build() {
        let all = synthetic(1_200, 11);
        let queries = queries_of(&all);
        let whole = Index::build(&all).expect("build");
        // A household's landline and address in A and B alike: the household estimate must see both halves.
        assert!(
            whole.model().household.landline[0] > crate::HouseholdDependence::PRIOR_LANDLINE[0]
        );

        let mut extended = Index::build(&all[..800]).expect("build A");
        let before = extended.model().clone();
        assert_eq!(extended.extend(&all[800..1_040]).expect("B1"), 240);
        assert_eq!(extended.extend(&all[1_040..]).expect("B2"), 160);
        assert_ne!(
            &before,
            extended.model(),
            "u and λ follow the added records"
        );
        assert_same_results(&whole, &extended, &queries);

        // Through the saved form, as the registry does: save A, load, extend, save, load.
        let mut bytes = Vec::new();
        Index::build(&all[..600])
            .expect("build")
            .write_to(&mut bytes)
            .expect("write");
        let mut loaded = Index::read_from(&mut bytes.as_slice()).expect("read");
        assert_eq!(loaded.extend(&all[600..]).expect("extend"), 600);
        let mut bytes = Vec::new();
        loaded.write_to(&mut bytes).expect("write");
        let reloaded = Index::read_from(&mut bytes.as_slice()).expect("read");
        assert_same_results(&whole, &reloaded, &queries);

        // Adding nothing changes nothing; extending an empty index is a build.
        let model = reloaded.model().clone();
        let mut same = reloaded;
        assert_eq!(same.extend(std::iter::empty()).expect("nothing"), 0);
        assert_eq!(same.model(), &model);
        let mut from_empty = Index::build(std::iter::empty()).expect("empty");
        from_empty.extend(&all).expect("extend empty");
        assert_same_results(&whole, &from_empty, &queries);

        // Pages through a builder, as the registry reads the database: new, and extending a saved index (whose
        // household counts are then updated from the added records' phone groups only).
        let mut builder = IndexBuilder::new();
        for page in all.chunks(97) {
            assert_eq!(builder.add(page).expect("page"), page.len());
        }
        assert_eq!(builder.added(), all.len());
        assert_same_results(&whole, &builder.finish(), &queries);
        // A hint of the count reserves room; right or wrong, the index is the same.
        for hint in [all.len(), 150, 100_000] {
            let mut builder = IndexBuilder::new();
            builder.expect_records(hint);
            for page in all.chunks(100) {
                builder.add(page).expect("page");
            }
            assert_same_results(&whole, &builder.finish(), &queries);
        }
        let mut builder = IndexBuilder::extending(Index::build(&all[..500]).expect("build A"));
        builder.expect_records(700);
        for page in all[500..].chunks(64) {
            builder.add(page).expect("page");
        }
        assert_eq!(builder.added(), 700);
        let paged = builder.finish();
        assert_eq!(whole.model().household, paged.model().household);
        assert!(whole.model().household.landline_pairs > 0.0);
        assert_same_results(&whole, &paged, &queries);
    }

    #[test]
    fn unsupervised_fit_keeps_ranking() {
        let mut idx = Index::build(&sample()).expect("index");
        let q = Record {
            name: "王明".into(),
            birth_date: Some("1950-03-04".into()),
            registered_address: Some("乔家路12弄3号".into()),
            ..Record::default()
        };
        let other = Record {
            name: "李建国".into(),
            id_number: Some("310101195003041234".into()),
            ..Record::default()
        };
        let report = idx.fit_em(&[q.clone(), other, Record::default()], 10);
        assert!(
            report.expected_matches > 1.5 && report.expected_matches <= 3.0,
            "{report:?}"
        );
        assert_eq!(idx.candidates(&q, 1)[0].record_id, "r1");
        let labelled = vec![(q.clone(), 0u32)];
        idx.fit_labelled(&labelled);
        assert_eq!(idx.candidates(&q, 1)[0].record_id, "r1");
    }
}
