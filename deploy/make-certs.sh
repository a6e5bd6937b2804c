#!/bin/sh
# Makes the certificates of a sterifleet installation with openssl: a private CA, the broker's and the
# API's server certificates, the daemon's client certificate and one client certificate per device.
# The broker takes a client certificate's common name as the account name (use_identity_as_username),
# so the ACL (%u) lets each device publish only under its own topics.
#
# Run it again with more device ids to add devices: the CA and every certificate already in DIR are
# kept (delete a certificate and its key to issue it again). With -r it revokes devices' certificates (a
# lost or stolen device) and writes the broker's certificate revocation list again.
set -eu

usage() {
  cat >&2 <<EOF
usage: $0 [-d DAYS] DIR BROKER_HOST API_HOST [DEVICE_ID ...]
       $0 -r DIR DEVICE_ID ...
  DIR          where the files go (created): ca.pem ca.key crl.pem broker.pem broker.key api.pem api.key
               daemon.pem daemon.key devices/<id>.pem devices/<id>.key
  BROKER_HOST  the name or IP address devices and the daemon connect to (the broker certificate's)
  API_HOST     the name or IP address of the HTTPS API and dashboard (the API certificate's)
  DEVICE_ID    a device id as on its topics ([A-Za-z0-9_.-]{1,64}); its certificate's common name
  -d DAYS      validity of the certificates (default 825; the CA: 3650)
  -r           revoke the devices' certificates (moved to revoked/) and write crl.pem again
EOF
  exit 2
}

days=825
revoke=false
while getopts d:r flag; do
  case $flag in
    d) days=$OPTARG ;;
    r) revoke=true ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
case $days in '' | *[!0-9]*) echo "$0: -d wants a number of days, not '$days'" >&2; exit 2 ;; esac
if $revoke; then
  [ $# -ge 2 ] || usage
  dir=$1
  shift
else
  [ $# -ge 3 ] || usage
  dir=$1 broker_host=$2 api_host=$3
  shift 3
  for host in "$broker_host" "$api_host"; do
    if ! printf '%s' "$host" | grep -Eqx '[A-Za-z0-9.:-]{1,253}'; then
      echo "$0: '$host' is not a host name or IP address" >&2
      exit 2
    fi
  done
fi

# The daemon's account name; a device with this name would get the daemon's rights in the ACL.
daemon_name=sterifleetd
for id in "$@"; do
  if ! printf '%s' "$id" | grep -Eqx '[A-Za-z0-9_.-]{1,64}'; then
    echo "$0: '$id' is not a device id ([A-Za-z0-9_.-]{1,64})" >&2
    exit 2
  fi
  if [ "$id" = "$daemon_name" ]; then
    echo "$0: '$daemon_name' is the daemon's account, not a device id" >&2
    exit 2
  fi
done

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs openssl quietly; on failure shows what it said and stops.
run_openssl() {
  if ! openssl "$@" 2>"$work/errors"; then
    echo "$0: openssl $1 failed:" >&2
    cat "$work/errors" >&2
    exit 1
  fi
}

# The subjectAltName of a host: an IP address (v4 digits and dots, or v6 with colons) or a DNS name.
alt_name() {
  case $1 in
    *:*) echo "IP:$1" ;;
    *[!0-9.]*) echo "DNS:$1" ;;
    *) echo "IP:$1" ;;
  esac
}

# Revokes the devices given (none: just writes the list) in the CA's record of what it revoked (openssl
# ca's database) and writes the list the broker checks. Mosquitto refuses every client once the list
# is past its next update, and the list only changes when a device is revoked: it is made valid as
# long as the CA.
revoke_and_write_crl() {
  [ -f "$dir/index.txt" ] || : >"$dir/index.txt"
  [ -f "$dir/crlnumber" ] || echo 1000 >"$dir/crlnumber"
  cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = sterifleet
[sterifleet]
database = $dir/index.txt
unique_subject = no
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
default_crl_days = 3650
EOF
  for id in "$@"; do
    run_openssl ca -config "$work/ca.cnf" -revoke "$dir/devices/$id.pem"
    mkdir -p "$dir/revoked"
    serial=$(openssl x509 -noout -serial -in "$dir/devices/$id.pem")
    mv "$dir/devices/$id.pem" "$dir/revoked/$id.${serial#serial=}.pem"
    rm -f "$dir/devices/$id.key"
    echo "revoked $id"
  done
  run_openssl ca -config "$work/ca.cnf" -gencrl -out "$dir/crl.pem"
}

if $revoke; then
  [ -f "$dir/ca.key" ] || { echo "$0: no CA in $dir" >&2; exit 1; }
  for id in "$@"; do
    [ -f "$dir/devices/$id.pem" ] || { echo "$0: $id has no certificate in $dir/devices" >&2; exit 1; }
  done
  revoke_and_write_crl "$@"
  echo "made $dir/crl.pem: install it as the broker's crlfile and restart Mosquitto" \
    "(a connected device stays connected until then)"
  exit 0
fi

mkdir -p "$dir/devices"
if [ ! -f "$dir/ca.key" ]; then
  run_openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 3650 \
    -subj "/CN=sterifleet CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  echo "made $dir/ca.pem"
fi

# issue FILE_STEM COMMON_NAME EXTENDED_KEY_USAGE [SUBJECT_ALT_NAME]
issue() {
  if [ -f "$1.pem" ]; then
    echo "kept $1.pem"
    return
  fi
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$3"
    if [ $# -ge 4 ]; then echo "subjectAltName=$4"; fi
  } >"$work/extensions"
  run_openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
    -keyout "$1.key" -out "$work/request"
  run_openssl x509 -req -sha256 -days "$days" -in "$work/request" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/extensions" -out "$1.pem"
  echo "made $1.pem ($2)"
}

issue "$dir/broker" "$broker_host" serverAuth "$(alt_name "$broker_host")"
issue "$dir/api" "$api_host" serverAuth "$(alt_name "$api_host")"
issue "$dir/daemon" "$daemon_name" clientAuth
for id in "$@"; do
  issue "$dir/devices/$id" "$id" clientAuth
done
if [ ! -f "$dir/crl.pem" ]; then
  revoke_and_write_crl
  echo "made $dir/crl.pem"
fi
