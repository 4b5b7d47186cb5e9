// Command parley is the workbench on which prisoner-of-war exchanges are
// prepared, negotiated and carried out. Run "parley" without arguments for
// the list of commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"parley/internal/cli"
)

func main() {
	cli.OwnsProcess = true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
