"""Kill soak of `pacer sync` on SQLite: emulators with faults (5xx, 429), four destinations (CSV, XLSX, sqlite:, Sheets);
the sync is killed (SIGKILL) up to 4 times at random moments and run again until it exits. Each round checks that every
destination holds every video once. Usage: python3 sync_kill_soak.py SEED ROUNDS (see docs/benchmarks.md, "Kill soaks")."""
import subprocess, random, time, json, os, sys, shutil, urllib.request, csv, sqlite3
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
P = ["dotnet", os.environ.get("PACER_CLI", os.path.join(REPO, "src/Pacer.Cli/bin/Release/net10.0/Pacer.Cli.dll"))]
WORK = os.environ.get("SOAK_DIR", "/tmp/pacer-soak")
YT, SH = 38211, 38212
env = dict(os.environ, PACER_YOUTUBE_API_KEY="k", PACER_SHEETS_ACCESS_TOKEN="t")
emus = [subprocess.Popen(P + ["emulate", "youtube", "--port", str(YT), "--seed", "7", "--channels", "8", "--latency", "30",
                              "--error-rate", "0.08", "--rate-limit-rate", "0.03", "--daily-budget", "100000000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env),
        subprocess.Popen(P + ["emulate", "sheets", "--port", str(SH), "--seed", "7", "--latency", "20", "--error-rate", "0.08"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
def get(url):
    for _ in range(100):
        try: return json.load(urllib.request.urlopen(url))
        except Exception: time.sleep(0.2)
    raise SystemExit("emulator did not start: " + url)
chs = get(f"http://127.0.0.1:{YT}/_emulator/channels")
get(f"http://127.0.0.1:{SH}/_emulator/spreadsheets")
ids = [c["id"] for c in chs] if isinstance(chs, list) else [c["id"] for c in chs["channels"]]
failures = 0
try:
  for r in range(ROUNDS):
    d = f"{WORK}/r{r}"; shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    sheet = f"stress{random.randint(0, 10**9)}"
    args = P + ["sync", "--channels", ",".join(ids), "--to", f"{d}/v.csv", "--to", f"{d}/v.xlsx", "--to", f"sqlite:{d}/v.db",
                "--to", f"sheets:{sheet}/Videos", "--api-base", f"http://127.0.0.1:{YT}/", "--sheets-base", f"http://127.0.0.1:{SH}/", "--db", f"{d}/pacer.db"]
    kills = 0
    while True:
        out = open(f"{d}/out.txt", "a")
        p = subprocess.Popen(args, stdout=out, stderr=out, env=env)
        if kills < 4 and random.random() < 0.85:
            time.sleep(random.uniform(0.3, 4.0))
            if p.poll() is None:
                p.kill(); p.wait(); kills += 1; out.write(f"\n--- killed {kills}\n"); out.close(); continue
        rc = p.wait(); out.close()
        break
    # expected: every video of every channel once in each destination
    with open(f"{d}/v.csv") as f: rows = list(csv.reader(f))[1:]
    csv_ids = [x[0] for x in rows]
    db_ids = [x[0] for x in sqlite3.connect(f"{d}/v.db").execute("select video_id from videos")]
    sh = get(f"http://127.0.0.1:{SH}/_emulator/spreadsheets/{sheet}")
    tab = [t for t in sh["sheets"] if t["properties"]["title"] == "Videos"][0] if "sheets" in sh else None
    sh_ids = [row[0] for row in tab["values"][1:]] if tab else []
    ok = rc == 0 and len(csv_ids) == len(set(csv_ids)) and set(csv_ids) == set(db_ids) == set(sh_ids) and len(db_ids) == len(set(db_ids)) and len(sh_ids) == len(set(sh_ids))
    print(f"round {r}: rc={rc} kills={kills} csv={len(csv_ids)}/{len(set(csv_ids))} db={len(db_ids)} sheets={len(sh_ids)}/{len(set(sh_ids))} {'ok' if ok else 'FAIL'}", flush=True)
    if not ok:
        failures += 1
        print(open(f"{d}/out.txt").read()[-3000:])
finally:
    for e in emus: e.kill()
print("failures", failures)
