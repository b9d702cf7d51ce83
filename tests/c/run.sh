#!/usr/bin/env bash
# Builds and runs the C tests of shiliu against an already built library.
#
#   bash tests/c/run.sh target/debug        (from the repository root; `make c-test`)
#
# Every tests/c/*.c and examples/c/*.c is compiled with ASan + UBSan and -Werror and
# run (examples without arguments); the header must compile as C++11; every shiliu_*
# function the library exports must be called by some tests/c/*.c; and the header must
# declare exactly the functions the library exports.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: bash tests/c/run.sh LIBDIR   (e.g. target/debug)" >&2
    exit 2
fi
if [[ ! -f ffi/include/shiliu.h || ! -d tests/c ]]; then
    echo "run.sh: run me from the repository root" >&2
    exit 2
fi
LIBDIR=$(cd "$1" && pwd)
if [[ ! -f "$LIBDIR/libshiliu.so" ]]; then
    echo "run.sh: $LIBDIR/libshiliu.so not found (make ffi-lib)" >&2
    exit 1
fi
if [[ ! -e "$LIBDIR/libshiliu.so.0" ]]; then
    echo "run.sh: $LIBDIR/libshiliu.so.0 (the SONAME link) not found (make ffi-lib)" >&2
    exit 1
fi

OUT=target/c-tests
rm -rf "$OUT"
mkdir -p "$OUT"

CC=${CC:-gcc}
CXX=${CXX:-g++}
CFLAGS=(-std=c99 -Wall -Wextra -Werror -g -fsanitize=address,undefined
        -fno-omit-frame-pointer -I ffi/include)
LDFLAGS=(-L"$LIBDIR" -lshiliu -Wl,-rpath,"$LIBDIR" -lpthread)

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

start=$(date +%s%N)
failed=0

# --- the header as C++ -------------------------------------------------------------
if "$CXX" -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I ffi/include tests/c/header_cpp.cpp \
        >"$OUT/header_cpp.log" 2>&1; then
    echo "ok    header_cpp (C++11 syntax)"
else
    echo "FAIL  header_cpp (C++11 syntax)"
    cat "$OUT/header_cpp.log"
    failed=1
fi

# --- compile every program in parallel ------------------------------------------------
sources=(tests/c/*.c examples/c/*.c)
pids=()
for src in "${sources[@]}"; do
    name=$(basename "$src" .c)
    "$CC" "${CFLAGS[@]}" "$src" -o "$OUT/$name" "${LDFLAGS[@]}" >"$OUT/$name.build.log" 2>&1 &
    pids+=($!)
done
built=()
for i in "${!sources[@]}"; do
    if wait "${pids[$i]}"; then
        built+=(1)
    else
        built+=(0)
    fi
done

# --- run them in parallel, report in order ------------------------------------------
pids=()
for i in "${!sources[@]}"; do
    name=$(basename "${sources[$i]}" .c)
    if [[ ${built[$i]} == 1 ]]; then
        (
            s=$(date +%s%N)
            if "$OUT/$name" >"$OUT/$name.log" 2>&1; then rc=0; else rc=$?; fi
            echo "$rc $(( ($(date +%s%N) - s) / 1000000 ))" >"$OUT/$name.rc"
        ) &
        pids+=($!)
    else
        pids+=("")
    fi
done
for i in "${!sources[@]}"; do
    src=${sources[$i]}
    name=$(basename "$src" .c)
    if [[ ${built[$i]} != 1 ]]; then
        echo "FAIL  $name (compile)"
        head -n 40 "$OUT/$name.build.log"
        failed=1
        continue
    fi
    wait "${pids[$i]}" || true
    read -r rc ms <"$OUT/$name.rc"
    if [[ $rc == 0 ]]; then
        echo "ok    $name (${ms} ms)"
    else
        echo "FAIL  $name (exit $rc, ${ms} ms)"
        sed 's/^/    /' "$OUT/$name.log"
        failed=1
    fi
done

# --- every export is exercised ------------------------------------------------------
exports=$(nm -D --defined-only "$LIBDIR/libshiliu.so" | awk '$2=="T"{print $3}' | grep '^shiliu_' || true)
if [[ -z $exports ]]; then
    echo "FAIL  symbols (no shiliu_* exports found in $LIBDIR/libshiliu.so)"
    failed=1
else
    untested=()
    for sym in $exports; do
        if ! grep -qE "\\b${sym}[[:space:]]*\\(" tests/c/*.c; then
            untested+=("$sym")
        fi
    done
    if [[ ${#untested[@]} -eq 0 ]]; then
        echo "ok    symbols ($(wc -w <<<"$exports") exports, all called by tests/c/*.c)"
    else
        echo "FAIL  symbols: not called by any tests/c/*.c: ${untested[*]}"
        failed=1
    fi
fi

# --- the header declares exactly what the library exports ----------------------------
declared=$(grep -vE '^[[:space:]]*(//|/\*|\*)' ffi/include/shiliu.h \
    | grep -oE '\bshiliu_[a-z0-9_]+\(' | tr -d '(' | sort -u || true)
if [[ -n $exports && -n $declared ]]; then
    missing=$(comm -23 <(echo "$declared") <(sort -u <<<"$exports"))
    extra=$(comm -13 <(echo "$declared") <(sort -u <<<"$exports"))
    if [[ -z $missing && -z $extra ]]; then
        echo "ok    header ($(wc -w <<<"$declared") functions declared, all exported)"
    else
        [[ -n $missing ]] && echo "FAIL  header: declared but not exported: $(echo $missing)"
        [[ -n $extra ]] && echo "FAIL  header: exported but not declared: $(echo $extra)"
        failed=1
    fi
else
    echo "FAIL  header (no shiliu_* functions declared in ffi/include/shiliu.h)"
    failed=1
fi

ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [[ $failed != 0 ]]; then
    echo "== C tests FAILED (${ms} ms) =="
    exit 1
fi
echo "== C tests passed (${ms} ms) =="
