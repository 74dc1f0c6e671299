"""1,000 web leads with the phones legacy forms carry (old seven-digit landlines, numbers
without an area code, a digit missing, "暂无", stray digits) and e-mails with typos, sent to
POST /api/v1/leads of a running demo server. Every lead must be answered 201 (saved) or 409
(a duplicate, followed up on the customer it is): none lost.

    leadguard serve --demo --listen 127.0.0.1:18080 --database-url sqlite:///tmp/lt.db &
    python3 bench/imperfect_leads.py            # prints the count per status
"""
import collections, json, os, random, sys, urllib.request
base = "http://127.0.0.1:18080/api/v1"
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
s, v = call("POST", "/auth/login", {"username": "admin", "password": "leadguard-demo"})
tok = v["token"]
names = [l.split("\t")[0] for l in open(os.path.join(os.path.dirname(__file__), "..", "crates/matching/tests/data/real_names.tsv"), encoding="utf-8")
         if l.strip() and not l.startswith("#") and not l.startswith("full_name")]
random.seed(7)
areas = ["0531", "0755", "0532", "0571", "020", "028", "0512", "0731"]
def phone(i):
    k = i % 7
    a = areas[i % len(areas)]
    if k == 0: return f"{a} {8000000 + i}"          # old 7-digit landline
    if k == 1: return f"({a}){2000000 + i}"
    if k == 2: return f"{80000000 + i}"             # no area code
    if k == 3: return f"138{i:07d}"                 # a digit missing
    if k == 4: return "暂无"
    if k == 5: return f"1{i:03d}"                   # stray digits
    return f"{a}-{60000000 + i}"
statuses = collections.Counter()
bad = []
for i in range(1000):
    n = names[i % len(names)]
    if i >= len(names) and i < 2 * len(names):
        n = n.replace("有限公司", "").replace("股份", "")   # a short form: a duplicate lead
    lead = {"name": n, "phones": [phone(i % len(names) if i >= len(names) else i)], "source": "官网"}
    if i % 5 == 0: lead["emails"] = [f"info{i}@qq.con"]
    s, v = call("POST", "/leads", lead, tok)
    statuses[s] += 1
    if s not in (201, 409): bad.append((s, lead, v))
print(dict(statuses))
for b in bad[:10]:
    print(b)
sys.exit(1 if bad else 0)
