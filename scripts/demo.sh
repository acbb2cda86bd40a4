#!/usr/bin/env bash
# The whole job end to end on this machine: the local Neo4j, a simulated city, ingestion,
# detection, an evaluation against the city's truth, a network page on disk, then the API and
# the analysts' pages served on 127.0.0.1 with a ready-made key. Rerunning is safe: the same
# seed writes the same files, which ingestion then skips by checksum.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DEMO_DIR=${DEMO_DIR:-out/demo}
DEMO_RECORDS=${DEMO_RECORDS:-100000}
DEMO_SEED=${DEMO_SEED:-7}
PORT=${DEMO_PORT:-8000}

"$BIN/scalpernet" db start
"$BIN/scalpernet" simulate --out "$DEMO_DIR/city" --records "$DEMO_RECORDS" --seed "$DEMO_SEED"
"$BIN/scalpernet" ingest "$DEMO_DIR/city"
"$BIN/scalpernet" analyze
"$BIN/scalpernet" evaluate --truth "$DEMO_DIR/city/truth.json"
"$BIN/scalpernet" networks --json > "$DEMO_DIR/networks.json"
top=$("$BIN/python" -c 'import json, sys; n = json.load(open(sys.argv[1]))["networks"]; print(n[0]["id"] if n else "")' "$DEMO_DIR/networks.json")
if [ -n "$top" ]; then
    "$BIN/scalpernet" view "$top" --out "$DEMO_DIR/top-network.html"
    echo "highest-risk network $top written to $DEMO_DIR/top-network.html (masked)"
fi
key=$("$BIN/scalpernet" apikey create --role analyst --name "demo analyst" | tail -n 1)
cat <<MSG

ScalperNet is serving on http://127.0.0.1:$PORT (Ctrl-C stops it; Neo4j keeps running:
'scalpernet db stop').
  Analysts' overview:  http://127.0.0.1:$PORT/ui/networks
  Sign in there with this analyst key (ID numbers and phones masked):
    $key
  API, e.g.:  curl -H 'X-API-Key: $key' http://127.0.0.1:$PORT/networks
  OpenAPI:    http://127.0.0.1:$PORT/docs
MSG
exec "$BIN/scalpernet" serve --host 127.0.0.1 --port "$PORT"
