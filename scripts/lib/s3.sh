# shellcheck shell=bash
# S3 test servers on 127.0.0.1 for scripts/test.sh (source this file).
#
#   start_s3_servers PYTHON_VENV_DIR  -> starts moto_server and s3s-fs, creates the bucket
#                                       `zarr-test` on both, exports ZARR_TEST_S3_MOTO and
#                                       ZARR_TEST_S3_S3S (their endpoints); installs s3s-fs
#                                       into target/tools when missing
#   stop_s3_servers                   -> stops them and removes their data (set as an EXIT trap)
#
# Both accept the access key `zarrtest` with the secret `zarrtestsecret` (s3s-fs checks the
# request signatures; moto accepts any).

S3S_FS_VERSION=0.14.0 # rust-version 1.92: the newest release that builds with the toolchain here
S3_PIDS=()
S3_DIR=""

# A free TCP port on 127.0.0.1.
_free_port() {
    "$1" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# _wait_http PYTHON URL NAME LOG: wait until URL answers (any HTTP status), at most 30 s.
_wait_http() {
    local python="$1" url="$2" name="$3" log="$4"
    if ! "$python" - "$url" <<'PY'; then
import sys, time, urllib.request, urllib.error
url = sys.argv[1]
for _ in range(300):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PY
        echo "error: $name did not start on $url; its log:" >&2
        cat "$log" >&2 || true
        return 1
    fi
}

stop_s3_servers() {
    local pid
    for pid in "${S3_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    S3_PIDS=()
    if [[ -n "$S3_DIR" ]]; then
        rm -rf "$S3_DIR"
        S3_DIR=""
    fi
}

start_s3_servers() {
    local venv="$1" root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    local python="$venv/bin/python"
    local s3s="$root/target/tools/bin/s3s-fs"
    if ! "$s3s" --version 2>/dev/null | grep -qx "s3s-fs $S3S_FS_VERSION"; then
        echo "installing s3s-fs $S3S_FS_VERSION into target/tools (once)"
        cargo install s3s-fs --version "=$S3S_FS_VERSION" --locked --features binary \
            --root "$root/target/tools"
    fi
    S3_DIR="$(mktemp -d)"

    local moto_port s3s_port
    moto_port="$(_free_port "$python")"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$S3_DIR/moto.log" 2>&1 &
    S3_PIDS+=("$!")
    mkdir -p "$S3_DIR/s3s-data/zarr-test"
    s3s_port="$(_free_port "$python")"
    "$s3s" --host 127.0.0.1 --port "$s3s_port" --access-key zarrtest --secret-key zarrtestsecret \
        "$S3_DIR/s3s-data" >"$S3_DIR/s3s.log" 2>&1 &
    S3_PIDS+=("$!")

    export ZARR_TEST_S3_MOTO="http://127.0.0.1:$moto_port"
    export ZARR_TEST_S3_S3S="http://127.0.0.1:$s3s_port"
    _wait_http "$python" "$ZARR_TEST_S3_MOTO/" moto_server "$S3_DIR/moto.log"
    _wait_http "$python" "$ZARR_TEST_S3_S3S/" s3s-fs "$S3_DIR/s3s.log"
    # The bucket on moto (s3s-fs: the folder made above).
    "$python" -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1] + "/zarr-test", method="PUT"), timeout=10)' \
        "$ZARR_TEST_S3_MOTO"
    echo "moto_server on $ZARR_TEST_S3_MOTO, s3s-fs $S3S_FS_VERSION on $ZARR_TEST_S3_S3S"
}
