#!/bin/sh
# node-problem-detector custom plugin for the seed's `network_problem`: is the connection
# tracking table THRESHOLD percent full or more? A full table drops new connections node-wide.
# The counters are per network namespace, so the chart runs NPD on the host network when this
# plugin is on. (Upstream's network_problem.sh reads the ip_conntrack_* names that current
# kernels no longer have.)
#
# Usage: check-conntrack.sh [THRESHOLD=90] [COUNT_FILE] [MAX_FILE]
# Exit status is NPD's protocol: 0 fine, 1 problem, 2 unknown; the first output line is the message.
threshold=${1:-90}
count_file=${2:-/proc/sys/net/netfilter/nf_conntrack_count}
max_file=${3:-/proc/sys/net/netfilter/nf_conntrack_max}

if [ ! -r "$count_file" ] || [ ! -r "$max_file" ]; then
  echo "no conntrack table (nf_conntrack not loaded)"
  exit 2
fi
# cat, not `read`: dash reads one byte at a time, and sysctl files answer a read at a non-zero
# offset with end-of-file.
count=$(cat "$count_file")
max=$(cat "$max_file")
case "$count:$max" in
  *[!0-9:]* | :* | *:) echo "unexpected conntrack counters"; exit 2 ;;
esac
if [ "$max" -eq 0 ]; then
  echo "nf_conntrack_max is 0"
  exit 2
fi

used=$((count * 100 / max))
if [ "$used" -ge "$threshold" ]; then
  echo "conntrack table ${used}% full: $count of $max"
  exit 1
fi
echo "conntrack table has room"
exit 0
