#!/bin/sh
# Gives Grafana an admin password that is never admin/admin: GRAFANA_ADMIN_PASSWORD when set,
# otherwise one generated on first start and kept in the grafana-secrets volume.
# Read it with: docker compose exec grafana cat /run/secrets/grafana/admin-password
set -eu
file=/run/secrets/grafana/admin-password
if [ -n "${GRAFANA_ADMIN_PASSWORD:-}" ]; then
  printf '%s' "$GRAFANA_ADMIN_PASSWORD" > "$file"
elif [ ! -s "$file" ]; then
  tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 24 > "$file"
  echo "generated a Grafana admin password: docker compose exec grafana cat $file"
fi
# Grafana runs as uid 472 and only needs to read it.
chown 472 "$file"
chmod 400 "$file"
