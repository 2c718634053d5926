package lab

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
)

// Command runs the lab as a command line: it parses its flags (-addr,
// -out, -data), serves until Ctrl-C or SIGTERM, and returns
// cli.ErrInterrupted then, after saving a running training job. It is
// `featlearn serve`.
func Command(args []string, stderr io.Writer) error {
	fs := cli.NewFlagSet("featlearn serve", "[flags]", "serve: the featlearn lab, a web page to see features learn.", stderr)
	addr := fs.String("addr", DefaultAddr, "address to listen on (loopback by default)")
	out := fs.String("out", "out", "folder of checkpoints to offer; the lab saves its own models under OUT/lab (\"\" for none)")
	data := cli.DataFlag(fs)
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	s, err := New(Config{Addr: *addr, Out: *out, Data: *data, Log: stderr})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return errors.Wrap(err, "listening")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "featlearn serve: the lab at http://%s (Ctrl-C saves and stops)\n", l.Addr())
	err = s.Serve(ctx, l)
	if errors.Is(err, context.Canceled) {
		return cli.ErrInterrupted
	}
	return err
}
