#!/usr/bin/env bash
# Would deploy/Dockerfile's image run? Docker is not needed: the runtime
# stage is read as text and compared with what the binary links.
#
#   image_libs_test.sh MESHGATE_BINARY DOCKERFILE
#
# - every shared library `ldd` lists for the binary belongs to a Debian
#   package that the runtime stage installs, or that debian:12-slim already
#   has;
# - the runtime stage installs nothing the binary does not need;
# - the image runs as uid/gid 65532, never as root;
# - it carries the binary and the ConfigMap's config where the Deployment
#   expects them, and that config passes `meshgate check-config`.
#
# Package names come from this machine's dpkg database, so this must run on
# Debian 12 (bookworm), the release of both image stages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
source "$here/../integration/lib.sh"
: "${work:?lib.sh sets the scratch directory}"

if [ "$#" -ne 2 ]; then
  echo "usage: $0 MESHGATE_BINARY DOCKERFILE" >&2
  exit 2
fi
binary=$1
dockerfile=$2
repo=$(cd "$(dirname "$dockerfile")/.." && pwd)
configmap=$repo/deploy/kubernetes/base/configmap.yaml

# Packages every debian:12-slim image already has, so the Dockerfile need not
# install them (debuerreotype's bookworm/slim/rootfs.manifest, the list the
# official image is built from): libc6 (libc, libm), libgcc-s1, libstdc++6
# (apt is C++: libapt-pkg6.0 depends on it, so slim keeps it) and zlib1g
# (dpkg and apt depend on it). libssl3 is NOT there: slim's apt uses GnuTLS.
base_packages=" libc6 libgcc-s1 libstdc++6 zlib1g "

# Packages the runtime stage may install although no library needs them.
# None: not even ca-certificates. In a pod meshgate trusts only the service
# account's ca.crt (discovery/kubernetes/kubeconfig.cc fails start-up without
# it), a kubeconfig names its own CA, and the data path passes TLS through
# without verifying it, so a system trust store would be dead weight that
# widens what the gateway would trust.
allowed_extra=" "

# --- the Dockerfile, read as Docker reads it -------------------------------

# The runtime stage: from the last FROM on, comment lines dropped (Docker
# drops them inside continued instructions too), continuations joined, so
# each instruction is one line.
runtime_stage() {
  awk '/^[[:space:]]*[Ff][Rr][Oo][Mm][[:space:]]/ {stage = ""}
       !/^[[:space:]]*#/ {stage = stage $0 "\n"}
       END {printf "%s", stage}' "$dockerfile" |
    sed -e ':a' -e '/\\$/N' -e 's/\\\n/ /' -e 'ta'
}

# The words after `apt-get install` in the runtime stage, up to the end of
# that command (&&, ;, |), options dropped: the packages it installs.
installed_packages() {
  runtime_stage | grep -E 'apt-get +install' |
    sed -E 's/.*apt-get +install//; s/(&&|;|\|).*//' | tr -s '[:space:]' '\n' |
    grep -v -e '^-' -e '^$' | sort -u
}

# The last USER of the runtime stage: what the container runs as. It must be
# numeric: the kubelet can only enforce runAsNonRoot on a numeric user.
runtime_user() {
  runtime_stage | awk 'toupper($1) == "USER" {user = $2} END {print user}'
}

# --- the binary's libraries and their packages -----------------------------

# ldd's "name => path" lines: every library the dynamic loader will load,
# except linux-vdso (the kernel's, no file) and ld-linux (the loader itself,
# in libc6, listed without "=>").
linked_libraries() {
  ldd "$binary" | awk '$2 == "=>" {print $1, $3}'
}

# Which packages own each library. dpkg knows a file by the path its package
# shipped it under, which on a merged-/usr system often differs from the path
# ldd prints (/lib/x86_64-linux-gnu/libz.so.1 is shipped as such, but
# libssl.so.3 as /usr/lib/x86_64-linux-gnu/libssl.so.3), so each library is
# looked up by its path, its realpath, and the other half of the
# /lib <-> /usr/lib pair of each. All in one dpkg -S call: every call reads
# the whole file database, which takes most of a second.
usr_twin() {  # /lib/x -> /usr/lib/x and back, into $twin (no subshell)
  case $1 in
    /usr/lib/*) twin=${1#/usr} ;;
    /lib/*) twin=/usr$1 ;;
    *) twin=$1 ;;
  esac
}

declare -A package_of  # library path as ldd prints it -> owning packages
resolve_packages() {
  local i p line asked pkgs twin candidate
  local -a reals=() candidates=()
  local -A owners=()
  # One realpath call for all (forks are what make shell tests slow).
  mapfile -t reals < <(realpath -m "$@")
  for i in "${!reals[@]}"; do
    candidates+=("${@:i+1:1}" "${reals[$i]}")
    usr_twin "${@:i+1:1}"
    candidates+=("$twin")
    usr_twin "${reals[$i]}"
    candidates+=("$twin")
  done
  # "pkg1:arch, pkg2:arch: /path" lines; paths no package owns go to stderr.
  while IFS= read -r line; do
    asked=${line#*: }
    pkgs=${line%%: *}
    pkgs=${pkgs//,/}
    owners[$asked]=""
    for p in $pkgs; do owners[$asked]+="${p%%:*} "; done
  done < <(dpkg -S "${candidates[@]}" 2>/dev/null || true)
  for i in "${!reals[@]}"; do
    for candidate in "${candidates[@]:i*4:4}"; do
      if [ -n "${owners[$candidate]:-}" ]; then
        package_of[${@:i+1:1}]=${owners[$candidate]% }
        break
      fi
    done
  done
}

# --- checks ----------------------------------------------------------------

check "binary $binary is executable" test -x "$binary"
check "Dockerfile $dockerfile exists" test -f "$dockerfile"
if ! [ -x "$binary" ] || ! [ -f "$dockerfile" ]; then
  finish
  exit 1
fi

is_debian12() { grep -q '^12\.' /etc/debian_version 2>/dev/null && command -v dpkg >/dev/null; }
check "this host is Debian 12 with dpkg (package names as in the image)" is_debian12

stage=$(runtime_stage)
check "runtime stage is FROM debian:12-slim" \
  grep -qE '^[[:space:]]*FROM[[:space:]]+debian:12-slim([[:space:]]|$)' <<<"$stage"
check "build stage is FROM debian:12 (the same release)" \
  grep -qE '^[[:space:]]*FROM[[:space:]]+debian:12[[:space:]]+AS[[:space:]]' "$dockerfile"
check "runtime apt-get install uses --no-install-recommends" \
  grep -qE 'apt-get +install[^&;|]*--no-install-recommends' <<<"$stage"
check "runtime stage removes /var/lib/apt/lists" grep -qF 'rm -rf /var/lib/apt/lists/*' <<<"$stage"

user=$(runtime_user)
check "runtime stage ends with USER 65532 (found '${user:-none}')" \
  grep -qxE '65532(:65532)?' <<<"$user"

installed=" $(installed_packages | tr '\n' ' ') "
check "runtime stage installs packages" test "$installed" != "  "

unresolved=$(ldd "$binary" | grep 'not found' || true)
check "ldd resolves every library of the binary" test -z "$unresolved"

declare -a lib_names=() lib_paths=()
while read -r name path; do
  lib_names+=("$name")
  lib_paths+=("$path")
done < <(linked_libraries)
check "ldd lists libraries (${#lib_paths[@]})" test "${#lib_paths[@]}" -gt 0
resolve_packages "${lib_paths[@]}"

# A library is covered when one of its owning packages is installed by the
# runtime stage or is part of debian:12-slim.
needed=" "
covered() {  # covered PACKAGES...
  local p
  for p in "$@"; do
    case "$installed$base_packages" in *" $p "*) return 0 ;; esac
  done
  return 1
}
for i in "${!lib_paths[@]}"; do
  pkgs=${package_of[${lib_paths[$i]}]:-}
  if [ -z "$pkgs" ]; then
    check "${lib_names[$i]}: owned by a Debian package (${lib_paths[$i]})" false
    continue
  fi
  for p in $pkgs; do needed+="$p "; done
  # shellcheck disable=SC2086  # $pkgs is a word list
  if covered $pkgs; then
    where="installed"
    case "$base_packages" in *" ${pkgs%% *} "*) where="in debian:12-slim" ;; esac
    check "${lib_names[$i]}: ${pkgs// /, } $where" true
  else
    check "${lib_names[$i]}: ${pkgs// /, } installed by the runtime stage" false
  fi
done

# Nothing extra: every installed package owns a library the binary loads.
for p in $installed; do
  case "$needed$allowed_extra" in
    *" $p "*) check "installed package $p is needed by the binary" true ;;
    *) check "installed package $p is needed by the binary (no library of it is linked)" false ;;
  esac
done

check "binary copied to /usr/local/bin/meshgate" \
  grep -qE '^[[:space:]]*COPY[[:space:]].*[[:space:]]/usr/local/bin/meshgate[[:space:]]*$' <<<"$stage"
check "config copied to /etc/meshgate/meshgate.yaml" \
  grep -qE '^[[:space:]]*COPY[[:space:]].*[[:space:]]/etc/meshgate/meshgate.yaml[[:space:]]*$' <<<"$stage"
check "ENTRYPOINT runs /usr/local/bin/meshgate" \
  grep -qF 'ENTRYPOINT ["/usr/local/bin/meshgate"]' <<<"$stage"
check "CMD passes --config /etc/meshgate/meshgate.yaml" \
  grep -qF 'CMD ["--config", "/etc/meshgate/meshgate.yaml"]' <<<"$stage"
for port in 15443/tcp 15012/tcp 15017/tcp 15053/udp 15053/tcp 15021/tcp 15090/tcp; do
  check "EXPOSE $port" grep -qE "^[[:space:]]*EXPOSE([[:space:]].*)?[[:space:]]$port([[:space:]]|$)" <<<"$stage"
done

# The image's config is the ConfigMap's (the Dockerfile extracts it the same
# way): the block under `meshgate.yaml: |`, indented four spaces.
awk '/^  meshgate\.yaml: \|/ {f = 1; next}
     f && /^    / {print substr($0, 5); next}
     f && /^[[:space:]]*$/ {print ""; next}
     f {exit}' "$configmap" >"$work/meshgate.yaml"
check "the ConfigMap holds a config" test -s "$work/meshgate.yaml"
check "the Dockerfile extracts the config from the ConfigMap" \
  grep -qF 'deploy/kubernetes/base/configmap.yaml' "$dockerfile"
config_ok() {  # quiet on success, meshgate's messages on failure
  "$binary" check-config "$work/meshgate.yaml" >"$work/check-config.out" 2>&1 ||
    { cat "$work/check-config.out"; return 1; }
}
check "the ConfigMap's config passes meshgate check-config" config_ok

finish
