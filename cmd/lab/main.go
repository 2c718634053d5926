// Command lab serves featlearn's lab, a web page to see features learn:
// draw a digit and watch every layer of LeNet-5 (or the MLP, Hinton's
// templates, any checkpoint under -out) respond; train on the server and
// watch the loss, the filters, test predictions and the confusion matrix
// change; step Hinton's template learner; edit the XOR neurons' weights.
//
//	lab [-addr 127.0.0.1:8080] [-out out] [-data DIR]
//
// It listens on loopback only unless -addr says otherwise. Ctrl-C stops a
// training run, saves what was trained under -out/lab and exits with
// status 130. Exit status: 0 ok, 1 failure, 2 usage, 130 interrupted.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/internal/cli"
	"github.com/featlearn/featlearn/internal/lab"
)

func main() {
	os.Exit(cli.Exit("lab", run(os.Args[1:], os.Stderr), os.Stderr))
}

// run parses the flags and serves until Ctrl-C.
func run(args []string, stderr io.Writer) error {
	fs := cli.NewFlagSet("lab", "[flags]", "lab: serve the featlearn lab, a web page to see features learn.", stderr)
	addr := fs.String("addr", lab.DefaultAddr, "address to listen on (loopback by default)")
	out := fs.String("out", "out", "folder of checkpoints to offer; the lab saves its own models under OUT/lab (\"\" for none)")
	data := cli.DataFlag(fs)
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	s, err := lab.New(lab.Config{Addr: *addr, Out: *out, Data: *data, Log: stderr})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return errors.Wrap(err, "listening")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "lab: serving http://%s (Ctrl-C saves and stops)\n", l.Addr())
	err = s.Serve(ctx, l)
	if errors.Is(err, context.Canceled) {
		return cli.ErrInterrupted
	}
	return err
}
