#!/usr/bin/env bash
# Stop the test cluster started by start_cluster.sh: by PID file, never by name (other Slurms and
# munged instances on the machine are left alone). --keep-munge stops only slurmd/slurmctld.
set -uo pipefail
STATE=${FXCORE_SLURM_STATE:-/var/tmp/fxcore-slurm}
names="slurmd.run slurmctld.run munged"
if [ "${1:-}" = "--keep-munge" ]; then names="slurmd.run slurmctld.run"; fi
if [ -f "$STATE/slurmctld.run.pid" ] && kill -0 "$(cat "$STATE/slurmctld.run.pid")" 2>/dev/null; then
  timeout 10 scancel --user=root >/dev/null 2>&1 || true   # jobs of the test cluster
fi
for name in $names; do
  f="$STATE/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
done
exit 0
