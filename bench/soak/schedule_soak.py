"""Soak of a scheduled sync on PostgreSQL: `pacer sync --every` (every 5 s), two `pacer run` workers on one database killed
and restarted at random, new uploads between runs, emulators with faults. At the end a foreground sync finishes the
last run; every destination must hold every video once. Needs PGBIN (createdb) and PGPASSWORD/PACER_DB_PASSWORD, and
PACER_SOAK_PG (default postgres://postgres@127.0.0.1:25432). Usage: python3 schedule_soak.py SEED SECONDS."""
import subprocess, random, time, json, os, sys, shutil, urllib.request, csv, sqlite3
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
DURATION = int(sys.argv[2]) if len(sys.argv) > 2 else 90
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
P = ["dotnet", os.environ.get("PACER_CLI", os.path.join(REPO, "src/Pacer.Cli/bin/Release/net10.0/Pacer.Cli.dll"))]
WORK = os.environ.get("SOAK_DIR", "/tmp/pacer-soak")
PG = os.environ.get("PACER_SOAK_PG", "postgres://postgres@127.0.0.1:25432")
os.makedirs(WORK, exist_ok=True)
open(f"{WORK}/worker.json", "w").write(json.dumps({"YouTube": {"ApiKey": "k", "BaseAddress": "http://127.0.0.1:38211/"}, "Sheets": {"AccessToken": "t", "BaseAddress": "http://127.0.0.1:38212/"}}))
YT, SH = 38211, 38212
env = dict(os.environ, PACER_YOUTUBE_API_KEY="k", PACER_SHEETS_ACCESS_TOKEN="t")
emus = [subprocess.Popen(P + ["emulate", "youtube", "--port", str(YT), "--seed", "9", "--channels", "6", "--latency", "30",
                              "--error-rate", "0.08", "--rate-limit-rate", "0.02", "--daily-budget", "100000000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env),
        subprocess.Popen(P + ["emulate", "sheets", "--port", str(SH), "--seed", "9", "--latency", "20", "--error-rate", "0.08"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
def get(url, data=None):
    for _ in range(100):
        try: return json.load(urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")))
        except Exception: time.sleep(0.2)
    raise SystemExit("no answer: " + url)
chs = get(f"http://127.0.0.1:{YT}/_emulator/channels"); get(f"http://127.0.0.1:{SH}/_emulator/spreadsheets")
ids = [c["id"] for c in chs]
d = f"{WORK}/sched"; shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
dbname = f"sched{random.randint(0, 10**9)}"
subprocess.run([os.environ["PGBIN"] + "/createdb", "--maintenance-db", PG + "/postgres", dbname], check=True, env=env)
url = f"{PG}/{dbname}"
sheet = f"sched{random.randint(0, 10**9)}"
dests = ["--to", f"{d}/v.csv", "--to", f"{d}/v.xlsx", "--to", f"sqlite:{d}/v.db", "--to", f"sheets:{sheet}/Videos"]
log = open(f"{d}/log.txt", "a")
subprocess.run(P + ["migrate", "--db", url], check=True, env=env, stdout=log, stderr=log)
subprocess.run(P + ["sync", "--channels", ",".join(ids), *dests, "--every", "*/5 * * * * *", "--name", "stress", "--db", url], check=True, env=env, stdout=log, stderr=log)
def worker():
    return subprocess.Popen(P + ["run", "--db", url, "--config", f"{WORK}/worker.json"], stdout=log, stderr=log, env=env)
workers = [worker(), worker()]
kills = uploads = 0
end = time.time() + DURATION
try:
    while time.time() < end:
        time.sleep(random.uniform(1, 6))
        r = random.random()
        if r < 0.5:
            i = random.randrange(2); workers[i].kill(); workers[i].wait(); workers[i] = worker(); kills += 1
        elif r < 0.8:
            get(f"http://127.0.0.1:{YT}/_emulator/uploads?channelShare=0.3&count=2", b""); uploads += 1
    subprocess.run(P + ["schedules", "remove", "stress", "--db", url], env=env, stdout=log, stderr=log)
    for w in workers: w.terminate(); w.wait()
    out = open(f"{d}/final.txt", "w")
    rc = subprocess.run(P + ["sync", "--channels", ",".join(ids), *dests, "--api-base", f"http://127.0.0.1:{YT}/", "--sheets-base", f"http://127.0.0.1:{SH}/", "--db", url], env=env, stdout=out, stderr=out).returncode
    expected = sum(c["videoCount"] for c in get(f"http://127.0.0.1:{YT}/_emulator/channels"))
    with open(f"{d}/v.csv") as f: csv_ids = [x[0] for x in list(csv.reader(f))[1:]]
    db_ids = [x[0] for x in sqlite3.connect(f"{d}/v.db").execute("select video_id from videos")]
    sh = get(f"http://127.0.0.1:{SH}/_emulator/spreadsheets/{sheet}")
    tab = [t for t in sh["sheets"] if t["properties"]["title"] == "Videos"][0]
    sh_ids = [row[0] for row in tab["values"][1:]]
    runs = subprocess.run(P + ["jobs", "list", "--kind", "channel-sync", "--json", "--db", url], env=env, capture_output=True, text=True).stdout
    nruns = len(json.loads(runs)) if runs.strip().startswith("[") else runs[:200]
    ok = rc == 0 and all(len(x) == expected == len(set(x)) for x in (csv_ids, db_ids, sh_ids))
    print(f"rc={rc} kills={kills} uploads={uploads} runs={nruns} expected={expected} csv={len(csv_ids)}/{len(set(csv_ids))} db={len(db_ids)}/{len(set(db_ids))} sheets={len(sh_ids)}/{len(set(sh_ids))} {'ok' if ok else 'FAIL'}")
    if not ok: print(open(f"{d}/final.txt").read()[-3000:])
finally:
    for w in workers:
        if w.poll() is None: w.kill()
    for e in emus: e.kill()
