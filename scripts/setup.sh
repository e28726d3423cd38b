#!/bin/sh
# Installs what clonesim needs to build on Debian: GSL (libgsl-dev) and pkg-config.
# Does nothing when both are present, so it is cheap to run before every command.
set -e
missing=""
dpkg -s libgsl-dev >/dev/null 2>&1 || missing="$missing libgsl-dev"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
echo "setup: installing$missing" >&2
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
