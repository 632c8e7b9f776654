"""What the kill soaks share: the `pacer` command, the emulators with faults, and reading back what each destination holds."""
import csv, json, os, sqlite3, subprocess, time, urllib.error, urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
P = ["dotnet", os.environ.get("PACER_CLI", os.path.join(REPO, "src/Pacer.Cli/bin/Release/net10.0/Pacer.Cli.dll"))]
WORK = os.environ.get("SOAK_DIR", "/tmp/pacer-soak")
YT, SH = 38211, 38212
YOUTUBE, SHEETS = f"http://127.0.0.1:{YT}/", f"http://127.0.0.1:{SH}/"
ENV = dict(os.environ, PACER_YOUTUBE_API_KEY="k", PACER_SHEETS_ACCESS_TOKEN="t")
# A worker's configuration: `pacer run` takes the APIs' addresses from it (a schedule stores none).
WORKER_CONFIG = {"YouTube": {"ApiKey": "k", "BaseAddress": YOUTUBE}, "Sheets": {"AccessToken": "t", "BaseAddress": SHEETS}}


def get(url, data=None):
    """GET (or POST data) an emulator's JSON, waiting while it starts."""
    for _ in range(100):
        try:
            request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
            return json.load(urllib.request.urlopen(request))
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit("no answer: " + url)


def start_emulators(seed, channels, rate_limit_rate):
    """YouTube and Sheets emulators with 8% 5xx (and some 429s from YouTube); returns the processes and the channel ids."""
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    emulators = [
        subprocess.Popen(P + ["emulate", "youtube", "--port", str(YT), "--seed", str(seed), "--channels", str(channels), "--latency", "30",
                              "--error-rate", "0.08", "--rate-limit-rate", str(rate_limit_rate), "--daily-budget", "100000000"], **quiet),
        subprocess.Popen(P + ["emulate", "sheets", "--port", str(SH), "--seed", str(seed), "--latency", "20", "--error-rate", "0.08"], **quiet),
    ]
    ids = [c["id"] for c in get(YOUTUBE + "_emulator/channels")]
    get(SHEETS + "_emulator/spreadsheets")
    return emulators, ids


def destinations(folder, sheet):
    """The four destinations of a soak: CSV, XLSX, a SQLite table and a Sheets tab."""
    return ["--to", f"{folder}/v.csv", "--to", f"{folder}/v.xlsx", "--to", f"sqlite:{folder}/v.db", "--to", f"sheets:{sheet}/Videos"]


def held(folder, sheet):
    """The video ids in the CSV, the SQLite table and the Sheets tab, in their order (duplicates kept)."""
    with open(f"{folder}/v.csv") as f:
        csv_ids = [row[0] for row in list(csv.reader(f))[1:]]
    db_ids = [row[0] for row in sqlite3.connect(f"{folder}/v.db").execute("select video_id from videos")]
    tabs = [t for t in get(f"{SHEETS}_emulator/spreadsheets/{sheet}").get("sheets", []) if t["properties"]["title"] == "Videos"]
    sheet_ids = [row[0] for row in tabs[0]["values"][1:]] if tabs else []
    return csv_ids, db_ids, sheet_ids
