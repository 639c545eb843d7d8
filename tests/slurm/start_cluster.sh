#!/usr/bin/env bash
# Start a real one-node Slurm cluster on this machine (root; Debian's slurm-wlm + munge), with one
# scheduling-only GPU (gres file /dev/null). Daemons run under setsid; PIDs go to $STATE/*.pid.
# Stop it with tests/slurm/stop_cluster.sh. Prints the partition name on success.
set -euo pipefail
STATE=${FXCORE_SLURM_STATE:-/var/tmp/fxcore-slurm}
PARTITION=${FXCORE_SLURM_PARTITION:-debug}

if [ "$(id -u)" -ne 0 ]; then echo "start_cluster: must run as root" >&2; exit 2; fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

mkdir -p "$STATE"/{spool,state} /etc/slurm /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create --force >/dev/null 2>&1 || create-munge-key -f >/dev/null 2>&1 || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key

NODE=$(hostname -s)
read -r CPUS MEM < <(slurmd -C | awk '{for(i=1;i<=NF;i++){split($i,a,"="); if(a[1]=="CPUs")c=a[2]; if(a[1]=="RealMemory")m=a[2]}} END{print c, m}')
MEM=$((MEM - 512))
# slurm.conf must live at /etc/slurm: the job-step plugin drops SLURM_CONF before its inner srun.
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=fxcore-test
SlurmctldHost=$NODE
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/jobcomp.txt
MailProg=/bin/true
MinJobAge=600
ReturnToService=2
GresTypes=gpu
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM Gres=gpu:1 State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
echo "Name=gpu File=/dev/null" > /etc/slurm/gres.conf

# munged as user munge; setpriv execs (no forking wrapper), so $! is munged's own PID.
# A munged that already answers (another cluster on this machine) is reused, not replaced.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  setsid setpriv --reuid=munge --regid=munge --init-groups munged -F >"$STATE/munged.out" 2>&1 < /dev/null &
  echo $! > "$STATE/munged.pid"
  for _ in $(seq 100); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
# a previous run's daemons (killed test) are stopped first, by their PID files
bash "$(dirname "$0")/stop_cluster.sh" --keep-munge
setsid slurmctld -D >"$STATE/slurmctld.out" 2>&1 < /dev/null &
echo $! > "$STATE/slurmctld.run.pid"
setsid slurmd -D >"$STATE/slurmd.out" 2>&1 < /dev/null &
echo $! > "$STATE/slurmd.run.pid"

for _ in $(seq 60); do
  if sinfo -h -N -o "%t" 2>/dev/null | grep -qx "idle"; then echo "$PARTITION"; exit 0; fi
  sleep 0.5
done
echo "start_cluster: node did not become idle in 30 s; see $STATE/*.log" >&2
sinfo >&2 || true
exit 1
