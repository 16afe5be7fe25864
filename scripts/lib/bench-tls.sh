#!/usr/bin/env bash
# Sourced by scripts/bench.sh: the run's private CA for the peers step's
# TLS mode (--tls).
#
# make_tls_dir DIR: a private CA made for this run (RSA 2048, root >
# intermediate > server for 127.0.0.1, as a public endpoint's chain is),
# and the bundles each runtime trusts it through, as it would on Lambda:
# ours and the HTTPS floor read the system roots plus the CA
# (SSL_CERT_FILE), Node adds the CA to its own (NODE_EXTRA_CA_CERTS),
# botocore reads its roots plus the CA (AWS_CA_BUNDLE; needs the Python
# peer's venv under $PEERS_DIR).
make_tls_dir() {
  local d="$1" system=""
  rm -rf "$d" && mkdir -p "$d"
  for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    [[ -f "$f" ]] && { system="$f"; break; }
  done
  [[ -n "$system" ]] || { echo "bench.sh: no system CA bundle" >&2; return 1; }
  local ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
  (
    cd "$d"
    openssl req -x509 -new -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
      -subj "/CN=Orders bench root $(date +%s%N)" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/CN=Orders bench intermediate"
    openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out int.pem -days 2 \
      -extfile <(printf '%s\n' "$ca_ext")
    openssl req -new -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
    openssl x509 -req -in server.csr -CA int.pem -CAkey int.key -CAcreateserial -out server.pem -days 2 \
      -extfile <(printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid")
    cat server.pem int.pem >chain.pem
    openssl verify -CAfile ca.pem -untrusted int.pem server.pem
  ) >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; return 1; }
  cat "$system" "$d/ca.pem" >"$d/system-roots-and-ca.pem"
  local botocore
  botocore="$("$PEERS_DIR/python/venv/bin/python" -c 'from botocore.httpsession import get_cert_path; print(get_cert_path(True))')" || return 1
  cat "$botocore" "$d/ca.pem" >"$d/botocore-roots-and-ca.pem"
}
