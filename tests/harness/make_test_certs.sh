#!/bin/sh
# Throw-away TLS material for tests, generated at test time (never committed), into DIR:
#   ca.crt/ca.key            the test CA
#   server.crt/server.key    signed by it, for 127.0.0.1, ::1 and localhost
#   wronghost.crt/.key       signed by it, for wrong.example only
#   client.crt/client.key    signed by it, a client certificate (mutual TLS)
#   other-ca.crt/.key        an unrelated CA (a wrong CA file)
# Usage: make_test_certs.sh DIR      (EC P-256 keys, valid 2 days; takes well under a second)
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

ca() { # name subject
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$1.key" \
        -out "$1.crt" -days 2 -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

leaf() { # name subject subjectAltName extendedKeyUsage
    openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$1.key" \
        -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\nextendedKeyUsage=%s\n' "$3" "$4" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out "$1.crt" \
        -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

ca ca "vcon-redis test CA"
ca other-ca "unrelated test CA"
leaf server localhost "IP:127.0.0.1,IP:::1,DNS:localhost" serverAuth
leaf wronghost wrong.example "DNS:wrong.example" serverAuth
leaf client vcon-redis-client "DNS:vcon-redis-client" clientAuth
chmod 0644 ./*.crt ./*.key
