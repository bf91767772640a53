#!/bin/sh
# Container entrypoint: make the data directory usable, then run the command as the app user.
#
# Railway Volumes (and `docker run -v`) are mounted owned by root, while the server runs as uid 1000
# ("node" in the image). Started as root, this script creates DATA_DIR, hands whatever in it is not
# already the app user's to that user, and replaces itself with the command run as that user through
# setpriv (util-linux, part of Debian base images) — no root process stays behind. Started as any other
# user (`docker run --user 1000`, Kubernetes runAsUser), it changes nothing and execs the command.
set -eu

app_uid="${APP_UID:-1000}"
app_gid="${APP_GID:-1000}"

if [ "$#" -eq 0 ]; then
  echo "docker-entrypoint: no command given" >&2
  exit 64
fi

if [ "$(id -u)" = "0" ] && [ "$app_uid" != "0" ]; then
  data_dir="${DATA_DIR:-/data}"
  if ! mkdir -p "$data_dir"; then
    echo "docker-entrypoint: cannot create the data directory $data_dir (DATA_DIR)" >&2
    exit 1
  fi
  # Only what is not already the app user's: cheap on every restart, complete after an upgrade.
  find "$data_dir" \( ! -user "$app_uid" -o ! -group "$app_gid" \) -exec chown -h "$app_uid:$app_gid" {} +
  home="$(getent passwd "$app_uid" | cut -d: -f6 || true)"
  export HOME="${home:-$data_dir}"
  exec setpriv --reuid="$app_uid" --regid="$app_gid" --clear-groups --inh-caps=-all --no-new-privs -- "$@"
fi

exec "$@"
