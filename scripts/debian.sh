# Sourced by run.sh and test.sh: optional Debian packages, installed when running as root.
# apt-get may fail (no network, or another apt holding the package lock): then a warning
# says what is missing, and the script goes on; nothing here is required to start.

# install_optional WHY PACKAGE...: install the packages, or warn that WHY goes without them
install_optional() {
    local why=$1
    shift
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "note: $why needs Debian's $* (apt-get install $*)" >&2
        return 0
    fi
    echo "== installing Debian's $* ($why)"
    if ! { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; }; then
        echo "warning: could not install $* now (is another apt running?); going on" \
             "without: $why" >&2
    fi
    return 0
}
