#!/usr/bin/env bash
# The public API of each library crate, listed by cargo-public-api into
# docs/public-api/<crate>.txt. CI fails when a listing differs from the committed one: a
# change of the public API is then a change of that file too, reviewed with the code.
# To accept a change: run this script and commit docs/public-api/.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

# 0.52.0 reads rustdoc JSON format 57, what the installed nightly writes; --locked keeps the
# versions it was released with (newer ones need a newer rustc to build).
CPA_VERSION=0.52.0
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "the nightly toolchain is missing: cargo-public-api needs nightly rustdoc JSON" >&2
  exit 1
fi
if [ "$(cargo-public-api --version 2>/dev/null)" != "cargo-public-api $CPA_VERSION" ]; then
  cargo install cargo-public-api --version "$CPA_VERSION" --locked
fi

mkdir -p docs/public-api
log=$(mktemp)
for crate in auth-core auth-sqlx auth-axum auth-actix; do
  cargo +nightly public-api -p "$crate" --all-features -ss \
    > "docs/public-api/$crate.txt" 2> "$log" || { cat "$log"; exit 1; }
done

git add -N docs/public-api # a listing that is not committed yet shows in the diff too
if ! git diff --exit-code --quiet -- docs/public-api; then
  echo "The public API changed; the listings differ (committed -> now):"
  git --no-pager diff --no-color -- docs/public-api
  echo "If the change is meant: run .ci/public-api.sh and commit docs/public-api/."
  exit 1
fi
echo "public API listings match docs/public-api/"
