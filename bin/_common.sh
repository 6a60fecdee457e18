# Shared by bin/billabex-*: locate Odoo 18 and make sure PostgreSQL is up.
# Sourced, not executed.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADDON=billabex_credits

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Odoo is looked up where `python3 -c "import odoo"` finds it (a source tree on
# PYTHONPATH or in a .pth file). Prints nothing when Odoo 18 is not importable.
odoo_root() {
    python3 - <<'PY' 2>/dev/null
import os, odoo, odoo.release
if odoo.release.version_info[0] == 18:
    print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))
PY
}

odoo_addons_path() {
    local root="$1" paths=()
    [ -d "$root/addons" ] && paths+=("$root/addons")
    paths+=("$root/odoo/addons" "$REPO_ROOT")
    (IFS=,; echo "${paths[*]}")
}

odoo_bin() {
    local root="$1"
    if [ -f "$root/odoo-bin" ]; then echo "$root/odoo-bin"; else echo "-m odoo"; fi
}

# Start the local PostgreSQL cluster when it is down and give the current user
# a superuser role once (Odoo creates and drops its own databases).
ensure_postgres() {
    if ! pg_isready -q 2>/dev/null; then
        local cluster
        cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')
        if [ -z "$cluster" ]; then
            echo "No PostgreSQL cluster found: install PostgreSQL (15 or newer) first." >&2
            return 1
        fi
        say "Starting PostgreSQL $cluster"
        pg_ctlcluster $cluster start
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
    fi
    if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        say "Creating PostgreSQL role $(id -un)"
        su postgres -c "createuser --superuser $(id -un)"
    fi
}
