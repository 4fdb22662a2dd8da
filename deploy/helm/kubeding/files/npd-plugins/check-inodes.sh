#!/bin/sh
# node-problem-detector custom plugin for the seed's `inodes` (inode_usage_check): are THRESHOLD
# percent or more of the inodes of the filesystem holding PATH in use? The chart passes /var/log,
# the host directory NPD already mounts, which sits on the node's system disk.
#
# Usage: check-inodes.sh [THRESHOLD=80] [PATH=/var/log]
# Exit status is NPD's protocol: 0 fine, 1 problem, 2 unknown; the first output line is the message.
threshold=${1:-80}
target=${2:-/var/log}

# POSIX format: one header line, then "Filesystem Inodes IUsed IFree IUse% Mounted-on".
if ! report=$(df -Pi "$target" 2>/dev/null); then
  echo "df failed for $target"
  exit 2
fi
set -f
# shellcheck disable=SC2046 # splitting the data line into fields is the point
set -- $(printf '%s\n' "$report" | tail -n 1)
inodes=$2
iused=$3
case "$inodes:$iused" in
  *[!0-9:]* | :* | *:) echo "no inode counts for $target"; exit 2 ;;
esac
# Filesystems without a fixed inode table (btrfs, some overlays) report 0: nothing to run out of.
if [ "$inodes" -eq 0 ]; then
  echo "node has no inode pressure"
  exit 0
fi

used=$((iused * 100 / inodes))
if [ "$used" -ge "$threshold" ]; then
  echo "inodes in use on $target: $iused of $inodes (${used}%)"
  exit 1
fi
echo "node has no inode pressure"
exit 0
