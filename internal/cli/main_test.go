package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets a test run the command line in a child process (for crash
// tests): with PARLEY_CLI_CHILD=1 the test binary acts as the parley binary.
func TestMain(m *testing.M) {
	if os.Getenv("PARLEY_CLI_CHILD") == "1" {
		args := strings.Split(os.Getenv("PARLEY_CLI_ARGS"), "\x1f")
		os.Exit(Main(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// run runs the command line in-process and returns its exit status and
// output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = mainWith(context.Background(), args, strings.NewReader(""), &out, &errb, cheapHashing)
	return code, out.String(), errb.String()
}
