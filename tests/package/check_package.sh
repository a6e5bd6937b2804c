#!/usr/bin/env bash
# Checks the package build_package.sh made in $1/out and unpacked into $1/root: lintian reports no error;
# every file is where Debian keeps it; systemd-analyze verify accepts the unit; the maintainer scripts
# and conffiles are there. As root, on a machine without sterifleet installed (CI): dpkg installs it
# (a system user, its state directory, a first admin secret, nothing enabled or started) and purges it
# (the secret goes, the records stay); what it made is removed afterwards.
set -euo pipefail
work=$1
deb=$(ls "$work"/out/sterifleet_*_"$(dpkg --print-architecture)".deb)
root=$work/root
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

echo "== lintian"
lintian --fail-on error --allow-root --tag-display-limit 0 "$deb" || fail "lintian reports errors"

echo "== layout"
for f in usr/bin/sterifleetd usr/bin/sterifleet usr/bin/sterifleet-sim \
  usr/share/sterifleet/dashboard/index.html usr/share/sterifleet/default_policy.toml \
  usr/share/sterifleet/mosquitto/mosquitto.conf usr/share/sterifleet/mosquitto/sterifleet.acl \
  usr/share/sterifleet/make-certs.sh etc/sterifleet/sterifleetd.toml lib/systemd/system/sterifleetd.service \
  usr/share/doc/sterifleet/copyright usr/share/doc/sterifleet/changelog.gz usr/share/man/man8/sterifleetd.8.gz \
  usr/share/man/man1/sterifleet.1.gz usr/share/man/man1/sterifleet-sim.1.gz; do
  [ -e "$root/$f" ] || fail "/$f is missing"
done
[ -x "$root/usr/bin/sterifleetd" ] || fail "/usr/bin/sterifleetd is not executable"
control=$(dpkg-deb --field "$deb")
grep -q '^Depends:.*adduser' <<<"$control" || fail "Depends lacks adduser"
grep -q '^Depends:.*libpaho-mqttpp3' <<<"$control" || fail "Depends lacks the Paho library (dpkg-shlibdeps)"
grep -q '^Recommends: mosquitto' <<<"$control" || fail "mosquitto is not recommended"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/sterifleet/sterifleetd.toml ] ||
  fail "conffiles is not /etc/sterifleet/sterifleetd.toml"
# The installed configuration documents the installed daemon's every key, at its default.
"$root/usr/bin/sterifleetd" --print-default-config | cmp -s - "$root/etc/sterifleet/sterifleetd.toml" ||
  fail "/etc/sterifleet/sterifleetd.toml is not what the installed sterifleetd --print-default-config prints"

# Verified where its ExecStart points: here into the unpacked root (a copy naming it there), and once
# installed (below) where it is.
verify_unit() {
  local out
  out=$(systemd-analyze verify "$1" 2>&1) || fail "systemd-analyze verify $1: $out"
  [ -z "$out" ] || fail "systemd-analyze verify $1 warns: $out"
}
echo "== systemd-analyze verify"
mkdir -p "$work/unit"
sed "s|/usr/bin/sterifleetd|$root/usr/bin/sterifleetd|" "$root/lib/systemd/system/sterifleetd.service" \
  >"$work/unit/sterifleetd.service"
verify_unit "$work/unit/sterifleetd.service"

if [ "$(id -u)" -eq 0 ] && ! dpkg-query -W sterifleet >/dev/null 2>&1 && ! getent passwd sterifleet >/dev/null &&
  ! getent group sterifleet >/dev/null && [ ! -e /var/lib/sterifleet ] && [ ! -e /etc/sterifleet ]; then
  echo "== dpkg --install, then --purge"
  cleanup() {
    dpkg --purge sterifleet >/dev/null 2>&1 || true
    rm -rf /var/lib/sterifleet /etc/sterifleet
    if getent passwd sterifleet >/dev/null; then deluser --system --quiet sterifleet >/dev/null 2>&1 || true; fi
    if getent group sterifleet >/dev/null; then delgroup --system --quiet sterifleet >/dev/null 2>&1 || true; fi
  }
  trap cleanup EXIT
  dpkg --install "$deb" || fail "dpkg --install failed"
  getent passwd sterifleet >/dev/null || fail "no sterifleet user"
  [ "$(stat -c '%U:%G %a' /var/lib/sterifleet)" = "sterifleet:sterifleet 750" ] ||
    fail "/var/lib/sterifleet is $(stat -c '%U:%G %a' /var/lib/sterifleet)"
  env_file=/etc/sterifleet/sterifleetd.env
  [ "$(stat -c '%U:%G %a' "$env_file")" = "root:sterifleet 640" ] || fail "$env_file is $(stat -c '%U:%G %a' "$env_file")"
  secret=$(sed -n 's/^STERIFLEET_BOOTSTRAP_TOKEN=//p' "$env_file")
  [ "${#secret}" -ge 24 ] || fail "the bootstrap secret has ${#secret} characters"
  [ ! -e /etc/systemd/system/multi-user.target.wants/sterifleetd.service ] || fail "the service was enabled"
  pgrep -f '^/usr/bin/sterifleetd' >/dev/null && fail "the installed sterifleetd runs after the installation"
  verify_unit /lib/systemd/system/sterifleetd.service
  dpkg --install "$deb" >/dev/null || fail "installing again failed"
  [ "$(sed -n 's/^STERIFLEET_BOOTSTRAP_TOKEN=//p' "$env_file")" = "$secret" ] || fail "a reinstallation changed the secret"
  touch /var/lib/sterifleet/sterifleet.db
  dpkg --purge sterifleet || fail "dpkg --purge failed"
  [ ! -e /usr/bin/sterifleetd ] || fail "/usr/bin/sterifleetd is left after the purge"
  [ ! -e "$env_file" ] || fail "the secret is left after the purge"
  [ -e /var/lib/sterifleet/sterifleet.db ] || fail "the purge removed the records"
else
  echo "== dpkg --install skipped (needs root and a machine without sterifleet)"
fi

[ "$failures" -eq 0 ] || exit 1
echo "the package passes"
