# Sourced by the shell tests (tests/packaging.sh, tests/windows.sh) after they
# set `check` to their name: the ok/FAILED/SKIP lines and their counts, the
# closing line "<check>: N passed, N failed, N skipped" (exit 1 if any
# failed), a scratch folder $work removed on exit, and $key, a fake Misar key
# made at run time so that no file holds one, of which only $shown (its first
# 8 characters) may ever be printed.
passed=0
failed=0
skipped=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }
finish() {
  echo "$check: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit $?
}
now() { date +%s; }
t0=$(now)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key=$(python3 -c 'import secrets,string; a=string.ascii_letters+string.digits; print("msk" + "_" + "".join(secrets.choice(a) for _ in range(32)))')
shown=${key:0:8}
