# Checks shared by the shell tests of the CLI (sourced, not run).
#   fail MESSAGE...                 print FAIL: MESSAGE on stderr and exit 1
#   expect_file PATH                the file exists and is not empty
#   expect_error MESSAGE COMMAND... the command exits 1 and its output contains MESSAGE
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_file() { [ -s "$1" ] || fail "missing $1"; }
expect_error() {
  local want=$1; shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" -eq 1 ] || fail "exit $rc (want 1) from: $*; output: $out"
  grep -qF -- "$want" <<<"$out" || fail "'$want' not in: $out"
}
