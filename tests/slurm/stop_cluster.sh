#!/usr/bin/env bash
# Stop the test cluster started by start_cluster.sh (by PID, never by name: other Slurms are left alone).
set -uo pipefail
STATE=${FXCORE_SLURM_STATE:-/var/tmp/fxcore-slurm}
scancel --user=root >/dev/null 2>&1 || true
for name in slurmd.run slurmctld.run munged; do
  f="$STATE/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
done
exit 0
