#!/usr/bin/env bash
# Makes the .deb from the build directory $1 with cpack into $2/out, and unpacks it into $2/root.
set -euo pipefail
build=$1
work=$2
rm -rf "$work/out" "$work/root"
cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log" >&2
  exit 1
}
deb=$(ls "$work"/out/sterifleet_*_"$(dpkg --print-architecture)".deb)
dpkg-deb -x "$deb" "$work/root"
dpkg-deb --info "$deb"
echo "made $deb, unpacked into $work/root"
