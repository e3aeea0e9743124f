#!/bin/sh
# Generates a gzipped man page from a program's --help (help2man), with a section per
# subcommand (and nested subcommand) from its own --help, plus an optional include file.
# usage: make-manpage.sh PROGRAM SECTION "one-line description" VERSION OUTPUT.gz [INCLUDE.h2m]
set -eu

program=$1 section=$2 description=$3 version=$4 output=$5 include=${6:-}
bindir=$(cd "$(dirname "$program")" && pwd)
name=$(basename "$program")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Run by bare name so the usage lines read "memberctl ...", not the build path.
PATH="$bindir:$PATH"
export PATH
# Reproducible dates in the page (help2man honours SOURCE_DATE_EPOCH).
: "${SOURCE_DATE_EPOCH:=$(date -d 2025-01-01 +%s)}"
export SOURCE_DATE_EPOCH

# The names listed under "Subcommands:" in the help of the command words given.
subcommands() {
  "$@" --help 2>/dev/null |
    awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }'
}

# Help text as roff that man prints verbatim.
as_roff() {
  echo ".nf"
  sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
  echo ".fi"
}

extra="$work/extra.h2m"
: >"$extra"
if [ -n "$include" ]; then
  cat "$include" >>"$extra"
  echo >>"$extra"
fi
subs=$(subcommands "$name")
if [ -n "$subs" ]; then
  echo "[SUBCOMMAND OPTIONS]" >>"$extra"
  for sub in $subs; do
    echo ".SS \"$name $sub\"" >>"$extra"
    "$name" "$sub" --help 2>/dev/null | as_roff >>"$extra"
    for nested in $(subcommands "$name" "$sub"); do
      echo ".SS \"$name $sub $nested\"" >>"$extra"
      "$name" "$sub" "$nested" --help 2>/dev/null | as_roff >>"$extra"
    done
  done
fi

help2man --no-info --section="$section" --name="$description" \
  --version-string="$version" --source="POS Member Agent" --manual="POS Member Agent" \
  --include="$extra" --output="$work/page" "$name"
gzip -9n <"$work/page" >"$output.tmp"
mv "$output.tmp" "$output"
