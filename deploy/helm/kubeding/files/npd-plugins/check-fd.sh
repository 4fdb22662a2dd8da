#!/bin/sh
# node-problem-detector custom plugin for the seed's `fd_check`: are THRESHOLD percent or more of
# the kernel's file handles (fs.file-max) in use? /proc/sys/fs/file-nr is system-wide, so the
# answer is the node's even from inside NPD's container, and reading it costs nothing (ACK's
# version walked every /proc/PID/fd, which its own docs warn is expensive).
#
# Usage: check-fd.sh [THRESHOLD=80] [FILE_NR=/proc/sys/fs/file-nr]
# Exit status is NPD's protocol: 0 fine, 1 problem, 2 unknown; the first output line is the message.
threshold=${1:-80}
file_nr=${2:-/proc/sys/fs/file-nr}

if [ ! -r "$file_nr" ]; then
  echo "cannot read $file_nr"
  exit 2
fi
# file-nr holds three numbers: allocated handles, allocated-but-unused (always 0 since 2.6), max.
# Read with cat: dash's `read` reads one byte at a time, and sysctl files answer a read at a
# non-zero offset with end-of-file.
set -f
# shellcheck disable=SC2046 # splitting the three numbers into fields is the point
set -- $(cat "$file_nr")
allocated=$1
max=$3
case "$allocated:$max" in
  *[!0-9:]* | :* | *:) echo "unexpected content in $file_nr"; exit 2 ;;
esac
if [ "$max" -eq 0 ]; then
  echo "fs.file-max is 0"
  exit 2
fi

used=$((allocated * 100 / max))
if [ "$used" -ge "$threshold" ]; then
  echo "file handles in use: $allocated of $max (${used}%)"
  exit 1
fi
# The same text as the condition's healthy message, so the condition does not flap on it.
echo "node has no fd pressure"
exit 0
