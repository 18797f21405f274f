#!/usr/bin/env python3
"""Splink 5 on the same task as `xunren match`, for comparison (issue 3): the lost persons (失联) of
a generated roster against the generated reference records, ranked per person, written in the
candidates format of `xunren match` so that scripts/evaluate-candidates.py scores both alike.

usage: splink-compare.py GEN_DIR OUT.csv

Needs `pip install splink pypinyin` (not part of the project's build or CI). The configuration is
what a competent Splink user would write for this data: names split into surname and given name,
with a pinyin column (pypinyin) so that homophones compare equal; IDs cleaned (full 18-digit IDs
only, masked and legacy ones left empty), birth dates normalised and taken from the ID when the
date is missing; phones reduced to their digits without +86 / 021; addresses without the
上海市 / 区 prefix, the registered address compared with both the record's 地址 and 原地址.
Blocking on pinyin of the name, birth date, ID, phone, surname + birth year; u by random
sampling, m by EM on two blocking rules. Prints the wall time of each stage.
"""
import csv
import glob
import os
import re
import sys
import time
import unicodedata

import pandas as pd
from pypinyin import lazy_pinyin
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

gen_dir, out_path = sys.argv[1:3]
clock = time.perf_counter()
stages = []


def stage(name):
    global clock
    now = time.perf_counter()
    stages.append((name, now - clock))
    clock = now


def clean_text(text):
    return unicodedata.normalize("NFKC", text or "").strip()


def split_name(name):
    name = clean_text(name)
    return (name[:1], name[1:]) if name else ("", "")


def pinyin(text):
    return "".join(lazy_pinyin(text)) if text else None


def full_id(text):
    text = clean_text(text).upper()
    return text if re.fullmatch(r"\d{17}[\dX]", text) else None


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


def birth_date(text, id18):
    text = clean_text(text)
    for fmt in DATE_FORMATS:
        try:
            return time.strftime("%Y-%m-%d", time.strptime(text, fmt))
        except ValueError:
            pass
    if id18:
        return f"{id18[6:10]}-{id18[10:12]}-{id18[12:14]}"
    return None


def phone(text):
    first = re.split(r"[;；,，/ ]", clean_text(text))[0] if text else ""
    digits = re.sub(r"\D", "", first)
    for prefix in ("0086", "86", "021"):
        if digits.startswith(prefix) and len(digits) > 8:
            digits = digits[len(prefix):]
    return digits or None


def address(text):
    text = clean_text(text)
    text = re.sub(r"^上海市?", "", text)
    text = re.sub(r"^[^区]{1,4}区", "", text)
    return text or None


def person_row(uid, name, id_text, dob, phone_text, addr1, addr2):
    surname, given = split_name(name)
    id18 = full_id(id_text)
    return {
        "unique_id": uid,
        "surname": surname or None,
        "given": given or None,
        "name_py": pinyin(clean_text(name)),
        "given_py": pinyin(given),
        "id18": id18,
        "dob": birth_date(dob, id18),
        "phone": phone(phone_text),
        "addr1": address(addr1),
        "addr2": address(addr2),
    }


lost = []
with open(os.path.join(gen_dir, "roster.csv"), encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        if row["联系状态"] != "失联":
            continue
        uid = f"{row['权证号']}|{row['姓名']}"
        addr = row.get("户籍地址", "")
        lost.append(person_row(uid, row["姓名"], row.get("身份证号", ""), row.get("出生日期", ""),
                               row.get("联系电话", ""), addr, addr))
records = []
for path in sorted(glob.glob(os.path.join(gen_dir, "reference_*.csv"))):
    with open(path, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            uid = f"{row['来源']}|{row['记录号']}"
            records.append(person_row(uid, row["姓名"], row.get("身份证号", ""), row.get("出生日期", ""),
                                      row.get("联系电话", ""), row.get("地址", ""), row.get("原地址", "")))
left = pd.DataFrame(lost)
right = pd.DataFrame(records)
stage("read and prepare")

settings = SettingsCreator(
    link_type="link_only",
    comparisons=[
        cl.ExactMatch("surname"),
        cl.JaroWinklerAtThresholds("given", [0.9, 0.7]),
        cl.ExactMatch("given_py"),
        cl.LevenshteinAtThresholds("id18", [1, 2]),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.ExactMatch("phone"),
        cl.JaroWinklerAtThresholds("addr1", [0.95, 0.85]),
        cl.JaroWinklerAtThresholds("addr2", [0.95, 0.85]),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("name_py"),
        block_on("dob"),
        block_on("id18"),
        block_on("phone"),
        block_on("surname", "substr(dob, 1, 4)"),
    ],
    retain_intermediate_calculation_columns=False,
)
db_api = DuckDBAPI()
left_sdf = db_api.register(left, dataset_display_name="lost")
right_sdf = db_api.register(right, dataset_display_name="records")
linker = Linker([left_sdf, right_sdf], settings, log_level=30)
linker.training.estimate_probability_two_random_records_match(
    [block_on("id18"), block_on("name_py", "dob")], recall=0.8
)
linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_py"))
stage("train (u sampling, EM)")

predictions = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
stage("predict")

# Each lost person's candidates, best first (the left side is whichever dataset Splink put there).
lost_ids = set(left["unique_id"])
rows = []
for _, p in predictions.iterrows():
    a, b = p["unique_id_l"], p["unique_id_r"]
    person, record = (a, b) if a in lost_ids else (b, a)
    rows.append((person, record, float(p["match_probability"])))
rows.sort(key=lambda r: (r[0], -r[2]))
with open(out_path, "w", encoding="utf-8", newline="") as f:
    out = csv.writer(f)
    out.writerow(["cert_no", "name", "source", "record_id", "rank", "score", "evidence"])
    rank, previous = 0, None
    for person, record, score in rows:
        rank = rank + 1 if person == previous else 1
        previous = person
        if rank > 10:
            continue
        cert_no, name = person.split("|", 1)
        source, record_id = record.split("|", 1)
        out.writerow([cert_no, name, source, record_id, rank, f"{score:.6f}", ""])
stage("rank and write")

print(f"lost persons {len(left)}, reference records {len(right)}, pairs scored >= 0.01: {len(predictions)}")
for name, seconds in stages:
    print(f"{name}: {seconds:.1f} s")
print(f"total: {sum(s for _, s in stages):.1f} s")
