#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: the databases and roles
# of Temporal and of the audit log. Passwords come from the container's environment.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
  -v temporal_user="$TEMPORAL_DB_USER" -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v owner_password="$MANDATES_OWNER_PASSWORD" -v app_password="$MANDATES_APP_PASSWORD" <<'SQL'
CREATE ROLE :"temporal_user" LOGIN CREATEDB PASSWORD :'temporal_password';
-- The audit database: owned by mandates_owner (migrations), used by mandates_app,
-- which may only read and append.
CREATE ROLE mandates_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE mandates_app LOGIN PASSWORD :'app_password';
CREATE DATABASE mandates OWNER mandates_owner;
REVOKE ALL ON DATABASE mandates FROM PUBLIC;
GRANT CONNECT ON DATABASE mandates TO mandates_app;
SQL
