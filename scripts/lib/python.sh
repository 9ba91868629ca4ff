# shellcheck shell=bash
# Helpers shared by scripts/test.sh and scripts/bench.sh (source this file).
#
#   find_python            -> prints the path of a CPython >= 3.12, or fails with a message
#   ensure_venv DIR REQS   -> creates/refreshes the venv DIR with the exact pins of REQS

# Is $1 a Python interpreter of version >= 3.12 with a working venv module?
_python_ok() {
    "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    local cand
    local -a cands=()
    # An explicit choice wins.
    if [[ -n "${ZARR_PYTHON:-}" ]]; then
        cands+=("$ZARR_PYTHON")
    fi
    # pyenv installs, newest patch of the lowest minor first (3.12 before 3.13).
    if [[ -d "$HOME/.pyenv/versions" ]]; then
        while IFS= read -r cand; do
            cands+=("$cand/bin/python")
        done < <(find "$HOME/.pyenv/versions" -mindepth 1 -maxdepth 1 -name '3.1[2-9]*' 2>/dev/null | sort -V)
    fi
    for cand in python3.12 python3.13 python3.14 python3; do
        if command -v "$cand" >/dev/null 2>&1; then
            cands+=("$(command -v "$cand")")
        fi
    done
    for cand in "${cands[@]}"; do
        if [[ -x "$cand" ]] && _python_ok "$cand"; then
            printf '%s\n' "$cand"
            return 0
        fi
    done
    echo "error: no Python >= 3.12 with the venv module found." >&2
    echo "       Looked at \$ZARR_PYTHON, ~/.pyenv/versions/3.1[2-9]*, and python3.12 / python3.13 / python3.14 / python3 on PATH." >&2
    echo "       Install one (e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12') or set ZARR_PYTHON." >&2
    return 1
}

# ensure_venv DIR REQUIREMENTS PYTHON
# (Re)creates DIR when it is missing, broken, or was built from another requirements file
# or interpreter; the stamp file DIR/.requirements.stamp records what it was built from.
ensure_venv() {
    local dir="$1" reqs="$2" python="$3"
    local want have=""
    want="$(
        sha256sum "$reqs" | cut -d' ' -f1
        "$python" -c 'import sys; print(sys.version)'
    )"
    if [[ -f "$dir/.requirements.stamp" ]]; then
        have="$(cat "$dir/.requirements.stamp")"
    fi
    if [[ "$want" == "$have" && -x "$dir/bin/python" ]] && "$dir/bin/python" -c 'import sys' >/dev/null 2>&1; then
        echo "venv $dir is up to date"
        return 0
    fi
    echo "creating venv $dir with $python from $reqs"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$dir/bin/python" -m pip install --quiet --no-input -r "$reqs"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$dir/bin/python" -m pip check
    printf '%s\n' "$want" >"$dir/.requirements.stamp"
}
