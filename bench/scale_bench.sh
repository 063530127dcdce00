#!/usr/bin/env bash
# Scale benchmark (issue 16): how kiln's cost grows with the work. COPY-only Windows builds on
# the synthetic Nano Server base (samples/bases) of generated contexts:
#   3k / 30k / 300k   3,000 / 30,000 / 300,000 small files (0.5-8 KiB, W2's generator
#                     ../shared/bench/gen_context.py small --files N)
#   1g / 4g / 16g     1 / 4 / 16 GiB in 2,000 files (bench/gen_sized_context.py: real bytes,
#                     half random, half text; not sparse)
# Each build starts from an empty store with no cache; wall time, CPU time (user + sys) and
# peak RSS come from /usr/bin/time -v. Then the growth table: per size, time per file (file
# sizes) or per GiB (GiB sizes), and the ratio of each figure to the smallest size of its
# series. On the largest size built: `kiln analyze` and `kiln shrink` of the image, and
# `kiln push` of it to a local docker-registry beside `curl -T` of the same blobs (the peer,
# in the same hyperfine run, each from an empty registry).
#
# Usage: bench/scale_bench.sh [path/to/kiln]
#   SIZES="3k 30k 300k 1g 4g 16g" (default: all; 16g needs ~45 GB of disk and minutes)
#   RUNS=1 (builds per size; the median is reported), PUSH_RUNS=3, KEEP=1 keeps the contexts
# Results: bench/out/scale/{summary.md,builds.tsv,push.md,...}. Contexts and stores live under
# bench/work/scale and are removed at the end (each context right after its size) unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
sizes=${SIZES:-3k 30k 300k 1g 4g 16g}
runs=${RUNS:-1}
push_runs=${PUSH_RUNS:-3}
shared=${KILN_SHARED_DIR:-$(realpath -m ../shared)}
[[ -d $shared ]] || shared=$(realpath -m ../../shared)  # from a worktree (/work/wt/<name>)
work=$(realpath -m bench/work/scale)
out=bench/out/scale
base=$(realpath samples/bases/nanoserver)
mkdir -p "$work" "$out"
reg_pid=""
cleanup() {
  [[ -n $reg_pid ]] && kill "$reg_pid" 2>/dev/null || true
  if [[ -z ${KEEP:-} ]]; then rm -rf "$work"; else rm -rf "$work"/store* "$work"/registry; fi
}
trap cleanup EXIT

echo "scale_bench: load $(uptime)" | tee "$out/load.txt"
printf 'size\tfiles\tbytes\trun\twall_s\tcpu_s\trss_kib\n' > "$out/builds.tsv"

make_context() {  # SIZE DIR
  local size=$1 dir=$2
  [[ -f $dir/.done ]] && return 0
  rm -rf "$dir"
  case $size in
    *k) if [[ ! -f $shared/bench/gen_context.py ]]; then
          echo "scale_bench: needs ../shared/bench/gen_context.py for $size (set KILN_SHARED_DIR)" >&2
          exit 2
        fi
        python3 "$shared/bench/gen_context.py" small "$dir/data" --files $((${size%k} * 1000)) > /dev/null ;;
    *g) python3 bench/gen_sized_context.py "$dir/data" $((${size%g} * 1024)) 2000 > /dev/null ;;
    *) echo "scale_bench: unknown size $size (3k 30k 300k 1g 4g 16g, or any Nk / Ng)" >&2; exit 2 ;;
  esac
  printf 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY data C:/data\n' > "$dir/Dockerfile"
  printf '.done\nDockerfile\n' > "$dir/.dockerignore"
  touch "$dir/.done"
}

build_cmd() {  # STORE CTX
  echo "$kiln --root $1 --progress quiet build --no-cache -t scale:1 \
--build-context mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base:ltsc2022 $2"
}

last=""
for size in $sizes; do
  ctx=$work/ctx-$size
  echo "== $size: generating the context"
  make_context "$size" "$ctx"
  files=$(find "$ctx/data" -type f | wc -l)
  bytes=$(du -sb --apparent-size "$ctx/data" | cut -f1)
  tar -cf - -C "$ctx" data > /dev/null  # page cache warm, as for every other bench
  for run in $(seq 1 "$runs"); do
    rm -rf "$work/store"
    # shellcheck disable=SC2046
    /usr/bin/time -v $(build_cmd "$work/store" "$ctx") 2> "$work/time.txt" > /dev/null ||
      { cat "$work/time.txt" >&2; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt" |
           awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$work/time.txt")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$files" "$bytes" "$run" "$wall" "$cpu" "$rss" |
      tee -a "$out/builds.tsv"
  done
  if [[ $size == "${sizes##* }" ]]; then
    last=$size
    # Every blob of the image for curl, base layers included: a cached rebuild with an
    # OCI-layout output (which fetches the base layers into the store too).
    "$kiln" --root "$work/store" --progress quiet build -t scale:1 \
      --build-context "mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base:ltsc2022" \
      -o "type=oci,dest=$work/layout" "$ctx" > /dev/null
    mv "$work/store" "$work/store-last"
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$ctx"
done

# The growth table: medians per size; per-file figures for the file series, per-GiB for the
# byte series, each as a ratio to the smallest size of its series.
python3 - "$out/builds.tsv" > "$out/summary.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
sizes = []
for r in rows:
    if r["size"] not in sizes: sizes.append(r["size"])
def med(size, key): return statistics.median(float(r[key]) for r in rows if r["size"] == size)
print("| size | files | GiB | wall s | CPU s | peak RSS MiB | wall per unit | ratio | CPU per unit | ratio | RSS ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
first = {}
for s in sizes:
    r = next(x for x in rows if x["size"] == s)
    files, gib = int(r["files"]), int(r["bytes"]) / 2**30
    wall, cpu, rss = med(s, "wall_s"), med(s, "cpu_s"), med(s, "rss_kib") / 1024
    series = "g" if s.endswith("g") else "k"
    unit = gib if series == "g" else files / 1000
    unit_name = "s/GiB" if series == "g" else "ms/file"
    scale = 1 if series == "g" else 1  # per 1,000 files in s == per file in ms
    w, c = wall / unit * scale, cpu / unit * scale
    if series not in first: first[series] = (w, c, rss)
    f = first[series]
    print(f"| {s} | {files} | {gib:.2f} | {wall:.2f} | {cpu:.2f} | {rss:.1f} | {w:.3f} {unit_name} | "
          f"{w / f[0]:.2f} | {c:.3f} {unit_name} | {c / f[1]:.2f} | {rss / f[2]:.2f} |")
PY
cat "$out/summary.md"

[[ -n $last ]] || exit 0
store=$work/store-last
echo "== analyze and shrink of the $last image"
hyperfine --runs 1 --export-markdown "$out/analyze_shrink.md" \
  -n "kiln analyze ($last)" "$kiln --root $store analyze scale:1 --json > /dev/null" \
  -n "kiln shrink ($last)" "$kiln --root $store --progress quiet shrink scale:1 -t scale:shrunk > /dev/null"
for cmd in "analyze scale:1 --json" "--progress quiet shrink scale:1 -t scale:shrunk2"; do
  # shellcheck disable=SC2086
  /usr/bin/time -v "$kiln" --root "$store" $cmd 2>&1 > /dev/null |
    awk -v c="kiln $cmd" '/Maximum resident/ { print c ": peak RSS " $6 " KiB" }' |
    tee -a "$out/analyze_shrink.md"
done

echo "== push of the $last image: kiln push vs curl -T of the same blobs"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/registry/data}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port, secret: bench}
EOF
docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" > /dev/null && break; sleep 0.1; done
reg=127.0.0.1:$port
blobs=$(python3 - "$work/layout" <<'PY'
import json, os, sys
d = sys.argv[1]
blob = lambda digest: json.load(open(os.path.join(d, "blobs/sha256", digest.split(":")[1])))
m = blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])
# With provenance the layout holds an index: the image is its first manifest with a platform
# other than unknown/unknown (the attestation manifests).
while "config" not in m:
    m = blob(next(x for x in m["manifests"]
                  if x.get("platform", {}).get("os") != "unknown")["digest"])
print(" ".join([m["config"]["digest"].split(":")[1]] + [l["digest"].split(":")[1] for l in m["layers"]]))
PY
)
cat > "$work/curl_push.sh" <<EOF
#!/usr/bin/env bash
set -e
repo=scale/curl-\$(date +%s%N)
for d in $blobs; do
  loc=\$(curl -sf -X POST -D - -o /dev/null "http://$reg/v2/\$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  curl -sf -T "$work/layout/blobs/sha256/\$d" -H 'Content-Type: application/octet-stream' "\$loc&digest=sha256:\$d" -o /dev/null
done
EOF
chmod +x "$work/curl_push.sh"
echo "push: $(du -sbL "$work/layout/blobs" | cut -f1) bytes of blobs" | tee "$out/push.txt"
hyperfine --runs "$push_runs" --prepare "rm -rf $work/registry/data" \
  --export-markdown "$out/push.md" --export-json "$out/push.json" \
  -n "kiln push ($last)" \
  "sh -c '$kiln --root $store --progress quiet push scale:1 $reg/scale/kiln-\$(date +%s%N):1 > /dev/null'" \
  -n "curl -T ($last, same blobs)" "$work/curl_push.sh"
rm -rf "$work/registry/data"
/usr/bin/time -v "$kiln" --root "$store" --progress quiet push scale:1 "$reg/scale/rss:1" 2>&1 > /dev/null |
  awk '/Maximum resident/ { print "kiln push: peak RSS " $6 " KiB" }' | tee -a "$out/push.txt"
echo "scale_bench: load after $(uptime)" | tee -a "$out/load.txt"
