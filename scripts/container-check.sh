#!/usr/bin/env bash
# npm run container-check — build the image with podman and run it the way Railway does:
# PORT chosen by the platform, a root-owned volume mounted at /data, health check, SIGTERM on redeploy.
# Prints what it checked and, plainly, what it could not. Exit 0: all checked and passed;
# 1: a check failed; 3: something could not be checked at all (no podman, no base image).
set -uo pipefail
cd "$(dirname "$0")/.."

BASE=docker.io/library/node:20-bookworm-slim
IMAGE=localhost/master-orchestrator:container-check
NAME="mo-container-check-$$"
PORT_IN_CONTAINER=8123            # Railway picks PORT; the image must follow it
checked=() failed=() unchecked=()
ok() { checked+=("$1"); echo "  ok    $1"; }
bad() { failed+=("$1"); echo "  FAIL  $1" >&2; }
skip() { unchecked+=("$1"); echo "  NOT CHECKED  $1"; }

summary() {
  echo
  echo "container-check: ${#checked[@]} checked, ${#failed[@]} failed, ${#unchecked[@]} not checked"
  for line in "${failed[@]}"; do echo "  failed: $line"; done
  for line in "${unchecked[@]}"; do echo "  could not check: $line"; done
  if [ "${#failed[@]}" -gt 0 ]; then exit 1; fi
  if [ "${#unchecked[@]}" -gt 0 ] && [ "${#checked[@]}" -eq 0 ]; then exit 3; fi
  exit 0
}

cleanup() {
  if [ -n "${mounted:-}" ]; then umount "$rootfs_dir/data" "$rootfs_dir/proc" 2>/dev/null; umount -R "$rootfs_dir/dev" 2>/dev/null; fi
  [ -n "${rootfs_ctr:-}" ] && { podman umount "$rootfs_ctr" >/dev/null 2>&1; podman rm -f "$rootfs_ctr" >/dev/null 2>&1; }
  podman rm -f "$NAME-railway" "$NAME-user" >/dev/null 2>&1 || true
  rm -f "${volume_dir:-/nonexistent}.err" "${volume_dir:-/nonexistent}.log"
  [ -n "${volume_dir:-}" ] && rm -rf "$volume_dir"
  [ -n "${rootfs:-}" ] && rm -rf "$rootfs"
  [ -n "${npmrc_dir:-}" ] && rm -rf "$npmrc_dir"
}
trap cleanup EXIT

if ! command -v podman >/dev/null 2>&1; then
  skip "everything: podman is not installed (apt-get install podman)"
  summary
fi

# A stand-in for node:20-bookworm-slim when no registry is reachable: Debian bookworm (minbase, from
# the Debian mirror) with this machine's Node and npm laid out as the official image does, user node = 1000.
build_stand_in_base() {
  if [ "$(id -u)" -ne 0 ] || ! command -v debootstrap >/dev/null 2>&1; then
    return 1
  fi
  local node_bin npm_dir
  node_bin="$(readlink -f "$(command -v node)")"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  [ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ] || return 1
  rootfs="$(mktemp -d)"
  echo "  building a stand-in base image: debootstrap bookworm + Node $(node -v) from this machine..."
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null || return 1
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules"
  cp "$node_bin" "$rootfs/usr/local/bin/node"
  # The official image ships Node's headers (node-gyp builds better-sqlite3 against them).
  node_include="$(dirname "$(dirname "$node_bin")")/include/node"
  mkdir -p "$rootfs/usr/local/include" && cp -a "$node_include" "$rootfs/usr/local/include/node"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" groupadd --gid 1000 node && chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node || return 1
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  tar -C "$rootfs" -c . | podman import --change 'CMD ["node"]' \
    --change "LABEL master-orchestrator.stand-in=\"Debian bookworm minbase + Node $(node -v) of the host\"" - "$BASE" >/dev/null || return 1
  podman image exists "$BASE"
}

echo "base image $BASE"
if podman image exists "$BASE"; then
  stand_in=$(podman image inspect --format '{{index .Config.Labels "master-orchestrator.stand-in"}}' "$BASE" 2>/dev/null)
  if [ -n "$stand_in" ] && [ "$stand_in" != "<no value>" ]; then
    skip "the official $BASE: using a local stand-in made earlier by this script ($stand_in)"
  else
    ok "base image present locally"
  fi
elif timeout 90 podman pull -q "$BASE" >/dev/null 2>&1; then
  ok "pulled the official $BASE"
else
  echo "  no registry of base images reachable (podman pull $BASE failed)"
  if build_stand_in_base; then
    skip "the official $BASE (registry unreachable): built on a stand-in — Debian bookworm minbase + Node $(node -v) from this machine, user node = uid 1000"
  else
    skip "building the image: $BASE cannot be pulled and no stand-in could be made (needs root, debootstrap and Node 20 here)"
    summary
  fi
fi

echo "build"
# A machine that reaches the npm registry through a TLS-intercepting proxy has its own CA: hand it to
# npm in the build's RUN steps through mounts only, so nothing of it lands in the image.
build_mounts=()
host_ca="${NODE_EXTRA_CA_CERTS:-}"
[ -n "$host_ca" ] || host_ca="$(npm config get cafile 2>/dev/null || true)"
npmrc_dir="$(mktemp -d)"
printf 'nodedir=/usr/local\n' > "$npmrc_dir/npmrc"
if [ -n "$host_ca" ] && [ "$host_ca" != null ] && [ -f "$host_ca" ]; then
  printf 'cafile=/run/host-ca.crt\n' >> "$npmrc_dir/npmrc"
  build_mounts+=(--volume "$host_ca:/run/host-ca.crt:ro")
  echo "  npm's CA file of this machine ($host_ca) is mounted into the build's RUN steps (not into the image)"
fi
build_mounts+=(--volume "$npmrc_dir/npmrc:/usr/local/etc/npmrc:ro")
build_start=$(date +%s)
# --isolation=chroot: RUN steps without an OCI runtime, which some sandboxes (and this CI) lack.
if ! podman build --isolation=chroot --layers "${build_mounts[@]}" -t "$IMAGE" . ; then
  bad "podman build failed (output above)"
  summary
fi
ok "image builds ($(( $(date +%s) - build_start )) s, with the layer cache as it was)"
size_bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
ok "image size $(( size_bytes / 1000000 )) MB"
base_bytes=$(podman image inspect --format '{{.Size}}' "$BASE")
echo "        (base $(( base_bytes / 1000000 )) MB, the app adds $(( (size_bytes - base_bytes) / 1000000 )) MB)"

# Starting a container: podman run when the OCI runtime works here; otherwise (sandboxes where crun
# cannot set rlimits or cgroups) the image's own filesystem in a chroot, with its ENV, WORKDIR,
# ENTRYPOINT and CMD — the same files and the same start, without namespaces. Sets $pid_or_name.
mode=""
start_image() { # $1 = label, $2 = user ("" for the image's), then env assignments
  local label="$1" user="$2"; shift 2
  local envs=() e; for e in "$@"; do envs+=(-e "$e"); done
  if [ "$mode" != chroot ]; then
    local args=(-d --name "$NAME-$label" --network host -v "$volume_dir:/data" "${envs[@]}")
    [ -n "$user" ] && args+=(--user "$user")
    if podman run "${args[@]}" "$IMAGE" >/dev/null 2>"$volume_dir.err"; then mode=podman; pid_or_name="$NAME-$label"; return 0; fi
    if [ -z "$mode" ] && grep -qiE 'OCI|crun|runc|cgroup' "$volume_dir.err"; then
      skip "running under an OCI runtime here ($(head -c 160 "$volume_dir.err" | tr '\n' ' ')): ran the image's filesystem in a chroot instead"
      mode=chroot
    else
      cat "$volume_dir.err" >&2; return 1
    fi
  fi
  if [ -z "${rootfs_ctr:-}" ]; then
    rootfs_ctr="$NAME-fs"
    podman create --name "$rootfs_ctr" "$IMAGE" >/dev/null || return 1
    rootfs_dir="$(podman mount "$rootfs_ctr")" || return 1
    mount -t proc proc "$rootfs_dir/proc" && mount --rbind /dev "$rootfs_dir/dev" && mount --bind "$volume_dir" "$rootfs_dir/data" || return 1
    mounted=1
  fi
  local image_env=(); while IFS= read -r e; do [ -n "$e" ] && image_env+=("$e"); done < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE")
  local workdir entry cmd
  workdir="$(podman image inspect --format '{{.Config.WorkingDir}}' "$IMAGE")"
  entry="$(podman image inspect --format '{{range .Config.Entrypoint}}{{.}} {{end}}' "$IMAGE")"
  cmd="$(podman image inspect --format '{{range .Config.Cmd}}{{.}} {{end}}' "$IMAGE")"
  local drop=(); [ -n "$user" ] && drop=(setpriv --reuid="${user%%:*}" --regid="${user##*:}" --clear-groups)
  # shellcheck disable=SC2086 # entry and cmd are the image's exec-form words
  env -i "${image_env[@]}" "$@" chroot "$rootfs_dir" "${drop[@]}" sh -c "cd $workdir && exec $entry $cmd" >>"$volume_dir.log" 2>&1 &
  pid_or_name=$!
}
is_running() { if [ "$mode" = podman ]; then [ "$(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; else kill -0 "$1" 2>/dev/null; fi; }
server_uid() { if [ "$mode" = podman ]; then podman exec "$1" sh -c 'grep "^Uid:" /proc/1/status' | awk '{print $2}'; else awk '/^Uid:/{print $2}' "/proc/$1/status"; fi; }
stop_image() { # SIGTERM; sets stop_code (not a $(...) subshell: only this shell can wait for its child)
  if [ "$mode" = podman ]; then podman stop -t 40 "$1" >/dev/null; stop_code=$(podman inspect --format '{{.State.ExitCode}}' "$1")
  else kill -TERM "$1"; stop_code=0; wait "$1" || stop_code=$?; fi
}
show_log() { if [ "$mode" = podman ]; then podman logs "$1" 2>&1 | tail -20 >&2; else tail -20 "$volume_dir.log" >&2; fi; }
wait_healthy() {
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
    is_running "$2" || return 1
    sleep 0.1
  done
  return 1
}

echo "run as Railway does: PORT set by the platform, a root-owned volume at /data"
volume_dir="$(mktemp -d)"
chmod 755 "$volume_dir"
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
port=$(free_port)
start_ms=$(date +%s%3N)
start_image railway "" "PORT=$port" "HOST=127.0.0.1" || { bad "the image did not start"; summary; }
server="$pid_or_name"
if wait_healthy "$port" "$server"; then
  ok "GET /health answers 200, $(( $(date +%s%3N) - start_ms )) ms after start (cold start, $mode)"
else
  bad "the server did not become healthy"; show_log "$server"; summary
fi
answer=$(curl -sS -X POST "http://127.0.0.1:$port/chat" -H 'content-type: application/json' -d '{"message":"What is the capital of France?"}')
if echo "$answer" | grep -q '"simulated":true'; then ok "POST /chat answers (simulated: no provider key given)"; else bad "POST /chat: $answer"; fi
uid=$(server_uid "$server")
if [ "$uid" = 1000 ]; then ok "the server process runs as uid 1000"; else bad "the server runs as uid '$uid', not 1000"; fi
if [ "$(stat -c %u "$volume_dir/orchestrator.db" 2>/dev/null)" = 1000 ]; then ok "its SQLite database is on the volume, owned by uid 1000"; else bad "no orchestrator.db owned by uid 1000 on the volume"; fi
stop_image "$server"
if [ "$stop_code" = 0 ]; then ok "SIGTERM: drains and exits 0"; else bad "SIGTERM: exit code $stop_code"; show_log "$server"; fi

echo "run as uid 1000 from the start (docker run --user 1000)"
port=$(free_port)
start_image user "1000:1000" "PORT=$port" "HOST=127.0.0.1" || bad "the image did not start as uid 1000"
server="$pid_or_name"
if wait_healthy "$port" "$server" && [ "$(server_uid "$server")" = 1000 ]; then ok "starts unchanged as uid 1000 on the same volume"; else bad "did not start as uid 1000"; show_log "$server"; fi
stop_image "$server"

skip "Railway's own builder and volume service (emulated: podman build, a root-owned directory mounted at /data)"
skip "a push to a registry and a deploy from the template (needs a Railway account and network)"
summary
