#!/bin/sh
# Creates or updates Temporal's persistence and visibility schemas (idempotent).
set -eu
for db in temporal temporal_visibility; do
  case "$db" in
    temporal) schema=temporal ;;
    *) schema=visibility ;;
  esac
  temporal-sql-tool --plugin "$DB" --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" \
    --pw "$POSTGRES_PWD" --db "$db" create || true
  temporal-sql-tool --plugin "$DB" --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" \
    --pw "$POSTGRES_PWD" --db "$db" setup-schema -v 0.0 || true
  temporal-sql-tool --plugin "$DB" --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" \
    --pw "$POSTGRES_PWD" --db "$db" \
    update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
