"""Soak of the built-in `http` kind: three `pacer run` workers on one database killed (SIGKILL) and paused past their
lease (SIGSTOP, then SIGCONT: a zombie) at random, while two enqueuers add jobs, a few of them enqueued twice at once
under one unique key. The server answers 500s, 429s with and without Retry-After, too slowly for the job's timeout, and
404 for some URLs. The jobs claim a resource of 20 calls a second and 4 at once.

At the end every job must have finished as its URL says (completed, or discarded after a 404), every request of a job
must carry that job's Idempotency-Key, the server must have answered 2xx to every completed job, no two unfinished
jobs may have held one unique key at once, and no second of requests may hold more than the rate. The store is
PostgreSQL when PGBIN is set (with PGPASSWORD/PACER_DB_PASSWORD and PACER_SOAK_PG, default
postgres://postgres@127.0.0.1:25432), else a SQLite file.

With `operator` as the third argument an operator also cancels and retries jobs all along, with `pacer jobs cancel|retry`
by id and by filter (the jobs carry one of six tags), and retries every cancelled job at the end. Then also: every
command exits 0, or 1 with the message for a job already finished or running; and no job cancelled while not running
sends a request until it is retried (leaving out requests just after a paused worker resumed: a zombie's call in flight
cannot be fenced).

Usage: python3 http_kill_soak.py SEED SECONDS [operator]."""
import http.server, json, os, random, shutil, signal, sqlite3, subprocess, sys, threading, time
from soak_common import ENV, P, WORK

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 1
DURATION = int(sys.argv[2]) if len(sys.argv) > 2 else 90
OPERATOR = len(sys.argv) > 3 and sys.argv[3] == "operator"
PORT, RATE, CAP = 38213, 20, 4
random.seed(SEED)
answers = random.Random(SEED)
d = f"{WORK}/http"
shutil.rmtree(d, ignore_errors=True)
os.makedirs(d)

# What the server saw: (arrival, finish, path, idempotency key, status); and how many requests were in flight at most.
seen, lock, in_flight, most_in_flight = [], threading.Lock(), [0], [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        arrived = time.monotonic()
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            r = answers.random()
            in_flight[0] += 1
            most_in_flight[0] = max(most_in_flight[0], in_flight[0])
        status, headers = 200, {}
        if self.path.startswith("/gone/"):
            status = 404
        elif r < 0.08:
            status = 500
        elif r < 0.11:
            status, headers = 429, {"Retry-After": "1"}
        elif r < 0.13:
            status = 429
        elif r < 0.15:
            time.sleep(2)  # the job's timeout is 1 s: the worker has given up (and retries) before this answer
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        except (BrokenPipeError, ConnectionResetError):
            status = -status  # the worker was gone (killed, or timed out) before the answer
        with lock:
            in_flight[0] -= 1
            seen.append((arrived, time.monotonic(), self.path, self.headers.get("Idempotency-Key"), status))

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

config = f"{d}/pacer.json"
with open(config, "w") as f:
    json.dump({"Pacer": {"LeaseDuration": "00:00:03", "Resources": {
        "hooks": {"Rate": f"{RATE}/s", "Concurrency": CAP, "Hosts": [f"127.0.0.1:{PORT}"]}}}}, f)
if "PGBIN" in os.environ:
    pg = os.environ.get("PACER_SOAK_PG", "postgres://postgres@127.0.0.1:25432")
    dbname = f"http{random.randint(0, 10**9)}_{os.getpid()}"  # the pid: a seed run again gets a new database
    subprocess.run([os.environ["PGBIN"] + "/createdb", "--maintenance-db", pg + "/postgres", dbname], check=True, env=ENV)
    db = f"{pg}/{dbname}"
else:
    db = f"{d}/pacer.db"
log = open(f"{d}/log.txt", "a")
subprocess.run(P + ["migrate", "--db", db], check=True, env=ENV, stdout=log, stderr=log)


def query(sql):
    if "PGBIN" in os.environ:
        out = subprocess.run([os.environ["PGBIN"] + "/psql", db, "-tAF", "\t", "-c", sql.replace("pacer_", "pacer.pacer_")],
                             env=ENV, check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
    with sqlite3.connect(db) as c:
        return [[str(v) for v in row] for row in c.execute(sql)]


def worker(*extra):
    return subprocess.Popen(P + ["run", "--db", db, "--config", config, *extra], stdout=log, stderr=log, env=ENV)


# A backlog enqueued before the workers start, so the rate limit, not the enqueuers, sets the pace; the rest (among them
# every key enqueued twice at once) while the workers run.
keys = list(range(450))
backlog, during = keys[:300], keys[300:]
twice = set(random.sample(during, 40))
ids_by_key, enqueue_errors = {}, []


def enqueue(k):
    path = f"/gone/{k}" if k % 25 == 0 else f"/ok/{k}"
    args = json.dumps({"url": f"http://127.0.0.1:{PORT}{path}", "method": "POST", "body": "x", "timeoutSeconds": 1})
    out = subprocess.run(P + ["enqueue", "http", "--args", args, "--unique-key", f"k{k}", "--tag", f"g{k % 6}", "--db", db, "--config", config, "--json"],
                         env=ENV, capture_output=True, text=True)
    if out.returncode != 0:
        enqueue_errors.append(out.stderr.strip())
        return
    with lock:
        ids_by_key.setdefault(k, []).append(json.loads(out.stdout)["id"])


def enqueuer(share):
    for k in share:
        pair = [threading.Thread(target=enqueue, args=(k,)) for _ in range(2 if k in twice else 1)]
        for t in pair: t.start()
        for t in pair: t.join()


first = [threading.Thread(target=enqueuer, args=(backlog[i::4],)) for i in range(4)]
for t in first: t.start()
for t in first: t.join()
enqueuers = [threading.Thread(target=enqueuer, args=(during[i::2],)) for i in range(2)]
for t in enqueuers: t.start()
workers, stopped, chaos = [worker(), worker(), worker()], set(), [(time.monotonic(), "start", i) for i in range(3)]
kills = pauses = 0
end = time.time() + DURATION
# The operator's commands: (what, exit code, stderr); and, per cancel, (when it returned, the ids then cancelled).
commands, cancelled_at, retried_at, operator_random = [], [], {}, random.Random(SEED + 1)


def pacer_jobs(*args):
    out = subprocess.run(P + ["jobs", *args, "--db", db, "--config", config], env=ENV, capture_output=True, text=True)
    commands.append((" ".join(args), out.returncode, out.stderr.strip()))
    return out


def cancelled_now():
    return {int(row[0]) for row in query("select id from pacer_jobs where state = 'cancelled'")}


def operate():
    while time.time() < end:
        time.sleep(operator_random.uniform(0.5, 2.5))
        r, tag = operator_random.random(), f"g{operator_random.randrange(6)}"
        if r < 0.35:
            pacer_jobs("cancel", "--tag", tag)
            cancelled_at.append((time.monotonic(), cancelled_now()))
        elif r < 0.55:
            ids = [int(row[0]) for row in query("select id from pacer_jobs where finalized_at is null order by random() limit 3")]
            for job_id in ids:
                pacer_jobs("cancel", str(job_id))
            cancelled_at.append((time.monotonic(), cancelled_now()))
        elif r < 0.85:
            started = time.monotonic()
            before = cancelled_now()
            pacer_jobs("retry", "--state", "cancelled", *(["--tag", tag] if r < 0.7 else []))
            for job_id in before - cancelled_now():
                retried_at.setdefault(job_id, []).append(started)
        else:
            for job_id in sorted(cancelled_now())[:3]:
                started = time.monotonic()
                if pacer_jobs("retry", str(job_id)).returncode == 0:
                    retried_at.setdefault(job_id, []).append(started)


operator = threading.Thread(target=operate)
if OPERATOR:
    operator.start()
try:
    while time.time() < end or any(t.is_alive() for t in enqueuers):
        time.sleep(random.uniform(1, 4))
        i, r = random.randrange(3), random.random()
        if i in stopped:
            workers[i].send_signal(signal.SIGCONT); stopped.discard(i); chaos.append((time.monotonic(), "cont", i))
        elif r < 0.5:
            workers[i].kill(); workers[i].wait(); workers[i] = worker(); kills += 1; chaos.append((time.monotonic(), "kill", i))
        elif r < 0.8:
            workers[i].send_signal(signal.SIGSTOP); stopped.add(i); pauses += 1; chaos.append((time.monotonic(), "stop", i))
    for i in stopped: workers[i].send_signal(signal.SIGCONT)
    if OPERATOR:
        operator.join()
    # The last worker runs until no job is unfinished (a drain would stop at jobs retrying later); the operator's
    # cancelled jobs are retried until none is left (a running job's cancel may land after a retry).
    finisher = worker()
    deadline = time.time() + 300
    while time.time() < deadline:
        if query("select count(*) from pacer_jobs where finalized_at is null")[0][0] != "0":
            time.sleep(2)
        elif OPERATOR and (left := cancelled_now()):
            started = time.monotonic()
            pacer_jobs("retry", "--state", "cancelled")
            for job_id in left - cancelled_now():
                retried_at.setdefault(job_id, []).append(started)
        else:
            break
    for w in workers + [finisher]:
        w.send_signal(signal.SIGTERM)
    for w in workers + [finisher]:
        w.wait()
    time.sleep(2.5)  # the slow answers still being written

    with open(f"{d}/requests.json", "w") as f:
        json.dump({"requests": seen, "chaos": chaos}, f)
    jobs = {int(row[0]): (row[1], json.loads(row[2])["url"], int(row[3])) for row in
            query("select id, state, args, attempt from pacer_jobs where kind = 'http'")}
    by_path = {}
    for arrived, finished, path, key, status in seen:
        by_path.setdefault(path, []).append((key, status))
    problems = list(enqueue_errors)
    for job_id, (state, url, attempt) in jobs.items():
        path = url.split(str(PORT), 1)[1]
        requests = by_path.get(path, [])
        ours = [status for key, status in requests if key == f"pacer-{job_id}"]
        want = "discarded" if path.startswith("/gone/") else "completed"
        if state != want:
            problems.append(f"job {job_id} {path}: {state}, expected {want}")
        if state == "completed" and 200 not in ours:
            problems.append(f"job {job_id} {path}: completed, but the server never answered it 200")
    for path, requests in by_path.items():
        job_ids = {job_id for job_id, (_, url, _) in jobs.items() if url.endswith(path)}
        strangers = {key for key, _ in requests if key not in {f"pacer-{j}" for j in job_ids}}
        if strangers:
            problems.append(f"{path}: requests with keys {sorted(strangers)} of no job for that URL")
    # A job's created_at is read before its insert waits for the write lock, so the store's times cannot show two jobs of
    # one key overlapping; the server's can: every request of the first job comes before the second job's first.
    arrivals_by_key = {}
    for arrived, _, _, key, _ in seen:
        arrivals_by_key.setdefault(key, []).append(arrived)
    shared = {}
    for key, job_id in query("select unique_key, id from pacer_jobs where unique_key is not null order by id"):
        shared.setdefault(key, []).append(int(job_id))
    for key, job_ids in shared.items():
        for first, second in zip(job_ids, job_ids[1:]):
            a, b = arrivals_by_key.get(f"pacer-{first}", []), arrivals_by_key.get(f"pacer-{second}", [])
            if a and b and max(a) > min(b):
                problems.append(f"jobs {first} and {second} of unique key {key} both ran at once")
    for what, code, stderr in commands:
        if code not in (0, 1) or "Exception" in stderr or (code == 1 and "already finished" not in stderr and "is running" not in stderr):
            problems.append(f"pacer jobs {what}: exit {code}: {stderr[:300]}")
    resumed = [at for at, action, _ in chaos if action == "cont"]
    for at, ids in cancelled_at:
        for job_id in ids:
            back = min([t for t in retried_at.get(job_id, []) if t > at], default=float("inf"))
            late = [arrived for arrived in arrivals_by_key.get(f"pacer-{job_id}", [])
                    if at + 0.2 < arrived < back and not any(c <= arrived <= c + 2 for c in resumed)]
            if late:
                problems.append(f"job {job_id}: cancelled at {at:.1f}, yet a request arrived at {late[0]:.1f} (retried at {back:.1f})")
    arrivals = sorted(s[0] for s in seen)
    started = [at for at, action, _ in chaos if action != "stop"]  # a worker (re)started, or resumed after SIGSTOP

    def busiest(width, calm=False):
        """The most requests that arrived in `width` seconds; calm: leaving out windows up to 3 s after a worker started or resumed."""
        most, lo = 0, 0
        for hi, t in enumerate(arrivals):
            while arrivals[lo] <= t - width:
                lo += 1
            if not (calm and any(arrivals[lo] - 3 <= at <= t for at in started)):
                most = max(most, hi - lo + 1)
        return most

    # Admission spaces permits 1/RATE apart across the workers, and each worker spaces its own calls; but a call leaves its
    # worker some milliseconds after its permit (more on two loaded cores), so one or two more can land in a second, and
    # calls that waited on a worker's start (its first calls compile code) or on a SIGSTOP leave together. Hence the
    # long-run check over 10 s, and the one-second check only away from starts and resumes.
    second, calm_second, ten_seconds = busiest(1.0), busiest(1.0, calm=True), busiest(10.0)
    if calm_second > RATE + 2 or ten_seconds > 10 * RATE + 2:
        problems.append(f"rate {RATE}/s exceeded: {calm_second} in a second away from worker starts and resumes, {ten_seconds} in 10 s")
    one_job = sum(1 for ids in ids_by_key.values() if len(ids) == 2 and ids[0] == ids[1])
    twice_200 = sum(1 for path, requests in by_path.items() if sum(1 for _, s in requests if s == 200) > 1)
    print(f"jobs={len(jobs)} (keys {len(keys)}, {len(twice)} enqueued twice at once, {one_job} of them got one job) kills={kills} pauses={pauses} "
          f"requests={len(seen)} busiest second={second} ({calm_second} away from worker starts and resumes; rate {RATE}) busiest 10 s={ten_seconds} "
          f"most_in_flight={most_in_flight[0]} (cap {CAP}) "
          f"urls_answered_200_twice={twice_200} max_attempt={max(a for _, _, a in jobs.values())} "
          + (f"operator: {len(commands)} commands, {len(cancelled_at)} cancels, {sum(len(v) for v in retried_at.values())} jobs retried " if OPERATOR else "") +
          f"{'ok' if not problems else 'FAIL'}")
    for p in problems[:20]:
        print("  " + p)
finally:
    end = 0  # the operator stops
    for w in workers:
        if w.poll() is None: w.kill()
    server.shutdown()
