"""Kill soak of `pacer sync` on SQLite: emulators with faults (5xx, 429), four destinations (CSV, XLSX, sqlite:, Sheets);
the sync is killed (SIGKILL) or interrupted (SIGINT, as Ctrl+C: it cancels its jobs and exits 130) up to 4 times at random
moments and run again until it exits. Each round checks that every destination holds every video of the emulator once,
and that every interrupted sync exited 130 (or 0, done first). Usage: python3 sync_kill_soak.py SEED ROUNDS (see
docs/benchmarks.md, "Kill soaks")."""
import os, random, shutil, signal, subprocess, sys, time
from soak_common import ENV, P, SHEETS, WORK, YOUTUBE, destinations, get, held, start_emulators

random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
emulators, ids = start_emulators(seed=7, channels=8, rate_limit_rate=0.03)
expected = sum(c["videoCount"] for c in get(YOUTUBE + "_emulator/channels"))  # no uploads between rounds
failures = 0
try:
    for r in range(ROUNDS):
        d = f"{WORK}/r{r}"
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        sheet = f"stress{random.randint(0, 10**9)}"
        args = P + ["sync", "--channels", ",".join(ids), *destinations(d, sheet), "--api-base", YOUTUBE, "--sheets-base", SHEETS, "--db", f"{d}/pacer.db"]
        kills, interrupts, bad_exits = 0, 0, []
        while True:
            out = open(f"{d}/out.txt", "a")
            p = subprocess.Popen(args, stdout=out, stderr=out, env=ENV)
            if kills + interrupts < 4 and random.random() < 0.85:
                time.sleep(random.uniform(0.3, 4.0))
                if p.poll() is None:
                    if random.random() < 0.4:
                        p.send_signal(signal.SIGINT); interrupted = p.wait(); interrupts += 1
                        if interrupted not in (0, 130):
                            bad_exits.append(interrupted)
                        out.write(f"\n--- interrupted {interrupts}: exit {interrupted}\n"); out.close()
                    else:
                        p.kill(); p.wait(); kills += 1; out.write(f"\n--- killed {kills}\n"); out.close()
                    continue
            rc = p.wait(); out.close()
            break
        # Every destination holds every video of the emulator, each once.
        csv_ids, db_ids, sh_ids = held(d, sheet)
        ok = rc == 0 and not bad_exits and set(csv_ids) == set(db_ids) == set(sh_ids) and all(len(x) == len(set(x)) == expected for x in (csv_ids, db_ids, sh_ids))
        print(f"round {r}: rc={rc} kills={kills} interrupts={interrupts}{f' (bad exits {bad_exits})' if bad_exits else ''} expected={expected} csv={len(csv_ids)}/{len(set(csv_ids))} db={len(db_ids)} sheets={len(sh_ids)}/{len(set(sh_ids))} {'ok' if ok else 'FAIL'}", flush=True)
        if not ok:
            failures += 1
            print(open(f"{d}/out.txt").read()[-3000:])
finally:
    for e in emulators: e.kill()
print("failures", failures)
