# Shared by the bench scripts, sourced from the repository root: installs GNU time where
# missing, builds the release binary ($bin) and defines `measured`.

if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
fi
# --workspace, like the tests; without the default `cluster` feature (Ballista), which
# the benchmarks do not use and which would build DataFusion with more features.
cargo build --release --workspace --no-default-features >&2
bin=target/release/appraise

# measured RUNS SCRATCH CMD...: runs CMD RUNS times and prints "<median seconds> <peak
# MiB>". Each run's standard output goes to SCRATCH/stdout; functions `before_run` and
# `after_run`, if defined, are called before and after each run.
measured() {
  local runs=$1 scratch=$2
  shift 2
  local times=() peak=0 secs kib
  for _ in $(seq "$runs"); do
    if declare -F before_run >/dev/null; then before_run; fi
    /usr/bin/time -f "%e %M" -o "$scratch/time.txt" "$@" >"$scratch/stdout" 2>/dev/null
    read -r secs kib <"$scratch/time.txt"
    if declare -F after_run >/dev/null; then after_run; fi
    times+=("$secs")
    [ "$kib" -gt "$peak" ] && peak=$kib
  done
  echo "$(median "${times[@]}") $((peak / 1024))"
}

# median VALUES...: the middle one (the lower middle of an even count).
median() {
  printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"
}
