#!/usr/bin/env bash
# Loads a folder of appraise's CSV tables (the demo: fixtures/demo; or what
# `appraise generate` writes) into a PostgreSQL or MySQL/MariaDB database, one table per
# file under the contract's names, every column text, so that the database path can be
# tried in minutes:
#
#   scripts/load-database.sh postgresql://user@host:5432/db fixtures/demo
#   scripts/load-database.sh mysql://user@host:3306/db fixtures/demo
#   appraise ingest --from postgresql://user@host:5432/db --into warehouse/
#
# The password comes from the address or, better, from PGPASSWORD / MYSQL_PWD. Tables of
# those names already in the database are replaced. It uses the databases' own clients:
# psql's \copy, and mysql's LOAD DATA LOCAL INFILE (the server must allow local_infile).
# A record with more or fewer fields than its header (the demo has a few, for the
# rejects file) cannot be a table's row: it is left out and counted.
set -euo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
url=$1
dir=$2
tables=(departments catalog exchanges share_requests services)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for table in "${tables[@]}"; do
  [ -f "$dir/$table.csv" ] || { echo "error: $dir/$table.csv is missing" >&2; exit 1; }
  python3 - "$dir/$table.csv" "$work/$table.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f, \
        open(sys.argv[2], "w", newline="", encoding="utf-8") as out:
    rows = csv.reader(f)
    header = next(rows)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    left = 0
    for row in rows:
        if len(row) == len(header):
            writer.writerow(row)
        else:
            left += 1
    if left:
        print(f"{sys.argv[1]}: {left} records with a field count other than the header's left out")
PY
done
dir=$work

# The CSV header's column names, each as "name text" (quoted by $2, for MySQL).
columns() { head -n 1 "$1" | tr -d '\r' | sed "s/^/$2/; s/,/$2 text, $2/g; s/\$/$2 text/"; }

case "$url" in
  postgres://* | postgresql://*)
    command -v psql >/dev/null || { echo "error: psql is not installed" >&2; exit 1; }
    for table in "${tables[@]}"; do
      file="$dir/$table.csv"
      psql "$url" -q -v ON_ERROR_STOP=1 \
        -c "SET client_min_messages = warning" \
        -c "DROP TABLE IF EXISTS $table" \
        -c "CREATE TABLE $table ($(columns "$file" ""))" \
        -c "\\copy $table FROM '$file' WITH (FORMAT csv, HEADER true)"
      echo "$table: $(psql "$url" -Atc "SELECT count(*) FROM $table") rows"
    done
    ;;
  mysql://* | mariadb://*)
    client=$(command -v mariadb || command -v mysql) ||
      { echo "error: the mysql (or mariadb) client is not installed" >&2; exit 1; }
    # mysql://user[:password]@host[:port]/database
    re='^[a-z]+://([^:@/]+)(:([^@/]*))?@([^:/]+)(:([0-9]+))?/([^/?]+)$'
    [[ $url =~ $re ]] || { echo "error: $url is not mysql://user@host:port/database" >&2; exit 1; }
    user=${BASH_REMATCH[1]} host=${BASH_REMATCH[4]} port=${BASH_REMATCH[6]:-3306} db=${BASH_REMATCH[7]}
    [ -n "${BASH_REMATCH[3]}" ] && export MYSQL_PWD=${BASH_REMATCH[3]}
    for table in "${tables[@]}"; do
      file=$(realpath "$dir/$table.csv")
      "$client" --local-infile=1 -h "$host" -P "$port" -u "$user" "$db" -e "
        DROP TABLE IF EXISTS \`$table\`;
        CREATE TABLE \`$table\` ($(columns "$file" '`')) CHARACTER SET utf8mb4;
        LOAD DATA LOCAL INFILE '$file' INTO TABLE \`$table\` CHARACTER SET utf8mb4
          FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''
          LINES TERMINATED BY '\n' IGNORE 1 LINES;"
      echo "$table: $("$client" -h "$host" -P "$port" -u "$user" "$db" -N -e "SELECT count(*) FROM $table") rows"
    done
    ;;
  *)
    echo "error: $url: the address begins postgresql:// or mysql://" >&2
    exit 1
    ;;
esac
