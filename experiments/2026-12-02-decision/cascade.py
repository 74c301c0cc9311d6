import json, sys, statistics as st
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "eval"))
import calibrate
from rag.answer.decision import Signals, features
NAMES = tuple(sys.argv[1].split(","))
def load(run):
    rows = calibrate.load([Path(run)])
    prob = calibrate.cross_validated(rows, NAMES)
    out = {}
    for i, r in enumerate(rows):
        out[(r["set"], r["id"])] = dict(r, p=prob.get(i))  # None: outright refusal
    return out
r05 = load(sys.argv[2]); r15 = load(sys.argv[3])
sets = sorted({s for s, _ in r15})
def cell(rows, t1, t2=None):
    res = {}
    for s in sets:
        keys = [k for k in r15 if k[0] == s]
        right = refused_a = refused_u = 0; na = nu = 0; times = []
        for k in keys:
            if t2 is None:   # single reader
                r = rows[k]; ok = r["p"] is not None and r["p"] >= t1; t = r["timings"]["total"]; used = r
            else:
                a = r05[k]; t = a["timings"]["total"]
                if a["p"] is not None and a["p"] >= t1: used, ok = a, True
                else:
                    b = r15[k]; t += b["timings"]["total"]; used, ok = b, b["p"] is not None and b["p"] >= t2
            times.append(t)
            if used["answerable"]:
                na += 1; right += ok and used["raw_correct"]; refused_a += not ok
            else:
                nu += 1; refused_u += not ok
        res[s] = (right / na if na else None, refused_a / na if na else None, refused_u / nu if nu else None, st.median(times))
    return res
def show(label, res):
    print(f"| {label} | " + " | ".join(
        "/".join("-" if v is None else f"{v:.2f}" for v in res[s][:3]) + f" ({res[s][3]:.1f}s)" for s in sets) + " |")
print("| config | " + " | ".join(f"{s} right/refA/refU (p50)" for s in sets) + " |")
for t in [0, 0.3, 0.4, 0.5, 0.6]:
    show(f"1.5B t={t}", cell(r15, t))
for t in [0, 0.3, 0.4, 0.5]:
    show(f"0.5B t={t}", cell(r05, t))
for t1 in [0.5, 0.6, 0.7]:
    for t2 in [0.3, 0.4, 0.5]:
        show(f"cascade t1={t1} t2={t2}", cell(None, t1, t2))
