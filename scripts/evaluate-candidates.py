#!/usr/bin/env python3
"""Scores `xunren match` candidates against the generator's truth.

usage: evaluate-candidates.py CANDIDATES.csv TRUTH.csv ROSTER.csv

Prints, for lost persons (失联) of the roster: top-1 and recall@5 over those with a true record
(关系 本人 in truth.csv), the precision of candidates scored >= 0.9, and the share of lost persons
without a true record who got no candidate >= 0.9.
"""
import csv
import sys
from collections import defaultdict

candidates_path, truth_path, roster_path = sys.argv[1:4]

lost = set()
with open(roster_path, encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        if row["联系状态"] == "失联":
            lost.add((row["权证号"], row["姓名"]))

true_records = defaultdict(set)
with open(truth_path, encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        if row["关系"] == "本人":
            true_records[(row["权证号"], row["姓名"])].add((row["来源"], row["记录号"]))

ranked = defaultdict(list)
with open(candidates_path, encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        if row.get("kind", "person") != "person":
            continue
        key = (row["cert_no"], row["name"])
        ranked[key].append((int(row["rank"]), float(row["score"]), (row["source"], row["record_id"])))

with_truth = [p for p in lost if true_records.get(p)]
without_truth = [p for p in lost if not true_records.get(p)]
top1 = recall5 = 0
confident = confident_true = 0
for person in lost:
    cands = sorted(ranked.get(person, []))
    truth = true_records.get(person, set())
    if truth:
        if cands and cands[0][2] in truth:
            top1 += 1
        if any(c[2] in truth for c in cands[:5]):
            recall5 += 1
    for _, score, record in cands:
        if score >= 0.9:
            confident += 1
            confident_true += record in truth
clean = sum(1 for p in without_truth if not any(s >= 0.9 for _, s, _ in ranked.get(p, [])))

def share(n, d):
    return f"{n / d:.4f} ({n}/{d})" if d else "n/a"

print(f"lost persons: {len(lost)}, with a true record: {len(with_truth)}, without: {len(without_truth)}")
print(f"top-1: {share(top1, len(with_truth))}")
print(f"recall@5: {share(recall5, len(with_truth))}")
print(f"precision of candidates >= 0.9: {share(confident_true, confident)}")
print(f"no candidate >= 0.9 when no true record: {share(clean, len(without_truth))}")
