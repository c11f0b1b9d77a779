# Helpers for conformance/run and the scripts in conformance/checks/
# (sourced, not run). A tool that cannot be installed is a failure, never a
# skip.

# Print a message and fail.
die() {
    echo "conformance: $*" >&2
    exit 1
}

# Install Debian packages with apt-get, refreshing the package lists first
# when they are missing or stale. Fails when apt-get is not there or the
# install does not work.
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "need the Debian packages $*, and this machine has no apt-get; install them by hand"
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    echo "conformance: apt-get install $*" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
        "${sudo[@]}" apt-get update -qq >/dev/null ||
            die "apt-get update failed"
        "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
            die "apt-get install $* failed"
    fi
}

# Make sure `command` is on PATH, installing Debian package `package` if not.
need_command() {
    local command=$1 package=$2
    command -v "$command" >/dev/null 2>&1 && return 0
    apt_install "$package"
    command -v "$command" >/dev/null 2>&1 ||
        die "$command is still missing after installing $package"
}

# npm_install DIR PACKAGE...: install npm packages into DIR (a scratch
# folder; nothing global), installing Debian's nodejs and npm if missing.
# Prints nothing on success; fails when the registry cannot be reached.
npm_install() {
    local dir=$1
    shift
    need_command node nodejs
    need_command npm npm
    mkdir -p "$dir"
    echo "conformance: npm install $*" >&2
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$@" >/dev/null ||
        die "npm install $* failed"
}
