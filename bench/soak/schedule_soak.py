"""Soak of a scheduled sync on PostgreSQL: `pacer sync --every` (every 5 s), two `pacer run` workers on one database killed
and restarted, or paused past their 3 s lease (SIGSTOP, SIGCONT at that worker's next turn), at random, new uploads
between runs, emulators with faults. At the end a foreground sync finishes the
last run; every destination must hold every video once. Needs PGBIN (createdb) and PGPASSWORD/PACER_DB_PASSWORD, and
PACER_SOAK_PG (default postgres://postgres@127.0.0.1:25432). Usage: python3 schedule_soak.py SEED SECONDS."""
import json, os, random, shutil, signal, subprocess, sys, time
from soak_common import ENV, P, SHEETS, WORK, WORKER_CONFIG, YOUTUBE, destinations, get, held, start_emulators

random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
DURATION = int(sys.argv[2]) if len(sys.argv) > 2 else 90
PG = os.environ.get("PACER_SOAK_PG", "postgres://postgres@127.0.0.1:25432")
d = f"{WORK}/sched"
shutil.rmtree(d, ignore_errors=True)
os.makedirs(d)
config = f"{d}/worker.json"
with open(config, "w") as f:
    json.dump(dict(WORKER_CONFIG, Pacer={"LeaseDuration": "00:00:03"}), f)
emulators, ids = start_emulators(seed=9, channels=6, rate_limit_rate=0.02)
dbname = f"sched{random.randint(0, 10**9)}_{os.getpid()}"  # the pid: a seed run again gets a new database
subprocess.run([os.environ["PGBIN"] + "/createdb", "--maintenance-db", PG + "/postgres", dbname], check=True, env=ENV)
url = f"{PG}/{dbname}"
sheet = f"sched{random.randint(0, 10**9)}"
dests = destinations(d, sheet)
log = open(f"{d}/log.txt", "a")
subprocess.run(P + ["migrate", "--db", url], check=True, env=ENV, stdout=log, stderr=log)
subprocess.run(P + ["sync", "--channels", ",".join(ids), *dests, "--every", "*/5 * * * * *", "--name", "stress", "--db", url], check=True, env=ENV, stdout=log, stderr=log)


def worker():
    return subprocess.Popen(P + ["run", "--db", url, "--config", config], stdout=log, stderr=log, env=ENV)


workers, stopped = [worker(), worker()], set()
kills = pauses = uploads = 0
end = time.time() + DURATION
try:
    while time.time() < end:
        time.sleep(random.uniform(1, 6))
        r, i = random.random(), random.randrange(2)
        if i in stopped:
            workers[i].send_signal(signal.SIGCONT); stopped.discard(i)
        elif r < 0.35:
            workers[i].kill(); workers[i].wait(); workers[i] = worker(); kills += 1
        elif r < 0.6:
            workers[i].send_signal(signal.SIGSTOP); stopped.add(i); pauses += 1
        elif r < 0.85:
            get(YOUTUBE + "_emulator/uploads?channelShare=0.3&count=2", b""); uploads += 1
    for i in stopped: workers[i].send_signal(signal.SIGCONT)
    subprocess.run(P + ["schedules", "remove", "stress", "--db", url], env=ENV, stdout=log, stderr=log)
    for w in workers: w.terminate(); w.wait()
    out = open(f"{d}/final.txt", "w")
    rc = subprocess.run(P + ["sync", "--channels", ",".join(ids), *dests, "--api-base", YOUTUBE, "--sheets-base", SHEETS, "--db", url], env=ENV, stdout=out, stderr=out).returncode
    expected = sum(c["videoCount"] for c in get(YOUTUBE + "_emulator/channels"))
    csv_ids, db_ids, sh_ids = held(d, sheet)
    runs = subprocess.run(P + ["jobs", "list", "--kind", "channel-sync", "--json", "--db", url], env=ENV, capture_output=True, text=True).stdout
    nruns = len(json.loads(runs)) if runs.strip().startswith("[") else runs[:200]
    ok = rc == 0 and all(len(x) == expected == len(set(x)) for x in (csv_ids, db_ids, sh_ids))
    print(f"rc={rc} kills={kills} pauses={pauses} uploads={uploads} runs={nruns} expected={expected} csv={len(csv_ids)}/{len(set(csv_ids))} db={len(db_ids)}/{len(set(db_ids))} sheets={len(sh_ids)}/{len(set(sh_ids))} {'ok' if ok else 'FAIL'}")
    if not ok: print(open(f"{d}/final.txt").read()[-3000:])
finally:
    for w in workers:
        if w.poll() is None: w.kill()
    for e in emulators: e.kill()
